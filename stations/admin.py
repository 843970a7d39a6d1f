from django.contrib import admin

from .models import Area, Station


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "operator")
    list_filter = ("operator",)
    search_fields = ("name",)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "address", "time_zone")
    list_filter = ("area__operator",)
    search_fields = ("name", "address")
