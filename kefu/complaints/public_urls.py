from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("complaint/", views.complaint_list, name="complaint-form"),
]
