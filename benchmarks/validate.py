"""Benchmark `kg validate`: 1,000 article files, with one process and with -j N, side by side
with the `pyshacl` command run once per file (what a CI job without kg would do). Not a test:
it prints files per second and triples per second.

    python benchmarks/validate.py                     # 1,000 copies of ../shared/articles
    python benchmarks/validate.py --articles 200 --pyshacl-sample 20 --keep bench-data/

The articles are copies of the shared articles (or of examples/ when ../shared is absent), each
with its own URL and so its own article IRI, written as Turtle (as benchmarks/load.py makes
them). Every number is wall-clock time of the command as a CI job runs it, start-up included:
`kg validate DIR` validates every file (syntax, SHACL with kg's shapes, text anchors), and
`pyshacl -s shapes/kg.shacl.ttl FILE` is run for a sample of the files (`--pyshacl-sample`,
default 50, as 1,000 runs take most of an hour) and its rate extrapolated to all of them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "shapes" / "kg.shacl.ttl"
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyoxigraph  # noqa: E402
from articles import write_articles  # noqa: E402  (benchmarks/articles.py)

from kg.serialize import Format  # noqa: E402
from kg.workers import default_workers  # noqa: E402

Row = tuple[str, int, int, float, str]  # name, files, triples, seconds, note


def main() -> int:
    args = _arguments()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kg-bench-validate-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = write_articles(args.articles, work / "articles", Format.TTL)
        rows = [
            run_kg(work / "articles", 1, work),
            run_kg(work / "articles", args.jobs, work),
            run_pyshacl(files, args.pyshacl_sample),
        ]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="files to validate (1000)")
    parser.add_argument(
        "--jobs", type=int, default=default_workers(), help="kg validate -j N (the CPUs)"
    )
    parser.add_argument(
        "--pyshacl-sample", type=int, default=50, help="files the pyshacl command runs on (50)"
    )
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    return parser.parse_args()


def run_kg(folder: Path, jobs: int, work: Path) -> Row:
    """`kg validate FOLDER -j JOBS` as a command; its JSON report gives files and triples."""
    report = work / f"report-j{jobs}.json"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kg", "validate", str(folder), "-j", str(jobs)]
        + ["--format", "json", "--output", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"kg validate -j {jobs} exited {done.returncode}:\n{done.stderr}")
    summary = json.loads(report.read_text("utf-8"))["summary"]
    print(done.stderr.strip(), flush=True)
    note = f"{summary['warnings']} warnings" if summary["warnings"] else ""
    return f"kg validate -j {jobs}", summary["files"], summary["triples"], seconds, note


def run_pyshacl(files: list[Path], sample: int) -> Row:
    """`pyshacl -s kg.shacl.ttl FILE` once per file of an evenly spread sample, extrapolated."""
    command = shutil.which("pyshacl", path=str(Path(sys.executable).parent)) or "pyshacl"
    chosen = files[:: max(1, len(files) // sample)][:sample]
    started = time.monotonic()
    for path in chosen:
        done = subprocess.run(
            [command, "-s", str(SHAPES), "-w", "-f", "table", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"pyshacl {path} exited {done.returncode}:\n{done.stdout[-2000:]}")
    seconds = time.monotonic() - started
    triples_per_file = sum(_triples(path) for path in chosen) / len(chosen)
    scale = len(files) / len(chosen)
    note = f"{len(chosen)} runs timed ({seconds:.0f} s), extrapolated to {len(files)}"
    if scale == 1:
        note = f"{len(chosen)} runs"
    return (
        "pyshacl, once per file",
        len(files),
        round(triples_per_file * len(files)),
        seconds * scale,
        note,
    )


def _triples(path: Path) -> int:
    return sum(1 for _ in pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE))


def print_table(rows: list[Row]) -> None:
    print()
    print(
        f"{'validator':<24} {'files':>6} {'triples':>9} {'seconds':>8} {'files/s':>8} "
        f"{'triples/s':>10}   note"
    )
    for name, files, triples, seconds, note in rows:
        print(
            f"{name:<24} {files:>6} {triples:>9,} {seconds:>8.1f} {files / seconds:>8.1f} "
            f"{triples / seconds:>10,.0f}   {note}"
        )


if __name__ == "__main__":
    sys.exit(main())
