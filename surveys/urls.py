from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("i/<str:token>/", views.personal_link, name="personal_link"),
    path("<slug:slug>/", views.open_link, name="open_link"),
    path("<slug:slug>/thanks/", views.thanks, name="thanks"),
]
