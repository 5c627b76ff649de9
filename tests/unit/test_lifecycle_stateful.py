"""Random action sequences against the service on the in-memory store (Hypothesis).

Actions are drawn mostly from those the stage allows, by the actor whose turn it is, so runs
reach the deep stages; the rest are random, to exercise refusals. After every step: replaying
the stored events gives the live deal, versions are contiguous, a refused action appended
nothing, no stage is reached without its preconditions, terminal stages absorb, and the terms
never change after ``awaiting_signatures`` except through an amendment, which keeps every
signed version intact. The ``ci`` profile runs 10,000 sequences.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import dealflow
from dealflow import Action, Role, Side, Stage
from dealflow.demo import sample_deal_spec
from dealflow.domain import decisions as d
from dealflow.domain.events import OfferExpired, TermsAgreed
from dealflow.domain.lifecycle import TERMINAL, allowed_actions
from dealflow.domain.projection import replay
from tests.conftest import BUYER, LEGAL, MANAGER, SELLER, SERVICE, START

SPEC = sample_deal_spec()
FROZEN = {Stage.AWAITING_SIGNATURES, Stage.SIGNED, Stage.IN_SERVICE, Stage.COMPLETED}
ACTOR_OF = {
    Role.SELLER: SELLER,
    Role.BUYER: BUYER,
    Role.MANAGER: MANAGER,
    Role.LEGAL: LEGAL,
    Role.SERVICE: SERVICE,
    Role.SYSTEM: dealflow.Actor(name="dealflow", role=Role.SYSTEM),
}
#: Each run heads for a goal stage: it prefers actions that move the deal forward and takes
#: the action that ends the deal only when that ending is its goal, so that across runs every
#: stage is reached; one step in twenty is any enabled action and one any action at all.
ENDING_FOR = {
    Stage.LOST: Action.REJECT,
    Stage.WITHDRAWN: Action.WITHDRAW,
    Stage.EXPIRED: Action.EXPIRE,
    Stage.COMPLETED: Action.COMPLETE,
    Stage.NEGOTIATING: Action.DECLINE,
}
ENDINGS = set(ENDING_FOR.values())
REACHED: set[Stage] = set()

changes = st.builds(
    dealflow.TermsChange,
    discount=st.none() | st.integers(0, 20).map(lambda p: dealflow.Discount(percent=Decimal(p))),
    payment_days=st.none() | st.sampled_from([14, 30, 45, 60, 90]),
    quantities=st.dictionaries(st.sampled_from(["CNV-200", "SNS-10"]), st.integers(1, 20)),
    warranty_months=st.none() | st.sampled_from([12, 24, 36]),
)
specials = st.builds(
    dealflow.SpecialTerms,
    purpose=st.none() | st.just("Plant 2 expansion"),
    clauses=st.lists(st.sampled_from(["penalty", "escrow"]), max_size=2, unique=True).map(tuple),
    custom_clauses=st.lists(st.just("Late delivery costs 0.1% a day"), max_size=1).map(tuple),
)


def right_actor(action: Action, deal: dealflow.Deal) -> dealflow.Actor:
    """The actor whose role and turn allow this action now."""
    latest = deal.latest_offer
    if action in (Action.COUNTER, Action.ACCEPT, Action.REJECT):
        return SELLER if deal.turn is Side.SELLER else BUYER
    if action is Action.AGREE and latest is not None and latest.kind == "special":
        return BUYER if latest.side is Side.SELLER else SELLER
    if action in (Action.APPROVE, Action.DECLINE):
        return ACTOR_OF[deal.approvals_pending[0]] if deal.approvals_pending else MANAGER
    if action is Action.SIGN and deal.signatures_pending:
        return SELLER if deal.signatures_pending[0] is Side.SELLER else BUYER
    if action in (Action.START_SERVICE, Action.COMPLETE):
        return SERVICE
    if action is Action.EXPIRE:
        return ACTOR_OF[Role.SYSTEM]
    return SELLER


class DealLifecycle(RuleBasedStateMachine):
    """One deal, driven by random actions and a moving clock."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = dealflow.FixedClock(START)
        self.service = dealflow.DealService(dealflow.MemoryEventStore(), self.clock)
        self.deal_id = self.service.open_deal(SPEC).id
        self.goal = Stage.IN_SERVICE

    @initialize(goal=st.sampled_from(list(Stage)))
    def choose_goal(self, goal: Stage) -> None:
        self.goal = goal

    @property
    def deal(self) -> dealflow.Deal:
        return self.service.get(self.deal_id)

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        # One rule only: Hypothesis's swarm testing disables whole rules for some runs, and a
        # run that may only move the clock never leaves draft.
        if data.draw(st.integers(0, 3), label="time passes") == 3:
            lapse = self.goal is Stage.EXPIRED or data.draw(st.integers(0, 19)) == 19
            days = 30 if lapse else data.draw(st.integers(0, 2))
            self.time_passes(days)
        else:
            self.act(data)

    def act(self, data: st.DataObject) -> None:
        before = self.deal
        enabled = [Action(a) for a in allowed_actions(before.stage)]
        ending = ENDING_FOR.get(self.goal)
        preferred = [ending] if ending in enabled else [a for a in enabled if a not in ENDINGS]
        pick = data.draw(st.integers(0, 19), label="bias")
        if preferred and pick < 18:
            action = data.draw(st.sampled_from(preferred), label="action")
        elif enabled and pick < 19:
            action = data.draw(st.sampled_from(enabled), label="action")
        else:
            action = data.draw(st.sampled_from(list(Action)), label="action")
        if data.draw(st.integers(0, 9), label="pick right actor") < 9:
            actor = right_actor(action, before)
        else:
            actor = ACTOR_OF[data.draw(st.sampled_from(list(Role)), label="role")]
        command = self.command(action, actor, data)
        try:
            after = self.service.execute(self.deal_id, command)
        except dealflow.DealflowError as exc:
            assert isinstance(exc, dealflow.ActionRefusedError | dealflow.InvalidTermsError)
            assert len(self.service.history(self.deal_id)) == before.version
            assert self.deal == before
            return
        self.check_step(before, command, after)

    @staticmethod
    def command(action: Action, actor: dealflow.Actor, data: st.DataObject) -> d.Command:
        match action:
            case Action.OFFER:
                return d.MakeOffer(actor, data.draw(changes))
            case Action.COUNTER:
                return d.Counter(actor, data.draw(changes))
            case Action.AMEND:
                return d.Amend(actor, "change of scope", data.draw(changes))
            case Action.PROPOSE_SPECIAL:
                return d.ProposeSpecial(actor, data.draw(specials))
            case Action.REVISE_SPECIAL:
                return d.ReviseSpecial(actor, data.draw(specials))
            case Action.SIGN:
                return d.Sign(actor, "Director")
            case _:
                simple: dict[Action, type[d.Command]] = {
                    Action.PRESENT: d.Present,
                    Action.ACCEPT: d.Accept,
                    Action.REJECT: d.Reject,
                    Action.EXPIRE: d.Expire,
                    Action.WITHDRAW: d.Withdraw,
                    Action.AGREE: d.Agree,
                    Action.APPROVE: d.Approve,
                    Action.DECLINE: d.Decline,
                    Action.START_SERVICE: d.StartService,
                    Action.COMPLETE: d.Complete,
                }
                return simple[action](actor)

    def check_step(self, before: dealflow.Deal, command: d.Command, after: dealflow.Deal) -> None:
        assert before.stage not in TERMINAL, "a terminal stage must absorb"
        assert after.version == before.version + 1
        assert after.contracts[: len(before.contracts)] == before.contracts
        if before.amending and not after.amending:
            # The amendment ended: signed (a new contract) or abandoned (the old one holds).
            if after.stage is Stage.IN_SERVICE:
                assert after.contracts == before.contracts
                assert after.terms == before.contracts[-1].terms
                assert after.contract_version == before.contracts[-1].contract_version
            else:
                assert after.stage is Stage.SIGNED
        elif before.stage in FROZEN and not isinstance(command, d.Amend):
            assert after.terms_hash == before.terms_hash
        if isinstance(command, d.Accept):
            assert before.latest_offer is not None
            assert before.latest_offer.side is not command.actor.role.side
            assert after.terms == before.latest_offer.terms
        if after.stage is Stage.SIGNED:
            self.check_signed(after)
        if after.stage is Stage.AWAITING_SIGNATURES and before.stage is not after.stage:
            assert not after.approvals_pending
            assert all(a.terms_hash == after.terms_hash for a in after.approvals)

    def check_signed(self, deal: dealflow.Deal) -> None:
        contract = deal.signed_contract
        assert contract is not None
        assert contract.contract_version == deal.contract_version
        assert contract.terms == deal.terms
        assert contract.terms_hash == deal.terms_hash
        assert {s.side for s in contract.signatures} == set(Side)
        assert all(s.terms_hash == contract.terms_hash for s in contract.signatures)
        agreed = [e for e in self.service.history(deal.id) if isinstance(e, TermsAgreed)][-1]
        assert agreed.terms_hash == contract.terms_hash
        assert {a.role for a in deal.approvals} >= set(agreed.approvals_required)
        assert all(a.terms_hash == contract.terms_hash for a in deal.approvals)

    def time_passes(self, days: int) -> None:
        before = self.deal
        self.clock.advance(timedelta(days=days))
        expired = self.service.expire_due()
        after = self.deal
        if expired:
            assert expired == [self.deal_id]
            # A lapsed amendment leaves the signed contract in force.
            assert after.stage is (Stage.IN_SERVICE if before.amending else Stage.EXPIRED)
            assert not after.amending
            assert isinstance(self.service.history(self.deal_id)[-1], OfferExpired)
        else:
            assert after == before

    @invariant()
    def replay_gives_the_live_deal(self) -> None:
        events = self.service.store.load(self.deal_id)
        assert [e.version for e in events] == list(range(1, len(events) + 1))
        live = self.deal
        assert replay(events) == live
        REACHED.add(live.stage)


def test_random_action_sequences_keep_the_lifecycle_invariants() -> None:
    REACHED.clear()
    run_state_machine_as_test(DealLifecycle, settings=settings(stateful_step_count=50))
    assert set(Stage) == REACHED, f"never reached: {sorted(set(Stage) - REACHED)}"
