"""Where kg's packaged files are: the ontology, shapes, schemas and JSON-LD context.

They live in the checkout's `ontology/` and `shapes/` folders and are installed inside the
package (`kg/resources/`), so a plain, non-editable `pip install .` finds them too.
"""

from __future__ import annotations

from importlib import metadata, resources
from importlib.resources.abc import Traversable

# The name on PyPI: `kg` there is another project. The command and the import package are `kg`.
DISTRIBUTION = "kg-news"


def installed_version() -> str:
    """kg's version from the installed distribution's metadata; "0+unknown" when kg runs from a
    checkout that is not installed (PEP 440 still parses it)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def packaged_file(folder: str, name: str) -> Traversable:
    """A packaged file: `packaged_file("shapes", "kg.shacl.ttl")`."""
    return resources.files("kg").joinpath("resources", folder, name)


def packaged_folder(folder: str) -> Traversable:
    """A packaged folder: `packaged_folder("shapes").iterdir()` lists the shapes and schemas."""
    return resources.files("kg").joinpath("resources", folder)
