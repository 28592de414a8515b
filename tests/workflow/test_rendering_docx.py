"""The 施行 letter as .docx: A4, number, 和暦 date, addressee, sender, seal variants, fonts."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from workflow.proposals.rendering.issue_letter import EAST_ASIAN_FONT, render_issue_letter
from workflow.proposals.rendering.types import IssueLetter


def sample_letter(**changes: Any) -> IssueLetter:
    letter = IssueLetter(
        document_number="総務第123号",
        issued_on=date(2026, 11, 27),
        addressee="株式会社カイラン 代表取締役 山田 太郎",
        subject="電子決裁システムの導入について（通知）",
        body="\u3000このことについて、下記のとおり通知します。\n\n記\n\n１　導入日\n\n以上",
        mayor_name="山本 勝",
    )
    return replace(letter, **changes)


def open_docx(data: bytes) -> DocxDocument:
    return docx.Document(io.BytesIO(data))


def all_text(document: DocxDocument) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def paragraph_with(document: DocxDocument, text: str) -> Any:
    return next(p for p in document.paragraphs if p.text == text)


def test_page_is_a4_portrait_with_margins() -> None:
    section = open_docx(render_issue_letter(sample_letter())).sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1)
    assert abs(section.page_height - Mm(297)) < Mm(0.1)
    assert section.left_margin >= Mm(20)
    assert section.top_margin >= Mm(20)


def test_number_and_wareki_date_are_right_aligned_at_the_top() -> None:
    document = open_docx(render_issue_letter(sample_letter()))
    first, second = document.paragraphs[0], document.paragraphs[1]
    assert first.text == "総務第123号"
    assert second.text == "令和8年11月27日"
    assert first.alignment == second.alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_era_boundary_date_in_letter() -> None:
    document = open_docx(render_issue_letter(sample_letter(issued_on=date(2019, 5, 1))))
    assert document.paragraphs[1].text == "令和元年5月1日"


def test_addressee_gets_the_honorific_once() -> None:
    text = all_text(open_docx(render_issue_letter(sample_letter())))
    assert "株式会社カイラン 代表取締役 山田 太郎　様" in text

    with_dono = sample_letter(addressee="交野市教育委員会教育長", honorific="殿")
    assert "交野市教育委員会教育長　殿" in all_text(open_docx(render_issue_letter(with_dono)))

    already = sample_letter(addressee="山田 太郎 様")
    text = all_text(open_docx(render_issue_letter(already)))
    assert "山田 太郎 様" in text
    assert "様　様" not in text


def test_subject_is_centred_and_body_kept() -> None:
    document = open_docx(render_issue_letter(sample_letter()))
    subject = paragraph_with(document, "電子決裁システムの導入について（通知）")
    assert subject.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert paragraph_with(document, "記").alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert paragraph_with(document, "以上").alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # The leading full-width space is the paragraph indent and must survive.
    assert paragraph_with(document, "\u3000このことについて、下記のとおり通知します。")


def test_seal_omitted_variant() -> None:
    document = open_docx(render_issue_letter(sample_letter(seal="omitted")))
    sender = paragraph_with(document, "交野市長　山本 勝")
    assert sender.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert "（公印省略）" in all_text(document)
    assert document.tables == []


def test_seal_requested_variant_has_a_bordered_box() -> None:
    document = open_docx(render_issue_letter(sample_letter(seal="requested")))
    assert "公印省略" not in all_text(document)
    assert len(document.tables) == 1
    name_cell, seal_cell = document.tables[0].rows[0].cells
    assert name_cell.text == "交野市長　山本 勝"
    assert seal_cell.text == "公印"
    borders = seal_cell._tc.tcPr.find(qn("w:tcBorders"))
    assert borders is not None
    assert {edge.get(qn("w:val")) for edge in borders} == {"single"}
    assert len(borders) == 4


def test_city_name_makes_the_sender_title() -> None:
    letter = sample_letter(city_name="枚方市", mayor_name="伏見 隆")
    assert "枚方市長　伏見 隆" in all_text(open_docx(render_issue_letter(letter)))


def test_mincho_on_the_east_asian_font_slot() -> None:
    document = open_docx(render_issue_letter(sample_letter()))
    normal_fonts = document.styles["Normal"].element.rPr.rFonts
    assert normal_fonts.get(qn("w:eastAsia")) == EAST_ASIAN_FONT
    assert "明朝" in EAST_ASIAN_FONT
    defaults = document.styles.element.find(qn("w:docDefaults"))
    default_fonts = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    # A theme font would win over the explicit one in Word.
    assert default_fonts.get(qn("w:eastAsiaTheme")) is None
    assert default_fonts.get(qn("w:eastAsia")) == EAST_ASIAN_FONT
    lang = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "ja-JP"


def test_core_properties() -> None:
    props = open_docx(render_issue_letter(sample_letter())).core_properties
    assert props.title == "電子決裁システムの導入について（通知）"
    assert props.author == "交野市長"
    assert props.language == "ja-JP"
    # Midnight of the issue date in Tokyo, stored as UTC.
    assert props.created == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
