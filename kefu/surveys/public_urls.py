"""The customer's personal answer link, no account (mounted at /s/)."""

from django.urls import path

from . import views

app_name = "survey_public"
urlpatterns = [
    path("thanks/", views.answer_thanks, name="thanks"),
    path("<str:token>", views.answer, name="answer"),
]
