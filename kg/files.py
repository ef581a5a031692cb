"""Write output files atomically: a reader sees the old file or the whole new one, never a part.

Each file is written to a temporary file in the same directory (so the final `os.replace` is a
rename on one file system), flushed to disk, then renamed over the target. A group of files is
staged completely before the first rename, so a failure while writing any of them leaves none
of them behind. A file written piece by piece (`open_atomic`) appears when it is complete.

A temporary file is named `.{name}.{pid}.{random}.tmp`: one left by a process that was killed
(SIGKILL, a crash) is recognised by its process being gone, and removed by the next run
(`remove_stale_temps`), while another run writing beside it keeps its own.

What is not a regular file is written through, never replaced: `-` (standard output), a
device (/dev/null), a FIFO, a socket, and /dev/stdout or /dev/fd/N (a descriptor this process
holds). A symbolic link to a regular file stays a link: the file it points at is replaced.
As an input, `-` is standard input (`read_input`); glob patterns are expanded by `glob_files`.
"""

from __future__ import annotations

import codecs
import contextlib
import glob
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from kg.errors import InputError, OutputError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()

STREAM = "-"  # on the command line: standard input as an input, standard output as an output
STDIN_NAME = "<stdin>"  # how messages name standard input
STDIN_STEM = "stdin"  # the output names of an input read from stdin without --name
STDOUT_FD = 1
# /proc/self/fd/1, /proc/<pid>/fd/1, /dev/fd/1: a descriptor of a process, by its number.
_DESCRIPTOR_LINK = re.compile(r"^/(?:proc/(?P<process>self|\d+)/fd|dev/fd)/(?P<fd>\d+)$")


def is_stream(path: str | Path) -> bool:
    """Whether `path` is `-`: standard input when read, standard output when written."""
    return str(path) == STREAM


def input_name(path: str | Path) -> str:
    """How messages name an input: its path, or `<stdin>`."""
    return STDIN_NAME if is_stream(path) else str(path)


def input_stem(path: str | Path, name: str | None = None) -> str:
    """The stem of an input's output files: `name` when given, else the file's stem (`stdin`
    for standard input)."""
    if name:
        return name
    return STDIN_STEM if is_stream(path) else Path(path).stem


def read_input(path: Path, expected: str, limit: int | None = None) -> bytes:
    """The bytes of an input file, or of standard input for `-`, or an `InputError` naming it
    (`expected`: "an article file"). An input over `limit` bytes is refused unread (a file) or
    at the first byte past it (a pipe), so a huge one costs no time or memory."""
    where = input_name(path)
    try:
        if is_stream(path):
            data = _read_stdin(expected, limit)
            size = len(data)
        else:
            with path.open("rb") as handle:
                if limit is None:
                    return handle.read()
                size = os.fstat(handle.fileno()).st_size
                # One byte past the limit is read: a pipe or a growing file has no size to check.
                data = b"" if size > limit else handle.read(limit + 1)
                size = max(size, len(data))
    except FileNotFoundError:
        raise InputError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{where}: is a directory (expected {expected})") from None
    except OSError as exc:
        raise InputError(f"{where}: cannot read ({exc.strerror})") from exc
    if limit is not None and size > limit:
        raise InputError(
            f"{where}: {size:,} bytes is too large (expected {expected} of at most {limit:,} bytes)"
        )
    return data


def _read_stdin(expected: str, limit: int | None) -> bytes:
    stdin = sys.stdin.buffer if sys.stdin is not None else None
    if stdin is None or stdin.closed:
        raise InputError(f"{STDIN_NAME}: closed (expected {expected} piped in)")
    if stdin.isatty():
        # Waiting for a person to type a record or a graph would look like a hang.
        raise InputError(f"{STDIN_NAME}: a terminal (expected {expected} piped in, or a file)")
    data = stdin.read() if limit is None else stdin.read(limit + 1)
    if not data:
        raise InputError(f"{STDIN_NAME}: empty (expected {expected} piped in)")
    return data


def check_streams(paths: Iterable[str | Path]) -> None:
    """Refuse `-` given twice: standard input can be read once."""
    if sum(is_stream(path) for path in paths) > 1:
        raise InputError(f"{STREAM}: given twice (standard input can be read once)")


# --- glob patterns -------------------------------------------------------------------------------


def is_pattern(text: str) -> bool:
    """Whether `text` holds glob wildcards (`*`, `?`, `[`)."""
    return glob.escape(text) != text


def pattern_root(pattern: str) -> Path:
    """The folder a glob pattern starts from: its parts before the first wildcard."""
    root = Path()
    for part in Path(pattern).parts[:-1]:
        if is_pattern(part):
            break
        root /= part
    return root


def glob_files(
    pattern: str, wanted: Callable[[Path], bool], what: str, expected: str
) -> list[Path]:
    """The files a glob pattern matches (`**` for any folders below) that `wanted` accepts,
    sorted; none is an `InputError` naming the pattern, `what` it looked for ("articles") and
    what is `expected` (".txt, .html")."""
    matches = sorted(Path(m) for m in glob.glob(pattern, recursive=True))
    files = [path for path in matches if path.is_file() and wanted(path)]
    if not files:
        raise InputError(f"{pattern}: no {what} match this pattern (expected {expected})")
    return files


def expand_globs(
    paths: Iterable[str | Path], wanted: Callable[[Path], bool], what: str, expected: str
) -> list[Path]:
    """`paths`, each glob pattern that names no file replaced by the files it matches (as
    `glob_files`): what a shell does, for the shells and scripts that do not."""
    expanded: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.exists() or not is_pattern(str(given)):
            expanded.append(path)
        else:
            expanded += glob_files(str(given), wanted, what, expected)
    return expanded


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
    """Replace `path` with `data` in one step (or write it through, as the module docstring
    says); raises `OutputError` naming the path."""
    path = Path(path)
    if not writes_through(path):
        remove_stale_temps(_target(path).parent, _target(path).name)
    write_all_atomic({path: data})


def write_all_atomic(files: Mapping[Path, bytes]) -> list[Path]:
    """Write every file or none: all are staged as temporary files first, then renamed; those
    written through (`writes_through`) are written between the two, so a failure there leaves
    none of the others behind. Returns the paths, as given."""
    through = [path for path in files if writes_through(path)]
    if any(is_stream(path) for path in through) and len(files) > 1:
        names = ", ".join(str(path) for path in files)
        raise OutputError(
            f"{STREAM}: standard output takes one file, and this writes {len(files)} "
            f"({names}; give a folder or a file name)"
        )
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            if path not in through:
                staged[path] = _stage(_target(path), data)
        for path in through:
            with _open_through(path) as handle:
                _write(handle, path, files[path])
        for path, temp in list(staged.items()):
            _replace(temp, _target(path))
            del staged[path]
    finally:
        for temp in staged.values():
            temp.unlink(missing_ok=True)
    return list(files)


def writes_through(path: Path) -> bool:
    """Whether `path` is written into rather than replaced: `-`, or something that is not a
    regular file (a device, a FIFO, a socket, or a link to one), or a descriptor this process
    holds (/dev/stdout, /dev/fd/N). A folder is not: writing to it fails, naming it."""
    if is_stream(path):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # not there (or not reachable): created, and the error named, as a file
    if stat.S_ISDIR(mode):
        return False
    return not stat.S_ISREG(mode) or _descriptor(Path(path)) is not None


def _descriptor(path: Path) -> int | None:
    """The descriptor of this process `path` names (/dev/stdout -> /proc/self/fd/1: 1), or
    None. Such a file is written through the descriptor itself: opened again by its name, a
    file the shell redirected to would be truncated and written from its start, under what
    the process writes to the descriptor."""
    for _ in range(40):  # the kernel's own limit on links followed
        found = _DESCRIPTOR_LINK.match(os.path.abspath(path))
        if found and found["process"] in (None, "self", str(os.getpid())):
            return int(found["fd"])
        if not path.is_symlink():
            return None
        path = path.parent / os.readlink(path)
    return None


def _target(path: Path) -> Path:
    """The file a write replaces: the one a symbolic link points at, so the link stays."""
    return Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)


@contextmanager
def _open_through(path: Path) -> Iterator[BinaryIO]:
    """`path` opened for writing into it; standard output (`-`) and the other descriptors of
    this process through a copy of the descriptor, so what is written lands where the
    descriptor's next byte goes, after what was printed to it already."""
    fd = STDOUT_FD if is_stream(path) else _descriptor(path)
    opened: BinaryIO
    if fd is not None:
        sys.stdout.flush()
        try:
            opened = os.fdopen(os.dup(fd), "wb")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
    else:
        opened = _open_for_writing(path)
    with opened as handle:
        yield handle
        _flush(handle, path)


def _open_for_writing(path: Path) -> BinaryIO:
    try:
        return Path(path).open("wb")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc


def _write(handle: BinaryIO, path: Path, data: bytes) -> None:
    try:
        handle.write(data)
    except OSError as exc:  # a reader gone (EPIPE), a full disk
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc


def _flush(handle: BinaryIO, path: Path) -> None:
    try:
        handle.flush()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc


def ensure_dir(path: Path) -> None:
    """Create an output directory (and its parents) unless it exists; refuse one this process
    cannot write, so a command fails before its work rather than at its first file."""
    _refuse_stream(path)
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
    _refuse_stream(path)
    existing = next(p for p in (path, *path.parents) if p.exists())
    if existing == path and not path.is_dir():
        raise OutputError(f"{path}: not a directory (expected an output directory)")
    if not existing.is_dir():
        raise OutputError(f"{path}: cannot create directory ({existing} is not a directory)")
    _check_writable(path, existing)


def _refuse_stream(path: Path) -> None:
    if is_stream(path):
        raise OutputError(
            f"{STREAM}: standard output takes one file, and this writes a folder of files "
            "(give a folder, e.g. -o out/)"
        )


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
    and is removed if the block raises, so `path` is never seen half written. What is not a
    regular file (`writes_through`) is written into as the block goes."""
    path = Path(path)
    if writes_through(path):
        with _open_through(path) as handle:
            yield handle
        return
    target = _target(path)
    remove_stale_temps(target.parent, target.name)
    temp, handle = _open_temp(target)
    try:
        with handle:
            yield handle
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
        _replace(temp, target)
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
