"""Benchmark `kg build` on a corpus: 1,000 article files with -j 1 and -j N, the command as a
user runs it (start-up included). Not a test: it prints articles per second.

    python benchmarks/build.py                    # 1,000 copies of ../shared/articles
    python benchmarks/build.py --articles 200 --jobs 4 --keep bench-data/

The articles are copies of the shared articles (or of examples/ when ../shared is absent),
each with its own URL line and so its own article IRI. Each run writes Turtle and JSON-LD per
article and the combined N-Quads file (`--combined`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))

from articles import source_articles  # noqa: E402

from kg.workers import default_workers  # noqa: E402


def main() -> int:
    args = _arguments()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kg-bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        copy_articles(args.articles, work / "articles")
        rows = [run_kg(work, jobs) for jobs in dict.fromkeys([1, args.jobs])]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'command':<16} {'articles':>8} {'seconds':>8} {'articles/s':>10}")
    for name, count, seconds in rows:
        print(f"{name:<16} {count:>8} {seconds:>8.1f} {count / seconds:>10.1f}")
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles to build (1000)")
    parser.add_argument("--jobs", type=int, default=default_workers(), help="-j N (the CPUs)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    return parser.parse_args()


def copy_articles(count: int, folder: Path) -> list[Path]:
    """`count` article files, copies of the source articles, each with a URL of its own."""
    sources = source_articles()
    texts = [path.read_text("utf-8") for path in sources]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        path = folder / f"{i:04d}-{sources[i % len(sources)].stem}.txt"
        path.write_text(with_url(texts[i % len(texts)], i), encoding="utf-8")
        files.append(path)
    return files


def with_url(text: str, n: int) -> str:
    """The article (header format) with `?copy=N` added to its URL: another article IRI."""
    lines = text.splitlines()
    [at] = [i for i, line in enumerate(lines) if line.startswith("网址")]
    lines[at] += f"{'&' if '?' in lines[at] else '?'}copy={n}"
    return "\n".join(lines) + "\n"


def run_kg(work: Path, jobs: int) -> tuple[str, int, float]:
    out = work / f"out-j{jobs}"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(work / "articles"), "-o", str(out),
         "-j", str(jobs), "--combined", str(out / "corpus.nq"), "--progress", "none"],
        cwd=work, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"kg build -j {jobs} exited {done.returncode}:\n{done.stderr}")
    print(f"kg build -j {jobs}:\n{done.stdout}", flush=True)
    return f"kg build -j {jobs}", len(list((work / "articles").glob("*.txt"))), seconds


if __name__ == "__main__":
    sys.exit(main())
