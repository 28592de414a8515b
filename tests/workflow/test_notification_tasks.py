"""Approval notifications are django-tasks: in-process by default, queued for `db_worker` with
KAIRAN_TASK_WORKERS=external (the approver's request then writes no notification or e-mail)."""

from __future__ import annotations

from tests.test_task_workers import _env, _run

SUBMIT = """
import django
django.setup()
from directory.models import Notification, OrgUnit
from tests.factories import OrgUnitFactory, make_person
from workflow.proposals import services
bu = OrgUnitFactory(name="総務部", level=OrgUnit.Level.DEPARTMENT)
ka = OrgUnitFactory(name="総務課", level=OrgUnit.Level.DIVISION, parent=bu)
make_person("t.bucho", "部長", bu, "部長")
kacho = make_person("t.kacho", "課長", ka, "課長")
drafter = make_person("t.staff", "主事", ka, "主事")
proposal = services.proposal_create(actor=drafter.user, title="備品購入", category="general")
services.proposal_submit(actor=drafter.user, proposal=proposal)
print(Notification.objects.filter(recipient=kacho, kind="workflow.task_created").count())
"""

COUNT = """
import django
django.setup()
from directory.models import Notification
print(Notification.objects.filter(recipient__user__username="t.kacho",
                                  kind="workflow.task_created").count())
"""


def test_external_workers_send_the_task_notification(tmp_path):
    env = _env(tmp_path, "external")
    _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    assert _run(env, "-c", SUBMIT).splitlines()[-1] == "0"
    assert _run(env, "-c", COUNT).splitlines()[-1] == "0"  # queued, nobody ran it yet
    _run(env, "manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert _run(env, "-c", COUNT).splitlines()[-1] == "1"


def test_embedded_default_sends_it_in_the_request(tmp_path):
    env = _env(tmp_path, "embedded")
    _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    assert _run(env, "-c", SUBMIT).splitlines()[-1] == "1"
