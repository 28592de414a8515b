"""A chat transcript as a PDF (the record filed into a binder): pure data → bytes, no database.

reportlab with IPAex (embedded subsets) when installed, else the CID fonts, as the 決裁文書."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

IPAEX = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/local/share/fonts/ipaexg.ttf",
)


@functools.cache
def _font() -> str:
    for path in IPAEX:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont("ChatIPAexGothic", path))
            return "ChatIPAexGothic"
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    return "HeiseiKakuGo-W5"


@dataclass(frozen=True)
class TranscriptLine:
    message_id: int
    sent_at: str
    sender: str
    text: str
    note: str = ""  # 「編集済み」, 「削除されました」


@dataclass(frozen=True)
class Transcript:
    title: str
    room: str
    unit: str
    participants: list[str]
    period: str
    filed_by: str
    filed_at: str
    lines: list[TranscriptLine]
    labels: dict[str, str]


def render_transcript(t: Transcript) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    head = ParagraphStyle("head", fontName=font, fontSize=15, leading=22, spaceAfter=6)
    meta = ParagraphStyle("meta", fontName=font, fontSize=9, leading=13, textColor="#333333")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title=t.title, author=t.filed_by
    )
    L = t.labels

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story = [
        p(t.title, head),
        p(f"{L['room']}: {t.room}", meta),
        p(f"{L['unit']}: {t.unit}", meta),
        p(f"{L['period']}: {t.period}", meta),
        p(f"{L['participants']}: {'、'.join(t.participants)}", meta),
        p(f"{L['filed']}: {t.filed_at} {t.filed_by}", meta),
        Spacer(1, 6 * mm),
    ]
    for line in t.lines:
        note = f" [{line.note}]" if line.note else ""
        story.append(p(f"#{line.message_id} {line.sent_at} {line.sender}{note}", meta))
        story.append(p(line.text or " "))
        story.append(Spacer(1, 2 * mm))
    doc.build(story)
    return out.getvalue()
