"""Benchmark the large place gazetteer (kg/data/gazetteer.tsv.gz, read by
`kg.extract.lexicon.gazetteer_place`): how long a process waits for it on the first lookup,
lookups per second after, and, for comparison, what reading the whole table into a dict would
cost. Not a test: it prints numbers.

    python benchmarks/gazetteer.py
    python benchmarks/gazetteer.py --loads 20 --lookups 200000
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not

import kg.data  # noqa: E402
from kg.extract import lexicon  # noqa: E402

TABLE = ROOT / "kg" / "data" / lexicon.GAZETTEER
# As the statistical extractor would ask: places, and names the model tags GPE that are not.
NAMES = ("Cambridge", "Kidlington", "Palo Alto", "São Paulo", "Hebei", "Petronas", "Novatek")


def main() -> int:
    args = _arguments()
    names = _table_names()
    loads = [_first_lookup_seconds() for _ in range(args.loads)]
    print(f"table: {len(names):,} names, {TABLE.stat().st_size:,} bytes")
    print(
        f"load (first lookup: read, block index, two blocks): median "
        f"{statistics.median(loads) * 1e3:.1f} ms, min {min(loads) * 1e3:.1f} ms, "
        f"max {max(loads) * 1e3:.1f} ms over {args.loads} loads"
    )
    asked = [NAMES[i % len(NAMES)] for i in range(args.lookups)]
    print(f"lookups, the same few names: {_per_second(asked):,.0f}/s")
    spread = random.Random(0).choices(names, k=args.lookups)
    _clear()
    print(f"lookups, random names of the table, from cold: {_per_second(spread):,.0f}/s")
    print(f"lookups, the same random names again: {_per_second(spread):,.0f}/s")
    start = time.perf_counter()
    _as_dict()
    print(
        f"for comparison, the whole table read into a dict: "
        f"{(time.perf_counter() - start) * 1e3:.0f} ms"
    )
    return 0


def _clear() -> None:
    kg.data._packed.cache_clear()
    kg.data._packed_lines.cache_clear()


def _first_lookup_seconds() -> float:
    lexicon.place(NAMES[0])  # the small tables, which a process reads anyway, are not timed
    _clear()
    start = time.perf_counter()
    lexicon.gazetteer_place(NAMES[0])
    return time.perf_counter() - start


def _per_second(names: list[str]) -> float:
    lookup: Callable[[str], object] = lexicon.gazetteer_place
    start = time.perf_counter()
    for name in names:
        lookup(name)
    return len(names) / (time.perf_counter() - start)


def _as_dict() -> dict[str, str]:
    lines = gzip.decompress(TABLE.read_bytes()).decode("utf-8").split("\n")
    return dict(line.split("\t", 1) for line in lines if line and not line.startswith("#"))


def _table_names() -> list[str]:
    """The names of the table (the lines of two columns; a place's line has five)."""
    lines = gzip.decompress(TABLE.read_bytes()).decode("utf-8").split("\n")
    return [
        line.split("\t")[0] for line in lines if line.count("\t") == 1 and not line.startswith("#")
    ]


def _arguments() -> argparse.Namespace:
    return lookup_arguments(__doc__)


def lookup_arguments(doc: str | None) -> argparse.Namespace:
    """--loads and --lookups, shared by the table benchmarks (gazetteer, names)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=10, help="times the table is read afresh")
    parser.add_argument("--lookups", type=int, default=100_000, help="lookups timed after")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
