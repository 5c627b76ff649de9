"""The seller's policy: which internal approvals agreed terms need, and the policy file.

A manager approves a discount above the ceiling or a deal above a total; legal approves terms
that carry a free-text clause outside the standard library. The defaults are a cautious
starting point that a team's policy file (:class:`SellerPolicy`) overrides: discount ceilings
per buyer class, approval rules, and the seller's negotiation preferences.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

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


# The seller policy file ------------------------------------------------------------------


class BuyerClass(StrEnum):
    """How well the seller knows a buyer, from that buyer's signed deals."""

    PROSPECT = "prospect"
    REPEAT = "repeat"
    LOYAL = "loyal"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BuyerClassRules(_Section):
    """How many signed deals make a buyer repeat or loyal."""

    repeat_after_signed_deals: Annotated[int, Field(ge=1, le=1000, strict=True)] = 1
    loyal_after_signed_deals: Annotated[int, Field(ge=1, le=1000, strict=True)] = 3
    loyal_window_months: Annotated[int, Field(ge=1, le=600, strict=True)] = 24

    @model_validator(mode="after")
    def _loyal_after_repeat(self) -> Self:
        if self.loyal_after_signed_deals < self.repeat_after_signed_deals:
            raise ValueError("loyal_after_signed_deals must not be below repeat_after_signed_deals")
        return self


class DiscountCeilings(_Section):
    """The discount each buyer class may get without a manager's approval."""

    prospect: Percent = Decimal(10)
    repeat: Percent = Decimal(15)
    loyal: Percent = Decimal(20)

    def for_class(self, buyer_class: BuyerClass) -> Decimal:
        """The ceiling for one buyer class."""
        return Decimal(getattr(self, buyer_class.value))


class ApprovalRules(_Section):
    """Approvals that do not depend on the buyer class."""

    manager_above_total: Amount | None = None
    legal_for_non_standard_clauses: bool = True


class Tactic(StrEnum):
    """How the seller concedes over time (Faratin, Sierra & Jennings 1998)."""

    BOULWARE = "boulware"
    LINEAR = "linear"
    CONCEDER = "conceder"


IssueValue = Annotated[Decimal, BeforeValidator(lambda v: str(v).strip().removesuffix("%"))]


class IssuePreference(_Section):
    """How much one negotiable issue weighs for the seller, and its best and worst values."""

    weight: Annotated[Decimal, Field(ge=0, le=1)]
    best: IssueValue
    worst: IssueValue

    @model_validator(mode="after")
    def _best_differs_from_worst(self) -> Self:
        if self.best == self.worst:
            raise ValueError("best and worst must differ")
        return self


class Preferences(_Section):
    """The seller's negotiation preferences, for the advisor."""

    reservation_utility: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.35")
    tactic: Tactic = Tactic.BOULWARE
    deadline_days: Annotated[int, Field(gt=0, le=3650, strict=True)] = 30
    issues: dict[
        Literal["discount", "payment_days", "warranty_months", "delivery_days", "response_hours"],
        IssuePreference,
    ] = Field(default_factory=dict)


class SellerPolicy(_Section):
    """A seller's policy file: buyer classes, discount ceilings, approvals, preferences."""

    buyer_classes: BuyerClassRules = BuyerClassRules()
    discount_ceiling: DiscountCeilings = DiscountCeilings()
    approvals: ApprovalRules = ApprovalRules()
    preferences: Preferences = Preferences()

    def approval_policy(self, buyer_class: BuyerClass = BuyerClass.PROSPECT) -> ApprovalPolicy:
        """The approval rules for a buyer of this class."""
        return ApprovalPolicy(
            discount_ceiling=self.discount_ceiling.for_class(buyer_class),
            manager_above_total=self.approvals.manager_above_total,
            legal_for_non_standard_clauses=self.approvals.legal_for_non_standard_clauses,
        )
