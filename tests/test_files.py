"""Atomic output files (kg/files.py): a reader sees the old file or the whole new one; what is
not a regular file is written into, never replaced; `-` is standard input or output."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg import files
from kg.errors import InputError, OutputError
from kg.files import (
    check_output_dir,
    ensure_dir,
    expand_globs,
    open_atomic,
    read_input,
    write_all_atomic,
    write_atomic,
    writes_through,
)


def test_write_atomic_writes_the_bytes(tmp_path: Path) -> None:
    target = tmp_path / "a.ttl"
    write_atomic(target, b"one\n")
    write_atomic(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert os.listdir(tmp_path) == ["a.ttl"]


def test_written_files_are_not_private(tmp_path: Path) -> None:
    target = tmp_path / "a.ttl"
    write_atomic(target, b"x")
    # mkstemp's 0600 must not leak into outputs meant to be shared.
    assert target.stat().st_mode & 0o777 == 0o666 & ~files._UMASK


def test_a_missing_directory_is_an_output_error_naming_the_path(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "a.ttl"
    with pytest.raises(OutputError, match=r"^.*/missing/a\.ttl: cannot write \("):
        write_atomic(target, b"x")


def test_a_failed_group_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    good, bad = tmp_path / "a.ttl", tmp_path / "missing" / "a.jsonld"
    with pytest.raises(OutputError, match="a.jsonld"):
        write_all_atomic({good: b"x", bad: b"y"})
    assert os.listdir(tmp_path) == []


def test_a_failed_group_keeps_the_old_files(tmp_path: Path) -> None:
    good = tmp_path / "a.ttl"
    good.write_bytes(b"old")
    with pytest.raises(OutputError):
        write_all_atomic({good: b"new", tmp_path / "missing" / "b": b"y"})
    assert good.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.ttl"]


def test_a_failed_rename_removes_the_temporaries_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OutputError, match=r"a\.ttl: cannot write \(Permission denied\)"):
        write_all_atomic({tmp_path / "a.ttl": b"x", tmp_path / "b.ttl": b"y"})
    assert os.listdir(tmp_path) == []


def test_an_interrupted_write_removes_its_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "a.ttl", b"x")
    assert os.listdir(tmp_path) == []


def test_ensure_dir_creates_parents(tmp_path: Path) -> None:
    ensure_dir(tmp_path / "out" / "deep")
    assert (tmp_path / "out" / "deep").is_dir()


def test_ensure_dir_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a directory")
    with pytest.raises(OutputError, match=r"out: not a directory"):
        ensure_dir(tmp_path / "out")


def test_ensure_dir_below_a_file_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a directory")
    with pytest.raises(OutputError, match=r"out/sub: cannot create directory \("):
        ensure_dir(tmp_path / "out" / "sub")


def test_temporaries_of_dead_processes_are_removed_and_of_running_ones_kept(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    (tmp_path / "sub").mkdir()
    stale = tmp_path / "sub" / f".a.ttl.{done.stdout.strip()}.abcd_123.tmp"
    running = tmp_path / f".a.ttl.{os.getpid()}.abcd_123.tmp"
    other = tmp_path / ".notes.tmp"  # not kg's
    for path in (stale, running, other):
        path.write_bytes(b"x")
    files.remove_stale_temps(tmp_path)
    assert (stale.exists(), running.exists(), other.exists()) == (False, True, True)


# --- special files and streams --------------------------------------------------------------------


def _fifo(folder: Path) -> Path:
    path = folder / "pipe"
    os.mkfifo(path)
    return path


def _link_to_null(folder: Path) -> Path:
    path = folder / "null"
    path.symlink_to(os.devnull)
    return path


def _regular(folder: Path) -> Path:
    path = folder / "file.txt"
    path.write_bytes(b"old")
    return path


def _link_to_regular(folder: Path) -> Path:
    path = folder / "link.txt"
    path.symlink_to(_regular(folder))
    return path


@pytest.mark.parametrize(
    ("make", "through"),
    [
        (_fifo, True),
        (_link_to_null, True),
        (lambda folder: Path(os.devnull), True),
        (lambda folder: Path("/dev/stdout"), True),
        (lambda folder: Path("-"), True),
        (_regular, False),
        (_link_to_regular, False),
        (lambda folder: folder / "missing.txt", False),
        (lambda folder: folder, False),
    ],
    ids=["fifo", "link-to-device", "device", "dev-stdout", "dash", "file", "link", "new", "dir"],
)
def test_what_is_written_through(
    tmp_path: Path, make: Callable[[Path], Path], through: bool
) -> None:
    assert writes_through(make(tmp_path)) is through


def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, b"one record\n")
    reader.join(timeout=30)
    assert received == [b"one record\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_open_atomic_streams_into_a_fifo(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with open_atomic(fifo) as sink:
        sink.write(b"a\n")
        sink.write(b"b\n")
    reader.join(timeout=30)
    assert received == [b"a\nb\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_link_to_a_device_stays_a_link(tmp_path: Path) -> None:
    link = _link_to_null(tmp_path)
    write_all_atomic({link: b"discarded", tmp_path / "kept.txt": b"kept"})
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert (tmp_path / "kept.txt").read_bytes() == b"kept"


def test_a_link_to_a_file_stays_a_link_and_its_file_is_replaced(tmp_path: Path) -> None:
    link = _link_to_regular(tmp_path)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert (tmp_path / "file.txt").read_bytes() == b"new"


def test_dash_writes_standard_output(capfd: pytest.CaptureFixture[bytes]) -> None:
    write_atomic(Path("-"), b"on stdout\n")
    assert capfd.readouterr().out == "on stdout\n"


def test_dash_for_several_files_is_refused_and_none_written(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"^-: standard output takes one file, and this writes 2"):
        write_all_atomic({Path("-"): b"a", tmp_path / "b.ttl": b"b"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("check", [ensure_dir, check_output_dir], ids=["ensure", "check"])
def test_dash_is_no_output_folder(check: Callable[[Path], None]) -> None:
    with pytest.raises(OutputError, match=r"^-: standard output takes one file"):
        check(Path("-"))
    assert not Path("-").exists()


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@given(data=st.binary(min_size=1, max_size=64))
def test_dash_reads_standard_input(data: bytes) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _stdin(monkeypatch, data)
        assert read_input(Path("-"), "a thing", limit=64) == data


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "<stdin>: empty (expected a thing piped in)"),
        (b"x" * 11, "<stdin>: 11 bytes is too large (expected a thing of at most 10 bytes)"),
    ],
    ids=["empty", "too-large"],
)
def test_bad_standard_input_names_stdin(
    monkeypatch: pytest.MonkeyPatch, data: bytes, problem: str
) -> None:
    _stdin(monkeypatch, data)
    with pytest.raises(InputError) as caught:
        read_input(Path("-"), "a thing", limit=10)
    assert str(caught.value) == problem


def test_globs_expand_to_the_wanted_files_sorted(tmp_path: Path) -> None:
    for name in ("b.ttl", "a.ttl", "c.json", "sub/d.ttl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    found = expand_globs(
        [f"{tmp_path}/**/*.ttl", "-", tmp_path / "c.json"],
        lambda path: path.suffix == ".ttl",
        "RDF files",
        ".ttl",
    )
    names = [str(p.relative_to(tmp_path)) if p.is_absolute() else str(p) for p in found]
    assert names == ["a.ttl", "b.ttl", "sub/d.ttl", "-", "c.json"]


def test_a_glob_matching_no_wanted_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    pattern = f"{tmp_path}/*"
    with pytest.raises(InputError, match=r"no RDF files match this pattern \(expected \.ttl\)"):
        expand_globs([pattern], lambda path: path.suffix == ".ttl", "RDF files", ".ttl")
