"""Shared fixtures, the Hypothesis profiles, and the sandbox every test runs in.

``HYPOTHESIS_PROFILE=ci`` (set by ``.ci/run``) runs every property 10,000 times; the default
``dev`` profile keeps a local run quick.

No test touches the real home or data folders: before any test is collected, HOME and the XDG
folders point into a temporary folder made for this run (each xdist worker its own), and the
developer's own ``DEALFLOW_*`` settings are removed, so a command run without ``--store``
writes its default store there; an autouse fixture holds every test to it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import dealflow
from dealflow.application.demo import sample_deal_spec
from dealflow.files.clauses import clause_standards

settings.register_profile(
    "ci",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: The settings a test run keeps from its environment: the PostgreSQL server's.
KEPT_SETTINGS = frozenset(
    {"DEALFLOW_TEST_POSTGRES", "DEALFLOW_TEST_POSTGRES_DIR", "DEALFLOW_REQUIRE_POSTGRES"}
)
#: The login name of the system user during the tests: the sample rep's member id.
TEST_USER = "budi"
HOME_VARIABLES = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
_sandbox: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Point HOME and the XDG folders into a new temporary folder, for the whole run."""
    global _sandbox  # noqa: PLW0603 - one sandbox per test process
    _sandbox = Path(tempfile.mkdtemp(prefix="dealflow-test-home-")).resolve()
    for name in HOME_VARIABLES:
        folder = _sandbox / name.lower()
        folder.mkdir()
        os.environ[name] = str(folder)
    for name in [n for n in os.environ if n.startswith("DEALFLOW_")]:
        if name not in KEPT_SETTINGS:
            del os.environ[name]
    # The system user the library and the command line take as the default identity.
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        os.environ[name] = TEST_USER


def pytest_unconfigure(config: pytest.Config) -> None:
    if _sandbox is not None:
        shutil.rmtree(_sandbox, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_real_home() -> Iterator[None]:
    """Every test starts and ends with HOME, the XDG folders and dealflow's default store
    inside the run's sandbox (a test that changes them must put them back)."""

    def check() -> None:
        from dealflow.bootstrap import user_data_dir

        assert _sandbox is not None
        for name in HOME_VARIABLES:
            assert Path(os.environ[name]).is_relative_to(_sandbox), f"{name} left the sandbox"
        assert user_data_dir().is_relative_to(_sandbox), "the default store left the sandbox"

    check()
    yield
    check()


START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SAMPLE_FILE = Path(__file__).parents[1] / "dealflow" / "samples" / "conveyor-deal.yaml"

SELLER = dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER)
BUYER = dealflow.Actor(name="Siti Rahmawati", role=dealflow.Role.BUYER)
MANAGER = dealflow.Actor(name="Maya Manager", role=dealflow.Role.MANAGER)
LEGAL = dealflow.Actor(name="Lukas Legal", role=dealflow.Role.LEGAL)
SERVICE = dealflow.Actor(name="Service desk", role=dealflow.Role.SERVICE)

#: The sample seller's people: the rep (who keeps the roster), a manager, legal, the desk.
TEAM = (
    dealflow.Member(
        id="budi", name="Budi Santoso", title="Sales Director", roles=("seller", "service", "admin")
    ),
    dealflow.Member(id="maya", name="Maya Manager", title="Sales Manager", roles=("manager",)),
    dealflow.Member(id="lukas", name="Lukas Legal", title="Legal Counsel", roles=("legal",)),
    dealflow.Member(id="desk", name="Service desk", title="Service Desk", roles=("service",)),
)
#: The member who plays each of the actors above (a buyer's act is recorded by budi).
MEMBER_OF = {member.name: member.id for member in TEAM}


def staffed(service: dealflow.DealService) -> dealflow.DealService:
    """The service acting as budi, on a store whose roster holds :data:`TEAM` (made on the
    store's first use: budi is its first member).

    On PostgreSQL the database login is the one identity: the service acts as the login's
    member, the store's first, with every role, as a one-person store (separation of duties
    off); the database's own rules are tested with a login per member elsewhere.
    """
    if service.store.login is not None:
        service.whoami()
        approvals = service.policy.approvals.model_copy(update={"separation_of_duties": False})
        service.policy = service.policy.model_copy(update={"approvals": approvals})
        # The database's guard too: its owner (the test login) turns the rule off for the store.
        service.store._db.execute(  # type: ignore[attr-defined]
            "INSERT INTO dealflow_meta (key, value) VALUES ('separation_of_duties', 'off') "
            "ON CONFLICT (key) DO UPDATE SET value = 'off'"
        )
        return service
    budi = service.acting_as("budi")
    if budi.roster.get("maya") is None:
        first = TEAM[0]
        budi.update_member("budi", name=first.name, title=first.title, roles=first.roles)
        for member in TEAM[1:]:
            budi.add_member(member)
    return budi


def by(service: dealflow.DealService, actor: dealflow.Actor) -> dealflow.DealService:
    """The same service acting as the member who plays ``actor`` (budi for the buyer; on
    PostgreSQL the login's one member)."""
    if service.store.login is not None:
        return service
    return service.acting_as(MEMBER_OF.get(actor.name, "budi"))


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
    svc = staffed(
        dealflow.DealService(dealflow.MemoryEventStore(), clock, clauses=clause_standards())
    )
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
