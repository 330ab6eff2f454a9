from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("complaint/", views.public_form, name="complaint-form"),
    path("complaint/thanks/", views.public_thanks, name="complaint-thanks"),
    path("complaint/status/", views.public_status, name="complaint-status"),
]
