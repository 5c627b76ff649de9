"""The deal as the fold of its events: :func:`evolve` applies one event, :func:`replay` all.

The fold trusts the events (they were validated when decided and when read back) and
builds each new :class:`Deal` with ``model_copy`` rather than re-validating it, so that a deal
with a long history loads in linear time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dealflow.domain.deal import Approval, Deal, Signature, SignedContract
from dealflow.domain.events import (
    AnyEvent,
    ApprovalDeclined,
    ApprovalGranted,
    ContractAmended,
    ContractSigned,
    DealOpened,
    Event,
    OfferCountered,
    OfferMade,
    SpecialTermsProposed,
    SpecialTermsRevised,
    TermsAccepted,
    TermsAgreed,
)
from dealflow.domain.lifecycle import Stage
from dealflow.domain.parties import Side


class ReplayError(ValueError):
    """The event log is not a valid history (a gap, another deal's event, no opening)."""


def evolve(deal: Deal | None, event: AnyEvent | Event) -> Deal:
    """The deal after one more event."""
    if deal is None:
        if not isinstance(event, DealOpened) or event.version != 1:
            raise ReplayError(f"the log of deal {event.deal_id} does not start with DealOpened")
        return Deal(
            id=event.deal_id,
            title=event.title,
            stage=event.stage,
            seller=event.seller,
            buyer=event.buyer,
            language=event.language,
            proposal=event.proposal,
            opened_at=event.occurred_at,
            updated_at=event.occurred_at,
            version=1,
        )
    if event.deal_id != deal.id or event.version != deal.version + 1:
        raise ReplayError(
            f"event v{event.version} of deal {event.deal_id} does not follow "
            f"v{deal.version} of deal {deal.id}"
        )
    update: dict[str, Any] = {
        "stage": event.stage,
        "version": event.version,
        "updated_at": event.occurred_at,
    }
    match event:
        case OfferMade(offer=offer) | OfferCountered(offer=offer):
            update["offers"] = (*deal.offers, offer)
            update["turn"] = offer.side.other
            update["declined_offer"] = None
        case SpecialTermsProposed(offer=offer) | SpecialTermsRevised(offer=offer):
            update["offers"] = (*deal.offers, offer)
            update["turn"] = offer.side.other
        case TermsAccepted():
            update["turn"] = None
        case TermsAgreed(approvals_required=required):
            update["approvals_required"] = required
            update["approvals"] = ()
            update["signatures"] = ()
        case ApprovalGranted(terms_hash=terms_hash, reason=reason):
            approval = Approval(
                role=event.actor.role,
                name=event.actor.name,
                terms_hash=terms_hash,
                at=event.occurred_at,
                reason=reason,
            )
            update["approvals"] = (*deal.approvals, approval)
        case ApprovalDeclined():
            update["approvals_required"] = ()
            update["approvals"] = ()
            update["declined_offer"] = deal.latest_offer.version if deal.latest_offer else None
            update["turn"] = Side.SELLER  # the seller must revise what was declined
        case ContractSigned(side=side, title=title, method=method, terms_hash=terms_hash):
            signature = Signature(
                side=side,
                name=event.actor.name,
                title=title,
                method=method,
                terms_hash=terms_hash,
                at=event.occurred_at,
            )
            update["signatures"] = signatures = (*deal.signatures, signature)
            if event.stage is Stage.SIGNED:
                update["contracts"] = (
                    *deal.contracts,
                    SignedContract(
                        contract_version=deal.contract_version,
                        terms=deal.terms,
                        terms_hash=terms_hash,
                        signatures=signatures,
                        signed_at=event.occurred_at,
                        amendment_reason=deal.amendment_reason,
                    ),
                )
        case ContractAmended(contract_version=number, reason=reason, offer=offer):
            update["contract_version"] = number
            update["amendment_reason"] = reason
            update["offers"] = (*deal.offers, offer)
            update["turn"] = offer.side.other
            update["approvals_required"] = ()
            update["approvals"] = ()
            update["signatures"] = ()
        case _:
            pass
    return deal.model_copy(update=update)


def replay(events: Iterable[AnyEvent | Event], deal: Deal | None = None) -> Deal:
    """Fold events into a deal, starting from nothing or from a deal already loaded."""
    for event in events:
        deal = evolve(deal, event)
    if deal is None:
        raise ReplayError("no events to replay")
    return deal
