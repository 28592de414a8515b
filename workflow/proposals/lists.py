"""Reads for the approver's and drafter's lists and for comparing rounds.

- ``steps_handled_by``: 処理済み — the steps I acted on (also as a deputy), newest first, with
  my decision.
- ``proposals_of_my_division``: 起案一覧 — the proposals drafted in my 課 that I may see.
- ``round_changes``: what changed between the latest round and the one before it (title, body
  line by line, amount, category, attachments added, removed or given a new version).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from directory.selectors import person_for_user, person_primary_post, unit_at_level
from workflow.proposals.attachments_models import RoundAttachment, RoundContent
from workflow.proposals.models import Proposal, ProposalStep
from workflow.proposals.selectors import proposal_list_visible

HANDLED_LIMIT = 100
DIVISION_LEVEL = 2  # 課


def steps_handled_by(*, user: Any, limit: int = HANDLED_LIMIT) -> list[ProposalStep]:
    """The steps ``user`` acted on (approved, agreed, decided, sent back, rejected, seen), as
    themselves or as a deputy, newest first."""
    person = person_for_user(user)
    if person is None:
        return []
    return list(
        ProposalStep.objects.filter(acted_by=person, acted_at__isnull=False)
        .select_related("proposal__category", "proposal__drafter", "acting_for")
        .order_by("-acted_at", "-id")[:limit]
    )


def proposals_of_my_division(*, user: Any) -> QuerySet[Proposal]:
    """Proposals drafted in the user's 課 that the user may see, newest first."""
    person = person_for_user(user)
    post = person_primary_post(person) if person else None
    division = unit_at_level(post.unit, DIVISION_LEVEL) if post else None
    if division is None:
        return Proposal.objects.none()
    return (
        proposal_list_visible(user=user)
        .filter(drafting_unit=division)
        .select_related("drafter")
        .order_by("-updated_at", "-id")
    )


@dataclass(frozen=True)
class RoundChanges:
    """The differences between round ``before`` and round ``after`` of one proposal."""

    before: int
    after: int
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)  # (label key, old, new)
    body_diff: list[tuple[str, str]] = field(default_factory=list)  # ("+"/"-"/" ", line)
    attachments: list[tuple[str, str, str]] = field(default_factory=list)  # (change, title, v)

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.body_diff or self.attachments)


def round_changes(proposal: Proposal) -> RoundChanges | None:
    """What the latest submitted round changed against the previous one; None before a
    second round (or for rounds submitted before contents were recorded)."""
    if proposal.round < 2:
        return None
    contents = {
        c.round: c
        for c in RoundContent.objects.filter(
            proposal=proposal, round__in=[proposal.round - 1, proposal.round]
        )
    }
    old, new = contents.get(proposal.round - 1), contents.get(proposal.round)
    if old is None or new is None:
        return None
    changes = RoundChanges(before=old.round, after=new.round)
    for key in ("title", "category_name", "amount"):
        if getattr(old, key) != getattr(new, key):
            changes.fields.append((key, getattr(old, key), getattr(new, key)))
    if old.body != new.body:
        for line in difflib.ndiff(old.body.splitlines(), new.body.splitlines()):
            if line[:1] in "+-":
                changes.body_diff.append((line[0], line[2:]))
    changes.attachments.extend(_attachment_changes(proposal, old.round, new.round))
    return changes


def _attachment_changes(proposal: Proposal, old: int, new: int) -> list[tuple[str, str, str]]:
    rows = RoundAttachment.objects.filter(proposal=proposal, round__in=[old, new]).select_related(
        "version"
    )
    by_round: dict[int, dict[int, RoundAttachment]] = {old: {}, new: {}}
    for row in rows:
        by_round[row.round][row.document_id] = row
    out = []
    for document_id, row in by_round[new].items():
        before = by_round[old].get(document_id)
        if before is None:
            out.append(("added", row.title, str(row.version.number)))
        elif before.sha256 != row.sha256:
            out.append(("replaced", row.title, f"{before.version.number}→{row.version.number}"))
    for document_id, row in by_round[old].items():
        if document_id not in by_round[new]:
            out.append(("removed", row.title, str(row.version.number)))
    return out
