from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("how-to-read/", views.how_to_read, name="how_to_read"),
    path("chart.svg", views.chart, name="chart"),
    path("themes/<int:pk>/", views.theme, name="theme"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("responses.csv", views.responses_export, {"fmt": "csv"}, name="responses_csv"),
    path("responses.xlsx", views.responses_export, {"fmt": "xlsx"}, name="responses_xlsx"),
    path("monthly/", views.monthly_preview, name="monthly"),
    path("monthly/send/", views.monthly_send, name="monthly_send"),
    path("monthly/history/", views.monthly_history, name="monthly_history"),
    path("monthly/settings/", views.monthly_settings, name="monthly_settings"),
    path("monthly/service-metrics/", views.service_metrics_upload, name="service_metrics"),
]
