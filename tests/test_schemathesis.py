"""Schemathesis against the live schema, in process: no 5xx and every answer as documented.

The schema is loaded from the Django application itself (WSGI, signed in with an API token of
a 課長 of the demo city) and every operation gets a bounded, derandomised set of generated
requests. Every other example has its path ids replaced by real objects (a draft, a decided and a
submitted proposal with its pending task, an attachment, a binder, a document, a register entry,
a delegation), so calls reach the services instead of stopping at 404. Checks: not a server
error; status code, content type and body conform to the schema. Failures are collected, printed
with their totals and asserted empty at the end, so one run shows them all.

The council operations are called as 藤原 (局長 of the 議会事務局, the council secretariat) on a
seeded session, meeting, agenda item and published material, so they reach the services too.

The chat operations are called as the 課長 on his unit room and a message in it (the chat app's
own run, tests/chat/test_schema.py, also calls them as the auditor with a legal hold).

Checked for server errors only: nothing at the moment (``UNDOCUMENTED_PREFIXES``, for an app
whose views cannot declare their bodies yet).

Excluded, with the reason:
* ``GET /api/schema/``: each call builds the whole schema (seconds); tests/test_openapi.py
  checks its content.
"""

from __future__ import annotations

import io
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks as st_checks

from directory.demo import DEMO_PASSWORD, seed_demo_city

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

USER = "yamaguchi.satoshi"  # 山口 聡, 財政課長: drafts, approves, keeps binders
DRAFTER = "inoue.takuya"  # 井上 拓也, 財政係 主査: his proposal waits for 山口
COUNCIL_USER = "fujiwara.isamu"  # 藤原 勇, 議会事務局長: the council secretariat
COUNCIL_PREFIX = "/api/v1/council/"
UNDOCUMENTED_PREFIXES: tuple[str, ...] = ()
EXCLUDED_PATHS = ("/api/schema/",)
MAX_EXAMPLES = 12
SMOKE_EXAMPLES = 5  # the undocumented operations: server errors only
TIME_BUDGET_SECONDS = 180  # whole run; the remaining operations get one example each after it

CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]
SMOKE_CHECKS = [st_checks.not_a_server_error]


@dataclass
class Totals:
    operations: int = 0
    smoke_operations: int = 0
    calls: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


def _pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 800, "Kairan schemathesis")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _api(username: str) -> Client:
    client = Client()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return Client(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")


def _post(client: Client, path: str, data=None, *, multipart: bool = False) -> dict:
    if multipart:
        response = client.post(path, data)
    else:
        response = client.post(path, data or {}, content_type="application/json")
    assert response.status_code in {200, 201}, (path, response.content)
    return response.json() if response.content else {}


def _seed() -> dict[str, list[int]]:
    """The demo city plus one of each object the API works on; path ids by parameter name."""
    seed_demo_city()
    drafter, user = _api(DRAFTER), _api(USER)
    ids: dict[str, list[int]] = {}

    purchase = {
        "title": "消耗品の購入",
        "body": "事務用品を購入する。",
        "category": "expenditure",
        "amount": 120000,
    }
    submitted = _post(drafter, "/api/v1/proposals/", purchase)
    _post(drafter, f"/api/v1/proposals/{submitted['id']}/submit/")
    approved = _post(drafter, "/api/v1/proposals/", {**purchase, "title": "備品の購入"})
    _post(drafter, f"/api/v1/proposals/{approved['id']}/submit/")
    # 松本 (係長) passes both on; 山口 (課長, final) decides one, the other waits for him.
    kakaricho = _api("matsumoto.keiko")
    for task in kakaricho.get("/api/v1/tasks/").json():
        _post(kakaricho, f"/api/v1/tasks/{task['id']}/approve/", {"comment": "確認しました。"})
    for task in user.get("/api/v1/tasks/").json():
        if task["proposal"] == approved["id"]:
            _post(user, f"/api/v1/tasks/{task['id']}/approve/", {})
    draft = _post(
        user,
        "/api/v1/proposals/",
        {"title": "会議の開催", "body": "課内会議。", "category": "general"},
    )
    attachment = _post(
        user,
        f"/api/v1/proposals/{draft['id']}/attachments/",
        {"file": _named(_pdf(), "資料.pdf"), "title": "資料"},
        multipart=True,
    )
    binder = _post(
        user,
        "/api/v1/binders/",
        {"title": "令和8年度 予算関係", "fiscal_year": 2026, "retention": 5},
    )
    document = _post(
        user,
        "/api/v1/documents/",
        {"file": _named(_pdf(), "予算書.pdf"), "title": "予算書", "binder": binder["id"]},
        multipart=True,
    )
    _post(user, "/api/v1/registers/incoming/", {"counterpart": "大阪府", "subject": "照会"})
    delegation = _post(
        user,
        "/api/v1/delegations/",
        {
            "deputy": "matsumoto.keiko",
            "start": "2026-12-01T09:00:00+09:00",
            "end": "2026-12-31T17:00:00+09:00",
        },
    )
    ids |= _seed_council()
    ids |= _seed_chat()
    tasks = user.get("/api/v1/tasks/").json()
    ids["proposal_id"] = [submitted["id"], approved["id"], draft["id"]]
    ids["attachment_id"] = [attachment["id"]]
    ids["binder_id"] = [binder["id"]]
    ids["document_id"] = [document["id"], attachment["document"]]
    ids["delegation_id"] = [delegation["id"]]
    ids["task_id"] = [t["id"] for t in tasks] or [1]
    return ids


def _seed_chat() -> dict[str, list[int]]:
    """The 課長's unit room (from the directory) with a message of his."""
    from chat.models import Room

    user = _api(USER)
    room = Room.objects.filter(kind="unit", memberships__user__username=USER).first()
    message = _post(user, f"/api/v1/chat/rooms/{room.pk}/messages/", {"text": "打合せは10時"})
    return {"room_id": [room.pk], "message_id": [message["id"]]}


def _seed_council() -> dict[str, list[int]]:
    """A session, a meeting in it with an agenda item and a published material (the secretariat)."""
    clerk = _api(COUNCIL_USER)
    session = _post(clerk, "/api/v1/council/sessions/", {"name": "令和8年第4回定例会"})
    meeting = _post(
        clerk,
        "/api/v1/council/meetings/",
        {"title": "本会議", "starts_at": "2026-12-01T10:00:00+09:00", "session": session["id"]},
    )
    item = _post(
        clerk,
        f"/api/v1/council/meetings/{meeting['id']}/agenda/",
        {"kind": "bill", "number": "議案第1号", "title": "一般会計補正予算"},
    )
    material = _post(
        clerk,
        "/api/v1/council/materials/",
        {
            "meeting": meeting["id"],
            "title": "議案第1号 資料",
            "publish_at": "2026-01-01T00:00:00+09:00",
            "file": _named(_pdf(), "資料.pdf"),
        },
        multipart=True,
    )
    return {
        "session_id": [session["id"]],
        "meeting_id": [meeting["id"]],
        "item_id": [item["id"]],
        "material_id": [material["id"]],
        "number": [1],
    }


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _token(username: str) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


def test_api_answers_as_documented_without_server_errors(capsys):
    # As Django's test client does: the test's connection must survive each request's end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        totals = _run()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    with capsys.disabled():
        print(
            f"\nschemathesis: {totals.operations} operations fully checked, "
            f"{totals.smoke_operations} for server errors only, {totals.calls} calls, "
            f"statuses {dict(sorted(totals.statuses.items()))}, "
            f"{len(totals.failures)} failing operations"
        )
        for label, failure in totals.failures.items():
            print(f"--- {label}\n{failure[:1500]}")
    assert not totals.failures, sorted(totals.failures)


def _run() -> Totals:
    ids = _seed()
    app = WSGIHandler()
    headers = {"Authorization": f"Token {_token(USER)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    totals = Totals()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in EXCLUDED_PATHS:
            continue
        over_budget = time.monotonic() - started > TIME_BUDGET_SECONDS
        if operation.path.startswith(UNDOCUMENTED_PREFIXES):
            totals.smoke_operations += 1
            examples = 1 if over_budget else SMOKE_EXAMPLES
            _exercise(operation, ids, examples, totals, SMOKE_CHECKS)
        else:
            totals.operations += 1
            _exercise(operation, ids, 1 if over_budget else MAX_EXAMPLES, totals, CHECKS)
    return totals


def _exercise(operation, ids: dict[str, list[int]], examples: int, totals: Totals, checks) -> None:
    counter = itertools.count()
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        n = next(counter)
        if n % 2 == 0:  # every other example on real objects
            for name in list(case.path_parameters or {}):
                if name in ids:
                    case.path_parameters[name] = ids[name][n // 2 % len(ids[name])]
        # DELETE auth/token/ revokes the token: the next call gets a fresh one.
        who = COUNCIL_USER if operation.path.startswith(COUNCIL_PREFIX) else USER
        headers = {"Authorization": f"Token {_token(who)}"}
        response = case.call(headers=headers)
        totals.calls += 1
        totals.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported at the end
            totals.failures.setdefault(label, f"{case.as_curl_command(headers)}\n{exc}")

    run()
