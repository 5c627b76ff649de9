"""Shared fixtures and the Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by ``.ci/run``) runs every property 10,000 times; the default
``dev`` profile keeps a local run quick.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import dealflow
from dealflow.clauses import clause_standards
from dealflow.demo import sample_deal_spec

settings.register_profile(
    "ci",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SAMPLE_FILE = Path(__file__).parents[1] / "dealflow" / "samples" / "conveyor-deal.yaml"

SELLER = dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER)
BUYER = dealflow.Actor(name="Siti Rahmawati", role=dealflow.Role.BUYER)
MANAGER = dealflow.Actor(name="Maya Manager", role=dealflow.Role.MANAGER)
LEGAL = dealflow.Actor(name="Lukas Legal", role=dealflow.Role.LEGAL)
SERVICE = dealflow.Actor(name="Service desk", role=dealflow.Role.SERVICE)


@pytest.fixture
def spec() -> dealflow.DealSpec:
    """The sample deal file shipped with the package."""
    return sample_deal_spec()


@pytest.fixture
def clock() -> dealflow.FixedClock:
    """A clock standing at a fixed Monday morning."""
    return dealflow.FixedClock(START)


@pytest.fixture
def service(clock: dealflow.FixedClock) -> Iterator[dealflow.DealService]:
    """A service on a fresh in-memory store, with the default policy and clause library."""
    svc = dealflow.DealService(dealflow.MemoryEventStore(), clock, clauses=clause_standards())
    yield svc
    svc.close()
