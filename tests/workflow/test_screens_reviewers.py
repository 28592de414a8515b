"""Optional reviewers on the proposal screens: the new-proposal and edit forms take extra 回議
approvers (typed user names, or picked from the 部) and extra 合議 parties (課 heads to tick),
the live route preview shows them with their reasons, and bad names are form errors (400).

A 主事 of 市民課 > 窓口係 drafts an expenditure of 10,000,000 yen: 窓口係長, 市民課長, 市民部長,
合議 with 財政課長, the 副市長 decides.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from workflow.models import Proposal, ProposalReviewer, ProposalStep
from workflow.proposals import services

pytestmark = pytest.mark.django_db

DRAFTER, KAKARI, KACHO, BUCHO = (
    "madoguchi_staff",
    "madoguchi_kakaricho",
    "shimin_kacho",
    "shimin_bucho",
)
ZAISEI = "zaisei_kacho"  # the required 合議 (財政課, expenditure ≥ 10,000,000)
EXTRA_APPROVER = "zeimu_kakaricho"
EXTRA_CONSULTEE = "keiyaku_kacho"  # head of 契約検査課
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
NEW = "/approval/proposals/new/"
PREVIEW = "/approval/proposals/route-preview/"
BASE = {"title": "窓口端末の更新", "category": "expenditure", "amount": "10,000,000", "body": ""}


@pytest.fixture
def as_(city):
    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(
            get_user_model().objects.get(pk=city.p(username).user_id), backend=LOCAL_BACKEND
        )
        return client

    return client_for


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def preview_steps(response) -> list[str]:
    return re.findall(r'data-kind="(\w+)"', response.content.decode())


def route_of(proposal: Proposal) -> list[tuple[str, str, bool]]:
    steps = ProposalStep.objects.filter(proposal=proposal, round=proposal.round + 1)
    if not steps.exists():
        steps = ProposalStep.objects.filter(proposal=proposal)
    return [
        (s.kind, s.approver.username, s.is_optional)
        for s in steps.select_related("approver__user").order_by("round", "order", "id")
    ]


def reviewers_of(proposal: Proposal) -> dict[str, list[str]]:
    rows = ProposalReviewer.objects.filter(proposal=proposal).order_by("kind", "position")
    result: dict[str, list[str]] = {"approve": [], "consult": []}
    for row in rows.select_related("person__user"):
        result[row.kind].append(row.person.username)
    return result


# --- the form ---------------------------------------------------------------------------------


def test_new_form_offers_extra_approvers_and_division_heads_to_consult(as_, city):
    html = as_(DRAFTER).get(NEW).content.decode()

    assert 'name="extra_approvers"' in html
    assert '<label for="id_extra_approvers">' in html
    # 課 heads to tick for 合議, labelled by 課 and name; 係長 are not offered
    assert re.search(rf'value="{EXTRA_CONSULTEE}"[^>]*>\s*契約検査課（課長', html)
    assert f'name="extra_consultees" value="{ZAISEI}"' in html
    assert f'value="{KAKARI}" ' not in html.split('id="consultees"')[1]
    assert "<legend>" in html.split('id="consultees"')[1]
    # the live preview also follows the reviewer fields
    assert "change from:#id_extra_approvers" in html
    assert "change from:#consultees" in html
    # colleagues of the 部 can be picked into the approvers field
    assert f'data-username="{KAKARI}"' in html


def test_the_drafter_is_not_offered_as_their_own_consultee(as_, city):
    html = as_(KACHO).get(NEW).content.decode()

    assert f'name="extra_consultees" value="{KACHO}"' not in html
    assert f'name="extra_consultees" value="{ZAISEI}"' in html


# --- the live route preview -------------------------------------------------------------------


def test_preview_shows_the_extra_steps_with_their_reasons(as_, city):
    response = as_(DRAFTER).post(
        PREVIEW,
        {**BASE, "extra_approvers": EXTRA_APPROVER, "extra_consultees": [EXTRA_CONSULTEE]},
    )

    assert response.status_code == 200
    assert preview_steps(response) == [
        "approve",
        "approve",
        "approve",
        "approve",
        "consult",
        "consult",
        "decide",
    ]
    text = text_of(response)
    assert city.p(EXTRA_APPROVER).display_name in text
    assert city.p(EXTRA_CONSULTEE).display_name in text
    assert text.count("起案者による追加") == 2  # each extra step says why it is there
    assert text.count("任意") >= 2


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"extra_approvers": "nobody, zeimu_kakaricho"}, "nobody"),
        ({"extra_consultees": ["ghost"]}, "ghost"),
    ],
)
def test_preview_names_unknown_reviewers(as_, city, data, named):
    response = as_(DRAFTER).post(PREVIEW, {**BASE, **data})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert named in text_of(response)


def test_preview_refuses_the_drafter_as_their_own_reviewer(as_, city):
    response = as_(DRAFTER).post(PREVIEW, {**BASE, "extra_approvers": DRAFTER})

    assert response.status_code == 400
    assert "起案者" in text_of(response)


# --- saving -----------------------------------------------------------------------------------


def test_saving_with_reviewers_stores_them_on_the_draft_route(as_, city):
    response = as_(DRAFTER).post(
        NEW,
        {
            **BASE,
            "extra_approvers": f"{EXTRA_APPROVER}、",
            "extra_consultees": [EXTRA_CONSULTEE],
        },
    )

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert reviewers_of(proposal) == {"approve": [EXTRA_APPROVER], "consult": [EXTRA_CONSULTEE]}
    assert route_of(proposal) == [
        ("approve", KAKARI, False),
        ("approve", KACHO, False),
        ("approve", BUCHO, False),
        ("approve", EXTRA_APPROVER, True),
        ("consult", ZAISEI, False),
        ("consult", EXTRA_CONSULTEE, True),
        ("decide", "deputy", False),
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"extra_approvers": "nobody"},
        {"extra_approvers": "zeimu_staff"},  # deactivated below
        {"extra_consultees": ["ghost"]},
        {"extra_approvers": DRAFTER},
        {"extra_approvers": EXTRA_APPROVER, "extra_consultees": [EXTRA_APPROVER]},
    ],
)
def test_bad_reviewers_are_a_400_form_error_and_nothing_is_saved(as_, city, data):
    city.deactivate("zeimu_staff")

    response = as_(DRAFTER).post(NEW, {**BASE, **data})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field__error"' in html or 'role="alert"' in html
    assert not Proposal.objects.exists()
    assert not ProposalReviewer.objects.exists()
    # the reviewers section stays open with what was typed, to correct it
    assert re.search(r'data-testid="reviewers" open', html)


def test_unknown_names_are_named_in_the_field_error(as_, city):
    response = as_(DRAFTER).post(NEW, {**BASE, "extra_approvers": "nobody ghost"})

    error = re.search(r'id="id_extra_approvers_error">([^<]*)<', response.content.decode())
    assert error is not None
    assert "nobody" in error.group(1)
    assert "ghost" in error.group(1)


def test_required_steps_stay_when_a_required_approver_is_named_again(as_, city):
    response = as_(DRAFTER).post(
        NEW, {**BASE, "extra_approvers": f"{KAKARI} {KACHO}", "extra_consultees": [ZAISEI]}
    )

    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert route_of(proposal) == [
        ("approve", KAKARI, False),
        ("approve", KACHO, False),
        ("approve", BUCHO, False),
        ("consult", ZAISEI, False),
        ("decide", "deputy", False),
    ]
    preview = as_(DRAFTER).post(PREVIEW, {**BASE, "extra_approvers": KAKARI})
    assert city.p(KAKARI).display_name in text_of(preview)
    assert "追加されません" in text_of(preview) or "既に" in text_of(preview)


# --- editing a draft --------------------------------------------------------------------------


def _draft_with_reviewers(city) -> Proposal:
    return services.proposal_create(
        actor=city.p(DRAFTER).user,
        title="窓口端末の更新",
        category="expenditure",
        amount=10_000_000,
        extra_approvers=[city.p(EXTRA_APPROVER)],
        extra_consultees=[city.p(EXTRA_CONSULTEE), city.p("zaisei_kakaricho")],
    )


def test_edit_form_shows_the_stored_reviewers(as_, city):
    proposal = _draft_with_reviewers(city)

    html = as_(DRAFTER).get(f"/approval/proposals/{proposal.pk}/edit/").content.decode()

    assert re.search(rf'name="extra_approvers" value="{EXTRA_APPROVER}"', html)
    assert re.search(rf'value="{EXTRA_CONSULTEE}"[^>]*checked', html)
    # a stored consultee who is not a 課 head is still offered (and ticked), so saving keeps them
    assert re.search(r'value="zaisei_kakaricho"[^>]*checked', html)
    assert re.search(r'data-testid="reviewers" open', html)
    assert city.p(EXTRA_CONSULTEE).display_name in html.split('data-testid="route-preview"')[1]


def test_editing_replaces_the_reviewers_and_recomputes_the_preview(as_, city):
    proposal = _draft_with_reviewers(city)
    url = f"/approval/proposals/{proposal.pk}/edit/"

    response = as_(DRAFTER).post(url, {**BASE, "extra_approvers": "", "extra_consultees": [ZAISEI]})

    assert response.status_code == 302
    assert reviewers_of(proposal)["approve"] == []
    # 財政課長 is a required 合議 here: named again, they stay required, once
    assert [step for step in route_of(proposal) if step[2]] == []
    assert route_of(proposal).count(("consult", ZAISEI, False)) == 1

    response = as_(DRAFTER).post(url, {**BASE, "extra_consultees": [EXTRA_CONSULTEE]})
    assert response.status_code == 302
    assert reviewers_of(proposal) == {"approve": [], "consult": [EXTRA_CONSULTEE]}


def test_bad_reviewers_on_edit_are_400_and_keep_the_stored_ones(as_, city):
    proposal = _draft_with_reviewers(city)

    response = as_(DRAFTER).post(
        f"/approval/proposals/{proposal.pk}/edit/", {**BASE, "extra_approvers": "nobody"}
    )

    assert response.status_code == 400
    assert "nobody" in text_of(response)
    assert reviewers_of(proposal)["approve"] == [EXTRA_APPROVER]


def test_only_the_drafter_edits_the_reviewers(as_, city):
    proposal = _draft_with_reviewers(city)
    url = f"/approval/proposals/{proposal.pk}/edit/"

    assert as_(KAKARI).post(url, {**BASE, "extra_approvers": ""}).status_code == 404
    services.proposal_submit(actor=city.p(DRAFTER).user, proposal=proposal)
    assert as_(DRAFTER).post(url, {**BASE, "extra_approvers": ""}).status_code == 404
    assert reviewers_of(proposal)["approve"] == [EXTRA_APPROVER]
