"""Benchmark kg over a corpus: each stage, end to end, and the plain rdflib + pySHACL stack on the
same articles. Not a test: it prints articles per second, triples per second and peak memory.

    python benchmarks/corpus.py --articles 1000
    python benchmarks/corpus.py --articles 200 --jobs 4 --keep bench-corpus/
    python benchmarks/corpus.py --articles 10000 --plain-articles 1000

The corpus is `--articles` article files made from the shared articles (or examples/ without
them) by `benchmarks/articles.py`: people renamed, amounts changed, paragraphs reordered, and
each its own URL, so its own article IRI. Each pipeline runs in a child process of its own, so
its peak RSS is its own and neither warms the other's caches; start-up (imports, shapes) is
inside the timing.

- **kg**: per article, the stages one after the other — ingest (`read_article`), extract
  (`extract_record`, `link_record`), map, validate (kg's shapes), serialize (Turtle and
  JSON-LD, `render_outputs`), write (atomic) — the time of each summed over the corpus.
- **kg -j N statistical**, **kg -j N rules**: `kg.build_corpus` (what `kg build DIR -j N
  --combined` runs) with each extractor in turn (`--extractors`): the same stages in N worker
  processes, plus the combined N-Quads file; its peak RSS is the largest process's.
- **kg --dask ADDRESS** (with `--dask`): the same on a Dask cluster, `local` for `--jobs`
  processes here, plus N-Quads shards of 1,000 articles: each article read here, built on a
  worker and its files sent back and written here.
- **plain**: what a script with the usual libraries does for the same articles: kg's extractor
  and mapper give the rdflib graph, then `pyshacl.validate` with the shapes file, rdflib's Turtle
  writer and rdflib's JSON-LD writer (with kg's context), each file written (kg also syncs each
  file to disk before renaming it into place, which the plain script does not).

`KG_FAST=0` in the environment turns kg's fast paths off (they must give the same bytes).
`--shacl-engine` picks kg's SHACL engine: turbo (pyshacl-turbo, the same findings as pySHACL,
see tests/test_turbo.py) when it is installed, else pySHACL; the plain pipeline always uses
pySHACL.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not
sys.path.insert(0, str(HERE))

from articles import source_articles, variant_text  # noqa: E402

from kg.extract import EXTRACTORS  # noqa: E402

STAGES = ("ingest", "extract", "map", "validate", "serialize", "write")


@dataclass
class Run:
    """One pipeline over the corpus: seconds per stage, totals and the child's peak RSS."""

    name: str
    articles: int = 0
    triples: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # the largest of the process and its (finished) workers
    cpu_seconds: float = 0.0  # of the process and its workers
    stages: dict[str, float] = field(default_factory=dict)
    failed: int = 0


R = TypeVar("R", bound=Run)  # a pipeline's own kind of Run (benchmarks/extract.py adds fields)


def main() -> int:
    args = _arguments()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kg-bench-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    # Through the environment: the spawned pipelines and their workers all read it.
    os.environ["KG_SHACL_ENGINE"] = args.shacl_engine
    print(f"kg's SHACL engine: {args.shacl_engine}", flush=True)
    try:
        files = make_corpus(args.articles, work / "articles")
        runs = [] if args.no_stages else [in_child(run_kg, files, work / "kg")]
        if not args.no_plain:
            # The plain stack takes about 0.4 s an article: at 10,000 a sample says as much.
            sample = files[: args.plain_articles] if args.plain_articles else files
            runs.append(in_child(run_plain, sample, work / "plain"))
        for extractor in args.extractors:
            corpus = functools.partial(run_kg_corpus, jobs=args.jobs, extractor=extractor)
            runs.append(in_child(corpus, files, work / f"corpus-{extractor}"))
        if args.dask:
            on_dask = functools.partial(run_kg_corpus, jobs=args.jobs, dask=args.dask)
            runs.append(in_child(on_dask, files, work / "dask"))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(runs)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles in the corpus (1000)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument(
        "--no-plain", action="store_true", help="skip the plain pipeline (kg's numbers only)"
    )
    parser.add_argument(
        "--no-stages",
        action="store_true",
        help="skip kg stage by stage in one process (kg build -j N alone, e.g. for memory)",
    )
    parser.add_argument(
        "--plain-articles",
        type=int,
        metavar="N",
        help="run the plain pipeline on the first N articles only (rates are per article)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="kg build -j N (the CPUs)"
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="also kg build --dask ADDRESS (local: a cluster of --jobs processes here), shards "
        "and the combined file; needs the dask extra",
    )
    parser.add_argument(
        "--extractors",
        type=lambda names: tuple(names.split(",")),
        default=EXTRACTORS,
        help="the extractors to run kg build -j N with, in turn (statistical,rules)",
    )
    add_shacl_engine(parser)
    return parser.parse_args()


def add_shacl_engine(parser: argparse.ArgumentParser) -> None:
    """--shacl-engine, for this benchmark and benchmarks/extract.py."""
    parser.add_argument(
        "--shacl-engine",
        choices=("pyshacl", "turbo"),
        default="turbo" if importlib.util.find_spec("pyshacl_turbo") else "pyshacl",
        help="kg's SHACL engine (default: turbo when installed)",
    )


# --- the corpus ----------------------------------------------------------------------------------


def make_corpus(count: int, folder: Path) -> list[Path]:
    """`count` article files, variants of the source articles."""
    import kg

    started = time.monotonic()
    sources = source_articles()
    texts = [path.read_text("utf-8") for path in sources]
    # The rules' people: the same corpus whatever the default extractor, and no model in this
    # process, whose peak RSS every child it starts would inherit (Linux counts a parent's peak
    # at the child's exec), and so every run's peak RSS.
    people = [[p.name for p in kg.extract_file(path, extractor="rules").people] for path in sources]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        s = i % len(sources)
        path = folder / f"{i:06d}-{sources[s].stem}.txt"
        path.write_text(variant_text(texts[s], i, people[s]), "utf-8")
        files.append(path)
    seconds = time.monotonic() - started
    print(f"{count} articles from {len(sources)} sources made in {seconds:.1f} s", flush=True)
    return files


def in_child(pipeline: Callable[[list[Path], Path], R], files: list[Path], out: Path) -> R:
    """Run a pipeline in a fresh process (spawned: nothing inherited) and return its numbers."""
    # Not a multiprocessing.Pool: its processes are daemons, which may not start workers.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        run: R = pool.submit(_timed, pipeline, files, out).result()
    print(f"{run.name}: {run.articles} articles in {run.seconds:.1f} s", flush=True)
    return run


def _timed(pipeline: Callable[[list[Path], Path], R], files: list[Path], out: Path) -> R:
    started = time.monotonic()
    run = pipeline(files, out)
    run.seconds = time.monotonic() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.peak_rss_mb = max(own.ru_maxrss, workers.ru_maxrss) / 1024
    # CPU time says more than wall-clock time on a busy machine (start-up included).
    run.cpu_seconds = sum(u.ru_utime + u.ru_stime for u in (own, workers))
    return run


class _Clock:
    """Adds the time since the last tick to a stage's total (wall-clock, or CPU time with
    `timer=time.process_time`)."""

    def __init__(
        self, totals: dict[str, float], timer: Callable[[], float] = time.perf_counter
    ) -> None:
        self.totals = totals
        self.timer = timer
        self.last = timer()

    def tick(self, stage: str) -> None:
        now = self.timer()
        self.totals[stage] = self.totals.get(stage, 0.0) + now - self.last
        self.last = now


# --- the two pipelines ---------------------------------------------------------------------------


def mapped(path: Path, clock: _Clock, extractor: str | None = None) -> Any:
    """The article's rdflib graph, as both pipelines make it: kg's ingest, extractor (the
    default one unless named) and mapper."""
    from kg.extract import DEFAULT_EXTRACTOR, extract_record
    from kg.ingest import read_article
    from kg.link import link_record
    from kg.mapping import map_record

    article = read_article(path)
    clock.tick("ingest")
    record = link_record(extract_record(article, extractor or DEFAULT_EXTRACTOR), None)
    clock.tick("extract")
    graph = map_record(record)
    clock.tick("map")
    return graph


def run_kg(
    files: list[Path],
    out: Path,
    extractor: str | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> Run:
    from kg.files import ensure_dir, write_all_atomic
    from kg.serialize import render_outputs
    from kg.validate import validate_graph

    run = Run("kg")
    ensure_dir(out)
    for path in files:
        clock = _Clock(run.stages, timer)
        graph = mapped(path, clock, extractor)
        report = validate_graph(graph)
        clock.tick("validate")
        if not report.conforms:
            run.failed += 1
            continue
        outputs = render_outputs(graph, path.stem)
        clock.tick("serialize")
        write_all_atomic({out / name: data for name, data in outputs.items()})
        clock.tick("write")
        run.articles += 1
        run.triples += len(graph)
    return run


def run_kg_corpus(
    files: list[Path],
    out: Path,
    jobs: int,
    dask: str | None = None,
    extractor: str | None = None,
) -> Run:
    from kg.corpus import build_corpus

    report = build_corpus(
        files, out, jobs=jobs, combined=out / "corpus.nq", dask=dask, extractor=extractor
    )
    run = Run(f"kg -j {jobs}" if dask is None else f"kg --dask {dask} -j {jobs}")
    run.name += f" {extractor}" if extractor else " (build_corpus)"
    run.articles = len(report.built)
    run.failed = len(report.failed)
    run.triples = sum(a.counts.get("triples", 0) for a in report.built)
    return run


def run_plain(files: list[Path], out: Path) -> Run:
    import json

    import pyshacl

    shapes = ROOT / "shapes" / "kg.shacl.ttl"
    context = json.loads((ROOT / "ontology" / "context.jsonld").read_text("utf-8"))["@context"]
    run = Run("plain rdflib + pySHACL")
    out.mkdir(parents=True, exist_ok=True)
    for path in files:
        clock = _Clock(run.stages)
        graph = mapped(path, clock)
        conforms, _, _ = pyshacl.validate(
            graph, shacl_graph=str(shapes), allow_warnings=True, do_owl_imports=False
        )
        clock.tick("validate")
        if not conforms:
            run.failed += 1
            continue
        turtle = graph.serialize(format="turtle", encoding="utf-8")
        jsonld = graph.serialize(format="json-ld", context=context, encoding="utf-8")
        clock.tick("serialize")
        (out / f"{path.stem}.ttl").write_bytes(turtle)
        (out / f"{path.stem}.jsonld").write_bytes(jsonld)
        clock.tick("write")
        run.articles += 1
        run.triples += len(graph)
    return run


# --- the table -----------------------------------------------------------------------------------


def print_table(runs: list[Run]) -> None:
    kg_run = runs[0]  # kg stage by stage (with --no-stages, a run without stages: no ratios)
    plain = next((run for run in runs if run.name.startswith("plain")), None)
    print()
    print(f"{'':<22}" + "".join(f"{run.name:>26}" for run in runs))
    for stage in STAGES:
        cells = "".join(_stage_cell(run, stage) for run in runs)
        if plain is None:
            print(f"{stage:<22}{cells}")
            continue
        ratio = _ratio(_stage_per_article(plain, stage), _stage_per_article(kg_run, stage))
        print(f"{stage:<22}{cells}   kg {ratio} faster")
    rows: list[tuple[str, Callable[[Run], Any]]] = [
        ("end to end, seconds", lambda r: f"{r.seconds:.1f}"),
        ("CPU seconds", lambda r: f"{r.cpu_seconds:.1f}"),
        ("articles per CPU s", lambda r: f"{r.articles / r.cpu_seconds:,.1f}"),
        ("articles/s", lambda r: f"{r.articles / r.seconds:,.1f}"),
        ("triples/s", lambda r: f"{r.triples / r.seconds:,.0f}"),
        ("faster than plain", lambda r: _ratio(_per_article(plain), _per_article(r))),
        ("articles (failed)", lambda r: f"{r.articles} ({r.failed})"),
        ("triples", lambda r: f"{r.triples:,}"),
        ("peak RSS, MB", lambda r: f"{r.peak_rss_mb:,.0f}"),
    ]
    for label, cell in rows:
        print(f"{label:<22}" + "".join(f"{cell(run):>26}" for run in runs))
    print("\nstage cells: ms per article (articles per second of that stage alone)")


def _stage_cell(run: Run, stage: str) -> str:
    seconds = run.stages.get(stage, 0.0)
    if not seconds:
        return f"{'-':>26}"
    count = max(run.articles + run.failed, 1)
    return f"{1000 * seconds / count:>13.2f} ms {count / seconds:>7,.0f}/s"


def _stage_per_article(run: Run, stage: str) -> float:
    return run.stages.get(stage, 0.0) / max(run.articles + run.failed, 1)


def _per_article(run: Run | None) -> float:
    """Wall-clock seconds per article (a plain run may be a sample of the corpus)."""
    return run.seconds / max(run.articles + run.failed, 1) if run else 0.0


def _ratio(plain: float, kg: float) -> str:
    return f"{plain / kg:.1f}x" if kg and plain else "-"


if __name__ == "__main__":
    sys.exit(main())
