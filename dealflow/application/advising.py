"""The negotiation advisor's use case on :class:`~dealflow.DealService`: advice on a
deal as it stands, from the policy's preferences, the deal's approval rules and the clock.

A mixin so that the service stays one object with one API. It records nothing: advice is read
from the deal, never an action on it; the computing is the pure
:func:`~dealflow.domain.advisor.deal_advice.advise_deal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from dealflow.domain.deal import Deal
from dealflow.domain.policy import ApprovalPolicy, SellerPolicy, Tactic
from dealflow.ports import Clock

if TYPE_CHECKING:
    from dealflow.domain.advisor.deal_advice import DealAdvice


class _Service(Protocol):
    """What the use case needs of the service it is mixed into. (A protocol rather than
    ``DealService`` itself: mypy accepts a self-type on a mixin only if it is a supertype of
    the mixin, which a protocol is and the service class is not.)"""

    @property
    def clock(self) -> Clock: ...
    @property
    def policy(self) -> SellerPolicy: ...
    def get(self, deal_id: str) -> Deal: ...
    def rules(
        self, deal: Deal, *, with_class: bool = True, with_clauses: bool = True
    ) -> ApprovalPolicy: ...


class AdvisingUseCases:
    """The advisor's use case, mixed into :class:`~dealflow.DealService`."""

    def advise(
        self: _Service,
        deal_id: str,
        *,
        simulate: bool = False,
        buyer_tactic: Tactic | str | None = None,
        buyer_weights: Mapping[str, float] | None = None,
        buyer_reservation: float | None = None,
    ) -> DealAdvice:
        """Advice on the deal now: the seller's utility of every offer, the buyer's
        concession rate, the target utility, the next counter-offer (with the approvals it
        would need), whether to accept the buyer's offer (AC-next), the customer games seen,
        and an explanation. With ``simulate``, the negotiation played forward against a
        modelled buyer (``buyer_tactic``: boulware, linear or conceder; estimated from the
        buyer's offers when not given).

        Raises DealNotFoundError, and ActionRefusedError when the deal is not under
        negotiation or the policy names no negotiable issues.
        """
        # The advisor's modules load here, not with the service: other commands start faster.
        from dealflow.domain.advisor.deal_advice import advise_deal
        from dealflow.domain.advisor.forecast import ASSUMED_BUYER_RESERVATION

        deal = self.get(deal_id)
        return advise_deal(
            deal,
            self.policy.preferences,
            self.rules(deal),
            self.clock.now(),
            simulate=simulate,
            buyer_tactic=None if buyer_tactic is None else Tactic(buyer_tactic),
            buyer_weights=buyer_weights,
            buyer_reservation=(
                ASSUMED_BUYER_RESERVATION if buyer_reservation is None else buyer_reservation
            ),
        )
