"""The sample deal, played from opening to after-sales service: what ``dealflow demo`` runs.

The deal file ships inside the package (``dealflow/samples/conveyor-deal.yaml``); the script
below is the negotiation a sales rep would run from the command line, step by step.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from importlib.resources import files

from dealflow.application.service import DealService
from dealflow.domain.deal import Deal
from dealflow.domain.members import Member, MemberRole
from dealflow.domain.parties import Actor, Role, Via
from dealflow.domain.spec import DealSpec
from dealflow.domain.terms import DeliverySplit, Discount, SpecialTerms, TermsChange
from dealflow.files.dealfile import parse_deal_spec


def sample_deal_spec() -> DealSpec:
    """The sample deal file shipped with dealflow, validated."""
    text = files("dealflow.samples").joinpath("conveyor-deal.yaml").read_text("utf-8")
    return parse_deal_spec(text, source="conveyor-deal.yaml")


#: The seller's approvers in the sample: the demo adds them, so that the approvals are made by
#: someone other than the rep who owns the deal (separation of duties).
APPROVERS = {
    Role.MANAGER: Member(
        id="rina", name="Rina Wijaya", title="Sales Manager", roles=(MemberRole.MANAGER,)
    ),
    Role.LEGAL: Member(
        id="dewi", name="Dewi Lestari", title="Legal Counsel", roles=(MemberRole.LEGAL,)
    ),
}


def demo_team(service: DealService, spec: DealSpec) -> dict[Role, DealService]:
    """The sample's approvers on the roster (added by the service's member, an admin, when
    missing; a new store's first member is named as the sample's rep), and a service acting
    as each."""
    rep = spec.seller.representative
    service.first_member(name=rep.name, title=rep.title)
    for member in APPROVERS.values():
        if service.roster.get(member.id) is None:
            service.add_member(member)
    return {role: service.acting_as(member.id) for role, member in APPROVERS.items()}


def run_demo(service: DealService) -> Iterator[tuple[str, Deal]]:
    """Play the sample deal; yields what happened and the deal after each step."""
    spec = sample_deal_spec()
    approvers = demo_team(service, spec)
    seller = Actor(name=spec.seller.representative.name, role=Role.SELLER)
    buyer = Actor(name=spec.buyer.representative.name, role=Role.BUYER, channel=Via.MEETING)
    deal = service.open_deal(spec)
    yield f"{seller.name} opened the deal", deal
    deal_id = deal.id
    yield "seller presented the conveyor line", service.present(deal_id, seller)
    yield (
        "seller offered 5% off",
        service.offer(deal_id, seller, TermsChange(discount=Discount.parse("5%"))),
    )
    yield (
        "buyer countered: 15% off, 60 days to pay",
        service.counter(
            deal_id, buyer, TermsChange(discount=Discount.parse("15%"), payment_days=60)
        ),
    )
    yield (
        "seller countered: 10% off, 45 days to pay",
        service.counter(
            deal_id, seller, TermsChange(discount=Discount.parse("10%"), payment_days=45)
        ),
    )
    yield "buyer accepted the seller's terms", service.accept(deal_id, buyer)
    delivery = deal.terms.delivery
    first = delivery.by if delivery and delivery.by else service.clock.now().date()
    special = SpecialTerms(
        purpose="Bottling line 3 expansion at Plant 2",
        splits=(
            DeliverySplit(sku="CNV-200", quantity=1, on=first),
            DeliverySplit(sku="CNV-200", quantity=1, on=first + timedelta(days=30)),
        ),
        custom_clauses=(
            "Liquidated damages of 0.1% of the contract value per day of late "
            "delivery, capped at 5%.",
        ),
    )
    yield (
        "buyer proposed special terms: split delivery and a late-delivery clause",
        (service.propose_special(deal_id, buyer, special)),
    )
    deal = service.agree(deal_id, seller)
    needed = ", ".join(r.value for r in deal.approvals_required) or "none"
    yield f"seller agreed; approvals needed: {needed}", deal
    for role in deal.approvals_pending:
        approver = approvers[role]
        me = approver.whoami()
        deal = approver.approve(deal_id, Actor(name=me.name, role=role), reason="within our risk")
        yield f"{role.value} approved ({me.name})", deal
    yield "seller signed", service.sign(deal_id, seller, title=spec.seller.representative.title)
    yield "buyer signed", service.sign(deal_id, buyer, title=spec.buyer.representative.title)
    yield (
        "after-sales service started",
        service.start_service(deal_id, seller),
    )


def play_demo(service: DealService) -> Deal:
    """Play the whole sample deal; returns the deal as it ends (signed, in service)."""
    steps = list(run_demo(service))
    return steps[-1][1]
