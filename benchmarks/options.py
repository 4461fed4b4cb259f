"""The benchmarks' command line: one parser per tool, the options they share checked first.

Every benchmark reads its options through :mod:`argparse` (the standard library's parser),
so ``--help`` prints what a tool takes without running it, and a misspelt option, a
``--before`` without its folder or a folder that is not a checkout stops the tool before
it times anything (exit 2, naming the option, the value and the fix), instead of being
ignored by a run of several minutes or failing once the first tables are printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["HERE", "CheckoutError", "checkout", "parse_seeds_and_workers", "parser", "venv_python"]

HERE = Path(__file__).resolve().parents[1]
"""This checkout's root."""


class CheckoutError(ValueError):
    """A folder given as another checkout that cannot run its code."""


def venv_python(root: Path) -> Path:
    """The interpreter of the checkout at ``root``: its ``.venv/bin/python``.

    Raises
    ------
    CheckoutError
        If ``root`` is not a folder or has no ``.venv/bin/python``, naming it and how to
        make one.
    """
    if not root.is_dir():
        raise CheckoutError(
            f"{root}: no such folder; check out the code to compare there, e.g. "
            f"git worktree add {root} <commit>"
        )
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        raise CheckoutError(
            f"{root}: no .venv/bin/python there; make one (make setup in that checkout) "
            f"or link this one's: ln -s {HERE / '.venv'} {root / '.venv'}"
        )
    return python


def checkout(text: str) -> Path:
    """``--before``'s value: another checkout, with a ``.venv`` to run its code
    (:func:`venv_python`).

    Raises
    ------
    argparse.ArgumentTypeError
        If :func:`venv_python` refuses the folder, with its words (argparse reports it as
        a usage error naming the option, exit 2).
    """
    root = Path(text).expanduser()
    try:
        venv_python(root)
    except CheckoutError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return root


def parser(prog: str, doc: str | None, *, before: str | None = None) -> argparse.ArgumentParser:
    """A tool's parser: its docstring's first line as description, and ``--quick``.

    Parameters
    ----------
    prog : str
        How the tool is run (``python -m benchmarks.bench_model``).
    doc : str or None
        The tool's module docstring.
    before : str, optional
        The help of a ``--before DIR`` option, checked by :func:`checkout`; none if not
        given.
    """
    ap = argparse.ArgumentParser(
        prog=prog, description=(doc or "").strip().splitlines()[0] if doc else None
    )
    ap.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    if before is not None:
        ap.add_argument("--before", type=checkout, metavar="DIR", help=before)
    return ap


def parse_seeds_and_workers(
    ap: argparse.ArgumentParser, argv: list[str] | None, seeds: int, quick_seeds: int
) -> argparse.Namespace:
    """Add ``--seeds`` (default ``seeds``, ``quick_seeds`` under ``--quick``; a value given
    is kept) and ``--workers`` (default 2) to a tool's parser, parse ``argv`` and check both
    are at least 1 (else exit 2 naming the flag, the value and the fix)."""
    ap.add_argument(
        "--seeds",
        type=int,
        default=None,
        help=f"seeds per cell (default {seeds}; {quick_seeds} under --quick)",
    )
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    args = ap.parse_args(argv)
    if args.seeds is None:
        args.seeds = quick_seeds if args.quick else seeds
    for flag, value in (("--seeds", args.seeds), ("--workers", args.workers)):
        if value < 1:
            ap.error(f"{flag} {value}: must be a whole number >= 1 (e.g. {flag} 2)")
    return args
