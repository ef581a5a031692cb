"""Read an article file into an `Article`.

Two text formats are understood:

* the header format: ``标题: <title>`` and ``网址: <url>`` lines, then body paragraphs, then an
  optional ``图片列表:`` list of ``1. <name> - 尺寸: <W>x<H>`` images;
* plain text: the first non-empty line is the title, the rest is the body.

and saved news pages (``.html``, ``.htm``), read offline by trafilatura: the title, the
publication date, the byline, the site name and the canonical URL from the page's metadata, and
the body paragraphs of its main text without navigation, related links or footer.

The body is the paragraphs joined by one blank line; every offset kg reports points into it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.data import read_table
from kg.errors import InputError
from kg.files import UTF16_BOMS, decode_utf8, input_name, is_stream, read_input
from kg.model import Article, Image, Span
from kg.vocab import to_web_iri, web_iri

# The largest article file read, and the most text kept from a saved page. Extraction and
# validation grow faster than the text: 1 MB of dense news text takes about 35 s and 210 MB
# (news articles are rarely 100 KB). Pages carry markup, scripts and styles besides the text.
MAX_ARTICLE_BYTES = 1_000_000
MAX_PAGE_BYTES = 10_000_000
HTML_SUFFIXES = (".html", ".htm")
TEXT_SUFFIX = ".txt"
ARTICLE_SUFFIXES = (TEXT_SUFFIX, *HTML_SUFFIXES)  # what kg reads as an article
ARTICLE_FORMATS = ("text", "html")  # --input-format of an article: plain text, a saved page

_HEADER = re.compile(r"^(标题|网址|图片列表)\s*[:：]\s*(.*)$")
_IMAGE = re.compile(
    r"^\s*\d+[.)、]\s*(?P<name>.+?)\s+-\s+尺寸\s*[:：]\s*(?P<w>\d+)\s*[x×X]\s*(?P<h>\d+)\s*$"
)
_URL_DATES = (
    re.compile(r"/(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)/(?P<d>[0-3]\d)/"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)/(?P<d>[0-3]\d)/"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)/(?P<m>[01]\d)/(?P<d>[0-3]\d)/"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)/"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)/"),
)


def read_article(
    path: str | Path,
    published: str | None = None,
    data: bytes | None = None,
    *,
    name: str | None = None,
    input_format: str | None = None,
) -> Article:
    """Read and parse one article file, or standard input for `-`; `published` (YYYY-MM-DD)
    overrides the URL's date. `data` is the file's bytes when they were read elsewhere
    (`read_article_bytes`): by a client whose Dask workers do not see its files. `name` is the
    stem the article is known by (its source becomes `<name>.txt` or `.html`); `input_format`
    ("text" or "html", `ARTICLE_FORMATS`) says how to read it whatever its extension."""
    path = Path(path)
    where = input_name(path)
    html = is_html(path, input_format)
    raw = read_article_bytes(path, input_format) if data is None else data
    if name:
        source: str | None = name + (HTML_SUFFIXES[0] if html else TEXT_SUFFIX)
    else:
        source = None if is_stream(path) else path.name  # stdin has no file name to give
    if html:
        return parse_html(raw, source=source, published=published, where=where)
    text = decode(raw, where)
    return parse_article(text, source=source, published=published, where=where)


def is_html(path: Path, input_format: str | None = None) -> bool:
    """Whether an article is a saved page: as `input_format` says, else by its extension."""
    if input_format is not None:
        if input_format not in ARTICLE_FORMATS:
            expected = ", ".join(ARTICLE_FORMATS)
            raise InputError(
                f"article format {input_format!r} not supported (expected: {expected})"
            )
        return input_format == "html"
    return path.suffix.lower() in HTML_SUFFIXES


def read_article_bytes(path: Path, input_format: str | None = None) -> bytes:
    """The bytes of an article file, refused when larger than an article (or page) may be."""
    if is_html(path, input_format):
        return read_input(path, "a saved HTML page", MAX_PAGE_BYTES)
    return read_input(path, "an article file", MAX_ARTICLE_BYTES)


def decode(raw: bytes, where: str) -> str:
    """UTF-8 text with a BOM dropped and line ends normalized; binary input is refused."""
    if b"\x00" in raw and not raw.startswith(UTF16_BOMS):  # UTF-16 text is named as such
        raise InputError(f"{where}: binary file (NUL bytes; expected UTF-8 text)")
    return clean_text(decode_utf8(raw, where, "an article"), where)


def clean_text(text: str, where: str) -> str:
    """Text as kg keeps it: Unix line ends, NFC; control characters (but newline and tab) and
    lone surrogates are refused."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problem = text_problem(text)
    if problem is not None:
        raise InputError(f"{where}: {problem}")
    return unicodedata.normalize("NFC", text)


def article_from_text(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    where: str = "<text>",
) -> Article:
    """An article given as text, not as a file: read as an article file's text is (the header
    format, or plain text whose first line is the title), unless `title` is given, when all of
    `text` is the body. `url` is the article's URL (over a `网址:` header's); `published`
    (YYYY-MM-DD) its date, else the date its URL encodes."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_ARTICLE_BYTES:
        raise InputError(
            f"{where}: {size:,} bytes is too large "
            f"(expected an article of at most {MAX_ARTICLE_BYTES:,} bytes)"
        )
    if not text.strip():
        raise InputError(f"{where}: no text (expected an article)")
    if title is not None:
        title = clean_text(title, f"{where} (title)").strip()
        if not title or "\n" in title:
            raise InputError(f"{where}: title {title!r} (expected one line of text)")
    return parse_article(
        clean_text(text, where), published=published, where=where, title=title, url=url
    )


def text_problem(text: str) -> str | None:
    """Where `text` holds a control character (but newline and tab) or a lone surrogate (from a
    JSON escape like "\\ud800": no UTF-8 file can hold one, so no RDF file either), or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    at = found.start()
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    what = "lone surrogate" if unicodedata.category(found.group()) == "Cs" else "control character"
    return (
        f"{what} U+{ord(found.group()):04X} at line {line}, column {column} (expected plain text)"
    )


# Unicode's Cc (C0, DEL, C1; fixed by its stability policy) but newline and tab, and Cs: one
# regular expression search rather than a category lookup per character.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def parse_article(
    text: str,
    source: str | None = None,
    published: str | None = None,
    where: str = "<text>",
    *,
    title: str | None = None,
    url: str | None = None,
) -> Article:
    """Parse decoded article text (header format or plain text); with `title`, all of `text`
    is the body. `url` is taken over a `网址:` header's."""
    if not text.strip():
        raise InputError(f"{where}: empty file (expected an article)")
    lines = text.split("\n")
    header_url: str | None = None
    images: list[Image] = []
    if title is not None:
        body_lines = lines
    # Blank lines before the headers (copy and paste, a BOM removed) do not hide them.
    elif any(_HEADER.match(line) for line in [line for line in lines if line.strip()][:5]):
        title, header_url, body_lines, images = _split_header_format(lines, where)
    else:
        title, header_url, body_lines, images = _split_plain(lines)
    url = header_url if url is None else url
    if url is not None:
        url = check_url(url, where)
    paragraphs = [p for p in (_clean(p) for p in _paragraphs(body_lines)) if p]
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the header format repeats the title as the first line
    if not paragraphs:
        raise InputError(f"{where}: no body text (expected paragraphs after the title)")
    body, spans = _join(paragraphs)
    if published is not None:
        published = check_date(published, where)
    elif url is not None:
        published = date_from_url(url)
    return Article(
        title=title,
        text=body,
        paragraphs=spans,
        url=url,
        publisher=publisher_for(url),
        published=published,
        images=images,
        source=source,
    )


def parse_html(
    page: bytes | str,
    source: str | None = None,
    published: str | None = None,
    where: str = "<html>",
) -> Article:
    """Parse a saved news page: title, date, byline, publisher, canonical URL and body.

    `published` (YYYY-MM-DD) overrides the page's date; without either, the URL's date is used.
    The publisher is the one `data/publishers.tsv` names for the URL's host, else the page's
    site name. A page with no main text is refused (`InputError`).
    """
    data = page.encode("utf-8") if isinstance(page, str) else page
    if not data.strip():
        raise InputError(f"{where}: empty file (expected a saved HTML page)")
    if b"\x00" in data:
        raise InputError(f"{where}: binary file (NUL bytes; expected a saved HTML page)")
    document = _extract_page(data, where)
    title = _page_text(document.title)
    lines = _page_text(document.text).split("\n")
    paragraphs = [p for p in (_clean(line) for line in lines) if p]
    if not title and paragraphs:
        raise InputError(f"{where}: page has no title (expected <title>, og:title or <h1>)")
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the text
    if not paragraphs:
        raise InputError(
            f"{where}: no article text found (expected a news page with paragraphs of text)"
        )
    body, spans = _join(paragraphs)
    if len(body.encode("utf-8")) > MAX_ARTICLE_BYTES:
        raise InputError(
            f"{where}: the page's text is too large (expected at most {MAX_ARTICLE_BYTES:,} bytes)"
        )
    url = _page_url(document.url)
    if published is not None:
        published = check_date(published, where)
    else:
        published = _page_date(document.date) or (date_from_url(url) if url else None)
    return Article(
        title=title,
        text=body,
        paragraphs=spans,
        url=url,
        publisher=publisher_for(url) or _site_name(document.sitename),
        published=published,
        source=source,
        authors=_authors(document.author),
    )


# trafilatura and htmldate log what they discard; kg reports problems itself, so these
# messages must not reach stderr through logging's last-resort handler.
for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


def _extract_page(data: bytes, where: str) -> Any:
    """trafilatura's document of a page (metadata and main text); offline, nothing fetched."""
    import trafilatura  # imported here: it takes a while, and only pages need it

    try:
        document = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            favor_precision=True,  # a page without an article gives nothing, not its menus
            # Only dates the page states in its metadata and markup, no guesses from its text.
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except Exception as exc:  # lxml and trafilatura raise many kinds on broken input
        raise InputError(
            f"{where}: not a readable HTML page ({type(exc).__name__}: {exc})"
        ) from exc
    if document is None:
        raise InputError(
            f"{where}: no article text found (expected a news page with paragraphs of text)"
        )
    return document


def _page_text(value: str | None) -> str:
    """Page text as kg keeps text: NFC, Unix line ends, no control characters but newlines."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    return _FORBIDDEN.sub("", text).strip()


def _page_url(value: str | None) -> str | None:
    """The page's canonical URL (rel=canonical, og:url) when it is an absolute http(s) URL."""
    if not value:
        return None
    # None for e.g. a relative canonical link: the page does not say where it lives.
    return web_iri(value)


def _page_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _site_name(value: str | None) -> str | None:
    """The page's site name, unless it is only a host name (trafilatura's fallback)."""
    name = _page_text(value)
    if not name or re.fullmatch(r"[\w.-]+\.[a-z]{2,}", name, re.IGNORECASE):
        return None
    return name


def _authors(value: str | None) -> list[str]:
    """The byline's names: trafilatura joins several with '; '."""
    names = (" ".join(part.split()) for part in _page_text(value).split(";"))
    return list(dict.fromkeys(name for name in names if name))


def _split_header_format(
    lines: list[str], where: str
) -> tuple[str, str | None, list[str], list[Image]]:
    title: str | None = None
    url: str | None = None
    body: list[str] = []
    images: list[Image] = []
    in_images = False
    seen: dict[str, int] = {}  # header -> its line number
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header and header.group(1) == "图片列表":
            in_images = True
            continue
        if header and not in_images and not body:
            key, value = header.group(1), header.group(2).strip()
            if key in seen:
                # Two titles or two URLs: which one is meant cannot be known.
                raise InputError(
                    f"{where}: header '{key}:' on lines {seen[key]} and {number} (expected it once)"
                )
            seen[key] = number
            if key == "标题":
                title = value
            else:
                url = value or None  # an empty '网址:' says there is none
            continue
        if in_images:
            image = _IMAGE.match(line)
            if image:
                images.append(Image(image["name"].strip(), int(image["w"]), int(image["h"])))
            elif line.strip():
                raise InputError(
                    f"{where}: unreadable image line {line.strip()!r} "
                    "(expected '1. <name> - 尺寸: <W>x<H>')"
                )
            continue
        if body or line.strip():  # blank lines before the headers are not the body
            body.append(line)
    if not title:
        raise InputError(f"{where}: header has no title (expected a '标题:' line)")
    return _clean(title), url, body, images


def _split_plain(lines: list[str]) -> tuple[str, str | None, list[str], list[Image]]:
    first = next(i for i, line in enumerate(lines) if line.strip())
    return _clean(lines[first]), None, lines[first + 1 :], []


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; each non-blank line is a paragraph of its own too."""
    return [line for line in lines if line.strip()]


def _clean(text: str) -> str:
    return text.strip()


def _join(paragraphs: list[str]) -> tuple[str, list[Span]]:
    spans: list[Span] = []
    offset = 0
    for paragraph in paragraphs:
        spans.append(Span(offset, offset + len(paragraph), paragraph))
        offset += len(paragraph) + 2
    return "\n\n".join(paragraphs), spans


def check_url(url: str, where: str) -> str:
    """The article's URL as kg writes it (`vocab.to_web_iri`: spaces and non-ASCII letters
    percent-encoded, hosts in IDNA 2008 form); anything but an absolute http(s) URL is refused."""
    try:
        return to_web_iri(url)
    except ValueError as exc:
        raise InputError(f"{where}: malformed URL {url!r} ({exc})") from None


def check_date(value: str, where: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"{where}: bad publication date {value!r} (expected YYYY-MM-DD)") from None


def date_from_url(url: str) -> str | None:
    """The publication date a URL path encodes (`/202503/06/` -> 2025-03-06), if any."""
    path = urlsplit(url).path
    for pattern in _URL_DATES:
        match = pattern.search(path)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                continue
    return None


def publisher_for(url: str | None) -> str | None:
    """The publisher named for the URL's host (or a parent domain) in `data/publishers.tsv`."""
    if url is None:
        return None
    host = (urlsplit(url).hostname or "").lower()
    publishers = read_table("publishers.tsv")
    labels = host.split(".")
    for i in range(len(labels) - 1):
        found = publishers.get(".".join(labels[i:]))
        if found:
            return found[0]
    return None
