from django.urls import path

from . import views

app_name = "requirements"
urlpatterns = [
    path("", views.requirement_list, name="list"),
    path("new/", views.requirement_create, name="create"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist.xlsx", views.checklist_xlsx, name="checklist-xlsx"),
    path("hsf/", views.hsf, name="hsf"),
    path("hsf/change/", views.change_cycle, name="change-cycle"),
    path("hsf/<str:number>/", views.cycle_detail, name="cycle"),
    path("customer/<str:code>/files/", views.files_add, name="files-add"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("<str:number>/", views.requirement_detail, name="detail"),
]
