"""Disposal (廃棄) on the screens: the records' disposal-due list offers 廃棄を起案 (tick the
binders of my 課 past their disposal date), posting to /approval/disposals/propose/, which calls
``workflow.disposal.services.disposal_propose`` and opens the proposal; refusals at their status.
The
proposal's detail page lists its binders and what became of each.

The city is tests/workflow/conftest.py's: a 主事 of 財政課 > 財政係 proposes; 財政係長 approves,
総務課長 is consulted (合議), 財政課長 decides.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from documents.models import Binder
from tests.workflow.disposal_support import (  # noqa: F401 - fixtures
    NOW,
    TOKYO,
    at_now,
    disposal_hook,
    media_root,
)
from tests.workflow.disposal_support import approve_all as _approve_all
from tests.workflow.disposal_support import file_pdf as _file
from tests.workflow.disposal_support import hold as _hold
from tests.workflow.disposal_support import make_binder as _binder
from tests.workflow.disposal_support import pending_steps as _pending
from workflow.disposal import services as disposal
from workflow.disposal.models import DisposalProposalBinder
from workflow.proposals import services
from workflow.proposals.models import Proposal

pytestmark = pytest.mark.django_db
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
DRAFTER = "zaisei_staff"
DUE_LIST = "/records/disposal/"
PROPOSE = "/approval/disposals/propose/"


@pytest.fixture
def as_(city):
    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(city.p(username).user, backend=LOCAL_BACKEND)
        return client

    return client_for


def _checkbox(binder: Binder) -> str:
    return f'name="binders" value="{binder.pk}"'


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _rows(response) -> dict[str, str]:
    """Binder title → outcome (data-outcome) of the detail page's disposal table."""
    html = response.content.decode()
    found = re.findall(
        r'data-testid="disposal-binder" data-outcome="(\w+)">.*?<a [^>]*>([^<]+)</a>', html, re.S
    )
    return {title: outcome for outcome, title in found}


# --- the due list offers 廃棄を起案 -----------------------------------------------------------


def test_due_list_offers_checkboxes_for_my_divisions_due_binders_only(as_, city):
    due = _binder(city, "予算編成")
    held = _binder(city, "訴訟関係")
    _hold(city, held)
    later = _binder(city, "決算資料", fy=2025)  # due from 2027-04-01

    html = as_(DRAFTER).get(DUE_LIST).content.decode()
    in_2028 = as_(DRAFTER).get(f"{DUE_LIST}?on=2028-01-01").content.decode()

    assert f'action="{PROPOSE}"' in html
    assert _checkbox(due) in html
    assert "訴訟関係" in html  # listed, marked as held, but not selectable
    assert _checkbox(held) not in html
    assert "廃棄を起案" in html
    # Looking ahead lists binders due later, but only what is due today can be proposed.
    assert "決算資料" in in_2028
    assert _checkbox(later) not in in_2028
    assert _checkbox(due) in in_2028


def test_another_divisions_binders_are_listed_to_an_auditor_without_checkboxes(as_, city):
    theirs = _binder(city, "契約台帳", unit="契約検査課")
    auditor = city.p(DRAFTER).user
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))

    html = as_(DRAFTER).get(DUE_LIST).content.decode()

    assert "契約台帳" in html
    assert _checkbox(theirs) not in html
    assert 'data-testid="propose-form"' not in html  # nothing of mine to propose


def test_proposing_from_the_list_creates_the_proposal_and_opens_it(as_, city):
    first, second = _binder(city, "予算編成"), _binder(city, "補助金関係")
    client = as_(DRAFTER)

    response = client.post(PROPOSE, {"binders": [first.pk, second.pk]})

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/approval/proposals/{proposal.pk}/"
    assert (proposal.category.code, proposal.status) == ("disposal", "in_review")
    assert proposal.drafter == city.p(DRAFTER)
    links = DisposalProposalBinder.objects.filter(proposal=proposal)
    assert {link.binder_id for link in links} == {first.pk, second.pk}
    page = client.get(response["Location"])
    assert "廃棄の起案を作成し、回議に付しました" in _text(page)
    assert _rows(page) == {"予算編成": "proposed", "補助金関係": "proposed"}
    assert "決裁待ち" in _text(page)


def test_the_propose_page_marks_binders_already_proposed_and_on_hold(as_, city):
    proposed, held, free = (
        _binder(city, "予算編成"),
        _binder(city, "訴訟関係"),
        _binder(city, "旅費"),
    )
    _hold(city, held)
    disposal.disposal_propose(actor=city.p(DRAFTER).user, binders=[proposed])

    html = as_(DRAFTER).get(PROPOSE).content.decode()

    assert _checkbox(free) in html
    assert _checkbox(proposed) not in html
    assert _checkbox(held) not in html
    assert f'data-testid="blocked-{proposed.pk}"' in html
    assert f'data-testid="blocked-{held.pk}"' in html


# --- refusals -------------------------------------------------------------------------------


def test_a_binder_already_on_a_disposal_proposal_is_refused_with_409(as_, city):
    binder = _binder(city, "予算編成")
    disposal.disposal_propose(actor=city.p(DRAFTER).user, binders=[binder])

    response = as_(DRAFTER).post(PROPOSE, {"binders": [binder.pk]})

    assert response.status_code == 409
    assert 'data-testid="refusal"' in response.content.decode()
    assert "予算編成" in _text(response)  # the refusal names the binder
    assert Proposal.objects.count() == 1


def test_a_binder_under_legal_hold_is_refused_with_400_and_nothing_is_created(as_, city):
    due, held = _binder(city, "予算編成"), _binder(city, "訴訟関係")
    _hold(city, held)

    response = as_(DRAFTER).post(PROPOSE, {"binders": [due.pk, held.pk]})

    assert response.status_code == 400
    assert "訴訟関係" in _text(response)
    assert "訴訟" in _text(response)
    assert not Proposal.objects.exists()
    assert not DisposalProposalBinder.objects.exists()
    # The choice is kept for the next attempt.
    assert re.search(rf'value="{due.pk}"\s+checked', response.content.decode())


def test_a_binder_not_yet_due_is_refused_with_400(as_, city):
    later = _binder(city, "決算資料", fy=2025)

    response = as_(DRAFTER).post(PROPOSE, {"binders": [later.pk]})

    assert response.status_code == 400
    assert "決算資料" in _text(response)
    assert not Proposal.objects.exists()


def test_another_divisions_binder_is_403_and_an_invisible_one_404(as_, city):
    theirs = _binder(city, "契約台帳", unit="契約検査課")
    secret = _binder(city, "入札調書", unit="契約検査課", classification="confidential")
    client = as_(DRAFTER)

    assert client.post(PROPOSE, {"binders": [theirs.pk]}).status_code == 403
    assert client.post(PROPOSE, {"binders": [secret.pk]}).status_code == 404
    assert client.post(PROPOSE, {"binders": [999999]}).status_code == 404
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("data", [{}, {"binders": ["abc"]}, {"binders": ["-1"]}])
def test_nothing_or_garbage_chosen_is_400(as_, city, data):
    _binder(city, "予算編成")

    response = as_(DRAFTER).post(PROPOSE, data)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_someone_without_a_post_cannot_propose(city, django_user_model):
    binder = _binder(city, "予算編成")
    admin = django_user_model.objects.create_user("breakglass", password="x")
    client = Client()
    client.force_login(admin, backend=LOCAL_BACKEND)

    response = client.post(PROPOSE, {"binders": [binder.pk]})

    assert response.status_code in (403, 404)  # 404 when the binder is not visible to them
    assert not Proposal.objects.exists()
    page = client.get(PROPOSE)
    assert page.status_code == 403
    assert 'data-testid="refusal"' in page.content.decode()


def test_propose_needs_the_csrf_token(city):
    binder = _binder(city, "予算編成")
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.p(DRAFTER).user, backend=LOCAL_BACKEND)

    assert client.post(PROPOSE, {"binders": [binder.pk]}).status_code == 403
    assert not Proposal.objects.exists()


# --- the detail shows each binder's outcome ---------------------------------------------------


def test_detail_shows_disposed_binders_with_their_date_and_skipped_ones_with_the_reason(
    as_, city, django_capture_on_commit_callbacks
):
    gone, kept = _binder(city, "予算編成"), _binder(city, "訴訟関係")
    _file(city, gone, "予算")
    proposal = disposal.disposal_propose(actor=city.p(DRAFTER).user, binders=[gone, kept])
    _hold(city, kept, reason="住民訴訟")
    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(proposal)

    page = as_(DRAFTER).get(f"/approval/proposals/{proposal.pk}/")

    assert page.status_code == 200
    assert _rows(page) == {"予算編成": "disposed", "訴訟関係": "skipped"}
    text = _text(page)
    assert "廃棄済" in text
    assert "令和8年5月1日" in text  # the day it was carried out
    assert "住民訴訟" in text  # why it was not disposed of


def test_detail_of_a_rejected_disposal_says_nothing_was_destroyed(as_, city):
    binder = _binder(city, "予算編成")
    proposal = disposal.disposal_propose(actor=city.p(DRAFTER).user, binders=[binder])
    _approve_all(proposal, until_decide=False)
    [decide] = _pending(proposal)
    services.task_reject(actor=decide.approver.user, step=decide, comment="保存継続")

    page = as_(DRAFTER).get(f"/approval/proposals/{proposal.pk}/")

    assert _rows(page) == {"予算編成": "proposed"}
    assert "否決されたため、ファイルは保存されています" in _text(page)


def test_the_binders_are_shown_to_approvers_and_hidden_from_others(as_, city):
    binder = _binder(city, "予算編成")
    proposal = disposal.disposal_propose(actor=city.p(DRAFTER).user, binders=[binder])
    url = f"/approval/proposals/{proposal.pk}/"

    assert _rows(as_("zaisei_kakaricho").get(url)) == {"予算編成": "proposed"}
    outsider = as_("keiyaku_staff").get(url)
    assert outsider.status_code == 404
    assert "予算編成" not in outsider.content.decode()


def test_an_ordinary_proposal_has_no_binder_table(as_, city):
    proposal = services.proposal_create(
        actor=city.p(DRAFTER).user, title="備品購入", category="general"
    )

    html = as_(DRAFTER).get(f"/approval/proposals/{proposal.pk}/").content.decode()

    assert 'data-testid="disposal-binders"' not in html
