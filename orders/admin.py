from django.contrib import admin

from .models import ChargingOrder, Tariff, TariffPeriod


class TariffPeriodInline(admin.TabularInline):
    model = TariffPeriod
    extra = 0


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("name", "operator")
    inlines = [TariffPeriodInline]


@admin.register(ChargingOrder)
class ChargingOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "station", "pile", "started_at", "energy_kwh", "amount", "status")
    list_filter = ("status", "payment_method")
    search_fields = ("number",)
    raw_id_fields = ("station", "pile", "gun", "id_tag")
    date_hierarchy = "started_at"
