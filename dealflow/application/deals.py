"""The lifecycle use cases of :class:`~dealflow.DealService`: one method per action, each
load → decide → record.

A method builds the domain's command (:mod:`dealflow.domain.decisions`), :meth:`execute`
decides it on the deal as it stands with the policy's rules, and the one write path
(:mod:`dealflow.application.recording`) checks rights and the clock, appends and runs hooks.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from dealflow.application.aftersales import complaint_claim
from dealflow.application.queries import QueryUseCases
from dealflow.domain import commands as c
from dealflow.domain import decisions as d
from dealflow.domain.deal import Deal, SignatureMethod
from dealflow.domain.interactions import Channel, InteractionKind
from dealflow.domain.lifecycle import Stage
from dealflow.domain.parties import Actor, Role
from dealflow.domain.projection import replay
from dealflow.domain.terms import SpecialTerms, TermsChange
from dealflow.errors import ActionRefusedError, InvalidTermsError

if TYPE_CHECKING:
    from collections.abc import Callable

    from dealflow.domain.events import AnyEvent
    from dealflow.domain.members import Member
    from dealflow.domain.policy import SellerPolicy
    from dealflow.domain.spec import DealSpec


class DealUseCases(QueryUseCases):
    """Opening a deal and every action of its lifecycle."""

    policy: SellerPolicy
    _new_id: Callable[[], str]

    if TYPE_CHECKING:  # the roster's (dealflow.application.members)

        def whoami(self) -> Member: ...

    def execute(
        self, deal_id: str, command: c.Command, *, expected_version: int | None = None
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
        agreeing = isinstance(command, c.Agree)
        special = isinstance(command, c.ProposeSpecial | c.ReviseSpecial)
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
        return self.execute(deal_id, c.Present(actor, note))

    def offer(
        self,
        deal_id: str,
        actor: Actor,
        change: TermsChange | None = None,
        note: str | None = None,
    ) -> Deal:
        """The seller's formal offer: the proposal with ``change`` applied."""
        return self.execute(deal_id, c.MakeOffer(actor, change or TermsChange(), note))

    def counter(
        self,
        deal_id: str,
        actor: Actor,
        change: TermsChange | None = None,
        note: str | None = None,
    ) -> Deal:
        """Answer the other side's latest offer with changed terms."""
        return self.execute(deal_id, c.Counter(actor, change or TermsChange(), note))

    def accept(self, deal_id: str, actor: Actor) -> Deal:
        """Accept the other side's latest offer."""
        return self.execute(deal_id, c.Accept(actor))

    def reject(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """Reject the other side's latest offer; the deal is lost."""
        return self.execute(deal_id, c.Reject(actor, reason))

    def withdraw(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """The seller withdraws from the deal."""
        return self.execute(deal_id, c.Withdraw(actor, reason))

    def propose_special(
        self, deal_id: str, actor: Actor, special: SpecialTerms, note: str | None = None
    ) -> Deal:
        """Put buyer-specific terms on the table after the price was accepted."""
        return self.execute(deal_id, c.ProposeSpecial(actor, special, note))

    def revise_special(
        self, deal_id: str, actor: Actor, special: SpecialTerms, note: str | None = None
    ) -> Deal:
        """Replace the special terms on the table."""
        return self.execute(deal_id, c.ReviseSpecial(actor, special, note))

    def agree(self, deal_id: str, actor: Actor) -> Deal:
        """Agree the terms; goes to approvals if the policy requires any, else to signing."""
        return self.execute(deal_id, c.Agree(actor))

    def approve(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """A manager or legal approves the agreed terms."""
        return self.execute(deal_id, c.Approve(actor, reason))

    def decline(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """A manager or legal declines the agreed terms; the seller must revise them."""
        return self.execute(deal_id, c.Decline(actor, reason))

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
                c.Sign(self._actor(actor), title, SignatureMethod(method), terms_hash, digest),
                self.clock.now(),
                self.rules(deal, with_class=False, with_clauses=False),
            )
            self._authorize(deal, signed)
            self.store.put_artifact(deal_id, name, scan)
        command = c.Sign(actor, title, SignatureMethod(method), terms_hash, digest)
        return self.execute(deal_id, command)

    def start_service(self, deal_id: str, actor: Actor, note: str | None = None) -> Deal:
        """Begin delivering the after-sales commitments of the signed contract."""
        return self.execute(deal_id, c.StartService(actor, note))

    def amend(
        self, deal_id: str, actor: Actor, change: TermsChange | None = None, *, reason: str
    ) -> Deal:
        """Open a new contract version proposing changed terms; the signed one stays intact."""
        return self.execute(deal_id, c.Amend(actor, reason, change or TermsChange()))

    def complete(self, deal_id: str, actor: Actor, reason: str | None = None) -> Deal:
        """Close the deal: every commitment met or the term ended."""
        return self.execute(deal_id, c.Complete(actor, reason))

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
            events: list[AnyEvent] = [event]
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
                self.execute(deal_id, c.Expire())
                expired.append(deal_id)
        return expired
