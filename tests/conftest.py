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


# PostgreSQL ---------------------------------------------------------------------------------

#: A server for the PostgreSQL tests, e.g. postgresql://dealflow@127.0.0.1:54329/dealflow_test
#: (``scripts/ci-postgres start`` makes one). Without it they skip, unless
#: DEALFLOW_REQUIRE_POSTGRES=1 (as in CI), when a missing server fails them instead.
POSTGRES_ENV = "DEALFLOW_TEST_POSTGRES"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("DEALFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set, and CI requires the PostgreSQL tests to run")
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} to run these tests")
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The test server's URL with a fresh, empty schema as the search path; dropped after."""
    import uuid

    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{joiner}options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
