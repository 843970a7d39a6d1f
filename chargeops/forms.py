"""Form bases that keep every choice inside the signed-in user's operator."""

from django import forms
from django.forms.models import BaseInlineFormSet


def scope_choice_fields(fields, user) -> None:
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_user"):
            field.queryset = queryset.for_user(user)


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose related-object choices list only the user's operator's rows, so a
    forged id of another operator's area or station is refused as an invalid choice."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope_choice_fields(self.fields, user)


class ScopedInlineFormSet(BaseInlineFormSet):
    """An inline formset (a pile's guns) whose rows reach the services as plain dicts."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def cleaned_rows(self) -> list[dict]:
        rows = []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            row = dict(form.cleaned_data)
            row["DELETE"] = bool(row.get("DELETE"))
            row.pop(self.fk.name, None)
            rows.append(row)
        return rows
