"""kg view: pages that show an article's record, read from an article, a record or a Turtle file;
escaped, self-contained and the same bytes every time; checked in a real headless Chromium."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, require_module
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

import kg
from kg.cli import main
from kg.model import Record, Span
from kg.readback import read_graph, record_from_graph
from kg.view import Html, Page, escape, page_of, read_page, render_index, render_page, summarize
from kg.vocab import SCHEMA

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
EXAMPLE_TTL = ROOT / "output" / "xiongan-innovation.ttl"
HOSTILE_TEXT = (
    'A "><img src=x onerror="window.__pwned=1;alert(1)"> headline <script>window.__pwned=2'
    "</script>\n\n"
    "Ni Yuefeng said the <script>window.__pwned=3;alert(3)</script> plan works, and "
    '"><img src=x onerror=window.__pwned=4> is not markup.\n\n'
    '"We will <b onmouseover=window.__pwned=5>grow</b> fast," said Ni Yuefeng.\n'
)


@pytest.fixture(scope="module")
def example_page() -> Page:
    # As output/ was built (EXAMPLE_TTL is read back from there): by the default extractor.
    return read_page(EXAMPLE, extractor="statistical")


class _Tags(HTMLParser):
    """Checks that every element is closed in order: a crossing highlight would break this."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def parse(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    tags.close()
    assert tags.open == []
    return tags


# --- markup --------------------------------------------------------------------------------------


def test_tag_escapes_text_and_attributes_but_not_markup() -> None:
    made = kg.view.tag("a", '<b>"x"</b>', Html("<i>ok</i>"), href='"><script>', class_="hl t")
    assert made == (
        '<a href="&quot;&gt;&lt;script&gt;" class="hl t">'
        "&lt;b&gt;&quot;x&quot;&lt;/b&gt;<i>ok</i></a>"
    )
    assert escape(escape("<&>")) == "&lt;&amp;&gt;"  # escaped once, not twice


# --- pages ---------------------------------------------------------------------------------------


def test_the_example_page_lists_what_the_record_holds(example_page: Page) -> None:
    record = example_page.record
    counts = {n: len(getattr(record, n)) for n in ("people", "posts", "metrics", "quotes")}
    assert counts == {"people": 3, "posts": 6, "metrics": 9, "quotes": 5}
    tags = parse(render_page(example_page))
    ids = {attrs.get("id") for _, attrs in tags.seen}
    assert {f"person-{p.key}" for p in record.people} <= ids
    assert {f"metric-{m.key}" for m in record.metrics} <= ids
    assert {f"quote-{q.key}" for q in record.quotes} <= ids
    # Every post's evidence is a target in the text, and its row links to it.
    hrefs = {attrs.get("href") for tag, attrs in tags.seen if tag == "a"}
    for post in record.posts:
        anchor = f"s-{post.evidence.start}-{post.evidence.end}"
        assert anchor in ids and f"#{anchor}" in hrefs
    # Every link inside the page leads somewhere on it.
    assert {h[1:] for h in hrefs if h and h.startswith("#")} <= ids


def test_a_page_is_self_contained(example_page: Page) -> None:
    page = render_page(example_page)
    tags = parse(page)
    assert not [t for t, attrs in tags.seen if "src" in attrs or t in ("link", "iframe", "img")]
    [policy] = [
        a["content"] for t, a in tags.seen if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy is not None and "default-src 'none'" in policy
    assert "<style>" in page and "<script>" in page  # inline, allowed by their hashes
    # Colour is not the only cue: every highlight carries a visible type label.
    assert page.count('<span class="t">person</span>') >= 8


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    first = kg.write_views([read_page(EXAMPLE)], tmp_path / "a")
    second = kg.write_views([read_page(EXAMPLE)], tmp_path / "b")
    assert [p.name for p in first] == ["xiongan-innovation.html", "index.html"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_a_turtle_file_shows_what_its_article_shows(example_page: Page) -> None:
    from_ttl = read_page(EXAMPLE_TTL)
    built, back = example_page.record, from_ttl.record
    assert from_ttl.article_iri == example_page.article_iri
    assert back.article.paragraphs == built.article.paragraphs
    for name in ("people", "organizations", "places", "posts", "metrics", "quotes"):
        ordered = sorted(getattr(back, name), key=lambda x: x.key)
        assert ordered == sorted(getattr(built, name), key=lambda x: x.key), name
    assert from_ttl.findings == () and from_ttl.conforms


def test_a_graph_without_an_article_is_an_input_error(tmp_path: Path) -> None:
    graph = read_graph(EXAMPLE_TTL)
    graph.remove((None, RDF.type, SCHEMA.NewsArticle))
    with pytest.raises(kg.InputError, match="0 articles in this graph"):
        record_from_graph(graph, "x.ttl")


def test_crossing_highlights_are_cut_into_nested_pieces(record: Record) -> None:
    # A quote whose evidence starts inside a person's mention and ends after it.
    mention = record.people[0].mentions[0]
    start, end = mention.start + 3, mention.end + 12
    text = record.article.text
    record.quotes[0].evidence = Span(start, end, text[start:end])
    page = render_page(page_of(kg.build_record(record)))
    parse(page)  # well nested
    assert page.count(f'id="s-{start}-{end}"') == 1  # only its first piece is the target


def test_hostile_text_is_shown_as_text(tmp_path: Path) -> None:
    article = tmp_path / "hostile.txt"
    article.write_text(HOSTILE_TEXT, encoding="utf-8")
    page = render_page(read_page(article))
    tags = parse(page)
    assert [t for t, _ in tags.seen].count("script") == 1  # kg's own
    assert not [t for t, a in tags.seen if t in ("img", "b") or any(k.startswith("on") for k in a)]
    assert "&lt;script&gt;window.__pwned=3" in page
    assert "&lt;img src=x onerror=window.__pwned=4&gt;" in page


def test_findings_are_shown_beside_their_passage(record: Record) -> None:
    record.people[0].name = ""  # a violation of PersonShape-name, about the person's mentions
    page = page_of(kg.build_record(record))
    assert not page.conforms
    [found] = [f for f in page.findings if f.finding.severity == "Violation"]
    mention = record.people[0].mentions[0]
    assert found.passage is not None and found.passage.begin == mention.start
    html = render_page(page)
    paragraph = html[html.index(f'id="s-{mention.start}-{mention.end}"') :]
    paragraph = paragraph[: paragraph.index("</p>") + 200]
    assert 'class="note violation" role="note"' in paragraph  # right after the passage
    assert 'href="#finding-1"' in paragraph


def test_the_index_lists_articles_counts_and_entities(example_page: Page) -> None:
    other = read_page(EXAMPLE_TTL)
    index = render_index([summarize(example_page, "a.html"), summarize(other, "b.html")])
    parse(index)
    assert index.count('href="a.html"') == 1 and index.count('href="b.html"') == 1
    # One row per IRI, linking to both pages that name it, and to GeoNames.
    assert index.count("https://example.org/kg/place/beijing</code>") == 1
    assert 'href="a.html#place-beijing"' in index and 'href="b.html#place-beijing"' in index
    assert ">GeoNames 1816670</a>" in index


# --- the command line ----------------------------------------------------------------------------


def test_kg_view_writes_pages_and_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "view"
    record = tmp_path / "x.record.json"
    data = json.loads((FIXTURES / "xiongan.record.json").read_text(encoding="utf-8"))
    data["article"]["source"] = None
    record.write_text(json.dumps(data), encoding="utf-8")
    assert main(["view", str(EXAMPLE), str(record), "-o", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [
        str(out / n) for n in ("xiongan-innovation.html", "x.record.html", "index.html")
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(p).name for p in printed)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.md", "# notes", "not an article, record or RDF file (expected .txt"),
        ("missing.txt", None, "missing.txt: no such file"),
        ("broken.ttl", "<a> <b> .", "broken.ttl: not valid turtle"),
        ("other.ttl", "<http://a> <http://b> <http://c> .", "0 articles in this graph"),
        ("index.txt", "Title\n\nBody text.", "its page would be the index"),
    ],
)
def test_kg_view_refuses_bad_input_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | None,
    message: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["view", str(path), "-o", str(tmp_path / "out")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("kg: ") and message in line
    assert not (tmp_path / "out").exists()


def test_kg_view_writes_the_pages_of_data_that_does_not_conform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = read_graph(EXAMPLE_TTL)
    person = URIRef("https://example.org/kg/person/ni-yuefeng")
    graph.add((person, SCHEMA.name, Literal("Yuefeng Ni")))  # one name too many
    broken = tmp_path / "two-names.ttl"
    broken.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    assert main(["view", str(broken), "-o", str(tmp_path / "out")]) == 1
    assert "does not conform to the shapes (the page shows the findings)" in capsys.readouterr().err
    page = (tmp_path / "out" / "two-names.html").read_text("utf-8")
    assert 'id="finding-1"' in page and "PersonShape-name" in page
    assert (
        '<p class="note violation" role="note"><a class="severity violation" href="#finding-1"'
        in page
    )


def test_kg_build_view_writes_the_page_kg_view_writes(tmp_path: Path) -> None:
    assert main(["build", str(EXAMPLE), "-o", str(tmp_path / "built"), "--view"]) == 0
    assert main(["view", str(EXAMPLE), "-o", str(tmp_path / "viewed")]) == 0
    for name in ("xiongan-innovation.html", "index.html"):
        assert (tmp_path / "built" / name).read_bytes() == (tmp_path / "viewed" / name).read_bytes()
    assert (tmp_path / "built" / "xiongan-innovation.ttl").is_file()


# --- in a real browser ---------------------------------------------------------------------------


@pytest.fixture
def chromium(
    require_tool: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Headless Chromium (Debian's, through its chromedriver) that may load file: URLs only:
    every other request is blocked, and every request is logged to be checked."""
    webdriver = require_module("selenium.webdriver", "pip install '.[test]'")
    service_module = require_module("selenium.webdriver.chrome.service", "pip install '.[test]'")
    binary = require_tool("chromium", "apt-get install -y chromium chromium-driver")
    driver_path = require_tool("chromedriver", "apt-get install -y chromium-driver")
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,1024",
        "--disable-background-networking",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(
        service=service_module.Service(executable_path=driver_path), options=options
    )
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]}
        )
        yield driver
    finally:
        driver.quit()


def requested(driver: Any) -> list[str]:
    """The URLs the browser asked for since the last call (from its performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def open_page(driver: Any, path: Path) -> None:
    requested(driver)  # forget earlier pages' requests
    driver.get(path.as_uri())


def distinct_rows(png: bytes) -> int:
    """How many different pixel rows a PNG has (a blank page has one or two)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
    data, position = b"", 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        if png[position + 4 : position + 8] == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(data)
    stride = 1 + width * channels * depth // 8
    assert len(raw) == stride * height
    return len({raw[i * stride + 1 : (i + 1) * stride] for i in range(height)})


@pytest.mark.browser
def test_in_chromium_the_page_shows_the_record_and_clicking_a_post_marks_its_evidence(
    chromium: Any, tmp_path: Path, example_page: Page
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    out = tmp_path / "view"
    assert main(["view", str(EXAMPLE), "-o", str(out)]) == 0
    open_page(chromium, out / "xiongan-innovation.html")

    def shown(selector: str) -> int:
        return sum(e.is_displayed() for e in chromium.find_elements(By.CSS_SELECTOR, selector))

    assert shown(".card.person") == 3
    assert shown("#posts tbody tr") == 6
    assert shown("#metrics tbody tr") == 9
    assert shown("blockquote.quote") == 5
    assert shown("#text .hl.person") == sum(len(p.mentions) for p in example_page.record.people)

    post = example_page.record.posts[2]
    anchor = f"s-{post.evidence.start}-{post.evidence.end}"
    row = chromium.find_element(By.ID, "post-" + post.key.replace("/", "--"))
    row.find_element(By.CSS_SELECTOR, f'a[href="#{anchor}"]').click()
    target = chromium.find_element(By.ID, anchor)

    def current(element: Any) -> bool:
        return "current" in element.get_attribute("class").split()

    WebDriverWait(chromium, 5).until(lambda _: current(target))  # hashchange comes after click
    assert target.get_attribute("aria-current") == "location"
    assert target.text.startswith(post.evidence.text.split(",")[0])
    assert chromium.switch_to.active_element == target  # keyboard focus follows
    assert target.value_of_css_property("background-color") == "rgba(255, 228, 92, 1)"
    # Only one thing is current: the first post's evidence is no longer marked.
    other = example_page.record.posts[0].evidence
    chromium.find_element(By.CSS_SELECTOR, f'#posts a[href="#s-{other.start}-{other.end}"]').click()
    WebDriverWait(chromium, 5).until(lambda _: not current(target))
    assert current(chromium.find_element(By.ID, f"s-{other.start}-{other.end}"))

    screenshot = tmp_path / "page.png"
    assert chromium.save_screenshot(str(screenshot))
    assert distinct_rows(screenshot.read_bytes()) > 200
    assert [u for u in requested(chromium) if not u.startswith("file:")] == []


@pytest.mark.browser
def test_in_chromium_a_hostile_article_runs_nothing_and_fetches_nothing(
    chromium: Any, tmp_path: Path
) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    article = tmp_path / "hostile.txt"
    article.write_text(HOSTILE_TEXT, encoding="utf-8")
    out = tmp_path / "view"
    main(["view", str(article), "-o", str(out)])
    open_page(chromium, out / "hostile.html")
    # Hovering is how the <b onmouseover> would have run, had it been markup.
    for element in chromium.find_elements(By.CSS_SELECTOR, "#text p"):
        chromium.execute_script("arguments[0].dispatchEvent(new MouseEvent('mouseover'))", element)
    with pytest.raises(NoAlertPresentException):
        chromium.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert chromium.execute_script("return window.__pwned") is None
    assert chromium.find_elements(By.CSS_SELECTOR, "img, b") == []
    assert len(chromium.find_elements(By.TAG_NAME, "script")) == 1  # kg's own
    assert "<script>window.__pwned=3;alert(3)</script>" in chromium.find_element(By.ID, "text").text
    assert chromium.title.startswith('A "><img src=x onerror=')
    assert [u for u in requested(chromium) if not u.startswith("file:")] == []
    open_page(chromium, out / "index.html")
    assert chromium.execute_script("return window.__pwned") is None
    assert [u for u in requested(chromium) if not u.startswith("file:")] == []
