from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    # Public pages, under /s/.
    path("s/i/<str:token>/", views.personal_link, name="personal_link"),
    path("s/<slug:slug>/", views.open_link, name="open_link"),
    path("s/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("s/o/<str:token>/", views.opt_out, name="opt_out"),
    # Staff pages, outside /s/ so no survey slug can hide them.
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_mapping, name="import_mapping"),
    path("import/<int:pk>/status/", views.import_status, name="import_status"),
    path("coding/", views.coding, name="coding"),
    path("coding/unskip/", views.coding_unskip, name="coding_unskip"),
    path("coding/several/", views.coding_bulk, name="coding_bulk"),
    path(
        "surveys/<slug:slug>/waves/<int:wave_id>/invitations/",
        views.wave_invitations,
        name="wave_invitations",
    ),
    path(
        "surveys/<slug:slug>/waves/<int:wave_id>/invitations/new/",
        views.wave_invitations_new,
        name="wave_invitations_new",
    ),
    path(
        "surveys/<slug:slug>/waves/<int:wave_id>/invitations/reminders/",
        views.wave_reminders,
        name="wave_reminders",
    ),
]
