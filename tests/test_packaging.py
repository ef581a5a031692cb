"""kg for other repositories: the `kg-validate` pre-commit hook (.pre-commit-hooks.yaml), run for
real with `pre-commit try-repo`, and the composite GitHub Action (action.yml), whose script is
run here as GitHub would run it."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from rdflib import Graph

from kg.vocab import SCHEMA

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "output" / "xiongan-innovation.ttl"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
ACTION = ROOT / "action.yml"


def without_headline(path: Path) -> str:
    """The Turtle of a good kg file whose article lost its headline: one SHACL violation."""
    graph = Graph().parse(path, format="turtle")
    graph.remove((None, SCHEMA.headline, None))
    return graph.serialize(format="turtle")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without git's variables (set when tests run inside a git hook)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, **extra}


# --- the pre-commit hook -------------------------------------------------------------------------


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    (found,) = [h for h in hooks if h["id"] == "kg-validate"]
    return dict(found)


def test_hook_runs_kg_validate_on_the_files_given() -> None:
    found = hook()
    assert found["entry"] == "kg validate"
    assert found["language"] == "python"
    assert found["pass_filenames"] is True


@pytest.mark.parametrize(
    ("name", "matched"),
    [
        ("data/people.ttl", True),
        ("a.nt", True),
        ("a.nq", True),
        ("a.trig", True),
        ("out/xiongan-innovation.jsonld", True),
        ("ontology.rdf", True),
        ("ontology.owl", True),
        ("rules.n3", True),
        ("people.turtle", True),
        ("pom.xml", False),
        ("xiongan.record.json", True),
        ("package.json", False),
        ("notes.ttl.txt", False),
        ("README.md", False),
    ],
)
def test_hook_matches_rdf_files_and_records(name: str, matched: bool) -> None:
    # pre-commit matches `files` with re.search against the path from the repository root.
    assert bool(re.search(hook()["files"], name)) is matched


def pre_commit_command(require_tool: Callable[[str, str], str]) -> list[str]:
    """pre-commit of the environment running the tests, else the one on PATH, else a skip (a
    failure when CI is set)."""
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    return [require_tool("pre-commit", "pip install '.[test]'")]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=clean_env(), check=True, capture_output=True)


def try_repo(command: list[str], repo: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <this checkout> kg-validate --all-files` in `repo`.

    try-repo clones this checkout's HEAD (with uncommitted changes to tracked files) and installs
    kg into a fresh virtual environment: about 10 s with pip's cache warm.
    """
    return subprocess.run(
        [*command, "try-repo", str(ROOT), "kg-validate", "--all-files", "--color", "never"],
        cwd=repo,
        env=clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1"),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_pre_commit_try_repo_passes_a_good_file_and_fails_a_broken_one(
    tmp_path: Path, require_tool: Callable[[str, str], str]
) -> None:
    command = pre_commit_command(require_tool)
    require_tool("git", "apt-get install -y git")
    if not (ROOT / ".git").exists():
        pytest.fail(f"{ROOT} is not a git checkout (pre-commit try-repo clones it)")
    repo = tmp_path / "data"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "xiongan-innovation.ttl").write_bytes(GOOD.read_bytes())
    (repo / "notes.md").write_text("not RDF: the hook must not pass it to kg\n", encoding="utf-8")
    git(repo, "add", ".")

    passed = try_repo(command, repo)
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, f"{shlex.join(command)} try-repo:\n{output}"
    assert re.search(r"kg validate\.+Passed", output), output

    (repo / "broken.ttl").write_text(without_headline(GOOD), encoding="utf-8")
    git(repo, "add", "broken.ttl")
    failed = try_repo(command, repo)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert re.search(r"kg validate\.+Failed", output), output
    assert "- exit code: 1" in output  # findings, not a usage or input error (exit code 2)
    assert "broken.ttl" in output
    assert "schema:headline" in output
    assert "MinCountConstraintComponent" in output


# --- the GitHub Action ---------------------------------------------------------------------------


def action() -> dict[str, Any]:
    return dict(yaml.safe_load(ACTION.read_text(encoding="utf-8")))


def step(uses_or_id: str) -> dict[str, Any]:
    steps = action()["runs"]["steps"]
    (found,) = [s for s in steps if uses_or_id in (s.get("id"), s.get("uses", "").split("@")[0])]
    return dict(found)


def test_action_is_composite_with_the_documented_inputs() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert set(data["inputs"]) >= {"paths", "shapes", "fail-on"}
    assert data["inputs"]["fail-on"]["default"] == "violation"
    assert step("actions/setup-python")["with"]["python-version"] == "${{ inputs.python-version }}"


def test_action_uploads_the_sarif_even_when_kg_finds_problems() -> None:
    upload = step("github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == "${{ steps.validate.outputs.sarif-file }}"
    assert upload["if"].startswith("always()")


def test_action_passes_inputs_as_variables_never_as_script_text() -> None:
    # ${{ inputs.x }} pasted into `run:` would let a path inject shell code.
    for each in action()["runs"]["steps"]:
        assert "${{" not in each.get("run", ""), each.get("name")


def run_validate_step(workspace: Path, paths: str, **env: str) -> dict[str, str]:
    """Run the action's Validate script as GitHub does (bash -e -o pipefail, inputs in the
    environment), with `kg` the code under test; returns what it wrote to $GITHUB_OUTPUT."""
    script = workspace.parent / "validate.sh"
    script.write_text(step("validate")["run"], encoding="utf-8")
    kg = workspace.parent / "kg"
    kg.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m kg "$@"\n', encoding="utf-8")
    kg.chmod(0o755)
    outputs = workspace.parent / "github-output"
    outputs.write_text("", encoding="utf-8")
    variables = {
        "KG_PATHS": paths,
        "KG_SHAPES": "",
        "KG_FAIL_ON": "violation",
        "KG": str(kg),
        "GITHUB_OUTPUT": str(outputs),
        "PYTHONPATH": str(ROOT),
        **env,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workspace,
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # the step records the exit code, a later one fails
    lines = outputs.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_action_script_writes_sarif_and_the_exit_code(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "data").mkdir(parents=True)
    (workspace / "data" / "good.ttl").write_bytes(GOOD.read_bytes())

    assert run_validate_step(workspace, "data/") == {"exit-code": "0", "sarif-file": "kg.sarif"}
    sarif = json.loads((workspace / "kg.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"] == []

    (workspace / "data" / "broken.ttl").write_text(without_headline(GOOD), encoding="utf-8")
    outputs = run_validate_step(workspace, "data/good.ttl\n  data/broken.ttl")
    assert outputs == {"exit-code": "1", "sarif-file": "kg.sarif"}
    sarif = json.loads((workspace / "kg.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location.endswith("broken.ttl")


def test_action_script_runs_no_code_from_its_inputs(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "good.ttl").write_bytes(GOOD.read_bytes())
    outputs = run_validate_step(workspace, "good.ttl $(touch pwned) `touch pwned`")
    assert not (workspace / "pwned").exists()
    assert outputs["exit-code"] == "2"  # the odd words are paths that do not exist


# --- package data --------------------------------------------------------------------------------


def test_kg_view_files_ship_in_the_wheel() -> None:
    # setuptools puts in the wheel the files of kg/ that [tool.setuptools.package-data] names.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["kg"]
    package = ROOT / "kg"
    files = [p.relative_to(package).as_posix() for p in (package / "resources" / "view").iterdir()]
    assert sorted(files) == [
        "resources/view/page.css",
        "resources/view/page.html",
        "resources/view/page.js",
    ]
    for name in [*files, "data/view_kinds.tsv", "data/link_names.tsv"]:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


# --- the distribution ----------------------------------------------------------------------------


def project() -> dict[str, Any]:
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"])


def test_distribution_is_kg_news_and_reports_its_version() -> None:
    # `kg` on PyPI is another project: kg is published as kg-news, its command and package `kg`.
    from importlib import metadata

    import kg

    assert project()["name"] == "kg-news"
    assert metadata.version("kg-news") == project()["version"] == kg.__version__
    shown = subprocess.run(["kg", "--version"], capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["kg", "(kg-news)", project()["version"]]


def test_no_message_or_doc_installs_the_other_projects_kg() -> None:
    # `pip install kg` / 'kg[extra]' would install the unrelated KEGG tool.
    wrong = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?kg(?:\[|['\"\s]|$)")
    texts = [*ROOT.glob("kg/**/*.py"), *ROOT.glob("docs/*.md"), ROOT / "README.md", ACTION]
    offenders = [str(path) for path in texts if wrong.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_examples_pin_a_released_version() -> None:
    version = project()["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version}]" in changelog
    examples = (ROOT / "docs" / "validating.md").read_text(encoding="utf-8") + ACTION.read_text()
    pins = re.findall(r"(?:rev:|@)\s*(v\d+\.\d+\.\d+)", examples)
    assert pins and set(pins) == {f"v{version}"}


def test_a_typed_caller_type_checks_against_kg(tmp_path: Path) -> None:
    # py.typed marks kg as typed (PEP 561); without it mypy says `import-untyped`.
    from importlib import metadata

    site = [sysconfig.get_paths()["purelib"]]
    (installed,) = metadata.distributions(name="kg-news", path=site)
    if any(path.name.startswith("__editable__") for path in installed.files or []):
        # An editable install is an import hook, which mypy does not follow. CI installs kg
        # regularly (.ci/run), so this runs there.
        pytest.skip("kg-news is installed editable; mypy sees only a regular install")
    caller = tmp_path / "caller.py"
    caller.write_text(
        "import kg\n\n"
        "result: kg.Result = kg.build('article.txt')\n"
        "conforms: bool = result.report.conforms\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(caller)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout
    assert "import-untyped" not in checked.stdout


# --- pins ----------------------------------------------------------------------------------------


def requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return {found.name: found for found in map(Requirement, listed)}


@pytest.mark.parametrize("name", ["pyshacl", "idna", "pyld", "rdflib"])
def test_the_libraries_tested_are_in_the_ranges_pinned(name: str) -> None:
    # kg relies on pySHACL's internals and wording: a release outside the range may break it.
    pinned = requirements()[name].specifier
    assert any(spec.operator == "<" for spec in pinned), f"{name} has no upper bound"
    assert pinned.contains(importlib.metadata.version(name))


@pytest.mark.skipif(
    sys.version_info >= (3, 14), reason="spaCy before 3.8.8 has no Python 3.14 wheels"
)
def test_the_installed_spacy_is_not_one_whose_ner_decoder_takes_the_gil_per_action() -> None:
    # 3.8.8 to 3.8.18 give the same entities at 2.3x the decoder's cost (docs/performance.md);
    # a relaxed pin would slow every article silently.
    from packaging.version import Version

    assert Version(importlib.metadata.version("spacy")) < Version("3.8.8")
