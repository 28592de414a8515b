"""Reads of proposals, tasks and 後閲 items, with the visibility rules of CONTRACT.md.

A proposal is visible to its drafter, the approvers of its submitted rounds, their active
deputies and auditors (``audit.view_auditevent``); to anybody else it does not exist (404).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import F, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.exceptions import Conflict, NotFound
from audit.permissions import can_view_audit_log
from directory.calendar import city_date
from directory.models import Delegation
from directory.selectors import person_for_user, persons_with_title, principals_for_deputy
from documents.hooks import DecidedProposal
from workflow.authority.models import ApprovalLevel
from workflow.proposals.attachments_models import ProposalAttachment, RoundAttachment
from workflow.proposals.models import (
    Decision,
    PostReview,
    Proposal,
    ProposalReviewer,
    ProposalStep,
)
from workflow.proposals.rendering.types import (
    AttachmentLine,
    DecisionDocument,
    HistoryLine,
    IssueLetter,
    StampCell,
)


def _proposal_base() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("category", "drafter__user", "drafting_unit", "ruleset")


def proposal_list_visible(*, user: Any) -> QuerySet[Proposal]:
    """The proposals ``user`` may see (see the module docstring)."""
    if can_view_audit_log(user):
        return _proposal_base()
    person = person_for_user(user)
    if person is None:
        return Proposal.objects.none()
    ids = [person.pk, *(p.pk for p in principals_for_deputy(person))]
    # Steps of the unsubmitted preview round (round + 1) do not make their approvers readers.
    visible = Proposal.objects.filter(
        Q(drafter=person) | Q(steps__approver__in=ids, steps__round__lte=F("round"))
    ).values("pk")
    return _proposal_base().filter(pk__in=visible)


def proposal_get(*, user: Any, proposal_id: int) -> Proposal:
    """The proposal if ``user`` may see it; raises NotFound otherwise (the two look the same)."""
    proposal = proposal_list_visible(user=user).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(_not_found())
    return proposal


def proposal_acted_on(*, proposal_id: int) -> Proposal:
    """A proposal the caller has just acted on through a service (which checked they may):
    read without the visibility query, for the action's answer."""
    return _proposal_base().get(pk=proposal_id)


def _route_steps(proposal: Proposal) -> QuerySet[ProposalStep]:
    latest = ProposalStep.objects.filter(proposal=proposal).order_by("-round").values("round")[:1]
    return ProposalStep.objects.filter(proposal=proposal, round=Subquery(latest)).order_by(
        "order", "id"
    )


def proposal_route(proposal: Proposal) -> list[ProposalStep]:
    """The steps of the latest round that has any: the preview while editing, else the current."""
    return list(
        _route_steps(proposal).select_related(
            "approver__user", "unit", "acted_by__user", "acting_for__user"
        )
    )


def proposal_route_values(proposal: Proposal) -> list[dict[str, Any]]:
    """``proposal_route`` as the API shows it: plain values, people as usernames. One narrow
    query instead of four people, four users and a unit per step (the answer to every task
    action reads it)."""
    return list(
        _route_steps(proposal).values(
            "id",
            "order",
            "kind",
            "position",
            "state",
            "reason",
            "is_optional",
            "acted_at",
            "comment",
            approver_username=F("approver__user__username"),
            unit_name=F("unit__name"),
            acted_by_username=F("acted_by__user__username"),
            acting_for_username=F("acting_for__user__username"),
        )
    )


def proposal_reviewers(proposal: Proposal) -> dict[str, list[str]]:
    """The drafter's optional reviewers by username: ``{"approve": [...], "consult": [...]}``."""
    reviewers: dict[str, list[str]] = {"approve": [], "consult": []}
    rows = ProposalReviewer.objects.filter(proposal=proposal).order_by("kind", "position", "id")
    for kind, username in rows.values_list("kind", "person__user__username"):
        reviewers[kind].append(username)
    return reviewers


def proposal_history(proposal: Proposal) -> list[Decision]:
    return list(
        Decision.objects.filter(proposal=proposal)
        .select_related("actor__user", "acting_for__user")
        .order_by("at", "id")
    )


def proposal_history_values(proposal: Proposal) -> list[dict[str, Any]]:
    """``proposal_history`` as the API shows it: plain values, people as usernames."""
    return list(
        Decision.objects.filter(proposal=proposal)
        .order_by("at", "id")
        .values(
            "round",
            "action",
            "at",
            "comment",
            actor_username=F("actor__user__username"),
            acting_for_username=F("acting_for__user__username"),
        )
    )


def task_list_for_user(*, user: Any) -> list[tuple[ProposalStep, Any]]:
    """My pending steps and those of people I may act for now: (step, principal or None)."""
    person = person_for_user(user)
    if person is None:
        return []
    principals = {p.pk: p for p in principals_for_deputy(person)}
    owners = [person.user_id, *(p.user_id for p in principals.values())]
    # The inbox is viewflow's assigned tasks, an index-only scan of (owner, status, created, id)
    # in order (migration 0011). Asked first and on their own: joined to the steps, PostgreSQL
    # misjudges how few rows match and walks viewflow_task's primary key (150 ms at 1M rows vs
    # 0.2 ms; bench_inbox).
    task_ids = list(
        Task.objects.filter(owner_id__in=owners, status=STATUS.ASSIGNED)
        .order_by("created", "id")
        .values_list("id", flat=True)
    )
    if not task_ids:
        return []
    # Oldest task first, in the order just read: the steps need no second join to the tasks.
    position = {task_id: n for n, task_id in enumerate(task_ids)}
    steps = (
        ProposalStep.objects.filter(task_id__in=task_ids)
        # A drafter never acts on their own proposal, not even as a deputy.
        .exclude(proposal__drafter=person)
        .select_related(
            "proposal__category", "proposal__drafter", "proposal__drafting_unit", "approver__user"
        )
    )
    ordered = sorted(steps, key=lambda step: (position[step.task_id], step.pk))
    return [(step, principals.get(step.approver_id)) for step in ordered]


def task_get(*, task_id: int) -> ProposalStep:
    """A step by id; raises NotFound. Who may act on it is the service's business (403)."""
    # Only its ids are used: the service locks the proposal and reads the step again. No
    # ordering: the model's default one joined the proposal table for a single row.
    step = ProposalStep.objects.only("pk", "proposal_id").filter(pk=task_id).order_by().first()
    if step is None:
        raise NotFound(_not_found())
    return step


def post_review_list_for_user(*, user: Any, include_acknowledged: bool = False):
    """My 後閲 items, unacknowledged first."""
    person = person_for_user(user)
    if person is None:
        return PostReview.objects.none()
    items = PostReview.objects.filter(principal=person).select_related(
        "step__proposal", "step__acted_by__user", "step__approver__user"
    )
    if not include_acknowledged:
        items = items.filter(acknowledged_at__isnull=True)
    return items.order_by("acknowledged_at", "created_at", "id")


def post_review_get(*, user: Any, post_review_id: int) -> PostReview:
    """One of my 後閲 items; raises NotFound for anyone else's."""
    person = person_for_user(user)
    item = (
        PostReview.objects.filter(pk=post_review_id, principal=person).first() if person else None
    )
    if item is None:
        raise NotFound(_not_found())
    return item


def delegation_get(*, user: Any, delegation_id: int) -> Delegation:
    """A delegation I gave or received (a deputy sees theirs); raises NotFound otherwise."""
    person = person_for_user(user)
    item = (
        Delegation.objects.filter(Q(principal=person) | Q(deputy=person), pk=delegation_id)
        .select_related("principal__user", "deputy__user")
        .first()
        if person
        else None
    )
    if item is None:
        raise NotFound(_not_found())
    return item


def _not_found() -> str:
    return _("Not found.")


# --- the 決裁文書 -----------------------------------------------------------------------------

_STAMP_STATES = {
    ProposalStep.State.APPROVED: "approved",
    ProposalStep.State.SEEN: "approved",
    ProposalStep.State.SKIPPED: "skipped",
    ProposalStep.State.RETURNED: "returned",
    ProposalStep.State.REJECTED: "returned",
}


def proposal_document(proposal: Proposal) -> DecisionDocument:
    """The proposal as the renderers want it: the 起案用紙 before the decision, the 決裁文書
    after, with one 決裁欄 cell per step of the latest round (代決, 後閲 and 引上げ marks)."""
    steps = proposal_route(proposal)
    ahead = set(
        Decision.objects.filter(
            proposal=proposal, action=Decision.Action.APPROVED_AHEAD
        ).values_list("step_id", flat=True)
    )
    reviewed = set(
        PostReview.objects.filter(step__in=steps, acknowledged_at__isnull=False).values_list(
            "step_id", flat=True
        )
    )
    decider = next((s for s in steps if s.kind == ProposalStep.Kind.DECIDE), None)
    level = ApprovalLevel.objects.filter(code=decider.level_code).first() if decider else None
    decided = proposal.status == Proposal.Status.APPROVED and proposal.decided_at
    return DecisionDocument(
        title=proposal.title,
        document_number=proposal.document_number,
        category=proposal.category.name,
        authority_level=f"{level.name}決裁" if level else "",
        drafter_name=proposal.drafter.display_name,
        drafter_unit=proposal.drafting_unit.name,
        drafted_on=city_date(proposal.submitted_at or proposal.created_at),
        decided_on=city_date(proposal.decided_at) if decided else None,
        body=proposal.body,
        attachments=tuple(
            AttachmentLine(title=a["title"], version=a["version"], sha256=a["sha256"])
            for a in proposal_attachments(proposal)
        ),
        stamps=tuple(_stamp(step, ahead=ahead, reviewed=reviewed) for step in steps),
        amount_yen=proposal.amount,
        filing=_filing_text(proposal),
        rounds_history=_rounds_history(proposal) if proposal.round > 1 else (),
    )


def _rounds_history(proposal: Proposal) -> tuple[HistoryLine, ...]:
    lines = []
    for entry in proposal_history(proposal):
        name = entry.actor.display_name
        if entry.acting_for_id:
            name = f"{name}（{entry.acting_for.display_name}に代わり）"
        lines.append(
            HistoryLine(
                round=max(entry.round, 1),
                action=str(entry.get_action_display()),
                name=name,
                on=city_date(entry.at),
                comment=entry.comment,
            )
        )
    return tuple(lines)


def _stamp(step: ProposalStep, *, ahead: set[int], reviewed: set[int]) -> StampCell:
    marks: list[str] = []
    if step.acting_for_id:
        marks.append("代決")
        if step.pk in reviewed:
            marks.append("後閲")
    if step.pk in ahead:
        marks.append("引上げ")
    acted = step.acted_by if step.acted_by_id else None
    return StampCell(
        position=step.position,
        name=(acted or step.approver).display_name,
        decided_on=city_date(step.acted_at) if step.acted_at and acted else None,
        # A 供覧 cell is printed like a 回議 one: a seal and the date it was seen.
        kind="approve" if step.kind == ProposalStep.Kind.CIRCULATE else step.kind,
        marks=tuple(marks),
        state=_STAMP_STATES.get(step.state, "pending"),
        acting_for_name=step.acting_for.display_name if step.acting_for_id else "",
    )


def proposal_issue_letter(
    proposal: Proposal, *, addressee: str, seal: str, issued_on: date, body: str = ""
) -> IssueLetter:
    """The 施行文書 of a decided proposal in the mayor's name; raises Conflict before the
    decision (there is no document number to cite yet)."""
    if proposal.status != Proposal.Status.APPROVED:
        raise Conflict(_("A letter can be issued only once the proposal is approved."))
    mayor = persons_with_title("市長").first()
    return IssueLetter(
        document_number=proposal.document_number,
        issued_on=issued_on,
        addressee=addressee,
        subject=proposal.title,
        # The letter's own body: never the internal 伺い文 of the proposal.
        body=body or proposal.letter_body,
        mayor_name=mayor.display_name if mayor else "",
        seal=seal,  # type: ignore[arg-type]  (validated by the caller: omitted | requested)
    )


# --- reads of the HTML screens ----------------------------------------------------------------


def letter_template_bytes() -> bytes | None:
    """The city's active 施行文書 template (.docx bytes), or None for the built-in layout."""
    from workflow.proposals.drafting_models import LetterTemplate

    template = LetterTemplate.objects.filter(is_active=True).first()
    if template is None:
        return None
    with template.file.open("rb") as handle:
        return handle.read()


def proposal_list_for_drafter(*, user: Any, drafter: Any) -> QuerySet[Proposal]:
    """The proposals ``drafter`` (a Person) drafted, as visible to ``user``, newest first."""
    return proposal_list_visible(user=user).filter(drafter=drafter).order_by("-updated_at", "-id")


def post_reviews_on(*, user: Any, proposal: Proposal) -> list[PostReview]:
    """My 後閲 items on one proposal (waiting or acknowledged), for its page."""
    person = person_for_user(user)
    if person is None:
        return []
    return list(
        PostReview.objects.filter(principal=person, step__proposal=proposal)
        .select_related("step__acted_by")
        .order_by("created_at", "id")
    )


def post_review_states(*, steps: list[ProposalStep]) -> dict[int, Any]:
    """Step id → when its 後閲 item was acknowledged (None: not yet), for steps that have one."""
    items = PostReview.objects.filter(step__in=[s.pk for s in steps])
    return dict(items.values_list("step_id", "acknowledged_at"))


def person_usernames(person_ids: list[int]) -> list[str]:
    """User names of people by id, in the given order (a circulation's recipients)."""
    from directory.models import Person

    names = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "user__username"))
    return [names[pk] for pk in person_ids if pk in names]


# --- attachments (添付資料) ----------------------------------------------------------------------


def proposal_attachments(proposal: Proposal, *, round_: int | None = None) -> list[dict[str, Any]]:
    """The attachments as the API and the screens show them (``id``, ``document``, ``title``,
    ``version``, ``sha256``, ``size``, ``content_type``, ``frozen``).

    While the proposal can be edited: its current links with each document's current version.
    Otherwise (in review, decided): exactly what its latest round asked about. ``round_``: that
    round's frozen set instead (the detail page's round-to-round comparison, the PDF).
    """
    if round_ is None and proposal.status in (Proposal.Status.DRAFT, Proposal.Status.RETURNED):
        links = ProposalAttachment.objects.filter(proposal=proposal).select_related(
            "document__current_version__blob"
        )
        return [
            _attachment_data(link.pk, link.document, link.document.current_version, frozen=False)
            for link in links
            if link.document.current_version_id is not None
        ]
    frozen = RoundAttachment.objects.filter(
        proposal=proposal, round=proposal.round if round_ is None else round_
    ).select_related("document", "version__blob")
    return [
        _attachment_data(row.attachment_id or row.pk, row.document, row.version, frozen=True)
        | {"title": row.title, "sha256": row.sha256}
        for row in frozen
    ]


def _attachment_data(link_id: int, document: Any, version: Any, *, frozen: bool) -> dict:
    return {
        "id": link_id,
        "document": document.pk,
        "title": document.title,
        "version": version.number,
        "sha256": version.blob.sha256,
        "size": version.blob.size_bytes,
        "content_type": version.content_type,
        "frozen": frozen,
    }


def attached_document_ids(person: Any) -> set[int]:
    """Documents attached to a proposal ``person`` may see (documents' route-visibility hook:
    approvers and consulted units see a confidential attachment of the proposal they decide)."""
    if person is None or person.user_id is None:
        return set()
    visible = proposal_list_visible(user=person.user).values("pk")
    linked = ProposalAttachment.objects.filter(proposal__in=visible).values_list(
        "document_id", flat=True
    )
    asked = RoundAttachment.objects.filter(proposal__in=visible).values_list(
        "document_id", flat=True
    )
    return set(linked) | set(asked)


def _filing_text(proposal: Proposal) -> str:
    """The 簿冊 and its 保存年限 as the 決裁文書 prints them."""
    if not proposal.binder_title:
        return ""
    if proposal.retention_years is None:
        return proposal.binder_title
    years = "永年" if proposal.retention_years == 0 else f"{proposal.retention_years}年"
    return f"{proposal.binder_title}（保存年限 {years}）"


def decided_proposal_for(user: Any, proposal_id: int) -> DecidedProposal | None:
    """documents' ``decided_proposal`` hook: a decided proposal ``user`` may see, or None."""
    try:
        proposal = proposal_get(user=user, proposal_id=proposal_id)
    except NotFound:
        return None
    if proposal.status != Proposal.Status.APPROVED:
        return None
    return DecidedProposal(
        id=proposal.pk, document_number=proposal.document_number, title=proposal.title
    )
