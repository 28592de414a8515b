"""人事異動・組織改正 staged ahead (directory/reorg.py) with approvals following the post
(workflow/proposals/reassign.py): the dry run lists every affected pending task and changes
nothing; the
apply moves a 課長's pending step to the new 課長, a merged 課's steps to its successor, continues
numbering, is audited and idempotent; a staged one can be cancelled before its date.

The city is tests/workflow/conftest.py's: a 主事 of 市民課 > 窓口係 drafting a general matter goes
窓口係長 → 市民課長 (decides); 税務課 > 市民税係 likewise goes 市民税係長 → 税務課長.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from viewflow.workflow.models import Task

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.models import AuditEvent
from audit.selectors import chain_verify
from directory import reorg
from directory.models import Assignment, OrgUnit, Person
from directory.notification_models import Notification
from directory.reorg_models import Reorganisation
from tests.workflow.conftest import city  # noqa: F401 (fixture)
from workflow.models import Decision, DocumentCounter, Proposal, ProposalStep
from workflow.proposals import services
from workflow.proposals.selectors import task_list_for_user

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
STAGED_ON = datetime(2027, 9, 1, 10, tzinfo=TOKYO)
EFFECTIVE = date(2027, 10, 1)
ON_THE_DAY = datetime(2027, 10, 1, 6, tzinfo=TOKYO)
HEADER = "種別,対象,組織,職名,名称,文書記号\n"


@pytest.fixture(autouse=True)
def _september():
    with time_machine.travel(STAGED_ON, tick=False):
        yield


def submitted(city, drafter: str, title: str = "案内表示の更新") -> Proposal:  # noqa: F811
    actor = city.p(drafter).user
    proposal = services.proposal_create(actor=actor, title=title, category="general")
    return services.proposal_submit(actor=actor, proposal=proposal)


def approve(city, proposal: Proposal, username: str) -> None:  # noqa: F811
    step = ProposalStep.objects.get(proposal=proposal, state="pending")
    services.task_approve(actor=city.p(username).user, step=step, comment="")


def pending(proposal: Proposal) -> ProposalStep:
    return ProposalStep.objects.select_related("approver__user", "task").get(
        proposal=proposal, state="pending"
    )


def stage(city, csv: str, **kw) -> Reorganisation:  # noqa: F811
    return reorg.reorg_stage(
        actor=city.p("jinji_staff").user,
        title=kw.pop("title", "令和9年10月1日付 人事異動"),
        effective_on=kw.pop("effective_on", EFFECTIVE),
        data=(HEADER + csv).encode(),
        file_name="idou.csv",
        **kw,
    )


def apply(city, staged: Reorganisation, **kw):  # noqa: F811
    with time_machine.travel(ON_THE_DAY, tick=False):
        return reorg.reorg_apply(actor=city.p("jinji_staff").user, reorganisation=staged, **kw)


SWAP = "異動,shimin_kacho,税務課,課長\n異動,zeimu_kacho,市民部/市民課,課長\n"


def test_dry_run_lists_every_affected_pending_task_and_changes_nothing(city):  # noqa: F811
    at_kacho = submitted(city, "madoguchi_staff", "窓口の案内")
    approve(city, at_kacho, "madoguchi_kakaricho")  # now pending at 市民課長 (decides)
    waiting = submitted(city, "madoguchi_staff", "窓口の椅子")  # 市民課長's step still waiting
    untouched = submitted(city, "somu_staff", "総務の件")
    staged = stage(city, SWAP)
    audit_before = AuditEvent.objects.count()

    report = reorg.reorg_dry_run(actor=city.p("jinji_staff").user, reorganisation=staged)

    rows = {(r["proposal"], r["from"], r["to"]) for r in report["steps"]}
    old, new = _name(city, "shimin_kacho"), _name(city, "zeimu_kacho")
    # The pending step and the one still waiting its turn: both follow the post.
    assert rows == {(at_kacho.pk, old, new), (waiting.pk, old, new)}
    assert untouched.pk not in {r["proposal"] for r in report["steps"]}
    assert report["counts"]["people"] == 2
    assert report["counts"]["steps"] == len(report["steps"])
    assert any("税務課" in line for line in report["tree_diff"])
    # Nothing changed: the same holder, the same task owner, the same posts, no audit events.
    assert pending(at_kacho).approver.username == "shimin_kacho"
    assert pending(at_kacho).task.owner_id == city.p("shimin_kacho").user_id
    assert Assignment.objects.get(person=city.p("shimin_kacho")).unit.name == "市民課"
    assert AuditEvent.objects.count() == audit_before
    staged.refresh_from_db()
    assert staged.status == "staged"
    assert staged.report["counts"] == report["counts"]


def _name(city, username: str) -> str:  # noqa: F811
    return city.p(username).display_name


def test_apply_moves_the_kacho_step_to_the_new_kacho_who_can_decide(city):  # noqa: F811
    proposal = submitted(city, "madoguchi_staff")
    approve(city, proposal, "madoguchi_kakaricho")
    staged = stage(city, SWAP)

    report = apply(city, staged)

    step = pending(proposal)
    new_kacho = city.p("zeimu_kacho")
    assert step.approver == new_kacho
    assert Task.objects.get(pk=step.task_id).owner_id == new_kacho.user_id
    assert [s.pk for s, _p in task_list_for_user(user=new_kacho.user)] == [step.pk]
    assert task_list_for_user(user=city.p("shimin_kacho").user) == []
    history = Decision.objects.filter(proposal=proposal, action="updated").get()
    assert "令和9年10月1日" in history.comment
    assert _name(city, "shimin_kacho") in history.comment
    assert report["counts"]["steps"] == 1
    assert Notification.objects.filter(recipient=new_kacho, kind="reorg_tasks").exists()
    with time_machine.travel(ON_THE_DAY, tick=False):
        approve(city, proposal, "zeimu_kacho")
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    assert proposal.document_number == "交市第1号"
    assert chain_verify().ok


def test_applying_twice_changes_nothing_and_the_audit_chain_verifies(city):  # noqa: F811
    proposal = submitted(city, "madoguchi_staff")
    approve(city, proposal, "madoguchi_kakaricho")
    staged = stage(city, SWAP)
    first = apply(city, staged)
    events = AuditEvent.objects.count()
    decisions = Decision.objects.count()

    second = apply(city, staged)

    assert second == first
    assert AuditEvent.objects.count() == events
    assert Decision.objects.count() == decisions
    assert AuditEvent.objects.filter(action="directory.reorg_applied").count() == 1
    assert AuditEvent.objects.filter(action="workflow.step_reassigned").count() == 1
    assert chain_verify().ok


def test_a_merged_units_steps_go_to_the_successor_and_numbering_continues(city):  # noqa: F811
    proposal = submitted(city, "zeimu_staff", "市民税の通知")
    approve(city, proposal, "zeimu_kakaricho")  # pending at 税務課長
    zeimu, shimin = city.u("税務課"), city.u("市民課")
    DocumentCounter.objects.create(unit=zeimu, fiscal_year=2027, last_number=41)
    DocumentCounter.objects.create(unit=shimin, fiscal_year=2027, last_number=12)
    staged = stage(city, "統合,税務課,市民課,,,\n退職,zeimu_kacho,,,,\n")

    report = apply(city, staged)

    zeimu.refresh_from_db()
    assert not zeimu.is_active
    assert OrgUnit.objects.get(name="市民税係").parent_id == shimin.pk  # its 係 went along
    assert Assignment.objects.get(person=city.p("zeimu_staff")).unit.name == "市民税係"
    step = pending(proposal)
    assert step.approver == city.p("shimin_kacho")
    assert step.unit_id == shimin.pk
    assert not Person.objects.get(pk=city.p("zeimu_kacho").pk).is_active
    proposal.refresh_from_db()
    assert proposal.drafting_unit_id == shimin.pk
    assert report["counters"] == [{"unit": "市民課", "from": 42}]
    with time_machine.travel(ON_THE_DAY, tick=False):
        approve(city, proposal, "shimin_kacho")
    proposal.refresh_from_db()
    assert proposal.document_number == "交市第42号"
    assert chain_verify().ok


def test_numbering_may_restart_instead(city):  # noqa: F811
    DocumentCounter.objects.create(unit=city.u("税務課"), fiscal_year=2027, last_number=41)
    staged = stage(city, "統合,税務課,市民課,,,\n", numbering="restart")

    report = apply(city, staged)

    assert report["counters"] == []
    assert not DocumentCounter.objects.filter(unit=city.u("市民課")).exists()


def test_a_rename_keeps_the_unit_its_counter_and_the_old_prefix(city):  # noqa: F811
    shimin = city.u("市民課")
    DocumentCounter.objects.create(unit=shimin, fiscal_year=2027, last_number=5)
    staged = stage(city, "名称変更,市民部/市民課,,,市民窓口課,\n")

    apply(city, staged)

    shimin.refresh_from_db()
    assert shimin.name == "市民窓口課"
    assert shimin.effective_doc_number_prefix == "交市"
    proposal = submitted(city, "madoguchi_staff")
    approve(city, proposal, "madoguchi_kakaricho")
    with time_machine.travel(ON_THE_DAY, tick=False):
        approve(city, proposal, "shimin_kacho")
    proposal.refresh_from_db()
    assert proposal.document_number == "交市第6号"


def test_rules_naming_a_closed_unit_are_listed(city):  # noqa: F811
    staged = stage(city, "廃止,契約検査課,,,,\n")

    report = reorg.reorg_dry_run(actor=city.p("jinji_staff").user, reorganisation=staged)

    assert {r["unit"] for r in report["rules"]} >= {"契約検査課"}
    assert OrgUnit.objects.get(name="契約検査課").is_active  # only a dry run


def test_drafts_of_people_who_leave_stay_with_them_and_their_head_is_told(city):  # noqa: F811
    actor = city.p("madoguchi_staff").user
    draft = services.proposal_create(actor=actor, title="下書き", category="general")
    staged = stage(city, "退職,madoguchi_staff,,,,\n")

    report = apply(city, staged)

    draft.refresh_from_db()
    assert draft.drafter.username == "madoguchi_staff"
    assert draft.status == "draft"
    assert [r["proposal"] for r in report["drafts"]] == [draft.pk]
    head = city.p("shimin_kacho")  # the head of the drafting 課
    assert Notification.objects.filter(recipient=head, kind="reorg_draft").exists()


def test_a_staged_change_can_be_cancelled_before_its_date_and_not_after(city):  # noqa: F811
    staged = stage(city, SWAP)
    jinji = city.p("jinji_staff").user
    with pytest.raises(Conflict):
        reorg.reorg_apply(actor=jinji, reorganisation=staged)  # still September

    reorg.reorg_cancel(actor=jinji, reorganisation=staged)

    staged.refresh_from_db()
    assert staged.status == "cancelled"
    with pytest.raises(Conflict):
        apply(city, staged)
    assert Assignment.objects.get(person=city.p("shimin_kacho")).unit.name == "市民課"
    applied = stage(city, SWAP)
    apply(city, applied)
    with pytest.raises(Conflict):
        reorg.reorg_cancel(actor=jinji, reorganisation=applied)


def test_only_the_personnel_division_manages_reorganisations(city):  # noqa: F811
    with pytest.raises(PermissionRefused):
        reorg.reorg_stage(
            actor=city.p("madoguchi_staff").user,
            title="x",
            effective_on=EFFECTIVE,
            data=(HEADER + SWAP).encode(),
        )
    assert reorg.can_manage_reorganisations(city.p("jinji_kacho").user)
    assert not reorg.can_manage_reorganisations(city.p("zaisei_kacho").user)


def test_a_bad_file_is_refused_naming_every_bad_line(city):  # noqa: F811
    with pytest.raises(ValidationFailed) as refused:
        stage(city, "異動,shimin_kacho,,課長\n転勤,x,y,z\n")
    message = str(refused.value.detail if hasattr(refused.value, "detail") else refused.value)
    assert "2" in message
    assert "3" in message
    with pytest.raises(ValidationFailed):
        stage(city, SWAP, effective_on=date(2027, 8, 1))  # in the past


def test_unknown_people_and_units_are_problems_of_the_dry_run(city):  # noqa: F811
    staged = stage(city, "異動,nobody,市民課,主事\n異動,zeimu_staff,企画課,主事\n")

    report = reorg.reorg_dry_run(actor=city.p("jinji_staff").user, reorganisation=staged)

    assert [p["line"] for p in report["problems"]] == [2, 3]


def test_a_directory_sync_that_moves_a_head_moves_their_pending_steps_too(db):
    """Cities that change AD on the day, without staging: the sync makes steps follow the post."""
    from directory.models import Source
    from directory.services import directory_apply_snapshot
    from directory.snapshot import DirectorySnapshot, PersonEntry, PostEntry, UnitEntry

    base = "ou=org,dc=x"
    units = [
        UnitEntry(dn=f"ou=市民部,{base}", name="市民部", parent_dn=None),
        UnitEntry(dn=f"ou=市民課,ou=市民部,{base}", name="市民課", parent_dn=f"ou=市民部,{base}"),
        UnitEntry(
            dn=f"ou=窓口係,ou=市民課,ou=市民部,{base}",
            name="窓口係",
            parent_dn=f"ou=市民課,ou=市民部,{base}",
        ),
    ]

    def person(uid: str, unit: str, title: str) -> PersonEntry:
        return PersonEntry(
            dn=f"uid={uid},dc=x", username=uid, display_name=uid, posts=(PostEntry(unit, title),)
        )

    before = [
        person("kacho", "市民課", "課長"),
        person("old_kakaricho", "窓口係", "係長"),
        person("staff", "窓口係", "主事"),
        person("next_kakaricho", "市民課", "主査"),
    ]
    directory_apply_snapshot(snapshot=DirectorySnapshot(units=units, people=before))
    drafter = Person.objects.get(user__username="staff").user
    proposal = services.proposal_create(actor=drafter, title="窓口", category="general")
    services.proposal_submit(actor=drafter, proposal=proposal)
    assert pending(proposal).approver.username == "old_kakaricho"
    after = [
        before[0],
        person("old_kakaricho", "市民課", "主査"),
        before[2],
        person("next_kakaricho", "窓口係", "係長"),
    ]

    summary = directory_apply_snapshot(
        snapshot=DirectorySnapshot(units=units, people=after), source=Source.DIRECTORY
    )

    step = pending(proposal)
    assert step.approver.username == "next_kakaricho"
    assert Task.objects.get(pk=step.task_id).owner.get_username() == "next_kakaricho"
    assert summary.steps_moved == 1
    assert summary.changes == 2  # the two people; moving the step is not a directory change
    again = directory_apply_snapshot(snapshot=DirectorySnapshot(units=units, people=after))
    assert (again.changes, again.steps_moved) == (0, 0)


def test_an_open_post_review_passes_to_the_posts_new_holder(city):  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone

    from directory import services as directory_services
    from workflow.models import PostReview

    proposal = submitted(city, "madoguchi_staff")
    approve(city, proposal, "madoguchi_kakaricho")
    now = timezone.now()
    directory_services.delegation_create(
        actor=city.p("shimin_kacho").user,
        deputy_username="shimin_hosa",
        start_at=now - timedelta(hours=1),
        end_at=now + timedelta(days=1),
    )
    step = pending(proposal)
    services.task_approve(actor=city.p("shimin_hosa").user, step=step, comment="")
    assert PostReview.objects.get().principal == city.p("shimin_kacho")
    staged = stage(city, SWAP)

    report = apply(city, staged)

    review = PostReview.objects.get()
    assert review.principal == city.p("zeimu_kacho")
    assert report["post_reviews"] == [
        {
            "proposal": proposal.pk,
            "from": _name(city, "shimin_kacho"),
            "to": _name(city, "zeimu_kacho"),
        }
    ]


def test_staging_from_a_second_directory_base(db):
    """The next org chart prepared under another base: the difference becomes the lines."""
    from django.contrib.auth import get_user_model

    from directory.services import directory_apply_snapshot
    from directory.snapshot import DirectorySnapshot, PersonEntry, PostEntry, UnitEntry

    def chart(base: str, divisions: list[str]) -> list[UnitEntry]:
        bu = UnitEntry(dn=f"ou=市民部,{base}", name="市民部", parent_dn=None)
        return [bu] + [
            UnitEntry(dn=f"ou={name},{bu.dn}", name=name, parent_dn=bu.dn) for name in divisions
        ]

    def person(uid: str, unit: str, title: str) -> PersonEntry:
        return PersonEntry(
            dn=f"uid={uid},dc=x", username=uid, display_name=uid, posts=(PostEntry(unit, title),)
        )

    today = chart("ou=org,dc=x", ["市民課", "税務課"])
    directory_apply_snapshot(
        snapshot=DirectorySnapshot(
            units=today,
            people=[
                person("a", "市民課", "課長"),
                person("b", "税務課", "課長"),
                person("c", "税務課", "主事"),
            ],
        )
    )
    admin = get_user_model().objects.create_superuser("root", password=None)
    nxt = chart("ou=org2027,dc=x", ["市民課", "デジタル推進課"])
    snapshot = DirectorySnapshot(
        units=nxt,
        people=[
            person("a", "市民課", "課長"),
            person("b", "ou=デジタル推進課,ou=市民部,ou=org2027,dc=x", "課長"),
        ],
    )

    staged = reorg.reorg_stage_from_snapshot(
        actor=admin, title="次年度", effective_on=EFFECTIVE, snapshot=snapshot
    )

    lines = [(ln.kind, ln.target, ln.unit, ln.name) for ln in staged.lines.all()]
    assert lines == [
        ("unit_create", "市民部", "", "デジタル推進課"),
        ("unit_close", "市民部/税務課", "", ""),
        ("post", "b", "市民部/デジタル推進課", ""),
        ("leave", "c", "", ""),
    ]
    report = reorg.reorg_apply(actor=admin, reorganisation=staged, early=True)
    assert report["counts"]["problems"] == 0
    assert Assignment.objects.get(person__user__username="b").unit.name == "デジタル推進課"
    assert not Person.objects.get(user__username="c").is_active
