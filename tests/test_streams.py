"""Pipes: `-` as an input reads standard input, `-o -` writes standard output, and an output
that is not a regular file (a FIFO, a device, a link to one) is written into, never replaced.

Every test runs the installed `kg` command found on PATH, as a shell pipeline would.
"""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph

from kg.cli import _stem

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
RECORD = ROOT / "tests" / "fixtures" / "xiongan.record.json"
PAGE = ROOT / "tests" / "fixtures" / "xiongan-innovation.html"
STDIN_OUTPUTS = ["stdin.jsonld", "stdin.ttl"]


def kg_env() -> dict[str, str]:
    """The environment of a `kg` process: this checkout first on the import path, and the
    environment's scripts (its `kg`) first on PATH."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PYTHONPATH": path, "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}"}


def kg(
    *args: str | Path, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["kg", *map(str, args)],
        cwd=cwd,
        env=kg_env(),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=600,
        check=False,
    )


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        command, shell=True, cwd=cwd, env=kg_env(), capture_output=True, timeout=600, check=False
    )


def one_error_line(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    lines = result.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kg build` of the example file: what the pipes must give."""
    out = tmp_path_factory.mktemp("built")
    result = kg("build", EXAMPLE, "-o", out, cwd=out)
    assert result.returncode == 0, result.stderr
    return out


# --- pipelines -----------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_extract_piped_into_map_gives_the_files_build_writes(tmp_path: Path, built: Path) -> None:
    result = shell(f"cat '{EXAMPLE}' | kg extract - -o - | kg map - -o out/", tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == STDIN_OUTPUTS
    for extension, rdf_format in (("ttl", "turtle"), ("jsonld", "json-ld")):
        written = out / f"stdin.{extension}"
        assert len(Graph().parse(written, format=rdf_format)) > 100
        # The graph does not depend on the file name: the bytes are build's.
        assert written.read_bytes() == (built / f"xiongan-innovation.{extension}").read_bytes()
    assert result.stdout.decode().split() == [f"out/{name}" for name in reversed(STDIN_OUTPUTS)]


def test_extract_to_stdout_writes_the_record_and_no_path(tmp_path: Path) -> None:
    to_file = kg("extract", EXAMPLE, "-o", "record.json", cwd=tmp_path)
    to_stdout = kg(
        "extract",
        "-",
        "--name",
        "xiongan-innovation",
        "-o",
        "-",
        cwd=tmp_path,
        stdin=EXAMPLE.read_bytes(),
    )
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == (tmp_path / "record.json").read_bytes()
    assert to_file.stdout.decode().strip() == "record.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]  # no file named -


def test_a_record_from_stdin_without_a_source_is_named_by_name(tmp_path: Path) -> None:
    record = kg("extract", "-", "-o", "-", cwd=tmp_path, stdin=EXAMPLE.read_bytes()).stdout
    assert b'"source": null' in record  # standard input has no file name to give
    result = kg("map", "-", "--name", "anna-berg", "-o", "out", cwd=tmp_path, stdin=record)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "anna-berg.jsonld",
        "anna-berg.ttl",
    ]


def test_build_reads_an_article_from_stdin_under_its_name(tmp_path: Path, built: Path) -> None:
    with EXAMPLE.open("rb") as article:
        result = subprocess.run(
            ["kg", "build", "-", "--name", "x", "-o", "out/"],
            cwd=tmp_path,
            env=kg_env(),
            stdin=article,
            capture_output=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["x.jsonld", "x.ttl"]
    assert (out / "x.ttl").read_bytes() == (built / "xiongan-innovation.ttl").read_bytes()


def test_build_reads_a_saved_page_from_stdin_with_input_format(tmp_path: Path) -> None:
    from_file = kg("build", PAGE, "-o", "file", cwd=tmp_path)
    piped = kg(
        "build", "-", "--input-format", "html", "-o", "piped", cwd=tmp_path, stdin=PAGE.read_bytes()
    )
    assert from_file.returncode == piped.returncode == 0, piped.stderr
    stem = PAGE.stem
    assert (tmp_path / "piped/stdin.ttl").read_bytes() == (
        tmp_path / f"file/{stem}.ttl"
    ).read_bytes()


def test_build_combined_nquads_to_stdout(tmp_path: Path, built: Path) -> None:
    result = kg(
        "build", EXAMPLE, "-o", "out", "--combined", "-", "--progress", "none", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    quads = [line for line in result.stdout.splitlines() if line.endswith(b" .")]
    assert len(quads) == len(Graph().parse(built / "xiongan-innovation.ttl"))
    # The files written are listed after the N-Quads, not among them.
    assert result.stdout.endswith(b"out/xiongan-innovation.ttl\nout/xiongan-innovation.jsonld\n")


def test_view_validate_load_and_query_read_stdin(tmp_path: Path, built: Path) -> None:
    turtle = (built / "xiongan-innovation.ttl").read_bytes()
    view = kg(
        "view",
        "-",
        "--input-format",
        "turtle",
        "--name",
        "page",
        "-o",
        "view",
        cwd=tmp_path,
        stdin=turtle,
    )
    assert view.returncode == 0, view.stderr
    assert (tmp_path / "view/page.html").is_file() and (tmp_path / "view/index.html").is_file()

    validate = kg("validate", "-", "--format", "json", cwd=tmp_path, stdin=turtle)
    assert validate.returncode == 0, validate.stderr
    assert b'"<stdin>"' in validate.stdout

    load = kg("load", "-", "--store", "store", "--workers", "1", cwd=tmp_path, stdin=turtle)
    assert load.returncode == 0, load.stderr
    query = b"SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    for argument in ("-", "@-"):
        count = kg(
            "query", argument, "--store", "store", "--format", "csv", cwd=tmp_path, stdin=query
        )
        assert count.returncode == 0, count.stderr
        assert count.stdout.split()[-1] == str(len(Graph().parse(data=turtle))).encode()


def test_load_reads_stdin_in_the_input_format(tmp_path: Path, built: Path) -> None:
    ntriples = Graph().parse(built / "xiongan-innovation.ttl").serialize(format="nt").encode()
    as_turtle = kg("load", "-", "--store", "a", "--workers", "1", cwd=tmp_path, stdin=ntriples)
    named = kg(
        "load",
        "-",
        "--input-format",
        "nt",
        "--store",
        "b",
        "--workers",
        "1",
        cwd=tmp_path,
        stdin=ntriples,
    )
    assert as_turtle.returncode == named.returncode == 0, named.stderr
    assert as_turtle.stdout.splitlines()[0] == named.stdout.splitlines()[0]


# --- special files -------------------------------------------------------------------------------


def test_extract_into_a_fifo_delivers_the_record_and_keeps_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "record.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = kg("extract", EXAMPLE, "-o", fifo, cwd=tmp_path)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert not reader.is_alive()
    expected = kg("extract", EXAMPLE, "-o", "-", cwd=tmp_path).stdout
    assert received == [expected]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.pipe"]  # no temporary left


def test_a_link_to_a_device_is_written_into_not_replaced(tmp_path: Path) -> None:
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    result = kg("extract", EXAMPLE, "-o", link, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_dev_stdout_redirected_to_a_file_gets_the_record(tmp_path: Path) -> None:
    # /dev/stdout is a link to a descriptor; the shell's file behind it gets the bytes.
    result = shell(f"kg extract '{EXAMPLE}' -o /dev/stdout > record.json", tmp_path)
    assert result.returncode == 0, result.stderr
    expected = kg("extract", EXAMPLE, "-o", "-", cwd=tmp_path).stdout
    # The path printed after the record, through the same descriptor: nothing overwritten.
    assert (tmp_path / "record.json").read_bytes() == expected + b"/dev/stdout\n"
    assert Path("/dev/stdout").is_symlink()


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["map", RECORD, "-o", "-"],
        ["build", EXAMPLE, "-o", "-"],
        ["view", EXAMPLE, "-o", "-"],
    ],
    ids=["map", "build", "view"],
)
def test_stdout_for_several_files_is_refused(tmp_path: Path, args: list[str | Path]) -> None:
    result = kg(*args, cwd=tmp_path)
    assert result.returncode == 2
    one_error_line(result, "-: standard output takes one file", "give a folder")
    assert result.stdout == b""
    assert list(tmp_path.iterdir()) == []  # no folder named -


@pytest.mark.parametrize(
    ("args", "stdin", "problem"),
    [
        (["map", "-"], b"", "<stdin>: empty (expected a record JSON file piped in)"),
        (["map", "-"], b"Anna Berg joined Norvatek.\n", "<stdin>: line 1 column 1"),
        (["map", "-"], b"[]\n", "<stdin>: (root): [] is invalid"),
        (["map", "-"], b"\xff\xfe{}", "<stdin>: UTF-16 text"),
        (["extract", "-"], b"", "<stdin>: empty (expected an article file piped in)"),
        (["extract", "-"], b"Title only\n", "<stdin>: no body text"),
        (["extract", "-"], b"a\x00b", "<stdin>: binary file"),
        (["view", "-", "--input-format", "turtle"], b"<a> <b> .", "<stdin>: not valid turtle"),
        (["load", "-", "--store", "s"], b"@prefix", "<stdin>: "),
    ],
    ids=["empty", "text", "array", "utf16", "empty-article", "no-body", "binary", "view", "load"],
)
def test_bad_stdin_is_one_line_naming_stdin(
    tmp_path: Path, args: list[str], stdin: bytes, problem: str
) -> None:
    output = [] if args[0] == "load" else ["-o", "out" if args[0] != "extract" else "r.json"]
    result = kg(*args, *output, cwd=tmp_path, stdin=stdin)
    assert result.returncode == 2
    one_error_line(result, problem)
    assert not (tmp_path / "out").exists() and not (tmp_path / "r.json").exists()


def test_a_terminal_on_stdin_is_refused_not_waited_for(tmp_path: Path) -> None:
    primary, secondary = os.openpty()
    try:
        result = subprocess.run(
            ["kg", "map", "-", "-o", "out"],
            cwd=tmp_path,
            env=kg_env(),
            stdin=secondary,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 2
    one_error_line(result, "<stdin>: a terminal (expected a record JSON file piped in")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["validate", "-", "-"], "-: given twice"),
        (["extract", EXAMPLE, "--name", "x", "-o", "r.json"], "--name x: names an input read"),
        (["extract", "-", "--name", "../x", "-o", "r.json"], "is not a file name stem"),
        (["extract", "-", "--name", ".x", "-o", "r.json"], "is not a file name stem"),
        (["view", "-", "--input-format", "rdf", "-o", "v"], "invalid choice: 'rdf'"),
        (
            ["load", "-", "--input-format", "xml", "--store", "s"],
            "input format 'xml': not a syntax kg loads (expected: turtle, nt,",
        ),
    ],
    ids=["twice", "name-without-stdin", "name-folder", "name-hidden", "view-format", "load-xml"],
)
def test_bad_stream_options_are_usage_errors(
    tmp_path: Path, args: list[str | Path], problem: str
) -> None:
    result = kg(*args, cwd=tmp_path, stdin=b"@prefix ex: <https://example.org/> .\n")
    assert result.returncode == 2
    one_error_line(result, problem)
    assert not {"-", "r.json", "x.json", "v"} & {p.name for p in tmp_path.iterdir()}


@given(st.text(max_size=20))
def test_a_name_is_refused_or_stays_in_the_output_folder(name: str) -> None:
    out = Path("/out")
    try:
        stem = _stem(name)
    except argparse.ArgumentTypeError:
        return
    target = out / f"{stem}.ttl"
    assert target.parent == out and not target.name.startswith(".")


# --- glob patterns -------------------------------------------------------------------------------


def test_quoted_globs_work_for_validate_load_and_view(tmp_path: Path, built: Path) -> None:
    pattern = f"{built}/*.ttl"
    validate = kg("validate", pattern, "--format", "json", cwd=tmp_path)
    assert validate.returncode == 0, validate.stderr
    assert b"xiongan-innovation.ttl" in validate.stdout and b".jsonld" not in validate.stdout
    load = kg("load", f"{built}/*.jsonld", "--store", "store", "--workers", "1", cwd=tmp_path)
    assert load.returncode == 0, load.stderr
    assert b"loaded " in load.stdout
    view = kg("view", f"{built}/xiongan-*.ttl", "-o", "view", cwd=tmp_path)
    assert view.returncode == 0, view.stderr
    assert (tmp_path / "view/xiongan-innovation.html").is_file()


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (["validate"], "no files to validate match this pattern"),
        (["load", "--store", "s"], "no RDF files match this pattern"),
        (["view", "-o", "v"], "no articles, records or RDF files match this pattern"),
    ],
    ids=["validate", "load", "view"],
)
def test_a_glob_matching_nothing_is_an_input_error(
    tmp_path: Path, command: list[str], what: str
) -> None:
    (tmp_path / "notes.md").write_text("nothing to read\n")
    result = kg(command[0], "*.ttl", *command[1:], cwd=tmp_path)
    assert result.returncode == 2
    one_error_line(result, f"*.ttl: {what}")


def test_name_wins_over_the_source_a_record_names(tmp_path: Path) -> None:
    record = kg("extract", EXAMPLE, "-o", "-", cwd=tmp_path).stdout
    assert b'"source": "xiongan-innovation.txt"' in record
    result = kg("map", "-", "--name", "norvatek", "-o", "out", cwd=tmp_path, stdin=record)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "norvatek.jsonld",
        "norvatek.ttl",
    ]
