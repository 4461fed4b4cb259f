"""The sweep progress bar: runs done, failures, ETA (tqdm).

On a resumed sweep the bar starts at the runs finished earlier, but its rate and ETA count
only the runs finished in this session: tqdm's unsmoothed rate is
``(n - initial) / elapsed`` (``smoothing=0``), so neither the resumed runs nor bursts of
results from a pool skew the estimate.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType

from tqdm import tqdm

__all__ = ["SweepProgress"]


class SweepProgress:
    """A tqdm bar over a sweep's runs; resumed runs count as already done.

    Parameters
    ----------
    total
        Runs planned.
    initial
        Runs already finished (resumed sweep).
    enabled
        False for no output (tests, library use).
    """

    def __init__(
        self,
        total: int,
        initial: int = 0,
        *,
        enabled: bool = True,
        desc: str = "sweep",
        clock: Callable[[], float] = time.monotonic,
    ):
        self.failures = 0
        self._total, self._initial, self._done_now = total, initial, 0
        self._clock = clock
        self._t0 = clock()
        self._bar = tqdm(
            total=total,
            initial=initial,
            desc=f"{desc} ({initial} resumed)" if initial else desc,
            unit="run",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.0,
        )
        self._bar.set_postfix(failed=0)

    def update(self, ok: bool) -> None:
        """Count one finished run (``ok=False`` for a failure)."""
        self._done_now += 1
        if not ok:
            self.failures += 1
            self._bar.set_postfix(failed=self.failures, refresh=False)
        self._bar.update(1)

    def eta(self) -> float | None:
        """Seconds left at this session's average rate (None before the first run)."""
        elapsed = self._clock() - self._t0
        if self._done_now <= 0 or elapsed <= 0:
            return None
        left = self._total - self._initial - self._done_now
        return left * elapsed / self._done_now

    def close(self) -> None:
        """Close the bar."""
        self._bar.close()

    def __enter__(self) -> SweepProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
