"""Reading article files (`kg/ingest.py`)."""

from __future__ import annotations

import socket
import unicodedata
from pathlib import Path

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import InputError, KgError
from kg.ingest import (
    check_url,
    date_from_url,
    parse_html,
    publisher_for,
    read_article,
    text_problem,
)
from kg.model import Article, Image
from kg.vocab import iri_problem

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
EXAMPLE_PAGE = Path(__file__).parent / "fixtures" / "xiongan-innovation.html"
BAD_INPUTS = Path(__file__).parent / "bad_inputs"
SHARED_ARTICLES = Path(__file__).parents[2] / "shared" / "articles"

# One row per failure mode: (file in tests/bad_inputs/, a fragment of the message).
# "missing.txt" is deliberately absent from the folder.
BAD = [
    ("empty.txt", "empty file"),
    ("whitespace-only.txt", "empty file"),
    ("binary-nul.txt", "binary file"),
    ("png-renamed.txt", "binary file"),
    ("gbk-encoded.txt", "not UTF-8"),
    ("latin1-encoded.txt", "not UTF-8"),
    ("control-character.txt", "control character U+0007"),
    ("header-no-body.txt", "no body text"),
    ("header-no-title.txt", "header has no title"),
    ("malformed-url.txt", "malformed URL"),
    ("url-with-space.txt", "malformed URL"),
    ("bad-image-line.txt", "unreadable image line"),
    ("missing.txt", "no such file"),
    ("empty.html", "empty file"),
    ("png-renamed.html", "binary file"),
    ("no-article-body.html", "no article text found"),
    ("no-title.html", "page has no title"),
]


def write(tmp_path: Path, text: str, name: str = "article.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_spans_slice_text(article: Article) -> None:
    for span in article.paragraphs:
        assert article.text[span.start : span.end] == span.text


@pytest.mark.parametrize(("name", "fragment"), BAD, ids=[name for name, _ in BAD])
def test_bad_input_is_refused_naming_the_file(name: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        read_article(BAD_INPUTS / name)
    message = str(caught.value)
    assert message.startswith(str(BAD_INPUTS / name) + ": ")
    assert fragment in message
    assert "\n" not in message


def test_every_bad_input_file_is_in_the_table() -> None:
    on_disk = {path.name for path in BAD_INPUTS.iterdir()}
    in_table = {name for name, _ in BAD}
    assert on_disk - in_table == set(), "bad-input files no test uses"
    assert in_table - on_disk == {"missing.txt"}


def test_the_missing_file_really_is_missing() -> None:
    assert not (BAD_INPUTS / "missing.txt").exists()


def test_a_directory_is_not_an_article(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_article(tmp_path)


def test_input_errors_are_kg_errors_with_exit_code_2() -> None:
    assert issubclass(InputError, KgError)
    assert InputError.exit_code == 2


@pytest.fixture(scope="module")
def example() -> Article:
    return read_article(EXAMPLE)


class TestHeaderFormat:
    def test_title_url_publisher_and_date(self, example: Article) -> None:
        assert example.title == "Innovation flows in the air of Xiong'an, deputies say"
        assert example.url == (
            "https://www.chinadaily.com.cn/a/202503/06/WS67c97dc1a310c240449d921b.html"
        )
        assert example.publisher == "China Daily"
        assert example.published == "2025-03-06"
        assert example.source == "xiongan-innovation.txt"
        assert example.language == "en"

    def test_images(self, example: Article) -> None:
        assert example.images == [
            Image("Innovation flows in the air of Xiong'an, deputies say_14.jpeg", 1199, 693)
        ]

    def test_body_leaves_out_header_repeated_title_and_images(self, example: Article) -> None:
        assert example.text.startswith("Xiong'an New Area in Hebei province")
        assert example.text.endswith("grew by 12 percent.")
        assert "标题" not in example.text
        assert "图片列表" not in example.text

    def test_paragraph_spans_are_slices_of_the_text(self, example: Article) -> None:
        assert len(example.paragraphs) > 10
        assert_spans_slice_text(example)
        assert "\n\n".join(span.text for span in example.paragraphs) == example.text

    def test_published_option_overrides_the_url_date(self) -> None:
        assert read_article(EXAMPLE, published="2024-12-31").published == "2024-12-31"


def test_plain_text_first_line_is_the_title(tmp_path: Path) -> None:
    path = write(
        tmp_path, "\n  A plain title \n\nFirst paragraph.\nSecond paragraph.\n\n\nThird.\n"
    )
    article = read_article(path)
    assert article.title == "A plain title"
    assert [span.text for span in article.paragraphs] == [
        "First paragraph.",
        "Second paragraph.",
        "Third.",
    ]
    assert article.text == "First paragraph.\n\nSecond paragraph.\n\nThird."
    assert (article.url, article.publisher, article.published) == (None, None, None)
    assert article.images == []
    assert_spans_slice_text(article)


def test_plain_text_takes_a_published_date(tmp_path: Path) -> None:
    path = write(tmp_path, "Title\n\nBody.\n")
    assert read_article(path, published="2025-03-06").published == "2025-03-06"


def test_a_bad_published_date_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "Title\n\nBody.\n")
    with pytest.raises(InputError, match=r"article\.txt: bad publication date '2025-02-30'"):
        read_article(path, published="2025-02-30")


def test_bom_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes("\ufeffTitle\r\n\r\nFirst.\r\nSecond.\r\n".encode())
    article = read_article(path)
    assert article.title == "Title"
    assert article.text == "First.\n\nSecond."


def test_full_width_colons_in_the_header(tmp_path: Path) -> None:
    text = "标题：Title\n网址：https://www.chinadaily.com.cn/a/202503/06/x.html\n\nBody.\n"
    article = read_article(write(tmp_path, text))
    assert (article.title, article.published) == ("Title", "2025-03-06")


@pytest.mark.parametrize(
    ("url", "published"),
    [
        ("https://www.chinadaily.com.cn/a/202503/06/WS67c9.html", "2025-03-06"),
        ("http://usa.chinadaily.com.cn/business/2013-04/10/content_16391423.htm", "2013-04-10"),
        ("https://www.example.com/news/2024/12/31/story.html", "2024-12-31"),
        ("https://www.example.com/2024-01-02/story", "2024-01-02"),
        ("https://www.example.com/news/20240229/story", "2024-02-29"),
        ("https://www.example.com/news/20230229/story", None),
        ("https://www.example.com/news/202502/30/story", None),
        ("https://www.bbc.co.uk/news/business-4115", None),
        ("https://www.example.com/?date=2024/01/02/", None),
    ],
)
def test_date_from_url(url: str, published: str | None) -> None:
    assert date_from_url(url) == published


@pytest.mark.parametrize(
    ("url", "publisher"),
    [
        ("https://www.chinadaily.com.cn/a/x.html", "China Daily"),
        ("http://usa.chinadaily.com.cn/business/x.htm", "China Daily"),
        ("https://WWW.BBC.CO.UK/news", "BBC"),
        ("https://github.com/x/y", None),
        (None, None),
    ],
)
def test_publisher_from_the_url_host(url: str | None, publisher: str | None) -> None:
    assert publisher_for(url) == publisher


@pytest.mark.shared
@pytest.mark.skipif(
    not SHARED_ARTICLES.is_dir(), reason="../shared/articles is not beside the repository"
)
@pytest.mark.parametrize("path", sorted(SHARED_ARTICLES.glob("*.txt")), ids=lambda path: path.name)
def test_shared_articles_read(path: Path) -> None:
    article = read_article(path)
    assert article.title and article.url
    assert_spans_slice_text(article)


def test_the_example_is_the_shared_article() -> None:
    shared = SHARED_ARTICLES / EXAMPLE.name
    if not shared.is_file():
        pytest.skip("../shared/articles is not beside the repository")
    assert EXAMPLE.read_bytes() == shared.read_bytes()


# --- saved HTML pages ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> Article:
    return read_article(EXAMPLE_PAGE)


def news_page(
    body: str = "<p>The first paragraph of the story, with enough words in it to count.</p>"
    "<p>The second paragraph of the story says a little more about what happened.</p>",
    head: str = "",
    title: str = "A headline",
) -> str:
    """A small saved page: `head` goes into <head>, `body` into <article>."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"{head}</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright 2025</footer></body></html>"
    )


class TestHtmlPage:
    def test_title_url_publisher_date_and_byline(self, page: Article) -> None:
        assert page.title == "Innovation flows in the air of Xiong'an, deputies say"
        assert page.url == (
            "https://www.chinadaily.com.cn/a/202503/06/WS67c97dc1a310c240449d921b.html"
        )
        assert page.publisher == "China Daily"
        assert page.published == "2025-03-06"
        assert page.authors == ["Li Hongyu"]
        assert page.source == "xiongan-innovation.html"
        assert page.language == "en"

    def test_body_is_the_text_version_s_body(self, page: Article, example: Article) -> None:
        assert page.text == example.text
        assert page.paragraphs == example.paragraphs
        assert_spans_slice_text(page)

    def test_boilerplate_is_left_out(self, page: Article) -> None:
        for words in ("Subscribe", "Related Stories", "Copyright", "Editor:", "[Photo/Xinhua]"):
            assert words not in page.text

    def test_published_option_overrides_the_page_date(self) -> None:
        assert read_article(EXAMPLE_PAGE, published="2024-12-31").published == "2024-12-31"

    def test_the_date_the_page_states(self) -> None:
        head = (
            "<link rel='canonical' href='https://www.example.com/news/story-1.html'>"
            "<meta property='article:published_time' content='2024-01-03T08:00:00Z'>"
        )
        article = parse_html(news_page(head=head))
        assert article.url == "https://www.example.com/news/story-1.html"
        assert article.published == "2024-01-03"

    def test_without_a_page_date_the_url_date_is_used(self) -> None:
        head = "<link rel='canonical' href='https://www.example.com/news/2024/01/02/story.html'>"
        assert parse_html(news_page(head=head)).published == "2024-01-02"

    def test_a_page_with_no_date_has_none(self) -> None:
        assert parse_html(news_page()).published is None

    def test_the_site_name_names_a_publisher_the_host_table_lacks(self) -> None:
        head = (
            "<link rel='canonical' href='https://news.example.com/a/story.html'>"
            "<meta property='og:site_name' content='Example News'>"
        )
        assert parse_html(news_page(head=head)).publisher == "Example News"

    def test_the_host_table_names_a_known_host_s_publisher(self) -> None:
        head = (
            "<link rel='canonical' href='https://www.bbc.co.uk/news/business-1'>"
            "<meta property='og:site_name' content='BBC News'>"
        )
        assert parse_html(news_page(head=head)).publisher == "BBC"

    def test_a_host_name_is_not_a_publisher_name(self) -> None:
        page = news_page(title="A headline - News.example.com")
        assert parse_html(page).publisher is None

    def test_a_relative_canonical_link_is_no_url(self) -> None:
        head = "<link rel='canonical' href='/a/story.html'>"
        assert parse_html(news_page(head=head)).url is None

    def test_several_authors(self) -> None:
        head = "<meta name='author' content='Jane Roe; Richard Miles'>"
        assert parse_html(news_page(head=head)).authors == ["Jane Roe", "Richard Miles"]

    def test_a_page_without_a_byline_has_no_authors(self) -> None:
        assert parse_html(news_page()).authors == []

    def test_a_page_in_another_encoding(self, tmp_path: Path) -> None:
        text = news_page(
            head="<meta http-equiv='Content-Type' content='text/html; charset=gbk'>",
            body="<p>河北省 is a province of China, and this paragraph says so in two scripts.</p>",
        ).replace("<meta charset='utf-8'>", "")
        path = tmp_path / "gbk.html"
        path.write_bytes(text.encode("gbk"))
        assert read_article(path).text.startswith("河北省 is a province")

    def test_htm_pages_too(self, tmp_path: Path) -> None:
        path = tmp_path / "story.HTM"
        path.write_text(news_page(), encoding="utf-8")
        assert read_article(path).title == "A headline"

    def test_nothing_is_fetched(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("reading a page opened a connection")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)
        assert read_article(EXAMPLE_PAGE).authors == ["Li Hongyu"]

    def test_a_broken_parser_is_an_input_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import trafilatura

        def broken(*args: object, **kwargs: object) -> None:
            raise ValueError("bad markup")

        monkeypatch.setattr(trafilatura, "bare_extraction", broken)
        with pytest.raises(InputError, match=r"page\.html: not a readable HTML page \(ValueError"):
            parse_html(news_page(), where="page.html")


# --- non-ASCII hosts: IDNA 2008 with UTS 46 mapping ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "iri"),
    [
        # IDNA 2003 (Python's "idna" codec) wrote fass.de: another domain, someone else's.
        pytest.param("https://faß.de/a.html", "https://xn--fa-hia.de/a.html", id="german-sharp-s"),
        pytest.param("https://FAß.DE/a.html", "https://xn--fa-hia.de/a.html", id="mapped-case"),
        # IDNA 2003 mapped the final sigma to σ: xn--nxasmq6b.com.
        pytest.param("https://βόλος.com/", "https://xn--nxasmm1c.com/", id="greek-final-sigma"),
        pytest.param("https://例子.cn/a", "https://xn--fsqu00a.cn/a", id="cjk"),
        pytest.param("https://user@faß.de:8080/", "https://user@xn--fa-hia.de:8080/", id="port"),
        pytest.param("https://xn--fa-hia.de/", "https://xn--fa-hia.de/", id="already-ascii"),
    ],
)
def test_a_non_ascii_host_is_written_in_idna_2008_form(url: str, iri: str) -> None:
    assert check_url(url, "a.txt") == iri


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("https://☃.net/a.html", "Codepoint U+2603", id="snowman"),
        pytest.param("https://😀.la/", "Codepoint U+1F600", id="emoji"),
        pytest.param("https://faß..de/", "Empty Label", id="empty-label"),
        pytest.param("https://-faß.de/", "hyphen", id="leading-hyphen"),
    ],
)
def test_a_host_idna_2008_refuses_is_a_malformed_url(url: str, problem: str) -> None:
    with pytest.raises(InputError) as refused:
        check_url(url, "a.txt")
    message = str(refused.value)
    assert message.startswith(f"a.txt: malformed URL {url!r} (host ")
    assert "is not a domain name IDNA 2008 allows" in message and problem in message
    assert "\n" not in message


# Labels of letters IDNA 2008 allows (lower-case Latin, Greek, Cyrillic, CJK), as a user types
# them; whatever they are, the host kg writes is ASCII and reads back as the same labels.
idna_label = st.text(
    alphabet=st.sampled_from("abcxyzßäöüéçαβγδλοςσабвгдж例子新闻中国"), min_size=1, max_size=12
).filter(lambda label: not label.isascii())


@settings(max_examples=150, deadline=None)
@given(labels=st.lists(idna_label, min_size=1, max_size=3))
def test_any_idna_host_becomes_an_ascii_iri_that_decodes_back(labels: list[str]) -> None:
    host = ".".join(labels)
    iri = check_url(f"https://{host}.example/a", "a.txt")
    assert iri.isascii() and iri_problem(iri) is None
    written = iri.removeprefix("https://").removesuffix(".example/a")
    assert idna.decode(written) == host


@given(st.text(alphabet=st.characters(codec=None), max_size=40))
def test_text_problem_finds_the_first_control_character_or_lone_surrogate(text: str) -> None:
    forbidden = [
        i for i, c in enumerate(text) if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t"
    ]
    problem = text_problem(text)
    if not forbidden:
        assert problem is None
    else:
        assert problem is not None
        assert (
            f"U+{ord(text[forbidden[0]]):04X} at line {text.count(chr(10), 0, forbidden[0]) + 1},"
            in problem
        )
