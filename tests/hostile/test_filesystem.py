"""Issue 7, groups 10 and 12: output folders that are missing or cannot be written, a disk that
fills up during a write, and two builds into one folder at once.

Each refusal is exit code 2 with one line naming the output and the problem, before any article
is built; earlier files stay byte for byte, and no temporary file is left.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from test_corpus import copy_articles

import kg.corpus
from hostile.conftest import (
    assert_unchanged,
    kg_command,
    kg_env,
    leftovers,
    run_kg,
    run_kg_offline,
    snapshot,
)
from kg.model import Article
from kg.serialize import Format

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
STEM = "xiongan-innovation"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The articles built (in this process: -j 1) during the test."""
    calls: list[Path] = []
    build_article = kg.corpus.build_article

    def counting(article: Article, path: Path, **options: Any) -> Any:
        calls.append(path)
        return build_article(article, path, **options)

    monkeypatch.setattr(kg.corpus, "build_article", counting)
    return calls


def test_a_missing_output_folder_is_created(tmp_path: Path) -> None:
    out = tmp_path / "out" / "deep" / "er"
    result = run_kg("build", EXAMPLE, "-o", out)
    assert result.code == 0, result.stderr
    assert sorted(snapshot(out)) == [f"{STEM}.jsonld", f"{STEM}.ttl"]
    assert leftovers(tmp_path) == []


def unwritable(tmp_path: Path, how: str) -> Path:
    """An output folder this process cannot write to."""
    if how == "below-a-file":
        (tmp_path / "file.txt").write_text("a file")
        return tmp_path / "file.txt" / "out"
    if how == "a-file":
        (tmp_path / "file.txt").write_text("a file")
        return tmp_path / "file.txt"
    if os.geteuid() == 0:
        pytest.skip("root writes to a read-only folder (below-a-file covers root)")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    return folder / "out" if how == "below-a-read-only-folder" else folder


OUTPUT_PROBLEMS = {
    "below-a-file": "cannot create directory",
    "a-file": "not a directory",
    "read-only-folder": "not writable",
    "below-a-read-only-folder": "not writable",
}


@pytest.mark.parametrize("how", sorted(OUTPUT_PROBLEMS))
@pytest.mark.parametrize("articles", ["one-article", "a-folder"])
def test_an_unwritable_output_folder_stops_the_build_before_any_article(
    tmp_path: Path, built: list[Path], how: str, articles: str
) -> None:
    out = unwritable(tmp_path, how)
    source = (
        EXAMPLE if articles == "one-article" else copy_articles(3, tmp_path / "corpus")[0].parent
    )
    before = snapshot(tmp_path)
    result = run_kg("build", source, "-o", out, "--combined", tmp_path / "all.nq")
    result.assert_error(2, str(out), OUTPUT_PROBLEMS[how])
    assert built == []
    assert_unchanged(tmp_path, before)


@pytest.mark.parametrize("command", ["extract", "validate"])
def test_an_output_file_below_a_file_is_one_line(tmp_path: Path, command: str) -> None:
    out = unwritable(tmp_path, "below-a-file") / "report.json"
    before = snapshot(tmp_path)
    source = EXAMPLE if command == "extract" else ROOT / "tests/fixtures/validate/good.ttl"
    option = "-o" if command == "extract" else "--output"
    result = run_kg(command, source, option, out)
    result.assert_error(2, str(out), "cannot write (Not a directory)")
    assert_unchanged(tmp_path, before)


# --- a full disk ----------------------------------------------------------------------------------


def file_size_limit(size: int) -> Callable[[], None]:
    """A preexec_fn: the child may write no file larger than `size` bytes, and a write past
    it fails with EFBIG (File too large) instead of killing the child (SIGXFSZ ignored)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@pytest.mark.parametrize(
    ("limit", "fails"),
    [(20_000, "out/0000-"), (200_000, "all.nq")],
    ids=["an-article-file", "the-combined-file"],
)
def test_a_full_disk_leaves_the_earlier_files_whole(
    tmp_path: Path, offline_prefix: list[str], limit: int, fails: str
) -> None:
    copy_articles(3, tmp_path / "corpus")
    first = run_kg("build", "corpus", "-o", "out", "--combined", "all.nq", cwd=tmp_path)
    assert first.code == 0, first.stderr
    before = snapshot(tmp_path)
    result = run_kg_offline(
        offline_prefix,
        *("build", "corpus", "-o", "out", "--combined", "all.nq"),
        *("--base", "https://data.example.com/"),  # other bytes than the earlier build
        cwd=tmp_path,
        preexec_fn=file_size_limit(limit),
    )
    result.assert_error(2, fails, "cannot write (File too large)")
    if fails == "all.nq":  # articles built before it are written, each one whole
        after = snapshot(tmp_path)
        assert after.pop("all.nq") == before.pop("all.nq")
        changed = {name for name, data in after.items() if data != before[name]}
        new = {Path(name).stem for name in changed}
        assert new and changed == {f"out/{stem}.{ext}" for stem in new for ext in ("ttl", "jsonld")}
        assert_parse(tmp_path / "out")
    assert_unchanged(tmp_path / "corpus", snapshot(tmp_path / "corpus"))
    assert leftovers(tmp_path) == []
    if fails != "all.nq":  # the first article's file failed: the build stopped there
        assert_unchanged(tmp_path, before)


def assert_parse(folder: Path, skip: Iterable[str] = ()) -> None:
    """Every RDF file under `folder` parses whole, but those at the paths in `skip` (relative
    to `folder`)."""
    skipped = set(skip)
    for path in folder.rglob("*"):
        if str(path.relative_to(folder)) in skipped:
            continue
        fmt = pyoxigraph.RdfFormat.from_extension(path.suffix[1:])
        assert fmt is not None, path
        assert list(pyoxigraph.parse(path=path, format=fmt)), path


# --- two builds at once ---------------------------------------------------------------------------


def test_two_builds_into_one_folder_at_once_both_finish(
    tmp_path: Path, offline_prefix: list[str]
) -> None:
    corpus = copy_articles(6, tmp_path / "corpus")[0].parent
    out = tmp_path / "out"
    builds = [
        subprocess.Popen(
            [*offline_prefix, *kg_command("build", corpus, "-o", out, "--format", "nq")],
            env=kg_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for build in builds:
        _, stderr = build.communicate(timeout=300)
        assert build.returncode == 0, stderr
    assert leftovers(tmp_path) == []
    written = snapshot(out)
    assert len(written) == 6 * 3
    assert_parse(out)
    alone = tmp_path / "alone"
    assert run_kg("build", corpus, "-o", alone, "--format", Format.NQ.extension).code == 0
    assert snapshot(alone) == written
