import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chargeops.filtersets import BaseFilterSet, OperatorDaysFilter

from .choices import AuditAction
from .models import AuditEntry


def type_name(content_type: ContentType) -> str:
    model = content_type.model_class()
    # A model since removed from the code has only its content type's name left.
    return str(capfirst(model._meta.verbose_name if model else content_type.name))


def object_types(user, also: str = "") -> list[tuple[int, str]]:
    """The types of object the user's log has entries about, by name; `also` (a content type
    id) joins them, so that the history of an object with no entries yet is an empty list and
    not a refused filter."""
    ids = set(AuditEntry.objects.for_user(user).order_by().values_list("content_type", flat=True).distinct())
    if also.isdigit():
        ids.add(int(also))
    types = ContentType.objects.filter(pk__in=ids)
    return sorted(((content_type.pk, type_name(content_type)) for content_type in types), key=lambda pair: pair[1])


def people(user):
    """Who may appear as the author of the user's entries: their operator's people (platform
    admins: everyone)."""
    if user.operator_id is not None:
        users = User.objects.filter(operator=user.operator_id)
    elif user.is_superuser:
        users = User.objects.all()
    else:
        users = User.objects.none()
    return users.order_by("username")


class AuditEntryFilterSet(BaseFilterSet):
    """Entries by object name or username, action, object type, author and the operator's local
    day; `object_id` with `object_type` is one object's history (the History link of its page)."""

    search_fields = ("object_repr", "username")

    action = django_filters.MultipleChoiceFilter(
        choices=AuditAction.choices, label=_("Action"), widget=forms.CheckboxSelectMultiple
    )
    object_type = django_filters.ChoiceFilter(field_name="content_type", label=_("Object type"))
    user = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("User"))
    day = OperatorDaysFilter(field_name="at", station_path="operator", label=_("Day (operator's time zone)"))
    object_id = django_filters.NumberFilter(widget=forms.HiddenInput, label=_("Object"))

    class Meta:
        model = AuditEntry
        fields = ["q", "action", "object_type", "user", "day", "object_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user
        self.filters["object_type"].extra["choices"] = object_types(user, also=self.data.get("object_type", ""))
        self.filters["user"].queryset = people(user)

    def linked_name(self, name, value):
        """One object's history is named by what its latest entry calls it (the object may be
        gone); an object the log has no entry about yet, by itself where the user may see it,
        else by its id."""
        if name != "object_id" or value is None:
            return super().linked_name(name, value)
        latest = self.qs.first()
        if latest:
            return latest.object_repr
        content_type = ContentType.objects.filter(pk=self.form.cleaned_data.get("object_type") or None).first()
        model = content_type.model_class() if content_type else None
        if model is not None and hasattr(model.objects, "for_user"):
            found = model.objects.for_user(self.request.user).filter(pk=value).first()
            if found is not None:
                return str(found)
        return f"#{value}"
