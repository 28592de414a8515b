"""The 施行文書: the outgoing letter in the mayor's name, as a Word document (python-docx).

Built in code rather than filled into a stored .docx template. Placeholder substitution in
python-docx breaks whenever Word splits ``{{addressee}}`` across runs (it does after any edit),
which would need docxtpl as a new dependency, and a generated template would only be a binary
copy of this same code that diffs cannot review. If the city later wants to restyle letters in
Word, ``_new_document`` is the one place to load their file instead of the blank default.

The labels (公印省略, 様, 記, 以上) are Japanese literals: this is the city's official letter
layout (公用文), which reads the same whatever language a user's screen is in.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from directory.calendar import CITY_TZ, wareki
from workflow.proposals.rendering.types import IssueLetter

# Japanese Word's own defaults for official documents: MS Mincho for Japanese text, Century
# for Latin letters and digits; LibreOffice substitutes IPAex Mincho for MS Mincho.
EAST_ASIAN_FONT = "ＭＳ 明朝"
LATIN_FONT = "Century"
FONT_SIZE = Pt(10.5)
SEAL_BOX = Mm(18)

ALIGN_BY_LINE = {"記": WD_ALIGN_PARAGRAPH.CENTER, "以上": WD_ALIGN_PARAGRAPH.RIGHT}


def render_issue_letter(letter: IssueLetter) -> bytes:
    """Render ``letter`` as an A4 .docx and return its bytes."""
    document = _new_document(letter)
    _paragraph(document, letter.document_number, WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, wareki(letter.issued_on), WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, "")
    _paragraph(document, addressee_line(letter))
    _paragraph(document, "")
    sender = f"{letter.sender_title}　{letter.mayor_name}"
    if letter.seal == "requested":
        _sender_with_seal_box(document, sender)
    else:
        _paragraph(document, sender, WD_ALIGN_PARAGRAPH.RIGHT)
        _paragraph(document, "（公印省略）", WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, "")
    subject = _paragraph(document, letter.subject, WD_ALIGN_PARAGRAPH.CENTER)
    subject.runs[0].font.size = Pt(12)
    _paragraph(document, "")
    for line in letter.body.replace("\r\n", "\n").split("\n"):
        # 記 (the heading of itemised particulars) is centred and 以上 closes flush right.
        _paragraph(document, line, ALIGN_BY_LINE.get(line.strip()))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def addressee_line(letter: IssueLetter) -> str:
    """The addressee with the honorific, unless the engine already added one."""
    name = letter.addressee.strip()
    if name.endswith(("様", "殿", "御中")):
        return name
    return f"{name}　{letter.honorific}"


def _new_document(letter: IssueLetter) -> DocxDocument:
    document = Document()
    section = document.sections[0]
    # python-docx's blank template is US Letter; Japanese official documents are A4.
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(25)
    section.left_margin, section.right_margin = Mm(25), Mm(25)
    _set_japanese_defaults(document)
    props = document.core_properties
    props.title = letter.subject
    props.author = props.last_modified_by = letter.sender_title
    props.subject = letter.document_number
    props.language = "ja-JP"
    props.comments = "Kairan"
    # python-docx writes the wall time with a Z suffix, so hand it UTC: midnight in Tokyo.
    issued_at = datetime.combine(letter.issued_on, time(), tzinfo=CITY_TZ).astimezone(UTC)
    props.created = props.modified = issued_at
    props.revision = 1
    return document


def _set_japanese_defaults(document: DocxDocument) -> None:
    """Mincho on the East Asian font slot, Japanese language, no Western paragraph gaps.

    The blank template names *theme* fonts in the document defaults, and Word prefers a theme
    attribute over an explicit one, so those are removed rather than overridden.
    """
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    for theme in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    _set_fonts(fonts)
    lang = defaults.find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), "ja-JP")

    normal = document.styles["Normal"]
    normal.font.size = FONT_SIZE
    _set_fonts(normal.element.get_or_add_rPr().get_or_add_rFonts())
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0


def _set_fonts(rfonts: BaseOxmlElement) -> None:
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _paragraph(
    document: DocxDocument, text: str, align: WD_ALIGN_PARAGRAPH | None = None
) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.add_run(text)  # one run even when empty, so callers can style it
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _sender_with_seal_box(document: DocxDocument, sender: str) -> None:
    """The sender line with an empty bordered box beside it where the 公印 is to be pressed."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.RIGHT
    table.autofit = False
    name_cell, seal_cell = table.rows[0].cells
    # Widths on the grid columns as well as the cells: LibreOffice reads the former, Word
    # the latter, and a fixed layout stops either from stretching the box to the margin.
    widths = (Mm(70), SEAL_BOX)
    for column, cell, width in zip(table.columns, (name_cell, seal_cell), widths, strict=True):
        column.width = cell.width = width
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    table.rows[0].height = SEAL_BOX
    table.rows[0].height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    name_cell.paragraphs[0].add_run(sender)
    name_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    seal_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    label = seal_cell.paragraphs[0].add_run("公印")
    label.font.size = Pt(8)
    label.font.color.rgb = RGBColor(0x99, 0x99, 0x99)
    seal_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _box(seal_cell)


def _box(cell: _Cell) -> None:
    """Give one cell a thin border on all four sides (the table itself has none)."""
    borders = OxmlElement("w:tcBorders")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "6")  # eighths of a point
        edge.set(qn("w:color"), "000000")
        borders.append(edge)
    cell._tc.get_or_add_tcPr().append(borders)
