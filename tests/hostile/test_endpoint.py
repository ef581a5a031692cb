"""Issue 7, group 13: endpoint faults beyond tests/test_load.py — redirects to another host (of a
write or of the COUNT check, over both protocols, with either kind of credentials), 413 on a
large graph, and a count after the load that differs.

Each is exit code 3 with a line naming the request (and so the graph) and the problem, the
other graphs still loaded where the endpoint can still be used, and no secret printed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import pytest
from conftest import FakeEndpoint, Reply

from hostile.conftest import run_kg

SECRET = "s3cret-Pa55"
CREDENTIALS = {
    "token": {"KG_ENDPOINT_TOKEN": SECRET},
    "basic": {"KG_ENDPOINT_USER": "editor", "KG_ENDPOINT_PASSWORD": SECRET},
}
SMALL, LARGE = "https://example.org/graphs/small", "https://example.org/graphs/large"

pytestmark = pytest.mark.server


def graphs_file(path: Path, sizes: dict[str, int]) -> Path:
    """An N-Quads file with `sizes[graph]` triples in each graph."""
    quads = [
        pyoxigraph.Quad(
            pyoxigraph.NamedNode(f"https://example.org/item/{n}"),
            pyoxigraph.NamedNode("http://schema.org/name"),
            pyoxigraph.Literal(f"item {n} of {graph}"),
            pyoxigraph.NamedNode(graph),
        )
        for graph, size in sizes.items()
        for n in range(size)
    ]
    pyoxigraph.serialize(quads, path, pyoxigraph.RdfFormat.N_QUADS)
    return path


def endpoint_options(fake: FakeEndpoint, protocol: str) -> list[str]:
    url = fake.store_url if protocol == "gsp" else f"{fake.url}/update"
    return ["--endpoint", url, "--protocol", protocol, "--retries", "0"]


@pytest.mark.parametrize("credentials", sorted(CREDENTIALS))
@pytest.mark.parametrize(
    ("redirected", "protocol", "status"),
    [
        ("write", "gsp", 301),
        ("write", "gsp", 307),
        ("write", "update", 308),
        ("count-query", "gsp", 302),
        ("count-query", "update", 303),
    ],
    ids=["put-301", "put-307", "update-308", "count-302", "count-after-update-303"],
)
def test_a_redirect_to_another_host_is_reported_and_carries_no_credentials(
    fake_endpoint: Callable[..., FakeEndpoint],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    credentials: str,
    redirected: str,
    protocol: str,
    status: int,
) -> None:
    for name, value in CREDENTIALS[credentials].items():
        monkeypatch.setenv(name, value)
    elsewhere = fake_endpoint()
    moved = f"http://localhost:{elsewhere.server.server_address[1]}/moved"
    away = Reply(status, {"Location": moved})
    fake = fake_endpoint(away) if redirected == "write" else fake_endpoint(query_reply=away)
    data = graphs_file(tmp_path / "data.nq", {SMALL: 3, LARGE: 3})
    result = run_kg("load", data, *endpoint_options(fake, protocol))
    assert result.code == 3
    first, *_, last = result.stderr.splitlines()
    assert f", redirected to {moved} (kg follows no redirects" in first
    assert "give the final URL instead" in first
    assert last == "kg: 2 of 2 graphs not loaded"  # a redirect stops the load
    assert elsewhere.requests == []
    assert all(request.headers.get("Authorization") for request in fake.requests)
    encoded = base64.b64encode(f"editor:{SECRET}".encode()).decode()
    assert SECRET not in result.stdout + result.stderr
    assert encoded not in result.stdout + result.stderr


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_413_on_a_large_graph_names_it_and_says_what_to_raise(
    fake_endpoint: Callable[..., FakeEndpoint], tmp_path: Path, protocol: str
) -> None:
    fake = fake_endpoint(max_body=20_000)
    data = graphs_file(tmp_path / "data.nq", {LARGE: 1_000, SMALL: 10})
    result = run_kg("load", data, *endpoint_options(fake, protocol))
    assert result.code == 3
    first, last = result.stderr.splitlines()
    named = "graph=https%3A%2F%2Fexample.org%2Fgraphs%2Flarge" if protocol == "gsp" else LARGE
    assert named in first
    assert (
        ": 413 Request Entity Too Large (request body over 20000 bytes; the request held " in first
    )
    assert "bytes: raise the endpoint's request size limit, and any proxy's" in first
    assert last == "kg: 1 of 2 graphs not loaded"
    assert f"loaded {SMALL} (10 triples)" in result.stdout  # the graph after it still loads


@pytest.mark.parametrize("protocol", ["gsp", "update"])
@pytest.mark.parametrize("miscount", [-1, 2], ids=["fewer", "more"])
def test_a_count_that_differs_fails_the_load_with_both_numbers(
    fake_endpoint: Callable[..., FakeEndpoint], tmp_path: Path, protocol: str, miscount: int
) -> None:
    fake = fake_endpoint(miscount=miscount)
    data = graphs_file(tmp_path / "data.nq", {SMALL: 10})
    result = run_kg("load", data, *endpoint_options(fake, protocol))
    assert result.code == 3
    first, last = result.stderr.splitlines()
    assert f"<{SMALL}> holds {10 + miscount} triples after loading 10" in first
    assert last == "kg: 1 of 1 graph not loaded"
    assert "loaded 0 of 1 graph (0 triples)" in result.stdout
