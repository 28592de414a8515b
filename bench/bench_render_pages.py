"""Page previews: pypdfium2 → WebP (documents.rendering) vs poppler's ``pdftoppm``, same run.

Generates a ``--pages``-page A4 PDF with reportlab (varied Japanese text with the IPAex
fonts when installed, a table, a bar chart, shapes), then renders every page to images of
the same pixel size (fitting 1600 x 2400: 1600 x 2263 for A4) end to end — rasterising,
encoding, writing the file — with:

* ``render_pages`` (pypdfium2 + Pillow WebP, what Kairan serves), and with PNG;
* pypdfium2 rasterising only, and pypdfium2 + Pillow JPEG (to compare the rasterisers);
* ``pdftoppm -png`` and ``pdftoppm -jpeg`` (one process for all pages; ``-progress``
  timestamps give the per-page times).

Every case runs ``--runs`` times (default 3), the cases alternating within a run; each figure
is the median of the runs with their min–max, and each ratio is taken within a run (same
minute, same load) before its median is. Then the cost of encoding one page in each format,
on pages already rasterised. Prints markdown.

    .venv/bin/python bench/bench_render_pages.py [--pages 100] [--runs 3] [--encode-sample 20]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository root must be importable first: bench/ is run as a script.
import pypdfium2 as pdfium  # noqa: E402
from PIL import Image  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from bench.machine import describe, spread  # noqa: E402
from documents.rendering import fit_scale, render_pages  # noqa: E402
from documents.rendering.pages import WEBP_METHOD  # noqa: E402
from workflow.proposals.rendering.fonts import japanese_fonts  # noqa: E402

MAX_W, MAX_H = 1600, 2400
PDFTOPPM = "/usr/bin/pdftoppm"
WORDS = (
    "本市",
    "議会",
    "予算",
    "決算",
    "補正",
    "条例",
    "改正",
    "委員会",
    "審査",
    "請願",
    "市民",
    "福祉",
    "子育て",
    "支援",
    "道路",
    "整備",
    "棚田",
    "保全",
    "防災",
    "計画",
    "教育",
    "施設",
    "耐震化",
    "事業",
    "歳入",
    "歳出",
    "基金",
    "交付金",
    "令和八年度",
    "第三号",
)
PARTICLES = ("の", "に", "を", "は", "が", "と", "及び", "について", "に関する", "における")


def sentence(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) + rng.choice(PARTICLES) for _ in range(rng.randint(6, 12))]
    return "".join(parts) + rng.choice(("検討する。", "報告する。", "承認を求める。", "行う。"))


def make_pdf(pages: int, seed: int = 1) -> bytes:
    """An agenda material: heading, ~40 lines of varied text, a table, a chart and shapes."""
    rng = random.Random(seed)
    fonts = japanese_fonts()
    width, height = A4
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.setFont(fonts.gothic, 16)
        pdf.drawString(50, height - 60, f"議案第{number}号　{rng.choice(WORDS)}{rng.choice(WORDS)}")
        pdf.setFont(fonts.mincho, 10.5)
        y = height - 95
        for _line in range(34):
            pdf.drawString(50, y, sentence(rng)[:46])
            y -= 15
        # A 4 x 5 table of amounts.
        top, row_h, col_w = 250, 18, 120
        pdf.setLineWidth(0.5)
        for row in range(6):
            pdf.line(50, top - row * row_h, 50 + 4 * col_w, top - row * row_h)
        for col in range(5):
            pdf.line(50 + col * col_w, top, 50 + col * col_w, top - 5 * row_h)
        pdf.setFont(fonts.mincho, 9)
        for row in range(5):
            for col in range(4):
                text = rng.choice(WORDS) if col == 0 else f"{rng.randint(1, 99_999):,}千円"
                pdf.drawString(55 + col * col_w, top - (row + 1) * row_h + 5, text)
        # A bar chart and a few shapes in colour.
        for bar in range(8):
            pdf.setFillColorRGB(0.15 + bar * 0.08, 0.35, 0.75 - bar * 0.06)
            pdf.rect(60 + bar * 32, 60, 22, rng.randint(10, 80), fill=1, stroke=0)
        pdf.setFillColorRGB(0.9, 0.5, 0.1)
        pdf.circle(430, 110, 40, fill=1, stroke=0)
        pdf.setStrokeColorRGB(0.2, 0.6, 0.3)
        pdf.setLineWidth(2)
        pdf.bezier(330, 70, 380, 160, 480, 20, 540, 150)
        pdf.setFillColorRGB(0, 0, 0)
        pdf.setStrokeColorRGB(0, 0, 0)
        pdf.setFont(fonts.gothic, 9)
        pdf.drawRightString(width - 50, 30, f"- {number} -")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@dataclass
class Result:
    label: str
    total_s: float
    per_page_s: list[float]
    bytes_total: int
    size: tuple[int, int]
    written: bool = True


def timed_pages(
    label: str, pages: Iterator[tuple[int, bytes]], outdir: Path, ext: str | None
) -> Result:
    """Consume (n, image) pairs, writing each file (unless ``ext`` is None), timing each page."""
    outdir.mkdir()
    per_page, total_bytes, first = [], 0, b""
    started = last = time.perf_counter()
    for number, image in pages:
        if ext is not None:
            (outdir / f"p-{number:03d}.{ext}").write_bytes(image)
        now = time.perf_counter()
        per_page.append(now - last)
        last = now
        total_bytes += len(image)
        first = first or image
    total = time.perf_counter() - started
    with Image.open(io.BytesIO(first)) as decoded:
        size = decoded.size
    return Result(label, total, per_page, total_bytes, size, written=ext is not None)


def pdfium_images(
    pdf: bytes, encode: Callable[[Image.Image], bytes] | None
) -> Iterator[tuple[int, bytes]]:
    """pypdfium2 directly (one thread, no lock): the rasteriser alone or with another codec."""
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            scale = fit_scale(*page.get_size(), MAX_W, MAX_H)
            bitmap = page.render(scale=scale)
            image = bitmap.to_pil()
            if encode is None:
                # The pixels copied out, as render_pages does; a PPM header so the size can be read.
                header = f"P6 {image.width} {image.height} 255\n".encode()
                data = header + image.tobytes()
            else:
                data = encode(image)
            bitmap.close()
            page.close()
            yield index + 1, data
    finally:
        document.close()


def jpeg(image: Image.Image, quality: int = 80) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def run_pdftoppm(label: str, pdf_path: Path, outdir: Path, fmt: str, pages: int) -> Result:
    outdir.mkdir()
    command = [
        PDFTOPPM,
        f"-{fmt}",
        "-scale-to-x",
        str(MAX_W),
        "-scale-to-y",
        "-1",
        "-progress",
        str(pdf_path),
        str(outdir / "p"),
    ]
    per_page: list[float] = []
    started = last = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    # -progress prints "<page> <last> <file>" after each page is written; bounded by pages.
    for _ in range(pages):
        line = process.stderr.readline()
        if not line:
            break
        now = time.perf_counter()
        per_page.append(now - last)
        last = now
    process.stderr.close()
    if process.wait(timeout=600) != 0:
        raise RuntimeError(f"pdftoppm failed: {command}")
    total = time.perf_counter() - started
    files = sorted(outdir.iterdir())
    if len(files) != pages:
        raise RuntimeError(f"pdftoppm wrote {len(files)} files for {pages} pages")
    with Image.open(files[0]) as decoded:
        size = decoded.size
    return Result(label, total, per_page, sum(f.stat().st_size for f in files), size)


def encoding_costs(pdf: bytes, sample: int) -> list[tuple[str, float, float]]:
    """(format, median ms, mean KiB) encoding ``sample`` pages already rasterised."""
    document = pdfium.PdfDocument(pdf)
    images = []
    for index in range(min(sample, len(document))):
        page = document[index]
        bitmap = page.render(scale=fit_scale(*page.get_size(), MAX_W, MAX_H))
        images.append(bitmap.to_pil().copy())
        bitmap.close()
        page.close()
    document.close()
    codecs: list[tuple[str, dict[str, object]]] = [
        (
            f"WebP q80 method {WEBP_METHOD} (Kairan)",
            {"format": "WEBP", "quality": 80, "method": WEBP_METHOD},
        ),
        ("WebP q80 method 4 (Pillow default)", {"format": "WEBP", "quality": 80, "method": 4}),
        ("WebP q80 method 0", {"format": "WEBP", "quality": 80, "method": 0}),
        (
            "WebP lossless quality 75 method 2",
            {"format": "WEBP", "lossless": True, "quality": 75, "method": 2},
        ),
        ("PNG level 6 (Pillow default)", {"format": "PNG"}),
        ("PNG level 1", {"format": "PNG", "compress_level": 1}),
        ("JPEG q80", {"format": "JPEG", "quality": 80}),
    ]
    rows = []
    for label, options in codecs:
        times, sizes = [], []
        for image in images:
            out = io.BytesIO()
            started = time.perf_counter()
            image.save(out, **options)
            times.append(time.perf_counter() - started)
            sizes.append(len(out.getvalue()))
        rows.append((label, statistics.median(times) * 1000, statistics.mean(sizes) / 1024))
    return rows


def all_cases(
    pdf: bytes, pdf_path: Path, out: Path, pages: int
) -> list[tuple[str, Callable[[], Result]]]:
    """Every row of the table, in the order run (ours and poppler alternate)."""
    webp, png = "pypdfium2 → WebP q80 (render_pages)", "pypdfium2 → PNG (render_pages)"
    jpg, raw = "pypdfium2 → JPEG q80 (Pillow)", "pypdfium2 rasterising only (no file)"
    return [
        (
            webp,
            lambda: timed_pages(
                webp,
                render_pages(pdf, max_width_px=MAX_W, max_height_px=MAX_H),
                out / "webp",
                "webp",
            ),
        ),
        (
            "pdftoppm -png",
            lambda: run_pdftoppm("pdftoppm -png", pdf_path, out / "ppng", "png", pages),
        ),
        (
            png,
            lambda: timed_pages(
                png,
                render_pages(pdf, max_width_px=MAX_W, max_height_px=MAX_H, fmt="png"),
                out / "png",
                "png",
            ),
        ),
        (
            "pdftoppm -jpeg",
            lambda: run_pdftoppm("pdftoppm -jpeg", pdf_path, out / "pjpeg", "jpeg", pages),
        ),
        (jpg, lambda: timed_pages(jpg, pdfium_images(pdf, jpeg), out / "jpeg", "jpg")),
        (raw, lambda: timed_pages(raw, pdfium_images(pdf, None), out / "raw", None)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="median of this many runs")
    parser.add_argument("--encode-sample", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which(PDFTOPPM):
        sys.exit(f"{PDFTOPPM} not found: apt-get install poppler-utils")

    machine = describe()
    started = time.perf_counter()
    pdf = make_pdf(args.pages)
    generated = time.perf_counter() - started
    fonts = japanese_fonts()
    runs: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="kairan-bench-pages-") as tmp:
        workdir = Path(tmp)
        pdf_path = workdir / "material.pdf"
        pdf_path.write_bytes(pdf)
        for run in range(args.runs):
            out = workdir / f"run{run}"
            out.mkdir()
            for label, case in all_cases(pdf, pdf_path, out, args.pages):
                runs.setdefault(label, []).append(case())
                print(f"run {run + 1}: {label} done", file=sys.stderr, flush=True)
            shutil.rmtree(out)
    labels = list(runs)
    ours = runs[labels[0]]
    by_label = {r[0].label: r for r in runs.values()}
    poppler_png, poppler_jpeg = by_label["pdftoppm -png"], by_label["pdftoppm -jpeg"]

    font_note = f"embedded {Path(fonts.source).name}" if fonts.is_embedded else "CID fonts"
    print(
        f"## Page previews: {args.pages}-page A4 PDF ({len(pdf) / 1024:.0f} KiB, {font_note},"
        f" generated in {generated:.1f} s), pages fitted to {MAX_W}×{MAX_H}\n"
    )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"Machine (at the start): {machine}; load average at the end {load}.\n")
    print(
        f"Median of {args.runs} run(s) (min–max); every row but the last writes one file per"
        " page; the ratio is taken within each run.\n"
    )
    print(
        "| renderer → format | image | total (s) | per page median (ms) | MiB out |"
        " time ÷ ours (WebP) |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for results in runs.values():
        first = results[0]
        totals = [r.total_s for r in results]
        per_page = [statistics.median(r.per_page_s) * 1000 for r in results]
        ratios = [r.total_s / o.total_s for r, o in zip(results, ours, strict=True)]
        mib = f"{first.bytes_total / 2**20:.1f}" if first.written else "–"
        print(
            f"| {first.label} | {first.size[0]}×{first.size[1]} | {spread(totals, '{:.2f}')} |"
            f" {spread(per_page)} | {mib} | {spread(ratios, '{:.2f}×')} |"
        )
    png_ratio = [p.total_s / o.total_s for p, o in zip(poppler_png, ours, strict=True)]
    jpeg_ratio = [p.total_s / o.total_s for p, o in zip(poppler_jpeg, ours, strict=True)]
    print(
        f"\n`pdftoppm -png` takes **{spread(png_ratio, '{:.2f}×')}** the time of pypdfium2 → WebP,"
        f" `pdftoppm -jpeg` {spread(jpeg_ratio, '{:.2f}×')} (below 1×: faster than ours; same"
        " runs, same pixel size)."
    )
    same_format = [
        ("PNG", poppler_png, by_label["pypdfium2 → PNG (render_pages)"]),
        ("JPEG", poppler_jpeg, by_label["pypdfium2 → JPEG q80 (Pillow)"]),
    ]
    for fmt, poppler, mine in same_format:
        ratio = [p.total_s / m.total_s for p, m in zip(poppler, mine, strict=True)]
        print(
            f"\nSame format, {fmt}: `pdftoppm` takes {spread(ratio, '{:.2f}×')} the time of"
            f" pypdfium2 → {fmt}."
        )
    print(
        f"\n### Encoding one {ours[0].size[0]}×{ours[0].size[1]} page (median of"
        f" {min(args.encode_sample, args.pages)} pages, already rasterised)\n"
    )
    print("| format | median (ms) | mean KiB per page |")
    print("|---|---:|---:|")
    for label, median_ms, kib in encoding_costs(pdf, args.encode_sample):
        print(f"| {label} | {median_ms:.1f} | {kib:.0f} |")


if __name__ == "__main__":
    main()
