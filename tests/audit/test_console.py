"""The auditor console: labels for every action, person/unit/kind search, the auditors' own
looks hidden by default, the trail of one proposal (complete, in order, with the client address
of every action), verify outcomes, read-only, and the links from a proposal and a document."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit import services
from audit.labels import ACTION_LABELS, action_label
from audit.middleware import ClientAddressMiddleware
from audit.models import AuditEvent
from audit.services import record
from tests.audit.conftest import tamper
from tests.factories import UserFactory
from tests.workflow.conftest import city  # noqa: F401  (the route-building city)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("base_template")]

ROOT = Path(__file__).resolve().parents[2]
INDEX = reverse("audit:index")
VERIFY = reverse("audit:verify")
EXPORT = reverse("audit:export")
API = "/api/v1/"
ACTION_CODE = re.compile(r"^(audit|auth|directory|workflow|dx|documents|chat|council)\.[a-z_]+$")
# Codes in the code that are not recorded actions: receiver ids and notification kinds.
NOT_ACTIONS = {
    "chat.approval_notices",
    "chat.unit_rooms",
    "council.followers",
    "directory.audit_locked_out",
    "directory.audit_login",
    "directory.audit_login_failed",
    "directory.audit_logout",
    "dx.approved",
    "dx.sent_back",
    "workflow.acted_for",
    "workflow.sent_back",
    "workflow.task_created",
}
# Actions built with an f-string: every value they take.
BUILT = {
    "workflow.task_": ["approved", "consulted", "decided", "seen"],
    "workflow.proposal_": ["withdrawn", "cancelled"],
    "documents.register_": ["incoming", "outgoing"],
    "dx.action_plan_": ["report_saved", "completed"],
}


def _codes_in_the_code() -> set[str]:
    from django.apps import apps

    labels = {m._meta.label_lower for m in apps.get_models()}
    perms = {
        f"{m._meta.app_label}.{a}_{m._meta.model_name}"
        for m in apps.get_models()
        for a in m._meta.default_permissions
    } | {f"{m._meta.app_label}.{c}" for m in apps.get_models() for c, _ in m._meta.permissions}
    found: set[str] = set()
    for app in ("audit", "directory", "documents", "workflow", "chat", "council", "realtime"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "labels.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # Signal receivers' dispatch_uid values look like codes but are not actions.
            uids = {
                id(kw.value)
                for call in ast.walk(tree)
                if isinstance(call, ast.Call)
                for kw in call.keywords
                if kw.arg == "dispatch_uid"
            }
            for node in ast.walk(tree):
                if id(node) in uids:
                    continue
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and ACTION_CODE.match(node.value)
                    and node.value not in labels | perms
                ):
                    found.add(node.value)
                if isinstance(node, ast.JoinedStr) and node.values:
                    head = node.values[0]
                    if isinstance(head, ast.Constant) and head.value in BUILT:
                        found |= {head.value + rest for rest in BUILT[head.value]}
    return found - NOT_ACTIONS - set(BUILT)


def test_every_recorded_action_has_a_japanese_label():
    codes = _codes_in_the_code()
    assert "workflow.task_decided" in codes
    assert "auth.login_failed" in codes
    assert sorted(codes - set(ACTION_LABELS)) == []
    assert action_label("workflow.task_decided") == "決裁"
    assert action_label("test.unknown") == "test.unknown"


def _auditor(username: str = "auditor"):
    user = UserFactory(username=username)
    user.user_permissions.add(
        Permission.objects.get_by_natural_key("view_auditevent", "audit", "auditevent")
    )
    return user


def _seqs(response) -> list[int]:
    return [row["event"].seq for row in response.context["rows"]]


@pytest.fixture
def people(db):
    from tests.factories import make_person

    murakami = make_person("murakami.yuki", "村上 由紀", None)
    sato = make_person("sato.kenichi", "佐藤 健一", None)
    events = {
        "murakami": record(action="workflow.proposal_created", actor=murakami.user),
        "sato": record(action="workflow.proposal_created", actor=sato.user),
        "failed": record(action="auth.login_failed", details={"username": "murakami.yuki"}),
    }
    return {"murakami": murakami, "sato": sato, "events": events}


@pytest.mark.parametrize(
    "query",
    ["村上", "村上由紀", "村上 由紀", "むらかみ", "ムラカミ", "murakami", "ＭＵＲＡＫＡＭＩ"],
)
def test_person_search_by_kanji_kana_or_username(client, people, query):
    client.force_login(_auditor())
    response = client.get(INDEX, {"person": query})
    assert response.status_code == 200
    events = people["events"]
    assert set(_seqs(response)) == {events["murakami"].seq, events["failed"].seq}


def test_person_search_on_sato_finds_sato_only(client, people):
    client.force_login(_auditor())
    response = client.get(INDEX, {"person": "さとう"})
    assert _seqs(response) == [people["events"]["sato"].seq]


def test_unit_filter_takes_the_unit_and_everything_below(client, db):
    from directory.models import OrgUnit
    from tests.factories import OrgUnitFactory, make_person

    bu = OrgUnitFactory(name="市民部", level=OrgUnit.Level.DEPARTMENT)
    ka = OrgUnitFactory(name="市民課", level=OrgUnit.Level.DIVISION, parent=bu)
    other = OrgUnitFactory(name="税務課", level=OrgUnit.Level.DIVISION, parent=bu)
    inside = make_person("inside", "内田 一", ka)
    outside = make_person("outside", "外山 二", other)
    mine = record(action="workflow.proposal_created", actor=inside.user)
    record(action="workflow.proposal_created", actor=outside.user)
    client.force_login(_auditor())
    assert _seqs(client.get(INDEX, {"unit": ka.pk})) == [mine.seq]
    assert len(_seqs(client.get(INDEX, {"unit": bu.pk}))) == 2


def test_kinds_failed_sign_ins_with_bursts_and_refused_accesses(client, db):
    for _ in range(4):
        record(
            action="auth.login_failed", details={"username": "kimura"}, client_address="192.0.2.9"
        )
    locked = record(action="auth.locked_out", details={"username": "kimura"})
    refused = record(action="documents.access_denied", details={"document": 3})
    record(action="auth.login")
    client.force_login(_auditor())

    failures = client.get(INDEX, {"kind": "sign_in_failures"})
    assert len(_seqs(failures)) == 5
    assert locked.seq in _seqs(failures)
    top = failures.context["bursts"][0]
    assert (top["username"], top["client_address"], top["count"]) == ("kimura", "192.0.2.9", 4)
    assert _seqs(client.get(INDEX, {"kind": "refused"})) == [refused.seq]


def test_the_auditors_own_looks_are_recorded_but_hidden_by_default(client, db):
    auditor = _auditor()
    client.force_login(auditor)
    for _ in range(3):
        client.get(INDEX)
    assert AuditEvent.objects.filter(action=services.ACTION_VIEWED).count() == 3
    default = client.get(INDEX)
    assert services.ACTION_VIEWED not in {r["event"].action for r in default.context["rows"]}
    assert "監査担当者自身の閲覧記録も表示する" in default.content.decode()
    shown = client.get(INDEX, {"show_auditor_views": "on"})
    assert services.ACTION_VIEWED in {r["event"].action for r in shown.context["rows"]}
    only = client.get(INDEX, {"action": services.ACTION_VIEWED})
    assert {r["event"].action for r in only.context["rows"]} == {services.ACTION_VIEWED}


def test_the_list_shows_labels_names_and_readable_details_not_json(client, people):
    client.force_login(_auditor())
    record(action="workflow.task_decided", details={"round": 1, "document_number": "交市第1号"})
    html = client.get(INDEX).content.decode()
    assert "決裁" in html
    assert "村上 由紀" in html
    assert "文書番号" in html
    assert "交市第1号" in html
    assert '{"document_number"' not in html
    assert 'href="/audit/trail/auth.user/' in html
    # the buttons are visible ones (not the header's white-on-transparent quiet style)
    main = html.split('id="main"', 1)[1]
    assert "button--quiet" not in main


def test_middleware_gives_every_event_the_client_address(rf, db):
    def view(request):
        return record(action="test.via_service")  # a service that was not given the request

    request = rf.get("/", REMOTE_ADDR="198.51.100.7")
    event = ClientAddressMiddleware(view)(request)
    assert event.client_address == "198.51.100.7"
    assert record(action="test.outside_a_request").client_address is None


# --- the trail of one proposal ------------------------------------------------------------


@pytest.fixture
def api_as(city):  # noqa: F811
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    def client_for(username: str) -> APIClient:
        client = APIClient(REMOTE_ADDR="203.0.113.5")
        client.force_authenticate(get_user_model().objects.get(pk=city.p(username).user_id))
        return client

    return client_for


def test_trail_of_a_proposal_is_complete_in_order_with_addresses(client, city, api_as):  # noqa: F811
    drafter, kakari, kacho = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"
    created = api_as(drafter).post(
        f"{API}proposals/",
        {"title": "窓口の案内表示の更新", "body": "更新する。", "category": "general"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert api_as(drafter).post(f"{API}proposals/{pid}/submit/").status_code == 200
    for username in (kakari, kacho):
        task = next(t for t in api_as(username).get(f"{API}tasks/").json() if t["proposal"] == pid)
        approved = api_as(username).post(f"{API}tasks/{task['id']}/approve/", {}, format="json")
        assert approved.status_code == 200, approved.content

    auditor = _auditor()
    client.force_login(auditor)
    response = client.get(reverse("audit:trail", args=["workflow.proposal", pid]))
    assert response.status_code == 200
    events = [row["event"] for row in response.context["rows"]]
    assert [(e.action, e.actor_username) for e in events] == [
        ("workflow.proposal_created", drafter),
        ("workflow.proposal_submitted", drafter),
        ("workflow.task_approved", kakari),
        ("workflow.task_decided", kacho),
    ]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert {e.client_address for e in events} == {"203.0.113.5"}
    html = response.content.decode()
    assert "起案の作成" in html
    assert "決裁" in html

    # the person's trail: what they did, and sign-ins
    user_id = city.p(kacho).user_id
    person_trail = client.get(reverse("audit:trail", args=["auth.user", user_id]))
    assert "workflow.task_decided" in {r["event"].action for r in person_trail.context["rows"]}

    # the link from the proposal's page, for auditors only
    detail = reverse("workflow:proposal", args=[pid])
    trail_url = reverse("audit:trail", args=["workflow.proposal", pid])
    auditor_drafter = city.p(drafter).user
    auditor_drafter.user_permissions.add(
        Permission.objects.get_by_natural_key("view_auditevent", "audit", "auditevent")
    )
    client.force_login(auditor_drafter)
    assert trail_url in client.get(detail).content.decode()
    client.force_login(city.p(kakari).user)
    page = client.get(detail)
    assert page.status_code == 200
    assert trail_url not in page.content.decode()


# --- verify ---------------------------------------------------------------------------------


def test_verify_ok_is_green_tampered_is_red_and_bad_input_is_an_input_error(client, ten_events):
    client.force_login(_auditor())
    head = AuditEvent.objects.order_by("seq").last().hash
    ok = client.get(VERIFY, {"expect_head": f"  {head.upper()}\n "})  # pasted with spaces
    assert ok.status_code == 200
    assert ok.context["result"].ok
    html = ok.content.decode()
    assert "alert--ok" in html
    assert "改ざんなし" in html
    assert "alert--error" not in html

    malformed = client.get(VERIFY, {"expect_head": "3f0a-not-a-hash"})
    assert malformed.status_code == 400
    assert malformed.context["result"] is None
    assert malformed.context["form"].errors["expect_head"]
    html = malformed.content.decode()
    assert "改ざんされています" not in html
    assert "16進数" in html

    tamper(4, action="test.forged")
    bad = client.get(VERIFY)
    assert bad.status_code == 200
    assert not bad.context["result"].ok
    assert "alert--error" in bad.content.decode()
    assert "改ざんされています" in bad.content.decode()


# --- read-only ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_auditor_can_write_nothing(client, ten_events, method):
    auditor = _auditor()
    client.force_login(auditor)
    before = list(AuditEvent.objects.values_list("seq", "hash"))
    urls = [INDEX, VERIFY, EXPORT, reverse("audit:trail", args=["test.thing", "1"])]
    for url in urls:
        assert getattr(client, method)(url).status_code == 405
    admin_urls = [
        reverse("admin:audit_auditevent_add"),
        reverse("admin:audit_auditevent_change", args=[ten_events[0].pk]),
        reverse("admin:audit_auditevent_delete", args=[ten_events[0].pk]),
    ]
    for url in admin_urls:
        assert client.post(url, {"action": "test.forged"}).status_code in (302, 403, 404)
    assert list(AuditEvent.objects.values_list("seq", "hash"))[: len(before)] == before
    assert not AuditEvent.objects.filter(action="test.forged").exists()
