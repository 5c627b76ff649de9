"""The Pareto frontier of two sides' utilities, exact over the outcomes given."""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]


def pareto_frontier(points: Sequence[Point]) -> tuple[int, ...]:
    """The indices of the Pareto-optimal points (no other point is at least as good for both
    sides and better for one), ordered by the first utility, highest first (so by the second,
    lowest first). Of identical points one index is kept. Exact: the utilities are compared
    as given, with no tolerance; O(n log n)."""
    order = sorted(range(len(points)), key=points.__getitem__)
    frontier: list[int] = []
    best_second = -math.inf
    for i in reversed(order):
        second = points[i][1]
        if second > best_second:
            frontier.append(i)
            best_second = second
    return tuple(frontier)


def distance_to_frontier(point: Point, frontier: Sequence[Point]) -> float:
    """The Euclidean distance from ``point`` to the nearest point of ``frontier`` (0 for a
    point on it; a point that dominates part of it is measured the same way)."""
    if not frontier:
        raise ValueError("the frontier is empty")
    return min(math.dist(point, f) for f in frontier)
