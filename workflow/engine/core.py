"""The engine core that the proposal flow and the DX action-plan flow share: who acts, the row
lock every action starts with, completing a viewflow task, and the audit record.

Lock order (see ``docs/workflow-engine.md``): the record's row (``lock_row``) first, then the
flow's lock (taken inside ``complete_task``: for a proposal the row already held, for a DX plan
viewflow's process row), then counters, and the audit chain last.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit import services as audit
from audit.exceptions import PermissionRefused
from directory.models import Person
from directory.selectors import person_for_user

M = TypeVar("M", bound=models.Model)


def acting_person(actor: Any, *, refusal: str | None = None) -> Person:
    """The active directory person of a user; PermissionRefused (``refusal``) for anyone else."""
    person = person_for_user(actor)
    if person is None or not person.is_active:
        raise PermissionRefused(
            refusal or _("Only staff of the directory can take part in approvals.")
        )
    return person


def lock_row(queryset: models.QuerySet[M], pk: int) -> M:
    """The row ``pk`` of ``queryset``, locked for this transaction (its own row only, and not
    against rows that merely reference it: ``FOR NO KEY UPDATE OF``)."""
    return queryset.select_for_update(of=("self",), no_key=True).get(pk=pk)


def complete_task(
    task_id: int,
    *,
    flow_class: Any,
    process_id: int,
    owner: Any = None,
    context: AbstractContextManager[Any] | None = None,
) -> None:
    """Do the viewflow task ``task_id`` of the process ``process_id`` and let the flow move on,
    under the flow's lock (``flow_class.lock_impl``).

    ``owner``: the user doing it when it is not (only) the assignee's — an unclaimed task is
    claimed by them, a task assigned to someone else is reassigned to them (引上げ承認).
    ``context``: entered around the flow call (the proposal flow's ``driving``).
    """
    with context or nullcontext(), flow_class.lock(process_id):
        # viewflow's ``Task.activation()``, with the task read once, under the lock, together
        # with its process (it read the task, then again under the lock, then the process).
        task = Task.objects.select_related("process").get(pk=task_id, process_id=process_id)
        activation = task.flow_task.activation_class(task)
        if owner is not None and task.status == STATUS.NEW:
            activation.assign(owner)
        elif owner is not None and task.owner_id != owner.pk:
            activation.reassign(user=owner)
        if task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()


def audit_change(action: str, actor: Any, target: models.Model, **details: Any) -> None:
    """The audit record of an action on ``target``, in the action's transaction (the request's
    client address is added by the audit app)."""
    audit.record(action=action, actor=actor, target=target, details=details)
