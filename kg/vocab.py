"""The one prefix map kg uses, and how keys (slugs) are made from names."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """A stable IRI-safe key for a name: `Xiong'an New Area` -> `xiong-an-new-area`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    key = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")
    if key:
        return key
    # Names with no ASCII letters (e.g. Chinese characters) still need a stable key.
    return "u" + "-".join(f"{ord(c):x}" for c in text if not c.isspace())
