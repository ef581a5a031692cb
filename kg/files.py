"""Write output files atomically: a reader sees the old file or the whole new one, never a part.

Each file is written to a temporary file in the same directory (so the final `os.replace` is a
rename on one file system), flushed to disk, then renamed over the target. A group of files is
staged completely before the first rename, so a failure while writing any of them leaves none
of them behind. A file written piece by piece (`open_atomic`) appears when it is complete.

A temporary file is named `.{name}.{pid}.{random}.tmp`: one left by a process that was killed
(SIGKILL, a crash) is recognised by its process being gone, and removed by the next run
(`remove_stale_temps`), while another run writing beside it keeps its own.
"""

from __future__ import annotations

import codecs
import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from kg.errors import InputError, OutputError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def read_input(path: Path, expected: str, limit: int | None = None) -> bytes:
    """The bytes of an input file, or an `InputError` naming it (`expected`: "an article file").

    A file over `limit` bytes is refused before it is read, so a huge one costs no time or memory.
    """
    try:
        with path.open("rb") as handle:
            if limit is None:
                return handle.read()
            size = os.fstat(handle.fileno()).st_size
            # One byte past the limit is read: a pipe or a growing file has no size to check.
            data = b"" if size > limit else handle.read(limit + 1)
            size = max(size, len(data))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory (expected {expected})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    if size > limit:
        raise InputError(
            f"{path}: {size:,} bytes is too large (expected {expected} of at most {limit:,} bytes)"
        )
    return data


# What Windows editors write as "Unicode": their byte order marks (UTF-32's begin like UTF-16's).
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_utf8(raw: bytes, where: str, expected: str) -> str:
    """The text of UTF-8 bytes, a leading BOM dropped; `InputError` naming the first bad byte."""
    if raw.startswith(UTF16_BOMS):
        raise InputError(
            f"{where}: UTF-16 text (a byte order mark 0x{raw[:2].hex()}; "
            f"expected {expected}: re-encode it as UTF-8)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
            f"expected {expected}: re-encode it as UTF-8)"
        ) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step; raises `OutputError` naming the path."""
    path = Path(path)
    remove_stale_temps(path.parent, path.name)
    write_all_atomic({path: data})


def write_all_atomic(files: Mapping[Path, bytes]) -> list[Path]:
    """Write every file or none: all are staged as temporary files first, then renamed."""
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            staged[path] = _stage(path, data)
        for path, temp in list(staged.items()):
            _replace(temp, path)
            del staged[path]
    finally:
        for temp in staged.values():
            temp.unlink(missing_ok=True)
    return list(files)


def ensure_dir(path: Path) -> None:
    """Create an output directory (and its parents) unless it exists; refuse one this process
    cannot write, so a command fails before its work rather than at its first file."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{path}: not a directory (expected an output directory)") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot create directory ({exc.strerror})") from exc
    _check_writable(path, path)


def check_output_dir(path: Path) -> None:
    """Refuse an output directory that could not be created or written to, without creating
    it: a command checks before its work, rather than failing at its first file."""
    existing = next(p for p in (path, *path.parents) if p.exists())
    if existing == path and not path.is_dir():
        raise OutputError(f"{path}: not a directory (expected an output directory)")
    if not existing.is_dir():
        raise OutputError(f"{path}: cannot create directory ({existing} is not a directory)")
    _check_writable(path, existing)


def _check_writable(path: Path, existing: Path) -> None:
    # As root this always passes; the first write then reports what the file system says.
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: not writable (expected a directory you may write to)")


# `.{name}.{pid}.{8 random characters}.tmp`, as `_open_temp` names them.
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[a-z0-9_]{8}\.tmp$")


def remove_stale_temps(folder: Path, name: str | None = None) -> None:
    """Remove the temporary files killed runs left in `folder`: those of the file `name`, or
    without `name` those anywhere under `folder`. A temporary file whose process still runs is
    another run's write in progress, and stays."""
    pattern = f".{glob.escape(name)}.*.tmp" if name else "**/.*.tmp"
    for temp in Path(folder).glob(pattern):
        found = _TEMP_NAME.match(temp.name)
        if found and not _running(int(found.group(1))):
            # One that cannot be removed does no harm: it is hidden, and never read.
            with contextlib.suppress(OSError):
                temp.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's
    return True


@contextmanager
def open_atomic(path: Path) -> Iterator[BinaryIO]:
    """A file to write `path` through, piece by piece: it replaces `path` when the block ends,
    and is removed if the block raises, so `path` is never seen half written."""
    path = Path(path)
    remove_stale_temps(path.parent, path.name)
    temp, handle = _open_temp(path)
    try:
        with handle:
            yield handle
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
        _replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)  # gone after the rename; left over after a failure


def _stage(path: Path, data: bytes) -> Path:
    """Write `data` to a new temporary file beside `path` and flush it to disk."""
    temp, handle = _open_temp(path)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
        raise
    return temp


def _open_temp(path: Path) -> tuple[Path, BinaryIO]:
    """A new temporary file beside `path` (so renaming it over `path` is one step), open."""
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
    temp = Path(name)
    try:
        # mkstemp makes the file private (0600); outputs get the usual umask-based mode.
        os.fchmod(fd, 0o666 & ~_UMASK)
        return temp, os.fdopen(fd, "wb")
    except OSError as exc:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc


def _replace(temp: Path, path: Path) -> None:
    try:
        os.replace(temp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
