from django.urls import path

from . import views

app_name = "audits"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("new/", views.audit_create, name="create"),
    path("<str:number>/", views.audit_detail, name="detail"),
    path("<str:number>/report.pdf", views.report_pdf, name="pdf"),
    path("<str:number>/nonconformities/", views.nonconformity_add, name="nc-add"),
    path("<str:number>/attachments/", views.attachment_add, name="attachment-add"),
    path("<str:number>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
