"""The seller's approval rules: which internal approvals agreed terms need.

A manager approves a discount above the ceiling or a deal above a total; legal approves terms
that carry a free-text clause outside the standard library. The defaults are a cautious
starting point that a team's policy file overrides.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from dealflow.domain.money import Amount, Percent
from dealflow.domain.parties import Role
from dealflow.domain.terms import Terms


class ApprovalPolicy(BaseModel):
    """When agreed terms need a manager or legal before signatures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    discount_ceiling: Percent = Decimal(10)
    manager_above_total: Amount | None = None
    legal_for_non_standard_clauses: bool = True

    def approvals_for(self, terms: Terms) -> tuple[Role, ...]:
        """The roles that must approve these terms, manager first."""
        needed: list[Role] = []
        total = terms.totals.grand_total.amount
        if terms.discount_percent > self.discount_ceiling or (
            self.manager_above_total is not None and total > self.manager_above_total
        ):
            needed.append(Role.MANAGER)
        if self.legal_for_non_standard_clauses and terms.special and terms.special.non_standard:
            needed.append(Role.LEGAL)
        return tuple(needed)


DEFAULT_POLICY = ApprovalPolicy()
