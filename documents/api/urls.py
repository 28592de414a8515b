"""Records endpoints under /api/v1/ (see CONTRACT.md "Documents")."""

from django.urls import path

from documents.api import binders, views

app_name = "documents_api"

urlpatterns = [
    path("documents/", views.DocumentCreateApi.as_view(), name="document-create"),
    path("documents/<int:document_id>/", views.DocumentDetailApi.as_view(), name="document"),
    path(
        "documents/<int:document_id>/versions/",
        views.DocumentVersionCreateApi.as_view(),
        name="document-versions",
    ),
    path(
        "documents/<int:document_id>/download/",
        views.DocumentDownloadApi.as_view(),
        name="document-download",
    ),
    path(
        "documents/<int:document_id>/file/", views.DocumentFileApi.as_view(), name="document-file"
    ),
    path("binders/", binders.BinderListCreateApi.as_view(), name="binders"),
    path("binders/<int:binder_id>/", binders.BinderDetailApi.as_view(), name="binder"),
    path("binders/<int:binder_id>/close/", binders.BinderCloseApi.as_view(), name="binder-close"),
    path(
        "binders/<int:binder_id>/legal-hold/",
        binders.BinderLegalHoldApi.as_view(),
        name="binder-legal-hold",
    ),
    path(
        "binders/<int:binder_id>/proposals/",
        binders.BinderProposalFileApi.as_view(),
        name="binder-proposals",
    ),
    path(
        "binders/<int:binder_id>/transfer/",
        binders.BinderTransferApi.as_view(),
        name="binder-transfer",
    ),
    path(
        "binders/<int:binder_id>/dispose/",
        binders.BinderDisposeApi.as_view(),
        name="binder-dispose",
    ),
    path("disposal/due/", binders.DisposalDueApi.as_view(), name="disposal-due"),
    path("registers/incoming/", binders.IncomingRegisterApi.as_view(), name="register-incoming"),
    path("registers/outgoing/", binders.OutgoingRegisterApi.as_view(), name="register-outgoing"),
]
