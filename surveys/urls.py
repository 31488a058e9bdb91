from django.urls import path

from surveys import builder_views, views

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
    # The survey builder (managers).
    path("surveys/", builder_views.builder_list, name="builder_list"),
    path("surveys/new/", builder_views.survey_new, name="survey_new"),
    path("surveys/<slug:slug>/", builder_views.survey_builder, name="builder"),
    path("surveys/<slug:slug>/settings/", builder_views.survey_settings, name="survey_settings"),
    path("surveys/<slug:slug>/publish/", builder_views.survey_publish, name="survey_publish"),
    path("surveys/<slug:slug>/share/", builder_views.survey_share, name="survey_share"),
    path("surveys/<slug:slug>/preview/", builder_views.survey_preview, name="survey_preview"),
    path("surveys/<slug:slug>/questions/new/", builder_views.question_new, name="question_new"),
    path("surveys/<slug:slug>/questions/<int:pk>/", builder_views.question_edit, name="question_edit"),
    path("surveys/<slug:slug>/questions/<int:pk>/move/", builder_views.question_move, name="question_move"),
    path(
        "surveys/<slug:slug>/questions/<int:pk>/remove/",
        builder_views.question_remove,
        name="question_remove",
    ),
    path("surveys/<slug:slug>/waves/new/", builder_views.wave_new, name="wave_new"),
    path("surveys/<slug:slug>/waves/<int:wave_id>/", builder_views.wave_detail, name="wave"),
    path(
        "surveys/<slug:slug>/waves/<int:wave_id>/self-view/",
        builder_views.wave_self_view,
        name="wave_self_view",
    ),
    path("surveys/<slug:slug>/waves/<int:wave_id>/qr.svg", builder_views.wave_qr, name="wave_qr"),
    path("surveys/<slug:slug>/waves/<int:wave_id>/flyer/", builder_views.wave_flyer, name="wave_flyer"),
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
