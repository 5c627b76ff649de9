"""The fold of a deal's events: a log that is not a valid history is refused as a store error."""

from __future__ import annotations

import pytest

import dealflow
from dealflow.domain.projection import replay
from dealflow.errors import ReplayError


def log_of(service: dealflow.DealService, spec: dealflow.DealSpec) -> list[dealflow.AnyEvent]:
    deal_id = service.open_deal(spec).id
    service.present(deal_id, dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER))
    return service.history(deal_id)


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
