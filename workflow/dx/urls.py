"""The DX action plan screens, mounted at /approval/dx/ by workflow/urls.py."""

from django.urls import path

from workflow.dx import views

app_name = "dx"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="new"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/edit/", views.plan_edit, name="edit"),
    *(
        path(f"<int:plan_id>/{action}/", views.plan_action, {"action": action}, name=action)
        for action in views.ACTIONS
    ),
]
