"""The examples of docs/python-api.md run as written, in order, in one namespace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON_API = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


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
