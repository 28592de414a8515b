"""record() / record_many(): the chain they build, what they store, and transactions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from audit.chain import GENESIS_HASH
from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.services import EventSpec, record, record_many
from tests.audit.conftest import head, rehash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_record_builds_a_chain_that_verifies():
    user = UserFactory(username="tanaka")
    first = record(action="test.created", actor=user, target=user, details={"a": 1})
    second = record(action="test.changed", details={"b": 2})

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert (first.actor_id, first.actor_username) == (user.pk, "tanaka")
    assert (first.target_type, first.target_id) == ("auth.user", str(user.pk))
    assert (second.actor_id, second.actor_username) == (None, "")
    assert (head().last_seq, head().last_hash) == (2, second.hash)
    result = chain_verify()
    assert (result.ok, result.count, result.head_hash) == (True, 2, second.hash)


def test_record_many_appends_in_order_under_one_head():
    record(action="test.before")
    events = record_many(EventSpec(action=f"test.bulk.{n}", details={"n": n}) for n in range(5))

    assert [e.seq for e in events] == [2, 3, 4, 5, 6]
    assert [e.action for e in AuditEvent.objects.order_by("seq")][1:] == [
        f"test.bulk.{n}" for n in range(5)
    ]
    assert head().last_seq == 6
    assert chain_verify().count == 6


def test_awkward_details_still_verify_after_a_database_round_trip():
    """Values the database gives back in another form must not look like tampering."""
    details = {
        "件名": "令和8年度 予算（案）について",
        "emoji": "🏯",
        "nested": {"list": [1, 2.5, {"深い": "値"}, None, True], "empty": {}, "z": [], "a": ""},
        "amount": Decimal("1234567.89"),
        "when": datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Tokyo")),
        "on": date(2026, 4, 1),
        "huge_float": 1.5e300,  # jsonb hands this back as a 301-digit integer
        "whole_float": 3.0,
        "tiny_float": 1e-7,
        "nul": "a\x00b",  # PostgreSQL refuses NUL in text
        7: "int key",
    }
    addresses = ["::ffff:192.0.2.1", "::c000:201", "2001:DB8:0:0:0:0:0:1", "192.0.2.10"]
    for address in addresses:
        record(action="test.awkward", details=details, client_address=address)

    stored = AuditEvent.objects.order_by("seq").first()
    assert stored.details["件名"] == "令和8年度 予算（案）について"
    assert stored.details["amount"] == "1234567.89"
    assert stored.details["when"].startswith("2026-04-01T09:30:15.123")
    assert stored.details["on"] == "2026-04-01"
    assert stored.details["huge_float"] == int(1.5e300)
    assert stored.details["whole_float"] == 3
    assert stored.details["nested"]["list"][2] == {"深い": "値"}
    assert stored.details["nul"] == "a\ufffdb"
    assert stored.details["7"] == "int key"
    for event in AuditEvent.objects.all():
        assert rehash(event) == event.hash, event.client_address
    result = chain_verify()
    assert result.ok, result.reason
    assert result.count == len(addresses)


def test_client_address_that_is_not_an_address_is_dropped_not_fatal():
    """A proxy may send "unknown" or "host:port"; PostgreSQL's inet would refuse the change."""
    bad = record(action="test.address", client_address="unknown")
    port = record(action="test.address", client_address="192.0.2.1:5678")
    zone = record(action="test.address", client_address="fe80::1%eth0")

    assert AuditEvent.objects.get(pk=bad.pk).client_address is None
    assert AuditEvent.objects.get(pk=port.pk).client_address is None
    assert AuditEvent.objects.get(pk=zone.pk).client_address == "fe80::1"
    assert chain_verify().ok


def test_address_comes_from_the_request_and_x_forwarded_for_only_when_trusted(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1", REMOTE_ADDR="10.0.0.1")
    settings.TRUST_X_FORWARDED_FOR = False
    assert record(action="test.req", request=request).client_address == "10.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    assert record(action="test.req", request=request).client_address == "203.0.113.9"


@pytest.mark.parametrize(
    ("action", "details"),
    [("", {}), ("x" * 101, {}), ("test.nan", {"v": float("nan")}), ("test.set", {"v": {1}})],
)
def test_bad_input_raises_and_records_nothing(action, details):
    with pytest.raises((ValueError, TypeError)):
        record(action=action, details=details)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_event_and_the_chain_continues():
    record(action="test.kept")

    @transaction.atomic
    def change_that_fails() -> None:
        record(action="test.rolled_back")
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.kept"]
    assert head().last_seq == 1
    after = record(action="test.after")
    assert after.seq == 2
    assert chain_verify().ok


def test_verify_streams_the_chain_in_one_statement(django_assert_max_num_queries):
    for n in range(7):
        record(action="test.stream", details={"n": n})
    # One SELECT for all rows, however small the batches (plus SAVEPOINT/RELEASE on PostgreSQL):
    # a single statement sees one snapshot while writers keep appending.
    with django_assert_max_num_queries(3):
        result = chain_verify(batch_size=2)
    assert (result.ok, result.count) == (True, 7)


def test_empty_log_verifies_with_the_genesis_hash():
    result = chain_verify()
    assert (result.ok, result.count, result.head_hash) == (True, 0, GENESIS_HASH)


def test_canonical_form_is_stable_text():
    """The serialisation is part of the evidence: pin it so a refactor cannot change it."""
    from audit.chain import canonical_bytes

    raw = canonical_bytes(
        seq=1,
        at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC),
        actor_id=None,
        actor_username="",
        action="test",
        target_type="",
        target_id="",
        client_address="::ffff:192.0.2.1",
        details={"b": "日本", "a": 1},
        prev_hash=GENESIS_HASH,
    )
    assert json.loads(raw)["client_address"] == "0000:0000:0000:0000:0000:ffff:c000:0201"
    assert raw.startswith(b'{"action":"test","actor":"","actor_id":null,"at":"2026-04-01T00:00')
    assert '"details":{"a":1,"b":"日本"}'.encode() in raw
