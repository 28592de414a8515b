"""The 決裁文書 (approved proposal) as a PDF: header, 決裁欄 grid, subject, body, history.

Pure: DecisionDocument in, PDF bytes out; no database, no settings, no clock (reportlab's
``invariant`` mode keeps timestamps and IDs out, so equal input gives equal bytes, which lets
the records side store and compare them by hash).

The labels printed on the page are Japanese literals, not gettext strings: this reproduces the
city's official paper form (起案用紙 / 決裁文書), whose wording is fixed by its document rules
(文書取扱規程), and it must read the same whatever language the viewer's UI uses.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from directory.calendar import wareki, wareki_short
from workflow.proposals.rendering.fonts import JapaneseFonts, japanese_fonts
from workflow.proposals.rendering.types import (
    AttachmentLine,
    DecisionDocument,
    HistoryLine,
    StampCell,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

SEAL_RED = colors.Color(0.80, 0.10, 0.12)  # 朱肉 (vermilion seal ink)
LABEL_FILL = colors.Color(0.93, 0.93, 0.93)
GRID_LINE = 0.6

# 決裁欄 cell geometry: a position band, the seal, a date band (a paper form's proportions).
LABEL_W = 7 * mm
CELL_W = 22 * mm
POSITION_H = 6 * mm
SEAL_H = 17 * mm
DATE_H = 5 * mm
CELL_H = POSITION_H + SEAL_H + DATE_H

GROUP_LABELS = {"approve": "回議", "consult": "合議", "decide": "決裁"}
STATE_LABELS = {"pending": "未処理", "skipped": "省略", "returned": "差戻し"}
NAME_SEPARATORS = (" ", "\u3000")

Styles = dict[str, ParagraphStyle]


def render_decision_pdf(doc: DecisionDocument) -> bytes:
    """Render the 決裁文書 of ``doc`` as an A4 PDF and return its bytes."""
    fonts = japanese_fonts()
    styles = _styles(fonts)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=_pdf_title(doc),
        author=f"{doc.city_name} {doc.drafter_unit} {doc.drafter_name}".strip(),
        subject=doc.title,
        creator="Kairan",
        producer="Kairan (reportlab)",
        lang="ja-JP",
        displayDocTitle=True,
        invariant=True,
        # Otherwise every page names Helvetica, an unembedded font the document never uses.
        initialFontName=fonts.mincho,
        initialFontSize=10.5,
    )
    story: list[Flowable] = [
        _Heading(doc.heading_text, doc.city_name, fonts),
        _header_table(doc, styles, fonts),
        Spacer(0, 5 * mm),
        *_stamp_section(doc.stamps, styles, fonts),
        Spacer(0, 5 * mm),
        _subject_table(doc, styles, fonts),
        Spacer(0, 4 * mm),
        *_body(doc.body, styles),
        *_attachments(doc.attachments, styles),
        *_history(doc.stamps, styles, fonts),
        *_rounds_history(doc.rounds_history, styles, fonts),
    ]
    running_head = f"{doc.heading_text}　{doc.document_number or doc.title}"
    dated = doc.decided_on or doc.drafted_on
    template.build(story, canvasmaker=_numbered_canvas(fonts, running_head, dated))
    return buffer.getvalue()


def _pdf_title(doc: DecisionDocument) -> str:
    return "　".join(part for part in (doc.heading_text, doc.document_number, doc.title) if part)


# --- styles and small helpers -------------------------------------------------------------


def _styles(fonts: JapaneseFonts) -> Styles:
    # wordWrap="CJK" breaks between any two characters (with kinsoku rules) instead of only
    # at spaces, which Japanese text does not have.
    base = ParagraphStyle("base", fontName=fonts.mincho, fontSize=10.5, leading=17, wordWrap="CJK")
    return {
        "body": base,
        "cell": ParagraphStyle("cell", base, fontSize=9.5, leading=13),
        "label": ParagraphStyle("label", base, fontName=fonts.gothic, fontSize=9, leading=12),
        "label_c": ParagraphStyle(
            "label_c", base, fontName=fonts.gothic, fontSize=9, leading=12, alignment=TA_CENTER
        ),
        "subject": ParagraphStyle("subject", base, fontName=fonts.gothic, fontSize=12, leading=17),
        "section": ParagraphStyle(
            "section",
            base,
            fontName=fonts.gothic,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,  # a section title never ends a page alone
        ),
        "item": ParagraphStyle("item", base, leftIndent=5 * mm, firstLineIndent=-5 * mm),
        # A hash is one unbroken word: "CJK" wrapping lets it break anywhere instead of overflow.
        "hash": ParagraphStyle(
            "hash", base, fontName=fonts.gothic, fontSize=7.5, leading=10, leftIndent=5 * mm
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _date_text(d: date | None) -> str:
    return wareki(d) if d else "—"


def surname(name: str) -> str:
    """The part of a name that goes on a seal: the family name when it is separated.

    Names in Latin letters keep their whole form, since their order varies (John Smith,
    SMITH John) and the seal has room for them in small type.
    """
    stripped = name.strip()
    if stripped.isascii():
        return stripped
    for sep in NAME_SEPARATORS:
        if sep in stripped:
            return stripped.split(sep, 1)[0]
    return stripped


def _fit_size(text: str, font: str, size: float, width: float, minimum: float = 4.5) -> float:
    """The largest size ≤ ``size`` at which ``text`` fits ``width``."""
    actual = stringWidth(text, font, size)
    return size if actual <= width else max(minimum, size * width / actual)


# --- page frame ---------------------------------------------------------------------------


class _Heading(Flowable):
    """The form's title, spaced out as on the paper form, with the city's name above it."""

    def __init__(self, text: str, city_name: str, fonts: JapaneseFonts) -> None:
        super().__init__()
        self.text, self.city_name, self.fonts = text, city_name, fonts

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, 18 * mm

    def draw(self) -> None:
        c = self.canv
        c.setFont(self.fonts.mincho, 10)
        c.drawString(0, 15 * mm, self.city_name)
        c.setFont(self.fonts.gothic, 20)
        c.drawCentredString(self.width / 2, 5 * mm, self.text, charSpace=6)


def _numbered_canvas(fonts: JapaneseFonts, running_head: str, dated: date) -> type[Canvas]:
    """A canvas that holds pages back until the end so each footer can say "n / total"."""
    # Invariant mode would stamp 2000-01-01 as the creation date; the document's own date
    # (decision, else drafting, in Tokyo) is both deterministic and true.
    pdf_date = f"D:{dated:%Y%m%d}000000+09'00'"

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            self.setDateFormatter(lambda *_: pdf_date)

        def showPage(self) -> None:  # reportlab's name, hence the camel case
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont(fonts.mincho, 8)
            self.setFillColor(colors.Color(0.35, 0.35, 0.35))
            self.drawCentredString(PAGE_WIDTH / 2, 10 * mm, f"{number} / {total}")
            if number > 1:
                head = running_head
                while len(head) > 1 and stringWidth(head, fonts.mincho, 8) > FRAME_WIDTH:
                    head = head[:-2] + "…"
                self.drawRightString(PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 12 * mm, head)
            self.restoreState()

    return NumberedCanvas


# --- header, subject, body, attachments ----------------------------------------------------


def _header_table(doc: DecisionDocument, styles: Styles, fonts: JapaneseFonts) -> Table:
    label, cell = styles["label"], styles["cell"]
    number = doc.document_number or "（決裁後に付番）"
    rows = [
        [_p("文書番号", label), _p(number, cell), _p("文書分類", label), _p(doc.category, cell)],
        [
            _p("起案日", label),
            _p(_date_text(doc.drafted_on), cell),
            _p("決裁区分", label),
            _p(doc.authority_level, cell),
        ],
        [
            _p("決裁日", label),
            _p(_date_text(doc.decided_on), cell),
            _p("施行日", label),
            _p(_date_text(doc.issued_on), cell),
        ],
        [_p("起案者", label), _p(f"{doc.drafter_unit}　{doc.drafter_name}", cell), "", ""],
    ]
    spans = [("SPAN", (1, 3), (3, 3))]
    if doc.amount_yen is not None:
        rows.append([_p("金額", label), _p(f"{doc.amount_yen:,}円", cell), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    if doc.filing:
        rows.append([_p("簿冊", label), _p(doc.filing, cell), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    table = Table(rows, colWidths=[22 * mm, 65 * mm, 22 * mm, 65 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), GRID_LINE, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                ("BACKGROUND", (2, 0), (2, 2), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                # Cells without a Paragraph would otherwise select Helvetica (not embedded).
                ("FONTNAME", (0, 0), (-1, -1), fonts.mincho),
                *spans,
            ]
        )
    )
    return table


def _subject_table(doc: DecisionDocument, styles: Styles, fonts: JapaneseFonts) -> Table:
    table = Table(
        [[_p("件名", styles["label_c"]), _p(doc.title, styles["subject"])]],
        colWidths=[22 * mm, FRAME_WIDTH - 22 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), GRID_LINE, colors.black),
                ("LINEAFTER", (0, 0), (0, 0), GRID_LINE, colors.black),
                ("BACKGROUND", (0, 0), (0, 0), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                # Cells without a Paragraph would otherwise select Helvetica (not embedded).
                ("FONTNAME", (0, 0), (-1, -1), fonts.mincho),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _body(body: str, styles: Styles) -> Iterator[Flowable]:
    # One Paragraph per line keeps the drafter's line structure (記, numbered items) and lets
    # long bodies break across pages between lines.
    for line in body.replace("\r\n", "\n").split("\n"):
        text = line.strip()
        if text:
            yield Paragraph(escape(text), _indented(styles["body"], line))
        else:
            yield Spacer(0, styles["body"].leading / 2)


def _indented(style: ParagraphStyle, line: str) -> ParagraphStyle:
    """The style for a line whose leading spaces are an indent (Paragraph drops them)."""
    lead = line[: len(line) - len(line.lstrip("\u3000 "))]
    if not lead:
        return style
    # A full-width space is the Japanese paragraph indent, one character wide.
    ems = lead.count("\u3000") + lead.count(" ") / 2
    return ParagraphStyle(f"{style.name}+{ems}", style, firstLineIndent=ems * style.fontSize)


def _attachments(attachments: Sequence[str | AttachmentLine], styles: Styles) -> list[Flowable]:
    if not attachments:
        return []
    items: list[Flowable] = []
    for i, item in enumerate(attachments, start=1):
        line = item if isinstance(item, AttachmentLine) else AttachmentLine(title=item)
        version = f"（第{line.version}版）" if line.version else ""
        items.append(_p(f"{i}.　{line.title}{version}", styles["item"]))
        if line.sha256:
            # The hash proves later which exact file was decided on (改ざん検知).
            items.append(_p(f"SHA-256: {line.sha256}", styles["hash"]))
    return [_p("添付資料", styles["section"]), *items]


# --- 決裁欄 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Placed:
    x: float
    label: str = ""  # a group label column ("回議", "合議", "決裁")
    cell: StampCell | None = None


def layout_stamp_rows(stamps: Sequence[StampCell], width: float) -> list[list[_Placed]]:
    """Place group labels and cells left to right in route order, wrapping into rows.

    Consecutive steps of one kind form a group under one label; a group that wraps repeats
    its label at the start of the next row so each row reads on its own.
    """
    rows: list[list[_Placed]] = [[]]
    x = 0.0
    previous_group = ""
    for stamp in stamps:
        group = GROUP_LABELS.get(stamp.kind, stamp.kind)
        needs_label = group != previous_group or x == 0
        if x + (LABEL_W if needs_label else 0) + CELL_W > width + 0.01:
            rows.append([])
            x, needs_label = 0.0, True
        if needs_label:
            rows[-1].append(_Placed(x, label=group))
            x += LABEL_W
        rows[-1].append(_Placed(x, cell=stamp))
        x += CELL_W
        previous_group = group
    return [row for row in rows if row]


def _stamp_section(
    stamps: Sequence[StampCell], styles: Styles, fonts: JapaneseFonts
) -> list[Flowable]:
    if not stamps:
        return []
    rows = [_StampRow(row, fonts) for row in layout_stamp_rows(stamps, FRAME_WIDTH)]
    # Rows are separate flowables so a very long route breaks between rows, never inside one.
    return [_p("決裁欄", styles["section"]), *rows]


class _StampRow(Flowable):
    """One row of the 決裁欄: label columns and stamp cells, drawn directly on the canvas."""

    def __init__(self, placed: list[_Placed], fonts: JapaneseFonts) -> None:
        super().__init__()
        self.placed, self.fonts = placed, fonts

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return avail_width, CELL_H

    def draw(self) -> None:
        c = self.canv
        c.setLineWidth(GRID_LINE)
        for item in self.placed:
            if item.cell is None:
                self._draw_label(item.x, item.label)
            else:
                self._draw_cell(item.x, item.cell)

    def _draw_label(self, x: float, text: str) -> None:
        c = self.canv
        c.setFillColor(LABEL_FILL)
        c.rect(x, 0, LABEL_W, CELL_H, stroke=1, fill=1)
        c.setFillColor(colors.black)
        _draw_vertical(c, text, self.fonts.gothic, 9, x + LABEL_W / 2, CELL_H / 2)

    def _draw_cell(self, x: float, cell: StampCell) -> None:
        c, fonts = self.canv, self.fonts
        c.setStrokeColor(colors.black)
        c.rect(x, 0, CELL_W, CELL_H, stroke=1, fill=0)
        c.line(x, DATE_H + SEAL_H, x + CELL_W, DATE_H + SEAL_H)
        c.setLineWidth(0.3)
        c.line(x + 1.5 * mm, DATE_H, x + CELL_W - 1.5 * mm, DATE_H)
        c.setLineWidth(GRID_LINE)
        size = _fit_size(cell.position, fonts.gothic, 8, CELL_W - 2 * mm)
        c.setFont(fonts.gothic, size)
        c.setFillColor(colors.black)
        c.drawCentredString(x + CELL_W / 2, DATE_H + SEAL_H + 2 * mm, cell.position)

        centre_x, centre_y = x + CELL_W / 2, DATE_H + SEAL_H / 2
        if cell.state == "approved":
            # Marks sit in the top-left corner: move the seal aside rather than over them.
            offset, radius = (2 * mm, 6.2 * mm) if cell.marks else (0.0, 6.8 * mm)
            _draw_seal(c, surname(cell.name), fonts.gothic, centre_x + offset, centre_y, radius)
        elif cell.state == "returned":
            c.setFillColor(SEAL_RED)
            c.setFont(fonts.gothic, 9)
            c.drawCentredString(centre_x, centre_y - 1.5 * mm, "差戻し")
        elif cell.state == "skipped":
            # The paper convention for a cell that does not apply: one diagonal stroke.
            c.line(x, 0, x + CELL_W, DATE_H + SEAL_H)
        if cell.marks and cell.state != "skipped":
            _draw_marks(c, cell.marks, fonts.gothic, x + 0.8 * mm, DATE_H + SEAL_H - 0.8 * mm)
        if cell.decided_on and cell.state in ("approved", "returned"):
            c.setFillColor(colors.black)
            c.setFont(fonts.mincho, 7)
            c.drawCentredString(centre_x, 1.6 * mm, wareki_short(cell.decided_on))


def _draw_vertical(c: Canvas, text: str, font: str, size: float, cx: float, cy: float) -> None:
    """Draw ``text`` top to bottom centred on (cx, cy), one character per line."""
    c.setFont(font, size)
    top = cy + len(text) * size / 2
    for i, char in enumerate(text):
        # 0.85·size below each line's top puts the glyph box (ascent ~0.88) in the slot.
        c.drawCentredString(cx, top - i * size - 0.85 * size, char)


def _draw_seal(c: Canvas, name: str, font: str, cx: float, cy: float, radius: float) -> None:
    """A round personal seal (認印): red ring, the surname written vertically inside."""
    c.saveState()
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(1.1)
    c.circle(cx, cy, radius, stroke=1, fill=0)
    inner = radius * 1.45  # the usable height of the ring's inside
    if name.isascii():
        size = _fit_size(name, font, 8, 2 * radius - 2.5 * mm)
        c.setFont(font, size)
        c.drawCentredString(cx, cy - size * 0.35, name)
    elif len(name) <= 3:
        _draw_vertical(c, name, font, min(9.5, inner / max(len(name), 2)), cx, cy)
    else:
        # Long names go in two columns read right to left, as on a real seal.
        per_column = math.ceil(len(name) / 2)
        size = min(8.0, inner / per_column)
        second = name[per_column:]
        _draw_vertical(c, name[:per_column], font, size, cx + size * 0.55, cy)
        # Both columns start at the same top line, so a shorter left column moves up.
        second_cy = cy + (per_column - len(second)) * size / 2
        _draw_vertical(c, second, font, size, cx - size * 0.55, second_cy)
    c.restoreState()


def _draw_marks(c: Canvas, marks: Sequence[str], font: str, x: float, top: float) -> None:
    """Small boxed marks (代決, 後閲, 引上げ) stacked in the seal area's top-left corner."""
    size = 5.5
    c.saveState()
    c.setFont(font, size)
    c.setLineWidth(0.4)
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    y = top
    for mark in marks:
        width = stringWidth(mark, font, size) + 1.2 * mm
        c.rect(x, y - size - 1.0, width, size + 1.6, stroke=1, fill=0)
        c.drawString(x + 0.6 * mm, y - size + 0.2, mark)
        y -= size + 2.6
    c.restoreState()


# --- 決裁経過 (history) ------------------------------------------------------------------------


def action_text(cell: StampCell) -> str:
    """What happened at a step, in words: 承認, 決裁（代決：…に代わり）, 未処理 …"""
    if cell.state == "approved":
        base = {"decide": "決裁", "consult": "合議"}.get(cell.kind, "承認")
    else:
        base = STATE_LABELS.get(cell.state, cell.state)
    details = list(cell.marks)
    if cell.acting_for_name:
        details.append(f"{cell.acting_for_name}に代わり")
    return f"{base}（{'・'.join(details)}）" if details else base


def _history(stamps: Sequence[StampCell], styles: Styles, fonts: JapaneseFonts) -> list[Flowable]:
    """The route as a table, with full names and full 和暦 dates the seal cells abbreviate."""
    if not stamps:
        return []
    label, cell = styles["label_c"], styles["cell"]
    header = [_p(text, label) for text in ("順", "区分", "職名", "氏名", "処理", "処理日")]
    rows: list[list[Any]] = [header]
    for order, stamp in enumerate(stamps, start=1):
        rows.append(
            [
                _p(str(order), label),
                _p(GROUP_LABELS.get(stamp.kind, stamp.kind), label),
                _p(stamp.position, cell),
                _p(stamp.name, cell),
                _p(action_text(stamp), cell),
                _p(wareki(stamp.decided_on) if stamp.decided_on else "", cell),
            ]
        )
    widths = [9 * mm, 13 * mm, 30 * mm, 30 * mm, 55 * mm, 37 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), GRID_LINE, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                # Cells without a Paragraph would otherwise select Helvetica (not embedded).
                ("FONTNAME", (0, 0), (-1, -1), fonts.mincho),
            ]
        )
    )
    return [_p("決裁経過", styles["section"]), table]


def _rounds_history(
    lines: Sequence[HistoryLine], styles: Styles, fonts: JapaneseFonts
) -> list[Flowable]:
    """Every round, so that a send-back and what followed stay on the printed record."""
    if not lines:
        return []
    label, cell = styles["label_c"], styles["cell"]
    rows: list[list[Any]] = [[_p(t, label) for t in ("回次", "処理", "氏名", "処理日", "意見")]]
    for line in lines:
        rows.append(
            [
                _p(f"第{line.round}回", label),
                _p(line.action, cell),
                _p(line.name, cell),
                _p(wareki(line.on), cell),
                _p(line.comment, cell),
            ]
        )
    table = Table(rows, colWidths=[15 * mm, 30 * mm, 35 * mm, 37 * mm, 57 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), GRID_LINE, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), LABEL_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), fonts.mincho),
            ]
        )
    )
    return [_p("回議の経過（全回次）", styles["section"]), table]
