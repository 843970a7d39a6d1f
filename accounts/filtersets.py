import django_filters
from django.utils.translation import gettext_lazy as _

from chargeops.filtersets import BaseFilterSet

from .choices import UserStatus
from .models import Operator, Role, User


class UserFilterSet(BaseFilterSet):
    search_fields = ("username", "first_name", "last_name", "email")

    role = django_filters.ModelChoiceFilter(
        queryset=Role.objects.select_related("operator"), field_name="groups__role", label=_("Role")
    )
    status = django_filters.ChoiceFilter(choices=UserStatus.choices, method="filter_status", label=_("Status"))
    operator = django_filters.ModelChoiceFilter(queryset=Operator.objects.all(), label=_("Operator"))

    class Meta:
        model = User
        fields = ["q", "role", "status", "operator"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.request.user.is_platform_admin:
            # An operator's people are all of one operator.
            del self.filters["operator"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(is_active=value == UserStatus.ACTIVE)


class RoleFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Role
        fields = ["q"]


class OperatorFilterSet(BaseFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Operator
        fields = ["q"]
