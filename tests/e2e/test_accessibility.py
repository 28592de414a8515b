"""Accessibility in CI (issue 9, items 5 and 9): axe-core on the main screens in Chromium at
iPad size, in Japanese — 0 serious or critical violations — and focus on the error summary
after a refused form.

axe-core comes from the npm registry (tests/e2e/vendor/axe-core, MPL-2.0) and is injected by
this test only. Every violation found (any impact) is written to ``AXE_REPORT`` so the minor and
moderate ones can be read too. Screens that do not exist yet (the KPI dashboard) are skipped
where they answer 404, so the check covers them as soon as they land.
"""

from __future__ import annotations

import importlib
import json
import re
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from directory.models import OrgUnit
from tests.council.conftest import (  # noqa: F401 (fixtures)
    _council_files,
    council,
    create_meeting,
    upload_material,
)
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person
from workflow.dx import services as dx_services
from workflow.proposals import services as workflow_services

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
AXE_REPORT = Path("/tmp/kairan-axe-report.json")
SCREENSHOTS = "/tmp/kairan-a11y-{}.png"
BLOCKING = ("serious", "critical")
IPAD_WIDTH = 834
NEXT_YEAR_END = date(timezone.localdate().year + 1, 3, 31)  # a due date after today

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _default_rules(transactional_db):
    """Flushes between transactional tests drop the rules of migration 0002: load them again."""
    migration = importlib.import_module("workflow.migrations.0002_default_authority_rules")
    migration.load_defaults(django_apps, None)


@pytest.fixture
def city(transactional_db):
    """市民部 > 市民課 > 窓口係, the DX bodies (総務部 > デジタル推進課 > DX推進係 and the
    DX推進委員会 group) and an auditor."""
    L = OrgUnit.Level
    bu = OrgUnitFactory(name="市民部", level=L.DEPARTMENT)
    ka = OrgUnitFactory(name="市民課", level=L.DIVISION, parent=bu)
    kakari = OrgUnitFactory(name="窓口係", level=L.SECTION, parent=ka)
    somu = OrgUnitFactory(name="総務部", level=L.DEPARTMENT)
    digital = OrgUnitFactory(name="デジタル推進課", level=L.DIVISION, parent=somu)
    dx_kakari = OrgUnitFactory(name="DX推進係", level=L.SECTION, parent=digital)
    people = {
        "bucho": make_person("shimin.bucho", "市民 太郎", bu, "部長"),
        "kacho": make_person("shimin.kacho", "交野 さくら", ka, "課長"),
        "kakaricho": make_person("madoguchi.kakaricho", "窓口 健一", kakari, "係長"),
        "staff": make_person("madoguchi.staff", "窓口 花子", kakari, "主事"),
        "somu_bucho": make_person("somu.bucho", "総務 次郎", somu, "部長"),
        "dx_kacho": make_person("dx.kacho", "森 浩", digital, "課長"),
        "dx_staff": make_person("dx.staff", "池田 駿", dx_kakari, "技師"),
        "auditor": make_person("kansa", "監査 明子", ka, "主査"),
    }
    committee = Group.objects.create(name="DX推進委員会")
    people["somu_bucho"].user.groups.add(committee)
    auditors = Group.objects.create(name="監査担当")
    auditors.permissions.add(
        Permission.objects.get(codename="view_auditevent", content_type__app_label="audit")
    )
    people["auditor"].user.groups.add(auditors)
    return people


def user_of(person):
    return person.user


def sign_in(page: Page, base: str, username: str, next_path: str = "/") -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}{next_path}")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(re.compile(r".*/accounts/login/.*|.*/$"))


def axe_violations(page: Page, screen: str) -> list[dict]:
    """Run axe-core on the page as it is; record every violation, return the blocking ones."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the pages' Content-Security-Policy
        # (script-src 'self') refuses an injected <script> (add_script_tag), and the check
        # must see the page as served, so the policy is not bypassed.
        page.evaluate(f"() => {{ {AXE_SOURCE}\n }}")
        assert page.evaluate("typeof window.axe !== 'undefined'")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [
        {
            "screen": screen,
            "url": page.url,
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]
    report = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else []
    report = [r for r in report if r["screen"] != screen] + found
    AXE_REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return [v for v in found if v["impact"] in BLOCKING]


# Serious findings on screens this work may not change (other engineers own them); reported
# in AXE_REPORT and the closing note, allowed here so the rest of the screen is still checked.
# Violations accepted for now, each with its reason: none.
KNOWN: set[tuple[str, str]] = set()


def check(page: Page, screen: str) -> None:
    blocking = [v for v in axe_violations(page, screen) if (screen, v["id"]) not in KNOWN]
    assert blocking == [], json.dumps(blocking, ensure_ascii=False, indent=1)


def assert_no_horizontal_overflow(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= IPAD_WIDTH


def focused_is_error_summary(page: Page) -> bool:
    page.wait_for_function("document.activeElement && document.activeElement !== document.body")
    return page.evaluate(
        "document.activeElement.hasAttribute('data-error-summary')"
        " && document.activeElement.textContent.includes('入力内容を確認してください')"
    )


def test_staff_screens_have_no_serious_violations(live_server, browser_page, city):
    page, base = browser_page, live_server.url
    proposal = workflow_services.proposal_create(
        actor=user_of(city["staff"]),
        title="窓口番号発券機の更新",
        body="老朽化した発券機を更新する。",
        category="expenditure",
        amount=500_000,
    )
    workflow_services.proposal_submit(actor=user_of(city["staff"]), proposal=proposal)

    page.goto(f"{base}/accounts/login/")
    check(page, "sign-in")

    sign_in(page, base, "madoguchi.staff", "/")
    check(page, "home")
    page.goto(f"{base}/approval/")
    check(page, "inbox")
    page.goto(f"{base}/approval/proposals/{proposal.pk}/")
    check(page, "proposal detail")

    # The proposal form, then refused: the error summary takes focus and links to the field.
    page.goto(f"{base}/approval/proposals/new/")
    page.get_by_label("種別").select_option("expenditure")
    page.get_by_label("金額（円）").fill("1,000,000")
    expect(page.get_by_test_id("route-preview").locator('[data-kind="decide"]')).to_contain_text(
        "部長"
    )
    check(page, "proposal form")
    page.get_by_role("button", name="下書き保存").click()  # no title
    page.wait_for_load_state("load")
    assert focused_is_error_summary(page)
    check(page, "proposal form refused")
    page.locator("[data-error-summary] a[data-error-link]").first.click()
    assert page.evaluate("document.activeElement.id") == "id_title"

    # After a redirect the messages are a status region around a list.
    page.get_by_label("件名").fill("庁舎案内板の更新")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_url(re.compile(r".*/approval/proposals/\d+/$"))
    expect(page.get_by_role("status").first).to_be_visible()
    check(page, "proposal detail after a redirect")

    page.goto(f"{base}/approval/delegations/")
    page.get_by_role("button", name="委任を保存").click()
    page.wait_for_load_state("load")
    assert focused_is_error_summary(page)
    check(page, "delegations refused")

    page.goto(f"{base}/records/search/?q=発券機")
    check(page, "document search")
    page.goto(f"{base}/records/upload/")
    check(page, "records upload")
    page.goto(f"{base}/chat/")
    check(page, "chat")
    page.goto(f"{base}/notifications/")
    check(page, "notifications")

    response = page.goto(f"{base}/approval/kpi/")
    if response is not None and response.status == 200:
        check(page, "KPI dashboard (staff)")


def test_audit_console_has_no_serious_violations(live_server, browser_page, city):
    page, base = browser_page, live_server.url
    sign_in(page, base, "kansa", "/audit/")
    check(page, "audit console")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOTS.format("audit"), full_page=True)


def test_dx_plan_screens_at_ipad_size(live_server, browser_page, city):
    """The DX plan from draft to the committee at 834×1194: axe on each screen, a refused form
    with focus on its summary, confirmation before each irreversible step, screenshots."""
    page, base = browser_page, live_server.url
    sign_in(page, base, "madoguchi.staff", "/approval/dx/")
    check(page, "DX plans")
    page.get_by_role("link", name="アクションプランの起案").first.click()
    check(page, "DX plan form")
    page.get_by_label("件名").fill("窓口予約のオンライン化")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_load_state("load")
    assert focused_is_error_summary(page)
    check(page, "DX plan form refused")
    page.screenshot(path=SCREENSHOTS.format("dx-form-refused"), full_page=True)

    page.get_by_label("目標").fill("待ち時間を半減する")
    page.get_by_label("概算費用（円）").fill("3,000,000")
    page.get_by_label("活用する技術").fill("SaaS 予約システム")
    page.get_by_label("効果検証の報告期限").fill(NEXT_YEAR_END.isoformat())
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_url(re.compile(r".*/approval/dx/\d+/$"))
    check(page, "DX plan draft")
    page.get_by_role("button", name="DX推進事務局に提出").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    check(page, "DX confirmation dialog")
    dialog.locator("[data-confirm-ok]").click()
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "in_review")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOTS.format("dx-submitted"), full_page=True)
    sign_out(page)

    sign_in(page, base, "dx.staff", "/approval/dx/")
    check(page, "DX secretariat queue")
    page.get_by_test_id("secretariat-queue").get_by_role("link").first.click()
    page.get_by_label("費用審査：可").check()
    page.get_by_label("技術審査：可").check()
    page.get_by_role("button", name="委員会へ送る").click()
    page.locator("#confirm-dialog [data-confirm-ok]").click()
    expect(page.get_by_test_id("plan-stage")).to_contain_text("DX推進委員会")
    check(page, "DX plan at the committee")
    sign_out(page)

    sign_in(page, base, "somu.bucho", "/")
    expect(page.get_by_test_id("approval-counts")).to_contain_text("未決 1件")
    page.get_by_test_id("nav-dx").click()
    check(page, "DX committee queue")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOTS.format("dx-committee-list"), full_page=True)
    page.get_by_test_id("committee-queue").get_by_role("link").first.click()
    page.get_by_role("button", name="計画を承認する").click()
    page.locator("#confirm-dialog [data-confirm-ok]").click()
    expect(page.get_by_test_id("plan-status")).to_have_attribute("data-status", "approved")
    check(page, "DX plan approved")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOTS.format("dx-approved"), full_page=True)

    # The KPI dashboard (workflow/kpi, another engineer's) is for committee members.
    response = page.goto(f"{base}/approval/kpi/")
    if response is not None and response.status != 404:
        assert response.status == 200
        page.wait_for_load_state("networkidle")
        check(page, "KPI dashboard")
        page.screenshot(path=SCREENSHOTS.format("kpi"), full_page=True)


def test_a_refused_dx_action_leaves_the_browser_on_the_plan(live_server, browser_page, city):
    plan = dx_services.action_plan_create(
        actor=user_of(city["staff"]),
        title="電子申請の拡充",
        goal="来庁不要の手続を増やす",
        estimated_cost=1_200_000,
        technology="電子申請プラットフォーム",
        report_due_on=NEXT_YEAR_END,
    )
    dx_services.action_plan_submit(actor=user_of(city["staff"]), plan=plan)
    page, base = browser_page, live_server.url
    sign_in(page, base, "dx.staff", f"/approval/dx/{plan.pk}/")
    page.get_by_role("button", name="差戻し", exact=True).click()  # without the required comment
    page.locator("#confirm-dialog [data-confirm-ok]").click()

    page.wait_for_url(f"{base}/approval/dx/{plan.pk}/")
    expect(page.get_by_test_id("refusal")).to_be_visible()
    expect(page.get_by_test_id("refusal")).to_be_focused()  # waits for the deferred script
    check(page, "DX refused action")
    page.screenshot(path=SCREENSHOTS.format("dx-refused"), full_page=True)


def test_axe_finds_what_these_fixes_removed(browser_page):
    """A canary: on the markup this work replaced (a list that is its own status region, the
    quiet button white on a light page) axe reports serious violations, so a silent axe (not
    injected, blocked) cannot pass the checks above."""
    page = browser_page
    page.set_content(
        '<html lang="ja"><head><title>t</title></head>'
        '<body style="background:#f4f6f8"><main><h1>監査</h1>'
        '<ul role="status"><li>保存しました</li></ul>'
        '<a href="#" style="color:#fff;background:transparent">CSVで出力</a></main></body></html>'
    )
    found = {v["id"] for v in axe_violations(page, "canary")}
    assert {"listitem", "color-contrast"} <= found


@pytest.fixture
def councilors(request):
    """tests/council/conftest.py's council (imported above) under a name of this module."""
    return request.getfixturevalue("council")


def test_council_reader_has_no_serious_violations(live_server, browser_page, councilors):
    meeting_id = create_meeting(councilors, title="第4回定例会 本会議")
    material = upload_material(councilors, meeting_id, title="議案第12号", pages=["一", "二"])
    page, base = browser_page, live_server.url
    sign_in(page, base, "giin.a", "/council/")
    check(page, "council (councilor)")
    page.goto(f"{base}/council/materials/{material.json()['id']}/")
    page.wait_for_function("document.getElementById('r-img').naturalWidth > 0")
    check(page, "council reader")
    assert_no_horizontal_overflow(page)
