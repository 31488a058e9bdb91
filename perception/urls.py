"""The root URLconf: each app brings its own routes (included by name, so this package
imports no app)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("surveys.urls")),
    path("", include("conversations.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
