"""Screens of the directory app under /directory/: the org chart and reorganisations."""

from django.urls import path

from directory import reorg_views

app_name = "directory"

urlpatterns = [
    path("org/", reorg_views.org_chart_view, name="org-chart"),
    path("org/<int:unit_id>/", reorg_views.org_unit_view, name="org-unit"),
    path("reorganisations/", reorg_views.reorg_list_view, name="reorg-list"),
    path("reorganisations/<int:reorg_id>/", reorg_views.reorg_detail_view, name="reorg-detail"),
    path(
        "reorganisations/<int:reorg_id>/<slug:action>/",
        reorg_views.reorg_action_view,
        name="reorg-action",
    ),
]
