"""Atomic output files (kg/files.py): a reader sees the old file or the whole new one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg import files
from kg.errors import OutputError
from kg.files import ensure_dir, write_all_atomic, write_atomic


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
