from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("import/", views.customer_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("export/", views.customer_export, name="export"),
    path("<str:code>/", views.customer_detail, name="detail"),
    path("<str:code>/edit/", views.customer_edit, name="edit"),
    path("<str:code>/grade/", views.customer_grade, name="grade"),
    path("<str:code>/grants/", views.customer_grant, name="grant"),
    path("<str:code>/grants/<str:username>/revoke/", views.customer_revoke, name="revoke"),
]
