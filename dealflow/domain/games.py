"""Customer games: the patterns of a buyer pressing for more that a seasoned rep learns to
name, found in a deal's offers, interaction log and commitments, each with what was seen and
a suggested response. The advisor and relationship health both report them.

============================= =============================================================
signal                        seen when
============================= =============================================================
asymmetric concessions        in the negotiation under way, the seller has given up at least
                              :data:`ASYMMETRY_MIN` of its utility and at least
                              :data:`ASYMMETRY_RATIO` times what the buyer gave (both sides
                              having made two offers or more; the buyer's concession measured
                              by the seller's utility of its offers)
small discount requests       :data:`SMALL_ASKS` or more buyer counters (or amendments) each
                              asking for more discount than the offer they answer, by at
                              most :data:`SMALL_ASK_POINTS` percentage points
competitor pressure           an interaction logged as a competitor's quote, or a buyer's
                              offer note or logged note naming a competitor, a benchmark,
                              another supplier or a cheaper quote
early renegotiation           the buyer proposed an amendment to a signed contract before
                              the contract's term ended
overdue payment               a payment commitment of the signed contract is overdue or
                              breached, or past its due date and still open
============================= =============================================================

Pure functions of the deal (and the time now); none of them changes anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from dealflow.domain.aftersales import commitments_of, first_signed_on
from dealflow.domain.commitments import (
    PAYMENT,
    CommitmentStatus,
    counting_for,
    schedule,
    term_end,
)
from dealflow.domain.deal import Deal, Offer, OfferKind
from dealflow.domain.diff import diff_terms
from dealflow.domain.interactions import InteractionKind
from dealflow.domain.messages import counted
from dealflow.domain.parties import Side

#: Asymmetric concessions: the seller gave up at least this much utility...
ASYMMETRY_MIN = 0.05
#: ... and at least this many times what the buyer gave.
ASYMMETRY_RATIO = 2.0
#: Small discount requests: an ask of at most this many percentage points more...
SMALL_ASK_POINTS = Decimal(2)
#: ... made at least this many times.
SMALL_ASKS = 2
#: Words that show a competitor or a benchmark is being used as pressure (English and
#: Bahasa Indonesia: *pesaing*, *kompetitor*, *pembanding*, *penawaran lain*).
PRESSURE_WORDS = re.compile(
    r"\b(competitor|competition|competing|benchmark|rival|kompetitor|pesaing|pembanding)"
    r"|\b(another|other|cheaper)\s+(supplier|vendor|quote|offer|bid)"
    r"|\bpenawaran\s+lain|\bcheaper\s+elsewhere",
    re.IGNORECASE,
)
#: Figures quoted in a note: percentages and amounts with a currency.
FIGURES = re.compile(r"\d+(?:[.,]\d+)*\s?%|(?:IDR|Rp\.?|USD|EUR|SGD|\$)\s?\d[\d.,]*", re.IGNORECASE)
_OPEN_STATUSES = (CommitmentStatus.SCHEDULED, CommitmentStatus.DUE)


class GameKind(StrEnum):
    """The customer games the advisor names."""

    ASYMMETRIC_CONCESSIONS = "asymmetric-concessions"
    SMALL_DISCOUNT_REQUESTS = "small-discount-requests"
    COMPETITOR_PRESSURE = "competitor-pressure"
    EARLY_RENEGOTIATION = "early-renegotiation"
    OVERDUE_PAYMENT = "overdue-payment"


class Evidence(BaseModel):
    """What a signal rests on: terms versions, dates, amounts (as written, with their unit)
    and commitment ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    versions: tuple[int, ...] = ()
    dates: tuple[date, ...] = ()
    amounts: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


class GameSignal(BaseModel):
    """One customer game seen in a deal: what it is, what was seen, and what to do."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: GameKind
    saw: str
    evidence: Evidence
    response: str


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _discount(offer: Offer) -> Decimal:
    percent = offer.terms.discount.percent
    return percent if percent is not None else offer.terms.discount_percent


def asymmetric_concessions(rated: Sequence[tuple[Offer, float]]) -> GameSignal | None:
    """The seller conceding much faster than the buyer, from the offers of the negotiation
    under way with the seller's utility of each."""
    seller = [(o, u) for o, u in rated if o.side is Side.SELLER]
    buyer = [(o, u) for o, u in rated if o.side is Side.BUYER]
    if len(seller) < 2 or len(buyer) < 2:
        return None
    ours = seller[0][1] - seller[-1][1]
    theirs = max(0.0, buyer[-1][1] - buyer[0][1])
    if ours < ASYMMETRY_MIN or ours < ASYMMETRY_RATIO * theirs:
        return None
    versions = (seller[0][0].version, seller[-1][0].version, buyer[0][0].version)
    return GameSignal(
        kind=GameKind.ASYMMETRIC_CONCESSIONS,
        saw=(
            f"We gave up {ours:.2f} of our utility from v{versions[0]} to v{versions[1]}; "
            f"the buyer moved {theirs:.2f} towards us from v{versions[2]} to "
            f"v{buyer[-1][0].version}."
        ),
        evidence=Evidence(
            versions=(*versions, buyer[-1][0].version),
            dates=(seller[0][0].made_at.date(), rated[-1][0].made_at.date()),
            amounts=(f"seller conceded {ours:.3f}", f"buyer conceded {theirs:.3f}"),
        ),
        response=(
            "Slow down: make the next move small and only in exchange for something "
            "(a shorter payment term, a larger volume), and wait for the buyer to move before "
            "conceding again."
        ),
    )


def small_discount_requests(deal: Deal) -> GameSignal | None:
    """The buyer asking again and again for a little more discount (nibbling)."""
    asks: list[tuple[Offer, Decimal, Decimal]] = []
    for before, offer in zip(deal.offers, deal.offers[1:], strict=False):
        if offer.side is not Side.BUYER or offer.kind not in (
            OfferKind.COUNTER,
            OfferKind.AMENDMENT,
        ):
            continue
        was, asked = _discount(before), _discount(offer)
        if Decimal(0) < asked - was <= SMALL_ASK_POINTS:
            asks.append((offer, was, asked))
    if len(asks) < SMALL_ASKS:
        return None
    listed = ", ".join(f"v{o.version} {_pct(a)} against {_pct(w)}" for o, w, a in asks)
    return GameSignal(
        kind=GameKind.SMALL_DISCOUNT_REQUESTS,
        saw=f"The buyer asked {len(asks)} times for a little more discount: {listed}.",
        evidence=Evidence(
            versions=tuple(o.version for o, _, _ in asks),
            dates=tuple(o.made_at.date() for o, _, _ in asks),
            amounts=tuple(f"+{_pct(a - w)}" for _, w, a in asks),
        ),
        response=(
            "Stop splitting the difference: say the price is final, or give the next point "
            "only for something in return (earlier payment, a bigger order, a longer contract)."
        ),
    )


def _figures(text: str) -> list[str]:
    return [m.group(0).strip() for m in FIGURES.finditer(text)]


def competitor_pressure(deal: Deal) -> GameSignal | None:
    """A competitor's quote or a benchmark used as pressure, from the interaction log and
    the buyer's offer notes."""
    dates: list[date] = []
    versions: list[int] = []
    amounts: list[str] = []
    seen: list[str] = []
    for contact in deal.interactions:
        quote = contact.kind is InteractionKind.COMPETITOR_QUOTE
        if quote or PRESSURE_WORDS.search(contact.note):
            dates.append(contact.at.date())
            amounts.extend(_figures(contact.note))
            what = "a competitor's quote" if quote else "a note naming a competitor or benchmark"
            seen.append(f"{what} logged on {contact.at.date()}")
    for offer in deal.offers:
        if offer.side is Side.BUYER and offer.note and PRESSURE_WORDS.search(offer.note):
            versions.append(offer.version)
            dates.append(offer.made_at.date())
            amounts.extend(_figures(offer.note))
            seen.append(f"the buyer's note on v{offer.version}")
    if not seen:
        return None
    return GameSignal(
        kind=GameKind.COMPETITOR_PRESSURE,
        saw="A competitor or benchmark is being used as pressure: " + "; ".join(seen) + ".",
        evidence=Evidence(
            versions=tuple(versions),
            dates=tuple(sorted(set(dates))),
            amounts=tuple(dict.fromkeys(amounts)),
        ),
        response=(
            "Ask to see the quote in writing and compare like with like (warranty, delivery, "
            "service, payment terms); sell the difference rather than match a price you have "
            "not seen."
        ),
    )


def early_renegotiation(deal: Deal) -> GameSignal | None:
    """The buyer asking to renegotiate a signed contract before its term ended."""
    signed_on = first_signed_on(deal)
    if signed_on is None:
        return None
    contracts = {c.contract_version: c for c in deal.contracts}
    found: list[tuple[Offer, date | None, list[str]]] = []
    for offer in deal.offers:
        if offer.kind is not OfferKind.AMENDMENT or offer.side is not Side.BUYER:
            continue
        amended = contracts.get(offer.contract_version - 1)
        if amended is None:
            continue
        end = term_end(schedule(amended.terms, signed_on, counting_for(amended.agreement_hash)))
        if end is not None and offer.made_at.date() >= end:
            continue
        asked = [f"{d.issue} {d.old} -> {d.new}" for d in diff_terms(amended.terms, offer.terms)]
        found.append((offer, end, asked))
    if not found:
        return None
    offer, end, asked = found[-1]
    until = f", before its term ends on {end}" if end else ""
    return GameSignal(
        kind=GameKind.EARLY_RENEGOTIATION,
        saw=(
            f"The buyer asked on {offer.made_at.date()} (v{offer.version}) to renegotiate the "
            f"contract signed on {signed_on}{until}"
            + (f": {'; '.join(asked[:4])}" if asked else "")
            + "."
        ),
        evidence=Evidence(
            versions=tuple(o.version for o, _, _ in found),
            dates=(signed_on, *(o.made_at.date() for o, _, _ in found), *([end] if end else [])),
            amounts=tuple(a for _, _, changes in found for a in changes),
        ),
        response=(
            "The signed contract holds: ask what changed on the buyer's side, and agree to a "
            "change only in exchange for something of equal value (a longer term, more "
            "volume); otherwise decline and keep the signed terms."
        ),
    )


def overdue_payments(deal: Deal, today: date) -> GameSignal | None:
    """The buyer's payment overdue after signing: recorded overdue or breached, or past its
    due date and still open (the clock has not reviewed it yet)."""
    late = [
        c
        for c in commitments_of(deal)
        if c.kind == PAYMENT
        and (
            c.status in (CommitmentStatus.OVERDUE, CommitmentStatus.BREACHED)
            or (c.status in _OPEN_STATUSES and c.due < today)
        )
    ]
    if not late:
        return None
    listed = ", ".join(
        f"{c.id} of {c.amount} due {c.due} "
        f"({counted((today - c.due).days, 'day')} ago, {c.status.value})"
        for c in late
    )
    return GameSignal(
        kind=GameKind.OVERDUE_PAYMENT,
        saw=f"The buyer's payment is overdue: {listed}.",
        evidence=Evidence(
            dates=tuple(c.due for c in late),
            amounts=tuple(str(c.amount) for c in late if c.amount is not None),
            items=tuple(c.id for c in late),
        ),
        response=(
            "Settle the overdue invoice before conceding anything new: raise it with the "
            "buyer and finance, and make any new terms conditional on payment."
        ),
    )


def customer_games(
    deal: Deal, now: datetime, rated: Iterable[tuple[Offer, float]] = ()
) -> tuple[GameSignal, ...]:
    """Every customer game seen in the deal at ``now``; ``rated`` are the offers of the
    negotiation under way with the seller's utility of each (without them, asymmetric
    concessions cannot be judged)."""
    found = (
        asymmetric_concessions(list(rated)),
        small_discount_requests(deal),
        competitor_pressure(deal),
        early_renegotiation(deal),
        overdue_payments(deal, now.date()),
    )
    return tuple(signal for signal in found if signal is not None)
