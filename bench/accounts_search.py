"""Account search latency on a large database, through ``AccountQueries.search``.

Loads ``--rows`` accounts (default 1,000,000), each with a billing contact, a phone
number and a city, into a database made by the real migrations (see ``_dataset.py``),
then times the service's ``search()`` — the first 50 matches by name, as the list asks
for them — for:

* prefixes: the first 3-5 characters of real names;
* numbers: exact account numbers;
* substrings: 4-6 characters from inside a real name (the text index);
* phones: 7 digits from inside a real phone number, typed without punctuation;
* common prefixes and fragments ("a", "billing", "ing", …) whose matches run into the
  hundreds of thousands.

The median of ``--queries`` of each. The same queries run against a ``--baseline-rows``
database (default 10,000) built the same way in the same run, so the ratio shows how
search scales on this (noisy, shared) machine. SQLite always; PostgreSQL too when
``W365DESK_TEST_DATABASE_URL`` names a server (a throw-away database is made on it).

Run from the repository root:

    .venv/bin/python bench/accounts_search.py [--rows N]

Last line: ``RESULT rows=<n> prefix_ms=… number_ms=… substring_ms=… phone_ms=…`` (SQLite),
with ``pg_substring_ms=… pg_phone_ms=…`` added when PostgreSQL was measured.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _dataset import Dataset, build_dataset, fresh_postgres_url

from w365desk.db.engine import make_session_factory
from w365desk.db.search_index import phone_digits
from w365desk.services.accounts import AccountQueries

SEARCH_LIMIT = 50
COMMON_QUERIES = ("a", "s", "billing", "ap", "office@", "maria.", "acc", "ing", "ser")
KINDS = ("prefix", "number", "substring", "phone", "common")


def _median_ms(queries: list[str], search: Callable[[str], Any]) -> float:
    timings = []
    for query in queries:
        started = time.perf_counter()
        result = search(query)
        timings.append((time.perf_counter() - started) * 1000)
        if not result:
            raise AssertionError(f"search for {query!r} found nothing; the bench is broken")
    return statistics.median(timings)


def _fragment(rng: random.Random, name: str) -> str:
    """4-6 characters from inside one of the name's words, as someone half-remembers it."""
    word = max(name.split(), key=len)
    length = min(rng.randint(4, 6), len(word))
    start = rng.randint(0, len(word) - length)
    return word[start : start + length]


def measure(dataset: Dataset, queries: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    picks = [rng.randrange(dataset.rows) for _ in range(queries)]
    workload = {
        "prefix": [dataset.names[i][: rng.randint(3, 5)] for i in picks],
        "number": [dataset.numbers[i].lower() for i in picks],
        "substring": [_fragment(rng, dataset.names[i]) for i in picks],
        "phone": [phone_digits(dataset.phones[i])[3:10] for i in picks],
        "common": [COMMON_QUERIES[i % len(COMMON_QUERIES)] for i in range(max(queries // 4, 9))],
    }
    service = AccountQueries(make_session_factory(dataset.engine))

    def search(query: str) -> Any:
        return service.search(query, limit=SEARCH_LIMIT)

    for kind in ("prefix", "number", "substring", "phone"):  # warm the cache and the pool
        for query in workload[kind][:10]:
            search(query)
    return {kind: _median_ms(workload[kind], search) for kind in KINDS}


def _report(label: str, rows: int, figures: dict[str, float]) -> None:
    print(f"{label} rows={rows} " + " ".join(f"{k}_ms={figures[k]:.3f}" for k in KINDS))


def run(url: str, label: str, args: argparse.Namespace) -> dict[str, float]:
    """Baseline and large database on one backend; the large figures."""
    baseline = build_dataset(url("baseline"), args.baseline_rows, seed=2)
    base = measure(baseline, args.queries, seed=3)
    baseline.engine.dispose()
    _report(f"{label} baseline", args.baseline_rows, base)
    large = build_dataset(url("large"), args.rows, seed=4)
    print(f"{label} loaded {args.rows} accounts + contacts in {large.load_seconds:.1f} s")
    figures = measure(large, args.queries, seed=5)
    large.engine.dispose()
    _report(label, args.rows, figures)
    print(
        f"{label} scaling {args.rows}/{args.baseline_rows} rows: "
        + ", ".join(f"{k} x{figures[k] / base[k]:.2f}" for k in KINDS)
        + " (1.00 = no slower on the larger database)"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="w365desk-bench-") as workdir_name:
        workdir = Path(workdir_name)
        # Everything this run writes stays in the temporary directory.
        os.environ["W365DESK_DATA_DIR"] = str(workdir / "data")
        sqlite = run(
            lambda name: f"sqlite:///{(workdir / f'{name}.sqlite3').as_posix()}", "sqlite", args
        )
        result = (
            f"RESULT rows={args.rows} prefix_ms={sqlite['prefix']:.3f} "
            f"number_ms={sqlite['number']:.3f} substring_ms={sqlite['substring']:.3f} "
            f"phone_ms={sqlite['phone']:.3f}"
        )
        server = os.environ.get("W365DESK_TEST_DATABASE_URL")
        if server:
            droppers = []

            def pg_url(name: str) -> str:
                url, drop = fresh_postgres_url(server, f"w365_bench_search_{name}")
                droppers.append(drop)
                return url

            try:
                pg = run(pg_url, "postgresql", args)
            finally:
                for drop in droppers:
                    drop()
            result += f" pg_substring_ms={pg['substring']:.3f} pg_phone_ms={pg['phone']:.3f}"
        print(result)


if __name__ == "__main__":
    main()
