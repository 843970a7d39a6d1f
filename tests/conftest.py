import pytest

from accounts.choices import Role
from analytics.services import rollups_update

from .analytics_data import network_build
from .factories import OperatorFactory, UserFactory
from .ocpp_support import ocpp_gateway  # noqa: F401  (a fixture for the gateway tests)


@pytest.fixture(autouse=True)
def empty_cache():
    """Sign-in failure counts (kept in the cache) do not carry over from one test to another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def role_groups(transactional_db):
    """Tests in transactions that are flushed, not rolled back (browser tests, concurrency
    tests), lose the role groups the migrations made with the first flush; these get them back."""
    from django.apps import apps

    from accounts.roles import role_groups_sync

    role_groups_sync(apps)


@pytest.fixture
def operator(db):
    return OperatorFactory(name="Sunrise Charging")


@pytest.fixture
def other_operator(db):
    return OperatorFactory(name="Other Charging")


@pytest.fixture
def admin_user(operator):
    return UserFactory(username="opadmin", operator=operator, role=Role.OPERATOR_ADMIN)


@pytest.fixture
def analyst_user(operator):
    return UserFactory(username="analyst", operator=operator, role=Role.ANALYST)


@pytest.fixture
def technician_user(operator):
    return UserFactory(username="tech", operator=operator, role=Role.TECHNICIAN)


@pytest.fixture
def platform_admin(db):
    return UserFactory(username="platform", operator=None, is_superuser=True, is_staff=True)


@pytest.fixture
def operator_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def network(operator, other_operator):
    """Generated orders of two operators across month, year and DST edges, rolled up."""
    network = network_build(operator, other_operator)
    rollups_update()
    return network


@pytest.fixture
def analyst(client, operator):
    """An operations analyst of `operator`, signed in on `client`."""
    user = UserFactory(operator=operator, role=Role.ANALYST)
    client.force_login(user)
    return user
