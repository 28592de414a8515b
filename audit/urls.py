"""The auditor's pages, mounted at ``audit/`` by config/urls.py (namespace ``audit``)."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="index"),
    path("verify/", views.chain_verify_view, name="verify"),
    path("export.csv", views.event_export, name="export"),
    path("trail/<str:target_type>/<str:target_id>/", views.trail, name="trail"),
]
