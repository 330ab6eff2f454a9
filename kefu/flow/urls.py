"""The engine's pages, mounted at ``work/``."""

from django.urls import path

from . import views

app_name = "flow"
urlpatterns = [
    path("", views.work_list, name="work"),
    path("inquiries/<int:pk>/answer/", views.answer_inquiry, name="answer-inquiry"),
    path("<str:record_type>/<str:key>/panel/", views.panel, name="panel"),
    path("<str:record_type>/<str:key>/act/<str:action>/", views.act, name="act"),
]
