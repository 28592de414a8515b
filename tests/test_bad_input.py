"""Bad input never becomes a server error: the API answers 400 (or 413) as JSON ``{"detail"}``,
the screens answer with our own error page; nothing is written on the way.

The probes are an outside tester's findings (numbers past the database's range, dates past any
calendar, JSON nested 100,000 deep, a 30 MB body); the last tests check the general net that
catches what no probe listed.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import date

import pytest
from django.test import Client
from rest_framework.test import APIClient

from documents import services as documents_services
from documents.models import Binder
from tests.documents.conftest import make_pdf
from workflow.proposals.models import Proposal

pytestmark = pytest.mark.django_db

API = "/api/v1/"
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
TOO_BIG = 2**63  # one past the largest 64-bit integer a database column holds


@pytest.fixture(autouse=True)
def _quiet_error_logs(caplog):
    """The net logs what it catches (django.request, kairan); the tests read only responses."""
    caplog.set_level(logging.CRITICAL)


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DATA_DIR = tmp_path / "data"


def api(person) -> APIClient:
    # A server error must come back as a response, not as the test's exception.
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(person.user)
    return client


def browser(person) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(person.user, backend=LOCAL_BACKEND)
    return client


def assert_json_error(response, status: int) -> str:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("detail"), str)
    assert body["detail"]
    assert "Traceback" not in response.content.decode()
    return body["detail"]


def assert_our_error_page(response, status: int) -> str:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'class="site-header"' in html  # our base layout
    assert 'lang="ja"' in html
    assert "Material" not in html
    assert "Traceback" not in html
    return html


def _binder(org) -> Binder:
    return documents_services.binder_create(
        actor=org.zaisei_staff.user,
        unit=org.zaisei,
        fiscal_year=2025,
        title="予算編成",
        retention_years=5,
        classification="internal",
    )


# --- 1. amounts past the database's range ------------------------------------------------------


PROPOSAL = {"title": "備品の購入", "body": "購入する。", "category": "expenditure"}


@pytest.mark.parametrize("amount", [TOO_BIG, 10**15 + 1, 10**30])
def test_api_proposal_amount_past_the_limit_is_400_and_nothing_is_created(org, amount):
    response = api(org.zaisei_staff).post(
        f"{API}proposals/", {**PROPOSAL, "amount": amount}, format="json"
    )

    detail = assert_json_error(response, 400)
    assert detail.startswith("amount: ")
    assert Proposal.objects.count() == 0


def test_api_proposal_amount_at_the_limit_is_accepted(org):
    response = api(org.zaisei_staff).post(
        f"{API}proposals/", {**PROPOSAL, "amount": 10**15}, format="json"
    )

    assert response.status_code == 201, response.content
    assert Proposal.objects.get().amount == 10**15


def test_api_proposal_change_to_an_amount_past_the_limit_is_400(org):
    client = api(org.zaisei_staff)
    created = client.post(f"{API}proposals/", {**PROPOSAL, "amount": 1000}, format="json").json()

    response = client.patch(f"{API}proposals/{created['id']}/", {"amount": TOO_BIG}, format="json")

    assert_json_error(response, 400)
    assert Proposal.objects.get().amount == 1000


def test_proposal_form_amount_past_the_limit_is_a_field_error(org):
    data = {**PROPOSAL, "amount": str(TOO_BIG)}

    response = browser(org.zaisei_staff).post("/approval/proposals/new/", data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "1,000,000,000,000,000" in html  # the field error names the limit
    assert Proposal.objects.count() == 0


def test_route_preview_amount_past_the_limit_is_400(org):
    data = {"category": "expenditure", "amount": str(TOO_BIG)}

    response = browser(org.zaisei_staff).post("/approval/proposals/route-preview/", data)

    assert response.status_code == 400


# --- 2. notification ids ----------------------------------------------------------------------


@pytest.mark.parametrize("ids", [[10**20], [TOO_BIG], [1, 2**64]])
def test_marking_notifications_read_with_an_id_past_the_range_is_400(org, ids):
    response = api(org.zaisei_staff).post(f"{API}notifications/read/", {"ids": ids}, format="json")

    assert_json_error(response, 400)


# --- 3. the disposal-due list's unit ----------------------------------------------------------


@pytest.mark.parametrize("unit", ["10241647493977862603437768704", str(TOO_BIG), "²", "0"])
def test_disposal_due_with_a_unit_past_the_range_is_400(org, unit):
    response = api(org.zaisei_staff).get(f"{API}disposal/due/", {"unit": unit})

    assert_json_error(response, 400)


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("binders/", "unit"),
        ("binders/", "fiscal_year"),
        ("registers/incoming/", "fiscal_year"),
        ("disposal/due/", "on"),
    ],
)
def test_other_records_query_numbers_and_dates_past_the_range_are_400(org, path, param):
    value = "0001-01-01" if param == "on" else str(10**30)

    response = api(org.zaisei_staff).get(f"{API}{path}", {param: value})

    assert_json_error(response, 400)


# --- 4. closing a binder on an impossible date -------------------------------------------------


@pytest.mark.parametrize("closed_on", ["9999-12-31", "0001-01-01", "2101-01-01", "1988-12-31"])
def test_closing_a_binder_outside_the_sane_date_range_is_400_and_it_stays_open(org, closed_on):
    binder = _binder(org)

    response = api(org.zaisei_staff).post(
        f"{API}binders/{binder.pk}/close/", {"closed_on": closed_on}, format="json"
    )

    assert_json_error(response, 400)
    binder.refresh_from_db()
    assert binder.status == Binder.Status.OPEN
    assert binder.closed_on is None


def test_closing_a_binder_on_the_last_day_of_the_range_works(org):
    binder = _binder(org)

    response = api(org.zaisei_staff).post(
        f"{API}binders/{binder.pk}/close/", {"closed_on": "2100-12-31"}, format="json"
    )

    assert response.status_code == 200, response.content
    binder.refresh_from_db()
    assert binder.closed_on == date(2100, 12, 31)


def test_register_entry_on_an_impossible_date_or_document_id_is_400(org):
    client = api(org.zaisei_staff)
    entry = {"counterpart": "大阪府", "subject": "照会"}

    dated = client.post(f"{API}registers/incoming/", {**entry, "on": "9999-12-31"}, format="json")
    numbered = client.post(
        f"{API}registers/incoming/", {**entry, "document": 10**30}, format="json"
    )

    assert_json_error(dated, 400)
    assert_json_error(numbered, 400)


# --- 5. JSON nested too deep ------------------------------------------------------------------


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_100000_deep_is_400(org, opening):
    depth = 100_000
    closing = "]" if opening == "[" else "}"
    body = opening * depth + "1" + closing * depth

    response = api(org.zaisei_staff).post(f"{API}proposals/", body, content_type="application/json")

    assert_json_error(response, 400)
    assert Proposal.objects.count() == 0


def test_malformed_json_is_still_400_json(org):
    response = api(org.zaisei_staff).post(
        f"{API}proposals/", "{not json", content_type="application/json"
    )

    assert_json_error(response, 400)


# --- 6. page 0 of a document ------------------------------------------------------------------


def test_page_zero_of_a_document_is_404_on_our_page(org):
    data = make_pdf(["一頁目"])
    document = documents_services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.pdf",
        size_bytes=len(data),
        title="資料",
    )

    response = browser(org.zaisei_staff).get(f"/records/documents/{document.pk}/pages/0/")

    assert_our_error_page(response, 404)


@pytest.mark.parametrize(
    "query",
    [
        "pages/1/?version=²",
        "pages/1/?width=²",
        f"pages/{10**30}/",
        "preview/?page=²",
        f"preview/?page={10**30}",
        "download/?version=²",
        f"download/?version={10**30}",
    ],
)
def test_odd_page_version_and_width_numbers_on_the_screens_are_not_server_errors(org, query):
    data = make_pdf(["一頁目"])
    document = documents_services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.pdf",
        size_bytes=len(data),
        title="資料",
    )

    response = browser(org.zaisei_staff).get(f"/records/documents/{document.pk}/{query}")

    assert response.status_code in {200, 400, 404}, response.content[:300]


def test_marking_notifications_read_on_the_screen_ignores_ids_past_the_range(org):
    response = browser(org.zaisei_staff).post(
        "/notifications/read/", {"id": ["²", str(10**30), str(TOO_BIG)]}
    )

    assert response.status_code == 302


@pytest.mark.parametrize("fiscal_year", ["²", str(10**30)])
def test_register_screen_with_an_impossible_fiscal_year_is_a_400_page(org, fiscal_year):
    response = browser(org.zaisei_staff).get(
        "/records/registers/incoming/", {"fiscal_year": fiscal_year}
    )

    assert_our_error_page(response, 400)


# --- 7. the disposal-due screen on an impossible date -----------------------------------------


@pytest.mark.parametrize("on", ["0001-01-01", "9999-12-31"])
def test_disposal_due_screen_on_a_date_outside_the_range_is_a_400_page(org, on):
    response = browser(org.zaisei_staff).get("/records/disposal/", {"on": on})

    html = assert_our_error_page(response, 400)
    assert "1989" in html  # says which dates are accepted


# --- 8. a body larger than the server accepts -------------------------------------------------


def test_a_30_mb_json_body_is_413_json_on_the_api(org):
    body = json.dumps({"title": "x", "body": "あ" * (10 * 1024 * 1024), "category": "general"})
    assert len(body.encode()) > 30 * 1024 * 1024

    response = api(org.zaisei_staff).post(f"{API}proposals/", body, content_type="application/json")

    assert_json_error(response, 413)
    assert Proposal.objects.count() == 0


def test_a_too_large_form_post_is_our_400_page_on_the_screens(org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    data = {**PROPOSAL, "body": "x" * 4096}

    response = browser(org.zaisei_staff).post("/approval/proposals/new/", data)

    assert response.status_code in {400, 413}
    assert_our_error_page(response, response.status_code)
    assert Proposal.objects.count() == 0


def test_too_many_fields_on_the_api_is_400_json(org, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))

    response = api(org.zaisei_staff).post(
        f"{API}proposals/", body, content_type="application/x-www-form-urlencoded"
    )

    assert_json_error(response, 400)


# --- the general net --------------------------------------------------------------------------


def test_an_unknown_api_path_is_404_json(org):
    assert_json_error(api(org.zaisei_staff).get(f"{API}no-such-thing/"), 404)


def test_an_unknown_page_is_our_404_page_not_materials(org):
    html = assert_our_error_page(browser(org.zaisei_staff).get("/records/no-such-page/"), 404)

    assert "ページが見つかりません" in html
    assert 'href="/"' in html


def test_an_unknown_page_is_our_404_page_signed_out_too(db):
    html = assert_our_error_page(Client().get("/no-such-page/"), 404)

    assert "ページが見つかりません" in html


def test_a_forbidden_page_is_our_403_page(org):
    # Called as Django calls handler403 for a view's PermissionDenied.
    from django.core.exceptions import PermissionDenied

    from config import errors

    response = errors.forbidden(_request("/records/x/", org), PermissionDenied())

    assert response.status_code == 403
    assert "Material" not in response.content.decode()
    assert "アクセスする権限がありません" in response.content.decode()


def test_a_forbidden_api_path_from_the_page_handler_is_json(org):
    from django.core.exceptions import PermissionDenied

    from config import errors

    response = errors.forbidden(_request("/api/v1/x/", org), PermissionDenied())

    assert response.status_code == 403
    assert json.loads(response.content)["detail"]


def _request(path: str, org):
    from django.test import RequestFactory

    request = RequestFactory().get(path)
    request.user = org.zaisei_staff.user
    return request


def test_an_unexpected_error_in_an_api_view_is_json_500_without_a_trace(org, monkeypatch):
    from directory.api import notifications

    def broken(person):
        raise KeyError("secret internals")

    monkeypatch.setattr(notifications, "notifications_unread_count", broken)

    response = api(org.zaisei_staff).get(f"{API}notifications/")

    detail = assert_json_error(response, 500)
    assert "サーバーで問題が発生しました" in detail
    assert "secret internals" not in response.content.decode()


def test_an_unexpected_error_in_an_api_view_is_logged(org, monkeypatch, caplog):
    from directory.api import notifications

    def broken(person):
        raise KeyError("secret internals")

    monkeypatch.setattr(notifications, "notifications_unread_count", broken)
    caplog.set_level(logging.ERROR)

    api(org.zaisei_staff).get(f"{API}notifications/")

    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


@pytest.mark.parametrize("error", [OverflowError, RecursionError])
def test_overflow_and_recursion_in_an_api_view_are_400_json(org, monkeypatch, error):
    from directory.api import notifications

    def broken(person):
        raise error("too large")

    monkeypatch.setattr(notifications, "notifications_unread_count", broken)

    assert_json_error(api(org.zaisei_staff).get(f"{API}notifications/"), 400)


def test_a_database_data_error_in_an_api_view_is_400_json(org, monkeypatch):
    from django.db import DataError

    from directory.api import notifications

    def broken(person):
        raise DataError("integer out of range")

    monkeypatch.setattr(notifications, "notifications_unread_count", broken)

    detail = assert_json_error(api(org.zaisei_staff).get(f"{API}notifications/"), 400)
    assert "out of range" not in detail  # the database's words stay in the log


def test_an_unexpected_error_on_a_page_is_our_500_page(org, monkeypatch):
    from documents import views

    def broken(*args, **kwargs):
        raise KeyError("secret internals")

    monkeypatch.setattr(views.selectors, "binders_due_for_disposal", broken)

    response = browser(org.zaisei_staff).get("/records/disposal/")

    html = assert_our_error_page(response, 500)
    assert "secret internals" not in html


def test_an_overflow_on_a_page_is_our_400_page(org, monkeypatch):
    from documents import views

    def broken(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(views.selectors, "binders_due_for_disposal", broken)

    response = browser(org.zaisei_staff).get("/records/disposal/")

    html = assert_our_error_page(response, 400)
    assert "SQLite" not in html


@pytest.mark.parametrize(
    "path",
    [
        f"{API}binders/{10**30}/",
        f"{API}proposals/{10**30}/",
        f"{API}documents/{10**30}/",
    ],
)
def test_an_id_past_the_range_in_an_api_path_is_not_a_server_error(org, path):
    response = api(org.zaisei_staff).get(path)

    assert response.status_code in {400, 404}
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        f"/records/binders/{10**30}/",
        f"/records/documents/{10**30}/",
        f"/approval/proposals/{10**30}/",
    ],
)
def test_an_id_past_the_range_in_a_page_path_is_not_a_server_error(org, path):
    response = browser(org.zaisei_staff).get(path)

    assert response.status_code in {400, 404}
    assert_our_error_page(response, response.status_code)


def test_a_form_sent_without_its_csrf_token_gets_our_403_page(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)

    response = client.post("/approval/proposals/new/", PROPOSAL)

    html = assert_our_error_page(response, 403)
    assert "フォームを送信できませんでした" in html
    assert Proposal.objects.count() == 0


def test_the_500_page_falls_back_to_plain_html_when_the_layout_fails(org, monkeypatch):
    from config import errors
    from documents import views

    def broken(*args, **kwargs):
        raise KeyError("secret internals")

    def no_template(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(views.selectors, "binders_due_for_disposal", broken)
    monkeypatch.setattr(errors.loader, "render_to_string", no_template)

    response = browser(org.zaisei_staff).get("/records/disposal/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "サーバーで問題が発生しました" in html
    assert "secret internals" not in html
