"""A small council: the secretariat (議会事務局 > 議事課), a member of staff outside it, three
councilors in two committees (one the chair), an administrator; PDFs with Japanese page text."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from council.models import Councilor
from council.services import councilor_upsert
from directory.models import OrgUnit, Person
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
COMMITTEE_A = "総務常任委員会"
COMMITTEE_B = "文教厚生常任委員会"


@pytest.fixture(autouse=True)
def _council_files(settings, tmp_path) -> Path:
    """Files and the page cache in this test's own directory; pre-rendering off (on demand)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    settings.DATA_DIR = tmp_path
    settings.COUNCIL_PRERENDER = "off"
    return root


def make_pdf(pages: list[str]) -> bytes:
    """One page per string, drawn with a Japanese font (so page text can be extracted)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "IPAexGothic" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("IPAexGothic", FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for text in pages:
        pdf.setFont("IPAexGothic", 14)
        y = 780
        for line in text.split("\n"):
            pdf.drawString(72, y, line)
            y -= 22
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@dataclass
class Council:
    clerk: Person  # 議事課 (secretariat)
    outsider: Person  # staff of another unit
    chair: Councilor  # 議長, committee A
    a: Councilor  # committee A
    b: Councilor  # committee B
    admin: object
    meeting_id: int = 0


@pytest.fixture
def council(db) -> Council:
    L = OrgUnit.Level
    secretariat = OrgUnitFactory(name="議会事務局", level=L.DEPARTMENT)
    giji = OrgUnitFactory(name="議事課", level=L.DIVISION, parent=secretariat)
    other = OrgUnitFactory(name="財政課", level=L.DIVISION)
    chair, _ = councilor_upsert(
        username="gicho",
        name="議長 一郎",
        password=TEST_PASSWORD,
        committees=[COMMITTEE_A],
        role=Councilor.Role.CHAIR,
    )
    a, _ = councilor_upsert(
        username="giin.a", name="議員 あ", password=TEST_PASSWORD, committees=[COMMITTEE_A]
    )
    b, _ = councilor_upsert(
        username="giin.b", name="議員 び", password=TEST_PASSWORD, committees=[COMMITTEE_B]
    )
    admin = get_user_model().objects.create_superuser("root", password=TEST_PASSWORD)
    return Council(
        clerk=make_person("clerk", "議事 課員", giji, "主事"),
        outsider=make_person("zaisei", "財政 課員", other, "主事"),
        chair=chair,
        a=a,
        b=b,
        admin=admin,
    )


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(getattr(user, "user", user))
    return client


def user_of(who):
    """The User of a Person, a Councilor or a User."""
    if isinstance(who, Councilor):
        return who.person.user
    return getattr(who, "user", who)


def api(who) -> APIClient:
    return client_for(user_of(who))


def create_meeting(council: Council, *, committee: str | None = None, title="本会議") -> int:
    body = {"title": title, "starts_at": (timezone.now() + timedelta(days=1)).isoformat()}
    if committee:
        body["committee"] = committee
    response = api(council.clerk).post("/api/v1/council/meetings/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def upload_material(
    council: Council,
    meeting_id: int,
    *,
    pages: list[str] | None = None,
    publish_at=None,
    audience: str = "all",
    title: str = "議案第1号 資料",
    data: bytes | None = None,
    name: str = "shiryo.pdf",
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = data if data is not None else make_pdf(pages or ["一般会計補正予算", "歳出の内訳"])
    when = publish_at if publish_at is not None else timezone.now() - timedelta(minutes=1)
    return api(council.clerk).post(
        "/api/v1/council/materials/",
        {
            "meeting": meeting_id,
            "title": title,
            "publish_at": when.isoformat(),
            "audience": audience,
            "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
        format="multipart",
    )
