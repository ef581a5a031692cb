"""Review articles in the browser: one self-contained HTML page per article, and an index.

    >>> page = read_page("examples/xiongan-innovation.txt")   # or a record .json, or a .ttl
    >>> html = render_page(page)                              # a str; the same bytes every time
    >>> write_views([page], "view/")                          # doctest: +SKIP
    [PosixPath('view/xiongan-innovation.html'), PosixPath('view/index.html')]

A page shows the article (title, publisher, date, URL, IRI), its text with every mention,
metric, quote and piece of evidence highlighted and linked to what it is about, a panel per
entity type, the posts, metrics and quotes, a drawing of the graph, and the SHACL findings
beside the passage they are about. It needs nothing beyond itself: the CSS and JavaScript are
inline (`kg/resources/view/`), and its Content-Security-Policy lets the page run that script
alone and fetch nothing, so even text that escaped escaping could not run or load anything.

Every piece of text that comes from an article goes through `escape` (or `tag`, which escapes
its children and attributes); markup is only ever made by `tag`, so raw text cannot become it.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from rdflib import Graph
from rdflib.namespace import RDF

from kg.api import Result, build, build_record, check_distinct_stems
from kg.conformance import Passage, finding_passage
from kg.data import read_table
from kg.errors import InputError
from kg.files import (
    check_streams,
    ensure_dir,
    expand_globs,
    input_name,
    input_stem,
    is_stream,
    write_all_atomic,
)
from kg.ingest import ARTICLE_SUFFIXES, HTML_SUFFIXES, TEXT_SUFFIX
from kg.link import Links, link_record
from kg.mapping import DEFAULT_BASE
from kg.model import Entity, EntityType, Record, Span
from kg.packaged import packaged_file
from kg.readback import GRAPH_FORMATS, read_graph, record_from_graph
from kg.record import read_record
from kg.validate import Finding, validate_graph
from kg.vocab import SCHEMA

RECORD_SUFFIXES = (".json",)
VIEW_SUFFIXES = (*ARTICLE_SUFFIXES, *RECORD_SUFFIXES, *GRAPH_FORMATS)
# What `kg view --input-format` names, as the extension a file of it has.
VIEW_FORMATS = {
    "text": TEXT_SUFFIX,
    "html": HTML_SUFFIXES[0],
    "json": RECORD_SUFFIXES[0],
    **{rdf_format: suffix for suffix, rdf_format in GRAPH_FORMATS.items()},
}
INDEX_NAME = "index.html"
ENTITY_GROUPS: tuple[tuple[EntityType, str], ...] = (
    ("person", "people"),
    ("organization", "organizations"),
    ("place", "places"),
)
# The drawing of the graph: columns of boxes, left to right, joined by the record's references.
_BOX_WIDTH, _BOX_HEIGHT, _COLUMN_PITCH, _ROW_PITCH, _MARGIN, _TOP = 168, 22, 200, 30, 16, 48
_LABEL_CHARS = 24  # what fits in a box at 12px


# --- markup ----------------------------------------------------------------------------------


class Html(str):
    """Text that is already markup: made by `escape`, `tag` or `join`, never from raw text."""

    __slots__ = ()


def escape(value: object) -> Html:
    """`value` as HTML text: markup passes through, anything else is escaped (quotes too)."""
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


def join(parts: Iterable[object], separator: str = "") -> Html:
    """Escaped parts one after the other."""
    return Html(escape(separator).join(escape(part) for part in parts))


def tag(name: str, *children: object, **attributes: object) -> Html:
    """`<name attributes>children</name>`; `class_="x"` is `class`, `aria_label` is `aria-label`;
    None and False leave an attribute out, True writes it bare."""
    rendered = ""
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        attribute = key.rstrip("_").replace("_", "-")
        rendered += f" {attribute}" if value is True else f' {attribute}="{escape(value)}"'
    return Html(f"<{name}{rendered}>{join(children)}</{name}>")


# --- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFinding:
    """A SHACL finding, and the passage of the article text it is about (when it has one)."""

    finding: Finding
    passage: Passage | None


@dataclass(frozen=True)
class Page:
    """What one article page shows: the record, the article's IRI, and the findings."""

    record: Record
    article_iri: str
    findings: tuple[PageFinding, ...]
    stem: str  # the page is <stem>.html

    @property
    def conforms(self) -> bool:
        """True unless a finding is a violation (warnings allowed), as `kg build` decides."""
        return not any(found.finding.severity == "Violation" for found in self.findings)

    @property
    def base(self) -> str:
        return self.article_iri.rsplit("article/", 1)[0]

    def entity_iri(self, kind: EntityType, key: str) -> str:
        return f"{self.base}{kind}/{key}"


@dataclass(frozen=True)
class IndexEntity:
    """An entity as the index lists it: one row per IRI, with the pages that name it."""

    iri: str
    kind: EntityType
    name: str
    anchor: str
    same_as: tuple[str, ...]


@dataclass(frozen=True)
class PageSummary:
    """What the index shows of one page (small and picklable: corpus workers return it)."""

    href: str  # the page, relative to the index
    title: str
    publisher: str | None
    published: str | None
    counts: Mapping[str, int]  # COUNTED names
    entities: tuple[IndexEntity, ...]


COUNTED = ("people", "organizations", "places", "posts", "metrics", "quotes")
SEVERITIES = ("Violation", "Warning", "Info")


def page_of(result: Result) -> Page:
    """The page of a pipeline result (`kg.build`, `kg.build_record`)."""
    return _page(result.record, result.graph, result.report.findings, result.stem)


def page_of_graph(graph: Graph, stem: str, source: str | None = None) -> Page:
    """The page of a graph kg wrote, validated again for its findings."""
    record = record_from_graph(graph, source)
    return _page(record, graph, validate_graph(graph).findings, stem)


def read_page(
    path: str | Path,
    *,
    base: str = DEFAULT_BASE,
    published: str | None = None,
    links: Links | None = None,
    extractor: str | None = None,
    name: str | None = None,
    input_format: str | None = None,
) -> Page:
    """The page of an article (built like `kg build`), a record JSON (mapped like `kg map`), or
    a Turtle or N-Triples file kg wrote (read back). `base`, `published` and `links` apply to
    what is built here, not to a graph read back; `extractor` to articles alone.

    `path` `-` is standard input, an article unless `input_format` (`VIEW_FORMATS`: text, html,
    json, turtle, nt) says otherwise; `name` is its page's stem (default `stdin`).
    """
    path = Path(path)
    if input_format is None and is_stream(path):
        input_format = "text"
    suffix = view_suffix(input_format) if input_format else path.suffix.lower()
    stem = input_stem(path, name)
    if suffix in ARTICLE_SUFFIXES:
        article_format = "html" if suffix in HTML_SUFFIXES else "text"
        result = build(
            path,
            base=base,
            published=published,
            links=links,
            extractor=extractor,
            name=name,
            input_format=article_format if input_format else None,
        )
        return page_of(result)
    if suffix in RECORD_SUFFIXES:
        record = read_record(path)
        if links is not None:
            record = link_record(record, links)
        return page_of(
            # `name` over the record's own source: what is given on the command line wins.
            build_record(
                record, base=base, stem=stem if name or not record.article.source else None
            )
        )
    if suffix in GRAPH_FORMATS:
        return page_of_graph(read_graph(path, GRAPH_FORMATS[suffix]), stem, input_name(path))
    expected = ", ".join(VIEW_SUFFIXES)
    raise InputError(
        f"{input_name(path)}: not an article, record or RDF file (expected {expected})"
    )


def find_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """The inputs named (`-`: standard input), glob patterns expanded to the articles, records
    and RDF files they match."""
    paths = list(paths)
    check_streams(paths)
    expected = ", ".join(VIEW_SUFFIXES)
    return expand_globs(paths, _is_input, "articles, records or RDF files", expected)


def _is_input(path: Path) -> bool:
    return path.suffix.lower() in VIEW_SUFFIXES


def view_suffix(input_format: str) -> str:
    """The extension of the files `--input-format NAME` reads as (`VIEW_FORMATS`)."""
    try:
        return VIEW_FORMATS[input_format]
    except KeyError:
        expected = ", ".join(VIEW_FORMATS)
        raise InputError(
            f"input format {input_format!r} not supported (expected: {expected})"
        ) from None


def _page(record: Record, graph: Graph, findings: Sequence[Finding], stem: str) -> Page:
    articles = sorted(graph.subjects(RDF.type, SCHEMA.NewsArticle), key=str)
    iri = str(articles[0]) if articles else ""
    found = tuple(PageFinding(f, finding_passage(graph, f)[0]) for f in findings)
    return Page(record, iri, found, stem)


def write_views(pages: Sequence[Page], out_dir: str | Path) -> list[Path]:
    """Write `<stem>.html` for each page and `index.html` listing them, all or none.

    >>> write_views([read_page("a.txt"), read_page("b.record.json")], "view/")  # doctest: +SKIP
    """
    out_dir = Path(out_dir)
    _check_stems(pages)
    files = {out_dir / f"{page.stem}.html": render_page(page).encode("utf-8") for page in pages}
    summaries = [summarize(page, f"{page.stem}.html") for page in pages]
    files[out_dir / INDEX_NAME] = render_index(summaries).encode("utf-8")
    ensure_dir(out_dir)
    return write_all_atomic(files)


def _check_stems(pages: Sequence[Page]) -> None:
    named = [(page.record.article.source or page.stem, page.stem) for page in pages]
    for where, stem in named:
        if f"{stem}.html" == INDEX_NAME:
            raise InputError(f"{where}: its page would be the index, {INDEX_NAME} (rename it)")
    check_distinct_stems(named, "page")


# --- anchors and names -----------------------------------------------------------------------


def _entity_anchor(kind: str, key: str) -> str:
    return f"{kind}-{key}"


def _post_anchor(key: str) -> str:
    return "post-" + key.replace("/", "--")


def _span_anchor(span: Span | Passage) -> str:
    start = span.start if isinstance(span, Span) else span.begin
    return f"s-{start}-{span.end}"


@cache
def _kinds() -> dict[str, tuple[str, str]]:
    """{kind: (label beside a highlight, heading of its panel)}."""
    return {kind: (values[0], values[1]) for kind, values in read_table("view_kinds.tsv").items()}


def _label(kind: str) -> str:
    return _kinds().get(kind, (kind.lower(), ""))[0]


def _heading(kind: str) -> str:
    return _kinds()[kind][1]


@cache
def _link_names() -> dict[str, str]:
    return {host: values[0] for host, values in read_table("link_names.tsv").items()}


def _link_text(iri: str) -> str:
    name = _link_names().get(urlsplit(iri).hostname or "")
    return f"{name} {iri.rstrip('/').rsplit('/', 1)[-1]}" if name else iri


def _entities(record: Record) -> list[tuple[EntityType, Entity]]:
    return [(kind, e) for kind, group in ENTITY_GROUPS for e in getattr(record, group)]


def _entity_link(record: Record, key: str | None) -> Html:
    if key is None:
        return Html("")
    found = record.entity(key)
    if found is None:
        return escape(key)
    kind, entity = found
    return tag("a", entity.name, href=f"#{_entity_anchor(kind, key)}")


def _passage_is_article(passage: Passage, record: Record) -> bool:
    # The context's own checks name the whole text: that is about the article, not a passage.
    return passage.begin == 0 and passage.end == len(record.article.text)


def _number(value: str) -> str:
    """A decimal with thousands separators: `69450000000` -> `69,450,000,000`."""
    try:
        return f"{Decimal(value):,}"
    except InvalidOperation:
        return value


# --- the text and its highlights ---------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    """A highlighted stretch of text; a mark that crosses another is cut into pieces, and only
    its first piece carries the anchor and the labels."""

    start: int
    end: int
    kinds: tuple[str, ...]
    targets: tuple[tuple[str, str], ...]  # (label, href)
    anchor: str | None


def _marks(page: Page) -> list[_Mark]:
    found: dict[tuple[int, int], tuple[list[str], list[tuple[str, str]]]] = {}

    def add(start: int, end: int, kind: str, href: str, label: str | None = None) -> None:
        kinds, targets = found.setdefault((start, end), ([], []))
        if kind not in kinds:
            kinds.append(kind)
        target = (label or _label(kind), href)
        if target not in targets:
            targets.append(target)

    record = page.record
    for kind, entity in _entities(record):
        for mention in entity.mentions:
            add(mention.start, mention.end, kind, f"#{_entity_anchor(kind, entity.key)}")
    for post in record.posts:
        add(post.evidence.start, post.evidence.end, "post", f"#{_post_anchor(post.key)}")
    for metric in record.metrics:
        href = f"#metric-{metric.key}"
        add(metric.evidence.start, metric.evidence.end, "metric", href)
        if metric.period is not None:
            add(metric.period.span.start, metric.period.span.end, "period", href)
    for quote in record.quotes:
        add(quote.evidence.start, quote.evidence.end, "quote", f"#quote-{quote.key}")
    for n, found_at in enumerate(page.findings, 1):
        passage = found_at.passage
        if passage is not None and not _passage_is_article(passage, record):
            severity = found_at.finding.severity
            add(passage.begin, passage.end, severity.lower(), f"#finding-{n}", severity.lower())
    return [
        _Mark(start, end, tuple(kinds), tuple(targets), f"s-{start}-{end}")
        for (start, end), (kinds, targets) in sorted(found.items())
        if end > start
    ]


def _nested(marks: Iterable[_Mark]) -> list[_Mark]:
    """The marks in document order, properly nested: one that crosses the end of an open mark
    is cut there, and the rest goes on as a piece of its own."""
    queue = [(m.start, -m.end, i, m) for i, m in enumerate(marks)]
    heapq.heapify(queue)
    count = len(queue)
    pieces: list[_Mark] = []
    open_ends: list[int] = []
    while queue:
        *_, mark = heapq.heappop(queue)
        while open_ends and open_ends[-1] <= mark.start:
            open_ends.pop()
        if open_ends and mark.end > open_ends[-1]:
            cut = open_ends[-1]
            rest = replace(mark, start=cut, anchor=None)
            heapq.heappush(queue, (cut, -mark.end, count, rest))
            count += 1
            mark = replace(mark, end=cut)
        pieces.append(mark)
        open_ends.append(mark.end)
    return pieces


def _fragment(text: str, start: int, end: int, pieces: list[_Mark], i: int) -> tuple[Html, int]:
    """The text from start to end with the pieces from `i` on that lie inside it."""
    parts: list[Html] = []
    position = start
    while i < len(pieces) and pieces[i].start < end:
        piece = pieces[i]
        parts.append(escape(text[position : piece.start]))
        inner, after = _fragment(text, piece.start, piece.end, pieces, i + 1)
        parts.append(_mark_html(piece, inner, nested=after > i + 1))
        position, i = piece.end, after
    parts.append(escape(text[position:end]))
    return join(parts), i


def _mark_html(mark: _Mark, inner: Html, nested: bool) -> Html:
    classes = " ".join(("hl", *mark.kinds))
    if mark.anchor is None:
        return tag("span", inner, class_=classes)
    if len(mark.targets) == 1 and not nested:
        # A link of its own: a link may not hold another, so only a mark with none inside.
        [(label, href)] = mark.targets
        return tag(
            "a", inner, tag("span", label, class_="t"), class_=classes, id=mark.anchor, href=href
        )
    labels = [tag("a", label, class_="t", href=href) for label, href in mark.targets]
    return tag("span", inner, *labels, class_=classes, id=mark.anchor)


def _clip(mark: _Mark, paragraph: Span) -> _Mark | None:
    start, end = max(mark.start, paragraph.start), min(mark.end, paragraph.end)
    if start >= end:
        return None
    anchor = mark.anchor if mark.start >= paragraph.start else None
    return replace(mark, start=start, end=end, anchor=anchor)


def _text_section(page: Page) -> Html:
    record = page.record
    text = record.article.text
    marks = _marks(page)
    notes = _notes(page)
    paragraphs = record.article.paragraphs or [Span(0, len(text), text)]
    body = [join(notes.get(None, []))]
    for paragraph in paragraphs:
        clipped = (_clip(mark, paragraph) for mark in marks)
        pieces = _nested(m for m in clipped if m is not None)
        content, _ = _fragment(text, paragraph.start, paragraph.end, pieces, 0)
        body.append(tag("p", content))
        body += notes.get(paragraph.start, [])
    return _section("text", "Text", *body, class_="text")


def _notes(page: Page) -> dict[int | None, list[Html]]:
    """Each finding as a note after the paragraph its passage starts in (key: the paragraph's
    start), or before the text (key None) when it is about the whole article."""
    record = page.record
    starts = [p.start for p in record.article.paragraphs]
    notes: dict[int | None, list[Html]] = {}
    for n, found in enumerate(page.findings, 1):
        passage = found.passage
        where: int | None = None
        if passage is not None and not _passage_is_article(passage, record):
            where = max((s for s in starts if s <= passage.begin), default=None)
        severity = found.finding.severity
        note = tag(
            "p",
            tag("a", severity, class_=f"severity {severity.lower()}", href=f"#finding-{n}"),
            ": ",
            found.finding.message,
            class_=f"note {severity.lower()}",
            role="note",
        )
        notes.setdefault(where, []).append(note)
    return notes


# --- panels and tables -------------------------------------------------------------------------


def _section(ident: str, title: str, *content: object, class_: str | None = None) -> Html:
    heading = tag("h2", title, id=f"{ident}-heading")
    return tag(
        "section", heading, *content, id=ident, class_=class_, aria_labelledby=f"{ident}-heading"
    )


def _facts(rows: Iterable[tuple[str, object]]) -> Html:
    cells = [part for name, value in rows if value for part in (tag("dt", name), tag("dd", value))]
    return tag("dl", *cells, class_="facts")


def _list(items: Iterable[object]) -> Html:
    return tag("ul", *(tag("li", item) for item in items))


def _quoted(text: str) -> str:
    return f"\u201c{text}\u201d"


def _span_link(span: Span) -> Html:
    return tag("a", _quoted(span.text), href=f"#{_span_anchor(span)}")


def _entity_card(page: Page, kind: EntityType, entity: Entity) -> Html:
    anchor = _entity_anchor(kind, entity.key)
    geo = entity.geo
    rows: list[tuple[str, object]] = [
        ("IRI", tag("code", page.entity_iri(kind, entity.key), class_="iri")),
        ("class", entity.kind),
        ("aliases", join(entity.aliases, ", ")),
        (
            "same as",
            _list(tag("a", _link_text(iri), href=iri, rel="external") for iri in entity.same_as)
            if entity.same_as
            else None,
        ),
        ("ISO 3166", entity.iso3166),
        ("coordinates", f"{geo.latitude}, {geo.longitude}" if geo else None),
        (
            "mentions",
            join((_span_link(m) for m in entity.mentions), ", ")
            if entity.mentions
            else tag("span", "none in the text", class_="empty"),
        ),
    ]
    heading = tag(
        "h3", entity.name, " ", tag("span", _label(kind), class_="t"), id=f"{anchor}-name"
    )
    return tag(
        "article",
        heading,
        _facts(rows),
        class_=f"card {kind}",
        id=anchor,
        aria_labelledby=f"{anchor}-name",
    )


def _entity_section(page: Page, kind: EntityType, group: str) -> Html:
    entities: list[Entity] = getattr(page.record, group)
    cards = [_entity_card(page, kind, entity) for entity in entities]
    content = tag("div", *cards, class_="cards") if cards else _none(group)
    return _section(group, _heading(kind), content)


def _none(what: str) -> Html:
    return tag("p", f"No {what} found.", class_="empty")


def _table(ident: str, head: Sequence[str], rows: Sequence[Html]) -> Html:
    if not rows:
        return _none(ident)
    header = tag("thead", tag("tr", *(tag("th", h, scope="col") for h in head)))
    return tag("table", header, tag("tbody", *rows), aria_labelledby=f"{ident}-heading")


def _posts_section(page: Page) -> Html:
    record = page.record
    rows = [
        tag(
            "tr",
            tag("td", _entity_link(record, post.person)),
            tag("td", post.role),
            tag("td", _entity_link(record, post.organization)),
            tag("td", _span_link(post.evidence)),
            id=_post_anchor(post.key),
        )
        for post in record.posts
    ]
    head = ("person", "role", "organization", "evidence")
    return _section("posts", _heading("post"), _table("posts", head, rows))


def _metrics_section(page: Page) -> Html:
    record = page.record
    rows = []
    for metric in record.metrics:
        period = metric.period
        when = join([period.value, " ", _span_link(period.span)]) if period else ""
        rows.append(
            tag(
                "tr",
                tag("td", _number(metric.value), class_="number"),
                tag("td", metric.unit),
                tag("td", metric.qualifier.replace("_", " ")),
                tag("td", metric.what, tag("span", f" ({metric.kind})", class_="t")),
                tag("td", _entity_link(record, metric.about)),
                tag("td", when),
                tag("td", _span_link(metric.evidence)),
                id=f"metric-{metric.key}",
            )
        )
    head = ("value", "unit", "qualifier", "what", "about", "period", "evidence")
    return _section("metrics", _heading("metric"), _table("metrics", head, rows))


def _quotes_section(page: Page) -> Html:
    record = page.record
    quotes = [
        tag(
            "blockquote",
            tag("p", _quoted(quote.text)),
            tag(
                "footer",
                "\u2014 ",
                _entity_link(record, quote.speaker),
                " \u00b7 ",
                tag("a", "in the text", href=f"#{_span_anchor(quote.evidence)}"),
            ),
            class_="quote",
            id=f"quote-{quote.key}",
        )
        for quote in record.quotes
    ]
    return _section("quotes", _heading("quote"), *(quotes or [_none("quotes")]))


def _findings_section(page: Page) -> Html:
    items = []
    for n, found in enumerate(page.findings, 1):
        finding, passage = found.finding, found.passage
        where: object = tag("span", "the article as a whole", class_="empty")
        if passage is not None and not _passage_is_article(passage, page.record):
            where = tag("a", _quoted(passage.text), href=f"#s-{passage.begin}-{passage.end}")
        rows = [
            ("passage", where),
            ("focus", tag("code", finding.focus, class_="iri")),
            ("path", tag("code", finding.path, class_="iri") if finding.path else None),
            ("value", tag("code", finding.value.n3()) if finding.value is not None else None),
            ("rule", tag("code", finding.rule, class_="iri")),
            ("constraint", finding.component.rsplit("#", 1)[-1]),
        ]
        severity = finding.severity
        items.append(
            tag(
                "li",
                tag("span", severity, class_=f"severity {severity.lower()}"),
                ": ",
                finding.message,
                _facts(rows),
                id=f"finding-{n}",
            )
        )
    if not items:
        content = tag("p", "None: the graph conforms to the kg shapes.", class_="empty")
    else:
        content = tag("ol", *items, class_="findings")
    return _section("findings", "SHACL findings", content)


# --- the drawing of the graph ------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    kind: str
    anchor: str
    label: str


def _graph_columns(record: Record) -> tuple[list[list[_Node]], list[tuple[str, str]]]:
    """The boxes of each column (quotes, people, posts, organizations and places, metrics) in
    an order that keeps lines short, and the lines (anchor to anchor)."""
    people = [_Node("person", _entity_anchor("person", e.key), e.name) for e in record.people]
    row = {node.anchor: i for i, node in enumerate(people)}

    def near(anchors: Iterable[str]) -> float:
        rows = [row[a] for a in anchors if a in row]
        return sum(rows) / len(rows) if rows else float(len(row) + 1)

    def person(key: str) -> str:
        return _entity_anchor("person", key)

    def place_of(key: str | None) -> str:
        found = None if key is None else record.entity(key)
        return "" if found is None else _entity_anchor(found[0], found[1].key)

    edges: list[tuple[str, str]] = []
    quotes = [
        (near([person(q.speaker)]), i, _Node("quote", f"quote-{q.key}", _quoted(q.text)))
        for i, q in enumerate(record.quotes)
    ]
    edges += [(f"quote-{q.key}", person(q.speaker)) for q in record.quotes]
    posts = [
        (near([person(p.person)]), i, _Node("post", _post_anchor(p.key), p.role))
        for i, p in enumerate(record.posts)
    ]
    edges += [(_post_anchor(p.key), person(p.person)) for p in record.posts]
    edges += [(_post_anchor(p.key), place_of(p.organization)) for p in record.posts]
    posts.sort(key=lambda item: item[:2])
    row.update({node.anchor: i for i, (_, _, node) in enumerate(posts)})
    holders = [(kind, e) for kind, e in _entities(record) if kind in ("organization", "place")]
    organizations = [
        (
            near(_post_anchor(p.key) for p in record.posts if p.organization == e.key),
            i,
            _Node(kind, _entity_anchor(kind, e.key), e.name),
        )
        for i, (kind, e) in enumerate(holders)
    ]
    organizations.sort(key=lambda item: item[:2])
    row.update({node.anchor: i for i, (_, _, node) in enumerate(organizations)})
    metrics = [
        (
            near([place_of(m.about)]),
            i,
            _Node("metric", f"metric-{m.key}", f"{_number(m.value)} {m.unit}"),
        )
        for i, m in enumerate(record.metrics)
    ]
    edges += [(f"metric-{m.key}", place_of(m.about)) for m in record.metrics if m.about]
    columns = [
        [node for *_, node in sorted(quotes, key=lambda item: item[:2])],
        people,
        [node for *_, node in posts],
        [node for *_, node in organizations],
        [node for *_, node in sorted(metrics, key=lambda item: item[:2])],
    ]
    return columns, [(a, b) for a, b in edges if a and b]


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1].rstrip() + "\u2026"


def _graph_svg(record: Record) -> Html:
    columns, edges = _graph_columns(record)
    rows = max((len(column) for column in columns), default=0)
    width = _MARGIN * 2 + _COLUMN_PITCH * (len(columns) - 1) + _BOX_WIDTH
    height = _TOP + rows * _ROW_PITCH + _MARGIN
    titles = [
        _heading("quote"),
        _heading("person"),
        _heading("post"),
        f"{_heading('organization')} and {_heading('place').lower()}",
        _heading("metric"),
    ]
    where: dict[str, tuple[int, int]] = {}  # anchor -> (column, top of its box)
    parts: list[Html] = []
    for c, (title, column) in enumerate(zip(titles, columns, strict=True)):
        x = _MARGIN + c * _COLUMN_PITCH
        parts.append(tag("text", title, x=x, y=20, class_="column"))
        first = _TOP + (rows - len(column)) * _ROW_PITCH // 2
        for r, node in enumerate(column):
            where[node.anchor] = (c, first + r * _ROW_PITCH)
    lines = [_edge(where[a], where[b]) for a, b in edges if a in where and b in where]
    for c, column in enumerate(columns):
        for node in column:
            parts.append(_box(node, _MARGIN + c * _COLUMN_PITCH, where[node.anchor][1]))
    return tag(
        "svg",
        tag("title", "The article's graph"),
        *lines,
        *parts,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="group",
        aria_labelledby="graph-caption",
    )


def _box(node: _Node, x: int, y: int) -> Html:
    return tag(
        "a",
        tag("title", f"{_label(node.kind)}: {node.label}"),
        tag(
            "rect",
            x=x,
            y=y,
            width=_BOX_WIDTH,
            height=_BOX_HEIGHT,
            rx=8 if node.kind == "person" else 2,
        ),
        tag("text", _short(node.label), x=x + 6, y=y + 15),
        href=f"#{node.anchor}",
        class_=f"node {node.kind}",
    )


def _edge(a: tuple[int, int], b: tuple[int, int]) -> Html:
    (ca, ya), (cb, yb) = sorted((a, b))
    x1 = _MARGIN + ca * _COLUMN_PITCH + _BOX_WIDTH
    x2 = _MARGIN + cb * _COLUMN_PITCH
    y1, y2 = ya + _BOX_HEIGHT // 2, yb + _BOX_HEIGHT // 2
    bend = (x2 - x1) // 2
    return tag("path", d=f"M{x1} {y1}C{x1 + bend} {y1} {x2 - bend} {y2} {x2} {y2}", class_="edge")


def _graph_section(page: Page) -> Html:
    caption = tag(
        "figcaption",
        "Who and what the article names, and how they are linked: people, the posts they hold "
        "in organizations and places, what is measured about them, what they said. Boxes: "
        "person rounded, organization thick, place dashed, metric dotted. Each box links to "
        "its row or panel.",
        id="graph-caption",
    )
    return _section(
        "graph", "Graph", tag("figure", _graph_svg(page.record), caption, class_="graph")
    )


# --- the page ----------------------------------------------------------------------------------


def _header(page: Page) -> Html:
    article = page.record.article
    url = tag("a", article.url, href=article.url, rel="external") if article.url else None
    rows: list[tuple[str, object]] = [
        ("publisher", article.publisher),
        ("published", article.published),
        ("authors", join(article.authors, ", ")),
        ("URL", url),
        ("article IRI", tag("code", page.article_iri, class_="iri")),
        ("source", article.source),
    ]
    return tag("header", tag("h1", article.title), _facts(rows))


def _nav(page: Page) -> Html:
    record = page.record
    counted = [
        ("people", _heading("person"), len(record.people)),
        ("organizations", _heading("organization"), len(record.organizations)),
        ("places", _heading("place"), len(record.places)),
        ("posts", _heading("post"), len(record.posts)),
        ("metrics", _heading("metric"), len(record.metrics)),
        ("quotes", _heading("quote"), len(record.quotes)),
        ("findings", "SHACL findings", len(page.findings)),
    ]
    links = [tag("a", "Text", href="#text"), tag("a", "Graph", href="#graph")]
    links += [
        tag("a", title, " ", tag("span", count, class_="count", data_count=ident), href=f"#{ident}")
        for ident, title, count in counted
    ]
    return tag("nav", _list(links), aria_label="Sections")


def render_page(page: Page) -> str:
    """The HTML page of one article: self-contained, the same text for the same page."""
    body = join(
        [
            tag("a", "Skip to the text", href="#text", class_="skip"),
            _header(page),
            _nav(page),
            tag(
                "main",
                _text_section(page),
                _findings_section(page),
                _graph_section(page),
                *(_entity_section(page, kind, group) for kind, group in ENTITY_GROUPS),
                _posts_section(page),
                _metrics_section(page),
                _quotes_section(page),
            ),
        ],
        "\n",
    )
    article = page.record.article
    return _document(article.title, body, article.language)


def summarize(page: Page, href: str) -> PageSummary:
    """What the index shows of `page`, which is at `href` (relative to the index)."""
    record = page.record
    counts = {name: len(getattr(record, name)) for name in COUNTED}
    for severity in SEVERITIES:
        counts[severity] = sum(f.finding.severity == severity for f in page.findings)
    entities = tuple(
        IndexEntity(
            page.entity_iri(kind, e.key),
            kind,
            e.name,
            f"{href}#{_entity_anchor(kind, e.key)}",
            tuple(e.same_as),
        )
        for kind, e in _entities(record)
    )
    article = record.article
    return PageSummary(href, article.title, article.publisher, article.published, counts, entities)


def render_index(summaries: Sequence[PageSummary]) -> str:
    """The index of a corpus's pages: the articles with their counts and findings, and every
    entity (one row per IRI) with its links and the pages that name it."""
    columns = (*COUNTED, *SEVERITIES[:2])
    head = ("article", "publisher", "published", *columns)
    rows = [
        tag(
            "tr",
            tag("td", tag("a", s.title, href=s.href)),
            tag("td", s.publisher or ""),
            tag("td", s.published or ""),
            *(tag("td", s.counts.get(name, 0), class_="number") for name in columns),
        )
        for s in summaries
    ]
    totals = tag(
        "tr",
        tag("th", "total", scope="row"),
        tag("td", ""),
        tag("td", ""),
        *(
            tag("td", sum(s.counts.get(name, 0) for s in summaries), class_="number")
            for name in columns
        ),
    )
    articles = tag(
        "table",
        tag("thead", tag("tr", *(tag("th", h.lower(), scope="col") for h in head))),
        tag("tbody", *rows),
        tag("tfoot", totals),
        aria_labelledby="articles-heading",
    )
    body = join(
        [
            tag(
                "header",
                tag(
                    "h1",
                    f"kg view: {len(summaries)} {'article' if len(summaries) == 1 else 'articles'}",
                ),
            ),
            tag(
                "main",
                _section("articles", "Articles", articles),
                _section("entities", "Entities", _index_entities(summaries)),
            ),
        ],
        "\n",
    )
    return _document("kg view: index", body, "en")


def _index_entities(summaries: Sequence[PageSummary]) -> Html:
    named: dict[str, list[tuple[IndexEntity, PageSummary]]] = {}
    for summary in summaries:
        for entity in summary.entities:
            named.setdefault(entity.iri, []).append((entity, summary))
    rows = []
    for iri in sorted(named, key=lambda i: (named[i][0][0].kind, named[i][0][0].name, i)):
        first = named[iri][0][0]
        same_as = sorted({link for entity, _ in named[iri] for link in entity.same_as})
        rows.append(
            tag(
                "tr",
                tag("td", _label(first.kind)),
                tag("td", first.name),
                tag("td", tag("code", iri, class_="iri")),
                tag(
                    "td",
                    join(
                        (tag("a", _link_text(link), href=link, rel="external") for link in same_as),
                        ", ",
                    ),
                ),
                tag("td", join((tag("a", s.title, href=e.anchor) for e, s in named[iri]), "; ")),
            )
        )
    return _table("entities", ("type", "name", "IRI", "same as", "articles"), rows)


@cache
def _resource(name: str) -> str:
    return packaged_file("view", name).read_text(encoding="utf-8")


def _hash_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _document(title: str, body: Html, language: str) -> str:
    style, script = _resource("page.css"), _resource("page.js")
    # Only kg's own style and script may run, and nothing may be fetched (no network).
    policy = (
        f"default-src 'none'; style-src {_hash_source(style)}; "
        f"script-src {_hash_source(script)}; img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return Template(_resource("page.html")).substitute(
        lang=escape(language),
        policy=escape(policy),
        title=escape(title),
        style=style,
        script=script,
        body=body,
    )
