from django.contrib import admin

from .models import Alarm, WorkOrder, WorkOrderEvent


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ("pile", "gun", "error_code", "cause", "severity", "status", "occurred_at", "repeat_count")
    list_filter = ("status", "cause", "severity")
    raw_id_fields = ("pile", "gun")


class WorkOrderEventInline(admin.TabularInline):
    model = WorkOrderEvent
    extra = 0


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "pile", "status", "assignee", "reported_at")
    list_filter = ("status",)
    search_fields = ("number", "problem_description")
    raw_id_fields = ("pile", "source_alarm")
    inlines = [WorkOrderEventInline]
