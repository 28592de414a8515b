"""Regenerate the screenshots of docs/user-guide.md: ``make screenshots``.

Starts Kairan on a free loopback port with a throw-away data dir (SQLite, the demo city), puts a
few proposals and a document in through the API, and walks the screens in Debian's chromium at
iPad width (834 px, the width the city's tablets have), writing small PNGs to docs/images/.
Never touches ./var.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 834, 1000
PASSWORD = "kairan-demo-2026"  # noqa: S105 - the demo city's (README), never a real one


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kairan-shots-") as data_dir:
        env = {**os.environ, "KAIRAN_DATA_DIR": data_dir, "KAIRAN_DEBUG": "0"}
        for name in ("KAIRAN_DATABASE_URL", "KAIRAN_REDIS_URL", "KAIRAN_S3_BUCKET"):
            env.pop(name, None)
        python = sys.executable
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], env=env, check=True)  # noqa: S603
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                python,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            proposal_id = _seed(base)
            _shoot(base, proposal_id)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"screenshots written to {IMAGES.relative_to(ROOT)}/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(base: str) -> None:
    for _ in range(100):
        try:
            httpx.get(f"{base}/accounts/login/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _api(base: str, username: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}
    ).json()["token"]
    return httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Token {token}"})


def _seed(base: str) -> int:
    """A proposal waiting for 山口 (財政課長), one decided, one returned, a document in a binder."""
    drafter = _api(base, "inoue.takuya")
    kakaricho = _api(base, "matsumoto.keiko")
    kacho = _api(base, "yamaguchi.satoshi")
    ids = []
    for title, amount in (
        ("令和8年度 庁用車の車検整備の実施について", 380000),
        ("窓口用タブレット端末の購入について", 920000),
        ("会議室プロジェクターの修繕について", 150000),
    ):
        body = f"{title.removesuffix('について')}を下記のとおり実施してよろしいか伺います。"
        created = drafter.post(
            "/proposals/",
            json={"title": title, "body": body, "category": "expenditure", "amount": amount},
        ).json()
        drafter.post(f"/proposals/{created['id']}/submit/")
        ids.append(created["id"])
    for task in kakaricho.get("/tasks/").json():
        kakaricho.post(f"/tasks/{task['id']}/approve/", json={"comment": "確認しました。"})
    for task in kacho.get("/tasks/").json():
        if task["proposal"] == ids[0]:
            kacho.post(f"/tasks/{task['id']}/approve/", json={})
        elif task["proposal"] == ids[2]:
            kacho.post(
                f"/tasks/{task['id']}/send-back/", json={"comment": "見積書を添付してください。"}
            )
    binder = kacho.post(
        "/binders/", json={"title": "令和8年度 予算執行関係", "fiscal_year": 2026, "retention": 5}
    ).json()
    kacho.post(
        "/documents/",
        data={"title": "令和8年度 予算執行計画", "binder": binder["id"]},
        files={
            "file": ("予算執行計画.pdf", _pdf("令和8年度 予算執行計画 車検整備"), "application/pdf")
        },
    )
    return ids[1]


def _pdf(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("HeiseiKakuGo-W5", 14)
    pdf.drawString(72, 780, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _shoot(base: str, proposal_id: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, locale="ja-JP", device_scale_factor=1
        )
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        _save(page, "01-sign-in")
        _sign_in(page, base, "yamaguchi.satoshi")
        page.goto(f"{base}/")
        _save(page, "02-home")
        page.goto(f"{base}/approval/")
        _save(page, "03-inbox")
        page.goto(f"{base}/approval/proposals/{proposal_id}/")
        _save(page, "04-proposal")
        page.goto(f"{base}/approval/proposals/new/")
        page.get_by_label("件名").fill("職員研修の実施について")
        _save(page, "05-new-proposal")
        page.goto(f"{base}/records/")
        _save(page, "06-records")
        box = page.get_by_role("searchbox", name="文書・起案を検索")
        box.fill("車検")
        box.press("Enter")
        page.wait_for_load_state()
        _save(page, "07-search")
        browser.close()


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_label("パスワード").press("Enter")
    page.wait_for_load_state()


def _save(page: Page, name: str) -> None:
    """The viewport as a small PNG: 834 px wide, a 256-colour palette (screens are flat colours)."""
    page.wait_for_load_state("networkidle")
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(IMAGES / f"{name}.png", optimize=True)


if __name__ == "__main__":
    main()
