"""Counter-offers and the acceptance rule, and one side (:class:`Negotiator`) that uses them.

**The counter-offer rule** (:func:`next_offer`). Given a target utility, the reservation
utility and the opponent's latest offer:

1. The working target ``tau`` is the target raised to the reservation utility, and capped at
   the best utility the space allows (1 when the weights sum to 1).
2. Among the offers of the space whose utility is at least ``tau``, keep those of the smallest
   such utility (two utilities within 1e-12 are equal).

   * With a continuous issue this smallest utility is ``tau`` itself whenever some
     combination of the discrete issues' grid values leaves the continuous issue a value
     within its bounds that makes up the rest: that value is solved for exactly (the utility
     is linear in it), not rounded to its grid. The candidates are then every such
     combination with its solved value: the whole iso-utility set ``u = tau`` of the space.
     This is how the counter-offer has the target utility (to about 1e-12: it is aimed 1e-12
     above ``tau`` so that rounding never puts it below).
   * Otherwise (no continuous issue, or none of the combinations can reach ``tau`` exactly)
     the candidates are the grid outcomes (the continuous issue, if any, at its worst value)
     of the smallest utility ``>= tau``: the target is met from above, as closely as the
     grids allow.

3. Of the candidates, propose the one closest to the opponent's latest offer, by Euclidean
   distance in the normalised issue space (each issue scaled to 0 at our worst value, 1 at
   our best; unweighted). Without an opponent offer, closest to our own best outcome. Ties
   (squared distances within 1e-12) go to the candidate whose discrete issues are worth the
   least (so the continuous issue the most), then to the first in grid order.

So a counter-offer never has a utility below the reservation utility, never leaves an issue's
bounds, and takes a discrete issue's values only from its grid.

**AC-next** (:func:`accept_next`): accept the opponent's offer when it is worth at least the
target of our next counter-offer (and at least the reservation utility, whatever target is
given). An offer outside our bounds is judged by the same linear utility, extrapolated.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dealflow.domain.advisor.space import (
    AIM_ABOVE,
    UTILITY_TIE,
    IssueSpace,
    Number,
    Outcome,
    _Table,
)
from dealflow.domain.advisor.tactics import exponent, target_utility
from dealflow.domain.policy import Preferences, Tactic

#: Two squared distances closer than this are equal (ties of the counter-offer rule).
DISTANCE_TIE = 1e-12


def working_target(table: _Table, target: float, reservation: float) -> float:
    """Step 1 of the rule: the target raised to the reservation, capped at the best."""
    return min(max(target, reservation), table.top)


def propose(table: _Table, tau: float, other: Sequence[float] | None) -> tuple[float, ...]:
    """Steps 2 and 3 of the rule for a working target ``tau`` (at most ``table.top``), the
    opponent's offer as values in issue order: the counter-offer's values in issue order."""
    keys, rows = table.keys, table.rows
    if other is None:
        bd: tuple[float, ...] = (1.0,) * len(table.discrete)
        bc = 1.0
    else:
        bd, bc = table.normalised(other)
    dist = math.dist
    wc = table.w_cont
    if wc > 0.0:
        aim = min(tau + AIM_ABOVE, table.top)
        lo = bisect_left(keys, tau - wc - UTILITY_TIE)
        hi = bisect_right(keys, aim)
        best_d = math.inf
        best_xc = 0.0
        best_values: tuple[float, ...] = ()
        for p, xs, values in rows[lo:hi]:
            xc = (aim - p) / wc
            if xc >= 1.0:
                # At its best value the continuous issue makes exactly p + wc, as
                # ``_Table.utility`` computes it: a candidate only if that reaches tau.
                if p + wc < tau:
                    continue
                xc = 1.0
            d = dist(xs, bd) ** 2 + (xc - bc) ** 2
            if d < best_d - DISTANCE_TIE:
                best_d, best_xc, best_values = d, xc, values
        if best_d < math.inf:
            return _with_continuous(table, tau, best_values, best_xc)
    j = bisect_left(keys, tau)
    j = min(j, len(keys) - 1)
    end = bisect_right(keys, keys[j] + UTILITY_TIE, lo=j)
    best_d = math.inf
    best_values = rows[j][2]
    for _, xs, values in rows[j:end]:
        d = dist(xs, bd) ** 2 + bc * bc
        if d < best_d - DISTANCE_TIE:
            best_d, best_values = d, values
    if table.cont < 0:
        return best_values
    return _with_continuous(table, tau, best_values, 0.0)


def _with_continuous(
    table: _Table, tau: float, discrete: tuple[float, ...], xc: float
) -> tuple[float, ...]:
    """The full values: the discrete ones with the continuous issue's value at ``xc`` on its
    0 (worst) to 1 (best) scale, within bounds, nudged towards best (by the smallest float
    steps) if rounding left the utility below ``tau``."""
    c = table.cont
    worst, span = table.cont_worst, table.cont_span
    best = worst + span
    low, high = min(worst, best), max(worst, best)
    if xc <= 0.0:
        value = worst
    elif xc >= 1.0:
        value = best
    else:
        value = min(high, max(low, worst + xc * span))
    values = (*discrete[:c], value, *discrete[c:])
    for _ in range(64):
        if value == best or table.utility(values) >= tau:
            break
        value = math.nextafter(value, best)
        values = (*discrete[:c], value, *discrete[c:])
    return values


def next_offer(
    space: IssueSpace,
    target: float,
    opponent_latest: Outcome | None,
    *,
    reservation: float,
) -> dict[str, float]:
    """The counter-offer for a target utility, given the opponent's latest offer (None before
    the first): see the module's docstring for the exact rule."""
    table = space._table
    other = None if opponent_latest is None else space.values_of(opponent_latest)
    tau = working_target(table, target, reservation)
    return space.outcome(propose(table, tau, other))


def accept_next(
    space: IssueSpace, offer: Outcome, target_next: float, *, reservation: float
) -> bool:
    """AC-next: whether to accept ``offer``, worth at least ``target_next`` (the target of
    our next counter-offer) and at least the reservation utility."""
    worth = space._table.utility(space.values_of(offer))
    return worth >= target_next and worth >= reservation


class Advice(BaseModel):
    """What the advisor says at one moment: the target utility, the counter-offer to make and
    its utility, whether to accept the opponent's latest offer instead, and the utility of
    each earlier offer of the deal (ours and theirs, in the order given)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: float
    counter_offer: dict[str, float]
    counter_utility: float
    opponent_utility: float | None
    accept: bool
    history_utilities: tuple[float, ...]


class Negotiator(BaseModel):
    """One side: its issue space, reservation utility (walk-away), concession tactic (a
    named one or an exponent ``e``) and the utility it starts from (``u_max``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    space: IssueSpace
    reservation: Annotated[float, Field(ge=0, le=1)]
    tactic: Tactic | Annotated[float, Field(gt=0, allow_inf_nan=False)] = Tactic.BOULWARE
    u_max: Annotated[float, Field(ge=0, le=1)] = 1.0

    @model_validator(mode="after")
    def _reservation_below_start(self) -> Self:
        if self.reservation > self.u_max:
            raise ValueError("the reservation utility must not be above u_max")
        return self

    @classmethod
    def from_preferences(
        cls,
        preferences: Preferences,
        grids: Mapping[str, Sequence[Number]],
        continuous: Collection[str] = (),
    ) -> Negotiator:
        """The seller as the policy describes it (its deadline is the caller's business)."""
        return cls(
            space=IssueSpace.from_preferences(preferences, grids, continuous),
            reservation=float(preferences.reservation_utility),
            tactic=preferences.tactic,
        )

    @property
    def exponent(self) -> float:
        """The tactic's exponent ``e``."""
        return exponent(self.tactic)

    def target(self, t: float, deadline: float) -> float:
        """The target utility at time ``t`` of ``deadline``."""
        return target_utility(t, deadline, self.tactic, u_res=self.reservation, u_max=self.u_max)

    def next_offer(
        self, t: float, deadline: float, opponent_latest: Outcome | None
    ) -> dict[str, float]:
        """The counter-offer at time ``t``."""
        target = self.target(t, deadline)
        return next_offer(self.space, target, opponent_latest, reservation=self.reservation)

    def accepts(self, offer: Outcome, t_next: float, deadline: float) -> bool:
        """AC-next, for a counter-offer we would make at ``t_next``."""
        target = self.target(t_next, deadline)
        return accept_next(self.space, offer, target, reservation=self.reservation)

    def advise(
        self,
        t: float,
        deadline: float,
        opponent_latest: Outcome | None,
        history: Sequence[Outcome] = (),
    ) -> Advice:
        """The advice at time ``t``: the counter-offer we would make now, and whether the
        opponent's latest offer is worth at least as much (AC-next: accept it then)."""
        space = self.space
        table = space._table
        target = self.target(t, deadline)
        other = None if opponent_latest is None else space.values_of(opponent_latest)
        values = propose(table, working_target(table, target, self.reservation), other)
        worth = None if other is None else table.utility(other)
        return Advice(
            target=target,
            counter_offer=space.outcome(values),
            counter_utility=table.utility(values),
            opponent_utility=worth,
            accept=worth is not None and worth >= target and worth >= self.reservation,
            history_utilities=tuple(table.utility(space.values_of(o)) for o in history),
        )
