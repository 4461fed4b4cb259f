"""The sweep progress bar: runs done, failures, ETA (tqdm)."""

from __future__ import annotations

import sys
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

    def __init__(self, total: int, initial: int = 0, *, enabled: bool = True, desc: str = "sweep"):
        self.failures = 0
        self._bar = tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit="run",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.1,
        )
        self._bar.set_postfix(failed=0)

    def update(self, ok: bool) -> None:
        """Count one finished run (``ok=False`` for a failure)."""
        if not ok:
            self.failures += 1
            self._bar.set_postfix(failed=self.failures, refresh=False)
        self._bar.update(1)

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
