"""Shared helpers of the hostile-input suite: no network, kg run in-process or offline in a
subprocess, and checks that a refused run left its output folder as it was.

Every test in `tests/hostile/` runs with the socket guard on (`network`, autouse): connecting
anywhere but the loopback interface or a Unix socket, or resolving any other name, raises
`NetworkBlocked` and is recorded; a test that made such an attempt fails at teardown unless it
called `network.expect_attempts()`.

    def test_x(tmp_path, network):
        before = snapshot(tmp_path / "out")
        result = run_kg("build", "bad.txt", "-o", str(tmp_path / "out"))
        result.assert_error(2, "bad.txt", "not UTF-8")
        assert_unchanged(tmp_path / "out", before)
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import kg
from kg.cli import main

KG_ROOT = Path(kg.__file__).parents[1]

# Hosts a test may still reach: kg's own servers and the test's Oxigraph run on loopback.
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"})
# Names kg's atomic writes give their temporary files (`.name.XXXX.tmp`, see kg/files.py) and
# any other scratch name a run must not leave behind.
LEFTOVER_PATTERNS = ("*.tmp", ".kg-*", ".*.tmp")


class NetworkBlocked(OSError):
    """What the socket guard raises: an OSError, so kg handles it as an unreachable network."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.ENETUNREACH, f"the hostile suite's socket guard: {what}")


@dataclass
class NetworkGuard:
    """Every blocked attempt to reach the network, as `connect ('93.184.216.34', 80)`."""

    attempts: list[str] = field(default_factory=list)
    expected: bool = False

    def expect_attempts(self) -> None:
        """The test provokes attempts on purpose (and checks `attempts` itself)."""
        self.expected = True

    def block(self, what: str) -> None:
        self.attempts.append(what)
        raise NetworkBlocked(what)


def _is_local(address: Any) -> bool:
    """Loopback hosts, and Unix socket paths (str or bytes, not tuples)."""
    if isinstance(address, str | bytes):
        return True
    host = address[0] if isinstance(address, tuple) and address else None
    return isinstance(host, str) and (host in LOCAL_HOSTS or host.startswith("127."))


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """The socket guard: only loopback and Unix sockets; every other attempt is recorded."""
    guard = NetworkGuard()
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if sock.family != socket.AF_UNIX and not _is_local(address):
            guard.block(f"connect {address!r}")
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        if sock.family != socket.AF_UNIX and not _is_local(address):
            guard.block(f"connect_ex {address!r}")
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _is_local((name,)):
            guard.block(f"getaddrinfo {name!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield guard
    if not guard.expected:
        assert guard.attempts == [], f"network attempts: {guard.attempts}"


# --- running kg --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KgRun:
    """What one run of `kg` gave: its exit code and its two streams."""

    code: int
    stdout: str
    stderr: str

    def assert_error(self, code: int, name: str, fragment: str) -> None:
        """Exit `code`, and stderr one line `kg: ...` naming the input and the problem."""
        assert self.code == code, f"exit code {self.code}, expected {code}\n{self.stderr}"
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got:\n{self.stderr}"
        assert lines[0].startswith("kg: "), lines[0]
        assert name in lines[0], f"{name!r} not named in {lines[0]!r}"
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def run_kg(*args: str | Path, cwd: Path | None = None) -> KgRun:
    """`kg ARGS` in this process (so the socket guard sees it), streams captured."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(previous)
    return KgRun(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def offline_prefix() -> list[str]:
    """The command prefix that runs a process without a network (`unshare -rn`), or a skip."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], check=False).returncode:
        pytest.skip("unshare -rn is not available (user namespaces disabled)")
    return [unshare, "-rn"]


def kg_command(*args: str | Path) -> list[str]:
    """`python -m kg ARGS`, for a subprocess started with `kg_env()`."""
    return [sys.executable, "-m", "kg", *map(str, args)]


def kg_env() -> dict[str, str]:
    """The environment in which a subprocess finds the kg under test, wherever it starts
    (kg may not be installed)."""
    path = os.pathsep.join(filter(None, [str(KG_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_kg_offline(
    prefix: list[str],
    *args: str | Path,
    cwd: Path | None = None,
    timeout: float = 120,
    preexec_fn: Callable[[], None] | None = None,
) -> KgRun:
    """`python -m kg ARGS` in a subprocess without any network interface but loopback;
    `preexec_fn` runs in the child first (e.g. to set a resource limit)."""
    done = subprocess.run(
        [*prefix, *kg_command(*args)],
        cwd=cwd,
        env=kg_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=preexec_fn,
    )
    return KgRun(done.returncode, done.stdout, done.stderr)


# --- what a run leaves behind ------------------------------------------------------------------


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (hidden ones too), by relative path, with its bytes."""
    if not directory.exists():
        return {}
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def leftovers(directory: Path) -> list[str]:
    """Temporary or partial files a run left under `directory`."""
    found = {p for pattern in LEFTOVER_PATTERNS for p in directory.rglob(pattern)}
    return sorted(str(p.relative_to(directory)) for p in found)


def assert_only_files(directory: Path, expected: set[str]) -> None:
    """`directory` holds exactly `expected` (relative paths), and no temporary files."""
    assert leftovers(directory) == []
    assert set(snapshot(directory)) == expected


def assert_unchanged(directory: Path, before: dict[str, bytes]) -> None:
    """Every file under `directory` is as it was (same names, same bytes), no leftovers."""
    assert leftovers(directory) == []
    assert snapshot(directory) == before
