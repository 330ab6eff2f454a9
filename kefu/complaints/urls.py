from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_create, name="create"),
    path("daily/", views.daily, name="daily"),
    path("customer-options/", views.customer_options, name="customer-options"),
    path("<str:number>/", views.complaint_detail, name="detail"),
    path("<str:number>/attachments/", views.attachment_add, name="attachment-add"),
    path("<str:number>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<str:number>/customer/", views.reassign_customer, name="reassign-customer"),
]
