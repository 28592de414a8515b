"""Chat rooms, members, messages (with their kept originals) and read receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Room(models.Model):
    class Kind(models.TextChoices):
        UNIT = "unit", _("Unit room")
        GROUP = "group", _("Group room")
        DIRECT = "direct", _("Direct messages")
        SYSTEM = "system", _("System room")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    # A unit room follows its org unit's posts (kept in step by the directory sync).
    unit = models.OneToOneField(
        "directory.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chat_room",
    )
    # A direct room's pair ("<lower user id>:<higher user id>"); a system room's owner ("sys:<id>").
    pair_key = models.CharField(_("pair"), max_length=50, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("chat room")
        verbose_name_plural = _("chat rooms")

    def __str__(self) -> str:
        return self.name


class RoomMember(models.Model):
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="chat_memberships",
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    # The newest message of the room this member has read (for unread counts).
    last_read_id = models.BigIntegerField(_("last read message"), default=0)

    class Meta:
        verbose_name = _("room member")
        verbose_name_plural = _("room members")
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="chat_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.room_id}"


class Message(models.Model):
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Stored exactly as typed; escaped when shown.
    text = models.TextField(_("text"))
    client_id = models.CharField(_("client id"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("thread"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
    )
    attachment = models.ForeignKey(
        "documents.Document",
        verbose_name=_("attachment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    is_mandatory = models.BooleanField(_("must read"), default=False)
    # A system message's card (an approval task, send-back, decision): ids and labels only.
    card = models.JSONField(_("card"), null=True, blank=True)
    is_on_hold = models.BooleanField(_("legal hold"), default=False)
    # Set when the message was filed into a binder as a record (2023 rule): never purged.
    filed_document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("filed as"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["room", "-id"], name="chat_message_room_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "sender", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.room_id}"


class MessageRevision(models.Model):
    """The text a message had before an edit or deletion: kept for auditors and exports."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="revisions"
    )
    text = models.TextField(_("text"))
    action = models.CharField(_("action"), max_length=10)  # "edit" or "delete"
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("message revision")
        verbose_name_plural = _("message revisions")

    def __str__(self) -> str:
        return f"{self.action} of {self.message_id}"


class Receipt(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="receipts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reader"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="chat_receipt_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.message_id}"


class RetentionPolicy(models.Model):
    """How long messages of one room type are kept (days; 0 = keep). Edited in the admin; a type
    without a row uses settings.CHAT_RETENTION_DAYS."""

    room_kind = models.CharField(_("kind"), max_length=10, choices=Room.Kind.choices, unique=True)
    days = models.PositiveIntegerField(_("days kept"), default=0, help_text=_("0 keeps forever."))

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")

    def __str__(self) -> str:
        return f"{self.room_kind}: {self.days}"


class LegalHold(models.Model):
    """A legal hold (訴訟・開示請求のための保全): the messages of a room and/or a person in a
    period are kept, whatever their retention, until the hold is released. It holds by its
    criteria, so a message sent later inside an open period is held too (``chat.holds``)."""

    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    start = models.DateTimeField(_("from"), null=True, blank=True)
    end = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=Q(room__isnull=False) | Q(person__isnull=False),
                name="chat_legal_hold_names_room_or_person",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk}: {self.reason}"
