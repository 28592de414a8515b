"""The KPI dashboard of the DX推進委員会, mounted at /approval/kpi/ by workflow/urls.py."""

from django.urls import path

from workflow.kpi import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<str:table>.csv", views.table_csv, name="csv"),
]
