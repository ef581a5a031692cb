"""Benchmark kg's two extractors: the cost per article of each stage with the statistical
extractor (spaCy en_core_web_sm and kg's rules) and with the rules alone, and whether spaCy's
`nlp.pipe` over a batch of articles costs less per article than one call each. Not a test: it
prints CPU milliseconds per article.

    python benchmarks/extract.py                         # both extractors, 3 rounds
    python benchmarks/extract.py --extractor rules --rounds 10

The articles are the shared articles (../shared/articles, skipped with a message when absent)
and examples/xiongan-innovation.txt, each built `--rounds` times. Each extractor runs in a fresh
spawned process through benchmarks/corpus.py's `run_kg`: ingest, extract (`extract_record` with
that extractor, then `link_record`), map, validate, serialize (Turtle and JSON-LD), write. The
statistical extractor's extract stage is split into the model's share (the spaCy parse) and the
rules' (the rest of extraction, and linking). What a process pays once is reported apart and
not counted per article: the model load (import spacy, load en_core_web_sm) and a first,
untimed build of the example (kg's tables, the shapes, the model's first call).

Times are CPU time (`time.process_time`), which the shared machine disturbs less than
wall-clock time; the batch comparison prints both.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not
sys.path.insert(0, str(HERE))

from articles import SHARED  # noqa: E402
from corpus import Run, add_shacl_engine, in_child, run_kg  # noqa: E402

from kg.extract import EXTRACTORS  # noqa: E402

EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
BATCH_SIZES = (1, 8, 32)
# Table rows: label, and the key of `per_article`'s result.
ROWS = (
    ("ingest", "ingest"),
    ("extract: model (spaCy parse)", "model"),
    ("extract: rules and link", "rules"),
    ("map", "map"),
    ("validate", "validate"),
    ("serialize (Turtle, JSON-LD)", "serialize"),
    ("write", "write"),
)


@dataclass
class ExtractorRun(Run):
    """`run_kg` with one extractor over every round, and what the process paid once."""

    model_seconds: float = 0.0  # the spaCy parses, part of stages["extract"]
    load_seconds: float = 0.0  # CPU time of import spacy and the model load
    load_wall_seconds: float = 0.0
    warmup_seconds: float = 0.0  # CPU time of the first, untimed build
    groups: dict[str, tuple[int, float]] = field(default_factory=dict)  # articles, CPU seconds
    batches: dict[str, tuple[float, float]] = field(default_factory=dict)  # CPU s, wall s


def main() -> int:
    args = _arguments()
    os.environ["KG_SHACL_ENGINE"] = args.shacl_engine  # the spawned processes read it
    files = bench_articles()
    extractors = EXTRACTORS if args.extractor == "both" else (args.extractor,)
    print(
        f"{len(files)} articles x {args.rounds} rounds, kg's SHACL engine: {args.shacl_engine}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="kg-bench-extract-") as work:
        runs = [
            in_child(
                functools.partial(measure, extractor=name, rounds=args.rounds),
                files,
                Path(work) / name,
            )
            for name in extractors
        ]
    print_stages(runs, args.rounds)
    for run in runs:
        if run.batches:
            print_batches(run, len(files), args.rounds)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--extractor",
        choices=(*EXTRACTORS, "both"),
        default="both",
        help="the extractor to measure (both)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="times each article is built and parsed (3)"
    )
    add_shacl_engine(parser)
    return parser.parse_args()


def bench_articles() -> list[Path]:
    """The shared articles and the example; the example alone without ../shared/articles."""
    if not SHARED.is_dir():
        print(f"{SHARED} not found: skipping the shared articles, the example alone", flush=True)
        return [EXAMPLE]
    return [*sorted(SHARED.glob("*.txt")), EXAMPLE]


# --- in the spawned process ----------------------------------------------------------------------


class _ParseTimer:
    """Stands in for the `parse` that kg.extract.assemble calls and adds up the CPU time of each
    spaCy parse: kg has no hook for it, and timing the parse apart would parse every article
    twice."""

    def __init__(self) -> None:
        from kg.extract import assemble, pipeline

        self.seconds = 0.0
        self._parse = pipeline.parse
        assemble.parse = self

    def __call__(self, text: str) -> Any:
        started = time.process_time()
        doc = self._parse(text)
        self.seconds += time.process_time() - started
        return doc


def measure(files: list[Path], out: Path, extractor: str, rounds: int) -> ExtractorRun:
    """kg stage by stage with `extractor` over `files`, `rounds` times; for the statistical
    extractor, also the spaCy parse of the article texts one by one and in batches."""
    run = ExtractorRun(extractor)
    if extractor == "statistical":
        from kg.extract.pipeline import load_pipeline

        cpu, wall = time.process_time(), time.perf_counter()
        load_pipeline()  # imports spacy and loads the model; cached for the process
        run.load_seconds = time.process_time() - cpu
        run.load_wall_seconds = time.perf_counter() - wall
    started = time.process_time()
    run_kg([EXAMPLE], out, extractor)
    run.warmup_seconds = time.process_time() - started
    parses = _ParseTimer()
    groups = {
        "shared articles": [path for path in files if path != EXAMPLE],
        "the example": [path for path in files if path == EXAMPLE],
    }
    for _ in range(rounds):
        for group, paths in groups.items():
            if paths:
                _add(run, group, run_kg(paths, out, extractor, time.process_time))
    run.model_seconds = parses.seconds
    if extractor == "statistical":
        run.batches = parse_batches(files, rounds)
    return run


def _add(run: ExtractorRun, group: str, part: Run) -> None:
    run.articles += part.articles
    run.failed += part.failed
    run.triples += part.triples
    for stage, seconds in part.stages.items():
        run.stages[stage] = run.stages.get(stage, 0.0) + seconds
    count, seconds = run.groups.get(group, (0, 0.0))
    run.groups[group] = (count + part.articles + part.failed, seconds + sum(part.stages.values()))


def parse_batches(files: list[Path], rounds: int) -> dict[str, tuple[float, float]]:
    """CPU and wall-clock seconds of parsing every article text `rounds` times: one `nlp(text)`
    call each, and `nlp.pipe` in batches of each of BATCH_SIZES."""
    from kg.extract.pipeline import load_pipeline
    from kg.ingest import read_article

    nlp = load_pipeline()
    texts = [read_article(path).text for path in files]
    ways: dict[str, Callable[[], object]] = {
        "nlp(text), one call each": lambda: [nlp(text) for text in texts],
        **{
            f"nlp.pipe, batch {size}": functools.partial(_pipe, nlp, texts, size)
            for size in BATCH_SIZES
        },
    }
    totals = dict.fromkeys(ways, (0.0, 0.0))
    # Round by round, every way in turn: a change in the machine's load touches them all alike.
    for _ in range(rounds):
        for name, parse_all in ways.items():
            cpu, wall = time.process_time(), time.perf_counter()
            parse_all()
            spent = (time.process_time() - cpu, time.perf_counter() - wall)
            totals[name] = (totals[name][0] + spent[0], totals[name][1] + spent[1])
    return totals


def _pipe(nlp: Any, texts: list[str], size: int) -> list[Any]:
    return list(nlp.pipe(texts, batch_size=size))


# --- the tables ----------------------------------------------------------------------------------


def per_article(run: ExtractorRun) -> dict[str, float]:
    """Milliseconds per article of each row of ROWS."""
    count = max(run.articles + run.failed, 1)
    ms = {stage: 1000 * seconds / count for stage, seconds in run.stages.items()}
    ms["model"] = 1000 * run.model_seconds / count
    ms["rules"] = ms.pop("extract", 0.0) - ms["model"]
    return ms


def print_stages(runs: list[ExtractorRun], rounds: int) -> None:
    print("\nCPU ms per article, and the share of the article's total")
    print(f"{'stage':<34}" + "".join(f"{run.name:>14}{'share':>8}" for run in runs))
    tables = [per_article(run) for run in runs]
    totals = [sum(table.values()) for table in tables]
    for label, key in ROWS:
        cells = "".join(
            f"{table[key]:>14.2f}{100 * table[key] / total:>7.1f}%" if table.get(key) else
            f"{'-':>14}{'-':>8}"
            for table, total in zip(tables, totals, strict=True)
        )  # fmt: skip
        print(f"{label:<34}{cells}")
    print(f"{'total':<34}" + "".join(f"{total:>14.2f}{'100%':>8}" for total in totals))
    for group, (count, _) in runs[0].groups.items():
        label = f"total, {group} ({count // rounds})"
        print(f"{label:<34}" + "".join(_group_cell(run, group) for run in runs))
    rows: list[tuple[str, Callable[[ExtractorRun], str]]] = [
        ("model load, once (CPU s, wall s)",
         lambda r: f"{r.load_seconds:.2f}, {r.load_wall_seconds:.2f}" if r.load_seconds else "-"),
        ("first build, once (CPU s)", lambda r: f"{r.warmup_seconds:.2f}"),
        ("articles built (failed)", lambda r: f"{r.articles} ({r.failed})"),
        ("triples per article", lambda r: f"{r.triples / max(r.articles, 1):,.0f}"),
        ("process CPU s, peak RSS MB", lambda r: f"{r.cpu_seconds:.1f}, {r.peak_rss_mb:.0f}"),
    ]  # fmt: skip
    for label, cell in rows:
        print(f"{label:<34}" + "".join(f"{cell(run):>14}{'':>8}" for run in runs))


def _group_cell(run: ExtractorRun, group: str) -> str:
    count, seconds = run.groups.get(group, (0, 0.0))
    return f"{1000 * seconds / count:>14.2f}{'':>8}" if count else f"{'-':>14}{'':>8}"


def print_batches(run: ExtractorRun, articles: int, rounds: int) -> None:
    count = articles * rounds
    one_by_one = next(iter(run.batches.values()))[0]
    print(f"\nspaCy parse ({run.name} extractor), ms per article: {articles} texts x {rounds}")
    print(f"{'how':<34}{'CPU ms':>14}{'wall ms':>14}{'CPU vs one call each':>24}")
    for name, (cpu, wall) in run.batches.items():
        ratio = f"{cpu / one_by_one:.2f}x"
        print(f"{name:<34}{1000 * cpu / count:>14.2f}{1000 * wall / count:>14.2f}{ratio:>24}")


if __name__ == "__main__":
    sys.exit(main())
