from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_list, name="create"),
    path("daily/", views.complaint_list, name="daily"),
]
