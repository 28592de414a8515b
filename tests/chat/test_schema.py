"""The chat API in the OpenAPI schema: every operation declares its request and answer bodies
(real shapes, ``Chat…`` components), and schemathesis finds every answer as documented — no
server error, documented status codes, content types and bodies — on a seeded demo city: a
unit room with messages, an attachment and a legal hold; the auditor's operations are called
as the demo auditor, the others as a 課長 who is a member of the room."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks as st_checks

from tests.factories import OrgUnitFactory, make_person

PREFIX = "/api/v1/chat/"
USER = "yamaguchi.satoshi"  # 山口 聡, 財政課長: a member of 財政課's room
AUDITOR = "kobayashi.akiko"  # the demo auditor: export and legal holds
AUDITOR_PATHS = ("/api/v1/chat/export/", "/api/v1/chat/legal-holds/")
EXAMPLES = 8
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.mark.django_db
def test_every_chat_operation_declares_its_bodies():
    person = make_person("somu.staff", "総務 次郎", OrgUnitFactory(name="総務課"), "主任")
    client = Client()
    client.force_login(person.user)
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    components = schema["components"]["schemas"]
    checked = 0
    for path, item in schema["paths"].items():
        if not path.startswith(PREFIX):
            continue
        for method, operation in item.items():
            if method not in METHODS:
                continue
            checked += 1
            ok = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            assert len(ok) == 1, (method, path, ok)
            [(code, answer)] = ok.items()
            if code == "204":
                assert "content" not in answer, (method, path)
            else:
                assert answer.get("content"), (method, path)
            if method in {"post", "patch"} and not path.endswith(
                ("/read/", "/mandatory/", "/remind/", "/release/")
            ):
                assert "requestBody" in operation, (method, path)
    assert checked == 24
    message = components["ChatMessage"]
    assert set(message["required"]) >= {"room", "id", "sender", "text", "sent_at", "client_id"}
    assert message["properties"]["sender"]["nullable"] is True
    export = schema["paths"]["/api/v1/chat/export/"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/json", "text/csv"}
    upload = schema["paths"]["/api/v1/chat/rooms/{room_id}/attachments/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"from", "to"} <= set(components["ChatLegalHold"]["properties"])


def _seed() -> dict[str, list]:
    from chat import services
    from chat.holds import legal_hold_place
    from chat.models import Room
    from chat.unit_rooms import unit_rooms_sync
    from directory.demo import seed_demo_city
    from directory.models import OrgUnit

    seed_demo_city()
    unit_rooms_sync()
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    user, auditor = users.get(username=USER), users.get(username=AUDITOR)
    room = Room.objects.get(unit=OrgUnit.objects.get(name="財政課"))
    first = services.message_send(actor=user, room_id=room.pk, text="予算の打合せは10時からです")
    reply = services.message_send(
        actor=user, room_id=room.pk, text="資料は共有フォルダに", parent_id=first.pk
    )
    group = services.room_create(actor=user, name="補助金の相談", members=["inoue.takuya"])
    hold = legal_hold_place(actor=auditor, reason="開示請求", room_id=room.pk)
    return {
        "room_id": [room.pk, group.pk],
        "message_id": [first.pk, reply.pk],
        "hold_id": [hold.pk],
        "username": ["inoue.takuya"],
    }


def _token(username: str) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_chat_answers_as_documented(capsys):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        ids = _seed()
        app = WSGIHandler()
        headers = {"Authorization": f"Token {_token(USER)}"}
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
        failures: dict[str, str] = {}
        statuses: Counter = Counter()
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(PREFIX):
                continue
            operations += 1
            _exercise(operation, ids, failures, statuses)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    with capsys.disabled():
        print(
            f"\nschemathesis (chat): {operations} operations, statuses "
            f"{dict(sorted(statuses.items()))}, {len(failures)} failing"
        )
        for label, failure in failures.items():
            print(f"--- {label}\n{failure[:1500]}")
    assert operations == 24
    assert statuses[200] + statuses[201] + statuses[204] > 24  # real objects were reached
    assert not failures, sorted(failures)


def _exercise(operation, ids, failures: dict[str, str], statuses: Counter) -> None:
    counter = itertools.count()
    label = f"{operation.method.upper()} {operation.path}"
    who = AUDITOR if operation.path.startswith(AUDITOR_PATHS) else USER

    @settings(
        max_examples=EXAMPLES,
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
        headers = {"Authorization": f"Token {_token(who)}"}
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported at the end
            failures.setdefault(label, f"{case.as_curl_command(headers)}\n{exc}")

    run()
