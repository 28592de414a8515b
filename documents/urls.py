"""Records screens under /records/ (the tree itself is mounted as ``records`` in config/urls)."""

from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("binders/<int:binder_id>/", views.BinderDetailView.as_view(), name="binder"),
    path("documents/<int:document_id>/", views.DocumentDetailView.as_view(), name="detail"),
    path(
        "documents/<int:document_id>/download/",
        views.DocumentDownloadView.as_view(),
        name="download",
    ),
    path(
        "documents/<int:document_id>/extraction/",
        views.ExtractionStatusView.as_view(),
        name="extraction",
    ),
    path("documents/<int:document_id>/preview/", views.PreviewView.as_view(), name="preview"),
    path(
        "documents/<int:document_id>/pages/<int:page>/",
        views.PageImageView.as_view(),
        name="page",
    ),
    path("upload/", views.UploadView.as_view(), name="upload"),
    path("disposal/", views.DisposalDueView.as_view(), name="disposal-due"),
    path("registers/<str:kind>/", views.RegisterView.as_view(), name="register"),
]
