"""Search benchmark: 100,000 generated Japanese documents, our bigram index vs a LIKE scan.

Builds the index over ``--docs`` documents of 200–400 characters (tests/documents/japanese.py,
seeded) in a throwaway database, checks exact counts against a Python substring oracle (and
the LIKE scan) for every measured term, then measures query latency (count + first page of 50
with snippets, as the API does) for terms in ≤ 1% and in 1–16% of documents, as an auditor
(everything visible) and as staff (the classification rule), and the same queries as a LIKE
scan. Also the build time, the index size and the cost of indexing one more document.

    .venv/bin/python bench/bench_search.py [--docs 100000] [--runs 5]          # SQLite
    .venv/bin/python bench/bench_search.py --postgres [postgres://user@host:port/]

PostgreSQL: with ``--postgres`` (or when KAIRAN_DATABASE_URL points at PostgreSQL) a throwaway
database ``kairan_bench_search_<pid>`` is created on that server and dropped afterwards; the
database named in the URL is never touched.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository root must be importable first: bench/ is run as a script.
from tests.documents.japanese import COMMON, PLACES, TAIL, JapaneseText  # noqa: E402

PAGE = 50
MAX_TERMS_PER_BUCKET = 12
INSERT_SAMPLE = 500
BUCKETS = [("≤ 1%", 0.0, 0.01), ("1–16%", 0.01, 0.16), ("> 16% (for information)", 0.16, 1.0)]


@dataclass
class Term:
    text: str
    docs: int  # documents containing it, by the Python oracle


def configure(workdir: Path, pg_server: str | None) -> str | None:
    """Environment for config.settings, set before django.setup(); returns the throwaway DB."""
    os.environ.pop("KAIRAN_REDIS_URL", None)
    os.environ.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings", "KAIRAN_DATA_DIR": str(workdir)}
    )
    if pg_server is None:
        os.environ.pop("KAIRAN_DATABASE_URL", None)
        return None
    import psycopg

    name = f"kairan_bench_search_{os.getpid()}"
    parts = urlsplit(pg_server)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["KAIRAN_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return name


def drop_database(pg_server: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin = urlunsplit(urlsplit(pg_server)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def generate(count: int, seed: int) -> list[tuple[str, str]]:
    gen = JapaneseText(seed)
    return [(gen.title(), gen.text()) for _ in range(count)]


def candidate_terms(rng: random.Random) -> list[str]:
    """Words, their 2- and 3-character pieces, numbers and phrases (with punctuation)."""
    words = COMMON + TAIL
    pieces = {w[i : i + n] for w in words for n in (2, 3) for i in range(len(w) - n + 1)}
    numbers = [f"第{rng.randint(1, 9999)}号" for _ in range(20)]
    places = rng.sample(PLACES, 30)
    words += places + [f"{p}地区" for p in places[:10]] + [f"{p}地" for p in places[10:20]]
    phrases = [f"{w}の" for w in TAIL[:20]] + [f"（{w}）" for w in TAIL[20:40]]
    phrases += ["補正予算に関する", "会計年度任用職員の", "予算、", "。本件は", "を計上し、"]
    return sorted(set(words) | pieces | set(numbers) | set(phrases))


def pick_terms(norm_docs: list[str], candidates: list[str], rng: random.Random) -> dict:
    """Terms per bucket by their oracle frequency, mixing 2-char, 3-char and longer terms."""
    total = len(norm_docs)
    rng.shuffle(candidates)
    picked: dict[str, list[Term]] = {name: [] for name, _lo, _hi in BUCKETS}
    by_len: dict[tuple[str, int], int] = {}
    from documents.search.text import normalize_query

    for text in candidates[:400]:  # bounded: the oracle reads every document per term
        norm = normalize_query(text)
        if len(norm) < 2:
            continue
        docs = sum(1 for d in norm_docs if norm in d)
        if docs == 0:
            continue
        for name, lo, hi in BUCKETS:
            length = min(len(norm), 4)
            share = docs / total
            quota = MAX_TERMS_PER_BUCKET // 3
            if (
                lo < share <= hi
                and by_len.get((name, length), 0) < quota + 1
                and len(picked[name]) < MAX_TERMS_PER_BUCKET
            ):
                picked[name].append(Term(text, docs))
                by_len[(name, length)] = by_len.get((name, length), 0) + 1
    return picked


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up: the first run reads pages from disk
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def like_scan(norm_q: str) -> tuple[int, list[int]]:
    """The naive way: LIKE over every chunk's normalised text; the count and the first page."""
    from django.db import connection

    from documents.search.engine import CHUNK

    pattern = "%" + norm_q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT entry_id FROM {CHUNK} WHERE norm LIKE %s ESCAPE '\\' "  # noqa: S608
            "GROUP BY entry_id ORDER BY entry_id DESC",
            [pattern],
        )
        ids = [r[0] for r in cur.fetchall()]
    return len(ids), ids[:PAGE]


def sizes() -> dict[str, float]:
    """Megabytes: the index (tokens) and the stored text (entries and chunks)."""
    from django.db import connection

    mb = 1024 * 1024
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_relation_size('documents_search_gin_tokens')")
            gin = cur.fetchone()[0]
            cur.execute("SELECT pg_relation_size('documents_search_gin')")
            heap = cur.fetchone()[0]
            cur.execute(
                "SELECT pg_total_relation_size('documents_search_gin') "
                "+ pg_total_relation_size('documents_search_chunk') "
                "+ pg_total_relation_size('documents_search_entry')"
            )
            return {"index": gin / mb, "all": cur.fetchone()[0] / mb, "heap": heap / mb}
        cur.execute("PRAGMA page_size")
        page = cur.fetchone()[0]
        try:
            cur.execute(
                "SELECT name, SUM(pgsize) FROM dbstat "
                "WHERE name LIKE 'documents_search_%' GROUP BY name"
            )
            by_name = dict(cur.fetchall())
            fts = sum(v for k, v in by_name.items() if k.startswith("documents_search_fts"))
            return {"index": fts / mb, "all": sum(by_name.values()) / mb}
        except Exception:  # dbstat is an optional SQLite module
            cur.execute("PRAGMA page_count")
            return {"index": float("nan"), "all": cur.fetchone()[0] * page / mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per term")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("KAIRAN_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/",
        default=None,
        help="benchmark on a throwaway database of this PostgreSQL server",
    )
    args = parser.parse_args()
    url = os.environ.get("KAIRAN_DATABASE_URL", "")
    pg_server = args.postgres or (url if url.startswith(("postgres", "postgresql")) else None)

    with tempfile.TemporaryDirectory(prefix="kairan-bench-search-") as tmp:
        throwaway = configure(Path(tmp), pg_server)
        try:
            return run(args)
        finally:
            if pg_server and throwaway:
                drop_database(pg_server, throwaway)


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from documents.search import ALL, Visible, index_replace_all, index_upsert, search
    from documents.search.engine import IndexEntry
    from documents.search.text import normalize, normalize_query

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    docs = generate(args.docs, args.seed)
    generated_s = time.perf_counter() - started
    classes = ("public", "internal", "confidential")
    entries = [
        IndexEntry(
            kind="document",
            object_id=i + 1,
            title=title,
            text=text,
            owner_unit_id=1 + i % 40,
            classification=classes[i % 3],
        )
        for i, (title, text) in enumerate(docs)
    ]

    started = time.perf_counter()
    with transaction.atomic():
        index_replace_all(entries)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE documents_search_gin")  # flushes GIN's pending list
            cur.execute("VACUUM ANALYZE documents_search_chunk")
            cur.execute("VACUUM ANALYZE documents_search_entry")
        else:
            # One b-tree per token instead of the segments of 100 batches: what a nightly
            # "optimize" (or search_reindex) leaves behind.
            cur.execute(
                "INSERT INTO documents_search_fts(documents_search_fts) VALUES ('optimize')"
            )
            cur.execute("ANALYZE")
    settle_s = time.perf_counter() - started
    size = sizes()

    norm_docs = [normalize(t) + "\n" + normalize(x) for t, x in docs]
    terms = pick_terms(norm_docs, candidate_terms(rng), rng)
    staff = {"document": Visible(classified=True, units=[1, 2])}
    visible_to_staff = {
        i + 1 for i in range(len(docs)) if classes[i % 3] != "confidential" or 1 + i % 40 in (1, 2)
    }

    # Exact counts: ours == oracle == LIKE, for every measured term (everyone, and staff).
    mismatches = []
    for bucket in terms.values():
        for term in bucket:
            norm = normalize_query(term.text)
            ours = search(q=term.text, visible={"document": ALL}, limit=PAGE).total
            like = like_scan(norm)[0]
            staff_expected = sum(
                1 for i, d in enumerate(norm_docs) if norm in d and i + 1 in visible_to_staff
            )
            staff_ours = search(q=term.text, visible=staff, limit=PAGE).total
            if not (ours == like == term.docs and staff_ours == staff_expected):
                mismatches.append((term.text, term.docs, ours, like, staff_expected, staff_ours))

    rows = []
    for name, bucket in terms.items():
        if not bucket:
            continue
        ours_all: list[float] = []
        ours_staff: list[float] = []
        like_all: list[float] = []
        for term in bucket:
            norm = normalize_query(term.text)
            ours_all += timed(lambda t=term: search(q=t.text, visible={"document": ALL}), args.runs)
            ours_staff += timed(lambda t=term: search(q=t.text, visible=staff), args.runs)
            like_all += timed(lambda n=norm: like_scan(n), max(1, args.runs // 2))
        rows.append((name, bucket, ours_all, ours_staff, like_all))

    # Indexing one more document (its own transaction, as a service would), then an update.
    gen = JapaneseText(args.seed + 1)
    samples_insert = []
    samples_update = []
    for i in range(INSERT_SAMPLE):
        start = time.perf_counter()
        index_upsert(
            kind="document",
            object_id=10_000_000 + i,
            title=gen.title(),
            text=gen.text(),
            owner_unit_id=1,
            classification="internal",
        )
        samples_insert.append((time.perf_counter() - start) * 1000)
    for i in range(INSERT_SAMPLE):
        start = time.perf_counter()
        index_upsert(
            kind="document",
            object_id=10_000_000 + i,
            title=gen.title(),
            text=gen.text(),
            owner_unit_id=1,
            classification="internal",
        )
        samples_update.append((time.perf_counter() - start) * 1000)

    print_report(
        args,
        connection.vendor,
        generated_s,
        load_s,
        settle_s,
        size,
        rows,
        mismatches,
        samples_insert,
        samples_update,
    )
    return 1 if mismatches else 0


def print_report(
    args, vendor, generated_s, load_s, settle_s, size, rows, mismatches, ins, upd
) -> None:
    engine = "SQLite FTS5" if vendor == "sqlite" else "PostgreSQL tsvector + GIN"
    print(f"### {engine}, {args.docs:,} documents of 200–400 characters (seed {args.seed})\n")
    print(
        "| terms in | terms | docs per term (min–max) | ours p50 / p95 (ms) | "
        "ours as staff p50 / p95 (ms) | LIKE scan p50 / p95 (ms) | LIKE ÷ ours (p50) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for name, bucket, ours, staff, like in rows:
        counts = [t.docs for t in bucket]
        print(
            f"| {name} | {len(bucket)} | {min(counts):,}–{max(counts):,} | "
            f"{pct(ours, 0.5):.1f} / {pct(ours, 0.95):.1f} | "
            f"{pct(staff, 0.5):.1f} / {pct(staff, 0.95):.1f} | "
            f"{pct(like, 0.5):.0f} / {pct(like, 0.95):.0f} | "
            f"{pct(like, 0.5) / pct(ours, 0.5):.0f}× |"
        )
    checked = sum(len(b) for _n, b, *_ in rows)
    print()
    print(
        f"Exact counts: {checked - len(mismatches)} of {checked} terms equal to the Python "
        "substring oracle and to the LIKE scan (everyone and staff visibility)."
    )
    for m in mismatches:
        print(f"  MISMATCH {m}")
    print()
    print("| build | value |")
    print("|---|---:|")
    print(f"| generating the documents (not indexing) | {generated_s:.1f} s |")
    print(f"| bulk load (normalise, chunk, tokenise, insert) | {load_s:.1f} s |")
    settle = "VACUUM ANALYZE" if vendor == "postgresql" else "FTS5 optimize + ANALYZE"
    print(f"| {settle} | {settle_s:.1f} s |")
    print(f"| per document, bulk | {1000 * (load_s + settle_s) / args.docs:.2f} ms |")
    print(f"| index size (tokens only) | {size['index']:.0f} MB |")
    if "heap" in size:
        print(f"| heap the GIN scan visits (documents_search_gin) | {size['heap']:.0f} MB |")
    print(f"| index tables with the stored text | {size['all']:.0f} MB |")
    print(
        f"| one more document, index_upsert p50 / p95 | {pct(ins, 0.5):.2f} / "
        f"{pct(ins, 0.95):.2f} ms |"
    )
    print(f"| re-indexing a document, p50 / p95 | {pct(upd, 0.5):.2f} / {pct(upd, 0.95):.2f} ms |")
    for name, bucket, *_ in rows:
        print(f"\nTerms {name}: " + ", ".join(f"{t.text} ({t.docs:,})" for t in bucket))


if __name__ == "__main__":
    sys.exit(main())
