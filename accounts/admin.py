from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Operator, User


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ("name", "currency", "time_zone", "auto_work_orders", "created_at")
    search_fields = ("name",)


@admin.register(User)
class ChargeOpsUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "operator", "is_active", "is_superuser")
    list_filter = ("operator", "groups", "is_active", "is_superuser")
    fieldsets = (*UserAdmin.fieldsets, ("ChargeOps", {"fields": ("operator", "areas")}))
    filter_horizontal = (*UserAdmin.filter_horizontal, "areas")
