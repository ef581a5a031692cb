"""The documentation: a short README that links to docs/ pages that exist, links that resolve,
a CLI reference that matches the parser, and the examples of docs/python-api.md run as written,
in order, in one namespace."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
PYTHON_API = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            kept = "".join(c for c in title if c in " -_" or unicodedata.category(c)[0] in "LN")
            found.add(kept.replace(" ", "-"))
    return found


def local_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]


def test_readme_is_short_and_links_to_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    linked = {target.split("#")[0] for target in local_links(ROOT / "README.md")}
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"docs pages the README does not link: {sorted(pages - linked)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_local_link_resolves(page: Path) -> None:
    for target in local_links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target} does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page.name}: no heading #{anchor} in {path}"


def test_cli_reference_is_current() -> None:
    checked = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """Each ```python block of a page, with the line it starts on."""
    text = page.read_text("utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_python_api_page_has_examples() -> None:
    assert len(python_blocks(PYTHON_API)) >= 5


def test_the_python_api_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In a folder of their own: the examples read examples/ and write out/.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for line, code in python_blocks(PYTHON_API):
        # Blank lines first, so a failure's traceback names the line of the page.
        exec(compile("\n" * (line - 1) + code, str(PYTHON_API), "exec"), namespace)
    assert (tmp_path / "out" / "xiongan-innovation.ttl").is_file()
