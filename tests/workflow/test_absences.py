"""Absences (不在) for people: registered by the person or the head of their 課, with a deputy
who then acts automatically for the period (代決), withdrawn with its delegation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.exceptions import PermissionRefused
from audit.models import AuditEvent
from directory import absences
from directory.models import Absence, Delegation
from directory.selectors import may_act_for
from workflow.models import ProposalStep
from workflow.proposals import services

pytestmark = pytest.mark.django_db

DRAFTER, KAKARI, KACHO, HOSA = (
    "madoguchi_staff",
    "madoguchi_kakaricho",
    "shimin_kacho",
    "shimin_hosa",
)
PAGE = "/approval/absences/"


def _form(person_id: int, deputy: str = "", hours: int = 24) -> dict:
    now = timezone.localtime()
    return {
        "person": person_id,
        "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
        "note": "出張",
        "deputy": deputy,
    }


def test_an_absence_with_a_deputy_lets_the_deputy_act_for_its_period(city, web_as):
    kacho, hosa = city.p(KACHO), city.p(HOSA)

    response = web_as(KACHO).post(PAGE, _form(kacho.pk, deputy=HOSA))

    assert response.status_code == 302
    absence = Absence.objects.get()
    assert (absence.person, absence.delegation.deputy, absence.note) == (kacho, hosa, "出張")
    assert may_act_for(hosa, kacho)
    # The deputy now acts on the 課長's step without anything else to do.
    proposal = services.proposal_submit(
        actor=city.p(DRAFTER).user,
        proposal=services.proposal_create(
            actor=city.p(DRAFTER).user, title="不在中の決裁", category="general"
        ),
    )
    services.task_approve(
        actor=city.p(KAKARI).user, step=ProposalStep.objects.get(proposal=proposal, state="pending")
    )
    step = ProposalStep.objects.get(proposal=proposal, state="pending")
    services.task_approve(actor=hosa.user, step=step)
    step.refresh_from_db()
    assert (step.acted_by, step.acting_for) == (hosa, kacho)
    assert AuditEvent.objects.filter(action="directory.absence_registered").count() == 1


def test_the_head_registers_a_members_absence_and_others_may_not(city, web_as):
    staff, kakari = city.p(DRAFTER), city.p(KAKARI)

    # The 課長 heads 市民課, to which 窓口係 belongs.
    assert web_as(KACHO).post(PAGE, _form(staff.pk, deputy=KAKARI)).status_code == 302
    assert Absence.objects.get().registered_by == city.p(KACHO)
    # A colleague may not register someone else's absence (not offered, and refused).
    refused = web_as(KAKARI).post(PAGE, _form(staff.pk))
    assert refused.status_code == 400
    with pytest.raises(PermissionRefused):
        absences.absence_register(
            actor=kakari.user,
            person=staff,
            start_at=timezone.now(),
            end_at=timezone.now() + timedelta(hours=2),
        )
    assert Absence.objects.count() == 1


def test_a_councilor_or_admin_cannot_be_the_deputy_of_an_absence(city, web_as):
    from tests.factories import make_person

    make_person("giin.suzuki", "鈴木 議員", None)

    response = web_as(KACHO).post(PAGE, _form(city.p(KACHO).pk, deputy="giin.suzuki"))

    assert response.status_code == 400
    assert not Absence.objects.exists()
    assert not Delegation.objects.exists()


def test_withdrawing_an_absence_ends_its_delegation(city, web_as):
    web_as(KACHO).post(PAGE, _form(city.p(KACHO).pk, deputy=HOSA))
    absence = Absence.objects.get()

    assert web_as(DRAFTER).post(f"{PAGE}{absence.pk}/cancel/").status_code == 404
    response = web_as(KACHO).post(f"{PAGE}{absence.pk}/cancel/")

    assert response.status_code == 302
    assert not Absence.objects.exists()
    assert Delegation.objects.get().is_revoked
    assert not may_act_for(city.p(HOSA), city.p(KACHO))


def test_the_page_lists_mine_and_my_members(city, web_as):
    web_as(KACHO).post(PAGE, _form(city.p(DRAFTER).pk))
    page = web_as(KACHO).get(PAGE).content.decode()
    assert city.p(DRAFTER).display_name in page
    assert page.count('data-testid="absence-row"') == 1
    assert 'data-testid="absence-row"' not in web_as("zeimu_staff").get(PAGE).content.decode()
