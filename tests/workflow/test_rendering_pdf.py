"""The 決裁文書 PDF: its text (names, number, 和暦 dates), fonts, 決裁欄 layout and pages."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest

from tests.services import require
from workflow.proposals.rendering import fonts as fonts_module
from workflow.proposals.rendering.decision_pdf import (
    CELL_W,
    FRAME_WIDTH,
    LABEL_W,
    action_text,
    layout_stamp_rows,
    render_decision_pdf,
    surname,
)
from workflow.proposals.rendering.fonts import find_ipaex, japanese_fonts, reset_font_cache
from workflow.proposals.rendering.types import DecisionDocument, StampCell

STAMPS = (
    StampCell("総務係長", "佐藤 花子", date(2026, 11, 20), "approve", state="approved"),
    StampCell(
        "総務課長", "鈴木 一郎", date(2026, 11, 24), "approve", ("代決",), "approved", "高橋 健二"
    ),
    StampCell("総務部長", "田中 誠", date(2026, 11, 25), "approve", ("引上げ",), "approved"),
    StampCell("財政課長", "伊藤 美咲", date(2026, 11, 26), "consult", state="approved"),
    StampCell("契約検査課長", "渡辺 直樹", None, "consult", state="skipped"),
    StampCell("副市長", "山本 勝", date(2026, 11, 27), "decide", state="approved"),
)


def sample_document(**changes: Any) -> DecisionDocument:
    """A decided expenditure proposal with every kind of cell (also used by bench/)."""
    document = DecisionDocument(
        title="電子決裁の本格運用に伴う文書管理規程の運用変更について（伺い）",
        document_number="総務第123号",
        category="支出",
        authority_level="副市長決裁",
        drafter_name="中村 さくら",
        drafter_unit="総務部 総務課 総務係",
        drafted_on=date(2026, 11, 19),
        decided_on=date(2026, 11, 27),
        body=(
            "\u3000このことについて、下記のとおり文書管理規程の運用を改めたいので、伺います。\n\n"
            "記\n\n１　改正の内容\n\u3000起案文書の回議及び合議を電子決裁により行う。\n"
        ),
        attachments=("新旧対照表.pdf", "運用マニュアル（案）.docx"),
        stamps=STAMPS,
        amount_yen=12_345_678,
    )
    return replace(document, **changes)


def route_of(length: int) -> tuple[StampCell, ...]:
    """A long route: 回議, then five 合議 steps, then the decider; the last 6 still pending."""
    cells = []
    for i in range(length):
        kind = (
            "decide"
            if i == length - 1
            else "consult"
            if length - 7 <= i < length - 2
            else "approve"
        )
        decided = i < length - 6
        cells.append(
            StampCell(
                f"第{i + 1}職",
                f"職員{i + 1:02d} 太郎",
                date(2026, 11, 1) + timedelta(days=i) if decided else None,
                kind,
                state="approved" if decided else "pending",
            )
        )
    return tuple(cells)


def pdf_text(data: bytes) -> str:
    """All pages' text with whitespace removed: layout decides where spaces and breaks go."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def font_dicts(data: bytes) -> Iterator[Any]:
    """Every font resource of every page, with the descriptor found for simple and CID fonts."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if font["/Subtype"] == "/Type0":
                descendant = font["/DescendantFonts"][0].get_object()
                yield font["/BaseFont"], descendant.get("/FontDescriptor")
            else:
                yield font["/BaseFont"], font.get("/FontDescriptor")


@pytest.fixture
def cid_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend no IPAex font is installed, and forget that choice afterwards."""
    monkeypatch.setattr(fonts_module, "FONT_SEARCH_PATHS", ())
    reset_font_cache()
    yield
    reset_font_cache()


def test_text_has_names_number_title_and_wareki_dates() -> None:
    text = pdf_text(render_decision_pdf(sample_document()))

    for stamp in STAMPS:
        assert squash(stamp.name) in text
        assert stamp.position in text
    assert "総務第123号" in text
    assert squash(sample_document().title) in text
    assert "中村さくら" in text
    for full in ("令和8年11月19日", "令和8年11月20日", "令和8年11月24日", "令和8年11月27日"):
        assert full in text
    assert "R8.11.27" in text  # the short form inside the seal cell
    assert "12,345,678円" in text
    assert "新旧対照表.pdf" in text


def test_deputy_and_ahead_marks_are_printed() -> None:
    text = pdf_text(render_decision_pdf(sample_document()))
    assert "代決" in text
    assert "高橋健二に代わり" in text
    assert "引上げ" in text
    assert "合議" in text


def test_era_boundary_dates_in_the_document() -> None:
    stamps = (
        StampCell("課長", "佐藤 花子", date(2019, 4, 30), "approve", state="approved"),
        StampCell("部長", "鈴木 一郎", date(2019, 5, 1), "decide", state="approved"),
    )
    document = sample_document(
        drafted_on=date(2019, 4, 26), decided_on=date(2019, 5, 1), stamps=stamps
    )
    text = pdf_text(render_decision_pdf(document))
    assert "平成31年4月30日" in text
    assert "令和元年5月1日" in text
    assert "平成31年4月26日" in text


def test_undecided_proposal_prints_as_draft_form() -> None:
    stamps = (StampCell("課長", "佐藤 花子", None, "decide"),)
    document = sample_document(decided_on=None, document_number="", stamps=stamps)
    text = pdf_text(render_decision_pdf(document))
    assert "起案用紙" in text
    assert "決裁文書" not in text
    assert "決裁後に付番" in text
    assert "未処理" in text
    assert "佐藤花子" in text


def test_markup_in_user_text_is_printed_literally() -> None:
    document = sample_document(title="A&B <b>社</b> 契約", body="金額 < 100 & 期限 > 3日")
    text = pdf_text(render_decision_pdf(document))
    assert "A&B<b>社</b>契約" in text
    assert "金額<100&期限>3日" in text


def test_ipaex_fonts_are_embedded_when_installed() -> None:
    require(find_ipaex() is not None, "fonts-ipaexfont is not installed (IPAex TrueType)")
    reset_font_cache()
    assert japanese_fonts().is_embedded

    found = list(font_dicts(render_decision_pdf(sample_document())))

    assert found
    names = {str(name) for name, _ in found}
    assert any("IPAexMincho" in name for name in names)
    assert any("IPAexGothic" in name for name in names)
    for name, descriptor in found:
        assert descriptor is not None, name
        assert "/FontFile2" in descriptor.get_object(), f"{name} is not embedded"


def test_cid_fallback_still_renders_extractable_text(cid_only: None) -> None:
    chosen = japanese_fonts()
    assert not chosen.is_embedded
    assert chosen.mincho == "HeiseiMin-W3"

    data = render_decision_pdf(sample_document())

    names = {str(name) for name, _ in font_dicts(data)}
    assert any("HeiseiMin-W3" in name for name in names)
    assert not any("IPAex" in name for name in names)
    for _, descriptor in font_dicts(data):
        assert descriptor is None or "/FontFile2" not in descriptor.get_object()
    text = pdf_text(data)
    assert "山本勝" in text
    assert "令和8年11月27日" in text


def test_twenty_step_route_wraps_into_rows_and_renders() -> None:
    route = route_of(20)

    rows = layout_stamp_rows(route, FRAME_WIDTH)

    assert len(rows) >= 3
    placed = [item.cell for row in rows for item in row if item.cell is not None]
    assert placed == list(route)
    for row in rows:
        assert row[0].label, "each row starts with its group label"
        last = row[-1]
        assert last.x + (CELL_W if last.cell else LABEL_W) <= FRAME_WIDTH + 0.01
    labels = [item.label for row in rows for item in row if item.label]
    assert labels.count("合議") >= 1
    assert labels[-1] == "決裁"

    text = pdf_text(render_decision_pdf(sample_document(stamps=route)))
    for cell in route:
        assert squash(cell.name) in text
    assert "令和8年11月14日" in text  # step 14, the last decided one


def test_consultations_are_grouped_under_one_label() -> None:
    rows = layout_stamp_rows(STAMPS, FRAME_WIDTH)
    assert len(rows) == 1
    labels = [item.label for item in rows[0] if item.label]
    assert labels == ["回議", "合議", "決裁"]


def test_three_page_body_gives_at_least_three_pages() -> None:
    paragraph = "\u3000本市における電子決裁の運用に関し、起案者は回議及び合議の経路を確認する。" * 4
    body = "\n".join(f"第{i}項{paragraph}" for i in range(1, 46)) + "\n最終項の確認"
    data = render_decision_pdf(sample_document(body=body))

    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 3
    text = pdf_text(data)
    assert "最終項の確認" in text
    assert f"1/{pages}" in text
    assert f"{pages}/{pages}" in text
    # Later pages carry the running head so a loose page can be matched to its document.
    assert "総務第123号" in squash(reader.pages[1].extract_text())


def test_metadata_title_author_and_language() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_decision_pdf(sample_document())))
    assert "総務第123号" in reader.metadata.title
    assert "中村 さくら" in reader.metadata.author
    assert reader.trailer["/Root"]["/Lang"] == "ja-JP"
    assert reader.metadata["/CreationDate"].startswith("D:20261127")


def test_same_document_gives_same_bytes() -> None:
    assert render_decision_pdf(sample_document()) == render_decision_pdf(sample_document())


def test_seals_are_drawn_in_red(tmp_path: Any) -> None:
    # A regression guard for the look: the approved cells must carry vermilion seal marks.
    page = pdfium.PdfDocument(render_decision_pdf(sample_document()))[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    image.save(tmp_path / "page.png")
    pixels = image.tobytes()
    red = sum(
        1
        for i in range(0, len(pixels), 3)
        if pixels[i] > 150 and pixels[i + 1] < 90 and pixels[i + 2] < 90
    )
    assert red > 300


def test_surname_and_action_text() -> None:
    assert surname("山田 太郎") == "山田"
    assert surname("長谷川\u3000桂") == "長谷川"
    assert surname("勅使河原宏") == "勅使河原宏"
    assert surname("John Smith") == "John Smith"
    assert action_text(STAMPS[1]) == "承認（代決・高橋 健二に代わり）"
    assert action_text(STAMPS[4]) == "省略"
    assert action_text(STAMPS[5]) == "決裁"
