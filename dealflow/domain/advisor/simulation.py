"""A simulated negotiation: two :class:`~dealflow.domain.advisor.offers.Negotiator`\\ s over
the same issues, alternating offers.

Each round ``r`` (0 to ``rounds - 1``, the deadline ``T`` being ``rounds``) the seller first
judges the buyer's latest offer by AC-next against its target at ``r`` (the counter-offer it
would make now) and accepts it, or makes that counter-offer; then the buyer does the same with
the seller's offer, against its own target at ``r``. The seller opens (round 0: its best
outcome, its target being ``u_max``). No agreement by the end of round ``rounds - 1`` is no
deal. Both sides' utilities of every offer are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dealflow.domain.advisor.offers import Negotiator, propose, working_target

Side = Literal["seller", "buyer"]


@dataclass(frozen=True, slots=True)
class Move:
    """One offer: its round, who made it, and what it is worth to each side."""

    round: int
    proposer: Side
    seller_utility: float
    buyer_utility: float


@dataclass(frozen=True, slots=True)
class Agreement:
    """The accepted offer: in which round, who made it (the other side accepted)."""

    round: int
    proposer: Side
    outcome: dict[str, float]
    seller_utility: float
    buyer_utility: float


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Every offer made, in order, and the agreement (None: the deadline passed)."""

    rounds: int
    moves: tuple[Move, ...]
    agreement: Agreement | None


def simulate(seller: Negotiator, buyer: Negotiator, rounds: int) -> SimulationResult:
    """Play the seller's tactic against the buyer's for at most ``rounds`` rounds (both
    spaces must have the same issues, in the same order, over the same grids)."""
    if rounds < 1:
        raise ValueError("a simulation needs at least one round")
    if not seller.space.same_issues(buyer.space):
        raise ValueError("the seller and the buyer must negotiate the same issues and grids")
    st, bt = seller.space._table, buyer.space._table
    s_taus = [
        working_target(st, seller.target(r, rounds), seller.reservation) for r in range(rounds)
    ]
    b_taus = [working_target(bt, buyer.target(r, rounds), buyer.reservation) for r in range(rounds)]
    s_utility, b_utility = st.utility, bt.utility
    moves: list[Move] = []
    buyer_offer: tuple[float, ...] | None = None
    for r in range(rounds):
        s_tau = s_taus[r]
        if buyer_offer is not None:
            worth = s_utility(buyer_offer)
            if worth >= s_tau:
                return _agreed(seller, moves, rounds, r - 1, "buyer", buyer_offer)
        offer = propose(st, s_tau, buyer_offer)
        moves.append(Move(r, "seller", s_utility(offer), b_utility(offer)))
        b_tau = b_taus[r]
        if b_utility(offer) >= b_tau:
            return _agreed(seller, moves, rounds, r, "seller", offer)
        buyer_offer = propose(bt, b_tau, offer)
        moves.append(Move(r, "buyer", s_utility(buyer_offer), b_utility(buyer_offer)))
    return SimulationResult(rounds, tuple(moves), None)


def _agreed(
    seller: Negotiator,
    moves: list[Move],
    rounds: int,
    r: int,
    proposer: Side,
    values: tuple[float, ...],
) -> SimulationResult:
    move = moves[-1]
    agreement = Agreement(
        round=r,
        proposer=proposer,
        outcome=seller.space.outcome(values),
        seller_utility=move.seller_utility,
        buyer_utility=move.buyer_utility,
    )
    return SimulationResult(rounds, tuple(moves), agreement)
