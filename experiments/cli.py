"""The ``gigawatt`` command line: one parser, one module per subcommand.

Each subcommand lives in its own module (``cli_run``, ``cli_sweep``, ``cli_viz``)
exposing ``register(subparsers)``, which adds its parser and sets ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import sys
from collections.abc import Sequence

from experiments.hugepages import hugepage_advice_off
from experiments.interrupts import (
    Signalled,
    exit_code,
    interruptible,
    signal_name,
    signum_of,
    unhandled,
)

__all__ = ["main", "plain_help", "script"]

SUBCOMMAND_MODULES = (
    "experiments.cli_run",
    "experiments.cli_sweep",
    "experiments.cli_discover",
    "experiments.cli_forecast",
    "experiments.cli_list",
    "experiments.cli_calibrate",
    "experiments.cli_viz",
)


_ROLE = re.compile(r":[\w:]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_TITLE = re.compile(r"`([^`]+)`")


def plain_help(text: str | None) -> str | None:
    """Help text without reStructuredText markup (``x``, :func:`x`, `x` become x).

    Subcommand descriptions often reuse module docstrings; ``--help`` should read as plain
    words in a terminal.
    """
    if text is None:
        return None
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(r"\1", text)
    return _TITLE.sub(r"\1", text)


def build_parser() -> argparse.ArgumentParser:
    """The ``gigawatt`` parser with every installed subcommand."""
    parser = argparse.ArgumentParser(
        prog="gigawatt",
        description="Agent-based simulation of the AI compute economy. "
        "Run gigawatt COMMAND --help for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"gigawatt {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    for command in sub.choices.values():
        command.description = plain_help(command.description)
        command.epilog = plain_help(command.epilog)
        for action in command._actions:
            action.help = plain_help(action.help)
    return parser


def _version() -> str:
    """The installed package's version (``pyproject.toml``), or ``unknown`` if not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gigawatt")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``gigawatt`` command line; returns the process exit code."""
    try:
        parser = build_parser()  # imports every command's module: a Ctrl-C may come meanwhile
    except KeyboardInterrupt as exc:
        first = list(sys.argv[1:] if argv is None else argv)[:1]
        name = f"gigawatt {first[0]}" if first and not first[0].startswith("-") else "gigawatt"
        print(f"{name}: interrupted ({signal_name(signum_of(exc))})", file=sys.stderr)
        return exit_code(exc)
    args = parser.parse_args(argv)
    if args.command is None:  # `gigawatt` alone: what it can do
        sys.stdout.write(parser.format_help())
        return 0
    try:
        with interruptible():  # SIGTERM (a scheduler's time limit) as Ctrl-C
            code = int(args.func(args) or 0)
            lost = unhandled()  # raised where Python ignores exceptions (a finalizer)
            if lost is not None:
                raise Signalled(lost)
            return code
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: one line, no traceback
        code = getattr(exc, "exit_code", None)  # SweepInterrupted, CalibrationInterrupted
        words = shlex.join(sys.argv[1:] if argv is None else argv)
        tail = f"; run the same command to resume: gigawatt {words}" if code else ""
        what = exc if code else f"interrupted ({signal_name(signum_of(exc))})"
        print(f"gigawatt {args.command}: {what}{tail}", file=sys.stderr)
        return int(code or exit_code(exc))


def script() -> None:
    """Entry point of the ``gigawatt`` script: :func:`main` in a process of its own.

    NumPy's huge-page advice is turned off first, unless the user set it
    (:mod:`experiments.hugepages`); ``main`` called from Python leaves it as it is.
    """
    hugepage_advice_off()
    sys.exit(main())


if __name__ == "__main__":
    script()
