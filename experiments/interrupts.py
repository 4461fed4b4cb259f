"""SIGINT and SIGTERM as an exception in the main thread, so a stopped command says so.

A batch scheduler ends a job at its time limit with SIGTERM, which by default kills Python
at once: no ``finally`` runs, and a command stops without a word. :func:`interruptible`
makes SIGTERM (and SIGINT, where Python's own handler has it) raise :class:`Signalled`, a
``KeyboardInterrupt`` that remembers its signal, for as long as it is entered: a sweep, a
calibration or a run then cleans up, and the ``gigawatt`` command prints one line and
exits ``128 + signum`` (130 for SIGINT, 143 for SIGTERM, the shell's convention).

Where the main thread may be inside a library's database transaction when the signal comes
(a calibration between its generations: pyabc writing through SQLAlchemy), an exception
raised there leaves that library's cleanup to log its own traceback. ``interruptible(
held=True)`` therefore holds the signal, and raises it where the caller knows the work is
safe to stop: inside :func:`raise_here` (a sampler waiting on its workers), or at
:func:`raise_held` (between generations).

A numba compilation is such a transaction too: the compiler's LLVM handles are Python
objects that a signal raised in the middle of their construction or disposal leaves half
set, and their finalizers then fail (an ignored-exception traceback after the command's
line) or free the same memory twice (the process aborts). A signal that comes while numba
compiles in the main thread (``numba:compiler_lock``, numba's event API) is therefore held
until the compiler lets go, and raised there. A run's first month on a machine that has
not cached the compiled kernels yet spends about 80 s in 40 compilations, the longest
about 10 s (measured on 2 cores): the longest a signal waits.

Worker processes forked while it is entered would inherit the handler (spawned ones start
without it); they reset SIGTERM to the default as they start
(:func:`experiments.sweeps.executors.worker_init`), so a worker signalled with its process
group dies quietly and its parent reports.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from numba.core import event

__all__ = [
    "Signalled",
    "exit_code",
    "handled",
    "interruptible",
    "raise_held",
    "raise_here",
    "signal_name",
    "signum_of",
    "unhandled",
]


class Signalled(KeyboardInterrupt):
    """SIGINT or SIGTERM received while :func:`interruptible` was entered.

    Attributes
    ----------
    signum : int
        The signal received.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


class _Held:
    """The signal held by ``interruptible(held=True)``, whether it may raise now, and the
    last one raised by the handler (:func:`unhandled`)."""

    signum: int | None = None
    now: bool = True
    raised: int | None = None


def _raise_signalled(signum: int, _frame: FrameType | None) -> None:
    if _Held.now:
        _Held.raised = signum
        raise Signalled(signum)
    _Held.signum = _Held.signum or signum  # the first one counts


class _CompilesHeld(event.Listener):  # type: ignore[misc]  # numba ships no type hints
    """Holds a signal while numba compiles in the main thread and raises it as the
    compiler lets go (numba's event API, ``numba:compiler_lock``, which nests)."""

    KIND = "numba:compiler_lock"

    def __init__(self) -> None:
        self.depth = 0
        self.before = True

    def on_start(self, _event: event.Event) -> None:
        if threading.current_thread() is threading.main_thread():
            if self.depth == 0:
                self.before, _Held.now = _Held.now, False
            self.depth += 1

    def on_end(self, _event: event.Event) -> None:
        if threading.current_thread() is threading.main_thread():
            self.depth -= 1
            if self.depth == 0:
                _Held.now = self.before
                if _Held.now:
                    raise_held()


def unhandled() -> int | None:
    """The signal the handler raised since :func:`interruptible` was entered, or since the
    last :func:`handled`, and forgets it.

    A command that returns normally although a signal was raised has lost it: Python
    ignores (after printing them) exceptions raised inside finalizers and callbacks, such
    as a module's clean-up as an import ends. The ``gigawatt`` command then reports the
    interruption as if it had arrived (:func:`experiments.cli.main`).
    """
    signum, _Held.raised = _Held.raised, None
    return signum


def handled() -> None:
    """Mark the signal raised so far as dealt with by the caller (a command that stops on
    Ctrl-C by design, such as the browser app's server)."""
    _Held.raised = None


def raise_held() -> None:
    """Raise the signal held since the last check, if any (a point safe to stop at)."""
    signum, _Held.signum = _Held.signum, None
    if signum is not None:
        raise Signalled(signum)


@contextmanager
def raise_here() -> Iterator[None]:
    """Within, a signal raises at once (work that is safe to stop: waiting on workers);
    one held before is raised on entry."""
    before = _Held.now
    _Held.now = True
    try:
        raise_held()
        yield
    finally:
        _Held.now = before


def signal_name(signum: int) -> str:
    """The name of signal ``signum``, as the messages of a stopped command give it.

    Parameters
    ----------
    signum : int
        A signal number.

    Returns
    -------
    str
        Its name, ``SIGINT`` or ``SIGTERM``.

    >>> signal_name(signal.SIGTERM)
    'SIGTERM'
    """
    return signal.Signals(signum).name


def signum_of(exc: KeyboardInterrupt) -> int:
    """The signal behind ``exc``: its ``signum`` (:class:`Signalled`, a sweep's or a
    calibration's interruption), else SIGINT (a plain Ctrl-C)."""
    return int(getattr(exc, "signum", signal.SIGINT))


def exit_code(exc: KeyboardInterrupt) -> int:
    """``128 + signum`` of the signal behind ``exc`` (the shell's convention)."""
    return 128 + signum_of(exc)


@contextmanager
def interruptible(*, held: bool = False) -> Iterator[None]:
    """SIGTERM (and SIGINT, if Python's default handler has it) raise :class:`Signalled`.

    Only a handler left at its default is replaced, and only in the main thread (the
    only one Python delivers signals to); the handlers are restored on exit. With
    ``held``, a signal raises only inside :func:`raise_here` or at :func:`raise_held`
    (also where an outer ``interruptible`` installed the handler). While numba compiles
    in the main thread, a signal waits for the compilation to end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if current in (signal.default_int_handler, signal.SIG_DFL):
            saved[sig] = signal.signal(sig, _raise_signalled)
    before, _Held.now = _Held.now, not held
    compiles = _CompilesHeld()
    if saved:
        _Held.raised = None
        event.register(compiles.KIND, compiles)
    try:
        yield
    finally:
        _Held.now, _Held.signum = before, None
        if saved:
            event.unregister(compiles.KIND, compiles)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
