"""The switch for kg's fast paths: code that gives the same bytes and findings as the libraries'
own, sooner. `KG_FAST=0` in the environment turns them off, to compare the two."""

from __future__ import annotations

import os


def enabled() -> bool:
    """Whether kg's fast paths are on (`KG_FAST` unset, or anything but `0`)."""
    return os.environ.get("KG_FAST", "1") != "0"
