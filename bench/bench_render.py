"""決裁文書 PDF benchmark: reportlab for a 20-step route vs LibreOffice converting a DOCX.

Measures, in each of ``--runs`` rounds (default 3; figures are the median of the rounds with
their min–max): ``--samples`` renders of the 決裁文書 with a 20-step route (fonts already
registered, as in a running server: median and p95); and, when LibreOffice is installed,
converting an equivalent DOCX to PDF two ways a user would pick:

* cold: ``soffice --headless --convert-to pdf`` per file (a new process each time, its own
  profile already created by a warm-up), ``--lo-samples`` times;
* warm: one LibreOffice kept running by ``unoserver`` (started once, before the rounds, on
  127.0.0.1), the DOCX bytes sent and the PDF bytes received over its XML-RPC interface,
  ``--warm-samples`` times.

The first render in the process (font loading) is measured once. Prints markdown.

    .venv/bin/python bench/bench_render.py [--runs 3] [--samples 500] [--lo-samples 5]
        [--warm-samples 30] [--unoserver PATH]

LibreOffice is only for this comparison (``apt-get install libreoffice-writer-nogui``; on
Debian it brings ``python3-uno``), and so is unoserver, in a throwaway virtualenv of the system
Python so that it can import ``uno``::

    python3 -m venv --system-site-packages /tmp/unoserver-venv
    /tmp/unoserver-venv/bin/pip install unoserver

The test suite never needs either.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository root must be importable first: bench/ is run as a script.
import docx  # noqa: E402
from docx.shared import Mm  # noqa: E402

from bench.machine import describe, p95, spread  # noqa: E402
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


def time_reportlab(doc: DecisionDocument, runs: int) -> tuple[list[float], int]:
    samples = []
    data = b""
    for _ in range(runs):
        started = time.perf_counter()
        data = render_decision_pdf(doc)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, len(data)


def soffice_command(soffice: str, workdir: Path, source: Path) -> list[str]:
    return [
        soffice,
        f"-env:UserInstallation=file://{workdir / 'profile'}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(workdir / "out"),
        str(source),
    ]


def time_cold(command: list[str], runs: int) -> list[float]:
    """A new soffice process per file, as ``--convert-to`` is usually used."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WarmLibreOffice:
    """One LibreOffice kept running by unoserver on loopback; converts bytes to PDF bytes."""

    def __init__(self, unoserver: str, workdir: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                unoserver,
                "--interface",
                "127.0.0.1",
                "--uno-interface",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--uno-port",
                str(free_port()),
                "--user-installation",
                str(workdir / "warm-profile"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}", allow_none=True)
        deadline = time.monotonic() + 120  # first start creates the profile
        while True:
            try:
                self.proxy.info()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("unoserver did not start") from None
                time.sleep(0.5)

    def convert(self, data: bytes) -> bytes:
        result = self.proxy.convert(None, xmlrpc.client.Binary(data), None, "pdf")
        return result.data

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def time_warm(warm: WarmLibreOffice, data: bytes, runs: int) -> tuple[list[float], int]:
    samples, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        pdf = warm.convert(data)
        samples.append((time.perf_counter() - started) * 1000)
        size = len(pdf)
    assert pdf.startswith(b"%PDF"), pdf[:20]
    return samples, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (median, min–max)")
    parser.add_argument("--samples", type=int, default=500, help="reportlab renders a round")
    parser.add_argument("--lo-samples", type=int, default=5, help="cold soffice runs a round")
    parser.add_argument("--warm-samples", type=int, default=30, help="unoserver conversions")
    parser.add_argument("--unoserver", default=shutil.which("unoserver"))
    args = parser.parse_args()

    machine = describe()
    body = "\n".join(
        f"\u3000第{i}項　本市の電子決裁の運用に関し、起案者は回議及び合議の経路を確認する。"
        for i in range(1, 30)
    )
    doc = sample_document(stamps=route_of(20), body=body)
    started = time.perf_counter()
    render_decision_pdf(doc)  # includes parsing and registering the TrueType fonts
    first = (time.perf_counter() - started) * 1000
    soffice = shutil.which("soffice")
    rows: dict[str, list[list[float]]] = {"reportlab": [], "cold": [], "warm": []}
    notes = []
    with tempfile.TemporaryDirectory(prefix="kairan-bench-") as tmp:
        workdir = Path(tmp)
        source = workdir / "decision.docx"
        equivalent_docx(doc, source)
        data = source.read_bytes()
        warm = None
        if soffice:
            command = soffice_command(soffice, workdir, source)
            subprocess.run(command, check=True, capture_output=True, timeout=300)  # profile
            if args.unoserver:
                started = time.perf_counter()
                warm = WarmLibreOffice(args.unoserver, workdir)
                notes.append(f"unoserver ready after {time.perf_counter() - started:.1f} s")
                time_warm(warm, data, 2)  # the first conversions load Writer's filters
            else:
                notes.append("unoserver not found (--unoserver): no warm LibreOffice row")
        try:
            for number in range(args.runs):
                samples, size = time_reportlab(doc, args.samples)
                rows["reportlab"].append(samples)
                if soffice:
                    rows["cold"].append(time_cold(command, args.lo_samples))
                if warm:
                    warm_samples, warm_size = time_warm(warm, data, args.warm_samples)
                    rows["warm"].append(warm_samples)
                print(f"round {number + 1} of {args.runs} done", file=sys.stderr, flush=True)
        finally:
            if warm:
                warm.close()

    fonts = japanese_fonts()
    font_note = f"embedded {fonts.source}" if fonts.is_embedded else "CID fonts, not embedded"
    print(f"## 決裁文書 PDF, 20-step route ({font_note})\n")
    print(f"Machine: {machine}.\n")
    print(f"Median of {args.runs} rounds (min–max) of each round's median / p95; ms.\n")
    print("| what | samples a round | median | p95 | vs reportlab |")
    print("|---|---:|---:|---:|---:|")
    ours = [statistics.median(s) for s in rows["reportlab"]]
    print(f"| reportlab, first render in the process (fonts loaded) | 1 | {first:.1f} | | |")
    print(
        f"| reportlab, warm | {args.samples} | {spread(ours)} | "
        f"{spread([p95(s) for s in rows['reportlab']])} | 1× |"
    )
    labels = {
        "cold": "LibreOffice cold: `soffice --headless --convert-to pdf` per file",
        "warm": "LibreOffice warm: unoserver (XML-RPC, bytes in, PDF bytes out)",
    }
    for key, label in labels.items():
        if not rows[key]:
            print(f"| {label} | – | not run | | |")
            continue
        medians = [statistics.median(s) for s in rows[key]]
        ratios = [m / o for m, o in zip(medians, ours, strict=True)]
        print(
            f"| {label} | {len(rows[key][0])} | {spread(medians, '{:.0f}')} | "
            f"{spread([p95(s) for s in rows[key]], '{:.0f}')} | {spread(ratios, '{:.0f}×')} |"
        )
    if not soffice:
        notes.append("soffice not installed: no LibreOffice rows")
    print(f"\nPDF size: reportlab {size / 1024:.0f} KiB", end="")
    print(f", LibreOffice {warm_size / 1024:.0f} KiB." if rows["warm"] else ".")
    for note in notes:
        print(f"\n{note}.")


if __name__ == "__main__":
    main()
