"""Hooks run after commit, once per event, in registration order, and a failing one changes
nothing; the feed gives every event once, in order, resumable from a position."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

import dealflow
from dealflow import Stage
from dealflow.domain.events import AnyEvent, DealPresented, OfferMade
from dealflow.domain.feed import FeedEntry
from tests.conftest import BUYER, SELLER, staffed
from tests.paths import drive_to


def test_hooks_run_after_commit_once_per_event_in_registration_order(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    calls: list[tuple[str, str, int, int]] = []

    def seen(tag: str) -> Callable[[AnyEvent], None]:
        def handler(event: AnyEvent) -> None:
            stored = service.store.load(event.deal_id)
            calls.append((tag, type(event).__name__, event.version, len(stored)))

        return handler

    service.on("*", seen("all"))
    service.on(OfferMade, seen("offers"))
    service.on("DealPresented", seen("presented"))
    deal_id = service.open_deal(spec).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER)
    with pytest.raises(dealflow.NotYourTurnError):
        service.counter(deal_id, SELLER)  # refused: no event, no hook
    assert calls == [
        ("all", "DealOpened", 1, 1),
        ("all", "DealPresented", 2, 2),  # the handler already finds the event stored
        ("presented", "DealPresented", 2, 2),
        ("all", "OfferMade", 3, 3),
        ("offers", "OfferMade", 3, 3),
    ]


def test_a_failing_hook_is_logged_and_changes_nothing(
    service: dealflow.DealService, spec: dealflow.DealSpec, caplog: pytest.LogCaptureFixture
) -> None:
    after: list[int] = []

    def broken(event: AnyEvent) -> None:
        raise RuntimeError("the CRM is down")

    service.on(DealPresented, broken)
    service.on(DealPresented, lambda event: after.append(event.version))
    deal_id = service.open_deal(spec).id
    with caplog.at_level(logging.ERROR, logger="dealflow.hooks"):
        deal = service.present(deal_id, SELLER)
    assert deal.stage is Stage.PRESENTED
    assert service.get(deal_id).version == 2
    assert after == [2]
    (record,) = caplog.records
    assert "DealPresented v2 of deal " + deal_id in record.getMessage()
    assert record.exc_info is not None and "the CRM is down" in str(record.exc_info[1])


def test_an_unknown_event_type_is_refused() -> None:
    service = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.SystemClock()))
    with pytest.raises(ValueError, match="unknown event type 'OfferMaed'"):
        service.on("OfferMaed", print)


def test_the_feed_resumes_from_a_position_and_sees_every_event_once(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    drive_to(service, spec, Stage.SIGNED)
    lost = drive_to(service, spec, Stage.LOST)
    seen: list[FeedEntry] = []
    position = 0
    while batch := service.feed(after=position, limit=3):
        seen.extend(batch)
        position = batch[-1].position
    assert [e.position for e in seen] == list(range(1, len(seen) + 1))
    deal_events = sum(len(service.history(i)) for i in service.store.deal_ids())
    roster = service.members_log()  # who added whom: in the feed like any deal's events
    assert len(seen) == deal_events + len(roster)
    assert [e.event for e in seen[: len(roster)]] == roster
    assert [type(e).__name__ for e in roster] == ["MemberAdded", "MemberUpdated"] + [
        "MemberAdded"
    ] * 3
    service.log_interaction(lost, BUYER, channel="email", kind="feedback", note="maybe later")
    (new,) = service.feed(after=position)
    assert new.position == position + 1
    assert type(new.event).__name__ == "InteractionLogged"
    line = new.model_dump_json()
    assert FeedEntry.model_validate_json(line) == new
    assert '"schema_version":1' in line
