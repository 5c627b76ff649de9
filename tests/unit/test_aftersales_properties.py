"""Hypothesis on after-sales: for random sequences of fulfilments, waivers and clock moves
(each move a review), an occurrence never leaves a final status, the deal completes exactly
when every occurrence is final (or a review finds the term ended), and the health score
stays within 0-100.

The decisions are pure, so the property folds events on the sample deal as signed, without
a store: thousands of sequences run in seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dealflow
from dealflow import Stage
from dealflow.domain import aftersales as a
from dealflow.domain.commitments import CommitmentStatus, term_end
from dealflow.domain.deal import Deal
from dealflow.domain.health import health
from dealflow.domain.policy import AfterSalesRules, RelationshipRules
from dealflow.domain.projection import replay
from dealflow.errors import ActionRefusedError
from tests.conftest import MANAGER, SERVICE, START, staffed
from tests.paths import drive_to

RULES = AfterSalesRules()


@pytest.fixture(scope="module")
def signed() -> Deal:
    from dealflow.application.demo import sample_deal_spec
    from dealflow.files.clauses import clause_standards

    service = staffed(
        dealflow.DealService(
            dealflow.MemoryEventStore(), dealflow.FixedClock(START), clauses=clause_standards()
        )
    )
    deal_id = drive_to(service, sample_deal_spec(), Stage.SIGNED)
    return service.get(deal_id)


Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("clock"), st.integers(0, 150)),
        st.tuples(st.just("fulfil"), st.integers(0, 7)),
        st.tuples(st.just("waive"), st.integers(0, 7)),
    ),
    max_size=30,
)


def _act(deal: Deal, step: Step, now: datetime) -> list[dealflow.Event]:
    kind, n = step
    if kind == "clock":
        return list(a.review_deal(deal, now, RULES))
    item = a.commitments_of(deal)[n].id
    if kind == "fulfil":
        return list(a.fulfil(deal, item, SERVICE, now))
    return list(a.waive(deal, item, MANAGER, now, "not needed"))


@settings(max_examples=600)
@given(steps=steps)
def test_statuses_only_move_forward_and_completion_is_exact(
    signed: Deal, steps: list[Step]
) -> None:
    deal = signed
    now = signed.updated_at
    end = term_end(a.commitments_of(deal))
    assert end is not None
    reviewed_after_end = False
    for step in steps:
        if step[0] == "clock":
            now += timedelta(days=step[1])
        before = {c.id: c.status for c in a.commitments_of(deal)}
        try:
            events = _act(deal, step, now)
        except ActionRefusedError:
            # Refused: a settled occurrence, or the deal completed. Nothing is recorded.
            commitment = a.commitments_of(deal)[step[1]]
            assert commitment.final or deal.stage is Stage.COMPLETED
            continue
        deal = replay(events, deal)
        if step[0] == "clock" and now.date() > end:
            reviewed_after_end = True
        after = a.commitments_of(deal)
        for c in after:
            if before[c.id] in (
                CommitmentStatus.FULFILLED,
                CommitmentStatus.FULFILLED_LATE,
                CommitmentStatus.WAIVED,
            ):
                assert c.status is before[c.id], f"{c.id} left {before[c.id]}"
            else:
                assert c.status.rank >= before[c.id].rank  # the clock never moves back
        all_final = all(c.final for c in after)
        if deal.stage is Stage.COMPLETED:
            assert all_final or reviewed_after_end
        elif deal.stage is Stage.IN_SERVICE:
            assert not all_final
            assert not reviewed_after_end
        report = health([(deal, after)], now, RelationshipRules())
        assert 0 <= report.score <= 100
        assert report.score == max(0, 100 + sum(r.points for r in report.reasons))
