"""The turbo SHACL engine against pySHACL, the reference: the same findings, field for field
(messages included), on every shared article, the example and every broken-graph fixture."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SHARED_ARTICLES
from rdflib import Graph
from test_validate import BROKEN

from kg.api import build, extract_file
from kg.errors import InputError
from kg.mapping import map_record
from kg.validate import ENGINE_VARIABLE, ValidationReport, default_engine, validate_graph

ROOT = Path(__file__).resolve().parents[1]
BUILD = ["build", str(ROOT / "examples" / "xiongan-innovation.txt")]
ARTICLES = sorted(SHARED_ARTICLES.glob("*.txt")) + [ROOT / "examples" / "xiongan-innovation.txt"]


def both(graph: Graph) -> tuple[ValidationReport, ValidationReport]:
    return validate_graph(graph, engine="pyshacl"), validate_graph(graph, engine="turbo")


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_same_findings_on_articles(path: Path) -> None:
    graph = map_record(extract_file(path))
    reference, turbo = both(graph)
    assert turbo == reference


def test_build_with_either_engine() -> None:
    reference = build(ARTICLES[-1], shacl_engine="pyshacl")
    turbo = build(ARTICLES[-1], shacl_engine="turbo")
    assert turbo.report == reference.report
    assert turbo.conforms


def test_articles_include_the_shared_ones_in_ci() -> None:
    if not SHARED_ARTICLES.is_dir():
        pytest.skip("../shared/articles is absent (only CI has it)")
    assert len(ARTICLES) > 1


@pytest.mark.parametrize(("break_graph", "_"), [pytest.param(b, e, id=n) for n, b, e in BROKEN])
def test_same_findings_on_broken_graphs(
    graph: Graph, break_graph: Callable[[Graph], None], _: object
) -> None:
    break_graph(graph)
    reference, turbo = both(graph)
    assert not reference.conforms
    assert turbo == reference


def test_same_findings_on_a_graph_breaking_many_shapes(graph: Graph) -> None:
    for _, break_graph, _ in BROKEN:
        try:
            break_graph(graph)
        except (AssertionError, StopIteration, ValueError):  # an earlier break took its node
            continue
    reference, turbo = both(graph)
    assert len(reference.violations) >= len(BROKEN) // 2
    assert turbo == reference


def test_engine_from_the_environment(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_VARIABLE, "turbo")
    assert default_engine() == "turbo"
    assert validate_graph(graph).conforms
    monkeypatch.setenv(ENGINE_VARIABLE, "jena")
    with pytest.raises(InputError, match="KG_SHACL_ENGINE='jena': no such SHACL engine"):
        validate_graph(graph)


def test_turbo_is_the_default_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    assert default_engine() == "turbo"


def test_without_turbo_kg_falls_back_to_pyshacl_and_says_so_once() -> None:
    # A platform where pyshacl-turbo cannot be imported: None in sys.modules makes `import` fail.
    script = (
        "import sys; sys.modules['pyshacl_turbo'] = None\n"
        "from kg.api import build\n"
        "for _ in range(2):\n"
        f"    assert build({str(ARTICLES[-1])!r}, extractor='rules').conforms\n"
        "from kg.validate import default_engine; print(default_engine())\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "pyshacl"
    (line,) = ran.stderr.splitlines()
    assert line.startswith("kg: the turbo SHACL engine is not available (")
    assert "validating with pySHACL" in line


def test_default_engine_validates_with_inference_through_pyshacl(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    assert validate_graph(graph, inference="rdfs") == validate_graph(
        graph, engine="pyshacl", inference="rdfs"
    )


def test_turbo_refuses_inference(graph: Graph) -> None:
    with pytest.raises(InputError, match="without inference"):
        validate_graph(graph, engine="turbo", inference="rdfs")


def test_cli_engines_write_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.cli import main

    monkeypatch.setenv(ENGINE_VARIABLE, "pyshacl")  # main() sets it; restored afterwards

    for engine in ("pyshacl", "turbo"):
        assert main([*BUILD, "-o", str(tmp_path / engine), "--shacl-engine", engine]) == 0
    names = sorted(p.name for p in (tmp_path / "turbo").iterdir())
    assert names == ["xiongan-innovation.jsonld", "xiongan-innovation.ttl"]
    for name in names:
        assert (tmp_path / "turbo" / name).read_bytes() == (
            tmp_path / "pyshacl" / name
        ).read_bytes()


def test_cli_validate_with_turbo_refuses_inference(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.cli import main

    monkeypatch.setenv(ENGINE_VARIABLE, "pyshacl")

    code = main(
        ["validate", str(ROOT / "output"), "--shacl-engine", "turbo", "--inference", "rdfs"]
    )
    assert code == 2
    assert "without inference" in capsys.readouterr().err
