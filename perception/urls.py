"""The root URLconf: each app brings its own routes (included by name, so this package
imports no app)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from perception import views

administration = (
    [
        path("", views.index, name="index"),
        path("staff/", views.staff, name="staff"),
        path("staff/invite/", views.staff_invite, name="staff_invite"),
        path("staff/<int:pk>/", views.staff_member, name="staff_member"),
        path("staff/<int:pk>/active/", views.staff_active, name="staff_active"),
        path("staff/<int:pk>/reinvite/", views.staff_reinvite, name="staff_reinvite"),
        path("departments/", views.departments, name="departments"),
        path("departments/new/", views.department_edit, name="department_new"),
        path("departments/<int:pk>/", views.department_edit, name="department_edit"),
        path("departments/<int:pk>/delete/", views.department_delete, name="department_delete"),
        path("settings/", views.site_settings, name="site_settings"),
    ],
    "administration",
)

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Invited staff choose their password here (Django's password-reset tokens).
    path(
        "accounts/password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("administration/", include(administration)),
    path("", include("surveys.urls")),
    path("", include("conversations.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
