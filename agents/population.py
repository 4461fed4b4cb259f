"""The labs and buyers as Mesa agents: major labs eager, scale-mode buyers on demand.

A run in scale mode holds up to millions of small labs and enterprise buyers. Their state
is rows of :class:`agents.lab.LabArrays` and every phase reads the arrays, so a Mesa agent
per row is needed only where a user or the viz looks at one. :class:`LabAgents` is the
sequence of every row's agent: major labs are created with the world (as Mesa agents
registered on the model), the others are *materialised* the first time they are indexed:
the :class:`agents.lab.AILab` (or :class:`agents.lab.EnterpriseBuyer`) view of that row is
then created, registered with the model (so it appears in ``model.agents`` from then on)
and kept, so indexing the row again returns the same object.

Every row's ``unique_id`` (its account in the ledgers) is reserved when the world is built:
the block after the major labs, exactly the ids Mesa would have given had every row been
created eagerly, and Mesa's id counter is moved past the block, so no later agent reuses
one. A materialised agent takes its reserved id, so its ``cash`` reads the row's account.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import mesa
import numpy as np

from agents.accounts import Accounts
from agents.lab import AILab, EnterpriseBuyer, LabArrays, LabKind
from agents.state import IntArray

__all__ = [
    "KIND_NAMES",
    "POPULATION_NAMES",
    "LabAgents",
    "LabNames",
    "pool_index",
    "pool_node",
    "row_name",
    "scale_overrides",
]

KIND_NAMES = ("lab", "lab", "enterprise")
"""Agent ``kind`` of each :class:`agents.lab.LabKind` (major, small, enterprise)."""

POPULATION_NAMES = {LabKind.SMALL: "small labs", LabKind.ENTERPRISE: "enterprise buyers"}
"""The name under which each scale-mode population pays and is paid in the ledger's
journal and the cashflows table (:class:`agents.accounts.Accounts`)."""


def scale_overrides(extra_agents: int) -> dict[str, int]:
    """Scenario overrides that add ``extra_agents`` small agents (scale mode): two thirds
    small labs, one third enterprise buyers; none for 0 or fewer.

    >>> scale_overrides(10)
    {'scale.small_labs': 6, 'scale.enterprise_buyers': 4}
    """
    if extra_agents <= 0:
        return {}
    labs = (2 * extra_agents) // 3
    return {"scale.small_labs": labs, "scale.enterprise_buyers": extra_agents - labs}


def pool_index(arrays: LabArrays, n_regions: int) -> IntArray:
    """Graph pool of each row: ``(kind - 1) x n_regions + home`` for scale-mode buyers, -1
    for major labs.

    The trade graph holds one node per (kind, home region) for scale-mode buyers (see
    :func:`pool_node`), so its size does not grow with the population.

    >>> a = LabArrays(3, 3)
    >>> a.kind[:] = [0, 1, 2]
    >>> a.home[:] = [1, 1, 0]
    >>> pool_index(a, 2).tolist()
    [-1, 1, 2]
    """
    out: IntArray = np.where(
        arrays.kind == LabKind.MAJOR, -1, (arrays.kind - 1) * n_regions + arrays.home
    )
    return out


def pool_node(pool: int) -> int:
    """Graph node id of pool ``pool``: ``-1 - pool``, below every Mesa id (>= 1) and the
    outside world's account (0), so it never names an agent.

    >>> pool_node(0), pool_node(3)
    (-1, -4)
    """
    return -1 - pool


def row_name(arrays: LabArrays, majors: Sequence[str], n_small: int, i: int) -> str:
    """Name of row ``i``: the scenario's name of a major lab, else ``small-lab-k`` or
    ``enterprise-k`` numbered within its kind from 0.

    >>> a = LabArrays(4, 3)
    >>> a.kind[:] = [0, 1, 1, 2]
    >>> [row_name(a, ["openai"], 2, i) for i in range(4)]
    ['openai', 'small-lab-0', 'small-lab-1', 'enterprise-0']
    """
    n_major = len(majors)
    if i < n_major:
        return majors[i]
    if arrays.kind[i] == LabKind.SMALL:
        return f"small-lab-{i - n_major}"
    return f"enterprise-{i - n_major - n_small}"


class LabNames(Sequence[str]):
    """Every row's name, computed on access (no list of a million strings)."""

    def __init__(self, arrays: LabArrays, majors: Sequence[str], n_small: int) -> None:
        self._a = arrays
        self._majors = tuple(majors)
        self._n_small = n_small

    def __len__(self) -> int:
        return self._a.n

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = _row(i, len(self))
        return row_name(self._a, self._majors, self._n_small, j)

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """Row of the lab named ``value`` (major labs looked up first)."""
        if value in self._majors:
            i = self._majors.index(value)
            if start <= i < (len(self) if stop is None else stop):
                return i
        return super().index(value, start, len(self) if stop is None else stop)


def _row(i: int, n: int) -> int:
    j = int(i)
    if j < 0:
        j += n
    if not 0 <= j < n:
        raise IndexError(f"lab row {i} out of range: the run has {n} labs and buyers")
    return j


class LabAgents(Sequence[AILab]):
    """The agent of every row of ``arrays``: major labs eager, the others materialised lazily.

    Parameters
    ----------
    model : mesa.Model
        The model the agents are registered with.
    arrays : LabArrays
        The rows (major labs first, then small labs, then enterprise buyers).
    majors : sequence of str
        Names of the major labs, in row order.
    n_small : int
        Number of small labs (the rows after the major labs).

    Notes
    -----
    ``len()`` counts every row and indexing materialises; iterating materialises every
    row, so code that must stay cheap at scale reads :attr:`ids`, :attr:`names` and the
    arrays, and :meth:`materialised` lists the agents created so far.
    """

    def __init__(
        self, model: mesa.Model, arrays: LabArrays, majors: Sequence[str], n_small: int
    ) -> None:
        self.model = model
        self.arrays = arrays
        self.names = LabNames(arrays, majors, n_small)
        self._accounts: Accounts | None = None
        self._agents: dict[int, AILab] = {
            i: AILab(model, i, name, arrays) for i, name in enumerate(majors)
        }
        n_major, first = len(majors), int(model.agent_id_counter)
        ids = np.zeros(arrays.n, dtype=np.int64)
        ids[:n_major] = [self._agents[i].unique_id for i in range(n_major)]
        ids[n_major:] = np.arange(first, first + arrays.n - n_major)
        model.agent_id_counter = first + arrays.n - n_major
        self.ids: IntArray = ids
        """Reserved ``unique_id`` (and account) of every row."""

    def __len__(self) -> int:
        return self.arrays.n

    def __iter__(self) -> Iterator[AILab]:
        return (self[i] for i in range(len(self)))

    @overload
    def __getitem__(self, i: int) -> AILab: ...
    @overload
    def __getitem__(self, i: slice) -> list[AILab]: ...
    def __getitem__(self, i: int | slice) -> AILab | list[AILab]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = _row(i, len(self))
        agent = self._agents.get(j)
        if agent is None:
            agent = self._materialise(j)
        return agent

    def _materialise(self, i: int) -> AILab:
        model = self.model
        cls = EnterpriseBuyer if self.arrays.kind[i] == LabKind.ENTERPRISE else AILab
        counter = model.agent_id_counter
        agent = cls(model, i, self.names[i], self.arrays)  # registers with the model
        model.agent_id_counter = counter  # the row's id was reserved: the counter stays
        agent.unique_id = int(self.ids[i])
        if self._accounts is not None:
            agent.attach(self._accounts)
        self._agents[i] = agent
        return agent

    def attach(self, accounts: Accounts) -> None:
        """Read balances from ``accounts``: the agents so far and every one materialised later."""
        self._accounts = accounts
        for agent in self._agents.values():
            agent.attach(accounts)

    def materialised(self) -> list[AILab]:
        """The agents created so far (the major labs and every row indexed), in row order."""
        return [self._agents[i] for i in sorted(self._agents)]

    def is_materialised(self, i: int) -> bool:
        """Whether row ``i`` has its Mesa agent yet."""
        return _row(i, len(self)) in self._agents
