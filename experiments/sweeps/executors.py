"""Executors a sweep runs on: in-process, a local process pool, or a Dask cluster.

Any ``concurrent.futures.Executor`` works (:func:`experiments.sweeps.run_sweep` takes one);
:func:`open_executor` builds the usual three. Results never travel through the executor
(workers write shards), so all three give identical tables.

Pool workers die with the sweep: each one asks the Linux kernel to send it SIGKILL when its
parent dies (``prctl(PR_SET_PDEATHSIG)``, prctl(2)), and, on any system, a watchdog thread
polls ``os.getppid()`` and exits the worker once it has been re-parented. Workers ignore
SIGINT (Ctrl-C reaches the whole process group; the sweep decides), and
:func:`stop_workers` kills them at once when the sweep is interrupted. The multiprocessing
resource tracker exits by itself once the sweep and its workers are gone (its pipe closes).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from experiments.sweeps.errors import ExecutorError

__all__ = [
    "DASK_CONNECT_TIMEOUT_S",
    "InProcessExecutor",
    "check_dask_address",
    "check_not_starting_worker",
    "default_workers",
    "executor_width",
    "open_executor",
    "stop_workers",
    "worker_init",
]

DASK_CONNECT_TIMEOUT_S = 5.0
"""How long to wait for a Dask scheduler to answer before giving up."""
WATCHDOG_PERIOD_S = 0.5
"""How often a worker checks that its parent is alive (where prctl is unavailable)."""
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:  # re-parented: the sweep is gone
            os._exit(1)
        time.sleep(WATCHDOG_PERIOD_S)


_STARTING_WORKER = (
    "{call} was called while this process was starting as a worker of a pool: worker "
    "processes are started by spawn, which imports the script that started them, and this "
    "script calls {call} as it is imported. Put the call under "
    '`if __name__ == "__main__":` (see "The spawn and forkserver start methods" in '
    "Python's multiprocessing documentation), or run in one process (workers=1, no Dask)"
)
"""What :func:`check_not_starting_worker` says, and the fix."""


def check_not_starting_worker(call: str) -> None:
    """Refuse to start a sweep (or a calibration, a forecast) while this process is a pool
    worker importing the script that started the pool.

    A pool started by ``spawn`` (the sweeps' pool, Dask's local workers) imports the
    parent's main script in each worker before the worker runs anything. A script that
    calls ``run_sweep`` at its top level would start a second sweep there: into the same
    folder, whose lock the parent holds, so the worker dies and the pool breaks with no
    word of the cause. This is the check CPython's own ``multiprocessing.spawn`` makes before
    a process starts another (``_check_not_importing_main``), made first, so the worker
    says what to change.

    Raises
    ------
    ExecutorError
        If this process is being started by ``spawn`` (its ``_inheriting`` flag, set
        by ``multiprocessing.spawn`` while it imports the main script), naming ``call``
        and the fix.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise ExecutorError(_STARTING_WORKER.format(call=call))


def worker_init(parent_pid: int) -> None:
    """Initializer of pool workers: die with ``parent_pid``, leave SIGINT to the parent,
    and die quietly on SIGTERM (a forked worker inherits the parent's handler,
    :func:`experiments.interrupts.interruptible`; the parent reports)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True
    ).start()


def stop_workers(ex: Executor) -> None:
    """Kill the worker processes of a process pool now (runs in flight are lost)."""
    procs = getattr(ex, "_processes", None) or {}
    for proc in list(procs.values()):
        with contextlib.suppress(Exception):
            proc.kill()


class InProcessExecutor(Executor):
    """Runs each task in the calling process when it is submitted (serial, no pickling).

    A task's exception is kept on its future, as a pool keeps a worker's; an interrupt
    (Ctrl-C, or SIGTERM as :class:`experiments.interrupts.Signalled`) is not a task's
    failure but the caller's, so it propagates from :meth:`submit` and stops the sweep as
    it stops a pool's.
    """

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


def check_dask_address(address: str) -> str:
    """Check that ``address`` looks like a Dask scheduler address; return it.

    Raises
    ------
    ExecutorError
        Naming ``dask`` (``--dask``), the value and the expected form.
    """
    from distributed.comm import registry
    from distributed.comm.addressing import parse_address, parse_host_port

    form = "give 'local' or a scheduler address like tcp://10.0.0.5:8786"
    if "\x00" in address or not address.strip():
        raise ExecutorError(f"dask {address!r}: not an address; {form}")
    try:
        scheme, loc = parse_address(address)
        if scheme not in registry.backends:
            raise ValueError(f"unknown protocol {scheme!r}")
        if scheme in ("tcp", "tls", "ws", "wss"):
            host, port = parse_host_port(loc)
            if not host or not 0 < int(port) < 65536:
                raise ValueError("host and port 1..65535 needed")
    except (ValueError, TypeError) as exc:
        raise ExecutorError(f"dask {address!r}: not an address ({exc}); {form}") from None
    return address


def _dask_client(address: str, timeout: float) -> Any:
    from distributed import Client

    check_dask_address(address)
    try:
        return Client(address, timeout=timeout)
    except ValueError as exc:
        raise ExecutorError(
            f"dask {address!r}: not an address ({exc}); give 'local' or a scheduler "
            "address like tcp://10.0.0.5:8786"
        ) from None
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"dask {address}: no Dask scheduler answered within {timeout:g} s ({exc}); "
            'start one (`dask scheduler`) or use the local cluster (--dask local, dask="local")'
        ) from None


def default_workers() -> int:
    """One worker per usable core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def open_executor(workers: int | None = None, dask: str | None = None) -> Iterator[Executor]:
    """Yield an executor and shut it down afterwards.

    Parameters
    ----------
    workers
        Number of worker processes (default: one per core). ``1`` runs in-process.
    dask
        ``None`` for local execution; ``"local"`` starts a Dask ``LocalCluster`` on
        127.0.0.1 with ``workers`` single-threaded worker processes; any other value is the
        address of an existing scheduler (e.g. ``tcp://10.0.0.5:8786``).

    Raises
    ------
    ExecutorError
        If ``workers`` is below 1, or no Dask scheduler answers at ``dask``.
    """
    n = default_workers() if workers is None else workers
    if n < 1:
        raise ExecutorError(f"workers = {n}: give at least 1 (1 runs in-process)")
    if dask is not None:
        from distributed import Client, LocalCluster

        if dask == "local":
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            )
            client = Client(cluster)
        else:
            cluster = None
            client = _dask_client(dask, DASK_CONNECT_TIMEOUT_S)
        link = getattr(client, "dashboard_link", None)
        print(f"Dask dashboard: {link or 'not available (install bokeh)'}", file=sys.stderr)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if n == 1:
        ex: Executor = InProcessExecutor()
    else:
        ex = ProcessPoolExecutor(
            max_workers=n,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_init,
            initargs=(os.getpid(),),
        )
    try:
        yield ex
    except BaseException:  # interrupted or failed: do not wait for the runs in flight
        stop_workers(ex)
        ex.shutdown(wait=True, cancel_futures=True)
        raise
    ex.shutdown(wait=True, cancel_futures=True)


def executor_width(ex: Executor) -> int:
    """How many tasks to keep in flight on ``ex`` (a few per worker)."""
    if isinstance(ex, InProcessExecutor):
        return 1
    n = getattr(ex, "_max_workers", None)
    if n is None:
        client = getattr(ex, "_client", None)
        if client is not None:
            try:
                n = sum(client.nthreads().values())
            except Exception:
                n = None
    return max(2, 4 * int(n or default_workers()))
