"""``python -m whatif`` and the ``whatif`` command: :func:`whatif.cli.main`, with errors
raised while the package loads its data (a bad ``$WHATIF_DATA_DIR``, an unreadable
assumptions table) reported like every other bad input: one line, exit code 2."""

from __future__ import annotations

import sys

from whatif.errors import WhatifError


def main(argv: list[str] | None = None) -> int:
    try:
        from whatif.cli import main as run
    except WhatifError as exc:
        print(f"whatif: error: {exc}", file=sys.stderr)
        return 2
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
