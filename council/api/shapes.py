"""The council API's answers (plain dicts, built here) and the serializers that document them and
the request bodies to the schema (drf-spectacular). The views validate input as they always
have; these serializers describe it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from council import permissions, rendering
from council.models import AgendaItem, Annotation, Material, Meeting

AUDIENCE_HELP = (
    "all · committee:<name> · secretariat · person:<username>[,person:<username>…] "
    "(named executives)"
)

# --- meetings ----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilMeeting")
class MeetingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    committee = serializers.CharField(
        allow_null=True, help_text="the committee's name; null for a plenary meeting (本会議)"
    )
    session = serializers.IntegerField(allow_null=True, help_text="the session (会期) id")


def meeting_out(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "committee": meeting.committee.name if meeting.committee_id else None,
        "session": meeting.session_id,
    }


@extend_schema_serializer(component_name="CouncilAgendaEntry")
class AgendaEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AgendaItem.Kind.values)
    number = serializers.CharField()
    title = serializers.CharField()


# --- materials ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilOutlineEntry")
class OutlineEntryOutput(serializers.Serializer):
    title = serializers.CharField()
    level = serializers.IntegerField()
    page = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="CouncilMaterial")
class MaterialOutput(serializers.Serializer):
    id = serializers.IntegerField()
    meeting = serializers.IntegerField()
    title = serializers.CharField()
    audience = serializers.CharField(help_text=AUDIENCE_HELP)
    publish_at = serializers.DateTimeField()
    pages = serializers.IntegerField()
    version = serializers.IntegerField()
    changed_pages = serializers.ListField(
        child=serializers.IntegerField(), help_text="pages changed by the last 差し替え"
    )
    outline = OutlineEntryOutput(many=True, help_text="the PDF's bookmarks (目次)")
    agenda_item = serializers.IntegerField(allow_null=True)
    rendered = serializers.IntegerField(
        required=False, help_text="secretariat: pages pre-rendered so far"
    )
    read = serializers.IntegerField(
        required=False, help_text="secretariat, in a meeting: how many of the audience read it"
    )


def material_out(material: Material, *, user: Any, read: dict[int, int] | None = None) -> dict:
    version = material.current_version
    out = {
        "id": material.pk,
        "meeting": material.meeting_id,
        "title": material.title,
        "audience": material.audience_label,
        "publish_at": material.publish_at.isoformat(),
        "pages": version.page_count if version else 0,
        "version": version.number if version else 0,
        "changed_pages": version.changed_pages if version else [],
        "outline": version.outline if version else [],
        "agenda_item": material.agenda_item_id,
    }
    if permissions.can_manage(user) and version is not None:
        out["rendered"] = rendering.rendered_count(
            sha256=version.pdf_sha256, pages=version.page_count
        )
        if read is not None:
            out["read"] = read.get(material.pk, 0)
    return out


@extend_schema_serializer(component_name="CouncilMeetingDetail")
class MeetingDetailOutput(MeetingOutput):
    agenda = AgendaEntryOutput(many=True)
    materials = MaterialOutput(many=True, help_text="the materials I may see now")


@extend_schema_serializer(component_name="CouncilReadStatus")
class ReadStatusOutput(serializers.Serializer):
    read = serializers.IntegerField(help_text="how many of the audience opened a page")
    total = serializers.IntegerField(help_text="the audience")
    unread = serializers.ListField(child=serializers.CharField(), help_text="their user names")
    unread_names = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="CouncilMaterialDetail")
class MaterialDetailOutput(MaterialOutput):
    read_status = ReadStatusOutput(required=False, help_text="secretariat only")


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of a multipart body (documented as binary, not as a URI)."""


@extend_schema_serializer(component_name="CouncilMaterialCreateInput")
class MaterialCreateInput(serializers.Serializer):
    meeting = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    file = UploadField(help_text="PDF, or Word (DOCX) when LibreOffice is installed")
    publish_at = serializers.DateTimeField(help_text="before it, the audience sees nothing (404)")
    audience = serializers.CharField(required=False, help_text=AUDIENCE_HELP + "; default all")
    agenda_item = serializers.IntegerField(required=False, help_text="an item of the meeting")


@extend_schema_serializer(component_name="CouncilMaterialCreated")
class MaterialCreatedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    pages = serializers.IntegerField()


@extend_schema_serializer(component_name="CouncilMaterialVersionInput")
class MaterialVersionInput(serializers.Serializer):
    file = UploadField(help_text="the new version (差し替え): PDF or DOCX")


@extend_schema_serializer(component_name="CouncilSearchHit")
class SearchHitOutput(serializers.Serializer):
    material = serializers.IntegerField()
    page = serializers.IntegerField()
    snippet = serializers.CharField()
    title = serializers.CharField(required=False, help_text="the material's (meeting search)")


@extend_schema_serializer(component_name="CouncilSearchHits")
class SearchHitsOutput(serializers.Serializer):
    hits = SearchHitOutput(many=True)


# --- annotations -------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilStroke")
class StrokeSerializer(serializers.Serializer):
    tool = serializers.ChoiceField(choices=["pen", "highlighter"], required=False)
    color = serializers.CharField(required=False, help_text="#rgb … #rrggbbaa")
    width = serializers.FloatField(required=False, help_text="0 < width ≤ 64")
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[x, y] in 0..1 of the page's width and height",
    )


@extend_schema_serializer(component_name="CouncilNote")
class NoteSerializer(serializers.Serializer):
    x = serializers.FloatField(required=False)
    y = serializers.FloatField(required=False)
    text = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="CouncilAnnotationInput")
class AnnotationInput(serializers.Serializer):
    strokes = StrokeSerializer(many=True, required=False)
    notes = NoteSerializer(many=True, required=False)
    bookmark = serializers.BooleanField(required=False)
    client_updated_at = serializers.DateTimeField(
        required=False, help_text="when the change was made (offline edits: the later one wins)"
    )


@extend_schema_serializer(component_name="CouncilAnnotation")
class AnnotationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.IntegerField()
    version = serializers.IntegerField()
    page = serializers.IntegerField(allow_null=True, help_text="null: could not be placed")
    original_page = serializers.IntegerField(allow_null=True)
    is_unplaced = serializers.BooleanField()
    page_changed = serializers.BooleanField(help_text="the page changed in the last 差し替え")
    strokes = StrokeSerializer(many=True)
    notes = NoteSerializer(many=True)
    bookmark = serializers.BooleanField()
    updated_at = serializers.DateTimeField()
    client_updated_at = serializers.DateTimeField(allow_null=True)


def annotation_out(annotation: Annotation) -> dict:
    return {
        "id": annotation.pk,
        "material": annotation.material_id,
        "version": annotation.version.number,
        "page": annotation.page,
        "original_page": annotation.original_page,
        "is_unplaced": annotation.is_unplaced,
        "page_changed": bool(
            annotation.page and annotation.page in (annotation.version.changed_pages or [])
        ),
        "strokes": annotation.data.get("strokes", []),
        "notes": annotation.data.get("notes", []),
        "bookmark": annotation.data.get("bookmark", False),
        "updated_at": annotation.updated_at.isoformat(),
        "client_updated_at": (
            annotation.client_updated_at.isoformat() if annotation.client_updated_at else None
        ),
    }


@extend_schema_serializer(component_name="CouncilAnnotationConflict")
class AnnotationConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    current = AnnotationOutput(help_text="the newer notes kept on the page")


@extend_schema_serializer(component_name="CouncilAnnotationExport")
class AnnotationExportOutput(AnnotationOutput):
    material_title = serializers.CharField()


# --- presenter ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilPresenterPage")
class PresenterPageOutput(serializers.Serializer):
    material = serializers.IntegerField()
    page = serializers.IntegerField()
    title = serializers.CharField()


@extend_schema_serializer(component_name="CouncilPresenterCurrent")
class PresenterCurrentOutput(serializers.Serializer):
    current = PresenterPageOutput(
        allow_null=True, help_text="null: nothing presented, or not visible to me"
    )


@extend_schema_serializer(component_name="CouncilPresenterGotoInput")
class PresenterGotoInput(serializers.Serializer):
    material = serializers.IntegerField()
    page = serializers.IntegerField()


@extend_schema_serializer(component_name="CouncilPresenterGoto")
class PresenterGotoOutput(serializers.Serializer):
    material = serializers.IntegerField()
    page = serializers.IntegerField()
