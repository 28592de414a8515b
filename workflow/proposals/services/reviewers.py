"""The people a proposal names besides its route: the drafter's optional reviewers (extra 回議
and 合議 parties) and a circulation's (供覧) recipients — checked, stored, and put on a route."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from audit.exceptions import ValidationFailed
from directory.models import Person
from directory.selectors import (
    person_primary_post,
)
from workflow.authority.routing import RouteStep
from workflow.proposals.models import (
    Proposal,
    ProposalReviewer,
    ProposalStep,
)


def reviewers_by_username(usernames: Sequence[str]) -> list[Person]:
    """Active people of the directory by username, in the given order, each once.

    Raises ValidationFailed naming every unknown or inactive username.
    """
    if isinstance(usernames, str):
        usernames = [usernames]
    wanted = list(dict.fromkeys(usernames))
    found = {
        p.username: p
        for p in Person.objects.select_related("user").filter(
            user__username__in=wanted, is_active=True
        )
    }
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValidationFailed(
            _("Unknown or inactive reviewers: %(names)s") % {"names": ", ".join(missing)}
        )
    return [found[name] for name in wanted]


def _clean_reviewers(
    approvers: Sequence[Person], consultees: Sequence[Person], *, drafter: Person
) -> tuple[list[Person], list[Person]]:
    """The drafter's optional reviewers, each once; refuses the drafter, an inactive person
    and someone named both as an approver and as a consultee."""
    approvers = list({p.pk: p for p in approvers}.values())
    consultees = list({p.pk: p for p in consultees}.values())
    for person in (*approvers, *consultees):
        if person.pk == drafter.pk:
            raise ValidationFailed(_("The drafter cannot be added to their own route."))
        if not person.is_active:
            raise ValidationFailed(
                _("%(name)s is not active and cannot be on a route.")
                % {"name": person.display_name}
            )
    consultee_ids = {p.pk for p in consultees}
    for person in approvers:
        if person.pk in consultee_ids:
            raise ValidationFailed(
                _("%(name)s cannot be both an extra approver and an extra consultee.")
                % {"name": person.display_name}
            )
    return approvers, consultees


def _stored_reviewers(proposal: Proposal) -> tuple[list[Person], list[Person]]:
    """The proposal's optional reviewers: (extra approvers, extra consultees), in order."""
    if proposal.pk is None:
        return [], []
    rows = ProposalReviewer.objects.filter(proposal=proposal).select_related("person__user")
    approvers = [r.person for r in rows if r.kind == ProposalReviewer.Kind.APPROVE]
    consultees = [r.person for r in rows if r.kind == ProposalReviewer.Kind.CONSULT]
    return approvers, consultees


def _store_reviewers(
    proposal: Proposal, *, approvers: Sequence[Person], consultees: Sequence[Person]
) -> None:
    ProposalReviewer.objects.filter(proposal=proposal).delete()
    kinds = (
        (ProposalReviewer.Kind.APPROVE, approvers),
        (ProposalReviewer.Kind.CONSULT, consultees),
    )
    ProposalReviewer.objects.bulk_create(
        ProposalReviewer(proposal=proposal, person=person, kind=kind, position=n)
        for kind, people in kinds
        for n, person in enumerate(people)
    )


def _reviewer_details(approvers: Sequence[Person], consultees: Sequence[Person]) -> dict:
    """For the audit log: the optional reviewers by username (nothing when there are none)."""
    if not approvers and not consultees:
        return {}
    return {
        "extra_approvers": [p.username for p in approvers],
        "extra_consultees": [p.username for p in consultees],
    }


def _recipients(usernames: Sequence[str], *, drafter: Person) -> list[Person]:
    """A circulation's recipients by username: active, with a post, not the drafter, once."""
    if isinstance(usernames, str) or not usernames:
        raise ValidationFailed(_("A circulation needs at least one recipient."))
    found = {
        p.username: p
        for p in Person.objects.select_related("user").filter(
            user__username__in=list(usernames), is_active=True
        )
    }
    people: list[Person] = []
    for username in dict.fromkeys(usernames):
        person = found.get(username)
        if person is None:
            raise ValidationFailed(_("Unknown recipient: %(name)s") % {"name": username})
        if person.pk == drafter.pk:
            raise ValidationFailed(_("The drafter cannot be a recipient of their own circulation."))
        people.append(person)
    return people


def _circulation_steps(people: Sequence[Person], *, drafter: Person) -> list[RouteStep]:
    """One 供覧 step per recipient, all on one order: they confirm in any order."""
    if not people:
        raise ValidationFailed(_("A circulation needs at least one recipient."))
    steps = []
    for person in people:
        if not person.is_active or person.pk == drafter.pk:
            raise ValidationFailed(
                _("%(name)s cannot receive this circulation.") % {"name": person.display_name}
            )
        post = person_primary_post(person)
        if post is None:
            raise ValidationFailed(
                _("%(name)s has no post in the directory and cannot be on a route.")
                % {"name": person.display_name}
            )
        reason = _("Circulation (供覧): %(name)s") % {"name": person.display_name}
        steps.append(
            RouteStep(
                1, ProposalStep.Kind.CIRCULATE, person, post.unit, post.position.title, reason
            )
        )
    return steps
