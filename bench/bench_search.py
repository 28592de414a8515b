"""Search benchmark: 100,000 generated Japanese documents, our bigram index vs a LIKE scan.

Builds the index over ``--docs`` documents of 200–400 characters (tests/documents/japanese.py,
seeded) in a throwaway database, checks exact counts against a Python substring oracle (and
the LIKE scan) for every measured term, then measures query latency (count + first page of 50
with snippets, as the API does) for terms in ≤ 1% and in 1–16% of documents, as an auditor
(everything visible) and as staff (the classification rule), and the same queries as a LIKE
scan. On PostgreSQL also against a ``pg_trgm`` GIN index on the same normalised chunks (what
a PostgreSQL user would pick for substring search), its counts checked against the oracle too.
Also the build time, the index size and the cost of indexing one more document.

The measurement is ``--runs`` rounds over the one index (default 3); each round times every
term ``--samples`` times for our search (12 terms x 42 = 504 samples per bucket: a p95 from at
least 500) and ``--baseline-samples`` times for the LIKE scan and pg_trgm (their p50 only).
Every figure is printed as the median of the rounds with their min–max.

    .venv/bin/python bench/bench_search.py [--docs 100000] [--runs 3] [--samples 42]  # SQLite
    .venv/bin/python bench/bench_search.py --postgres [postgres://user@host:port/]

PostgreSQL: with ``--postgres`` (or when KAIRAN_DATABASE_URL points at PostgreSQL) a throwaway
database ``kairan_bench_search_<pid>`` is created on that server and dropped afterwards; the
database named in the URL is never touched. The pg_trgm extension is created in the throwaway
database, so the role of the URL must be allowed to (the default ``postgres`` role is).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The repository root must be importable first: bench/ is run as a script.
from bench.machine import MIN_P95_SAMPLES, describe, pct, spread  # noqa: E402
from tests.documents.japanese import COMMON, PLACES, TAIL, JapaneseText  # noqa: E402

PAGE = 50
MAX_TERMS_PER_BUCKET = 12
INSERT_SAMPLE = 500
TRGM_INDEX = "bench_search_chunk_norm_trgm"
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


def like_scan(norm_q: str) -> tuple[int, list[int]]:
    """The naive way: LIKE over every chunk's normalised text; the count and the first page.

    The same statement is the pg_trgm baseline once a trigram index exists on the column; the
    LIKE scan proper runs with index scans switched off (``scan_mode("seq")``).
    """
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


def scan_mode(mode: str) -> None:
    """PostgreSQL session planner settings: "seq" forces the LIKE scan, "default" resets."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        if mode == "seq":
            cur.execute("SET enable_bitmapscan = off")
            cur.execute("SET enable_indexscan = off")
        else:
            cur.execute("RESET enable_bitmapscan")
            cur.execute("RESET enable_indexscan")


def build_trgm() -> tuple[float, float]:
    """The pg_trgm GIN index on the chunks' normalised text: (seconds, MB)."""
    from django.db import connection

    from documents.search.engine import CHUNK

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute(f"CREATE INDEX {TRGM_INDEX} ON {CHUNK} USING gin (norm gin_trgm_ops)")
        cur.execute(f"ANALYZE {CHUNK}")
        seconds = time.perf_counter() - started
        cur.execute("SELECT pg_relation_size(%s)", [TRGM_INDEX])
        return seconds, cur.fetchone()[0] / 2**20


def trgm_plan_uses_index(norm_q: str) -> bool:
    """Whether the planner answers this term's LIKE with the trigram index."""
    from django.db import connection

    from documents.search.engine import CHUNK

    pattern = "%" + norm_q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with connection.cursor() as cur:
        cur.execute(
            f"EXPLAIN SELECT entry_id FROM {CHUNK} WHERE norm LIKE %s ESCAPE '\\' "  # noqa: S608
            "GROUP BY entry_id ORDER BY entry_id DESC",
            [pattern],
        )
        return any(TRGM_INDEX in row[0] for row in cur.fetchall())


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
    parser.add_argument("--runs", type=int, default=3, help="measurement rounds (median, min–max)")
    parser.add_argument(
        "--samples", type=int, default=42, help="timed searches per term and round (≤ 16%% terms)"
    )
    parser.add_argument(
        "--samples-large", type=int, default=5, help="timed searches per term, > 16%% terms"
    )
    parser.add_argument(
        "--baseline-samples", type=int, default=3, help="LIKE / pg_trgm runs per term and round"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--prepare-threshold",
        type=int,
        default=None,
        help="PostgreSQL: set OPTIONS['prepare_threshold'] (default: as config/settings.py has it; "
        "a number lets the search run as a prepared statement, docs/search.md)",
    )
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


@dataclass
class Round:
    """One measurement round of one bucket: samples in ms, and per-term p50s."""

    ours: list[float] = field(default_factory=list)
    staff: list[float] = field(default_factory=list)
    like: list[float] = field(default_factory=list)
    trgm: list[float] = field(default_factory=list)
    per_term: dict[str, dict[str, float]] = field(default_factory=dict)


def measure_round(terms: dict, staff: dict, args: argparse.Namespace, with_trgm: bool) -> dict:
    """Every bucket once: ours (everyone, staff), then the LIKE scan, then pg_trgm."""
    import statistics

    from documents.search import ALL, search
    from documents.search.text import normalize_query

    rounds: dict[str, Round] = {}
    for name, bucket in terms.items():
        if not bucket:
            continue
        r = rounds[name] = Round()
        samples = args.samples if not name.startswith(">") else args.samples_large
        for term in bucket:
            everyone = timed(lambda t=term: search(q=t.text, visible={"document": ALL}), samples)
            r.ours += everyone
            r.staff += timed(lambda t=term: search(q=t.text, visible=staff), samples)
            r.per_term[term.text] = {"ours": statistics.median(everyone)}
    scan_mode("seq")
    try:
        for name, bucket in terms.items():
            for term in bucket:
                norm = normalize_query(term.text)
                like = timed(lambda n=norm: like_scan(n), args.baseline_samples)
                rounds[name].like += like
                rounds[name].per_term[term.text]["like"] = statistics.median(like)
    finally:
        scan_mode("default")
    if with_trgm:
        for name, bucket in terms.items():
            for term in bucket:
                norm = normalize_query(term.text)
                trgm = timed(lambda n=norm: like_scan(n), args.baseline_samples)
                rounds[name].trgm += trgm
                rounds[name].per_term[term.text]["trgm"] = statistics.median(trgm)
    return rounds


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    if args.prepare_threshold is not None and connection.vendor == "postgresql":
        connection.settings_dict["OPTIONS"]["prepare_threshold"] = args.prepare_threshold

    from documents.search import ALL, Visible, index_replace_all, index_upsert, search
    from documents.search.engine import IndexEntry
    from documents.search.text import normalize, normalize_query

    machine = describe()
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
    with_trgm = connection.vendor == "postgresql"
    if with_trgm:
        size["trgm_s"], size["trgm"] = build_trgm()

    norm_docs = [normalize(t) + "\n" + normalize(x) for t, x in docs]
    terms = pick_terms(norm_docs, candidate_terms(rng), rng)
    staff = {"document": Visible(classified=True, units=[1, 2])}
    visible_to_staff = {
        i + 1 for i in range(len(docs)) if classes[i % 3] != "confidential" or 1 + i % 40 in (1, 2)
    }

    # Exact counts: ours == oracle == LIKE (== pg_trgm), for every measured term (everyone, and
    # staff); and whether the planner used the trigram index for the term.
    mismatches = []
    trgm_used: dict[str, bool] = {}
    for bucket in terms.values():
        for term in bucket:
            norm = normalize_query(term.text)
            ours = search(q=term.text, visible={"document": ALL}, limit=PAGE).total
            scan_mode("seq")
            like = like_scan(norm)[0]
            scan_mode("default")
            trgm = like_scan(norm)[0] if with_trgm else like
            if with_trgm:
                trgm_used[term.text] = trgm_plan_uses_index(norm)
            staff_expected = sum(
                1 for i, d in enumerate(norm_docs) if norm in d and i + 1 in visible_to_staff
            )
            staff_ours = search(q=term.text, visible=staff, limit=PAGE).total
            if not (ours == like == trgm == term.docs and staff_ours == staff_expected):
                mismatches.append(
                    (term.text, term.docs, ours, like, trgm, staff_expected, staff_ours)
                )

    rounds = []
    for number in range(args.runs):
        rounds.append(measure_round(terms, staff, args, with_trgm))
        print(f"round {number + 1} of {args.runs} done", file=sys.stderr, flush=True)

    if with_trgm:  # the upserts below measure our index alone
        with connection.cursor() as cur:
            cur.execute(f"DROP INDEX {TRGM_INDEX}")

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
        machine,
        (generated_s, load_s, settle_s),
        size,
        terms,
        rounds,
        trgm_used,
        mismatches,
        samples_insert,
        samples_update,
    )
    return 1 if mismatches else 0


def _p95(samples: list[float]) -> float | None:
    return pct(samples, 0.95) if len(samples) >= MIN_P95_SAMPLES else None


def print_report(
    args, vendor, machine, times, size, terms, rounds, trgm_used, mismatches, ins, upd
) -> None:
    import statistics

    from documents.search.text import normalize_query

    generated_s, load_s, settle_s = times
    with_trgm = bool(trgm_used)
    engine = "SQLite FTS5" if vendor == "sqlite" else "PostgreSQL tsvector + GIN"
    print(f"### {engine}, {args.docs:,} documents of 200–400 characters (seed {args.seed})\n")
    print(f"Machine: {machine}.\n")
    if vendor == "postgresql":
        from django.db import connection

        threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold")
        prepared = "a prepared statement" if threshold is not None else "not prepared"
        print(f"`prepare_threshold`: {threshold} (the search is {prepared}).\n")
    print(
        f"Median of {len(rounds)} rounds (min–max); ms. Ours: {args.samples} searches per term "
        f"and round ({args.samples_large} for > 16%), a p95 only from ≥ {MIN_P95_SAMPLES} "
        f"samples; LIKE scan{' and pg_trgm' if with_trgm else ''}: {args.baseline_samples} "
        "per term and round, p50 only.\n"
    )
    head = "| terms in | terms | docs per term | samples a round | ours p50 | ours p95 |"
    head += " as staff p50 | as staff p95 | LIKE p50 | LIKE ÷ ours |"
    rule = "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    if with_trgm:
        head += " pg_trgm p50 | pg_trgm ÷ ours |"
        rule += "---:|---:|"
    print(head)
    print(rule)
    for name, bucket in terms.items():
        if not bucket:
            continue
        per = [r[name] for r in rounds]
        counts = [t.docs for t in bucket]
        ours50 = [pct(r.ours, 0.5) for r in per]
        like50 = [pct(r.like, 0.5) for r in per]
        line = (
            f"| {name} | {len(bucket)} | {min(counts):,}–{max(counts):,} | {len(per[0].ours)} | "
            f"{spread(ours50)} | {spread([_p95(r.ours) for r in per])} | "
            f"{spread([pct(r.staff, 0.5) for r in per])} | "
            f"{spread([_p95(r.staff) for r in per])} | {spread(like50, '{:.0f}')} | "
            f"{spread([lk / o for lk, o in zip(like50, ours50, strict=True)], '{:.0f}×')} |"
        )
        if with_trgm:
            trgm50 = [pct(r.trgm, 0.5) for r in per]
            line += (
                f" {spread(trgm50)} | "
                f"{spread([t / o for t, o in zip(trgm50, ours50, strict=True)], '{:.1f}×')} |"
            )
        print(line)
    checked = sum(len(b) for b in terms.values())
    print()
    print(
        f"Exact counts: {checked - len(mismatches)} of {checked} terms equal to the Python "
        "substring oracle and to the LIKE scan"
        + (" and pg_trgm" if with_trgm else "")
        + " (everyone; ours also as staff)."
    )
    for m in mismatches:
        print(f"  MISMATCH {m}")

    print("\nPer term, everyone, ms (median over rounds of each round's per-term median):\n")
    head = "| bucket | term | chars | docs | ours p50 | LIKE p50 |"
    rule = "|---|---|---:|---:|---:|---:|"
    if with_trgm:
        head += " pg_trgm p50 | trigram index used | pg_trgm ÷ ours |"
        rule += "---:|---|---:|"
    print(head)
    print(rule)
    for name, bucket in terms.items():
        for term in bucket:
            values = {
                k: statistics.median(r[name].per_term[term.text][k] for r in rounds)
                for k in rounds[0][name].per_term[term.text]
            }
            line = (
                f"| {name.split(' (')[0]} | {term.text} | {len(normalize_query(term.text))} | "
                f"{term.docs:,} | {values['ours']:.1f} | {values['like']:.0f} |"
            )
            if with_trgm:
                line += (
                    f" {values['trgm']:.1f} | {'yes' if trgm_used[term.text] else 'no'} | "
                    f"{values['trgm'] / values['ours']:.1f}× |"
                )
            print(line)

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
    if "trgm" in size:
        print(
            f"| pg_trgm GIN index on the chunks' text: build / size | {size['trgm_s']:.1f} s / "
            f"{size['trgm']:.0f} MB |"
        )
    print(
        f"| one more document, index_upsert p50 / p95 ({len(ins)}) | {pct(ins, 0.5):.2f} / "
        f"{pct(ins, 0.95):.2f} ms |"
    )
    print(
        f"| re-indexing a document, p50 / p95 ({len(upd)}) | {pct(upd, 0.5):.2f} / "
        f"{pct(upd, 0.95):.2f} ms |"
    )


if __name__ == "__main__":
    sys.exit(main())
