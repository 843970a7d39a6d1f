from django.contrib import admin

from .models import ChargeRequest, Driver, LedgerEntry, TopUp


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money moves only through `drivers.services`, which keeps each balance the sum of its
    ledger: the admin shows these records and changes none of them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    fields = ("created_at", "kind", "amount", "balance_after", "order", "note", "created_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Driver)
class DriverAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "operator", "id_tag", "balance", "created_at")
    list_filter = ("operator",)
    search_fields = ("user__email", "id_tag__id_tag")
    list_select_related = ("user", "operator", "id_tag")
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "driver", "kind", "amount", "balance_after", "order", "created_by")
    list_filter = ("kind", "driver__operator")
    search_fields = ("driver__user__email", "order__number", "note")
    list_select_related = ("driver__user", "order", "created_by")


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ("created", "driver", "total", "currency", "status", "transaction_id")
    list_filter = ("status", "variant")
    search_fields = ("driver__user__email", "transaction_id", "token")
    list_select_related = ("driver__user",)


@admin.register(ChargeRequest)
class ChargeRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "driver", "gun", "order")
    search_fields = ("driver__user__email", "order__number")
    list_select_related = ("driver__user", "gun__pile", "order")
