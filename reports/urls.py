from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/how-to-read/", views.how_to_read, name="how_to_read"),
    path("dashboard/chart.svg", views.chart, name="chart"),
    path("dashboard/themes/<int:pk>/", views.theme, name="theme"),
    path("dashboard/gap/", views.gap_page, name="gap"),
    path("dashboard/gap/chart.svg", views.gap_chart, name="gap_chart"),
    path("dashboard/drivers/", views.drivers_page, name="drivers"),
    path("dashboard/drivers/chart.svg", views.drivers_chart, name="drivers_chart"),
    path("dashboard/export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("dashboard/export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("dashboard/responses.csv", views.responses_export, {"fmt": "csv"}, name="responses_csv"),
    path("dashboard/responses.xlsx", views.responses_export, {"fmt": "xlsx"}, name="responses_xlsx"),
    path("dashboard/actions/", views.actions_impact, name="actions_impact"),
    path("dashboard/actions/<int:pk>/chart.svg", views.action_impact_chart, name="action_impact_chart"),
    path("dashboard/monthly/", views.monthly_preview, name="monthly"),
    path("dashboard/monthly/send/", views.monthly_send, name="monthly_send"),
    path("dashboard/monthly/test/", views.monthly_test, name="monthly_test"),
    path("dashboard/monthly/history/", views.monthly_history, name="monthly_history"),
    path("dashboard/monthly/history/<int:pk>/", views.monthly_report, name="monthly_report"),
    path("dashboard/monthly/settings/", views.monthly_settings, name="monthly_settings"),
    path("dashboard/monthly/service-metrics/", views.service_metrics_upload, name="service_metrics"),
]
