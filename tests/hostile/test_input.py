"""Hostile articles and records: each is refused with exit code 2 and one line naming the file
and the problem, or built exactly like its clean twin; never a partial or temporary file, never
a change to outputs written before, never a connection (the socket guard of conftest.py).

The articles are variants of the example, made here from its bytes, so that each case reads as
what it changes.
"""

from __future__ import annotations

import json
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Graph, URIRef

from hostile.conftest import (
    KgRun,
    assert_only_files,
    assert_unchanged,
    leftovers,
    run_kg,
    run_kg_offline,
    snapshot,
)
from kg.extract.text import sentences
from kg.ingest import MAX_ARTICLE_BYTES, MAX_PAGE_BYTES
from kg.model import Span
from kg.record import MAX_RECORD_BYTES
from kg.vocab import SCHEMA

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
EXAMPLE_RECORD = ROOT / "examples" / "xiongan-innovation.record.json"
GOLDEN = ROOT / "output"
STEM = "xiongan-innovation"
URL = "https://www.chinadaily.com.cn/a/202503/06/WS67c97dc1a310c240449d921b.html"


def example(old: str = "", new: str = "") -> bytes:
    """The example article's bytes, with its first `old` replaced by `new`."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def without_line(prefix: str) -> bytes:
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    return "\n".join(line for line in lines if not line.startswith(prefix)).encode("utf-8")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder holding the example's outputs (and its record) from an earlier run."""
    folder = tmp_path / "out"
    folder.mkdir()
    for suffix in (".ttl", ".jsonld"):
        (folder / f"{STEM}{suffix}").write_bytes((GOLDEN / f"{STEM}{suffix}").read_bytes())
    (folder / f"{STEM}.record.json").write_bytes(EXAMPLE_RECORD.read_bytes())
    return folder


def build(tmp_path: Path, out: Path, data: bytes, *extra: str, command: str = "build") -> KgRun:
    """`kg build` (or `kg extract`) of an article file holding `data`, named like the example so
    that it would overwrite the earlier outputs in `out`."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / f"{STEM}.txt").write_bytes(data)
    target = out if command == "build" else out / f"{STEM}.record.json"
    return run_kg(command, folder / f"{STEM}.txt", "-o", target, *extra)


# --- refused articles --------------------------------------------------------------------------

REFUSED = [
    # 1. not text
    pytest.param(b"", "empty file", id="empty"),
    pytest.param(b" \n\t\r\n  \n", "empty file", id="whitespace-only"),
    pytest.param(b"\xef\xbb\xbf", "empty file", id="only-a-bom"),
    pytest.param(b"\xef\xbb\xbf\r\n \r\n", "empty file", id="bom-and-blank-lines"),
    pytest.param(example("Xiong'an lies", "Xiong'an\x00lies"), "binary file (NUL", id="nul-bytes"),
    pytest.param(PNG, "binary file (NUL", id="png-renamed-txt"),
    # 2. not UTF-8, or not plain text
    pytest.param(
        "标题: 雄安\n\n雄安新区是河北省的新区。\n".encode("gbk"),
        "not UTF-8 (byte 0xb1 at offset 0; expected an article: re-encode it as UTF-8)",
        id="gbk",
    ),
    pytest.param(
        example().decode("utf-8").encode("utf-16"),
        "UTF-16 text (a byte order mark 0xfffe; expected an article: re-encode it as UTF-8)",
        id="utf-16-from-a-windows-editor",
    ),
    pytest.param(
        "Café society\n\nNoël Dubois opened a café in Lyon, the city said.\n".encode("latin-1"),
        "not UTF-8 (byte 0xe9 at offset 3;",
        id="latin-1",
    ),
    pytest.param(
        example().replace(b"Ni Yuefeng, a", b"Ni \xed\xa0\x80Yuefeng, a"),
        "not UTF-8 (byte 0xed at offset 389;",
        id="surrogate-bytes-in-a-name",
    ),
    pytest.param(
        example("Ni Yuefeng, a", "Ni \x1b[31mYuefeng, a"),
        "control character U+001B at line 8, column 4 (expected plain text)",
        id="escape-in-a-name",
    ),
    pytest.param(
        example('"We pursue', '"We\x07 pursue'),
        "control character U+0007 at line 10, column 4",
        id="bell-in-a-quote",
    ),
    pytest.param(
        example("Ni Yuefeng, a", "Ni Yue\u0085feng, a"),
        "control character U+0085 at line 8, column 7",
        id="c1-control-in-a-name",
    ),
    # 3. header variants
    pytest.param(
        "标题: A title\n网址: https://example.com/a.html\n".encode(),
        "no body text",
        id="headers-only",
    ),
    pytest.param(
        example("网址:", "标题: Another title\n网址:"),
        "header '标题:' on lines 1 and 2 (expected it once)",
        id="title-twice",
    ),
    pytest.param(
        example("\n\n", "\n网址: https://example.com/other.html\n\n"),
        "header '网址:' on lines 2 and 3 (expected it once)",
        id="url-twice",
    ),
    pytest.param(without_line("标题"), "header has no title", id="url-header-without-title"),
    # 4. URLs
    pytest.param(example(URL, "javascript:alert(1)"), "malformed URL", id="javascript-url"),
    pytest.param(example("https://", "https//"), "malformed URL", id="url-without-colon"),
    pytest.param(example(URL, "http://[::1/x.html"), "malformed URL", id="url-unclosed-ipv6"),
    pytest.param(example(URL, "https:///a/x.html"), "malformed URL", id="url-without-host"),
    pytest.param(example(URL, "file:///etc/passwd"), "malformed URL", id="file-url"),
    pytest.param(example("www.china", "www.china "), "malformed URL", id="space-in-the-host"),
]


@pytest.mark.parametrize("command", ["build", "extract"])
@pytest.mark.parametrize(("data", "fragment"), REFUSED)
def test_a_hostile_article_is_refused(
    tmp_path: Path, out: Path, data: bytes, fragment: str, command: str
) -> None:
    before = snapshot(out)
    result = build(tmp_path, out, data, command=command)
    result.assert_error(2, f"{STEM}.txt", fragment)
    assert result.stdout == ""
    assert_unchanged(out, before)


def test_a_refused_article_leaves_no_output_folder(tmp_path: Path) -> None:
    result = build(tmp_path, tmp_path / "out", b"")
    result.assert_error(2, f"{STEM}.txt", "empty file")
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


# --- articles built like the clean example -----------------------------------------------------

SAME_AS_CLEAN = [
    pytest.param(lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"), id="bom-and-crlf"),
    pytest.param(lambda b: b.replace(b"\n", b"\r"), id="old-mac-line-ends"),
    pytest.param(lambda b: b.replace("标题: ".encode(), "标题：".encode()), id="full-width-colon"),
    pytest.param(lambda b: b.replace("网址: ".encode(), "网址 ： ".encode()), id="spaced-colon"),
    pytest.param(lambda b: b"\n \n\t\n\n\n\n" + b, id="blank-lines-before-the-headers"),
]


@pytest.mark.parametrize("variant", SAME_AS_CLEAN)
def test_a_variant_gives_the_clean_article_s_bytes(
    tmp_path: Path, variant: Callable[[bytes], bytes], default_extractor: None
) -> None:
    # Compared with output/, which the default extractor wrote.
    out = tmp_path / "out"
    result = build(tmp_path, out, variant(EXAMPLE.read_bytes()))
    assert result.code == 0, result.stderr
    assert_only_files(out, {f"{STEM}.ttl", f"{STEM}.jsonld"})
    for suffix in (".ttl", ".jsonld"):
        assert (out / f"{STEM}{suffix}").read_bytes() == (GOLDEN / f"{STEM}{suffix}").read_bytes()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(without_line("网址"), id="no-url-header"),
        pytest.param(example(URL, ""), id="empty-url-header"),
    ],
)
def test_an_article_without_a_url_has_none(tmp_path: Path, data: bytes) -> None:
    out = tmp_path / "out"
    result = build(tmp_path, out, data)
    assert result.code == 0, result.stderr
    graph = Graph().parse(out / f"{STEM}.ttl")
    assert list(graph.objects(None, SCHEMA.url)) == []
    assert_only_files(out, {f"{STEM}.ttl", f"{STEM}.jsonld"})


URLS = [
    pytest.param(
        "https://example.com/新闻/雄安 创新.html?q=空气#第一段",
        "https://example.com/%E6%96%B0%E9%97%BB/%E9%9B%84%E5%AE%89%20%E5%88%9B%E6%96%B0.html"
        "?q=%E7%A9%BA%E6%B0%94#%E7%AC%AC%E4%B8%80%E6%AE%B5",
        id="cjk-and-spaces",
    ),
    pytest.param("https://例子.cn/a.html", "https://xn--fsqu00a.cn/a.html", id="cjk-host"),
    pytest.param("https://faß.de/a.html", "https://xn--fa-hia.de/a.html", id="idna-2008-host"),
    pytest.param(
        'https://example.com/a"b<c>{d}|e^f`g\\h.html',
        "https://example.com/a%22b%3Cc%3E%7Bd%7D%7Ce%5Ef%60g%5Ch.html",
        id="characters-no-iri-holds",
    ),
    pytest.param(
        "https://example.com/100%-sure%2F.html",
        "https://example.com/100%25-sure%2F.html",
        id="stray-percent",
    ),
]


@pytest.mark.parametrize(("url", "iri"), URLS)
def test_a_url_is_percent_encoded_so_every_parser_reads_it(
    tmp_path: Path,
    require_tool: Callable[[str, str], str],
    url: str,
    iri: str,
) -> None:
    out = tmp_path / "out"
    result = build(tmp_path, out, example(URL, url), "--format", "nt")
    assert result.code == 0, result.stderr
    nt = out / f"{STEM}.nt"
    graph = Graph().parse(nt)
    assert list(graph.objects(None, SCHEMA.url)) == [URIRef(iri)]
    quads = list(pyoxigraph.parse(path=str(nt), format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert len(quads) == len(graph)
    rapper = require_tool("rapper", "apt-get install -y raptor2-utils")
    for path, syntax in ((nt, "ntriples"), (out / f"{STEM}.ttl", "turtle")):
        done = subprocess.run(
            [rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert f"returned {len(graph)} triples" in done.stderr


# --- size --------------------------------------------------------------------------------------


SIZES = [
    pytest.param(
        "build", f"{STEM}.txt", f"an article file of at most {MAX_ARTICLE_BYTES:,}", id="article"
    ),
    pytest.param(
        "build", f"{STEM}.html", f"a saved HTML page of at most {MAX_PAGE_BYTES:,}", id="page"
    ),
    pytest.param(
        "map",
        f"{STEM}.record.json",
        f"a record JSON file of at most {MAX_RECORD_BYTES:,}",
        id="record",
    ),
]


@pytest.mark.parametrize(("command", "name", "cap"), SIZES)
def test_a_50_mb_one_line_file_is_refused_before_it_is_read(
    tmp_path: Path, out: Path, command: str, name: str, cap: str
) -> None:
    line = EXAMPLE.read_bytes().replace(b"\n", b" ")
    path = tmp_path / name
    path.write_bytes(b"A title\n\n" + line * (50_000_000 // len(line)))
    before = snapshot(out)
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = run_kg(command, path, "-o", out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result.assert_error(
        2, name, f"{path.stat().st_size:,} bytes is too large (expected {cap} bytes)"
    )
    assert time.monotonic() - started < 5
    assert peak < 5_000_000, "the file was read into memory"
    assert_unchanged(out, before)


def test_an_article_one_byte_over_the_cap_is_refused(tmp_path: Path, out: Path) -> None:
    result = build(tmp_path, out, b"A title\n\n" + b"a" * MAX_ARTICLE_BYTES)
    result.assert_error(2, f"{STEM}.txt", "too large")


def test_a_one_line_article_at_the_cap_splits_into_sentences_in_linear_time() -> None:
    # Splitting looked back over the whole paragraph at each full stop: a 400 KB one-line
    # article took minutes in all, most of them here.
    line = EXAMPLE.read_text(encoding="utf-8").replace("\n", " ")
    text = (line * (MAX_ARTICLE_BYTES // len(line) + 1))[:MAX_ARTICLE_BYTES]
    started = time.monotonic()
    found = sentences(text, [Span(0, len(text), text)])
    assert time.monotonic() - started < 5
    assert len(found) > 5000


# --- hand-edited records -----------------------------------------------------------------------


def edited(change: Callable[[dict[str, Any]], None]) -> bytes:
    """The example record as JSON with `change` applied, every non-ASCII character escaped
    (so a lone surrogate is written as the escape "\\ud800", as a hand edit would)."""
    data = json.loads(EXAMPLE_RECORD.read_text(encoding="utf-8"))
    change(data)
    return json.dumps(data, ensure_ascii=True, indent=2).encode("ascii")


def setter(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]  # type: ignore[index]
        data[last] = value  # type: ignore[index]

    return change


RECORDS = [
    pytest.param(
        setter("people", 0, "name", value="Ni \ud800Yuefeng"),
        "/people/0/name: lone surrogate U+D800 at line 1, column 4 (expected plain text)",
        id="lone-surrogate-in-a-name",
    ),
    pytest.param(
        setter("quotes", 0, "text", value="We pursue \udfff innovation"),
        "/quotes/0/text: lone surrogate U+DFFF",
        id="lone-surrogate-in-a-quote",
    ),
    pytest.param(
        setter("people", 0, "name", value="Ni\x00Yuefeng"),
        "/people/0/name: control character U+0000",
        id="nul-in-a-name",
    ),
    pytest.param(
        setter("article", "title", value="Innovation\x1b[2J flows"),
        "/article/title: control character U+001B",
        id="escape-in-the-title",
    ),
    pytest.param(
        setter("article", "url", value="https://example.com/100%.html"),
        '/article/url: "https://example.com/100%.html" is not an IRI '
        "('%' must start a %XX escape)",
        id="stray-percent-in-the-url",
    ),
    pytest.param(
        setter("article", "url", value="javascript:alert(1)"),
        '/article/url: "javascript:alert(1)" is invalid',
        id="javascript-url",
    ),
    pytest.param(
        setter("people", 0, "same_as", value=["https://example.com/a\udcffb"]),
        "/people/0/same_as/0: lone surrogate U+DCFF",
        id="lone-surrogate-in-a-link",
    ),
]


def test_a_record_naming_a_key_twice_is_refused(tmp_path: Path, out: Path) -> None:
    text = EXAMPLE_RECORD.read_text(encoding="utf-8")
    path = tmp_path / "edited.record.json"
    path.write_text(text.replace('"name": "Ni Yuefeng",', '"name": "Ni Yuefeng", "name": "Ni",'))
    before = snapshot(out)
    result = run_kg("map", path, "-o", out)
    result.assert_error(2, "edited.record.json", 'key "name" twice in one object')
    assert_unchanged(out, before)


@pytest.mark.parametrize(("change", "fragment"), RECORDS)
def test_a_hostile_record_is_refused(
    tmp_path: Path, out: Path, change: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    path = tmp_path / "edited.record.json"
    path.write_bytes(edited(change))
    before = snapshot(out)
    result = run_kg("map", path, "-o", out, "--format", "nt")
    result.assert_error(2, "edited.record.json", fragment)
    assert_unchanged(out, before)


def test_a_record_with_a_bom_and_crlf_maps_like_the_clean_one(tmp_path: Path) -> None:
    clean = EXAMPLE_RECORD.read_bytes()
    outputs = []
    for name, data in (
        ("clean", clean),
        ("bom-crlf", b"\xef\xbb\xbf" + clean.replace(b"\n", b"\r\n")),
    ):
        path = tmp_path / f"{name}.record.json"
        path.write_bytes(data)
        result = run_kg("map", path, "-o", tmp_path / name)
        assert result.code == 0, result.stderr
        outputs.append(snapshot(tmp_path / name))
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {f"{STEM}.ttl", f"{STEM}.jsonld"}


# --- offline, in a process of its own ----------------------------------------------------------

OFFLINE = [
    pytest.param(example(URL, "https://example.com/新闻 1.html"), 0, id="cjk-url-builds"),
    pytest.param("标题: 雄安\n\n新区\n".encode("gbk"), 2, id="gbk-refused"),
]


@pytest.mark.parametrize(("data", "code"), OFFLINE)
def test_the_command_runs_without_a_network(
    tmp_path: Path, offline_prefix: list[str], data: bytes, code: int
) -> None:
    article = tmp_path / f"{STEM}.txt"
    article.write_bytes(data)
    result = run_kg_offline(offline_prefix, "build", article, "-o", tmp_path / "out")
    assert result.code == code, result.stderr
    expected = {f"{STEM}.ttl", f"{STEM}.jsonld"} if code == 0 else set()
    assert_only_files(tmp_path / "out", expected)
