from django.contrib import admin

from reports.models import MonthlyReport, ReportSettings, ServiceMetric


@admin.register(ServiceMetric)
class ServiceMetricAdmin(admin.ModelAdmin):
    list_display = ["month", "name", "value", "unit"]
    list_filter = ["name"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["period", "subject", "status", "sent_at"]
    readonly_fields = [
        "period",
        "subject",
        "body_text",
        "body_html",
        "metrics",
        "recipients",
        "sent_at",
        "created",
    ]


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return not ReportSettings.objects.exists()
