"""The history stays in order and a conflict says what changed.

An action dated before the deal's last event by more than the allowed clock skew is refused
(naming both times), within the skew it is recorded; an action that lost a race names what the
other writer recorded; logging and claim notes retry themselves on a conflict, accepting does not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import dealflow
from dealflow.domain.events import InteractionLogged
from tests.conftest import BUYER, SELLER, START
from tests.paths import drive_to


def _service(store: dealflow.MemoryEventStore, at: timedelta, **kw: object) -> dealflow.DealService:
    return dealflow.DealService(store, dealflow.FixedClock(START + at), **kw)  # type: ignore[arg-type]


def _offered(store: dealflow.MemoryEventStore, spec: dealflow.DealSpec) -> str:
    service = _service(store, timedelta(0))
    deal = service.open_deal(spec)
    service.present(deal.id, SELLER)
    service.offer(deal.id, SELLER)
    return deal.id


def test_an_action_dated_years_before_the_last_event_is_refused_naming_both_times(
    spec: dealflow.DealSpec,
) -> None:
    store = dealflow.MemoryEventStore()
    deal_id = _offered(store, spec)
    past = dealflow.DealService(store, dealflow.FixedClock(START.replace(year=2020)))
    with pytest.raises(dealflow.ClockBehindError) as refused:
        past.accept(deal_id, BUYER)
    message = str(refused.value)
    assert "2020-11-02 09:00:00 UTC" in message
    assert "2026-11-02 09:00:00 UTC" in message
    assert isinstance(refused.value, dealflow.ActionRefusedError)
    assert len(store.load(deal_id)) == 3  # nothing recorded
    with pytest.raises(dealflow.ClockBehindError):
        past.log_interaction(deal_id, SELLER, channel="phone", kind="contact", note="x")
    assert len(store.load(deal_id)) == 3


def test_an_action_within_the_clock_skew_is_recorded(spec: dealflow.DealSpec) -> None:
    store = dealflow.MemoryEventStore()
    deal_id = _offered(store, spec)
    behind = _service(store, -timedelta(minutes=4, seconds=59))
    assert behind.accept(deal_id, BUYER).stage is dealflow.Stage.TERMS_ACCEPTED


@pytest.mark.parametrize(("skew", "behind", "refused"), [
    (timedelta(0), timedelta(seconds=1), True),
    (timedelta(0), timedelta(0), False),
    (timedelta(hours=2), timedelta(minutes=90), False),
    (timedelta(hours=2), timedelta(hours=2, seconds=1), True),
])  # fmt: skip
def test_the_clock_skew_is_configurable(
    spec: dealflow.DealSpec, skew: timedelta, behind: timedelta, refused: bool
) -> None:
    store = dealflow.MemoryEventStore()
    deal_id = _offered(store, spec)
    service = _service(store, -behind, clock_skew=skew)
    if refused:
        with pytest.raises(dealflow.ClockBehindError):
            service.accept(deal_id, BUYER)
    else:
        service.accept(deal_id, BUYER)


def test_a_negative_clock_skew_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        _service(dealflow.MemoryEventStore(), timedelta(0), clock_skew=timedelta(seconds=-1))


def test_a_review_at_a_time_before_a_deals_last_event_skips_that_deal(
    spec: dealflow.DealSpec,
) -> None:
    store = dealflow.MemoryEventStore()
    service = _service(store, timedelta(0))
    deal_id = drive_to(service, spec, dealflow.Stage.SIGNED)
    later = _service(store, timedelta(days=300))  # a call in late August 2027
    later.log_interaction(deal_id, SELLER, channel="phone", kind="contact", note="Called")
    before = len(store.load(deal_id))
    # In March 2027 service would have started (delivery on 2027-01-15): not before that call.
    review = service.review(START.replace(year=2027, month=3))
    assert review.skipped == [deal_id]
    assert review.changes == []
    assert len(store.load(deal_id)) == before
    assert service.review(START + timedelta(days=301)).changes  # at a later time it does


def test_a_lost_race_names_what_the_other_writer_recorded(spec: dealflow.DealSpec) -> None:
    store = dealflow.MemoryEventStore()
    deal_id = _offered(store, spec)
    mine, theirs = _service(store, timedelta(minutes=1)), _service(store, timedelta(minutes=1))
    seen = mine.get(deal_id).version
    theirs.counter(deal_id, BUYER, dealflow.TermsChange(payment_days=45))
    with pytest.raises(dealflow.ConcurrencyConflictError) as conflict:
        mine.execute(deal_id, dealflow.domain.commands.Accept(BUYER), expected_version=seen)
    message = str(conflict.value)
    assert conflict.value.changes == (
        "v4 OfferCountered by Siti Rahmawati (buyer, recorded by budi) at 2026-11-02 09:01:00 UTC",
    )
    assert "v4 OfferCountered by Siti Rahmawati (buyer, recorded by budi)" in message
    assert message.endswith("reload it and try again")
    assert len(store.load(deal_id)) == 4


class _RacingStore(dealflow.MemoryEventStore):
    """A store where another writer appends a call just before each of the first ``races``
    appends of this one: every such append loses the race."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def append(self, deal_id, expected_version, events, row=None):  # type: ignore[no-untyped-def]
        if self.races and expected_version > 0:
            self.races -= 1
            other = _service(self, timedelta(0))  # type: ignore[arg-type]
            other.log_interaction(deal_id, BUYER, channel="email", kind="contact", note="race")
        return super().append(deal_id, expected_version, events, row)


@pytest.mark.parametrize("races", [1, 3])
def test_logging_a_call_retries_on_a_conflict_and_lands_once(
    spec: dealflow.DealSpec, races: int
) -> None:
    store = _RacingStore(0)
    deal_id = _offered(store, spec)
    store.races = races
    service = _service(store, timedelta(0))
    service.get(deal_id)
    deal = service.log_interaction(deal_id, SELLER, channel="phone", kind="contact", note="mine")
    logged = [e for e in store.load(deal_id) if isinstance(e, InteractionLogged)]
    assert [e.note for e in logged] == ["race"] * races + ["mine"]
    assert deal.version == 3 + races + 1


def test_a_claim_note_retries_on_a_conflict(spec: dealflow.DealSpec) -> None:
    store = _RacingStore(0)
    service = _service(store, timedelta(0))
    deal_id = drive_to(service, spec, dealflow.Stage.SIGNED)
    store.races = 2
    after = service.open_claim(deal_id, SELLER, kind="complaint", note="late delivery")
    assert len(after.claims) == 1
    assert after.version == len(store.load(deal_id))


def test_accepting_does_not_retry_on_a_conflict(spec: dealflow.DealSpec) -> None:
    store = _RacingStore(0)
    deal_id = _offered(store, spec)
    store.races = 1
    service = _service(store, timedelta(0))
    with pytest.raises(
        dealflow.ConcurrencyConflictError,
        match="InteractionLogged by Siti Rahmawati \\(buyer, recorded by budi\\)",
    ):
        service.accept(deal_id, BUYER)
    assert service.get(deal_id).stage is dealflow.Stage.OFFERED


def test_a_roster_change_dated_before_the_rosters_last_change_is_refused() -> None:
    store = dealflow.MemoryEventStore()
    later = _service(store, timedelta(days=30))
    later.whoami()  # the first member, a month from now
    past = _service(store, timedelta(0))
    member = dealflow.Member(id="zed", name="Zed", title="Rep", roles=("seller",))
    with pytest.raises(dealflow.ClockBehindError, match="before the roster's last event"):
        past.add_member(member)
    assert [m.id for m in later.members()] == ["budi"]
    assert _service(store, timedelta(days=30, minutes=-4)).add_member(member) == member
