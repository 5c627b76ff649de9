"""The issues under negotiation and one side's utility over them.

An :class:`IssueSpace` is one side's view of the negotiable issues: each :class:`Issue` has an
ordered grid of allowed values, a best and a worst value (the grid's two ends) and a weight.
The utility of an outcome (a mapping from issue name to value) is the weighted sum of the
issues' normalised values, linear additive::

    u(o) = sum_i w_i * (o[i] - worst_i) / (best_i - worst_i)

with the weights summing to 1, so ``u`` is 0 at the all-worst outcome, 1 at the all-best one
and in [0, 1] in between (up to floating-point rounding, below 1e-12).

At most one issue may be *continuous*: any value between its ends is allowed, its grid then
only serves to enumerate outcomes (the Pareto frontier, the simulation's sampled
alternatives). That is what lets :func:`~dealflow.domain.advisor.offers.next_offer` hit a
target utility exactly rather than the nearest grid point above it. A discrete issue takes
only its grid's values.

Utilities are floats: they are scores, not money. Everything the advisor needs per call is
precomputed once per space (:class:`_Table`): the utility of every combination of the discrete
issues' values, sorted, so that a counter-offer is a bisection plus a scan of the few
combinations that can reach the target.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from dealflow.domain.policy import Preferences

#: An outcome: one value per issue, by issue name (a discount in percent: 7.5 is 7.5%).
Outcome = Mapping[str, float]
#: How far the weights may sum from 1 (they are then scaled to sum to 1).
WEIGHT_TOLERANCE = 1e-9
#: Two utilities closer than this are equal (ties of the counter-offer rule).
UTILITY_TIE = 1e-12
#: How much above the target a continuous counter-offer is aimed, so that rounding of the
#: solved value never lets its utility fall below the target (float error is near 1e-15).
AIM_ABOVE = 1e-12

_FROZEN = ConfigDict(frozen=True, extra="forbid")
Number = float | int | Decimal


class Issue(BaseModel):
    """One negotiable issue as one side sees it.

    ``values`` is the grid, strictly increasing; its two ends are ``best`` and ``worst`` (in
    either order: for a discount the seller's best is the lowest value, for delivery days the
    highest). ``continuous`` allows any value between the ends.
    """

    model_config = _FROZEN

    name: Annotated[str, Field(min_length=1, max_length=64)]
    values: Annotated[tuple[float, ...], Field(min_length=2, max_length=10_000)]
    best: float
    worst: float
    weight: Annotated[float, Field(ge=0, le=1)]
    continuous: bool = False

    @model_validator(mode="after")
    def _grid_spans_worst_to_best(self) -> Self:
        values = self.values
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"{self.name}: values must be finite numbers")
        if any(b <= a for a, b in itertools.pairwise(values)):
            raise ValueError(f"{self.name}: values must be strictly increasing")
        if {values[0], values[-1]} != {self.best, self.worst}:
            raise ValueError(
                f"{self.name}: the grid must run from worst to best: its ends are "
                f"{values[0]:g} and {values[-1]:g}, best {self.best:g}, worst {self.worst:g}"
            )
        return self

    @property
    def low(self) -> float:
        """The smallest allowed value."""
        return self.values[0]

    @property
    def high(self) -> float:
        """The largest allowed value."""
        return self.values[-1]

    def normalised(self, value: float) -> float:
        """``value`` on a 0 (worst) to 1 (best) scale."""
        return (value - self.worst) / (self.best - self.worst)

    def value_at(self, x: float) -> float:
        """The value at ``x`` on the 0 (worst) to 1 (best) scale, kept within the bounds."""
        if x <= 0.0:
            return self.worst
        if x >= 1.0:
            return self.best
        return min(self.high, max(self.low, self.worst + x * (self.best - self.worst)))

    def allows(self, value: float) -> bool:
        """Whether ``value`` is within the bounds, and on the grid if the issue is discrete."""
        if not self.low <= value <= self.high:
            return False
        return self.continuous or value in self.values

    def mirrored(self, weight: float) -> Issue:
        """The opponent's view: best and worst swapped, with its own weight."""
        return self.model_copy(update={"best": self.worst, "worst": self.best, "weight": weight})


class IssueSpace(BaseModel):
    """One side's issues and utility. Issue names are unique; the weights sum to 1 (within
    1e-9, then scaled to sum to 1 exactly as floats allow); at most one issue is continuous."""

    model_config = _FROZEN

    issues: Annotated[tuple[Issue, ...], Field(min_length=1, max_length=16)]
    _table: _Table = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _scale_weights(cls, data: object) -> object:
        if not isinstance(data, dict) or "issues" not in data:
            return data
        issues = [Issue.model_validate(i) for i in data["issues"]]
        total = math.fsum(i.weight for i in issues)
        if issues and abs(total - 1.0) <= WEIGHT_TOLERANCE and total != 1.0:
            issues = [i.model_copy(update={"weight": i.weight / total}) for i in issues]
        return {**data, "issues": tuple(issues)}

    @model_validator(mode="after")
    def _check(self) -> Self:
        names = [i.name for i in self.issues]
        if len(set(names)) != len(names):
            raise ValueError(f"issue names must be unique: {names}")
        total = math.fsum(i.weight for i in self.issues)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"the issue weights must sum to 1, not {total:g}")
        if sum(i.continuous for i in self.issues) > 1:
            raise ValueError("at most one issue may be continuous")
        return self

    def model_post_init(self, context: object, /) -> None:
        self._table = _Table(self.issues)

    # Construction ----------------------------------------------------------------------

    @classmethod
    def from_preferences(
        cls,
        preferences: Preferences,
        grids: Mapping[str, Sequence[Number]],
        continuous: Collection[str] = (),
    ) -> IssueSpace:
        """The seller's space from the policy's preferences, with a grid of values per issue
        (its ends must be the preference's best and worst) and the issues allowed any value
        between their ends (at most one). Issues keep the preferences' order."""
        missing = [name for name in preferences.issues if name not in grids]
        if missing:
            raise ValueError(f"no grid of values for {', '.join(missing)}")
        unknown = sorted(set(continuous) - set(preferences.issues))
        if unknown:
            raise ValueError(f"continuous issues not in the preferences: {', '.join(unknown)}")
        issues = [
            Issue(
                name=name,
                values=tuple(sorted(float(v) for v in grids[name])),
                best=float(pref.best),
                worst=float(pref.worst),
                weight=float(pref.weight),
                continuous=name in continuous,
            )
            for name, pref in preferences.issues.items()
        ]
        return cls(issues=tuple(issues))

    def mirrored(self, weights: Mapping[str, float]) -> IssueSpace:
        """The opponent's space over the same issues and grids: each issue's best and worst
        swapped, with the opponent's weights."""
        return IssueSpace(issues=tuple(i.mirrored(weights[i.name]) for i in self.issues))

    # Reading ---------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """The issue names, in order."""
        return self._table.names

    @property
    def size(self) -> int:
        """How many outcomes the grids make."""
        return math.prod(len(i.values) for i in self.issues)

    def utility(self, outcome: Outcome) -> float:
        """The outcome's utility, in [0, 1]. Refuses (ValueError) a value outside an issue's
        bounds; a missing issue raises KeyError."""
        values = self.values_of(outcome)
        for issue, value in zip(self.issues, values, strict=True):
            if not issue.low <= value <= issue.high:
                raise ValueError(
                    f"{issue.name} {value:g} is outside {issue.low:g} to {issue.high:g}"
                )
        return self._table.utility(values)

    def allows(self, outcome: Outcome) -> bool:
        """Whether the outcome has exactly this space's issues, each value allowed."""
        if set(outcome) != set(self.names):
            return False
        return all(i.allows(float(outcome[i.name])) for i in self.issues)

    def values_of(self, outcome: Outcome) -> tuple[float, ...]:
        """The outcome's values in issue order."""
        return tuple(float(outcome[name]) for name in self._table.names)

    def outcome(self, values: Sequence[float]) -> dict[str, float]:
        """The outcome with these values, in issue order."""
        return dict(zip(self._table.names, values, strict=True))

    def grid(self) -> Iterator[tuple[float, ...]]:
        """Every outcome of the grids as values in issue order, in the grids' product order
        (the first issue varies slowest)."""
        return itertools.product(*(i.values for i in self.issues))

    def grid_utilities(self) -> tuple[float, ...]:
        """The utility of every outcome of :meth:`grid`, in the same order."""
        utility = self._table.utility
        return tuple(utility(values) for values in self.grid())

    def same_issues(self, other: IssueSpace) -> bool:
        """Whether ``other`` has the same issues, in the same order, over the same grids."""
        return [(i.name, i.values, i.continuous) for i in self.issues] == [
            (i.name, i.values, i.continuous) for i in other.issues
        ]


class _Table:
    """What a counter-offer needs, precomputed once per space.

    The *skeletons* are the combinations of the discrete issues' grid values, each with its
    partial utility ``p`` (the discrete issues' share of the utility), sorted by ``p`` then by
    grid order. With a continuous issue ``c`` of weight ``w_c``, the skeletons that can reach a
    target ``tau`` exactly are those with ``tau - w_c <= p <= tau``: one bisection each side.
    """

    __slots__ = (
        "cont",
        "cont_span",
        "cont_worst",
        "discrete",
        "keys",
        "names",
        "rows",
        "spans",
        "top",
        "w_cont",
        "weights",
        "worsts",
    )

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.names = tuple(i.name for i in issues)
        self.weights = tuple(i.weight for i in issues)
        self.worsts = tuple(i.worst for i in issues)
        self.spans = tuple(i.best - i.worst for i in issues)
        cont = [n for n, i in enumerate(issues) if i.continuous]
        self.cont = cont[0] if cont else -1
        self.discrete = tuple(n for n in range(len(issues)) if n != self.cont)
        if self.cont >= 0:
            self.w_cont = issues[self.cont].weight
            self.cont_worst = issues[self.cont].worst
            self.cont_span = self.spans[self.cont]
        else:
            self.w_cont, self.cont_worst, self.cont_span = 0.0, 0.0, 1.0
        grids = [issues[n].values for n in self.discrete]
        skeletons = []
        for order, values in enumerate(itertools.product(*grids)):
            xs = tuple(
                (v - self.worsts[n]) / self.spans[n]
                for n, v in zip(self.discrete, values, strict=True)
            )
            skeletons.append((self._partial(xs), order, xs, values))
        skeletons.sort(key=lambda s: (s[0], s[1]))
        self.keys = [s[0] for s in skeletons]
        #: (p, normalised discrete values, discrete values), in ``keys`` order.
        self.rows = [(s[0], s[2], s[3]) for s in skeletons]
        self.top = self.keys[-1] + self.w_cont

    def __eq__(self, other: object) -> bool:
        # Everything else derives from these: equal issues make equal tables (and spaces).
        if not isinstance(other, _Table):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def _key(self) -> tuple[object, ...]:
        return (self.names, self.weights, self.worsts, self.spans, self.cont, self.keys)

    def _partial(self, xs: Sequence[float]) -> float:
        # The same sum, in the same order, as :meth:`utility`: equal outcomes, equal floats.
        p = 0.0
        for n, x in zip(self.discrete, xs, strict=True):
            p += self.weights[n] * x
        return p

    def utility(self, values: Sequence[float]) -> float:
        """The utility of values in issue order (no bound checks): the discrete issues in
        order, then the continuous one."""
        weights, worsts, spans = self.weights, self.worsts, self.spans
        p = 0.0
        for n in self.discrete:
            p += weights[n] * ((values[n] - worsts[n]) / spans[n])
        c = self.cont
        if c >= 0:
            p += self.w_cont * ((values[c] - self.cont_worst) / self.cont_span)
        return p

    def normalised(self, values: Sequence[float]) -> tuple[tuple[float, ...], float]:
        """Values in issue order on this side's 0 (worst) to 1 (best) scales: the discrete
        issues' in order, and the continuous one's (0.0 without one)."""
        worsts, spans = self.worsts, self.spans
        xs = tuple((values[n] - worsts[n]) / spans[n] for n in self.discrete)
        c = self.cont
        xc = (values[c] - self.cont_worst) / self.cont_span if c >= 0 else 0.0
        return xs, xc
