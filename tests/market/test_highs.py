"""The HiGHS instance the solvers share (`market.highs.new_highs`) starts no worker thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os
from market.book import OrderBook
from market.highs import load_book, new_highs, run_optimal
threads = lambda: len(os.listdir("/proc/self/task"))
before = threads()
h = new_highs()
load_book(h, OrderBook(2, [0], [5.0], [10.0], [1], [4.0], [30.0], [0], [1], [1.0], [9.0]))
run_optimal(h)
print(threads() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="HiGHS starts no worker on one core")
def test_a_solve_starts_no_worker_thread():
    # HiGHS's scheduler is per process and starts with the first solve: a new process
    out = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split()[-1] == "0", out.stdout
