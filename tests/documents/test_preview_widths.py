"""Issue 9, probe 3: every distinct ``?width=`` of a page preview rendered and cached a new
image. Widths are snapped to a few sizes, so a sweep of widths costs one render per size."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from documents import rendering, services
from tests.documents.conftest import make_pdf

pytestmark = pytest.mark.django_db
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


@pytest.fixture(autouse=True)
def _cache_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def test_distinct_widths_share_the_snapped_sizes_rendering(org, settings, monkeypatch):
    data = make_pdf(["widths"])
    document = services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.pdf",
        size_bytes=len(data),
        title="資料",
    )
    client = Client()
    client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)
    renders: list[int] = []
    real_render = rendering.render_page

    def counting_render(pdf, page, **kwargs):
        renders.append(kwargs["max_width_px"])
        return real_render(pdf, page, **kwargs)

    monkeypatch.setattr(rendering, "render_page", counting_render)

    answers = [
        client.get(f"/records/documents/{document.pk}/pages/1/?width={width}")
        for width in (801, 900, 1000, 1199, 1200, 5000, 1, 399)
    ]

    assert {answer.status_code for answer in answers} == {200}
    # 801..1200 → 1200, 5000 → 1600, 1 and 399 → 400: three renders for eight widths.
    assert sorted(renders) == [400, 1200, 1600]
    cached = sorted(p.name for p in (settings.DATA_DIR / "cache" / "pages").rglob("*.webp"))
    assert cached == ["p1-1200x1800.webp", "p1-1600x2400.webp", "p1-400x600.webp"]
    assert answers[0].content == answers[3].content


@pytest.mark.parametrize(
    ("requested", "snapped"), [(1, 400), (400, 400), (401, 800), (1201, 1600), (10**9, 1600)]
)
def test_snap_width(requested, snapped):
    assert rendering.snap_width(requested) == snapped
