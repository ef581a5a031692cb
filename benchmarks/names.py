"""Benchmark the given-name table (kg/data/given_names_world.txt): how long a process waits for
it on the first lookup, and how long a lookup takes after. Not a test: it prints numbers.

    python benchmarks/names.py
    python benchmarks/names.py --loads 20 --lookups 200000
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not

from gazetteer import lookup_arguments  # noqa: E402

from kg.extract import lexicon  # noqa: E402

# Names that are in the table and words that are not, as the extractor would ask about them.
WORDS = ("Jean-Claude", "Małgorzata", "Joaquín", "Subramanian", "Kwasi", "Petronas", "Molson")


def main() -> int:
    args = lookup_arguments(__doc__)
    loads = [_load_seconds() for _ in range(args.loads)]
    per_lookup = _lookup_seconds(args.lookups)
    table = ROOT / "kg" / "data" / "given_names_world.txt"
    print(f"table: {len(lexicon.given_names_world()):,} names, {table.stat().st_size:,} bytes")
    print(
        f"load (first lookup): median {statistics.median(loads) * 1e3:.1f} ms, "
        f"min {min(loads) * 1e3:.1f} ms, max {max(loads) * 1e3:.1f} ms over {args.loads} loads"
    )
    print(f"lookup after: {per_lookup * 1e6:.2f} µs each ({args.lookups:,} lookups)")
    return 0


def _load_seconds() -> float:
    lexicon.given_names_world.cache_clear()
    start = time.perf_counter()
    lexicon.is_given_name(WORDS[0])
    return time.perf_counter() - start


def _lookup_seconds(lookups: int) -> float:
    words = [WORDS[i % len(WORDS)] for i in range(lookups)]
    lexicon.is_given_name(WORDS[0])  # loaded before the clock starts
    start = time.perf_counter()
    for word in words:
        lexicon.is_given_name(word)
    return (time.perf_counter() - start) / lookups


if __name__ == "__main__":
    sys.exit(main())
