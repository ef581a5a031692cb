"""Shared fixtures: the hand-made example record, its graph, golden updates, external tools."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph

from kg.mapping import map_record
from kg.model import Record

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def update_golden() -> bool:
    """True when the run may rewrite committed generated files: `KG_UPDATE_GOLDEN=1 pytest`."""
    return os.environ.get("KG_UPDATE_GOLDEN", "") == "1"


@pytest.fixture
def record() -> Record:
    """A fresh copy of the hand-written record of examples/xiongan-innovation.txt."""
    data = json.loads((FIXTURES / "xiongan.record.json").read_text(encoding="utf-8"))
    return Record.from_json(data)


@pytest.fixture
def graph(record: Record) -> Graph:
    """The example record mapped with the default base IRI."""
    return map_record(record)


@pytest.fixture
def require_tool() -> Callable[[str, str], str]:
    """`require_tool("rapper", "apt-get install -y raptor2-utils")`: the tool's path, or a skip
    (a fail when CI is set: CI must run every test)."""
    return _require_tool


def _require_tool(name: str, install: str) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{name} is not installed, and CI must run every test")
    pytest.skip(f"{name} is not installed ({install}); CI runs this test")
