"""Chat endpoints under /api/v1/chat/ (CONTRACT.md "Chat")."""

from django.urls import path

from chat.api import views

app_name = "chat_api"

urlpatterns = [
    path("chat/rooms/", views.RoomListCreateApi.as_view(), name="rooms"),
    path("chat/rooms/<int:room_id>/", views.RoomDetailApi.as_view(), name="room"),
    path(
        "chat/rooms/<int:room_id>/messages/",
        views.MessageListCreateApi.as_view(),
        name="messages",
    ),
    path(
        "chat/rooms/<int:room_id>/attachments/",
        views.AttachmentUploadApi.as_view(),
        name="attachments",
    ),
    path(
        "chat/messages/<int:message_id>/attachment/",
        views.AttachmentDownloadApi.as_view(),
        name="attachment",
    ),
    path("chat/rooms/<int:room_id>/members/", views.RoomMemberAddApi.as_view(), name="members"),
    path(
        "chat/rooms/<int:room_id>/members/<str:username>/",
        views.RoomMemberRemoveApi.as_view(),
        name="member",
    ),
    path(
        "chat/proposal-card/<int:proposal_id>/",
        views.ProposalCardApi.as_view(),
        name="proposal-card",
    ),
    path("chat/export/", views.ComplianceExportApi.as_view(), name="export"),
    path("chat/legal-holds/", views.LegalHoldListCreateApi.as_view(), name="legal-holds"),
    path(
        "chat/legal-holds/<int:hold_id>/release/",
        views.LegalHoldReleaseApi.as_view(),
        name="legal-hold-release",
    ),
    path("chat/rooms/<int:room_id>/file/", views.FileAsRecordApi.as_view(), name="file"),
    path("chat/must-read/", views.MandatoryStatusApi.as_view(), name="must-read"),
    path(
        "chat/messages/<int:message_id>/remind/",
        views.MandatoryRemindApi.as_view(),
        name="remind",
    ),
    path("chat/direct/", views.DirectRoomApi.as_view(), name="direct"),
    path("chat/messages/<int:message_id>/", views.MessageDetailApi.as_view(), name="message"),
    path("chat/messages/<int:message_id>/read/", views.MessageReadApi.as_view(), name="read"),
    path(
        "chat/messages/<int:message_id>/receipts/",
        views.MessageReceiptsApi.as_view(),
        name="receipts",
    ),
    path(
        "chat/messages/<int:message_id>/mandatory/",
        views.MessageMandatoryApi.as_view(),
        name="mandatory",
    ),
]
