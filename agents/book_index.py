"""Names for the parts of the monthly order book: node numbering and segments.

The month's book (:class:`market.book.OrderBook`) holds every spot market at once. Its
nodes, offers, bids and links come in blocks (utility units, vendors, compute sellers;
non-AI load, sites, chip buyers, labs, pools...). :class:`BookIndex` is built with the
book and names each block, so the phases that read fills and flows address them by
name (``index.offers["units"]``), never by position.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["BookIndex", "NodeLayout", "Segments"]


@dataclass(frozen=True)
class NodeLayout:
    """Node numbering of the monthly book.

    In order: one utility node per region (``R``); one data-centre site per (cloud,
    region); one node per vendor; one chip-buying node per (cloud, family); one compute
    seller node per (cloud, region, family); one node per major lab; one pool node per
    seller node (small labs and enterprise buyers pooled by the node they buy at); one
    homing node per (cloud, major lab that keeps a second source), through which that
    lab's purchases from the cloud pass (:mod:`agents.book_template`). The offsets are
    computed once per layout.
    """

    n_r: int
    n_h: int
    n_f: int
    n_v: int
    n_major: int
    n_homed: int = 0
    """Major labs with a limit on one cloud's share (``max_cloud_share`` below 1)."""

    @cached_property
    def site0(self) -> int:
        """First data-centre site node."""
        return self.n_r

    @cached_property
    def vendor0(self) -> int:
        """First vendor node."""
        return self.site0 + self.n_h * self.n_r

    @cached_property
    def chipbuyer0(self) -> int:
        """First chip-buying node."""
        return self.vendor0 + self.n_v

    @cached_property
    def seller0(self) -> int:
        """First compute seller node."""
        return self.chipbuyer0 + self.n_h * self.n_f

    @cached_property
    def n_sellers(self) -> int:
        """Compute seller nodes: ``H x R x F``."""
        return self.n_h * self.n_r * self.n_f

    @cached_property
    def lab0(self) -> int:
        """First major-lab node."""
        return self.seller0 + self.n_sellers

    @cached_property
    def pool0(self) -> int:
        """First pool node."""
        return self.lab0 + self.n_major

    @cached_property
    def home0(self) -> int:
        """First homing node: (homed lab ``k``, cloud ``h``) is ``home0 + k x H + h``."""
        return self.pool0 + self.n_sellers

    @cached_property
    def n_nodes(self) -> int:
        """Nodes in the book."""
        return self.home0 + self.n_homed * self.n_h


@dataclass
class Segments:
    """Consecutive named blocks of one axis of the book (offers, bids or links).

    Built block by block (:meth:`add`), or at once (:meth:`of`): those are shared
    between the calls with the same blocks (a month's book is most often the size of
    the last month's) and take no further block.
    """

    _slices: dict[str, slice] = field(default_factory=dict)
    size: int = 0
    _shared: bool = field(default=False, init=False, repr=False, compare=False)
    """Made by :meth:`of` and shared: :meth:`add` refuses it."""

    def add(self, name: str, n: int) -> slice:
        """Append a block of ``n`` entries called ``name`` and return its slice."""
        if self._shared:
            raise TypeError("segments made by Segments.of are shared: build with add")
        if name in self._slices:
            raise KeyError(f"segment {name!r} defined twice")
        s = slice(self.size, self.size + int(n))
        self._slices[name] = s
        self.size += int(n)
        return s

    @classmethod
    def of(cls, sizes: Sequence[tuple[str, int]]) -> Segments:
        """Blocks ``(name, n)`` in order, as by one :meth:`add` each; the same object for
        the same blocks (it takes no further block: :meth:`add` refuses it).

        >>> s = Segments.of((("units", 3), ("sellers", 2)))
        >>> s["sellers"], s is Segments.of((("units", 3), ("sellers", 2)))
        (slice(3, 5, None), True)
        """
        key = (cls, tuple(sizes))
        seen = _SHARED.get(key)
        if seen is not None:
            return seen
        slices: dict[str, slice] = {}
        end = 0
        for name, n in sizes:
            if name in slices:
                raise KeyError(f"segment {name!r} defined twice")
            slices[name] = slice(end, end + n)
            end += n
        out = cls(slices, end)
        out._shared = True
        if len(_SHARED) >= _MAX_SHARED:  # a long run's many sizes: start afresh
            _SHARED.clear()
        _SHARED[key] = out
        return out

    def __getitem__(self, name: str) -> slice:
        try:
            return self._slices[name]
        except KeyError:
            raise KeyError(f"no segment {name!r}; segments: {list(self._slices)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._slices)

    def count(self, name: str) -> int:
        """Entries in block ``name``."""
        s = self[name]
        return int(s.stop - s.start)


_SHARED: dict[tuple[object, ...], Segments] = {}
"""What :meth:`Segments.of` built, by class and blocks."""
_MAX_SHARED = 256
"""Most blocks :data:`_SHARED` keeps."""


@dataclass
class BookIndex:
    """Nodes and named segments of one month's book."""

    nodes: NodeLayout
    offers: Segments = field(default_factory=Segments)
    bids: Segments = field(default_factory=Segments)
    links: Segments = field(default_factory=Segments)
