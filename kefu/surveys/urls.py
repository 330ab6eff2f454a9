from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("plan/", views.plan, name="plan"),
    path("new/", views.round_create, name="round-create"),
    path("trend/", views.trend, name="trend"),
    path("forms/<int:pk>/enter/", views.form_entry, name="form-entry"),
    path("forms/<int:pk>/link/", views.form_link, name="form-link"),
    # the customer's personal link: no account (views.answer)
    path("answer/thanks/", views.answer_thanks, name="answer-thanks"),
    path("answer/<str:token>/", views.answer, name="answer"),
    path("<str:number>/", views.round_detail, name="round"),
    path("<str:number>/sheet/", views.score_sheet, name="sheet"),
    path("<str:number>/sheet.xlsx", views.score_sheet_xlsx, name="xlsx"),
    path("<str:number>/figures/", views.figures, name="figures"),
    path("<str:number>/links/", views.send_links, name="send-links"),
    path("<str:number>/customers/<str:code>/", views.customer_sheet, name="customer-sheet"),
    path("<str:number>/competitors/", views.competitors, name="competitors"),
    path("<str:number>/competitors/new/", views.competitor_entry, name="competitor-entry"),
]
