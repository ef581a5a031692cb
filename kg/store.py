"""The embedded store: a pyoxigraph (RocksDB) store in a folder, the default target of
`kg load`, `kg query` and `kg serve`.

The default folder is `$KG_STORE` if set, else `$XDG_DATA_HOME/kg/store`
(`~/.local/share/kg/store`). The `oxigraph` command of the same version reads the same folder,
which is how `kg serve` works.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph

from kg.errors import StoreError


def default_store_dir() -> Path:
    """`$KG_STORE`, else `$XDG_DATA_HOME/kg/store`, else `~/.local/share/kg/store`."""
    if os.environ.get("KG_STORE"):
        return Path(os.environ["KG_STORE"])
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "kg" / "store"


def open_store(path: Path | None = None, *, read_only: bool = False) -> pyoxigraph.Store:
    """Open (creating it when writing) the store in `path` (default: `default_store_dir()`).

    A store another process has open for writing is refused with a `StoreError` that says so.
    A read-only open beside a writer is allowed, but pyoxigraph only promises a snapshot of
    what was on disk, and a writer's compaction can remove files under it: `kg.query` opens
    again when that happens.
    """
    path = default_store_dir() if path is None else Path(path)
    if read_only and not path.is_dir():
        raise StoreError(
            f"{path}: no store here (load something first: kg load FILE --store {path})"
        )
    try:
        if read_only:
            return pyoxigraph.Store.read_only(str(path))
        path.mkdir(parents=True, exist_ok=True)
        return pyoxigraph.Store(str(path))
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"{path}: the store is in use by another process (stop it, e.g. kg serve, "
                "and try again)"
            ) from None
        raise StoreError(f"{path}: cannot open the store ({exc})") from exc
