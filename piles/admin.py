from django.contrib import admin

from .models import Gun, IdTag, Pile


class GunInline(admin.TabularInline):
    model = Gun
    extra = 0


@admin.register(Pile)
class PileAdmin(admin.ModelAdmin):
    list_display = ("name", "charge_point_id", "station", "manufacturer", "model", "usage_state")
    list_filter = ("usage_state", "charging_method", "station__area__operator")
    search_fields = ("name", "charge_point_id")
    inlines = [GunInline]


@admin.register(IdTag)
class IdTagAdmin(admin.ModelAdmin):
    list_display = ("id_tag", "holder", "operator", "status", "expires_at")
    list_filter = ("operator", "status")
    search_fields = ("id_tag", "holder")
