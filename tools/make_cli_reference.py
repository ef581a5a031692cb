"""Write docs/cli.md, kg's command-line reference, from kg's own argument parser.

    python tools/make_cli_reference.py           # rewrite docs/cli.md
    python tools/make_cli_reference.py --check   # exit 1 if docs/cli.md is not current (CI)

The page is each command's `--help` at a fixed width, so it never drifts from the parser:
tests/test_cli.py runs `--check`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"
WIDTH = 100

HEADER = """# Command-line reference

Every command's `--help`, generated from kg's argument parser by `tools/make_cli_reference.py`
(CI fails when this page is not current: do not edit it by hand). The README shows an example of
each command; the other pages in docs/ explain them.
"""


def reference() -> str:
    # argparse wraps help to the terminal's width, read from COLUMNS when it formats.
    os.environ["COLUMNS"] = str(WIDTH + 2)
    sys.path.insert(0, str(ROOT))
    from kg.cli import _parser

    parser = _parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parts = [HEADER, _section("kg", parser)]
    parts += [_section(f"kg {name}", sub) for name, sub in commands.choices.items()]
    return "\n".join(parts)


def _section(title: str, parser: argparse.ArgumentParser) -> str:
    return f"## {title}\n\n```text\n{parser.format_help().rstrip()}\n```\n"


def main() -> int:
    wanted = reference()
    if "--check" in sys.argv[1:]:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != wanted:
            print(f"{PAGE.relative_to(ROOT)} is not current: python tools/make_cli_reference.py")
            return 1
        return 0
    PAGE.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
