from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart.svg", views.chart, name="chart"),
    path("themes/<int:pk>/", views.theme, name="theme"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("responses.csv", views.responses_export, {"fmt": "csv"}, name="responses_csv"),
    path("responses.xlsx", views.responses_export, {"fmt": "xlsx"}, name="responses_xlsx"),
]
