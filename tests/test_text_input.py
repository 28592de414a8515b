"""Issue 9, probe 4: titles accepted the bidi override (``請求書\u202efdp.exe\u202c`` shows as
請求書cexe.pdf), titles of only zero-width spaces and control characters. One pair of
validators (audit.validators.validate_title / validate_text) at every edge: 400 naming the
field, in Japanese, and nothing stored."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from audit.validators import has_visible_character, validate_text, validate_title
from documents.models import Binder, Document
from tests.documents.conftest import make_pdf
from workflow.dx.models import ActionPlan
from workflow.proposals.models import Proposal

pytestmark = pytest.mark.django_db

API = "/api/v1/"
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
BIDI_TITLE = "請求書\u202efdp.exe\u202c"
BAD_TITLES = [
    BIDI_TITLE,
    "見積\u2066書\u2069",  # an isolate
    "会議\u200f資料",  # right-to-left mark
    "\u200b\u200b\u200b",  # zero-width spaces only
    "\u3000\u200d\ufeff",  # an ideographic space, a joiner and a BOM
    "\u3164\u3164",  # Hangul fillers look blank
    "予算\x07案",  # BEL
    "予算\n案",  # a title is one line
    "予算\u2028案",  # a line separator too
]
BIDI_MESSAGE = "表示の向きを変える文字"
INVISIBLE_MESSAGE = "空白や見えない文字だけでなく"
CONTROL_MESSAGE = "制御文字が含まれています"


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DATA_DIR = tmp_path / "data"


def api(person) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(person.user)
    return client


def browser(person) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(person.user, backend=LOCAL_BACKEND)
    return client


@pytest.mark.parametrize("title", BAD_TITLES)
def test_validate_title_refuses(title):
    with pytest.raises(ValidationError):
        validate_title(title)


@pytest.mark.parametrize("title", ["請求書.pdf", "令和8年度 予算", "ａｂｃ", "が", "①"])
def test_validate_title_accepts_ordinary_titles(title):
    validate_title(title)
    assert has_visible_character(title)


def test_validate_text_allows_line_breaks_but_no_bidi_or_other_controls():
    validate_text("一行目\r\n二行目\tタブ")
    for bad in ("本文\u202e", "本文\x00", "本文\x1b[31m"):
        with pytest.raises(ValidationError):
            validate_text(bad)


def _detail(response, status=400) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["detail"]


@pytest.mark.parametrize("title", BAD_TITLES)
def test_proposal_api_refuses_bad_titles(org, title):
    response = api(org.zaisei_staff).post(
        f"{API}proposals/", {"title": title, "body": "本文", "category": "general"}, format="json"
    )

    detail = _detail(response)
    assert detail.startswith("title: ")
    assert Proposal.objects.count() == 0


def test_the_bidi_message_is_japanese_and_names_the_field(org):
    response = api(org.zaisei_staff).post(
        f"{API}proposals/", {"title": BIDI_TITLE, "category": "general"}, format="json"
    )
    zero_width = api(org.zaisei_staff).post(
        f"{API}proposals/", {"title": "\u200b", "category": "general"}, format="json"
    )
    control = api(org.zaisei_staff).post(
        f"{API}proposals/", {"title": "a\x07", "category": "general"}, format="json"
    )

    assert BIDI_MESSAGE in _detail(response)
    assert INVISIBLE_MESSAGE in _detail(zero_width)
    assert CONTROL_MESSAGE in _detail(control)


def test_proposal_body_with_bidi_is_refused_but_line_breaks_are_kept(org):
    bad = api(org.zaisei_staff).post(
        f"{API}proposals/",
        {"title": "備品", "body": "金額は\u202e円000,01", "category": "general"},
        format="json",
    )
    good = api(org.zaisei_staff).post(
        f"{API}proposals/",
        {"title": "備品", "body": "一行目\n二行目", "category": "general"},
        format="json",
    )

    assert _detail(bad).startswith("body: ")
    assert good.status_code == 201
    assert Proposal.objects.get().body == "一行目\n二行目"


def test_proposal_update_refuses_a_bidi_title_and_keeps_the_old_one(org):
    created = api(org.zaisei_staff).post(
        f"{API}proposals/", {"title": "備品", "category": "general"}, format="json"
    )
    pk = created.json()["id"]

    response = api(org.zaisei_staff).patch(
        f"{API}proposals/{pk}/", {"title": BIDI_TITLE}, format="json"
    )

    _detail(response)
    assert Proposal.objects.get(pk=pk).title == "備品"


def test_proposal_form_refuses_a_bidi_title(org):
    response = browser(org.zaisei_staff).post(
        "/approval/proposals/new/", {"title": BIDI_TITLE, "body": "", "category": "general"}
    )

    assert BIDI_MESSAGE in response.content.decode()
    assert Proposal.objects.count() == 0


def test_document_upload_api_refuses_a_bidi_title(org):
    data = make_pdf(["x"])
    response = api(org.zaisei_staff).post(
        f"{API}documents/",
        {"title": BIDI_TITLE, "file": io.BytesIO(data)},
        format="multipart",
    )

    assert _detail(response).startswith("title: ")
    assert Document.objects.count() == 0


@pytest.mark.parametrize("title", ["\u200b\u200c", BIDI_TITLE, "簿\x1f冊"])
def test_binder_api_refuses_bad_titles(org, title):
    response = api(org.zaisei_staff).post(
        f"{API}binders/",
        {"title": title, "fiscal_year": 2026, "retention": 5},
        format="json",
    )

    assert _detail(response).startswith("title: ")
    assert Binder.objects.count() == 0


def test_binder_legal_hold_reason_refuses_bidi(org):
    ok = api(org.zaisei_staff).post(
        f"{API}binders/", {"title": "簿冊", "fiscal_year": 2026, "retention": 5}, format="json"
    )
    binder = Binder.objects.get(pk=ok.json()["id"])

    response = api(org.zaisei_staff).post(
        f"{API}binders/{binder.pk}/legal-hold/",
        {"is_held": True, "reason": "訴訟\u202e"},
        format="json",
    )

    assert response.status_code == 400
    binder.refresh_from_db()
    assert not binder.is_legal_hold


def test_dx_plan_api_refuses_a_bidi_title(org):
    response = api(org.zaisei_staff).post(
        f"{API}dx/action-plans/",
        {
            "title": BIDI_TITLE,
            "goal": "待ち時間を半減する",
            "estimated_cost": 1000,
            "technology": "SaaS",
            "report_due_on": "2030-03-31",
        },
        format="json",
    )

    assert _detail(response).startswith("title: ")
    assert ActionPlan.objects.count() == 0
