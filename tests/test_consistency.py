"""kg check (kg/consistency.py): kg's own ontology, shapes, JSON Schemas, JSON-LD context and
mapper agree, and each way of breaking that agreement, made in a temporary copy of the files,
is reported against the right file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_cli import run_kg

import kg
from kg.consistency import (
    Inconsistency,
    check_consistency,
    context_problems,
    schema_problems,
    shapes_problems,
    term_problems,
)

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Copies:
    """Temporary copies of every file `kg check` reads, to be broken one way per test."""

    ontology: Path
    shapes: Path
    schemas: list[Path]
    context: Path
    record: Path

    def check(self) -> list[Inconsistency]:
        return check_consistency(
            ontology=self.ontology,
            shapes=self.shapes,
            schemas=self.schemas,
            context=self.context,
            record=self.record,
        )

    def options(self) -> list[str]:
        """The same locations as `kg check` options."""
        options = ["--ontology", str(self.ontology), "--shapes", str(self.shapes)]
        options += ["--context", str(self.context), "--record", str(self.record)]
        for schema in self.schemas:
            options += ["--schema", str(schema)]
        return options

    def schema(self, name: str) -> Path:
        (path,) = [p for p in self.schemas if p.name == name]
        return path


@pytest.fixture
def copies(tmp_path: Path) -> Copies:
    def copy(source: Path) -> Path:
        target = tmp_path / source.name
        shutil.copyfile(source, target)
        return target

    return Copies(
        ontology=copy(ROOT / "ontology" / "kg.ttl"),
        shapes=copy(ROOT / "shapes" / "kg.shacl.ttl"),
        schemas=[copy(p) for p in sorted((ROOT / "shapes").glob("*.schema.json"))],
        context=copy(ROOT / "ontology" / "context.jsonld"),
        record=copy(ROOT / "examples" / "xiongan-innovation.record.json"),
    )


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace the first `count` occurrences of `old`, which must be there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


# --- kg's own files ------------------------------------------------------------------------------


def test_kgs_own_files_are_consistent() -> None:
    assert [str(p) for p in check_consistency()] == []


def test_the_copies_are_consistent(copies: Copies) -> None:
    assert copies.check() == []


def test_kg_check_passes(tmp_path: Path) -> None:
    done = run_kg("check", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("consistent: ")
    assert done.stdout.count("\n") == 1


def test_kg_check_lists_each_problem_on_a_line_and_exits_1(copies: Copies) -> None:
    edit(copies.context, '"@id": "kg:qualifier"', '"@id": "kg:qualifiers"')
    edit(
        copies.ontology,
        "kg:Share\n",
        "kg:Portion a owl:NamedIndividual , kg:MetricKind .\n\nkg:Share\n",
    )
    done = run_kg("check", *copies.options(), cwd=copies.ontology.parent)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{copies.ontology}: declares kg:Portion, which neither the mapper (mapping "
        f"{copies.record}) nor {copies.shapes} uses (use it there, or remove it)",
        f"{copies.context}: term 'qualifier' is "
        '{"@id": "kg:qualifiers", "@type": "@id"} '
        f'(generated from {copies.ontology}: {{"@id": "kg:qualifier", "@type": "@id"}}) '
        "(regenerate it: KG_UPDATE_GOLDEN=1 python -m pytest tests/test_serialize.py)",
    ]
    assert done.stderr == "kg: 2 inconsistencies: kg's own files disagree (listed above)\n"


def test_check_consistency_is_public() -> None:
    assert kg.check_consistency is check_consistency
    assert str(Inconsistency("a.ttl", "what")) == "a.ttl: what"


# --- each kind of inconsistency ------------------------------------------------------------------

MAPPER = "kg.mapping (the mapper)"
ANOTHER_KIND = "kg:Portion a owl:NamedIndividual , kg:MetricKind .\n\nkg:Share\n"

# id: (how the copies are broken, [(file, fragments of the message)] for every problem, in order).
# A file is a `Copies` field, a schema's file name, or MAPPER.
CASES: dict[str, tuple[Callable[[Copies], None], list[tuple[str, tuple[str, ...]]]]] = {
    "shape-breaks-shacl-for-shacl": (
        lambda c: edit(
            c.shapes,
            "sh:path schema:value ;\n    sh:minCount 1 ;\n    sh:maxCount 1 ;",
            'sh:path schema:value ;\n    sh:minCount 1 ;\n    sh:maxCount "one" ;',
        ),
        [("shapes", ("kgsh:ObservationShape-value sh:maxCount: ", "DatatypeConstraintComponent"))],
    ),
    "shapes-do-not-parse": (
        lambda c: edit(c.shapes, "kgsh:NewsArticleShape\n", "kgsh:NewsArticleShape ) \n"),
        [("shapes", ("does not parse as Turtle",))],
    ),
    "shapes-use-an-undeclared-term": (
        lambda c: edit(c.shapes, "sh:path kg:metricKind ;", "sh:path kg:kindOfMetric ;"),
        [("shapes", ("uses kg:kindOfMetric, which", "does not declare"))],
    ),
    "shapes-sparql-uses-an-undeclared-term": (
        lambda c: edit(
            c.shapes,
            "FILTER NOT EXISTS { $this kg:periodEvidence ?span }",
            "FILTER NOT EXISTS { $this kg:statedPeriod ?span }",
        ),
        [("shapes", ("uses kg:statedPeriod, which",))],
    ),
    "mapper-and-shapes-use-an-undeclared-term": (
        lambda c: edit(c.ontology, "kg:upTo\n", "kg:upToo\n"),
        [
            (MAPPER, ("uses kg:upTo, which",)),
            ("shapes", ("uses kg:upTo, which",)),
            ("ontology", ("declares kg:upToo, which neither the mapper (mapping",)),
        ],
    ),
    "declared-term-unused": (
        lambda c: edit(c.ontology, "kg:Share\n", ANOTHER_KIND),
        [("ontology", ("declares kg:Portion, which neither the mapper (mapping",))],
    ),
    "context-term-undeclared": (
        lambda c: edit(c.ontology, "kg:evidence\n", "kg:proof\n"),
        [
            (MAPPER, ("uses kg:evidence, which",)),
            ("shapes", ("uses kg:evidence, which",)),
            ("ontology", ("declares kg:proof, which",)),
            ("ontology", ("cannot generate the context", "kg:evidence")),
        ],
    ),
    "ontology-does-not-parse": (
        lambda c: edit(c.ontology, "kg:evidence\n", "kg:evidence (\n"),
        [("ontology", ("does not parse as Turtle",))],
    ),
    "context-edited": (
        lambda c: edit(c.context, '"@id": "kg:qualifier"', '"@id": "kg:qualifiers"'),
        [("context", ("term 'qualifier' is", "regenerate it"))],
    ),
    "context-not-regenerated-after-the-ontology-changed": (
        lambda c: edit(
            c.ontology,
            "kg:qualifier\n    a owl:ObjectProperty ,",
            "kg:qualifier\n    a owl:DatatypeProperty ,",
        ),
        [("context", ("term 'qualifier' is", '"@type": "kg:Qualifier"'))],
    ),
    "context-term-missing": (
        lambda c: edit_json(c.context, lambda d: d["@context"].pop("metricKind")),
        [("context", ("lacks term 'metricKind'",))],
    ),
    "context-layout-changed": (
        lambda c: c.context.write_text(
            json.dumps(json.loads(c.context.read_text(encoding="utf-8"))), encoding="utf-8"
        ),
        [("context", ("differs in layout",))],
    ),
    "context-missing": (
        lambda c: c.context.unlink(),
        [("context", ("cannot be read",))],
    ),
    "schema-breaks-its-meta-schema": (
        lambda c: edit_json(
            c.schema("record.schema.json"),
            lambda d: d["properties"]["version"].update(type="strnig"),
        ),
        [("record.schema.json", ("$.properties.version.type: ",))],
    ),
    "schema-names-an-unknown-draft": (
        lambda c: edit_json(
            c.schema("jsonld.schema.json"),
            lambda d: d.update({"$schema": "https://example.org/draft/9/schema"}),
        ),
        [("jsonld.schema.json", ("'https://example.org/draft/9/schema' is not a known draft",))],
    ),
    "schema-names-no-draft": (
        lambda c: edit_json(c.schema("jsonld.schema.json"), lambda d: d.pop("$schema")),
        [("jsonld.schema.json", ("no $schema",))],
    ),
    "schema-is-not-json": (
        lambda c: c.schema("record.schema.json").write_text("{\n", encoding="utf-8"),
        [("record.schema.json", ("line 2 column 1", "expected a JSON Schema"))],
    ),
    "record-breaks-its-schema": (
        lambda c: edit_json(c.record, lambda d: d["metrics"][0].update(value="abc")),
        [("record", ("/metrics/0/value", '"abc"'))],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_inconsistency_is_reported_against_its_file(copies: Copies, case: str) -> None:
    breaks, expected = CASES[case]
    # Only what the break adds: a drift in kg's own files fails test_kgs_own_files_are_consistent.
    before = copies.check()
    breaks(copies)
    found = [problem for problem in copies.check() if problem not in before]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for problem, (file, fragments) in zip(found, expected, strict=True):
        assert problem.file == where(copies, file), problem
        for fragment in fragments:
            assert fragment in problem.message, problem


def where(copies: Copies, file: str) -> str:
    if file == MAPPER:
        return MAPPER
    if file.endswith(".schema.json"):
        return str(copies.schema(file))
    return str(getattr(copies, file))


def test_each_check_alone(copies: Copies) -> None:
    # The parts of check_consistency, for callers (and tests) that need one kind of check.
    edit(copies.ontology, "kg:Share\n", ANOTHER_KIND)
    assert shapes_problems(copies.shapes) == []
    assert schema_problems(copies.schemas) == []
    assert context_problems(ontology=copies.ontology, context=copies.context) == []
    (unused,) = term_problems(ontology=copies.ontology, shapes=copies.shapes, record=copies.record)
    assert unused.message.startswith("declares kg:Portion")


def test_every_problem_of_a_broken_shape_is_listed(copies: Copies) -> None:
    edit(copies.shapes, "sh:maxCount 1 ;", 'sh:maxCount "one" ;', count=3)
    found = [p for p in copies.check() if "DatatypeConstraintComponent" in p.message]
    assert len(found) == 3
    assert found == sorted(found, key=str)
