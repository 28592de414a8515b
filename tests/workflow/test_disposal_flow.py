"""Disposal (廃棄) through approval: a 課 proposes its binders past their disposal date, the
route of category ``disposal`` (課長 decides, 総務課 consulted) approves it, and the approved
decision destroys the files and keeps a disposal record; legal hold blocks it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError

from audit.exceptions import NotFound, PermissionRefused, ValidationFailed
from audit.models import AuditEvent
from documents import hooks
from documents import services as documents_services
from documents.models import Binder, Blob, DisposalRecord, Document
from tests.documents.conftest import blob_path, client_for
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
from workflow.proposals.models import Proposal, ProposalStep

pytestmark = pytest.mark.django_db


def _destroyed(document: Document) -> bool:
    document.refresh_from_db()
    return (
        document.disposed_at is not None
        and not blob_path(document.current_version.blob.sha256).exists()
    )


def _intact(document: Document) -> bool:
    document.refresh_from_db()
    return document.disposed_at is None and blob_path(document.current_version.blob.sha256).exists()


def test_due_binders_go_to_the_kacho_with_a_somuka_consultation(city):
    binder = _binder(city, "予算編成")

    response = client_for(city.p("zaisei_staff")).post(
        "/api/v1/disposals/", {"binders": [binder.pk]}, format="json"
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["category"] == "disposal"
    assert data["status"] == "in_review"
    assert "予算編成" in data["body"]
    assert "令和2年度" in data["body"]
    assert [b["id"] for b in data["binders"]] == [binder.pk]
    assert data["binders"][0]["outcome"] == "proposed"
    route = [(s["kind"], s["approver"], s["unit"]) for s in data["route"]]
    assert ("consult", "somu_kacho", "総務課") in route
    assert route[-1] == ("decide", "zaisei_kacho", "財政課")
    assert {kind for kind, _, _ in route} <= {"approve", "consult", "decide"}
    assert AuditEvent.objects.filter(action="workflow.disposal_proposed").count() == 1


def test_approved_through_the_route_destroys_the_files_and_keeps_a_record(
    city, django_capture_on_commit_callbacks
):
    binder = _binder(city, "予算編成")
    first, second = _file(city, binder, "第一"), _file(city, binder, "第二")
    proposal = disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[binder])

    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(proposal, until_decide=False)
    # Before the decision nothing is destroyed.
    assert _pending(proposal)[0].kind == ProposalStep.Kind.DECIDE
    assert _intact(first)
    assert _intact(second)
    assert DisposalRecord.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(proposal)

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPROVED
    assert proposal.document_number
    assert _destroyed(first)
    assert _destroyed(second)
    assert Blob.objects.filter(purged_at__isnull=False).count() == 2
    binder.refresh_from_db()
    assert binder.status == Binder.Status.DISPOSED
    record = DisposalRecord.objects.get(binder=binder)
    assert proposal.document_number in record.approval_reference
    assert record.approval_reference == disposal.disposal_reference(proposal)
    assert record.approved_by[-1] == "zaisei_kacho"
    assert "somu_kacho" in record.approved_by
    assert record.approved_at == proposal.decided_at
    assert record.disposed_by == city.p("zaisei_staff").user
    assert {i["document"] for i in record.items} == {first.pk, second.pk}
    link = DisposalProposalBinder.objects.get(proposal=proposal)
    assert (link.outcome, link.disposal_record) == (DisposalProposalBinder.Outcome.DISPOSED, record)
    assert AuditEvent.objects.filter(action="documents.binder_disposed").count() == 1
    assert AuditEvent.objects.filter(action="workflow.task_decided").count() == 1

    # Reading a version of a destroyed document is a clear refusal, not a file.
    response = client_for(city.p("zaisei_staff")).get(f"/api/v1/documents/{first.pk}/download/")
    assert response.status_code == 409
    assert response.json()["detail"]


def test_a_binder_not_yet_due_or_under_legal_hold_is_refused_at_proposal_time(city):
    due = _binder(city, "予算編成")
    not_due = _binder(city, "決算資料", fy=2025)
    held = _binder(city, "訴訟関係")
    _hold(city, held)
    client = client_for(city.p("zaisei_staff"))

    response = client.post("/api/v1/disposals/", {"binders": [due.pk, not_due.pk]}, format="json")
    assert response.status_code == 400
    assert "決算資料" in response.json()["detail"]
    assert "予算編成" not in response.json()["detail"]

    response = client.post("/api/v1/disposals/", {"binders": [due.pk, held.pk]}, format="json")
    assert response.status_code == 400
    assert "訴訟関係" in response.json()["detail"]

    assert client.post("/api/v1/disposals/", {"binders": []}, format="json").status_code == 400
    assert Proposal.objects.count() == 0
    assert DisposalProposalBinder.objects.count() == 0


def test_legal_hold_placed_after_submission_skips_that_binder(
    city, django_capture_on_commit_callbacks
):
    kept = _binder(city, "訴訟関係")
    gone = _binder(city, "予算編成")
    kept_doc, gone_doc = _file(city, kept, "証拠"), _file(city, gone, "予算")
    proposal = disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[kept, gone])
    _hold(city, kept, reason="住民訴訟")

    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(proposal)

    assert _intact(kept_doc)
    assert _destroyed(gone_doc)
    kept.refresh_from_db()
    assert kept.status != Binder.Status.DISPOSED
    assert list(DisposalRecord.objects.values_list("binder_id", flat=True)) == [gone.pk]
    link = DisposalProposalBinder.objects.get(proposal=proposal, binder=kept)
    assert link.outcome == DisposalProposalBinder.Outcome.SKIPPED
    assert "住民訴訟" in link.reason
    assert AuditEvent.objects.filter(action="workflow.disposal_skipped").count() == 1
    # The approval no longer covers the skipped binder, even once the hold is lifted.
    approval = hooks.approved_disposal(disposal.disposal_reference(proposal))
    assert approval is not None
    assert approval.binder_ids == {gone.pk}


@pytest.mark.parametrize("ending", ["send_back", "reject", "cancel"])
def test_sent_back_rejected_or_cancelled_destroys_nothing(
    city, django_capture_on_commit_callbacks, ending
):
    binder = _binder(city, "予算編成")
    document = _file(city, binder, "予算")
    drafter = city.p("zaisei_staff").user
    proposal = disposal.disposal_propose(actor=drafter, binders=[binder])

    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(proposal, until_decide=False)
        [decide] = _pending(proposal)
        if ending == "send_back":
            services.task_send_back(actor=decide.approver.user, step=decide, comment="再確認")
        elif ending == "reject":
            services.task_reject(actor=decide.approver.user, step=decide, comment="保存継続")
        else:
            services.proposal_cancel(actor=drafter, proposal=proposal)

    assert _intact(document)
    assert DisposalRecord.objects.count() == 0
    assert hooks.approved_disposal(f"交財第1号 (proposal {proposal.pk})") is None
    if ending != "send_back":
        # Closed without a decision: the binder can be proposed again.
        assert disposal.disposal_propose(actor=drafter, binders=[binder]).pk != proposal.pk


def test_a_binder_already_on_an_open_disposal_proposal_is_a_conflict(city):
    binder = _binder(city, "予算編成")
    client = client_for(city.p("zaisei_staff"))
    first = client.post("/api/v1/disposals/", {"binders": [binder.pk]}, format="json")
    assert first.status_code == 201
    response = client.post("/api/v1/disposals/", {"binders": [binder.pk]}, format="json")
    assert response.status_code == 409


def test_another_divisions_binder_is_refused(city):
    public = _binder(city, "契約台帳", unit="契約検査課", classification="public")
    secret = _binder(city, "入札調書", unit="契約検査課", classification="confidential")
    client = client_for(city.p("zaisei_staff"))

    assert (
        client.post("/api/v1/disposals/", {"binders": [public.pk]}, format="json").status_code
        == 403
    )
    assert (
        client.post("/api/v1/disposals/", {"binders": [secret.pk]}, format="json").status_code
        == 404
    )
    assert (
        client.post("/api/v1/disposals/", {"binders": [999999]}, format="json").status_code == 404
    )
    with pytest.raises(PermissionRefused):
        disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[public])
    with pytest.raises(NotFound):
        disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[secret])
    assert Proposal.objects.count() == 0


def test_records_refuse_a_reference_that_is_not_an_approved_disposal(city):
    binder = _binder(city, "予算編成")
    proposal = disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[binder])

    # Submitted, not decided: its would-be reference does not resolve; records refuse.
    for reference in [disposal.disposal_reference(proposal), "交財第1号", ""]:
        with pytest.raises(PermissionRefused):
            documents_services.binder_dispose(
                actor=city.p("zaisei_staff").user, binder=binder, approval_reference=reference
            )
    with pytest.raises(ValidationFailed):
        disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[])


def test_the_disposal_record_survives(city, django_capture_on_commit_callbacks):
    binder = _binder(city, "予算編成")
    _file(city, binder, "予算")
    proposal = disposal.disposal_propose(actor=city.p("zaisei_staff").user, binders=[binder])
    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(proposal)
    record = DisposalRecord.objects.get()

    with pytest.raises(DatabaseError), transaction.atomic():
        DisposalRecord.objects.filter(pk=record.pk).update(approved_by=["forged"])
    with pytest.raises(ProtectedError):
        binder.delete()
    with pytest.raises(ProtectedError):
        proposal.delete()
    record.refresh_from_db()
    assert record.approval_reference == disposal.disposal_reference(proposal)
    # Carrying the decision out again changes nothing.
    assert disposal.disposal_carry_out(proposal_id=proposal.pk) == []
    assert DisposalRecord.objects.count() == 1
