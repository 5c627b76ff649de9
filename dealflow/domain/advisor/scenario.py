"""The reference scenario of the advisor's tests and benchmark.

Four issues, 2,520 outcomes on the grids: discount 0-20% (1% steps; continuous for the
counter-offers), payment days {14, 30, 45, 60, 75, 90}, warranty months {12, 18, 24, 30, 36},
delivery days {14, 30, 45, 60}. The seller (the policy's sample preferences): weights
0.5/0.2/0.15/0.15, best 0%, 14 days, 12 months, 60 days; reservation 0.35. The buyer: the
mirror (its best is the seller's worst), weights 0.45/0.25/0.2/0.1; reservation 0.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dealflow.domain.advisor.offers import Negotiator
from dealflow.domain.advisor.pareto import Point, pareto_frontier
from dealflow.domain.policy import IssuePreference, Preferences, Tactic

REFERENCE_GRIDS: dict[str, tuple[float, ...]] = {
    "discount": tuple(float(d) for d in range(21)),
    "payment_days": (14.0, 30.0, 45.0, 60.0, 75.0, 90.0),
    "warranty_months": (12.0, 18.0, 24.0, 30.0, 36.0),
    "delivery_days": (14.0, 30.0, 45.0, 60.0),
}
REFERENCE_CONTINUOUS = ("discount",)


def _issue(weight: str, best: str, worst: str) -> IssuePreference:
    return IssuePreference(weight=Decimal(weight), best=Decimal(best), worst=Decimal(worst))


#: The seller's preferences, as in the sample policy file.
REFERENCE_PREFERENCES = Preferences(
    reservation_utility=Decimal("0.35"),
    tactic=Tactic.BOULWARE,
    deadline_days=30,
    issues={
        "discount": _issue("0.5", "0", "20"),
        "payment_days": _issue("0.2", "14", "90"),
        "warranty_months": _issue("0.15", "12", "36"),
        "delivery_days": _issue("0.15", "60", "14"),
    },
)
BUYER_WEIGHTS = {
    "discount": 0.45,
    "payment_days": 0.25,
    "warranty_months": 0.2,
    "delivery_days": 0.1,
}
BUYER_RESERVATION = 0.3


@dataclass(frozen=True)
class Scenario:
    """A seller and a buyer over the same issues and grids."""

    seller: Negotiator
    buyer: Negotiator

    def grid_utilities(self) -> list[Point]:
        """(seller, buyer) utilities of every grid outcome, in grid order."""
        return list(
            zip(self.seller.space.grid_utilities(), self.buyer.space.grid_utilities(), strict=True)
        )

    def frontier(self) -> list[Point]:
        """The Pareto frontier over the grid outcomes, by seller utility, highest first."""
        points = self.grid_utilities()
        return [points[i] for i in pareto_frontier(points)]


def reference_scenario(
    seller_tactic: Tactic | float = Tactic.BOULWARE,
    buyer_tactic: Tactic | float = Tactic.CONCEDER,
) -> Scenario:
    """The reference scenario with these tactics."""
    preferred = Negotiator.from_preferences(
        REFERENCE_PREFERENCES, REFERENCE_GRIDS, REFERENCE_CONTINUOUS
    )
    seller = Negotiator(
        space=preferred.space, reservation=preferred.reservation, tactic=seller_tactic
    )
    buyer = Negotiator(
        space=seller.space.mirrored(BUYER_WEIGHTS),
        reservation=BUYER_RESERVATION,
        tactic=buyer_tactic,
    )
    return Scenario(seller=seller, buyer=buyer)
