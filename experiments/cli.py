"""The ``gigawatt`` command line: one parser, one module per subcommand.

Each subcommand lives in its own module (``cli_run``, ``cli_sweep``, ``cli_viz``)
exposing ``register(subparsers)``, which adds its parser and sets ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

SUBCOMMAND_MODULES = (
    "experiments.cli_run",
    "experiments.cli_sweep",
    "experiments.cli_discover",
    "experiments.cli_list",
    "experiments.cli_viz",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``gigawatt`` parser with every installed subcommand."""
    parser = argparse.ArgumentParser(
        prog="gigawatt", description="Agent-based simulation of the AI compute economy."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gigawatt`` script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
