from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from perception import views
from surveys import views as survey_views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("s/", include("surveys.urls")),
    # Staff pages of the surveys app, outside /s/ so no survey slug can hide them.
    path("import/", survey_views.import_upload, name="import_upload"),
    path("import/<int:pk>/", survey_views.import_mapping, name="import_mapping"),
    path("", include("conversations.urls")),
    path("dashboard/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
