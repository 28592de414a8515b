"""Screens: the org chart for everyone; reorganisations for the 人事課 (upload, dry run, confirm,
apply, cancel), with 和暦 dates. The city is tests/workflow/conftest.py's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.models import Assignment
from directory.reorg_models import Reorganisation
from tests.factories import AssignmentFactory, PositionFactory
from tests.workflow.conftest import city  # noqa: F401 (fixture)
from workflow.proposals import services

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
CSV = "種別,対象,組織,職名\n異動,shimin_kacho,税務課,課長\n異動,zeimu_kacho,市民課,課長\n"


@pytest.fixture(autouse=True)
def _september():
    with time_machine.travel(datetime(2027, 9, 1, 10, tzinfo=TOKYO), tick=False):
        yield


def signed_in(client, city, username):  # noqa: F811
    client.force_login(city.p(username).user)
    return client


def test_org_chart_shows_heads_and_concurrent_posts(client, city):  # noqa: F811
    AssignmentFactory(
        person=city.p("zaisei_hosa"),
        unit=city.u("税務課"),
        position=PositionFactory(title="課長補佐"),
        is_primary=False,
    )
    signed_in(client, city, "madoguchi_staff")

    page = client.get(reverse("directory:org-chart")).content.decode()
    unit = client.get(reverse("directory:org-unit", args=[city.u("税務課").pk])).content.decode()
    found = client.get(reverse("directory:org-chart"), {"q": "税務"}).content.decode()

    assert "市民課" in page
    assert city.p("shimin_kacho").display_name in page
    assert city.p("zeimu_kacho").display_name in unit
    assert city.p("zaisei_hosa").display_name in unit
    assert "兼務" in unit
    assert found.count('data-testid="org-unit"') == 2  # 税務課 and 市民税係 (its path)


def test_reorganisations_are_invisible_outside_the_personnel_division(client, city):  # noqa: F811
    signed_in(client, city, "madoguchi_staff")
    assert client.get(reverse("directory:reorg-list")).status_code == 404
    staged = Reorganisation.objects.create(title="x", effective_on=date(2027, 10, 1))
    assert client.get(reverse("directory:reorg-detail", args=[staged.pk])).status_code == 404
    url = reverse("directory:reorg-action", args=[staged.pk, "apply"])
    assert client.post(url, {"confirmed": "1", "early": "1"}).status_code == 404


def test_upload_dry_run_confirm_and_apply(client, city):  # noqa: F811
    drafter = city.p("madoguchi_staff").user
    proposal = services.proposal_create(actor=drafter, title="窓口の件", category="general")
    services.proposal_submit(actor=drafter, proposal=proposal)
    signed_in(client, city, "jinji_staff")

    answer = client.post(
        reverse("directory:reorg-list"),
        {
            "title": "令和9年10月1日付 人事異動",
            "effective_on": "2027-10-01",
            "numbering": "continue",
            "file": SimpleUploadedFile("idou.csv", CSV.encode("cp932"), "text/csv"),
        },
    )
    staged = Reorganisation.objects.get()
    assert answer.status_code == 302
    detail = reverse("directory:reorg-detail", args=[staged.pk])
    assert "令和9年10月1日" in client.get(detail).content.decode()

    client.post(reverse("directory:reorg-action", args=[staged.pk, "dry-run"]))
    page = client.get(detail).content.decode()
    assert 'data-testid="steps"' in page
    assert city.p("zeimu_kacho").display_name in page
    assert 'data-testid="tree-diff"' in page

    apply_url = reverse("directory:reorg-action", args=[staged.pk, "apply"])
    confirm = client.post(apply_url)
    assert confirm.status_code == 200
    assert 'data-testid="confirm"' in confirm.content.decode()
    assert Assignment.objects.get(person=city.p("shimin_kacho")).unit.name == "市民課"

    assert client.post(apply_url, {"confirmed": "1", "early": "1"}).status_code == 302
    staged.refresh_from_db()
    assert staged.status == "applied"
    assert Assignment.objects.get(person=city.p("shimin_kacho")).unit.name == "税務課"
    cancel = client.post(reverse("directory:reorg-action", args=[staged.pk, "cancel"]))
    assert cancel.status_code == 409
    assert 'data-testid="refusal"' in cancel.content.decode()


def test_a_bad_file_is_answered_400_with_the_lines(client, city):  # noqa: F811
    signed_in(client, city, "jinji_kacho")
    answer = client.post(
        reverse("directory:reorg-list"),
        {
            "title": "x",
            "effective_on": "2027-10-01",
            "numbering": "continue",
            "file": SimpleUploadedFile("x.csv", "種別,対象\n転勤,a\n".encode(), "text/csv"),
        },
    )
    assert answer.status_code == 400
    assert "2" in answer.content.decode()
    assert not Reorganisation.objects.exists()


def test_the_command_applies_what_is_due(city):  # noqa: F811
    from io import StringIO

    from django.core.management import call_command

    from directory import reorg

    reorg.reorg_stage(
        actor=city.p("jinji_staff").user,
        title="十月",
        effective_on=date(2027, 10, 1),
        data=CSV.encode(),
    )
    out = StringIO()
    call_command("apply_reorganisations", stdout=out)
    assert out.getvalue().endswith("0 applied\n")
    call_command("apply_reorganisations", "--date", "2027-10-01", stdout=out)
    assert "people 2" in out.getvalue()
    assert Reorganisation.objects.get().status == "applied"
