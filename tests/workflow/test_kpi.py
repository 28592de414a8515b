"""The KPI dashboard (/approval/kpi/): its figures equal a hand-computed fixture, it is shown to
the DX推進委員会 and the DX office only, and each table downloads as CSV with Japanese headings.

The fixture (年度 2026, Asia/Tokyo), a 窓口係 主事 drafting, 窓口係長 then 市民課長 deciding:

| proposal | submitted | 係長 acts (dwell) | 課長 decides (dwell) | lead | sent back |
|---|---|---|---|---|---|
| P1 | 05-01 09:00 | 05-01 15:00 (6 h) | 05-03 09:00 (42 h) | 2 d | no |
| P2 | 05-10 09:00 | back 10:00 (1 h); again 05-11 9→11 (2 h) | 05-14 09:00 (70 h) | 4 d | yes |
| P3 | 06-01 09:00 | 06-01 10:00 (1 h) | 06-11 09:00 (239 h) | 10 d | no |

plus one paper decision (an outgoing register entry with no proposal) on 2026-05-20.
Lead times [2, 4, 10]: median 4, p90 = 4 + 0.8 × 6 = 8.8. Send-back 1/3 = 33.3 %. Electronic
rate 3 / (3 + 1) = 75.0 %. Sheets: each has no attachment and 2 approvers + the drafter → 3; 9.
May: [2, 4] median 3.0, p90 3.8, send-back 50.0, electronic 2/3 = 66.7, sheets 6.
係長 dwell [6, 1, 2, 1]: median 1.5, p90 2 + 0.7 × 4 = 4.8; 課長 [42, 70, 239]: median 70,
p90 70 + 0.8 × 169 = 205.2.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from documents.models import RegisterEntry
from workflow.dx.models import DEFAULT_COMMITTEE_GROUP_NAME
from workflow.kpi import selectors
from workflow.kpi.selectors import percentile
from workflow.models import ProposalStep
from workflow.proposals import services

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
DRAFTER, KAKARI, KACHO = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"
URL = "/approval/kpi/"


def at(month: int, day: int, hour: int) -> time_machine.travel:
    return time_machine.travel(datetime(2026, month, day, hour, tzinfo=TOKYO), tick=False)


def _user(city, username):
    return city.p(username).user


def _pending(proposal, username) -> ProposalStep:
    return ProposalStep.objects.get(
        proposal=proposal, state="pending", approver__user__username=username
    )


def _approve(city, proposal, username, when):
    with when:
        services.task_approve(actor=_user(city, username), step=_pending(proposal, username))


def _submitted(city, when):
    with when:
        proposal = services.proposal_create(
            actor=_user(city, DRAFTER), title="窓口の案内表示の更新", category="general"
        )
        return services.proposal_submit(actor=_user(city, DRAFTER), proposal=proposal)


@pytest.fixture
def fixture(city):
    p1 = _submitted(city, at(5, 1, 9))
    _approve(city, p1, KAKARI, at(5, 1, 15))
    _approve(city, p1, KACHO, at(5, 3, 9))

    p2 = _submitted(city, at(5, 10, 9))
    with at(5, 10, 10):
        services.task_send_back(
            actor=_user(city, KAKARI), step=_pending(p2, KAKARI), comment="金額の根拠を"
        )
    with at(5, 11, 9):
        p2.refresh_from_db()
        services.proposal_submit(actor=_user(city, DRAFTER), proposal=p2)
    _approve(city, p2, KAKARI, at(5, 11, 11))
    _approve(city, p2, KACHO, at(5, 14, 9))

    p3 = _submitted(city, at(6, 1, 9))
    _approve(city, p3, KAKARI, at(6, 1, 10))
    _approve(city, p3, KACHO, at(6, 11, 9))

    RegisterEntry.objects.create(
        kind=RegisterEntry.Kind.OUTGOING,
        unit=city.u("市民課"),
        fiscal_year=2026,
        number=1,
        on=date(2026, 5, 20),
        counterpart="交野市民",
        subject="紙で決裁した通知",
        registered_by=_user(city, DRAFTER),
    )
    return city


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([2, 4, 10], 0.5) == 4
    assert percentile([2, 4, 10], 0.9) == pytest.approx(8.8)
    assert percentile([1, 1, 2, 6], 0.5) == 1.5


def test_figures_equal_the_hand_computed_fixture(fixture):
    board = selectors.dashboard(fy=2026)

    total = board.total
    assert (total.decided, total.paper, total.sheets) == (3, 1, 9)
    assert (total.median, total.p90) == (4.0, 8.8)
    assert (total.send_back_rate, total.electronic_rate) == (33.3, 75.0)

    months = {g.key: g for g in board.months}
    assert board.months[0].key == "2026-04"
    assert list(months)[-1] == "2027-03"
    may, june = months["2026-05"], months["2026-06"]
    assert (may.decided, may.paper, may.median, may.p90) == (2, 1, 3.0, 3.8)
    assert (may.send_back_rate, may.electronic_rate, may.sheets) == (50.0, 66.7, 6)
    assert (june.decided, june.median, june.send_back_rate, june.sheets) == (1, 10.0, 0.0, 3)
    assert months["2026-04"].decided == 0
    assert months["2026-04"].electronic_rate is None

    years = {g.key: g for g in board.years}
    assert years[2026].decided == 3
    assert years[2025].decided == 0

    (unit,) = board.units
    assert (unit.decided, unit.median, unit.p90) == (3, 4.0, 8.8)

    approvers = {g.key: g for g in board.approvers}
    kakari, kacho = approvers[fixture.p(KAKARI).pk], approvers[fixture.p(KACHO).pk]
    assert kakari.count == 4
    assert (kakari.median, kakari.p90) == (1.5, 4.8)
    assert (kacho.count, kacho.median, kacho.p90) == (3, 70.0, 205.2)
    assert board.approvers[0].key == fixture.p(KACHO).pk  # the slowest first
    assert sum(g.count for g in board.steps) == 7


def test_another_fiscal_year_is_empty(fixture):
    board = selectors.dashboard(fy=2025)
    assert board.total.decided == 0
    assert board.units == []


def _member(city, username: str):
    user = _user(city, username)
    group, _created = Group.objects.get_or_create(name=DEFAULT_COMMITTEE_GROUP_NAME)
    user.groups.add(group)
    return user


def test_the_committee_sees_the_dashboard_and_others_get_404(client, fixture):
    client.force_login(_user(fixture, DRAFTER))
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}months.csv").status_code == 404

    client.force_login(_member(fixture, "deputy"))
    response = client.get(URL, {"fy": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="kpi-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "<script>" not in html  # no inline script: the data is JSON, the code a static file
    assert "75.0" in html
    assert "8.8" in html


def test_csv_per_table_with_japanese_headings(client, fixture):
    client.force_login(_member(fixture, "deputy"))
    response = client.get(f"{URL}months.csv", {"fy": 2026})
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:4] == ["月", "決裁件数", "紙の決裁", "電子決裁率（%）"]
    may = next(r for r in rows if r[0] == "2026-05")
    assert may[1:4] == ["2", "1", "66.7"]
    assert client.get(f"{URL}nothing.csv").status_code == 404


def test_the_nav_link_is_shown_to_the_role_only(client, fixture):
    client.force_login(_user(fixture, DRAFTER))
    assert 'data-testid="nav-kpi"' not in client.get("/approval/").content.decode()
    client.force_login(_member(fixture, "deputy"))
    assert 'data-testid="nav-kpi"' in client.get("/approval/").content.decode()


def test_the_dx_office_sees_the_dashboard(client, fixture):
    from tests.factories import OrgUnitFactory, make_person

    office = OrgUnitFactory(name="デジタル推進課", level=2)
    section = OrgUnitFactory(name="DX推進係", level=3, parent=office)
    member = make_person("dx.staff", "電子 太郎", section, "主事")
    client.force_login(member.user)
    assert client.get(URL).status_code == 200
