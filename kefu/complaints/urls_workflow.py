"""Workflow pages, mounted at ``complaints/work/`` (before ``complaints/``, whose ``<number>/`` would match)."""

from django.urls import path

from . import views_workflow as views

app_name = "complaints_work"
urlpatterns = [
    path("", views.work_list, name="list"),
    path("inquiries/<int:pk>/answer/", views.answer_inquiry, name="answer-inquiry"),
    path("<str:number>/panel/", views.panel, name="panel"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
]
