"""The project draws selects and table rows in Python instead of Django's and django-tables2's
templates (they cost a template lookup per option or cell). These tests hold the fast paths to
the templates' own output, markup for markup."""

import re
from decimal import Decimal

import django_tables2 as tables
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.html import format_html

from chargeops.forms import FormRenderer


def markup(html: str) -> str:
    """HTML without the whitespace between tags and inside them."""
    html = re.sub(r">\s+", ">", re.sub(r"\s+<", "<", str(html)))
    return re.sub(r"\s+", " ", html).replace(" >", ">")


class ChoiceForm(forms.Form):
    plain = forms.ChoiceField(choices=[("", "All"), ("a&b", 'A <b> & "c"'), ("x", "X")], required=False)
    grouped = forms.ChoiceField(choices=[("Group <1>", [("g1", "G1"), ("g2", "G2")]), ("z", "Z")])
    several = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, "three")])
    maybe = forms.NullBooleanField()


@pytest.mark.parametrize("data", [{}, {"plain": "a&b", "grouped": "g2", "several": ["1", "3"], "maybe": "false"}])
def test_a_select_drawn_in_python_is_djangos_select(data):
    ours, djangos = (
        ChoiceForm(data or None, renderer=FormRenderer()),
        ChoiceForm(data or None, renderer=DjangoTemplates()),
    )
    for name in ours.fields:
        assert markup(ours[name]) == markup(djangos[name]), name
    assert "&lt;b&gt; &amp; &quot;c&quot;" in str(ours["plain"])


class Row(tables.Table):
    name = tables.Column(attrs={"td": {"class": "name"}})
    amount = tables.Column(attrs={"td": {"class": lambda record: "big" if record["amount"] > 10 else "small"}})
    link = tables.Column(empty_values=())

    def render_link(self, record):
        return format_html('<a href="/x/{}">{}</a>', record["name"], "open")


def test_table_rows_drawn_in_python_are_the_tables_template_rows():
    data = [{"name": "<script>", "amount": 12.5}, {"name": "B & C", "amount": 3}, {"name": "D", "amount": None}]
    request = RequestFactory().get("/")
    for template in ("chargeops/partials/table.html", "django_tables2/table.html"):
        table = Row(data, template_name=template)
        table.paginate(per_page=2)
        html = Template("{% load django_tables2 %}{% render_table table %}").render(
            Context({"table": table, "request": request})
        )
        rows = re.search(r"<tbody[^>]*>(.*)</tbody>", html, re.S).group(1)
        if template.startswith("chargeops"):
            ours = rows
        else:
            theirs = rows
    assert markup(ours) == markup(theirs)
    assert "&lt;script&gt;" in ours and 'class="big"' in ours and 'class="small"' in ours


def test_table_numbers_have_their_thousands_grouped():
    table = Row([{"name": "A", "amount": Decimal("12705.546")}, {"name": "B", "amount": 1234567}])
    html = Template("{% load django_tables2 %}{% render_table table %}").render(
        Context({"table": table, "request": RequestFactory().get("/")})
    )
    assert ">12,705.546<" in html and ">1,234,567<" in html
