"""Form bases that keep every choice inside the signed-in user's operator."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .views import model_permission, model_url

# The days a date filter accepts: wider than any network's history, and far enough from the
# calendar's ends that the periods a statistic compares with (the range before it, the year
# before) and each day's closing midnight are still dates.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


class DayInput(forms.DateInput):
    """A day picked from the browser's calendar. `<input type="date">` holds its value as
    2026-11-24 whatever the page's language; the Chinese format (2026/11/24) would leave the
    box empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def validate_day(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            gettext_lazy("Choose a day from %(first)s to %(last)s."),
            code="day_out_of_range",
            params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )


class FormRenderer(DjangoTemplates):
    """Django's form renderer, except that a <select> is drawn here: its templates render two
    more templates per option, and the station filter of a large network has hundreds of
    options on every statistics and list page."""

    def render(self, template_name, context, request=None):
        if template_name == "django/forms/widgets/select.html":
            return select_html(context["widget"])
        return super().render(template_name, context, request)


def select_html(widget: dict) -> str:
    """The HTML of Django's select template for a widget's context, every value and label
    escaped."""
    html = [f'<select name="{escape(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(f'<optgroup label="{escape(group_name)}">')
        for option in options:
            html.append(
                f'<option value="{escape(option["value"])}"{attributes(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>"
            )
        if group_name:
            html.append("</optgroup>")
    html.append("</select>")
    return mark_safe("".join(html))


def attributes(attrs: dict) -> str:
    """Django's widget attributes template: in order, False left out, True as a bare name."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def scope_choice_fields(fields, user) -> None:
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_user"):
            field.queryset = queryset.for_user(user)
            if field.required and not field.queryset.exists():
                # A new operator's first station needs an area first: say so where it is asked.
                model = field.queryset.model
                add_url = model_url(model, "add")
                text = _("There is no %(model)s yet.") % {"model": model._meta.verbose_name}
                if add_url and user.has_perm(model_permission(model, "add")):
                    text = format_html('{} <a href="{}">{}</a>', text, add_url, _("Add one first."))
                field.help_text = text


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

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Django's hidden id field accepts any row of the model; only the parent's own rows may
        # be named, so a forged id of another pile's (or operator's) gun is an invalid choice.
        form.fields[self._pk_field.name].queryset = self.get_queryset()

    def cleaned_rows(self) -> list[dict]:
        """The submitted rows; `id` is the existing row being changed (never a forged one)."""
        rows = []
        for form in self.forms:
            existing = form.instance if form.instance.pk else None
            if not form.has_changed() and existing is None:
                continue
            row = dict(form.cleaned_data)
            row["id"] = existing
            row["DELETE"] = bool(row.get("DELETE"))
            row.pop(self.fk.name, None)
            rows.append(row)
        return rows


class ImportForm(forms.Form):
    """A filled-in template to check and, once its preview is confirmed, import."""

    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
    update_existing = forms.BooleanField(required=False)

    def __init__(self, *args, user, importer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("The template, filled in: one row per %(noun)s.") % {"noun": importer.noun}
        if user.has_perm(importer.permission("change")):
            self.fields["update_existing"].label = importer.update_label
            self.fields["update_existing"].help_text = importer.update_help
        else:
            del self.fields["update_existing"]
