"""Reorganisation benchmark (issue 13): 3,000 people, ~340 units, 5,000 pending tasks.

A throwaway PostgreSQL database (``kairan_bench_<pid>``, dropped at the end) is migrated; the
synthetic city of bench/gen_directory.py is applied as a directory snapshot; ``--pending``
proposals wait at their 係長 with the 課長's decision behind it: ``--real`` of them drafted and
submitted through the services by staff of the 係, the rest row-for-row copies of those
(proposal, viewflow process and task, steps). The 人事異動 staged: every 係長 and 課長
rotates to the next 係 / 課 and ``--transfers`` staff change 係 (all 5,000 pending steps and
their 5,000 waiting 課長 steps follow the post).

Timed ``--runs`` times each, every run rolled back so each starts from the same data:

- dry run (``reorg_dry_run``: the apply inside a transaction that is rolled back);
- apply (``reorg_apply``: bulk writes, one transaction);
- the naive per-person way a script against the same models would take: for each person line,
  rewrite their posts, then for each open step they hold, find the unit's head, lock the
  proposal, save the step and the task's owner, write the history entry and the audit event.

    .venv/bin/python bench/bench_reorg.py [--people 3000] [--pending 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PG = "postgresql://postgres@127.0.0.1:5432"


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def configure(workdir: Path, dbname: str) -> None:
    os.environ.pop("KAIRAN_REDIS_URL", None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "KAIRAN_DATA_DIR": str(workdir / "data"),
            "KAIRAN_DATABASE_URL": f"{PG}/{dbname}",
            "KAIRAN_TASK_WORKERS": "external",  # notifications' e-mails stay out of the window
        }
    )


def seed_city(people: int):
    from gen_directory import ORG_BASE, build_city

    from directory.services import directory_apply_snapshot
    from directory.snapshot import DirectorySnapshot, PersonEntry, PostEntry, UnitEntry

    city = build_city(people=people, seed=1)
    dn_of = {u.name: u.dn for u in city.units}
    units = []
    for unit in city.units:
        parent = unit.dn.split(",", 1)[1]
        units.append(
            UnitEntry(dn=unit.dn, name=unit.name, parent_dn=None if parent == ORG_BASE else parent)
        )
    entries = [
        PersonEntry(
            dn=f"uid={p.uid},ou=people",
            username=p.uid,
            display_name=f"{p.family} {p.given}",
            posts=tuple(PostEntry(unit=dn_of[u], title=t) for u, t in p.posts),
        )
        for p in city.people
    ]
    directory_apply_snapshot(snapshot=DirectorySnapshot(units=units, people=entries))
    return city


def seed_pending(count: int, real: int) -> int:
    """``count`` proposals pending at a 係長: ``real`` drafted and submitted through the services
    by staff of 係 that have a 係長, the rest copies of those (``clone_pending``)."""
    from directory.models import Assignment, OrgUnit
    from directory.selectors import unit_heads
    from workflow.proposals import services

    sections = list(OrgUnit.objects.filter(level=3, is_active=True).order_by("pk"))
    heads = unit_heads([s.pk for s in sections])
    drafters = []
    for post in (
        Assignment.objects.filter(unit__in=sections, is_primary=True, position__rank__lt=40)
        .select_related("person__user")
        .order_by("pk")
    ):
        if post.unit_id in heads:
            drafters.append(post.person)
    made = 0
    while made < min(count, real):
        drafter = drafters[made % len(drafters)]
        proposal = services.proposal_create(
            actor=drafter.user, title=f"起案 {made}", category="general"
        )
        services.proposal_submit(actor=drafter.user, proposal=proposal)
        made += 1
    return made + clone_pending(count - made)


def clone_pending(count: int) -> int:
    """Copies of the submitted proposals, row for row: proposal, viewflow process, the pending
    step's viewflow task (same owner) and the round's steps. Enough for what a reorganisation
    touches (steps, task owners, proposals' locks); submitting 5,000 through the services takes
    20–40 minutes on this machine, copying a few seconds."""
    from viewflow.workflow.models import Process, Task

    from workflow.proposals.models import Proposal, ProposalStep

    if count <= 0:
        return 0
    originals = list(Proposal.objects.filter(status="in_review").order_by("pk"))
    steps_of: dict[int, list[ProposalStep]] = {}
    for step in ProposalStep.objects.filter(proposal__in=originals).order_by("pk"):
        steps_of.setdefault(step.proposal_id, []).append(step)
    tasks = {t.pk: t for t in Task.objects.filter(proposal_step__proposal__in=originals)}
    processes = {p.pk: p for p in Process.objects.filter(pk__in=[o.process_id for o in originals])}
    made = 0
    while made < count:
        batch = [originals[(made + i) % len(originals)] for i in range(min(500, count - made))]
        new_processes = []
        for original in batch:
            process = processes[original.process_id]
            new_processes.append(
                Process(
                    **{
                        f.attname: getattr(process, f.attname)
                        for f in Process._meta.concrete_fields
                        if not f.primary_key
                    }
                )
            )
        Process.objects.bulk_create(new_processes)
        new_proposals = []
        for original, process in zip(batch, new_processes, strict=True):
            fields = {
                f.attname: getattr(original, f.attname)
                for f in Proposal._meta.concrete_fields
                if not f.primary_key
            }
            fields["process_id"] = process.pk
            new_proposals.append(Proposal(**fields))
        Proposal.objects.bulk_create(new_proposals)
        new_tasks, new_steps = [], []
        for original, process, proposal in zip(batch, new_processes, new_proposals, strict=True):
            for step in steps_of[original.pk]:
                fields = {
                    f.attname: getattr(step, f.attname)
                    for f in ProposalStep._meta.concrete_fields
                    if not f.primary_key
                }
                fields["proposal_id"] = proposal.pk
                task = None
                if step.task_id:
                    source = tasks[step.task_id]
                    task = Task(
                        **{
                            f.attname: getattr(source, f.attname)
                            for f in Task._meta.concrete_fields
                            if not f.primary_key
                        }
                    )
                    task.process_id = process.pk
                    new_tasks.append(task)
                new_steps.append((fields, task))
        Task.objects.bulk_create(new_tasks)
        ProposalStep.objects.bulk_create(
            ProposalStep(**{**fields, "task_id": task.pk if task else None})
            for fields, task in new_steps
        )
        made += len(batch)
    return made


def reorg_csv(transfers: int) -> str:
    """Every 係長 and 課長 rotates to the next 係 / 課; ``transfers`` staff change 係."""
    from directory.models import Assignment, OrgUnit
    from directory.unitmatch import UnitIndex

    index = UnitIndex.load()
    lines = [("種別", "対象", "組織", "職名")]
    for level, min_rank, max_rank in ((3, 40, 49), (2, 50, 59)):
        units = list(OrgUnit.objects.filter(level=level, is_active=True).order_by("pk"))
        heads = {
            post.unit_id: post
            for post in Assignment.objects.filter(
                unit__in=units,
                is_primary=True,
                position__rank__gte=min_rank,
                position__rank__lte=max_rank,
            ).select_related("person__user", "position")
        }
        holders = [heads[u.pk] for u in units if u.pk in heads]
        targets = [u for u in units if u.pk in heads]
        for i, post in enumerate(holders):
            target = targets[(i + 1) % len(targets)]
            lines.append(("異動", post.person.username, index.path(target), post.position.title))
    sections = list(OrgUnit.objects.filter(level=3, is_active=True).order_by("pk"))
    staff = Assignment.objects.filter(
        unit__level=3, is_primary=True, position__rank__lt=40
    ).select_related("person__user", "position", "unit")
    for i, post in enumerate(staff.order_by("-pk")[:transfers]):
        target = sections[(i * 7 + 3) % len(sections)]
        if target.pk != post.unit_id:
            lines.append(("異動", post.person.username, index.path(target), post.position.title))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    return out.getvalue()


def naive_apply(csv_text: str) -> int:
    """Per person, per step, with the ORM as a script would: returns the steps moved."""
    from viewflow.workflow.models import Task

    from audit.services import record
    from directory.models import Assignment, OrgUnit, Person, Position
    from directory.selectors import unit_head
    from directory.unitmatch import UnitIndex
    from workflow.proposals.models import Decision, Proposal, ProposalStep

    moved = 0
    rows = list(csv.reader(io.StringIO(csv_text)))[1:]
    index = UnitIndex(OrgUnit.objects.all())
    people = []
    for _kind, username, unit_path, title in rows:
        person = Person.objects.get(user__username=username)
        unit = index.resolve(unit_path)[0]
        position, _created = Position.objects.get_or_create(title=title)
        Assignment.objects.filter(person=person).delete()
        Assignment.objects.create(person=person, unit=unit, position=position, is_primary=True)
        people.append(person)
    for person in people:
        steps = ProposalStep.objects.filter(
            approver=person,
            state__in=("pending", "waiting"),
            is_optional=False,
            proposal__status="in_review",
        ).select_related("unit")
        for step in steps:
            head = unit_head(step.unit)
            if head is None or head.pk == person.pk:
                continue
            Proposal.objects.select_for_update(of=("self",), no_key=True).get(pk=step.proposal_id)
            step.approver = head
            step.save(update_fields=["approver"])
            if step.task_id:
                Task.objects.filter(pk=step.task_id).update(owner_id=head.user_id)
            Decision.objects.create(
                proposal_id=step.proposal_id,
                round=step.round,
                step=step,
                actor=head,
                action="updated",
                comment="人事異動",
                at=step.activated_at or step.proposal.created_at,
            )
            record(
                action="workflow.step_reassigned",
                actor=None,
                target=step.proposal,
                details={"step": step.pk},
            )
            moved += 1
    return moved


def timed(fn, runs: int) -> tuple[list[float], object]:
    from django.db import transaction

    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        with transaction.atomic():
            result = fn()
            transaction.set_rollback(True)
        times.append(time.perf_counter() - start)
    return times, result


def fmt(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s ({min(times):.2f}–{max(times):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--pending", type=int, default=5000)
    parser.add_argument(
        "--real", type=int, default=300, help="of them submitted through the services"
    )
    parser.add_argument("--transfers", type=int, default=700)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-runs", type=int, default=3, help="the naive way takes minutes")
    args = parser.parse_args()
    dbname = f"kairan_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="kairan-bench-reorg-"))
    admin_sql(f"CREATE DATABASE {dbname}")
    try:
        configure(workdir, dbname)
        import django

        django.setup()

        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from directory import reorg
        from directory.models import OrgUnit, Person
        from workflow.proposals.models import ProposalStep

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        seed_city(args.people)
        seeded = time.monotonic()
        pending = seed_pending(args.pending, args.real)
        submitted = time.monotonic()
        csv_text = reorg_csv(args.transfers)
        admin = get_user_model().objects.create_superuser("bench_admin", password=None)
        staged = reorg.reorg_stage(
            actor=admin,
            title="bench",
            effective_on=timezone.localdate(),
            data=csv_text.encode(),
        )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        units = OrgUnit.objects.filter(is_active=True).count()
        people = Person.objects.filter(is_active=True).count()
        open_steps = ProposalStep.objects.filter(state__in=("pending", "waiting")).count()
        lines = csv_text.count("\n") - 1

        dry_times, report = timed(
            lambda: reorg.reorg_dry_run(actor=admin, reorganisation=staged), args.runs
        )
        apply_times, applied = timed(
            lambda: reorg.reorg_apply(actor=admin, reorganisation=staged), args.runs
        )
        naive_times, naive_moved = timed(lambda: naive_apply(csv_text), args.naive_runs)
        connection.close()

        print(
            f"{people:,} people, {units:,} units, {pending:,} submitted proposals "
            f"({open_steps:,} open steps: pending and waiting); {lines:,} person lines; "
            f"seed {seeded - started:.0f} s + submissions {submitted - seeded:.0f} s\n"
        )
        runs = f"{args.runs}; naive {args.naive_runs}"
        print(f"| runs, rolled back ({runs}) | median (min–max) | steps |")
        print("|---|---:|---:|")
        print(f"| dry run (`reorg_dry_run`) | {fmt(dry_times)} | {report['counts']['steps']:,} |")
        print(f"| apply (`reorg_apply`) | {fmt(apply_times)} | {applied['counts']['steps']:,} |")
        print(f"| naive per person, per step | {fmt(naive_times)} | {naive_moved:,} |")
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
