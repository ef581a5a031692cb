"""Benchmark `kg load`: 1,000 articles into the embedded store and into an Oxigraph server over
the Graph Store Protocol, side by side with `oxigraph load`, Oxigraph's bulk loader, as the
ceiling. Not a test: it prints triples per second.

    python benchmarks/load.py                  # 1,000 copies of ../shared/articles
    python benchmarks/load.py --articles 200 --keep bench-data/

The articles are copies of the shared articles (or of examples/ when ../shared is absent), each
with its own URL and so its own article IRI and named graph. Each source is extracted once and
each copy mapped and written once, as N-Quads, the one input all three loaders read. kg's
numbers include what `kg load` always does besides writing: parsing, SHACL validation of every
article graph (in `--workers` processes, as the CLI does), and a COUNT query per graph; the
write phase alone (requests and COUNT checks, the files already parsed) is shown too. The bulk
loader parses and writes, in parallel, with no validation and no checks.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure the checkout's kg, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))

from articles import write_articles  # noqa: E402  (benchmarks/articles.py)

import kg  # noqa: E402
from kg.serialize import Format  # noqa: E402
from kg.workers import default_workers  # noqa: E402


def main() -> int:
    args = _arguments()
    print(f"kg validates with {args.workers} worker processes (--workers)", flush=True)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = write_articles(args.articles, work / "articles", Format.NQ)
        embedded = run_kg_embedded(files, work / "embedded", args.workers)
        server = run_kg_server(files, work / "server", args.workers)
        rows = [
            ("embedded store (kg load)", *embedded),
            ("Oxigraph server, GSP (kg load)", *server),
            ("oxigraph load (bulk loader)", *run_bulk(files, work / "bulk")),
        ]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="copies to load (1000)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="as kg load --workers (the CPUs)"
    )
    return parser.parse_args()


# --- the articles --------------------------------------------------------------------------------


# --- the three loaders ---------------------------------------------------------------------------

Row = tuple[int, float, float | None]  # triples, seconds end to end, seconds writing


def run_kg_embedded(files: list[Path], store: Path, workers: int) -> Row:
    return _kg_row(kg.load(files, store=store, workers=workers))


def run_kg_server(files: list[Path], location: Path, workers: int) -> Row:
    port = _free_port()
    server = subprocess.Popen(
        [_oxigraph(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/query")
        url = f"http://127.0.0.1:{port}/store"
        return _kg_row(kg.load(files, endpoint=url, workers=workers))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _kg_row(report: kg.LoadReport) -> Row:
    if not report.ok:
        raise SystemExit(f"kg load failed: {report.summary()}\n{report.failed[0].error}")
    print(report.summary(), flush=True)
    return report.triples, report.seconds, report.seconds - report.read_seconds


def run_bulk(files: list[Path], location: Path) -> Row:
    started = time.monotonic()
    done = subprocess.run(
        [_oxigraph(), "load", "--location", str(location), "--file", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"oxigraph load failed:\n{done.stderr}")
    return _count(location), seconds, None


def _count(location: Path) -> int:
    """Triples in every named graph of a store, to check the bulk loader loaded everything."""
    store = pyoxigraph.Store.read_only(str(location))
    solutions = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    return int(next(iter(solutions))["n"].value)  # type: ignore[union-attr]


def _oxigraph() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        raise SystemExit("the oxigraph command is missing (pip install oxigraph)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, params={"query": "ASK {}"}, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"oxigraph serve did not answer at {url}")


# --- the table -----------------------------------------------------------------------------------


def print_table(rows: list[tuple[str, int, float, float | None]]) -> None:
    print()
    print(f"{'loader':<34} {'triples':>9} {'seconds':>8} {'triples/s':>10}   write phase only")
    for name, triples, seconds, writing in rows:
        phase = f"{writing:.1f} s, {triples / writing:,.0f} triples/s" if writing else "-"
        print(f"{name:<34} {triples:>9,} {seconds:>8.1f} {triples / seconds:>10,.0f}   {phase}")


if __name__ == "__main__":
    sys.exit(main())
