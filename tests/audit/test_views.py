"""The auditor's pages (/audit/) and the admin: visibility, content, export, and self-audit."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.urls import reverse

from audit import services
from audit.models import AuditEvent
from audit.selectors import events_for_target, events_list
from audit.services import record
from tests.audit.conftest import tamper
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("base_template")]

INDEX = reverse("audit:index")
VERIFY = reverse("audit:verify")
EXPORT = reverse("audit:export")
TOKYO = ZoneInfo("Asia/Tokyo")


def views_of(user, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, actor_id=user.pk).order_by("seq"))


@pytest.mark.parametrize("url", [INDEX, VERIFY, EXPORT])
def test_not_visible_to_a_signed_in_user_without_the_permission(client, staff_user, url):
    record(action="test.secret")
    client.force_login(staff_user)
    response = client.get(url)
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="audit.").exists()


@pytest.mark.parametrize("url", [INDEX, VERIFY, EXPORT])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_auditor_sees_the_log_newest_first_and_the_look_is_recorded(client, auditor, ten_events):
    client.force_login(auditor)
    response = client.get(INDEX)

    assert response.status_code == 200
    seqs = [row["event"].seq for row in response.context["rows"]]
    assert seqs == sorted(seqs, reverse=True)
    # This very look is recorded, but the auditors' own looks are hidden unless asked for.
    assert services.ACTION_VIEWED not in {row["event"].action for row in response.context["rows"]}
    assert set(range(1, 11)) <= set(seqs)
    html = response.content.decode()
    for shown in ("件名3", "test.other", "192.0.2.7", "alice"):
        assert shown in html
    (viewed,) = views_of(auditor, services.ACTION_VIEWED)
    assert viewed.details["page"] == "list"

    shown = client.get(INDEX, {"show_auditor_views": "on"})
    newest = shown.context["rows"][0]["event"]
    assert (newest.action, newest.actor_username) == (services.ACTION_VIEWED, "auditor")


def test_superuser_sees_the_log(client, ten_events):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(INDEX).status_code == 200


def test_filters_narrow_the_list_and_are_recorded(client, auditor, ten_events):
    client.force_login(auditor)
    response = client.get(INDEX, {"person": "alice", "action": "test.step"})

    events = [row["event"] for row in response.context["rows"]]
    assert events
    assert {(e.actor_username, e.action) for e in events} == {("alice", "test.step")}
    (viewed,) = views_of(auditor, services.ACTION_VIEWED)
    assert viewed.details["filters"] == {"person": "alice", "action": "test.step"}


def test_target_filter_shows_one_objects_history(client, auditor, ten_events):
    client.force_login(auditor)
    response = client.get(INDEX, {"target_type": "test.thing", "target_id": "4"})
    assert [row["event"].seq for row in response.context["rows"]] == [4]


def test_bad_filter_is_refused(client, auditor):
    client.force_login(auditor)
    response = client.get(INDEX, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not views_of(auditor, services.ACTION_VIEWED)


def test_keyset_pages_go_back_and_forth(client, auditor):
    for n in range(60):
        record(action="test.page", details={"n": n})
    client.force_login(auditor)

    first = client.get(INDEX, {"action": "test.page"})
    first_seqs = [row["event"].seq for row in first.context["rows"]]
    assert first_seqs == list(range(60, 10, -1))
    assert first.context["newer_url"] is None

    second = client.get(first.context["older_url"])
    assert [row["event"].seq for row in second.context["rows"]] == list(range(10, 0, -1))
    assert second.context["older_url"] is None

    back = client.get(second.context["newer_url"])
    assert [row["event"].seq for row in back.context["rows"]] == first_seqs


def test_date_range_is_in_local_days():
    with time_machine.travel(datetime(2026, 4, 1, 0, 30, tzinfo=TOKYO), tick=False):
        just_after_midnight = record(action="test.dated")
    with time_machine.travel(datetime(2026, 3, 31, 23, 59, tzinfo=TOKYO), tick=False):
        day_before = record(action="test.dated")

    assert list(events_list(date_from=date(2026, 4, 1), date_to=date(2026, 4, 1))) == [
        just_after_midnight
    ]
    assert list(events_list(date_to=date(2026, 3, 31))) == [day_before]
    assert list(events_for_target(target_type="", target_id="")) == [
        just_after_midnight,
        day_before,
    ]


def test_verify_page_shows_the_intact_chain_and_its_head(client, auditor, ten_events):
    client.force_login(auditor)  # itself recorded (auth.login)
    last = AuditEvent.objects.order_by("seq").last()
    response = client.get(VERIFY)

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.ok, result.count, result.head_hash) == (True, last.seq, last.hash)
    assert last.hash in response.content.decode()
    (verified,) = views_of(auditor, services.ACTION_VERIFIED)
    assert verified.details["ok"] is True
    assert verified.details["head_hash"] == last.hash


def test_verify_page_names_the_tampered_event(client, auditor, ten_events):
    tamper(4, action="test.forged")
    client.force_login(auditor)
    response = client.get(VERIFY, HTTP_ACCEPT_LANGUAGE="en")

    result = response.context["result"]
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 4, ten_events[3].id)
    assert f"No. 4 (id {ten_events[3].id})" in response.content.decode()
    (verified,) = views_of(auditor, services.ACTION_VERIFIED)
    assert (verified.details["ok"], verified.details["first_bad_seq"]) == (False, 4)


def test_verify_page_checks_a_written_down_head(client, auditor, ten_events):
    client.force_login(auditor)
    good = client.get(VERIFY, {"expect_head": ten_events[4].hash})
    assert good.context["result"].anchor_seq == 5
    wrong = client.get(VERIFY, {"expect_head": "a" * 64})
    assert wrong.context["result"].problem == "anchor_not_found"
    malformed = client.get(VERIFY, {"expect_head": "xyz"})
    assert malformed.status_code == 400
    assert malformed.context["result"] is None  # an input error, never a tamper alarm


# The export's Japanese headings and the field each holds.
HEADINGS = {
    "連番": "seq",
    "日時": "at",
    "利用者ID": "actor_id",
    "ユーザー名": "actor_username",
    "操作コード": "action",
    "操作": "action_label",
    "対象の種類": "target_type",
    "対象の番号": "target_id",
    "端末のアドレス": "client_address",
    "詳細": "details",
    "前のハッシュ": "prev_hash",
    "ハッシュ": "hash",
}


def _csv_rows(body: str) -> list[dict[str, str]]:
    assert body.startswith("\ufeff")  # Excel needs the BOM to read UTF-8
    reader = csv.DictReader(io.StringIO(body[1:]))
    assert reader.fieldnames == list(HEADINGS)
    return [{HEADINGS[k]: v for k, v in row.items()} for row in reader]


def test_export_streams_the_filtered_log_as_csv(client, auditor, ten_events):
    record(action="test.formula", target_id='=HYPERLINK("http://evil")')
    client.force_login(auditor)
    response = client.get(EXPORT, {"action": "test.step"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv_rows(b"".join(response.streaming_content).decode("utf-8"))
    assert [int(r["seq"]) for r in rows] == [1, 3, 5, 7, 9]
    by_seq = {int(r["seq"]): r for r in rows}
    assert by_seq[3]["hash"] == ten_events[2].hash
    assert '"名前": "件名3"' in by_seq[3]["details"]
    assert by_seq[3]["at"].endswith("+09:00")
    (exported,) = views_of(auditor, services.ACTION_EXPORTED)
    assert exported.details["filters"] == {"action": "test.step"}

    formula = _csv_rows(
        b"".join(client.get(EXPORT, {"action": "test.formula"}).streaming_content).decode()
    )
    assert formula[0]["target_id"] == '\'=HYPERLINK("http://evil")'


def test_export_under_asgi_streams_asynchronously(async_client, auditor, ten_events):
    """Under ASGI (uvicorn) a synchronous iterator would be read whole before sending."""
    async_client.force_login(auditor)

    async def download() -> tuple[bool, str]:
        response = await async_client.get(EXPORT)
        chunks = [chunk async for chunk in response.streaming_content]
        return response.is_async, b"".join(chunks).decode("utf-8")

    is_async, body = async_to_sync(download)()
    assert is_async
    rows = _csv_rows(body)
    assert [int(r["seq"]) for r in rows][:10] == list(range(1, 11))
    assert rows[-1]["action"] == services.ACTION_EXPORTED  # the export itself, recorded first


def test_admin_is_read_only_and_audited(client, ten_events):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    event = ten_events[0]
    changelist = reverse("admin:audit_auditevent_changelist")
    change = reverse("admin:audit_auditevent_change", args=[event.pk])

    assert client.get(changelist, {"q": "alice"}).status_code == 200
    assert client.get(change).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    client.post(change, {"action": "test.forged"})
    client.post(changelist, {"action": "delete_selected", "_selected_action": [event.pk]})

    event.refresh_from_db()
    assert event.action == ten_events[0].action
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    viewed = views_of(admin, services.ACTION_VIEWED)
    assert [v.details["via"] for v in viewed] == ["admin", "admin"]
    assert viewed[0].details["query"] == {"q": "alice"}
