"""決裁文書 PDF benchmark: reportlab for a 20-step route vs LibreOffice converting a DOCX.

Measures the median and p95 of ``--runs`` renders of the 決裁文書 with a 20-step route (fonts
already registered, as in a running server), the first render in the process (font loading
included), and, when ``soffice`` is installed, converting an equivalent DOCX to PDF with
LibreOffice (headless, its own profile, one warm-up). Prints markdown.

    .venv/bin/python bench/bench_render.py [--runs 50] [--lo-runs 3]

LibreOffice is only for this comparison (``apt-get install libreoffice-writer-nogui``); the
test suite never needs it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository root must be importable first: bench/ is run as a script.
import docx  # noqa: E402
from docx.shared import Mm  # noqa: E402

from directory.calendar import wareki  # noqa: E402
from tests.workflow.test_rendering_pdf import route_of, sample_document  # noqa: E402
from workflow.proposals.rendering.decision_pdf import action_text, render_decision_pdf  # noqa: E402
from workflow.proposals.rendering.fonts import japanese_fonts  # noqa: E402
from workflow.proposals.rendering.types import DecisionDocument  # noqa: E402


def equivalent_docx(doc: DecisionDocument, path: Path) -> None:
    """The same content as a Word document: header table, 決裁欄 table, body, history."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    document.add_heading(doc.heading_text, level=1)
    header = document.add_table(rows=4, cols=4, style="Table Grid")
    values = [
        ("文書番号", doc.document_number, "文書分類", doc.category),
        ("起案日", wareki(doc.drafted_on), "決裁区分", doc.authority_level),
        ("決裁日", wareki(doc.decided_on) if doc.decided_on else "", "施行日", ""),
        ("起案者", f"{doc.drafter_unit} {doc.drafter_name}", "", ""),
    ]
    for row, texts in zip(header.rows, values, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    stamps = document.add_table(rows=3, cols=len(doc.stamps), style="Table Grid")
    for i, stamp in enumerate(doc.stamps):
        stamps.cell(0, i).text = stamp.position
        stamps.cell(1, i).text = stamp.name.split(" ")[0]
        stamps.cell(2, i).text = wareki(stamp.decided_on) if stamp.decided_on else ""
    document.add_paragraph(doc.title)
    for line in doc.body.split("\n"):
        document.add_paragraph(line)
    history = document.add_table(rows=len(doc.stamps), cols=4, style="Table Grid")
    for row, stamp in zip(history.rows, doc.stamps, strict=True):
        texts = (
            stamp.position,
            stamp.name,
            action_text(stamp),
            wareki(stamp.decided_on or doc.drafted_on),
        )
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    document.save(str(path))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_reportlab(doc: DecisionDocument, runs: int) -> tuple[float, list[float], int]:
    started = time.perf_counter()
    data = render_decision_pdf(doc)  # includes parsing and registering the TrueType fonts
    first = time.perf_counter() - started
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        data = render_decision_pdf(doc)
        samples.append(time.perf_counter() - started)
    return first, samples, len(data)


def time_libreoffice(doc: DecisionDocument, runs: int) -> list[float] | None:
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="kairan-bench-") as tmp:
        workdir = Path(tmp)
        source = workdir / "decision.docx"
        equivalent_docx(doc, source)
        command = [
            soffice,
            f"-env:UserInstallation=file://{workdir / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir / "out"),
            str(source),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=300)  # warm-up
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, timeout=300)
            samples.append(time.perf_counter() - started)
        return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--lo-runs", type=int, default=3)
    args = parser.parse_args()

    body = "\n".join(
        f"\u3000第{i}項　本市の電子決裁の運用に関し、起案者は回議及び合議の経路を確認する。"
        for i in range(1, 30)
    )
    doc = sample_document(stamps=route_of(20), body=body)
    first, samples, size = time_reportlab(doc, args.runs)
    fonts = japanese_fonts()
    median, p95 = statistics.median(samples), percentile(samples, 0.95)
    font_note = f"embedded {fonts.source}" if fonts.is_embedded else "CID fonts, not embedded"
    print(f"## 決裁文書 PDF, 20-step route ({font_note})\n")
    print("| what | runs | median | p95 |")
    print("|---|---|---|---|")
    print(f"| reportlab, first render in process (fonts loaded) | 1 | {first * 1000:.1f} ms | |")
    print(f"| reportlab, warm | {args.runs} | {median * 1000:.1f} ms | {p95 * 1000:.1f} ms |")
    lo = time_libreoffice(doc, args.lo_runs)
    if lo is None:
        print("| LibreOffice DOCX → PDF | – | soffice not installed | |")
    else:
        lo_median = statistics.median(lo)
        print(f"| LibreOffice DOCX → PDF | {args.lo_runs} | {lo_median * 1000:.0f} ms | |")
        print(f"\nreportlab is {lo_median / median:.0f}× faster (medians, same run).")
    print(f"\nPDF size: {size / 1024:.0f} KiB.")


if __name__ == "__main__":
    main()
