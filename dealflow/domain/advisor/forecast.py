"""The negotiation played forward from where a deal stands: the seller's tactic against a
modelled buyer, over the same issues, until one side accepts or the deadline passes.

The modelled buyer is the seller's issue space mirrored (each issue's best and worst swapped)
with assumed weights (by default the seller's own: the buyer cares about the same issues as
much, the other way round), an assumed reservation utility, and a concession tactic: given,
or estimated from how the buyer has conceded so far (:func:`estimate_tactic`). Its curve
starts where it puts the buyer's latest offer on it (:func:`calibrated_start`), so the
modelled buyer goes on from where the real one stands rather than back to its best. Both sides
count time in days since the negotiation's first offer, towards the policy's deadline.

Each round, starting with the side whose turn it is, a side first judges the other's latest
offer by AC-next against its own target at the round's time (never above what its own latest
offer is worth to it: no side steps back), and accepts it or answers with the counter-offer
at that target closest to it (the rule of
:func:`~dealflow.domain.advisor.offers.next_offer`); then the other side does the same. A
round takes the deal's own pace: the days its rounds have taken so far on average, at least
one day (at most :data:`MAX_ROUNDS` rounds are played before the deadline).

The moves are numbered by round as the negotiation dance is drawn: each side's k-th offer is
in round k, the offers already made first (with the buyer's utility as modelled), then the
simulated ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dealflow.domain.advisor.offers import Negotiator, propose, working_target
from dealflow.domain.advisor.space import IssueSpace
from dealflow.domain.advisor.tactics import exponent
from dealflow.domain.parties import Side
from dealflow.domain.policy import Tactic

#: The buyer's walk-away utility when nothing better is known (that of the reference buyer).
ASSUMED_BUYER_RESERVATION = 0.3
#: The most rounds a forecast plays: a round never takes less than the deadline over this.
MAX_ROUNDS = 200
#: Estimated exponents below this are Boulware, above :data:`CONCEDER_ABOVE` conceder: the
#: geometric midpoints between the named tactics' exponents 0.5, 1 and 2.
BOULWARE_BELOW = math.sqrt(0.5)
CONCEDER_ABOVE = math.sqrt(2.0)

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class DanceMove(BaseModel):
    """One offer of the negotiation dance: its round (each side's k-th offer is in round k),
    who made it, when (days since the first offer), its outcome, what it is worth to the
    seller and to the modelled buyer, and the deal's version for an offer actually made
    (None for a simulated one)."""

    model_config = _FROZEN

    round: Annotated[int, Field(ge=1)]
    side: Side
    day: float
    outcome: dict[str, float]
    seller_utility: float
    buyer_utility: float
    version: int | None = None

    @property
    def simulated(self) -> bool:
        """True for a move of the forecast, False for an offer made."""
        return self.version is None


class Forecast(BaseModel):
    """The dance so far and played forward, the modelled buyer, and how it ends: the accepted
    move (None: no agreement before the deadline) and who accepted it."""

    model_config = _FROZEN

    buyer_tactic: Tactic
    buyer_tactic_reason: str
    buyer_weights: dict[str, float]
    buyer_reservation: float
    round_days: float
    moves: tuple[DanceMove, ...]
    agreement: DanceMove | None
    accepted_by: Side | None


def estimate_tactic(
    buyer_offers: Sequence[tuple[float, float]], seller_opening: float | None, deadline: float
) -> tuple[Tactic, str]:
    """The buyer's tactic as its offers show it, and why.

    ``buyer_offers`` are (day, seller's utility) of the buyer's offers in order,
    ``seller_opening`` the seller's utility of its first offer. Under a time-dependent tactic
    the share ``x`` of the gap between the opening positions that the buyer has closed by the
    fraction ``f`` of the time is ``f ** (1 / e)``, so ``e = ln f / ln x``: below
    :data:`BOULWARE_BELOW` Boulware, above :data:`CONCEDER_ABOVE` conceder, linear between.
    Not conceding at all reads as Boulware, closing the whole gap as conceder; with fewer
    than two buyer offers there is nothing to go on and linear is assumed.
    """
    if len(buyer_offers) < 2 or seller_opening is None:
        return Tactic.LINEAR, "assumed linear: the buyer has made fewer than two offers"
    first, latest = buyer_offers[0][1], buyer_offers[-1][1]
    conceded, gap = latest - first, seller_opening - first
    f = buyer_offers[-1][0] / deadline
    if conceded <= 0:
        return Tactic.BOULWARE, "estimated Boulware: the buyer has not conceded"
    if gap <= 0 or conceded >= gap:
        return Tactic.CONCEDER, "estimated conceder: the buyer has closed the whole gap"
    x = conceded / gap
    if not 0 < f < 1:
        return Tactic.LINEAR, "assumed linear: the buyer's offers give no usable timing"
    e = math.log(f) / math.log(x)
    share = f"the buyer closed {x:.0%} of the gap in {f:.0%} of the time"
    if e < BOULWARE_BELOW:
        return Tactic.BOULWARE, f"estimated Boulware (e = {e:.2f}): {share}"
    if e > CONCEDER_ABOVE:
        return Tactic.CONCEDER, f"estimated conceder (e = {e:.2f}): {share}"
    return Tactic.LINEAR, f"estimated linear (e = {e:.2f}): {share}"


def calibrated_start(
    latest: float | None, day: float, deadline: float, tactic: Tactic | float, reservation: float
) -> float:
    """The buyer's ``u_max`` that puts its tactic's curve through its latest offer (worth
    ``latest`` to it, made at ``day``), so that the forecast does not have it retreat from an
    offer it already made: from ``u(t) = u_max - (u_max - u_res) * f ** (1 / e)`` at
    ``f = day / deadline``. Within [reservation, 1]; 1 without an offer to go by."""
    if latest is None:
        return 1.0
    f = min(1.0, max(0.0, day / deadline))
    share = math.pow(f, 1.0 / exponent(tactic))
    if share >= 1.0:
        return max(reservation, min(1.0, latest))
    return min(1.0, max(reservation, latest, (latest - reservation * share) / (1.0 - share)))


def modelled_buyer(
    space: IssueSpace,
    tactic: Tactic | float,
    weights: Mapping[str, float] | None = None,
    reservation: float = ASSUMED_BUYER_RESERVATION,
    u_max: float = 1.0,
) -> Negotiator:
    """The buyer over the seller's issues, mirrored, with these weights (scaled to sum to 1;
    by default the seller's own), reservation utility and starting utility."""
    chosen = {i.name: i.weight for i in space.issues} if weights is None else dict(weights)
    total = math.fsum(chosen.get(name, 0.0) for name in space.names)
    if total <= 0:
        raise ValueError("the buyer's weights must give some issue a positive weight")
    scaled = {name: chosen.get(name, 0.0) / total for name in space.names}
    return Negotiator(
        space=space.mirrored(scaled), reservation=reservation, tactic=tactic, u_max=u_max
    )


def play_forward(
    seller: Negotiator,
    buyer: Negotiator,
    made: Sequence[DanceMove],
    *,
    turn: Side,
    now: float,
    deadline: float,
    round_days: float,
) -> tuple[tuple[DanceMove, ...], DanceMove | None, Side | None]:
    """The simulated moves after the ``made`` ones, the accepted move and who accepted it.

    ``turn`` moves first, at day ``now``; each round takes ``round_days`` (raised so that at
    most :data:`MAX_ROUNDS` rounds fit before ``deadline``). With the deadline passed, one
    round is played at the reservation utilities."""
    st, bt = seller.space._table, buyer.space._table
    space = seller.space
    latest: dict[Side, DanceMove | None] = {Side.SELLER: None, Side.BUYER: None}
    counts = {Side.SELLER: 0, Side.BUYER: 0}
    for move in made:
        latest[move.side] = move
        counts[move.side] += 1
    step = max(round_days, deadline / MAX_ROUNDS)
    rounds = max(1, math.ceil((deadline - now) / step)) if now < deadline else 1
    sides = {Side.SELLER: (seller, st), Side.BUYER: (buyer, bt)}
    moves: list[DanceMove] = []
    for r in range(rounds):
        day = now + r * step
        for side in (turn, turn.other):
            negotiator, table = sides[side]
            target = negotiator.target(day, deadline)
            own = latest[side]
            if own is not None:
                # No side asks for more than it already offered.
                target = min(
                    target, own.seller_utility if side is Side.SELLER else own.buyer_utility
                )
            tau = working_target(table, target, negotiator.reservation)
            theirs = latest[side.other]
            other = None if theirs is None else space.values_of(theirs.outcome)
            if theirs is not None and other is not None and table.utility(other) >= tau:
                return tuple(moves), theirs, side
            values = propose(table, tau, other)
            counts[side] += 1
            move = DanceMove(
                round=counts[side],
                side=side,
                day=day,
                outcome=space.outcome(values),
                seller_utility=st.utility(values),
                buyer_utility=bt.utility(values),
            )
            latest[side] = move
            moves.append(move)
    return tuple(moves), None, None
