"""The fold of a deal's events: a typed state holds every field an event changes, freezing it
gives the deal back unchanged, and a log that is not a valid history is a store error."""

from __future__ import annotations

from dataclasses import fields

import pytest

import dealflow
from dealflow import Stage
from dealflow.domain.deal import Deal
from dealflow.domain.projection import DealState, replay
from dealflow.errors import ReplayError
from tests.conftest import BUYER, SELLER, SERVICE, by
from tests.paths import drive_to

#: What no event after the opening changes: the state reads these from the deal it started from.
FIXED = {"id", "title", "seller", "buyer", "language", "proposal", "opened_at", "owner"}


def log_of(service: dealflow.DealService, spec: dealflow.DealSpec) -> list[dealflow.AnyEvent]:
    deal_id = service.open_deal(spec).id
    service.present(deal_id, SELLER)
    return service.history(deal_id)


def test_the_state_holds_every_field_of_a_deal_but_those_fixed_at_opening() -> None:
    held = {f.name for f in fields(DealState)} - {"deal"}
    assert held | FIXED == set(Deal.model_fields)
    assert not held & FIXED


def test_a_deal_thawed_and_frozen_is_the_same_deal(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, Stage.SIGNED)
    service.log_interaction(deal_id, BUYER, channel="phone", kind="complaint", note="Noisy")
    by(service, SERVICE).respond_claim(deal_id, "complaint-1", SERVICE, "Technician booked")
    deal = service.get(deal_id)
    assert deal.contracts and deal.claims and deal.interactions and deal.signatures

    assert DealState.of(deal).frozen() == deal
    assert replay(service.history(deal_id)) == deal
    history = service.history(deal_id)
    assert replay(history[5:], replay(history[:5])) == deal


def test_a_log_that_is_not_a_history_is_a_store_error(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    opened, presented = log_of(service, spec)
    assert replay([opened, presented]).version == 2
    for broken, said in (
        ([presented], "does not start with DealOpened"),
        ([opened, opened], "event v1 of deal"),
        ([opened, presented.model_copy(update={"version": 3})], "does not follow v1"),
        ([opened, presented.model_copy(update={"deal_id": "other"})], "of deal other"),
    ):
        with pytest.raises(ReplayError, match=said) as caught:
            replay(broken)
        assert isinstance(caught.value, dealflow.StoreError)
        assert isinstance(caught.value, ValueError)  # as it was before it joined the tree
        assert str(caught.value).endswith("the store is damaged or was not written by dealflow")
