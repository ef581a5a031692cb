"""Building a corpus: `kg.build_corpus` and `kg build DIR|GLOB... -j N --combined FILE.nq`."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Graph
from test_cli import (
    EXAMPLE,
    ROOT,
    SCHEMA_NAME,
    assert_one_error_line,
    files_under,
    run_kg,
)
from test_ingest import BAD_INPUTS

import kg.api
from kg.corpus import (
    ArticleOutcome,
    CorpusArticle,
    build_corpus,
    find_articles,
    format_corpus_report,
)
from kg.errors import InputError, OutputError
from kg.serialize import Format

SHARED = ROOT.parent / "shared" / "articles"
SOURCES = sorted((SHARED if SHARED.is_dir() else ROOT / "examples").glob("*.txt"))
PERSON = "https://example.org/kg/person/"


def copy_articles(count: int, folder: Path, start: int = 0) -> list[Path]:
    """`count` copies of the source articles under distinct names, each with its own URL (so
    its own article IRI): `?copy=N` added to the URL line."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        source = SOURCES[n % len(SOURCES)]
        lines = source.read_text("utf-8").splitlines()
        [at] = [i for i, line in enumerate(lines) if line.startswith("网址")]
        lines[at] += f"{'&' if '?' in lines[at] else '?'}copy={n}"
        path = folder / f"{n:04d}-{source.stem}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def quads(path: Path) -> set[pyoxigraph.Quad]:
    return set(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.N_QUADS))


def graph_names_in_order(path: Path) -> list[str]:
    parsed = pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.N_QUADS)
    names = (quad.graph_name.value for quad in parsed)  # type: ignore[union-attr]
    return list(dict.fromkeys(names))


def article_files(out: Path) -> list[str]:
    return [name for name in files_under(out) if name.endswith((".ttl", ".jsonld", ".nq"))]


# --- a thousand articles and a corrupt one (issue 5) ---------------------------------------------


@pytest.mark.slow
def test_a_thousand_articles_and_a_corrupt_one_with_j2(tmp_path: Path) -> None:
    """1,000 are built, the corrupt one is listed with its reason, the exit code says so, and a
    log (stderr is not a terminal here) gets a plain progress line every 100 articles."""
    corpus = tmp_path / "corpus"
    copy_articles(1000, corpus)
    corrupt = corpus / "0500-corrupt.txt"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    out = tmp_path / "out"
    # What this checks is the corpus machinery (workers, progress, failures, the combined file),
    # not extraction: kg's rules alone keep 1,000 articles at seconds, not minutes.
    result = run_kg(
        "build", corpus, "-o", out, "-j", "2", "--combined", out / "all.nq",
        "--extractor", "rules", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert f"kg: {corrupt}: binary file (NUL bytes; expected UTF-8 text)" in lines
    progress = [line for line in lines if line.startswith("kg: built ")]
    assert len(progress) >= 10  # every 100 articles, or 10 s
    for line in progress:
        assert re.fullmatch(
            r"kg: built [\d,]+ of 1,001 articles( \(1 failed\))?, [\d.]+ articles/s", line
        )
    assert "kg: built 600 of 1,001 articles (1 failed), " in result.stderr
    assert "\r" not in result.stderr  # no bar in a log
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["articles", "ok", "1,000"] in rows
    assert ["articles", "failed", "1"] in rows
    assert sorted(article_files(out))[-1] == "all.nq"  # the combined file, beside the articles'
    assert len(article_files(out)) == 2000 + 1
    assert len(graph_names_in_order(out / "all.nq")) == 1000


# --- progress ------------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [100, 0], ids=["100 columns", "a size of 0"])
def test_a_terminal_gets_a_progress_bar(tmp_path: Path, columns: int) -> None:
    copy_articles(3, tmp_path / "corpus")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kg", "build", "corpus", "-o", "out"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(terminal)
    shown = _read_all(controller).decode("utf-8", "replace")
    assert result.returncode == 0, shown
    assert "kg: built" in shown
    assert "3/3" in shown  # tqdm's count
    assert "100%|" in shown
    assert "articles ok" in result.stdout


def _read_all(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError:  # EIO: the terminal's other end is closed and everything has been read
        pass
    finally:
        os.close(fd)
    return b"".join(chunks)


def test_a_short_run_in_a_log_prints_no_progress(tmp_path: Path) -> None:
    copy_articles(3, tmp_path / "corpus")
    result = run_kg("build", "corpus", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_progress_is_reported_after_each_article_in_input_order(tmp_path: Path) -> None:
    paths = copy_articles(3, tmp_path / "corpus")
    seen: list[tuple[int, int, Path]] = []
    build_corpus(
        [tmp_path / "corpus"],
        tmp_path / "out",
        progress=lambda done, total, outcome: seen.append((done, total, outcome.path)),
    )
    assert seen == [(n, 3, path) for n, path in enumerate(paths, 1)]


# --- the combined N-Quads file and determinism ---------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of the sources and copies in a subfolder, built with -j 1 and -j 2."""
    work = tmp_path_factory.mktemp("small")
    copy_articles(len(SOURCES), work / "corpus")
    copy_articles(2, work / "corpus" / "more", start=len(SOURCES))
    for jobs in ("1", "2"):
        out = work / f"j{jobs}"
        result = run_kg(
            "build", "corpus", "-o", out, "-j", jobs, "--format", "nq",
            "--combined", out / "corpus.nq", cwd=work,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    return work


def test_combined_is_the_union_of_the_article_graphs_in_input_order(small: Path) -> None:
    out = small / "j1"
    articles = sorted((small / "corpus").rglob("*.txt"))
    outputs = [out / p.relative_to(small / "corpus").with_suffix(".nq") for p in articles]
    union = set().union(*(quads(path) for path in outputs))
    combined = quads(out / "corpus.nq")
    assert combined == union
    assert len({q.graph_name for q in combined}) == len(articles)
    assert graph_names_in_order(out / "corpus.nq") == [graph_names_in_order(p)[0] for p in outputs]
    # Each article's Turtle is its named graph.
    turtle = Graph().parse(out / "more" / f"{articles[-1].stem}.ttl", format="turtle")
    assert len(turtle) == len(quads(outputs[-1])) > 100


def test_articles_of_a_subfolder_go_to_the_same_subfolder(small: Path) -> None:
    assert sorted(p.name for p in (small / "j1" / "more").iterdir()) == sorted(
        f"{p.stem}.{ext}"
        for p in (small / "corpus" / "more").glob("*.txt")
        for ext in ("jsonld", "nq", "ttl")
    )
    assert not [p for p in (small / "j1").rglob(".*")]  # no temporary file left behind


def test_j2_writes_the_same_bytes_as_j1(small: Path) -> None:
    one, two = small / "j1", small / "j2"
    assert files_under(one) == files_under(two)
    for name in files_under(one):
        if (one / name).is_file():
            assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_an_article_built_with_others_is_the_article_built_alone(
    small: Path, tmp_path: Path
) -> None:
    """The model parses a job's articles in one batch (-j 1 and -j 2 cut the corpus into jobs
    of different sizes); each article's files are still those of `kg build` on it alone."""
    articles = sorted((small / "corpus").rglob("*.txt"))
    for article in (articles[0], articles[-1]):
        alone = tmp_path / article.stem
        [outcome] = build_corpus([article], alone, formats=[Format.NQ]).articles
        built = small / "j1" / article.relative_to(small / "corpus").parent
        assert len(outcome.files) == 3
        for path in outcome.files:
            assert path.read_bytes() == (built / path.name).read_bytes(), path.name


def test_the_same_person_in_two_articles_has_one_iri(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(EXAMPLE, corpus / EXAMPLE.name)
    (corpus / "ni-visit.txt").write_text(
        "标题: Hebei party chief visits Xiong'an\n"
        "网址: https://news.example.org/2025/03/07/ni-visit.html\n\n"
        "Hebei party chief visits Xiong'an\n\n"
        "Ni Yuefeng, Party secretary of Hebei province, visited Xiong'an New Area on Friday.\n\n"
        '"The new area is the future of Hebei," Ni said.\n',
        encoding="utf-8",
    )
    report = build_corpus([corpus], tmp_path / "out", combined=tmp_path / "all.nq")
    assert report.ok
    graphs_naming = {
        (q.subject.value, q.graph_name.value)
        for q in quads(tmp_path / "all.nq")
        if q.subject.value == PERSON + "ni-yuefeng"
    }
    assert len(graphs_naming) == 2  # described in both articles' graphs, with one IRI
    assert report.total("people") > report.distinct["people"]


# --- one bad article does not stop the rest ------------------------------------------------------


def _break(monkeypatch: pytest.MonkeyPatch, how: str, victim: str) -> None:
    """Make one article (by file name) fail in one way."""
    if how == "input":
        return  # the victim is written unreadable by the test
    if how == "not conforming":
        mapped = kg.api.map_record

        def map_without_names(record: Any, base: str) -> Graph:
            graph = mapped(record, base=base)
            if record.article.source == victim:
                graph.remove((None, SCHEMA_NAME, None))
            return graph

        monkeypatch.setattr(kg.api, "map_record", map_without_names)
    if how == "crash":
        extract = kg.api.extract_record

        def crash(article: Any, extractor: str, doc: Any = None) -> Any:
            if article.source == victim:
                raise RuntimeError("boom")
            return extract(article, extractor, doc)

        monkeypatch.setattr(kg.api, "extract_record", crash)


@pytest.mark.parametrize(
    ("breaks", "code", "reason"),
    [
        (["not conforming"], 1, "does not conform to the shapes ("),
        (["input"], 2, "binary file (NUL bytes"),
        (["crash"], 3, "extraction failed (RuntimeError: boom)"),
        (["input", "not conforming"], 2, ""),
        (["crash", "input", "not conforming"], 3, ""),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, list) else None,
)
def test_failed_articles_are_listed_and_the_others_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, breaks: list[str], code: int, reason: str
) -> None:
    paths = copy_articles(len(breaks) + 2, tmp_path / "corpus")
    victims = dict(zip(breaks, paths, strict=False))
    for how, victim in victims.items():
        if how == "input":
            victim.write_bytes(b"\x00")
        _break(monkeypatch, how, victim.name)
    report = build_corpus([tmp_path / "corpus"], tmp_path / "out")
    assert report.exit_code == code
    assert [a.path for a in report.failed] == sorted(victims.values())
    for failed in report.failed:
        assert failed.error is not None
        assert failed.error.startswith(f"{failed.path}: ")
        assert "\n" not in failed.error
        assert failed.files == ()
    if reason:
        assert reason in (report.failed[0].error or "")
    built = [a.path.stem for a in report.built]
    assert len(built) == 2
    assert article_files(tmp_path / "out") == sorted(
        f"{s}.{e}" for s in built for e in ("jsonld", "ttl")
    )


def test_an_article_that_does_not_conform_carries_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [path] = copy_articles(1, tmp_path / "corpus")
    _break(monkeypatch, "not conforming", path.name)
    [outcome] = build_corpus([tmp_path / "corpus"], tmp_path / "out").articles
    assert outcome.report is not None
    violations = outcome.counts["violations"]
    assert violations > 0
    assert outcome.report.startswith(f"does not conform to the kg shapes ({violations} violation")
    assert f"does not conform to the shapes ({violations} violation" in (outcome.error or "")
    assert "; first: https://example.org/kg/" in (outcome.error or "")


def test_the_command_lists_each_failure_then_the_summary(tmp_path: Path) -> None:
    copy_articles(2, tmp_path / "corpus")
    shutil.copyfile(BAD_INPUTS / "empty.txt", tmp_path / "corpus" / "empty.txt")
    result = run_kg("build", "corpus", "missing.txt", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kg: corpus/empty.txt: empty file (expected an article)",
        "kg: missing.txt: no such file",
    ]
    table = result.stdout.splitlines()
    assert [line.split() for line in table[1:3]] == [
        ["articles", "ok", "2"],
        ["articles", "failed", "2"],
    ]
    for row in ("triples", "people", "organizations", "places", "posts", "metrics", "quotes"):
        assert any(line.startswith(f"{row} ") for line in table), row
    for row in ("violations", "seconds", "articles/s"):
        assert any(line.startswith(row) for line in table), row


# --- inputs --------------------------------------------------------------------------------------


def test_folders_are_read_recursively_and_sorted_skipping_hidden_and_other_files(
    tmp_path: Path,
) -> None:
    for name in ("b.txt", "a.html", "sub/c.htm", "sub/d.TXT", ".hidden/e.txt", ".f.txt", "g.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = find_articles([tmp_path])
    assert [(a.path.relative_to(tmp_path), a.folder) for a in found] == [
        (Path("a.html"), Path()),
        (Path("b.txt"), Path()),
        (Path("sub/c.htm"), Path("sub")),
        (Path("sub/d.TXT"), Path("sub")),
    ]


def test_globs_are_expanded_by_kg_and_keep_folders_below_their_fixed_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("news/business/001.txt", "news/politics/001.txt", "news/politics/x.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert find_articles(["news/*/*"]) == [
        CorpusArticle(Path("news/business/001.txt"), Path("business")),
        CorpusArticle(Path("news/politics/001.txt"), Path("politics")),
    ]
    assert find_articles(["news/**/001.txt", "news/business/001.txt"]) == [
        CorpusArticle(Path("news/business/001.txt"), Path("business")),
        CorpusArticle(Path("news/politics/001.txt"), Path("politics")),
    ]  # each file once


def test_a_quoted_glob_builds_like_the_folder(tmp_path: Path) -> None:
    copy_articles(2, tmp_path / "corpus")
    result = run_kg("build", "corpus/*.txt", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(article_files(tmp_path / "out")) == 4


@pytest.mark.parametrize(
    ("make", "given", "fragment"),
    [
        (lambda p: p.mkdir(), "empty", "empty: no articles in this folder (expected .txt, .html"),
        (lambda p: None, "nothing/*.txt", "nothing/*.txt: no articles match this pattern"),
    ],
    ids=["empty folder", "unmatched pattern"],
)
def test_a_folder_or_pattern_without_articles_is_an_input_error(
    tmp_path: Path, make: Callable[[Path], None], given: str, fragment: str
) -> None:
    make(tmp_path / given)
    result = run_kg("build", given, EXAMPLE, "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, fragment)
    assert not (tmp_path / "out").exists()


def test_articles_that_would_write_the_same_files_are_refused_after_the_first(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copyfile(EXAMPLE, tmp_path / "a" / "story.txt")
    shutil.copyfile(EXAMPLE, tmp_path / "b" / "story.txt")
    report = build_corpus([tmp_path / "a" / "story.txt", tmp_path / "b"], tmp_path / "out")
    assert report.exit_code == 2
    [failed] = report.failed
    assert failed.error == (
        f"{tmp_path / 'b' / 'story.txt'}: would overwrite the outputs of "
        f"{tmp_path / 'a' / 'story.txt'} (give articles distinct file names)"
    )
    assert files_under(tmp_path / "out") == ["story.jsonld", "story.ttl"]


def test_the_same_file_named_twice_is_built_once(tmp_path: Path) -> None:
    report = build_corpus([EXAMPLE, EXAMPLE.parent / "." / EXAMPLE.name], tmp_path / "out")
    assert report.ok
    assert len(report.articles) == 1


# --- outputs -------------------------------------------------------------------------------------


def test_an_output_that_cannot_be_written_stops_the_build(tmp_path: Path) -> None:
    copy_articles(2, tmp_path / "corpus")
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    result = run_kg("build", "corpus", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "kg: out: not a directory")
    with pytest.raises(OutputError, match="not a directory"):
        build_corpus([tmp_path / "corpus"], tmp_path / "out", combined=tmp_path / "all.nq")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "out"]  # no all.nq


def test_no_combined_file_when_no_article_is_built(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00")
    report = build_corpus([bad], tmp_path / "out", combined=tmp_path / "out" / "all.nq")
    assert report.combined is None
    assert not (tmp_path / "out").exists()


def test_the_combined_file_may_not_be_an_articles_output(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is also the output of"):
        build_corpus(
            [EXAMPLE], tmp_path, formats=[kg.Format.NQ], combined=tmp_path / f"{EXAMPLE.stem}.nq"
        )


def test_one_article_with_combined_prints_both_files(tmp_path: Path) -> None:
    result = run_kg("build", EXAMPLE, "-o", "out", "--combined", "all.nq", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stem = EXAMPLE.stem
    assert result.stdout.splitlines() == [f"out/{stem}.ttl", f"out/{stem}.jsonld", "all.nq"]
    assert len(graph_names_in_order(tmp_path / "all.nq")) == 1


def test_load_sends_the_articles_built_and_keeps_the_exit_code_of_the_failures(
    tmp_path: Path,
) -> None:
    copy_articles(2, tmp_path / "corpus")
    (tmp_path / "corpus" / "broken.txt").write_bytes(b"\x00")
    store = tmp_path / "store"
    result = run_kg("build", "corpus", "-o", "out", "--load", "--store", store, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kg: corpus/broken.txt: binary file (NUL bytes; expected UTF-8 text)"
    ]
    loaded = [line for line in result.stdout.splitlines() if line.startswith("loaded https:")]
    assert len(loaded) == 2
    names = pyoxigraph.Store(str(store)).named_graphs()
    assert len(list(names)) == 2


def test_jobs_must_be_at_least_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="jobs 0"):
        build_corpus([EXAMPLE], tmp_path, jobs=0)


def test_the_summary_table_counts_and_times(tmp_path: Path) -> None:
    report = build_corpus([EXAMPLE], tmp_path)
    text = format_corpus_report(report)
    lines = text.splitlines()
    assert lines[0].split() == ["total", "distinct"]
    assert lines[1].split() == ["articles", "ok", "1"]
    people = ["people", f"{report.total('people'):,}", f"{report.distinct['people']:,}"]
    assert people in [line.split() for line in lines]
    assert isinstance(report.articles[0], ArticleOutcome)
    assert report.rate > 0


def test_the_shacl_engine_is_chosen_once_for_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spawned workers inherit this unusable setting: they build only if they use the engine
    # the caller chose, as remote Dask workers (which see none of the caller's environment) do.
    monkeypatch.setenv("KG_SHACL_ENGINE", "no-such-engine")
    articles = copy_articles(2, tmp_path / "articles")
    report = build_corpus(articles, tmp_path / "out", jobs=2, shacl_engine="turbo")
    assert [a.error for a in report.articles] == [None, None]
    assert len(report.built) == 2
