"""Drive a deal to any stage through the service, the way a user would get there."""

from __future__ import annotations

from datetime import timedelta

import dealflow
from dealflow import Discount, SpecialTerms, Stage, TermsChange
from tests.conftest import BUYER, LEGAL, SELLER, SERVICE, by

CUSTOM = SpecialTerms(purpose="Plant 2", custom_clauses=("Penalty 0.1% per day late",))


def drive_to(service: dealflow.DealService, spec: dealflow.DealSpec, stage: Stage) -> str:
    """Open the sample deal and take it to ``stage``; returns its id."""
    deal_id = service.open_deal(spec).id
    steps = _PATHS[stage]
    for step in steps:
        step(service, deal_id)
    assert service.get(deal_id).stage is stage
    return deal_id


def _present(s: dealflow.DealService, i: str) -> None:
    s.present(i, SELLER)


def _offer(s: dealflow.DealService, i: str) -> None:
    s.offer(i, SELLER, TermsChange(discount=Discount.parse("5%")))


def _counter(s: dealflow.DealService, i: str) -> None:
    s.counter(i, BUYER, TermsChange(discount=Discount.parse("8%"), payment_days=45))


def _accept(s: dealflow.DealService, i: str) -> None:
    s.accept(i, BUYER)


def _special(s: dealflow.DealService, i: str) -> None:
    s.propose_special(i, BUYER, CUSTOM)


def _agree(s: dealflow.DealService, i: str) -> None:
    s.agree(i, SELLER)


def _approve(s: dealflow.DealService, i: str) -> None:
    by(s, LEGAL).approve(i, LEGAL)


def _sign_both(s: dealflow.DealService, i: str) -> None:
    s.sign(i, SELLER, title="Sales Director")
    s.sign(i, BUYER, title="Procurement Manager")


def _start(s: dealflow.DealService, i: str) -> None:
    by(s, SERVICE).start_service(i, SERVICE)


def _complete(s: dealflow.DealService, i: str) -> None:
    by(s, SERVICE).complete(i, SERVICE)


def _reject(s: dealflow.DealService, i: str) -> None:
    s.reject(i, BUYER, "too expensive")


def _withdraw(s: dealflow.DealService, i: str) -> None:
    s.withdraw(i, SELLER, "out of stock")


def _lapse(s: dealflow.DealService, i: str) -> None:
    clock = s.clock
    assert isinstance(clock, dealflow.FixedClock)
    clock.advance(timedelta(days=30))
    assert s.expire_due() == [i]


_SIGNED = [_present, _offer, _accept, _agree, _sign_both]
_PATHS = {
    Stage.DRAFT: [],
    Stage.PRESENTED: [_present],
    Stage.OFFERED: [_present, _offer],
    Stage.NEGOTIATING: [_present, _offer, _counter],
    Stage.TERMS_ACCEPTED: [_present, _offer, _accept],
    Stage.SPECIAL_AGREEMENT: [_present, _offer, _accept, _special],
    Stage.PENDING_APPROVAL: [_present, _offer, _accept, _special, _agree],
    Stage.AWAITING_SIGNATURES: [_present, _offer, _accept, _agree],
    Stage.SIGNED: _SIGNED,
    Stage.IN_SERVICE: [*_SIGNED, _start],
    Stage.COMPLETED: [*_SIGNED, _start, _complete],
    Stage.LOST: [_present, _offer, _reject],
    Stage.WITHDRAWN: [_present, _withdraw],
    Stage.EXPIRED: [_present, _offer, _lapse],
}
