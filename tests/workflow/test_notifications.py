"""Notifications (issue 3, item 9): approval events derived from the engine's records, the
in-app rows and e-mails they create, the header badge, the list page and the API.

Scenarios run through workflow/proposals/services/ in the city of tests/workflow/conftest.py:
窓口係 主事 drafts → 窓口係長 → 市民課長 (decides).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends import smtp
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from directory import services as directory_services
from directory.models import Notification, OrgUnit
from directory.notifications import notification_create
from tests.workflow.conftest import make_ruleset
from workflow.dx import services as dx_services
from workflow.engine.events import (
    ProposalDecided,
    ProposalSentBack,
    ProposalTaskCreated,
    approval_event,
)
from workflow.models import Proposal, ProposalStep
from workflow.proposals import services

pytestmark = pytest.mark.django_db

LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
DRAFTER, KAKARI, KACHO = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run every action as committed: the notifications are sent on commit."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def events():
    received = []

    def receiver(sender, event, **kwargs):
        received.append(event)

    approval_event.connect(receiver, dispatch_uid="test-notifications")
    yield received
    approval_event.disconnect(dispatch_uid="test-notifications")


def user(city, username):
    return city.p(username).user


def set_email(city, username, email):
    person = city.p(username)
    person.email = email
    person.save(update_fields=["email"])


def notes(city, username):
    return list(
        Notification.objects.filter(recipient=city.p(username))
        .order_by("id")
        .values_list("kind", "title", "body", "url")
    )


def submit(city, on_commit, drafter=DRAFTER) -> Proposal:
    proposal = services.proposal_create(
        actor=user(city, drafter), title="窓口の案内表示の更新", category="general"
    )
    return on_commit(services.proposal_submit, actor=user(city, drafter), proposal=proposal)


def pending(proposal, username):
    return ProposalStep.objects.get(
        proposal=proposal, state="pending", approver__user__username=username
    )


def approve(city, on_commit, proposal, username, approver=None):
    step = pending(proposal, approver or username)
    return on_commit(services.task_approve, actor=user(city, username), step=step)


def test_submitting_notifies_the_first_approver_in_app_and_by_mail(city, on_commit, events):
    set_email(city, KAKARI, "kakari@city.example.jp")

    proposal = submit(city, on_commit)

    [(kind, title, _body, url)] = notes(city, KAKARI)
    assert kind == "workflow.task_created"
    assert "窓口の案内表示の更新" in title
    assert url == reverse("workflow:proposal", args=[proposal.pk])
    assert notes(city, KACHO) == []
    assert notes(city, DRAFTER) == []
    [message] = mail.outbox
    assert message.to == ["kakari@city.example.jp"]
    assert "窓口の案内表示の更新" in message.subject
    assert url in message.body
    [event] = events
    assert isinstance(event, ProposalTaskCreated)
    assert (event.proposal_id, event.round, event.kind) == (proposal.pk, 1, "approve")
    assert event.approver_id == city.p(KAKARI).pk
    assert event.step_id == pending(proposal, KAKARI).pk


def test_no_mail_without_an_address(city, on_commit):
    submit(city, on_commit)

    assert len(notes(city, KAKARI)) == 1
    assert mail.outbox == []


def test_approving_notifies_the_next_approver(city, on_commit, events):
    set_email(city, KACHO, "kacho@city.example.jp")
    proposal = submit(city, on_commit)

    approve(city, on_commit, proposal, KAKARI)

    assert [n[0] for n in notes(city, KACHO)] == ["workflow.task_created"]
    assert [m.to for m in mail.outbox] == [["kacho@city.example.jp"]]
    assert [type(e).__name__ for e in events] == ["ProposalTaskCreated", "ProposalTaskCreated"]
    assert events[1].kind == "decide"


def test_a_consultation_group_notifies_each_consultee(city, on_commit):
    make_ruleset(
        version=2,
        effective_on=date(2001, 4, 1),
        authority=[("general", 0, None, "kacho")],
        consultations=[("general", 0, None, "財政課"), ("general", 0, None, "人事課")],
    )
    proposal = submit(city, on_commit)
    approve(city, on_commit, proposal, KAKARI)

    for consultee in ("zaisei_kacho", "jinji_kacho"):
        assert len(notes(city, consultee)) == 1, consultee
    assert notes(city, KACHO) == []

    approve(city, on_commit, proposal, "zaisei_kacho")
    assert notes(city, KACHO) == []  # the group is not done yet
    approve(city, on_commit, proposal, "jinji_kacho")
    assert len(notes(city, KACHO)) == 1


def test_send_back_notifies_the_drafter_with_the_comment(city, on_commit, events):
    set_email(city, DRAFTER, "staff@city.example.jp")
    proposal = submit(city, on_commit)

    on_commit(
        services.task_send_back,
        actor=user(city, KAKARI),
        step=pending(proposal, KAKARI),
        comment="金額の根拠を添付してください",
    )

    [(kind, _title, body, _url)] = notes(city, DRAFTER)
    assert kind == "workflow.sent_back"
    assert "金額の根拠を添付してください" in body
    assert city.p(KAKARI).display_name in body
    assert "金額の根拠を添付してください" in mail.outbox[-1].body
    assert isinstance(events[-1], ProposalSentBack)
    assert events[-1].comment == "金額の根拠を添付してください"


def test_the_decision_notifies_the_drafter_with_the_document_number(city, on_commit, events):
    proposal = submit(city, on_commit)
    approve(city, on_commit, proposal, KAKARI)

    approve(city, on_commit, proposal, KACHO)

    proposal.refresh_from_db()
    assert proposal.document_number
    [(kind, title, body, _url)] = notes(city, DRAFTER)
    assert kind == "workflow.approved"
    assert proposal.document_number in title
    assert proposal.document_number in body
    decided = events[-1]
    assert isinstance(decided, ProposalDecided)
    assert (decided.outcome, decided.document_number) == ("approved", proposal.document_number)
    # Nobody gets a new task after the decision.
    assert [type(e) for e in events].count(ProposalTaskCreated) == 2


def test_a_rejection_notifies_the_drafter(city, on_commit, events):
    proposal = submit(city, on_commit)
    approve(city, on_commit, proposal, KAKARI)

    on_commit(services.task_reject, actor=user(city, KACHO), step=pending(proposal, KACHO))

    [(kind, _title, _body, _url)] = notes(city, DRAFTER)
    assert kind == "workflow.rejected"
    assert (events[-1].outcome, events[-1].document_number) == ("rejected", "")


def test_a_deputy_gets_the_principals_task_notification(city, on_commit):
    now = timezone.now()
    directory_services.delegation_create(
        actor=user(city, KACHO),
        deputy_username="shimin_hosa",
        start_at=now - timedelta(hours=1),
        end_at=now + timedelta(days=1),
    )
    proposal = submit(city, on_commit)

    approve(city, on_commit, proposal, KAKARI)

    assert len(notes(city, KACHO)) == 1
    [(kind, _title, body, _url)] = notes(city, "shimin_hosa")
    assert kind == "workflow.task_created"
    assert city.p(KACHO).display_name in body


def test_a_rolled_back_action_sends_nothing(city, django_capture_on_commit_callbacks, events):
    set_email(city, KAKARI, "kakari@city.example.jp")
    proposal = services.proposal_create(
        actor=user(city, DRAFTER), title="窓口の案内表示の更新", category="general"
    )

    class Boom(Exception):
        pass

    def submit_then_fail():
        with transaction.atomic():
            services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
            raise Boom

    # The callbacks of a rolled-back (savepoint) transaction are dropped, as on a real rollback.
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        submit_then_fail()

    assert callbacks == []
    proposal.refresh_from_db()
    assert proposal.status == "draft"
    assert Notification.objects.count() == 0
    assert mail.outbox == []
    assert events == []


# --- the subscriber contract, the API, the list page and the header badge ---------------------


def test_a_subscriber_receives_typed_frozen_events(city, on_commit, events):
    proposal = submit(city, on_commit)
    approve(city, on_commit, proposal, KAKARI)
    approve(city, on_commit, proposal, KACHO)

    assert [type(e) for e in events] == [
        ProposalTaskCreated,
        ProposalTaskCreated,
        ProposalDecided,
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].title = "changed"
    assert events[-1].actor_id == city.p(KACHO).pk


def test_a_failing_subscriber_breaks_neither_the_action_nor_the_others(city, on_commit):
    def broken(sender, event, **kwargs):
        raise RuntimeError("subscriber down")

    approval_event.connect(broken, dispatch_uid="test-broken")
    try:
        proposal = submit(city, on_commit)
    finally:
        approval_event.disconnect(dispatch_uid="test-broken")

    assert proposal.status == "in_review"
    assert len(notes(city, KAKARI)) == 1


def test_a_mail_failure_is_logged_and_keeps_the_in_app_notification(
    city, on_commit, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.workflow.test_notifications.FailingBackend"
    set_email(city, KAKARI, "kakari@city.example.jp")

    proposal = submit(city, on_commit)

    assert proposal.status == "in_review"
    assert len(notes(city, KAKARI)) == 1
    assert "Notification e-mail" in caplog.text


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def smtp_attempts(settings, monkeypatch):
    """Django's SMTP backend (what runs outside tests) with its delivery recorded: each attempt
    as (host, port, recipients), answered like a host with no mail server (connection refused)
    unless that host is the configured one, which accepts."""
    settings.EMAIL_BACKEND = SMTP
    attempts = []

    def send_messages(self, messages):
        attempts.append((self.host, self.port, [m.to for m in messages]))
        if self.host != "mail.city.example.jp":
            raise ConnectionRefusedError(111, "Connection refused")
        return len(messages)

    monkeypatch.setattr(smtp.EmailBackend, "send_messages", send_messages)
    return attempts


def test_without_a_mail_server_an_approval_notifies_in_app_only(
    city, on_commit, settings, smtp_attempts, caplog
):
    settings.EMAIL_HOST = ""  # config.settings without KAIRAN_EMAIL_HOST
    set_email(city, KAKARI, "kakari@city.example.jp")
    set_email(city, KACHO, "kacho@city.example.jp")
    caplog.set_level(logging.INFO)

    proposal = submit(city, on_commit)
    approve(city, on_commit, proposal, KAKARI)

    assert [n[0] for n in notes(city, KAKARI)] == ["workflow.task_created"]
    assert [n[0] for n in notes(city, KACHO)] == ["workflow.task_created"]
    assert smtp_attempts == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_with_a_mail_server_an_approval_is_also_mailed(city, on_commit, settings, smtp_attempts):
    settings.EMAIL_HOST = "mail.city.example.jp"
    set_email(city, KACHO, "kacho@city.example.jp")
    proposal = submit(city, on_commit)

    approve(city, on_commit, proposal, KAKARI)

    assert [n[0] for n in notes(city, KACHO)] == ["workflow.task_created"]
    assert smtp_attempts == [("mail.city.example.jp", 25, [["kacho@city.example.jp"]])]


def test_mail_is_configured_by_a_host_or_a_non_smtp_backend(settings):
    from directory.notifications import email_configured

    settings.EMAIL_BACKEND, settings.EMAIL_HOST = SMTP, ""
    assert not email_configured()
    settings.EMAIL_HOST = "mail.city.example.jp"
    assert email_configured()
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert email_configured()


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP down")


def api(city, username):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=city.p(username).user_id))
    return client


def web(city, username):
    client = Client()
    client.force_login(
        get_user_model().objects.get(pk=city.p(username).user_id), backend=LOCAL_BACKEND
    )
    return client


def note(city, username, title="お知らせ"):
    return notification_create(
        recipient=city.p(username), kind="test", title=title, body="本文", url="/approval/"
    )


def test_the_api_lists_only_my_notifications(city):
    mine = note(city, KAKARI, "私宛")
    note(city, KACHO, "課長宛")

    response = api(city, KAKARI).get("/api/v1/notifications/")

    assert response.status_code == 200
    assert response.json()["unread"] == 1
    [item] = response.json()["results"]
    assert (item["id"], item["title"], item["is_read"], item["read_at"]) == (
        mine.pk,
        "私宛",
        False,
        None,
    )
    assert set(item) == {"id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"}


def test_the_api_marks_my_notifications_read_and_refuses_anothers(city):
    mine, also_mine = note(city, KAKARI), note(city, KAKARI)
    theirs = note(city, KACHO)
    client = api(city, KAKARI)

    refused = client.post("/api/v1/notifications/read/", {"ids": [theirs.pk]}, format="json")
    mixed = client.post("/api/v1/notifications/read/", {"ids": [mine.pk, theirs.pk]}, format="json")
    assert (refused.status_code, mixed.status_code) == (404, 404)
    assert Notification.objects.filter(read_at__isnull=False).count() == 0

    response = client.post("/api/v1/notifications/read/", {"ids": [mine.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    response = client.post("/api/v1/notifications/read/", {"all": True}, format="json")
    assert response.json() == {"marked": 1, "unread": 0}
    also_mine.refresh_from_db()
    theirs.refresh_from_db()
    assert also_mine.read_at is not None
    assert theirs.read_at is None


def test_the_api_refuses_bad_input_and_anonymous_requests(city):
    response = api(city, KAKARI).post("/api/v1/notifications/read/", {}, format="json")
    assert response.status_code == 400
    response = api(city, KAKARI).post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json")
    assert response.status_code == 400
    assert APIClient().get("/api/v1/notifications/").status_code == 401
    assert APIClient().post("/api/v1/notifications/read/", {"all": True}).status_code == 401


def test_the_header_badge_shows_my_unread_count(city):
    client = web(city, KAKARI)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="notifications-badge"' in page
    assert 'data-testid="notifications-unread"' not in page

    note(city, KAKARI)
    note(city, KAKARI)
    note(city, KACHO)
    page = client.get(reverse("home")).content.decode()
    badge = page.split('data-testid="notifications-unread">', 1)[1].split("<", 1)[0]
    assert "2" in badge


def test_the_list_page_shows_my_notifications_and_marks_them_read(city):
    first = note(city, KAKARI, "一件目")
    note(city, KAKARI, "二件目")
    theirs = note(city, KACHO, "課長宛")
    client = web(city, KAKARI)

    page = client.get(reverse("notifications")).content.decode()
    assert "一件目" in page
    assert "二件目" in page
    assert "課長宛" not in page

    response = client.post(reverse("notifications-read"), {"id": [first.pk, theirs.pk]})
    assert response.status_code == 302
    first.refresh_from_db()
    theirs.refresh_from_db()
    assert first.read_at is not None
    assert theirs.read_at is None

    client.post(reverse("notifications-read"), {"all": "1"})
    assert Notification.objects.filter(recipient=city.p(KAKARI), read_at=None).count() == 0
    assert Client().get(reverse("notifications")).status_code == 302  # sign in first


# --- DX action plans ------------------------------------------------------------------------


@pytest.fixture
def dx(city):
    """デジタル推進課 > DX推進係 (the secretariat) and the DX推進委員会 group."""
    ka = OrgUnit.objects.create(name="デジタル推進課", level=2, parent=city.u("総務部"))
    city.units["デジタル推進課"] = ka
    city.units["DX推進係"] = OrgUnit.objects.create(name="DX推進係", level=3, parent=ka)
    city.add("dx_kacho", "デジタル推進課", "課長")
    city.add("dx_staff", "DX推進係", "主事")
    committee = Group.objects.create(name="DX推進委員会")
    for username in ("deputy", "somu_bucho"):
        city.p(username).user.groups.add(committee)
    return city


def test_dx_plans_notify_the_bodies_and_the_drafter(dx, on_commit, events):
    plan = dx_services.action_plan_create(
        actor=user(dx, DRAFTER),
        title="窓口予約のオンライン化",
        goal="待ち時間を半減する",
        estimated_cost=3_000_000,
        technology="SaaS 予約システム",
        report_due_on=date(2027, 3, 31),
    )
    on_commit(dx_services.action_plan_submit, actor=user(dx, DRAFTER), plan=plan)
    # Every member of the secretariat (a 係 below the 課 too), nobody else.
    for username in ("dx_kacho", "dx_staff"):
        assert [n[0] for n in notes(dx, username)] == ["dx.secretariat_task"], username
    assert notes(dx, "deputy") == []

    on_commit(
        dx_services.action_plan_send_back,
        actor=user(dx, "dx_staff"),
        plan=plan,
        comment="費用の内訳を添えてください",
    )
    [(kind, _title, body, _url)] = notes(dx, DRAFTER)
    assert kind == "dx.sent_back"
    assert "費用の内訳を添えてください" in body

    on_commit(dx_services.action_plan_submit, actor=user(dx, DRAFTER), plan=plan)
    on_commit(
        dx_services.action_plan_review,
        actor=user(dx, "dx_staff"),
        plan=plan,
        is_cost_ok=True,
        is_technology_ok=True,
    )
    for username in ("deputy", "somu_bucho"):
        assert [n[0] for n in notes(dx, username)] == ["dx.committee_task"], username

    on_commit(dx_services.action_plan_approve, actor=user(dx, "deputy"), plan=plan)
    assert [n[0] for n in notes(dx, DRAFTER)] == ["dx.sent_back", "dx.approved"]
    assert "2027-03-31" in notes(dx, DRAFTER)[-1][2]
    assert [type(e).__name__ for e in events] == [
        "ActionPlanTaskCreated",
        "ActionPlanSentBack",
        "ActionPlanTaskCreated",
        "ActionPlanTaskCreated",
        "ActionPlanApproved",
    ]


def test_the_api_list_takes_a_bounded_number_of_queries(city, django_assert_max_num_queries):
    for i in range(30):
        note(city, KAKARI, f"お知らせ{i}")
    client = api(city, KAKARI)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/notifications/?limit=20")

    assert len(response.json()["results"]) == 20
    assert response.json()["unread"] == 30


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_notifies_and_a_real_rollback_does_not(city):
    proposal = services.proposal_create(
        actor=user(city, DRAFTER), title="窓口の案内表示の更新", category="general"
    )

    def submit_then_fail():
        with transaction.atomic():
            services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        submit_then_fail()
    assert Notification.objects.count() == 0

    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    assert notes(city, KAKARI)[0][0] == "workflow.task_created"


def test_a_circulation_notifies_each_recipient_and_the_drafter_once_all_have_seen(
    city, on_commit, events
):
    now = timezone.now()
    directory_services.delegation_create(
        actor=user(city, KACHO),
        deputy_username="shimin_hosa",
        start_at=now - timedelta(hours=1),
        end_at=now + timedelta(days=1),
    )
    proposal = services.circulation_create(
        actor=user(city, DRAFTER), title="研修のお知らせ", recipients=[KAKARI, KACHO]
    )
    on_commit(services.proposal_submit, actor=user(city, DRAFTER), proposal=proposal)

    assert [n[0] for n in notes(city, KAKARI)] == ["workflow.task_created"]
    assert [n[0] for n in notes(city, KACHO)] == ["workflow.task_created"]
    assert notes(city, "shimin_hosa") == []  # only the recipient confirms a 供覧

    approve(city, on_commit, proposal, KAKARI)
    assert notes(city, DRAFTER) == []
    approve(city, on_commit, proposal, KACHO)
    [(kind, title, _body, _url)] = notes(city, DRAFTER)
    assert kind == "workflow.approved"
    assert "研修のお知らせ" in title
    assert (events[-1].outcome, events[-1].document_number) == ("approved", "")
