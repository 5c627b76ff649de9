"""The seller's policy: which internal approvals agreed terms need, the price floor, and the
policy file.

A manager approves a discount above the buyer class's ceiling, a deal above a total, or terms
below the price floor; legal approves terms that carry a free-text clause or a non-standard
library clause. The defaults are a cautious
starting point that a team's policy file (:class:`SellerPolicy`) overrides: discount ceilings
per buyer class, approval rules, and the seller's negotiation preferences.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from dealflow.domain.money import Money, Percent, QuotedAmount, round_to_minor_unit
from dealflow.domain.parties import Role
from dealflow.domain.terms import SpecialTerms, Terms


class BuyerClass(StrEnum):
    """How well the seller knows a buyer, from that buyer's signed deals."""

    PROSPECT = "prospect"
    REPEAT = "repeat"
    LOYAL = "loyal"


class SigningOrder(StrEnum):
    """Who signs first: either side, the seller, or the buyer."""

    ANY = "any"
    SELLER_FIRST = "seller-first"
    BUYER_FIRST = "buyer-first"


def _money(amount: Decimal, currency: str) -> str:
    return str(Money.model_construct(amount=amount, currency=currency))


class ApprovalPolicy(BaseModel):
    """The rules that apply to one deal: when agreed terms need a manager or legal, and the
    price floor no seller offer may go below.

    Made from the seller's :class:`SellerPolicy` for the buyer's class. ``clauses`` maps the
    clause library's ids to whether each is standard; ``None`` means no library is checked.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    discount_ceiling: Percent = Decimal(10)
    manager_above_total: QuotedAmount | None = None
    legal_for_non_standard_clauses: bool = True
    buyer_class: BuyerClass = BuyerClass.PROSPECT
    min_unit_price: dict[str, QuotedAmount] = Field(default_factory=dict)
    unit_cost: dict[str, QuotedAmount] = Field(default_factory=dict)
    min_margin: Percent | None = None
    clauses: dict[str, bool] | None = None
    signing_order: SigningOrder = SigningOrder.ANY

    def approvals_for(self, terms: Terms) -> dict[Role, str]:
        """The roles that must approve these terms, manager first, each with its reasons."""
        manager: list[str] = []
        total = terms.totals.grand_total.amount
        if terms.discount_percent > self.discount_ceiling:
            ceiling = f"{self.discount_ceiling.normalize():f}%"
            manager.append(
                f"discount {terms.discount_percent.normalize():f}% is above the {ceiling} "
                f"ceiling for a {self.buyer_class.value} buyer"
            )
        if self.manager_above_total is not None and total > self.manager_above_total:
            manager.append(
                f"total {_money(total, terms.currency)} is above "
                f"{_money(self.manager_above_total, terms.currency)}"
            )
        floor = self.floor_breaches(terms)
        if floor:
            manager.append("below the price floor: " + "; ".join(floor))
        legal: list[str] = []
        special = terms.special
        if self.legal_for_non_standard_clauses and special is not None:
            legal.extend(f"free-text clause {str(text)[:60]!r}" for text in special.custom_clauses)
            if self.clauses is not None:
                legal.extend(
                    f"non-standard library clause {cid}"
                    for cid in special.clauses
                    if not self.clauses.get(cid, True)
                )
        needed: dict[Role, str] = {}
        if manager:
            needed[Role.MANAGER] = "; ".join(manager)
        if legal:
            needed[Role.LEGAL] = "; ".join(legal)
        return needed

    def floor_breaches(self, terms: Terms) -> list[str]:
        """Each line whose net unit price (after its share of the discount) is below the floor:
        a minimum unit price for the SKU, or a minimum margin over the SKU's unit cost."""
        totals = terms.totals
        if totals.subtotal.amount == 0:
            return []
        share = totals.net.amount / totals.subtotal.amount
        breaches = []
        for item in terms.items:
            net = item.unit_price * share
            shown = _money(round_to_minor_unit(net, terms.currency), terms.currency)
            floor = self.min_unit_price.get(item.sku)
            if floor is not None and net < floor:
                breaches.append(
                    f"{item.sku} at {shown} a unit, floor {_money(floor, terms.currency)}"
                )
            cost = self.unit_cost.get(item.sku)
            if cost is not None and self.min_margin is not None:
                margin = (net - cost) * 100 / net if net else Decimal(-100)
                if margin < self.min_margin:
                    breaches.append(
                        f"{item.sku} at {shown} a unit leaves a {margin.quantize(Decimal('0.1'))}% "
                        f"margin, minimum {self.min_margin.normalize():f}%"
                    )
        return breaches

    def unknown_clauses(self, special: SpecialTerms) -> list[str]:
        """The clause ids the library does not hold."""
        if self.clauses is None:
            return []
        return [cid for cid in special.clauses if cid not in self.clauses]


DEFAULT_POLICY = ApprovalPolicy()


# The seller policy file ------------------------------------------------------------------


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

    def classify(self, signed_at: list[datetime], now: datetime) -> BuyerClass:
        """The class of a buyer with deals signed at these times: loyal after the policy's
        number within its window, repeat after its number in all, else a prospect."""
        window = now - timedelta(days=round(self.loyal_window_months * 30.44))
        if sum(at >= window for at in signed_at) >= self.loyal_after_signed_deals:
            return BuyerClass.LOYAL
        if len(signed_at) >= self.repeat_after_signed_deals:
            return BuyerClass.REPEAT
        return BuyerClass.PROSPECT


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

    manager_above_total: QuotedAmount | None = None
    legal_for_non_standard_clauses: bool = True
    #: The member who owns a deal or made its latest seller offer does not approve it, and
    #: one person does not approve the same terms as both manager and legal. Turn it off
    #: only for a one-person store.
    separation_of_duties: bool = True


class SigningRules(_Section):
    """How a contract version is signed."""

    order: SigningOrder = SigningOrder.ANY


class FloorRules(_Section):
    """The price floor: no seller offer may go below it; a buyer's counter below it needs a
    manager's approval once agreed. Either a minimum net unit price per SKU, or a minimum
    margin over each SKU's unit cost, or both."""

    min_unit_price: dict[str, QuotedAmount] = Field(default_factory=dict)
    unit_cost: dict[str, QuotedAmount] = Field(default_factory=dict)
    min_margin: Percent | None = None

    @model_validator(mode="after")
    def _margin_needs_costs(self) -> Self:
        if self.min_margin is not None and not self.unit_cost:
            raise ValueError("min_margin needs unit_cost for the SKUs it applies to")
        return self


Days = Annotated[int, Field(ge=0, le=3650, strict=True)]


class AfterSalesRules(_Section):
    """When the clock calls a commitment due, overdue and breached."""

    #: A commitment is due (listed for action) this many days before its date.
    due_soon_days: Days = 7
    #: Overdue for this many days after its date, then breached.
    grace_days: Days = 14


class RelationshipRules(_Section):
    """What relationship health and the review watch for."""

    #: A buyer not heard from for longer than this is flagged: silence is a warning sign.
    silence_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = 60
    #: The first response to a complaint is due within this many hours.
    complaint_response_hours: Annotated[int, Field(gt=0, le=8760, strict=True)] = 48
    #: Contracts whose term ends within this many days get a renewal reminder.
    renewal_window_days: Days = 90


class BuyerValueFactors(_Section):
    """The factors of customer lifetime value: average deal value x purchases per year x
    expected relationship years x margin."""

    purchases_per_year: Annotated[Decimal, Field(gt=0, le=365)] = Decimal(1)
    relationship_years: Annotated[Decimal, Field(gt=0, le=100)] = Decimal(3)
    margin: Percent = Decimal(20)


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


IssueName = Literal[
    "discount", "payment_days", "warranty_months", "delivery_days", "response_hours"
]


def _default_issues() -> dict[IssueName, IssuePreference]:
    """The sample policy's issues: discount 0-20%, payment 14-90 days, warranty 12-36 months,
    delivery 60-14 days, weighted 0.5 / 0.2 / 0.15 / 0.15."""

    def issue(weight: str, best: int, worst: int) -> IssuePreference:
        return IssuePreference(weight=Decimal(weight), best=Decimal(best), worst=Decimal(worst))

    return {
        "discount": issue("0.5", 0, 20),
        "payment_days": issue("0.2", 14, 90),
        "warranty_months": issue("0.15", 12, 36),
        "delivery_days": issue("0.15", 60, 14),
    }


class Preferences(_Section):
    """The seller's negotiation preferences, for the advisor. Without ``issues`` in the
    policy file, the sample policy's four issues apply; ``issues: {}`` names none."""

    reservation_utility: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.35")
    tactic: Tactic = Tactic.BOULWARE
    deadline_days: Annotated[int, Field(gt=0, le=3650, strict=True)] = 30
    issues: dict[IssueName, IssuePreference] = Field(default_factory=_default_issues)


class SellerPolicy(_Section):
    """A seller's policy file: buyer classes, discount ceilings, approvals, preferences,
    after-sales timing, relationship watch and the buyer-value factors."""

    buyer_classes: BuyerClassRules = BuyerClassRules()
    discount_ceiling: DiscountCeilings = DiscountCeilings()
    approvals: ApprovalRules = ApprovalRules()
    floor: FloorRules = FloorRules()
    signing: SigningRules = SigningRules()
    preferences: Preferences = Preferences()
    after_sales: AfterSalesRules = AfterSalesRules()
    relationship: RelationshipRules = RelationshipRules()
    buyer_value: BuyerValueFactors = BuyerValueFactors()

    def approval_policy(
        self,
        buyer_class: BuyerClass = BuyerClass.PROSPECT,
        clauses: dict[str, bool] | None = None,
    ) -> ApprovalPolicy:
        """The rules for a deal with a buyer of this class (``clauses``: the library)."""
        return ApprovalPolicy(
            discount_ceiling=self.discount_ceiling.for_class(buyer_class),
            manager_above_total=self.approvals.manager_above_total,
            legal_for_non_standard_clauses=self.approvals.legal_for_non_standard_clauses,
            buyer_class=buyer_class,
            min_unit_price=self.floor.min_unit_price,
            unit_cost=self.floor.unit_cost,
            min_margin=self.floor.min_margin,
            clauses=clauses,
            signing_order=self.signing.order,
        )
