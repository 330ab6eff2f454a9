from django.urls import path

from . import views

app_name = "capa"
urlpatterns = [
    path("", views.capa_list, name="list"),
    path("new/", views.capa_create, name="create"),
    path("analysis/", views.analysis, name="analysis"),
    path("<str:number>/", views.capa_detail, name="detail"),
    path("<str:number>/8d.pdf", views.report_pdf, name="pdf"),
    path("<str:number>/8d.xlsx", views.report_xlsx, name="xlsx"),
    path("<str:number>/attachments/", views.attachment_add, name="attachment-add"),
    path("<str:number>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
