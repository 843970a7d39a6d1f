import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from chargeops.tables import BaseTable, LocalTimeColumn
from chargeops.templatetags.chargeops import money

from .models import Driver, LedgerEntry

NUMBER = {"td": {"class": "number"}, "th": {"class": "number"}}


class MoneyColumn(tables.Column):
    """An amount in the currency of the row's operator (`currency_accessor` leads to it);
    exported as the number alone."""

    def __init__(self, *args, currency_accessor="operator__currency", **kwargs):
        kwargs.setdefault("attrs", NUMBER)
        super().__init__(*args, **kwargs)
        self.currency_accessor = tables.A(currency_accessor)

    def render(self, value, record):
        return money(value, self.currency_accessor.resolve(record, quiet=True))

    def value(self, value):
        return value


class DriverTable(BaseTable):
    email = tables.Column(
        accessor="user__email", verbose_name=_("E-mail"), linkify=lambda record: record.get_absolute_url()
    )
    id_tag = tables.Column(accessor="id_tag__id_tag", verbose_name=_("Id tag"), attrs={"td": {"class": "nowrap"}})
    balance = MoneyColumn()
    order_count = tables.Column(verbose_name=_("Orders"), attrs=NUMBER)
    last_charge = LocalTimeColumn(verbose_name=_("Last charge"), tz_accessor="operator__time_zone", default="—")
    created_at = LocalTimeColumn(verbose_name=_("Registered"), tz_accessor="operator__time_zone")

    class Meta(BaseTable.Meta):
        model = Driver
        fields = ("email", "id_tag", "balance", "order_count", "last_charge", "created_at")


class LedgerTable(BaseTable):
    """A driver's wallet entries, newest first, at the times of the operator's time zone."""

    created_at = LocalTimeColumn(tz_accessor="driver__operator__time_zone")
    amount = MoneyColumn(currency_accessor="driver__operator__currency")
    balance_after = MoneyColumn(currency_accessor="driver__operator__currency")
    order = tables.Column(linkify=True, default="—", attrs={"td": {"class": "nowrap"}})
    note = tables.Column(default="—", attrs={"td": {"class": "text-cell"}})
    created_by = tables.Column(default="—")

    class Meta(BaseTable.Meta):
        model = LedgerEntry
        fields = ("created_at", "kind", "amount", "balance_after", "order", "note", "created_by")
        orderable = False
        empty_text = _("No wallet entries yet.")
