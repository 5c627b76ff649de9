"""The use cases: one method per lifecycle action, each load → decide → append.

:class:`DealService` receives its event store, clock, seller policy, clause library and contract
renderer; it never picks adapters itself (that is :mod:`dealflow.bootstrap`). Deals it has
loaded are kept in memory and brought up to date by reading only the events after the version
it holds, so a long deal is not replayed from scratch on every action.

Every write passes :meth:`DealService._record`, which holds two rules of the history: no event
is dated before the deal's last one by more than the clock skew allowed between machines
(``clock_skew``, five minutes unless given), and an append that loses a race raises
ConcurrencyConflictError naming what the other writer recorded (the stale copy is dropped). An
action whose decision does not depend on what changed meanwhile (logging an interaction, a
claim's notes) is decided again on the fresh deal and retried a few times instead; one that
does depend on it (accepting, signing, approving...) keeps refusing, for its author to look.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
import typing
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dealflow.application.advising import AdvisingUseCases
from dealflow.application.aftersales import AfterSalesUseCases, complaint_claim
from dealflow.application.audit import AuditUseCases
from dealflow.application.contracts import ContractUseCases
from dealflow.application.members import MembershipUseCases
from dealflow.domain import decisions as d
from dealflow.domain.deal import Deal, SignatureMethod
from dealflow.domain.events import AnyEvent, Event
from dealflow.domain.interactions import Channel, InteractionKind
from dealflow.domain.lifecycle import Action, Stage, allowed_actions
from dealflow.domain.listing import DealQuery, DealRow, deal_row
from dealflow.domain.members import Roster
from dealflow.domain.parties import Actor, Role
from dealflow.domain.policy import ApprovalPolicy, BuyerClass, SellerPolicy
from dealflow.domain.projection import replay
from dealflow.domain.terms import SpecialTerms, TermsChange
from dealflow.errors import (
    ActionRefusedError,
    ClockBehindError,
    ConcurrencyConflictError,
    DealflowError,
    DealNotFoundError,
    InvalidTermsError,
    RenderError,
)
from dealflow.ports import Clock, EventStore, Renderer, Sealer

if TYPE_CHECKING:
    from dealflow.domain.feed import FeedEntry
    from dealflow.domain.spec import DealSpec

_hooks_log = logging.getLogger("dealflow.hooks")


def _event_types() -> tuple[type[BaseModel], ...]:
    return tuple(typing.get_args(typing.get_args(AnyEvent)[0]))


def _probe(action: Action, actor: Actor) -> d.Command:
    """A command for ``action`` with neutral content, to ask whether it would be refused."""
    match action:
        case Action.AMEND:
            return d.Amend(actor, reason="probe")
        case Action.SIGN:
            return d.Sign(actor, title="probe")
        case _:
            return d.COMMANDS[action](actor)


#: How far an action's time may lie before the deal's last event: machines' clocks differ.
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)

#: How many times at least an action that does not depend on what changed is tried on a conflict.
CONFLICT_ATTEMPTS = 10
# Under heavy contention (many writers on one deal) retrying goes on past CONFLICT_ATTEMPTS until
# this many seconds have passed since the first try.
CONFLICT_PATIENCE = 10.0


def describe_change(event: AnyEvent) -> str:
    """One line on what an event recorded, for a conflict's message: ``v8 OfferCountered
    by Siti Rahmawati (buyer) at 2026-11-02 09:03:00 UTC`` (a member's act names its member:
    ``(seller, budi)``, ``(buyer, recorded by budi via email)``)."""
    return f"v{event.version} {event.type} by {event.actor.who} at {_when(event.occurred_at)}"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def new_deal_id() -> str:
    """A random 12-character deal id."""
    return uuid.uuid4().hex[:12]


class DealService(
    MembershipUseCases, AfterSalesUseCases, AdvisingUseCases, ContractUseCases, AuditUseCases
):
    """Runs deals through their lifecycle on an event store, acting as one member of the
    store's roster (the roster use cases are in :mod:`dealflow.application.members`, the after-sales
    and relationship ones in :mod:`dealflow.application.aftersales`, the advisor's in
    :mod:`dealflow.application.advising`, the audit of the hash chain in
    :mod:`dealflow.application.audit`)."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        policy: SellerPolicy | None = None,
        *,
        clauses: dict[str, bool] | Callable[[], dict[str, bool]] | None = None,
        renderer: Renderer | Callable[[], Renderer] | None = None,
        sealer: Sealer | Callable[[], Sealer | None] | None = None,
        new_id: Callable[[], str] = new_deal_id,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
        member: str | None = None,
    ) -> None:
        if clock_skew < timedelta(0):
            raise ValueError(f"clock_skew cannot be negative: {clock_skew}")
        self.store = store
        #: How far an action may be dated before the deal's last event (see the module).
        self.clock_skew = clock_skew
        self.clock = clock
        self.policy = policy or SellerPolicy()
        self._clauses = clauses
        self._renderer = renderer
        self._sealer = sealer
        self._new_id = new_id
        self._deals: dict[str, Deal] = {}
        #: The member this service acts as (None: the system user's login; on PostgreSQL,
        #: the database login's member), and the roster as last read.
        self._member = member
        self._roster = Roster()
        self._hooks: list[tuple[str, Callable[[AnyEvent], object]]] = []

    # Policy -----------------------------------------------------------------------------

    def buyer_class(self, deal: Deal) -> BuyerClass:
        """Prospect, repeat or loyal, from the buyer's other signed deals in this store.

        A buyer is matched by tax id when both deals have one, else by normalised name. Repeat
        after the policy's number of signed deals; loyal after its number within its window.
        """
        query = DealQuery(same_buyer_as=deal.buyer, signed_only=True)
        signed_at = [
            row.signed_at
            for row in self.store.list_deals(query)
            if row.id != deal.id and row.signed_at is not None
        ]
        return self.policy.buyer_classes.classify(signed_at, self.clock.now())

    @property
    def clauses(self) -> dict[str, bool] | None:
        """The clause library (id: standard?), read on first use; None checks no clause ids."""
        if callable(self._clauses):
            self._clauses = self._clauses()
        return self._clauses

    @property
    def renderer(self) -> Renderer:
        """The contract renderer, built on first use (rendering loads WeasyPrint)."""
        if self._renderer is None:
            raise RenderError("this service has no contract renderer; pass renderer=")
        if isinstance(self._renderer, type) or not hasattr(self._renderer, "render"):
            # A factory (a class counts: it has ``render`` but as an unbound function).
            factory: Callable[[], Renderer] = self._renderer
            self._renderer = factory()
        return typing.cast(Renderer, self._renderer)

    @property
    def sealer(self) -> Sealer | None:
        """The seal for signed contracts, opened on first use; None seals nothing."""
        if self._sealer is not None and not hasattr(self._sealer, "seal"):
            factory: Callable[[], Sealer | None] = self._sealer
            self._sealer = factory()
        return typing.cast(Sealer | None, self._sealer)

    def rules(
        self, deal: Deal, *, with_class: bool = True, with_clauses: bool = True
    ) -> ApprovalPolicy:
        """The policy's rules for this deal: its buyer's class, floor and clause library.

        The class and the library cost a query and a read; only the actions that use them
        (agreeing, special terms) ask for them.
        """
        buyer_class = self.buyer_class(deal) if with_class else BuyerClass.PROSPECT
        return self.policy.approval_policy(buyer_class, self.clauses if with_clauses else None)

    # Reading ----------------------------------------------------------------------------

    def get(self, deal_id: str) -> Deal:
        """The deal as it stands now; raises DealNotFoundError."""
        known = self._deals.get(deal_id)
        events = self.store.load(deal_id, after=known.version if known else 0)
        if known is None and not events:
            raise DealNotFoundError(deal_id)
        deal = replay(events, known) if events else known
        assert deal is not None
        self._deals[deal_id] = deal
        return deal

    def history(self, deal_id: str) -> list[AnyEvent]:
        """Every event of the deal, oldest first."""
        events = self.store.load(deal_id)
        if not events:
            raise DealNotFoundError(deal_id)
        return events

    def deals(self) -> list[Deal]:
        """Every deal in the store, oldest first, each folded from its events."""
        return [self.get(deal_id) for deal_id in self.store.deal_ids()]

    def list_deals(self, query: DealQuery | None = None, **filters: Any) -> list[DealRow]:
        """Deals as read-model rows, from the store's index: ``list_deals(stage=...)``,
        ``buyer=``, ``owner=``, ``min_total=``, ``max_total=``, ``expires_before=``..."""
        return self.store.list_deals(query or DealQuery(**filters))

    def possible_actions(self, deal_id: str) -> dict[Role, list[Action]]:
        """The actions each role could take on the deal now, found by a dry run of each.

        Every action the stage allows is decided, not recorded, for each role, so the answer
        follows the same rules as the action itself: roles, turns, expiry, pending approvals
        and signatures. Roles with nothing to do are left out; ``expire`` is the clock's.
        """
        deal = self.get(deal_id)
        now = self.clock.now()
        # Whether an action is possible depends on neither the class nor the library.
        rules = self.rules(deal, with_class=False, with_clauses=False)
        possible: dict[Role, list[Action]] = {}
        for role in (Role.SELLER, Role.BUYER, Role.MANAGER, Role.LEGAL, Role.SERVICE):
            actor = Actor(name=role.value, role=role)
            for name in allowed_actions(deal.stage):
                action = Action(name)
                if action is Action.EXPIRE:
                    continue
                try:
                    d.decide(deal, _probe(action, actor), now, rules)
                except DealflowError:
                    continue
                possible.setdefault(role, []).append(action)
        return possible

    def feed(self, after: int = 0, limit: int = 100) -> list[FeedEntry]:
        """Stored events after position ``after``, in order, at most ``limit``: resume from
        the last position processed to see every event once (at-least-once delivery)."""
        from dealflow.domain.feed import FeedEntry

        return [
            FeedEntry(position=position, event=event)
            for position, event in self.store.feed(after, limit)
        ]

    # Hooks ------------------------------------------------------------------------------

    def on(self, event_type: type[Event] | str, handler: Callable[[AnyEvent], object]) -> None:
        """Run ``handler(event)`` after each committed event of this type (a class such as
        ``OfferMade``, its name, or ``"*"`` for all), in registration order.

        A handler runs only after the event is stored, never before; one that raises is
        logged (``dealflow.hooks``) with the event and the deal, and neither undoes the
        action nor stops the other handlers.
        """
        name = event_type if isinstance(event_type, str) else event_type.__name__
        known = {model.__name__ for model in _event_types()}
        if name != "*" and name not in known:
            raise ValueError(f"unknown event type {name!r}; known: {', '.join(sorted(known))}")
        self._hooks.append((name, handler))

    def _notify(self, events: Sequence[Event]) -> None:
        for event in events:
            name = type(event).__name__
            for wanted, handler in self._hooks:
                if wanted not in ("*", name):
                    continue
                try:
                    handler(event)  # type: ignore[arg-type]
                except Exception:
                    _hooks_log.exception(
                        "hook %r failed on %s v%d of deal %s",
                        getattr(handler, "__qualname__", handler),
                        name,
                        event.version,
                        event.deal_id,
                    )

    # Writing ----------------------------------------------------------------------------

    def _record(
        self,
        deal: Deal | None,
        deal_id: str,
        events: Sequence[Event],
        *,
        simulated: bool = False,
    ) -> Deal:
        expected = deal.version if deal else 0
        self._authorize(deal, events)
        if (
            deal is not None
            and events
            and events[0].occurred_at < deal.updated_at - self.clock_skew
        ):
            raise ClockBehindError(
                deal_id,
                _when(events[0].occurred_at),
                _when(deal.updated_at),
                self.clock_skew.total_seconds(),
            )
        if self.clock.overridden or simulated:
            events = [e.model_copy(update={"clock_overridden": True}) for e in events]
        updated = replay(events, deal)
        try:
            self.store.append(deal_id, expected, events, deal_row(updated))
        except ConcurrencyConflictError as exc:
            self._deals.pop(deal_id, None)
            raise self._conflict(deal_id, expected) from exc
        self._deals[deal_id] = updated
        self._notify(events)
        return updated

    def _conflict(self, deal_id: str, expected: int) -> ConcurrencyConflictError:
        """The conflict on ``deal_id`` after ``expected``, naming what was recorded since."""
        try:
            changes = [describe_change(e) for e in self.store.load(deal_id, after=expected)]
        except DealflowError:  # the store cannot say: the conflict itself is still the news
            changes = []
        return ConcurrencyConflictError(deal_id, expected, changes)

    def _retrying(self, write: Callable[[], Deal]) -> Deal:
        """Run ``write`` (load, decide, record) again on a conflict, a few times with a short
        random pause: for actions whose decision does not depend on what another writer
        changed, so deciding them again on the fresh deal is what their author meant."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return write()
            except ConcurrencyConflictError:
                attempt += 1
                waited = time.monotonic() - started
                if attempt >= CONFLICT_ATTEMPTS and waited >= CONFLICT_PATIENCE:
                    raise
                # Exponential back-off with full jitter, at most 0.2 s a pause.
                time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))

    def execute(
        self, deal_id: str, command: d.Command, *, expected_version: int | None = None
    ) -> Deal:
        """Decide a command on the deal and record its events; the deal after it.

        With ``expected_version``, the command is meant for the deal as it was at that
        version (what its author saw): if the deal has moved since, ConcurrencyConflictError.
        """
        deal = self.get(deal_id)
        if expected_version is not None and deal.version != expected_version:
            raise self._conflict(deal_id, expected_version)
        # Only agreeing reads the buyer's class (it sets the discount ceiling for approvals),
        # and only agreeing and special terms read the clause library.
        agreeing = isinstance(command, d.Agree)
        special = isinstance(command, d.ProposeSpecial | d.ReviseSpecial)
        rules = self.rules(deal, with_class=agreeing, with_clauses=agreeing or special)
        command = dataclasses.replace(command, actor=self._actor(command.actor))
        events = d.decide(deal, command, self.clock.now(), rules)
        return self._record(deal, deal_id, events)

    def open_deal(
        self, spec: DealSpec, *, actor: Actor | None = None, deal_id: str | None = None
    ) -> Deal:
        """Open a deal in ``draft`` from a deal file's content; the seller's rep by default."""
        deal_id = deal_id or self._new_id()
        if self.store.load(deal_id):
            raise ActionRefusedError(f"a deal with id {deal_id!r} already exists")
        rep = spec.seller.representative
        event = d.open_deal(
            deal_id,
            title=spec.title,
            seller=spec.seller,
            buyer=spec.buyer,
            language=spec.language,
            proposal=spec.proposal(),
            actor=self._actor(actor or Actor(name=rep.name, role=Role.SELLER)),
            now=self.clock.now(),
        )
        return self._record(None, deal_id, [event])

    def present(self, deal_id: str, actor: Actor, note: str | None = None) -> Deal:
        """The seller presents products, value and credentials."""
        return self.execute(deal_id, d.Present(actor, note))

    def offer(
        self,
        deal_id: str,
        actor: Actor,
        change: TermsChange | None = None,
        note: str | None = None,
    ) -> Deal:
        """The seller's formal offer: the proposal with ``change`` applied."""
        return self.execute(deal_id, d.MakeOffer(actor, change or TermsChange(), note))

    def counter(
        self,
        deal_id: str,
        actor: Actor,
        change: TermsChange | None = None,
        note: str | None = None,
    ) -> Deal:
        """Answer the other side's latest offer with changed terms."""
        return self.execute(deal_id, d.Counter(actor, change or TermsChange(), note))

    def accept(self, deal_id: str, actor: Actor) -> Deal:
        """Accept the other side's latest offer."""
        return self.execute(deal_id, d.Accept(actor))

    def reject(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """Reject the other side's latest offer; the deal is lost."""
        return self.execute(deal_id, d.Reject(actor, reason))

    def withdraw(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """The seller withdraws from the deal."""
        return self.execute(deal_id, d.Withdraw(actor, reason))

    def propose_special(
        self, deal_id: str, actor: Actor, special: SpecialTerms, note: str | None = None
    ) -> Deal:
        """Put buyer-specific terms on the table after the price was accepted."""
        return self.execute(deal_id, d.ProposeSpecial(actor, special, note))

    def revise_special(
        self, deal_id: str, actor: Actor, special: SpecialTerms, note: str | None = None
    ) -> Deal:
        """Replace the special terms on the table."""
        return self.execute(deal_id, d.ReviseSpecial(actor, special, note))

    def agree(self, deal_id: str, actor: Actor) -> Deal:
        """Agree the terms; goes to approvals if the policy requires any, else to signing."""
        return self.execute(deal_id, d.Agree(actor))

    def approve(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """A manager or legal approves the agreed terms."""
        return self.execute(deal_id, d.Approve(actor, reason))

    def decline(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """A manager or legal declines the agreed terms; the seller must revise them."""
        return self.execute(deal_id, d.Decline(actor, reason))

    def sign(
        self,
        deal_id: str,
        actor: Actor,
        *,
        title: str | None = None,
        method: SignatureMethod | str = SignatureMethod.TYPED,
        terms_hash: str | None = None,
        scan: bytes | None = None,
    ) -> Deal:
        """Sign the frozen terms for the actor's side (``terms_hash`` guards what is signed).

        A buyer's signature is recorded by the member this service acts as; with ``scan``
        (a PDF, PNG or JPEG of the signed page, ``method="wet-ink"``) it is kept as the deal's
        artifact and its SHA-256 recorded, else the signature shows as "recorded, not
        authenticated". The seller's side signs with the member's own title from the
        roster; a buyer's signature needs ``title``."""
        if actor.role is not Role.BUYER:
            title = self.whoami().title
        if title is None:
            raise InvalidTermsError("a signature needs the signatory's title")
        digest = None
        if scan is not None:
            from dealflow.domain.scans import scan_name

            deal = self.get(deal_id)
            name, digest = scan_name(scan, deal.contract_version)
            # Decided and authorized first: a signature that would be refused keeps no scan.
            signed = d.decide(
                deal,
                d.Sign(self._actor(actor), title, SignatureMethod(method), terms_hash, digest),
                self.clock.now(),
                self.rules(deal, with_class=False, with_clauses=False),
            )
            self._authorize(deal, signed)
            self.store.put_artifact(deal_id, name, scan)
        command = d.Sign(actor, title, SignatureMethod(method), terms_hash, digest)
        return self.execute(deal_id, command)

    def start_service(self, deal_id: str, actor: Actor, note: str | None = None) -> Deal:
        """Begin delivering the after-sales commitments of the signed contract."""
        return self.execute(deal_id, d.StartService(actor, note))

    def amend(
        self, deal_id: str, actor: Actor, change: TermsChange | None = None, *, reason: str
    ) -> Deal:
        """Open a new contract version proposing changed terms; the signed one stays intact."""
        return self.execute(deal_id, d.Amend(actor, reason, change or TermsChange()))

    def complete(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """Close the deal: every commitment met or the term ended."""
        return self.execute(deal_id, d.Complete(actor, reason))

    def log_interaction(
        self,
        deal_id: str,
        actor: Actor,
        *,
        channel: Channel | str,
        kind: InteractionKind | str,
        note: str,
        csat: int | None = None,
    ) -> Deal:
        """Record a contact with the buyer (meeting, call, complaint, competitor quote...);
        a complaint is also opened as a claim, to be answered and resolved. Another writer's
        change meanwhile does not refuse it: it is recorded on the fresh deal."""

        actor = self._actor(actor)

        def write() -> Deal:
            deal = self.get(deal_id)
            event = d.log_interaction(
                deal,
                actor,
                self.clock.now(),
                channel=Channel(channel),
                kind=InteractionKind(kind),
                note=note,
                csat=csat,
            )
            events: list[Event] = [event]
            if event.kind is InteractionKind.COMPLAINT:
                opened = replay([event], deal)
                events.append(complaint_claim(opened, actor, self.clock.now(), note, self.policy))
            return self._record(deal, deal_id, events)

        return self._retrying(write)

    def expire_due(self) -> list[str]:
        """Move every deal whose latest offer has lapsed to ``expired``; their ids."""
        now = self.clock.now()
        expired = []
        for deal_id in self.store.deal_ids():
            deal = self.get(deal_id)
            offer = deal.latest_offer
            if (
                deal.stage in (Stage.OFFERED, Stage.NEGOTIATING)
                and offer is not None
                and offer.expires_at is not None
                and offer.expires_at <= now
            ):
                self.execute(deal_id, d.Expire())
                expired.append(deal_id)
        return expired

    def close(self) -> None:
        """Close the store."""
        self.store.close()
