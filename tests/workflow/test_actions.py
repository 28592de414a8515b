"""Proposal and task actions through workflow/proposals/services/: every action, every refusal,
rounds,
合議, 代決 with 後閲, and document numbers per 課 per fiscal year.

The city is tests/workflow/conftest.py's; the rules are the shipped defaults (v1, 2000-04-01).
A 主事 of 市民課 > 窓口係 drafting a general matter goes 窓口係長 → 市民課長 (decides).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Process, Task

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.models import AuditEvent
from audit.selectors import chain_verify
from directory import services as directory_services
from directory.models import Delegation
from tests.workflow.conftest import make_ruleset
from workflow.flows import ProposalFlow, driving
from workflow.models import Decision, DocumentCounter, PostReview, Proposal, ProposalStep
from workflow.proposals import services
from workflow.proposals.services._common import locked_proposal

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
DRAFTER, KAKARI, KACHO = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"


def user(city, username: str):
    return city.p(username).user


def create(city, drafter: str = DRAFTER, category: str = "general", amount=None) -> Proposal:
    return services.proposal_create(
        actor=user(city, drafter), title="窓口の案内表示の更新", category=category, amount=amount
    )


def submitted(city, **kw) -> Proposal:
    proposal = create(city, **kw)
    return services.proposal_submit(actor=user(city, kw.get("drafter", DRAFTER)), proposal=proposal)


def route(proposal: Proposal, round_: int | None = None) -> list[tuple[int, str, str, str]]:
    steps = ProposalStep.objects.filter(proposal=proposal, round=round_ or proposal.round)
    return [(s.order, s.kind, s.approver.username, s.state) for s in steps.order_by("order", "id")]


def pending(proposal: Proposal, username: str | None = None) -> ProposalStep:
    steps = ProposalStep.objects.filter(proposal=proposal, state="pending")
    if username:
        steps = steps.filter(approver__user__username=username)
    return steps.get()


def approve(city, proposal: Proposal, username: str, **kw) -> ProposalStep:
    step = pending(proposal, kw.pop("approver", username))
    return services.task_approve(actor=user(city, username), step=step, **kw)


def actions(proposal: Proposal) -> list[tuple[int, str, str]]:
    return [
        (d.round, d.action, d.actor.username)
        for d in Decision.objects.filter(proposal=proposal).order_by("at", "id")
    ]


# --- create, update, submit -------------------------------------------------------------------


def test_create_stores_the_route_as_a_waiting_preview(city):
    proposal = create(city)

    assert proposal.status == "draft"
    assert proposal.round == 0
    assert proposal.drafting_unit == city.u("市民課")
    assert proposal.ruleset.version == 1
    assert route(proposal, 1) == [
        (1, "approve", KAKARI, "waiting"),
        (2, "decide", KACHO, "waiting"),
    ]
    assert actions(proposal) == [(1, "created", DRAFTER)]
    assert AuditEvent.objects.filter(
        action="workflow.proposal_created", target_id=str(proposal.pk)
    ).exists()


def test_create_refuses_bad_input(city):
    with pytest.raises(ValidationFailed):
        create(city, category="nonsense")
    with pytest.raises(ValidationFailed):
        create(city, category="expenditure", amount=None)
    with pytest.raises(ValidationFailed):
        services.proposal_create(actor=user(city, DRAFTER), title="  ", category="general")
    assert not Proposal.objects.exists()


def test_submit_starts_round_one_with_the_first_step_pending(city):
    proposal = submitted(city)

    assert proposal.status == "in_review"
    assert proposal.round == 1
    assert route(proposal) == [(1, "approve", KAKARI, "pending"), (2, "decide", KACHO, "waiting")]
    assert actions(proposal)[-1] == (1, "submitted", DRAFTER)


def test_only_the_drafter_submits_and_only_once(city):
    proposal = create(city)
    with pytest.raises(PermissionRefused):
        services.proposal_submit(actor=user(city, KAKARI), proposal=proposal)
    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    with pytest.raises(Conflict):
        services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)


def test_update_recomputes_the_preview_and_is_refused_in_review(city):
    proposal = create(city)
    services.proposal_update(
        actor=user(city, DRAFTER), proposal=proposal, category="expenditure", amount=1_000_000
    )
    assert [r[2] for r in route(proposal, 1)] == [KAKARI, KACHO, "shimin_bucho"]

    with pytest.raises(PermissionRefused):
        services.proposal_update(actor=user(city, KACHO), proposal=proposal, title="x")
    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    with pytest.raises(Conflict):
        services.proposal_update(actor=user(city, DRAFTER), proposal=proposal, title="x")


def test_submission_uses_the_rules_in_force_that_day(city):
    proposal = create(city)  # v1: a general matter is decided by the 課長
    make_ruleset(
        version=2,
        effective_on=timezone.localdate() + timedelta(days=10),
        authority=[("general", 0, None, "bucho")],
    )
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)

    proposal.refresh_from_db()
    assert proposal.ruleset.version == 2
    assert route(proposal)[-1][1:3] == ("decide", "shimin_bucho")


# --- approve to the decision ------------------------------------------------------------------


def test_approvals_advance_to_the_decision_and_a_document_number(city):
    proposal = submitted(city)

    approve(city, proposal, KAKARI, comment="確認しました")
    assert route(proposal) == [(1, "approve", KAKARI, "approved"), (2, "decide", KACHO, "pending")]
    approve(city, proposal, KACHO)

    proposal.refresh_from_db()
    assert proposal.status == "approved"
    assert proposal.document_number == "交市第1号"
    assert proposal.number == 1
    assert proposal.decided_at is not None
    assert actions(proposal)[-2:] == [(1, "approved", KAKARI), (1, "decided", KACHO)]
    assert Decision.objects.get(proposal=proposal, action="approved").comment == "確認しました"
    assert AuditEvent.objects.filter(action="workflow.task_decided").count() == 1


def test_not_your_task_is_refused_and_a_done_task_conflicts(city):
    proposal = submitted(city)
    step = pending(proposal)
    for outsider in (KACHO, DRAFTER, "zeimu_kacho"):
        with pytest.raises(PermissionRefused):
            services.task_approve(actor=user(city, outsider), step=step)

    services.task_approve(actor=user(city, KAKARI), step=step)
    with pytest.raises(Conflict):
        services.task_approve(actor=user(city, KAKARI), step=step)
    # A later step is not yet a task.
    decide = ProposalStep.objects.get(proposal=proposal, kind="decide")
    services.task_approve(actor=user(city, KACHO), step=decide)
    with pytest.raises(Conflict):
        services.task_approve(actor=user(city, KACHO), step=decide)


def test_a_waiting_step_cannot_be_acted_on(city):
    proposal = submitted(city)
    decide = ProposalStep.objects.get(proposal=proposal, kind="decide")
    with pytest.raises(Conflict):
        services.task_approve(actor=user(city, KACHO), step=decide)


def consult_zaisei_and_jinji() -> None:
    """Rules v2: 課長 decides every ``general`` proposal, after 財政課 and 人事課 (合議)."""
    make_ruleset(
        version=2,
        effective_on=date(2001, 4, 1),
        authority=[("general", 0, None, "kacho")],
        consultations=[("general", 0, None, "財政課"), ("general", 0, None, "人事課")],
    )


def test_consultations_run_in_parallel_and_all_must_agree(city):
    consult_zaisei_and_jinji()
    proposal = submitted(city)
    approve(city, proposal, KAKARI)
    assert {(r[2], r[3]) for r in route(proposal) if r[1] == "consult"} == {
        ("zaisei_kacho", "pending"),
        ("jinji_kacho", "pending"),
    }

    approve(city, proposal, "zaisei_kacho")
    assert route(proposal)[-1] == (3, "decide", KACHO, "waiting")
    approve(city, proposal, "jinji_kacho")
    assert route(proposal)[-1] == (3, "decide", KACHO, "pending")
    assert [a[1] for a in actions(proposal)].count("consulted") == 2


# --- send back, resubmit, reject --------------------------------------------------------------


def test_send_back_needs_a_comment(city):
    proposal = submitted(city)
    for comment in ("", "   "):
        with pytest.raises(ValidationFailed):
            services.task_send_back(
                actor=user(city, KAKARI), step=pending(proposal), comment=comment
            )
    assert pending(proposal).approver.username == KAKARI


def test_send_back_returns_to_the_drafter_and_resubmission_starts_a_new_round(city):
    consult_zaisei_and_jinji()
    proposal = submitted(city)
    approve(city, proposal, KAKARI)
    step = pending(proposal, "zaisei_kacho")
    services.task_send_back(actor=user(city, "zaisei_kacho"), step=step, comment="金額の根拠を")

    proposal.refresh_from_db()
    assert proposal.status == "returned"
    # The sibling 合議 branch and the decider are cancelled with it.
    assert route(proposal) == [
        (1, "approve", KAKARI, "approved"),
        (2, "consult", "zaisei_kacho", "returned"),
        (2, "consult", "jinji_kacho", "cancelled"),
        (3, "decide", KACHO, "cancelled"),
    ]
    with pytest.raises(Conflict):
        services.task_approve(
            actor=user(city, "jinji_kacho"), step=step_of(proposal, "jinji_kacho")
        )

    services.proposal_update(actor=user(city, DRAFTER), proposal=proposal, body="根拠を追記")
    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.round == 2
    assert route(proposal)[0] == (1, "approve", KAKARI, "pending")
    # History keeps every round.
    assert route(proposal, 1)[1][3] == "returned"
    assert (1, "sent_back", "zaisei_kacho") in actions(proposal)
    assert actions(proposal)[-1] == (2, "submitted", DRAFTER)
    sent_back = Decision.objects.get(proposal=proposal, action="sent_back")
    assert sent_back.comment == "金額の根拠を"


def step_of(proposal: Proposal, username: str) -> ProposalStep:
    return ProposalStep.objects.get(
        proposal=proposal, round=proposal.round, approver__user__username=username
    )


def test_reject_is_for_the_final_approver_only(city):
    proposal = submitted(city)
    with pytest.raises(PermissionRefused):
        services.task_reject(actor=user(city, KAKARI), step=pending(proposal), comment="否")
    approve(city, proposal, KAKARI)
    services.task_reject(actor=user(city, KACHO), step=pending(proposal), comment="不要")

    proposal.refresh_from_db()
    assert proposal.status == "rejected"
    assert proposal.document_number == ""
    assert actions(proposal)[-1] == (1, "rejected", KACHO)
    assert not DocumentCounter.objects.exists()


# --- withdraw and cancel ----------------------------------------------------------------------


def test_withdraw_is_for_the_drafter_before_the_decision(city):
    proposal = submitted(city)
    with pytest.raises(PermissionRefused):
        services.proposal_withdraw(actor=user(city, KAKARI), proposal=proposal)
    services.proposal_withdraw(actor=user(city, DRAFTER), proposal=proposal)

    proposal.refresh_from_db()
    assert proposal.status == "draft"
    assert {r[3] for r in route(proposal)} == {"cancelled"}
    with pytest.raises(Conflict):
        services.proposal_withdraw(actor=user(city, DRAFTER), proposal=proposal)

    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    approve(city, proposal, KAKARI)
    approve(city, proposal, KACHO)
    with pytest.raises(Conflict):
        services.proposal_withdraw(actor=user(city, DRAFTER), proposal=proposal)


def test_a_cancelled_proposal_refuses_every_action(city):
    proposal = submitted(city)
    step = pending(proposal)
    with pytest.raises(PermissionRefused):
        services.proposal_cancel(actor=user(city, KAKARI), proposal=proposal)
    services.proposal_cancel(actor=user(city, DRAFTER), proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "cancelled"

    drafter = user(city, DRAFTER)
    for call in (
        lambda: services.task_approve(actor=user(city, KAKARI), step=step),
        lambda: services.task_send_back(actor=user(city, KAKARI), step=step, comment="x"),
        lambda: services.proposal_submit(actor=drafter, proposal=proposal),
        lambda: services.proposal_withdraw(actor=drafter, proposal=proposal),
        lambda: services.proposal_cancel(actor=drafter, proposal=proposal),
        lambda: services.proposal_update(actor=drafter, proposal=proposal, title="x"),
    ):
        with pytest.raises(Conflict):
            call()
    assert Proposal.objects.get(pk=proposal.pk).status == "cancelled"


# --- 代決 and 後閲 ----------------------------------------------------------------------------


def delegate(city, principal: str, deputy: str, **kw) -> Delegation:
    now = timezone.now()
    return directory_services.delegation_create(
        actor=user(city, principal),
        deputy_username=deputy,
        start_at=kw.get("start_at", now - timedelta(hours=1)),
        end_at=kw.get("end_at", now + timedelta(days=1)),
    )


def test_deputy_decides_for_the_absent_principal_who_reviews_afterwards(city):
    proposal = submitted(city)
    approve(city, proposal, KAKARI)
    delegate(city, KACHO, "shimin_hosa")

    approve(city, proposal, "shimin_hosa", approver=KACHO)

    proposal.refresh_from_db()
    assert proposal.status == "approved"
    decide = ProposalStep.objects.get(proposal=proposal, kind="decide")
    assert (decide.acted_by.username, decide.acting_for.username) == ("shimin_hosa", KACHO)
    entry = Decision.objects.get(proposal=proposal, action="decided")
    assert (entry.actor.username, entry.acting_for.username) == ("shimin_hosa", KACHO)

    review = PostReview.objects.get()
    assert (review.principal.username, review.step) == (KACHO, decide)
    with pytest.raises(PermissionRefused):
        services.post_review_ack(actor=user(city, "shimin_hosa"), post_review=review)
    # A 後閲 is a review: refused until the principal has opened the proposal.
    with pytest.raises(Conflict):
        services.post_review_ack(actor=user(city, KACHO), post_review=review)
    # Someone else opening it does not count.
    services.post_reviews_mark_opened(actor=user(city, "shimin_hosa"), proposal_id=proposal.pk)
    with pytest.raises(Conflict):
        services.post_review_ack(actor=user(city, KACHO), post_review=review)
    assert services.post_reviews_mark_opened(actor=user(city, KACHO), proposal_id=proposal.pk) == 1
    services.post_review_ack(actor=user(city, KACHO), post_review=review)
    review.refresh_from_db()
    assert review.acknowledged_at is not None
    with pytest.raises(Conflict):
        services.post_review_ack(actor=user(city, KACHO), post_review=review)


def test_principal_acting_in_person_creates_no_post_review(city):
    proposal = submitted(city)
    delegate(city, KAKARI, "shimin_hosa")
    approve(city, proposal, KAKARI)
    assert ProposalStep.objects.get(proposal=proposal, order=1).acting_for is None
    assert not PostReview.objects.exists()


def test_expired_or_future_delegations_do_not_count(city):
    proposal = submitted(city)
    now = timezone.now()
    delegate(city, KAKARI, "shimin_hosa", start_at=now - timedelta(days=2), end_at=now)
    delegate(
        city,
        KAKARI,
        "zeimu_kacho",
        start_at=now + timedelta(hours=1),
        end_at=now + timedelta(days=1),
    )
    for deputy in ("shimin_hosa", "zeimu_kacho"):
        with pytest.raises(PermissionRefused):
            services.task_approve(actor=user(city, deputy), step=pending(proposal))


def test_the_drafter_never_acts_on_their_own_proposal_even_as_a_deputy(city):
    proposal = submitted(city)
    delegate(city, KAKARI, DRAFTER)
    with pytest.raises(PermissionRefused):
        services.task_approve(actor=user(city, DRAFTER), step=pending(proposal))


def test_delegation_input_is_checked(city):
    now = timezone.now()
    actor = user(city, KACHO)
    for deputy, start, end in (
        ("nobody", now, now + timedelta(days=1)),
        (KACHO, now, now + timedelta(days=1)),
        ("shimin_hosa", now, now),
    ):
        with pytest.raises(ValidationFailed):
            directory_services.delegation_create(
                actor=actor, deputy_username=deputy, start_at=start, end_at=end
            )
    assert not Delegation.objects.exists()


# --- document numbers -------------------------------------------------------------------------


def decided(city, drafter: str = DRAFTER) -> Proposal:
    proposal = submitted(city, drafter=drafter)
    for step in ProposalStep.objects.filter(proposal=proposal).order_by("order"):
        services.task_approve(actor=step.approver.user, step=step)
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    return proposal


def test_numbers_count_per_division_and_fiscal_year(city):
    city.u("市民課").doc_number_prefix = "市民"
    city.u("市民課").save(update_fields=["doc_number_prefix"])
    march_31 = datetime(2027, 3, 31, 23, 30, tzinfo=TOKYO)
    april_1 = datetime(2027, 4, 1, 0, 30, tzinfo=TOKYO)

    with time_machine.travel(march_31, tick=False):
        first = decided(city)
        second = decided(city)
        zeimu = decided(city, drafter="zeimu_staff")
    with time_machine.travel(april_1, tick=False):
        new_year = decided(city)

    assert [p.document_number for p in (first, second, new_year)] == [
        "市民第1号",
        "市民第2号",
        "市民第1号",
    ]
    assert [p.fiscal_year for p in (first, second, new_year)] == [2026, 2026, 2027]
    # Another 課 counts on its own, with the default prefix 交 + its first character.
    assert (zeimu.document_number, zeimu.fiscal_year) == ("交税第1号", 2026)
    assert DocumentCounter.objects.get(unit=city.u("市民課"), fiscal_year=2026).last_number == 2


def test_the_drafting_unit_is_the_division_of_the_drafter(city):
    assert create(city, drafter=KAKARI).drafting_unit == city.u("市民課")
    assert create(city, drafter=KACHO).drafting_unit == city.u("市民課")
    assert create(city, drafter="shimin_bucho").drafting_unit == city.u("市民部")


# --- the viewflow side: one process per round, one task per pending step ---------------------


def review_tasks(proposal: Proposal) -> list[tuple[str, str]]:
    tasks = Task.objects.filter(process_id=proposal.process_id, flow_task_type="HUMAN")
    return [(t.owner.username, t.status) for t in tasks.order_by("id")]


def test_each_pending_step_is_an_assigned_viewflow_task(city):
    proposal = submitted(city)
    step = pending(proposal)

    process = Process.objects.get(pk=proposal.process_id)
    assert process.flow_class is ProposalFlow
    assert process.status == "NEW"
    assert step.task.owner == user(city, KAKARI)
    assert review_tasks(proposal) == [(KAKARI, "ASSIGNED")]

    approve(city, proposal, KAKARI)
    assert review_tasks(proposal) == [(KAKARI, "DONE"), (KACHO, "ASSIGNED")]
    approve(city, proposal, KACHO)
    assert review_tasks(proposal) == [(KAKARI, "DONE"), (KACHO, "DONE")]
    assert Process.objects.get(pk=proposal.process_id).status == "DONE"


def node_path(proposal: Proposal) -> list[str]:
    """The flow nodes the round's process went through, in order."""
    tasks = Task.objects.filter(process_id=proposal.process_id).order_by("id")
    return [t.flow_task.name for t in tasks]


def test_one_step_groups_skip_split_join_and_hub_and_consultations_keep_them(city):
    """回議 and 決裁 steps are one-step groups: the hub creates their task directly, and a done
    one-step review makes the hub's choice itself (no hub task after it). A 合議 group is split
    into parallel tasks and joined. Every task carries its step."""
    consult_zaisei_and_jinji()
    proposal = submitted(city)
    approve(city, proposal, KAKARI)
    for consultee in ("zaisei_kacho", "jinji_kacho"):
        approve(city, proposal, consultee)
    approve(city, proposal, KACHO)

    assert node_path(proposal) == [
        "start",
        "hub",
        "review_one",  # 係長 (回議)
        "split",
        "review",  # 財政課長 (合議)
        "review",  # 人事課長 (合議)
        "join",
        "hub",
        "review_one",  # 課長 (決裁)
        "end",
    ]
    steps = {s.task_id: s.pk for s in ProposalStep.objects.filter(proposal=proposal)}
    for task in Task.objects.filter(process_id=proposal.process_id, flow_task_type="HUMAN"):
        assert task.data == {"step": steps[task.pk]}
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.APPROVED


def test_send_back_in_consultation_cancels_the_sibling_task_and_ends_the_process(city):
    consult_zaisei_and_jinji()
    proposal = submitted(city)
    approve(city, proposal, KAKARI)
    assert review_tasks(proposal)[1:] == [("zaisei_kacho", "ASSIGNED"), ("jinji_kacho", "ASSIGNED")]

    step = pending(proposal, "jinji_kacho")
    services.task_send_back(actor=user(city, "jinji_kacho"), step=step, comment="要協議")

    assert review_tasks(proposal)[1:] == [("zaisei_kacho", "CANCELED"), ("jinji_kacho", "DONE")]
    first_process = proposal.process_id
    assert Process.objects.get(pk=first_process).status == "DONE"

    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.process_id != first_process
    assert review_tasks(proposal) == [(KAKARI, "ASSIGNED")]


def test_withdraw_and_cancel_cancel_the_process(city):
    proposal = submitted(city)
    services.proposal_withdraw(actor=user(city, DRAFTER), proposal=proposal)
    assert review_tasks(proposal) == [(KAKARI, "CANCELED")]
    assert Process.objects.get(pk=proposal.process_id).status == "CANCELED"

    services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)
    proposal.refresh_from_db()
    services.proposal_cancel(actor=user(city, DRAFTER), proposal=proposal)
    assert review_tasks(proposal) == [(KAKARI, "CANCELED")]
    assert Process.objects.get(pk=proposal.process_id).status == "CANCELED"


def test_the_flow_lock_is_the_proposal_row_the_driving_service_holds(city):
    """While a service drives a proposal's flow it holds the proposal's row lock: the flow asks
    for nothing more. Driving a process without it takes viewflow's process-row lock."""
    proposal = submitted(city)
    other = submitted(city)
    with transaction.atomic():
        held = locked_proposal(proposal.pk)
        with (
            driving(held),
            CaptureQueriesContext(connection) as ctx,
            ProposalFlow.lock(held.process_id),
        ):
            pass
        assert ctx.captured_queries == []
        for process_id, context in ((other.process_id, driving(held)), (held.process_id, None)):
            with (
                context or nullcontext(),
                CaptureQueriesContext(connection) as ctx,
                ProposalFlow.lock(process_id),
            ):
                pass
            assert any('"viewflow_process"' in q["sql"] for q in ctx.captured_queries)


def test_send_back_at_a_one_step_group_ends_the_process(city):
    """A 回議 step's task comes straight from the hub (no join): a send-back there still ends
    the round's process, with nothing left open."""
    proposal = submitted(city)
    step = pending(proposal)
    services.task_send_back(actor=user(city, KAKARI), step=step, comment="再検討")
    assert review_tasks(proposal) == [(KAKARI, "DONE")]
    assert Process.objects.get(pk=proposal.process_id).status == "DONE"
    assert node_path(proposal)[-3:] == ["hub", "review_one", "end"]
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.RETURNED


def test_reject_ends_the_process(city):
    proposal = submitted(city)
    approve(city, proposal, KAKARI)
    services.task_reject(actor=user(city, KACHO), step=pending(proposal), comment="不要")
    assert review_tasks(proposal) == [(KAKARI, "DONE"), (KACHO, "DONE")]
    assert Process.objects.get(pk=proposal.process_id).status == "DONE"


@pytest.mark.postgres
def test_decision_history_is_append_only_in_postgresql(city):
    proposal = submitted(city)
    entry = Decision.objects.filter(proposal=proposal).first()
    for change in (
        lambda: Decision.objects.filter(pk=entry.pk).update(comment="改ざん"),
        lambda: Decision.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert Decision.objects.get(pk=entry.pk).comment == ""


def test_every_state_change_is_audited_and_the_chain_verifies(city):
    drafter = user(city, DRAFTER)
    proposal = create(city)
    services.proposal_update(actor=drafter, proposal=proposal, body="追記")
    services.proposal_submit(actor=drafter, proposal=proposal)
    services.task_send_back(actor=user(city, KAKARI), step=pending(proposal), comment="修正を")
    services.proposal_submit(actor=drafter, proposal=proposal)
    services.proposal_withdraw(actor=drafter, proposal=proposal)
    services.proposal_submit(actor=drafter, proposal=proposal)
    approve(city, proposal, KAKARI)
    delegate(city, KACHO, "shimin_hosa")
    approve(city, proposal, "shimin_hosa", approver=KACHO)
    services.post_reviews_mark_opened(actor=user(city, KACHO), proposal_id=proposal.pk)
    services.post_review_ack(actor=user(city, KACHO), post_review=PostReview.objects.get())
    other = submitted(city)
    services.proposal_cancel(actor=drafter, proposal=other)

    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "workflow.proposal_created",
        "workflow.proposal_updated",
        "workflow.proposal_submitted",
        "workflow.task_sent_back",
        "workflow.proposal_submitted",
        "workflow.proposal_withdrawn",
        "workflow.proposal_submitted",
        "workflow.task_approved",
        "directory.delegation_created",
        "workflow.task_decided",
        "workflow.post_review_acknowledged",
        "workflow.proposal_created",
        "workflow.proposal_submitted",
        "workflow.proposal_cancelled",
    ]
    decided = AuditEvent.objects.get(action="workflow.task_decided")
    assert decided.actor_username == "shimin_hosa"
    assert decided.details["document_number"] == "交市第1号"
    assert decided.details["acting_for"] == KACHO
    assert chain_verify().ok


# --- 引上げ承認 --------------------------------------------------------------------------------

BUCHO = "shimin_bucho"


def test_a_superior_approves_ahead_of_an_absent_approver(city):
    # 1,000,000 yen: 係長 → 課長 → 部長 (decides).
    proposal = submitted(city, category="expenditure", amount=1_000_000)
    services.task_approve_ahead(actor=user(city, KACHO), proposal=proposal, comment="係長不在")

    assert route(proposal) == [
        (1, "approve", KAKARI, "skipped"),
        (2, "approve", KACHO, "approved"),
        (3, "decide", BUCHO, "pending"),
    ]
    entry = Decision.objects.get(proposal=proposal, action="approved_ahead")
    assert (entry.actor.username, entry.comment) == (KACHO, "係長不在")
    # viewflow: the skipped task was done by the one who approved ahead; the decider has a task.
    assert review_tasks(proposal) == [(KACHO, "DONE"), (BUCHO, "ASSIGNED")]

    approve(city, proposal, BUCHO)
    proposal.refresh_from_db()
    assert proposal.status == "approved"


def test_the_decider_approves_ahead_and_decides(city):
    proposal = submitted(city, category="expenditure", amount=1_000_000)
    services.task_approve_ahead(actor=user(city, BUCHO), proposal=proposal)

    proposal.refresh_from_db()
    assert proposal.status == "approved"
    assert proposal.document_number == "交市第1号"
    assert [r[3] for r in route(proposal)] == ["skipped", "skipped", "approved"]
    assert Process.objects.get(pk=proposal.process_id).status == "DONE"
    event = AuditEvent.objects.get(action="workflow.task_approved_ahead")
    assert event.details["document_number"] == "交市第1号"


def test_a_deputy_of_a_later_approver_may_approve_ahead_with_a_post_review(city):
    proposal = submitted(city, category="expenditure", amount=1_000_000)
    delegate(city, KACHO, "shimin_hosa")
    services.task_approve_ahead(actor=user(city, "shimin_hosa"), proposal=proposal)

    step = ProposalStep.objects.get(proposal=proposal, order=2)
    assert (step.state, step.acted_by.username, step.acting_for.username) == (
        "approved",
        "shimin_hosa",
        KACHO,
    )
    assert PostReview.objects.get().principal.username == KACHO


def test_approve_ahead_refusals(city):
    proposal = submitted(city, category="expenditure", amount=1_000_000)
    for outsider in ("zeimu_kacho", DRAFTER):
        with pytest.raises(PermissionRefused):
            services.task_approve_ahead(actor=user(city, outsider), proposal=proposal)
    # The pending approver approves; they do not approve ahead.
    with pytest.raises(Conflict):
        services.task_approve_ahead(actor=user(city, KAKARI), proposal=proposal)
    services.proposal_cancel(actor=user(city, DRAFTER), proposal=proposal)
    with pytest.raises(Conflict):
        services.task_approve_ahead(actor=user(city, KACHO), proposal=proposal)


def test_consultations_are_never_skipped(city):
    # 10,000,000 yen: 係長 → 課長 → 部長 → 合議 財政課 → 副市長 (decides).
    proposal = submitted(city, category="expenditure", amount=10_000_000)
    approve(city, proposal, KAKARI)
    approve(city, proposal, KACHO)
    approve(city, proposal, BUCHO)
    with pytest.raises(Conflict):
        services.task_approve_ahead(actor=user(city, "deputy"), proposal=proposal)
    # Before the 合議, the 部長 may still approve ahead of the 係長.
    other = submitted(city, category="expenditure", amount=10_000_000)
    services.task_approve_ahead(actor=user(city, BUCHO), proposal=other)
    assert [r[3] for r in route(other)] == ["skipped", "skipped", "approved", "pending", "waiting"]


# --- 供覧 (circulation) -----------------------------------------------------------------------


def circulation(city, recipients=(KAKARI, KACHO, "zeimu_kacho")) -> Proposal:
    proposal = services.circulation_create(
        actor=user(city, DRAFTER), title="県からの通知の供覧", recipients=list(recipients)
    )
    return services.proposal_submit(actor=user(city, DRAFTER), proposal=proposal)


def test_circulation_recipients_confirm_in_any_order_and_it_completes(city):
    proposal = circulation(city)
    assert proposal.kind == "circulation"
    assert route(proposal) == [
        (1, "circulate", KAKARI, "pending"),
        (1, "circulate", KACHO, "pending"),
        (1, "circulate", "zeimu_kacho", "pending"),
    ]
    assert review_tasks(proposal) == [
        (KAKARI, "ASSIGNED"),
        (KACHO, "ASSIGNED"),
        ("zeimu_kacho", "ASSIGNED"),
    ]

    approve(city, proposal, "zeimu_kacho")
    approve(city, proposal, KAKARI, comment="確認")
    proposal.refresh_from_db()
    assert proposal.status == "in_review"
    approve(city, proposal, KACHO)

    proposal.refresh_from_db()
    assert proposal.status == "approved"
    assert proposal.document_number == ""
    assert not DocumentCounter.objects.exists()
    assert {r[3] for r in route(proposal)} == {"seen"}
    assert [a[1] for a in actions(proposal)] == ["created", "submitted", "seen", "seen", "seen"]
    assert Process.objects.get(pk=proposal.process_id).status == "DONE"
    seen = ProposalStep.objects.get(proposal=proposal, approver=city.p(KACHO))
    with pytest.raises(Conflict):
        services.task_approve(actor=user(city, KACHO), step=seen)


def test_circulation_is_seen_by_the_recipient_only_and_never_sent_back(city):
    proposal = circulation(city)
    delegate(city, KACHO, "shimin_hosa")
    step = pending(proposal, KACHO)
    with pytest.raises(PermissionRefused):
        services.task_approve(actor=user(city, "shimin_hosa"), step=step)
    with pytest.raises(PermissionRefused):
        services.task_send_back(actor=user(city, KACHO), step=step, comment="不要")
    with pytest.raises(PermissionRefused):
        services.task_reject(actor=user(city, KACHO), step=step)
    with pytest.raises(PermissionRefused):
        services.task_approve_ahead(actor=user(city, KACHO), proposal=proposal)


def test_circulation_recipients_are_checked_and_can_be_changed_before_submission(city):
    drafter = user(city, DRAFTER)
    for recipients in ([], ["nobody"], [DRAFTER]):
        with pytest.raises(ValidationFailed):
            services.circulation_create(actor=drafter, title="供覧", recipients=recipients)

    draft = services.circulation_create(actor=drafter, title="供覧", recipients=[KAKARI, KAKARI])
    assert route(draft, 1) == [(1, "circulate", KAKARI, "waiting")]
    services.proposal_update(actor=drafter, proposal=draft, recipients=[KACHO, "zeimu_kacho"])
    assert [r[2] for r in route(draft, 1)] == [KACHO, "zeimu_kacho"]
    with pytest.raises(ValidationFailed):
        services.proposal_update(actor=drafter, proposal=draft, amount=100)
    with pytest.raises(ValidationFailed):
        services.proposal_update(actor=drafter, proposal=create(city), recipients=[KACHO])

    services.proposal_submit(actor=drafter, proposal=draft)
    services.proposal_withdraw(actor=drafter, proposal=draft)
    assert Process.objects.get(pk=Proposal.objects.get(pk=draft.pk).process_id).status == (
        "CANCELED"
    )
