from django.urls import path

from conversations import views

app_name = "conversations"
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/import/", views.people_import, name="people_import"),
    path("people/new/", views.person_edit, name="person_new"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/erase/", views.person_erase, name="person_erase"),
    path("conversations/", views.conversations, name="conversations"),
    path("conversations/new/", views.conversation_edit, name="conversation_new"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("conversations/<int:pk>/edit/", views.conversation_edit, name="conversation_edit"),
    path("conversations/<int:pk>/notes/", views.note_add, name="note_add"),
    path("conversations/<int:pk>/notes/<int:note_pk>/edit/", views.note_edit, name="note_edit"),
    path("conversations/<int:pk>/notes/<int:note_pk>/delete/", views.note_delete, name="note_delete"),
    path("capture/", views.quick_capture, name="capture"),
    path("themes/", views.themes, name="themes"),
    path("themes/new/", views.theme_edit, name="theme_new"),
    path("themes/merge/", views.theme_merge, name="theme_merge"),
    path("themes/merges/<int:pk>/undo/", views.theme_merge_undo, name="theme_merge_undo"),
    path("themes/import/", views.codebook_import, name="codebook_import"),
    path("themes/codebook.csv", views.codebook_export, name="codebook_export"),
    path("themes/<int:pk>/", views.theme, name="theme"),
    path("themes/<int:pk>/edit/", views.theme_edit, name="theme_edit"),
    path("actions/", views.actions, name="actions"),
    path("actions/new/", views.action_edit, name="action_new"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
]
