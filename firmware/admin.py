from django.contrib import admin

from .models import FirmwarePackage, FirmwareUpgrade, UpgradeTarget


@admin.register(FirmwarePackage)
class FirmwarePackageAdmin(admin.ModelAdmin):
    list_display = ("manufacturer", "model", "version", "operator", "size", "created_at")
    list_filter = ("operator",)
    search_fields = ("manufacturer", "model", "version", "file_name")
    readonly_fields = ("file_name", "checksum", "size")


class UpgradeTargetInline(admin.TabularInline):
    model = UpgradeTarget
    extra = 0
    fields = ("pile", "status", "reason", "previous_version", "sent_at", "status_changed_at")
    readonly_fields = fields
    can_delete = False


@admin.register(FirmwareUpgrade)
class FirmwareUpgradeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "started_by", "created_at", "cancelled_at")
    list_filter = ("package__operator",)
    readonly_fields = ("package", "started_by", "created_at", "cancelled_by", "cancelled_at")
    inlines = [UpgradeTargetInline]
