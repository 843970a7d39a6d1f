"""Every operator-owned model reads through for_user(): its path to the operator is valid, a
platform admin sees every operator, an operator's user sees only their own, and a user without
an operator sees nothing."""

import pytest
from django.apps import apps

from chargeops.models import ScopedModel

from .factories import UserFactory

SCOPED_MODELS = [model for model in apps.get_models() if issubclass(model, ScopedModel)]


def test_every_domain_model_is_scoped():
    names = {model._meta.label for model in SCOPED_MODELS}
    for label in [
        "stations.Area",
        "stations.Station",
        "piles.Pile",
        "piles.Gun",
        "orders.ChargingOrder",
        "maintenance.Alarm",
        "maintenance.WorkOrder",
        "analytics.StationDaily",
    ]:
        assert label in names


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m._meta.label)
def test_for_user_follows_the_operator_path(model, operator, other_operator, admin_user, platform_admin):
    nobody = UserFactory(operator=None)
    field_path = model.operator_path
    assert str(model.objects.for_user(admin_user).query)  # the path resolves to a real join
    assert list(model.objects.for_user(nobody)) == []
    assert model.objects.for_user(platform_admin).count() == model.objects.count()
    own = model.objects.for_user(admin_user)
    assert not own.filter(**{field_path: other_operator.pk}).exists()
