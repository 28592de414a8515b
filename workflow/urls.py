"""The approval screens (決裁), mounted at /approval/ by config/urls.py."""

from django.urls import include, path

from workflow.disposal import views as disposal_views
from workflow.proposals import absence_views, attachment_views, list_views, views

app_name = "workflow"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("handled/", list_views.handled, name="handled"),
    path("proposals/", list_views.proposals, name="proposals"),
    path("proposals/new/", views.proposal_create, name="proposal-new"),
    path("circulations/new/", views.circulation_create, name="circulation-new"),
    path("proposals/route-preview/", views.route_preview, name="route-preview"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:proposal_id>/edit/", views.proposal_edit, name="proposal-edit"),
    path(
        "proposals/<int:proposal_id>/attachments/",
        attachment_views.attachment_add,
        name="attachment-add",
    ),
    path(
        "proposals/<int:proposal_id>/attachments/<int:attachment_id>/replace/",
        attachment_views.attachment_replace,
        name="attachment-replace",
    ),
    path(
        "proposals/<int:proposal_id>/attachments/<int:attachment_id>/remove/",
        attachment_views.attachment_remove,
        name="attachment-remove",
    ),
    *(
        path(
            f"proposals/<int:proposal_id>/{action}/",
            views.proposal_action,
            {"action": action},
            name=f"proposal-{action}",
        )
        for action in views.PROPOSAL_ACTIONS
    ),
    *(
        path(
            f"tasks/<int:step_id>/{action.replace('_', '-')}/",
            views.task_action,
            {"action": action},
            name=f"task-{action.replace('_', '-')}",
        )
        for action in views.TASK_ACTIONS
    ),
    path(
        "proposals/<int:proposal_id>/approve-ahead/",
        views.proposal_approve_ahead,
        name="proposal-approve-ahead",
    ),
    path("post-reviews/<int:post_review_id>/ack/", views.post_review_ack, name="post-review-ack"),
    path("delegations/", views.delegations, name="delegations"),
    path("people/", views.people_options, name="people-options"),
    path("absences/", absence_views.absence_list, name="absences"),
    path(
        "absences/<int:absence_id>/cancel/",
        absence_views.absence_cancel,
        name="absence-cancel",
    ),
    path(
        "delegations/<int:delegation_id>/revoke/",
        views.delegation_revoke,
        name="delegation-revoke",
    ),
    path("disposals/propose/", disposal_views.disposal_propose, name="disposal-propose"),
    path("dx/", include("workflow.dx.urls")),
    path("kpi/", include("workflow.kpi.urls")),
]
