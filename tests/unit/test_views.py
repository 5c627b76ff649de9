"""What the read side tells: terms diffs, the actions each role may take now (a dry run that
records nothing), the views behind ``show``/``list``, and events marked under simulated time."""

from __future__ import annotations

from datetime import timedelta

import pytest

import dealflow
from dealflow import Action, Role, Stage
from dealflow.domain.listing import deal_row
from dealflow.read.views import deal_view
from tests.conftest import BUYER, SELLER, staffed
from tests.paths import drive_to


def test_diff_lists_each_changed_issue_with_old_and_new_values(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, Stage.OFFERED)
    change = dealflow.TermsChange(
        discount=dealflow.Discount.parse("8%"),
        quantities={"SNS-10": 12},
        payment_days=45,
        warranty_months=36,
    )
    deal = service.counter(deal_id, BUYER, change)
    found = {d.issue: (d.old, d.new) for d in deal.diff(1, 2)}
    assert found == {
        "discount.percent": ("5%", "8%"),
        "items.SNS-10.quantity": ("10", "12"),
        "payment.due_days": ("30", "45"),
        "after_sales.warranty.for_months": ("24", "36"),
    }
    assert deal.diff(2, 2) == []
    assert {d.issue for d in deal.diff(0, 1)} == {"discount.percent"}
    with pytest.raises(dealflow.VersionNotFoundError, match="versions are 0, 1, 2"):
        deal.diff(1, 9)


def test_possible_actions_follow_roles_and_turns_and_record_nothing(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, Stage.OFFERED)
    before = service.get(deal_id)
    possible = service.possible_actions(deal_id)
    assert possible == {
        Role.SELLER: [Action.WITHDRAW],
        Role.BUYER: [Action.COUNTER, Action.ACCEPT, Action.REJECT],
    }
    assert service.get(deal_id) == before
    assert len(service.history(deal_id)) == before.version
    closed = drive_to(service, spec, Stage.LOST)
    assert service.possible_actions(closed) == {}


def test_an_expired_offer_offers_nothing_to_accept(
    service: dealflow.DealService, spec: dealflow.DealSpec, clock: dealflow.FixedClock
) -> None:
    deal_id = drive_to(service, spec, Stage.OFFERED)
    clock.advance(timedelta(days=spec.offer_valid_days + 1))
    assert Role.BUYER not in service.possible_actions(deal_id)
    view = deal_view(service.get(deal_id), clock.now(), {})
    assert view.latest_offer is not None and view.latest_offer.expired


def test_views_show_the_turn_only_while_an_answer_is_due(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    offered = service.get(drive_to(service, spec, Stage.OFFERED))
    assert deal_row(offered).turn is dealflow.Side.BUYER
    signed = service.get(drive_to(service, spec, Stage.SIGNED))
    summary = deal_row(signed)
    assert summary.turn is None
    assert summary.grand_total == signed.terms.totals.grand_total
    view = deal_view(signed, signed.updated_at, service.possible_actions(signed.id))
    assert [c.contract_version for c in view.contracts] == [1]
    assert view.signatures_pending == []
    assert view.next_actions[Role.SERVICE] == [Action.START_SERVICE]


def test_events_under_an_overridden_clock_are_marked(spec: dealflow.DealSpec) -> None:
    live = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.SystemClock()))
    deal_id = live.open_deal(spec).id
    live.present(deal_id, SELLER)
    assert not any(e.clock_overridden for e in live.history(deal_id))
    simulated = staffed(dealflow.DealService(live.store, dealflow.FixedClock(live.clock.now())))
    simulated.offer(deal_id, SELLER)
    assert [e.clock_overridden for e in simulated.history(deal_id)] == [False, False, True]
