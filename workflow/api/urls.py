"""Approval endpoints under /api/v1/ (see CONTRACT.md "Approval")."""

from django.urls import path

from workflow.disposal import api as disposal_api
from workflow.proposals import api as views
from workflow.proposals import api_attachments as attachments

app_name = "workflow_api"

urlpatterns = [
    path("proposals/", views.ProposalCreateApi.as_view(), name="proposal-create"),
    path("disposals/", disposal_api.DisposalCreateApi.as_view(), name="disposal-create"),
    path("circulations/", views.CirculationCreateApi.as_view(), name="circulation-create"),
    path("proposals/<int:proposal_id>/", views.ProposalDetailApi.as_view(), name="proposal"),
    path(
        "proposals/<int:proposal_id>/attachments/",
        attachments.ProposalAttachmentListApi.as_view(),
        name="proposal-attachments",
    ),
    path(
        "proposals/<int:proposal_id>/attachments/<int:attachment_id>/",
        attachments.ProposalAttachmentApi.as_view(),
        name="proposal-attachment",
    ),
    path(
        "proposals/<int:proposal_id>/attachments/<int:attachment_id>/versions/",
        attachments.ProposalAttachmentVersionApi.as_view(),
        name="proposal-attachment-version",
    ),
    path("proposals/<int:proposal_id>/pdf/", views.ProposalPdfApi.as_view(), name="proposal-pdf"),
    path(
        "proposals/<int:proposal_id>/issue-letter/",
        views.ProposalIssueLetterApi.as_view(),
        name="proposal-issue-letter",
    ),
    path(
        "proposals/<int:proposal_id>/submit/",
        views.ProposalSubmitApi.as_view(),
        name="proposal-submit",
    ),
    path(
        "proposals/<int:proposal_id>/withdraw/",
        views.ProposalWithdrawApi.as_view(),
        name="proposal-withdraw",
    ),
    path(
        "proposals/<int:proposal_id>/cancel/",
        views.ProposalCancelApi.as_view(),
        name="proposal-cancel",
    ),
    path(
        "proposals/<int:proposal_id>/approve-ahead/",
        views.ProposalApproveAheadApi.as_view(),
        name="proposal-approve-ahead",
    ),
    path("tasks/", views.TaskListApi.as_view(), name="tasks"),
    path("tasks/<int:task_id>/approve/", views.TaskApproveApi.as_view(), name="task-approve"),
    path("tasks/<int:task_id>/send-back/", views.TaskSendBackApi.as_view(), name="task-send-back"),
    path("tasks/<int:task_id>/reject/", views.TaskRejectApi.as_view(), name="task-reject"),
    path("delegations/", views.DelegationCreateApi.as_view(), name="delegation-create"),
    path("delegations/<int:delegation_id>/", views.DelegationApi.as_view(), name="delegation"),
    path("post-reviews/", views.PostReviewListApi.as_view(), name="post-reviews"),
    path(
        "post-reviews/<int:post_review_id>/ack/",
        views.PostReviewAckApi.as_view(),
        name="post-review-ack",
    ),
]
