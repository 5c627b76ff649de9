"""A corpus of bad invocations and bad deal files, each run as a real ``dealflow`` subprocess.

Every case holds the command line's error contract: exit 1 with ONE line on stderr starting
``error: `` for a dealflow error, exit 2 with Click's usage box for a usage error; never exit 0,
never a traceback, never an escape sequence from the user's input echoed raw, nothing on
stdout; the message says something specific; and no file that existed before the run changes,
the store above all (compared event by event, not byte by byte, since SQLite may checkpoint).

Each test gets a copy of one store prepared once per module by running the real commands: a
deal in ``offered`` (the buyer must answer the seller's offer) and a deal in ``draft``.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_FILE

NOW = "2026-11-02T09:00Z"
SAMPLE = SAMPLE_FILE.read_text("utf-8")
HUGE = "A" * 100_000
SQL = "'; DROP TABLE events; --"
ANSI = "\x1b[2J\x1b[31mred\x1b[0m\x07"
UNDECODABLE = "bad\udcffbyte"  # a byte that is not UTF-8 on the command line (b"\xff")
#: Each run's address space (RLIMIT_AS): a command that reads without a limit fails at once
#: instead of filling the machine's memory (verify /dev/zero once grew past 22 GB). A whole
#: run, WeasyPrint and pyHanko loaded and a contract rendered, fits in 750 MiB here.
MEMORY_LIMIT = 1024**3


def _limit_memory() -> None:
    """Run in the child before dealflow starts (preexec_fn)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def sample_with(old: str, new: str) -> str:
    """The sample deal file with one piece of text replaced."""
    assert old in SAMPLE, old
    return SAMPLE.replace(old, new, 1)


WITHOUT_BUYER = re.sub(r"^buyer:\n(?:  .*\n)+", "", SAMPLE, flags=re.MULTILINE)
assert "\nbuyer:" not in WITHOUT_BUYER

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)


# Running dealflow ----------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """One test's directory: the store copy, a working folder, and the ids of the two deals."""

    root: Path
    store: Path
    offered: str
    draft: str
    signed: str = ""

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    def env(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
        environment.update(
            DEALFLOW_STORE=str(self.store),
            DEALFLOW_NOW=NOW,
            HOME=str(self.root / "home"),
            XDG_DATA_HOME=str(self.root / "xdg"),
        )
        return environment

    def fill(self, text: str) -> str:
        filled = text.replace("{deal}", self.offered).replace("{draft}", self.draft)
        return filled.replace("{signed}", self.signed)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dealflow", *(self.fill(a) for a in args)],
            cwd=self.cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="backslashreplace",
            timeout=60,  # a command blocked on a FIFO fails the test instead of hanging it
            check=False,
            preexec_fn=_limit_memory,
        )


def _prepare(root: Path) -> None:
    for folder in ("cwd", "home", "xdg", "store"):
        (root / folder).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A store made once per module with the real commands: one deal offered, one in draft."""
    root = tmp_path_factory.mktemp("template")
    _prepare(root)
    world = World(root=root, store=root / "store" / "deals.db", offered="", draft="")

    def ok(*args: str) -> str:
        result = world.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    offered = ok("new", str(SAMPLE_FILE))
    ok("present", offered, "--as", "seller")
    ok("offer", offered, "--as", "seller", "--discount", "5%")
    draft = ok("new", str(SAMPLE_FILE))
    signed = ok("new", str(SAMPLE_FILE))
    ok("present", signed, "--as", "seller")
    ok("offer", signed, "--as", "seller", "--discount", "5%")
    ok("accept", signed, "--as", "buyer")
    ok("agree", signed, "--as", "seller")
    ok("sign", signed, "--as", "seller")
    ok("sign", signed, "--as", "buyer", "--name", "Siti", "--title", "Manager")
    return World(root=root, store=world.store, offered=offered, draft=draft, signed=signed)


@pytest.fixture
def world(template: World, tmp_path: Path) -> World:
    """A fresh copy of the template store (with its WAL files, if any) for one test."""
    _prepare(tmp_path)
    here = World(root=tmp_path, store=tmp_path / "store" / "deals.db", **_ids(template))
    for suffix in ("", "-wal", "-shm"):
        source = template.store.with_name(template.store.name + suffix)
        if source.exists():
            shutil.copyfile(source, here.store.with_name(here.store.name + suffix))
    return here


def _ids(world: World) -> dict[str, str]:
    return {"offered": world.offered, "draft": world.draft, "signed": world.signed}


# The store fingerprint -----------------------------------------------------------------------


def fingerprint(root: Path) -> dict[str, object]:
    """Every file under ``root``: a SQLite store by its events, meta rows and kept files, others
    by hash; a symbolic link by where it points, a FIFO or device node by its kind (and device)."""
    prints: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            prints[name] = ("symlink", str(path.readlink()))
        elif stat.S_ISREG(mode) and not path.name.endswith(("-wal", "-shm", "-journal")):
            prints[name] = _file_print(path)
        elif not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
            prints[name] = ("special", stat.S_IFMT(mode), path.lstat().st_rdev)
    return prints


def _file_print(path: Path) -> object:
    data = path.read_bytes()
    if data.startswith(b"SQLite format 3\x00"):
        try:
            with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
                events = db.execute(
                    "SELECT deal_id, version, type, data FROM events ORDER BY deal_id, version"
                ).fetchall()
                meta = db.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
                # Kept files too: a refused signature must keep no scan of its page.
                kept = db.execute(
                    "SELECT deal_id, name, sha256 FROM artifacts ORDER BY deal_id, name"
                ).fetchall()
            return ("sqlite", events, meta, kept)
        except sqlite3.DatabaseError:
            pass
    return ("bytes", hashlib.sha256(data).hexdigest())


def store_rows(world: World) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(f"{world.store.as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT deal_id, max(version) FROM events GROUP BY deal_id").fetchall()
    return sorted(rows)


# Damaged stores, made from a copy of the test's store ---------------------------------------


def _damaged(sql: str) -> Callable[[World], None]:
    def make(world: World) -> None:
        with (
            closing(sqlite3.connect(world.store)) as source,
            closing(sqlite3.connect(world.cwd / "damaged.db")) as copy,
        ):
            source.backup(copy)
            copy.execute(sql)
            copy.commit()

    return make


def _sparse_file(name: str, size: int) -> Callable[[World], None]:
    def make(world: World) -> None:
        with (world.cwd / name).open("wb") as handle:
            handle.truncate(size)

    return make


# Special files, made in the working folder ---------------------------------------------------


def _fifo(name: str) -> Callable[[World], None]:
    def make(world: World) -> None:
        os.mkfifo(world.cwd / name)

    return make


def _symlink(name: str, target: str) -> Callable[[World], None]:
    def make(world: World) -> None:
        (world.cwd / name).symlink_to(target)

    return make


def _device(name: str) -> Callable[[World], None]:
    """A character device node like /dev/full (1, 7), made in the working folder: root only."""

    def make(world: World) -> None:
        if os.geteuid() != 0:
            pytest.skip("making a device node (mknod) needs root; CI runs as root")
        os.mknod(world.cwd / name, 0o600 | stat.S_IFCHR, os.makedev(1, 7))

    return make


def _all(*steps: Callable[[World], None]) -> Callable[[World], None]:
    def make(world: World) -> None:
        for step in steps:
            step(world)

    return make


# Issue 17, members and rights: a team's store, made from a copy of the test's store -----------

#: team.db's people besides budi (the store's first member, every role): a manager who may
#: approve up to 10%, one with no limit, legal, one person who is manager and legal, and a
#: seller who left. Cases that need them run with --store team.db.
TEAM_STORE = ("--store", "team.db")


def _team(*steps: Callable[[object, World], object]) -> Callable[[World], None]:
    """A copy of the test's store as team.db in the working folder, the team added and then
    ``steps(service, world)`` taken by budi; the test's own store stays as the template made it,
    and the fingerprint holds team.db unchanged by the command itself."""

    def make(world: World) -> None:
        from datetime import UTC, datetime

        import dealflow

        with (
            closing(sqlite3.connect(world.store)) as source,
            closing(sqlite3.connect(world.cwd / "team.db")) as copy,
        ):
            source.backup(copy)
        clock = dealflow.FixedClock(datetime(2026, 11, 2, 9, tzinfo=UTC))  # NOW
        budi = dealflow.connect(str(world.cwd / "team.db"), clock=clock, member="budi")
        for member_id, name, roles, limit in [
            ("maya", "Maya Manager", ("manager",), "10%"),
            ("arif", "Arif Wibowo", ("manager",), None),
            ("lukas", "Lukas Legal", ("legal",), None),
            ("ratna", "Ratna Sari", ("manager", "legal"), None),
            ("rina", "Rina Wati", ("seller",), None),
        ]:
            member = dealflow.Member(
                id=member_id, name=name, title="Staff", roles=roles, max_discount=limit
            )
            budi.add_member(member)
        budi.deactivate_member("rina")
        for step in steps:
            step(budi, world)
        budi.close()

    return make


def _pending(service: object, world: World, *, special: bool = False) -> None:
    """The offered deal agreed at 20% (the buyer's counter, accepted): above the 15% a repeat
    buyer gets (the template signed a deal with this buyer), so a manager must approve it;
    with a custom clause, legal too."""
    import dealflow

    assert isinstance(service, dealflow.DealService)
    buyer = dealflow.Actor(name="Siti", role=dealflow.Role.BUYER)
    seller = dealflow.Actor(name="Budi", role=dealflow.Role.SELLER)
    twenty = dealflow.TermsChange(discount=dealflow.Discount.parse("20%"))
    service.counter(world.offered, buyer, twenty)
    service.accept(world.offered, seller)
    if special:
        clause = dealflow.SpecialTerms(custom_clauses=("Penalty 0.1% per day late",))
        service.propose_special(world.offered, buyer, clause)
    assert service.agree(world.offered, seller).stage is dealflow.Stage.PENDING_APPROVAL


def _approved_by_ratna_as_manager(service: object, world: World) -> None:
    import dealflow

    assert isinstance(service, dealflow.DealService)
    _pending(service, world, special=True)
    manager = dealflow.Actor(name="Ratna", role=dealflow.Role.MANAGER)
    service.acting_as("ratna").approve(world.offered, manager)


def _awaiting_the_buyer(service: object, world: World) -> None:
    """The offered deal accepted and agreed at 5% (no approval), signed by budi."""
    import dealflow

    assert isinstance(service, dealflow.DealService)
    service.accept(world.offered, dealflow.Actor(name="Siti", role=dealflow.Role.BUYER))
    seller = dealflow.Actor(name="Budi", role=dealflow.Role.SELLER)
    service.agree(world.offered, seller)
    service.sign(world.offered, seller)


# The corpus ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad invocation: its arguments, the exit code it must give, a fragment of the message.

    ``{deal}`` in an argument is the deal in ``offered``, ``{draft}`` the one in ``draft``;
    ``files`` are written into the working folder first (relative names), then ``setup`` runs.
    """

    id: str
    args: tuple[str, ...]
    code: int | tuple[int, ...]
    fragment: str
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[World], None] | None = None


def case(
    id: str,
    *args: str,
    code: int | tuple[int, ...],
    says: str,
    files: Mapping[str, str | bytes] | None = None,
    setup: Callable[[World], None] | None = None,
) -> Case:
    return Case(id, args, code, says, files or {}, setup)


# The buyer's move in `offered`: with these, only the option value can be wrong.
COUNTER = ("counter", "{deal}", "--as", "buyer")

CASES = [
    # Issue 16, history order: an action dated before the deal's last event --------------------
    case(
        "accept-dated-years-before-the-offer",
        *("--now", "2020-01-01T09:00Z", "accept", "{deal}", "--as", "buyer"),
        code=1,
        says="2020-01-01 09:00:00 UTC, is before deal",
    ),
    case(
        "log-dated-before-the-offer",
        *(
            "log",
            "{deal}",
            "--channel",
            "phone",
            "--kind",
            "contact",
            "--note",
            "called",
            "--now",
            "2026-11-02T08:54Z",
        ),
        code=1,
        says="(more than 300 s of clock skew)",
    ),
    case(
        "clock-skew-negative",
        *("--clock-skew", "-1", "list"),
        code=2,
        says="--clock-skew",
    ),
    # After the sale (a signed deal) -----------------------------------------------------------
    case(
        "fulfil-unknown-item",
        *("fulfil", "{signed}", "installation-9"),
        code=1,
        says="no commitment 'installation-9'; its commitments: installation-1",
    ),
    case(
        "fulfil-before-signing",
        *("fulfil", "{deal}", "installation-1"),
        code=1,
        says="has no signed contract yet",
    ),
    case(
        "fulfil-as-buyer",
        *("fulfil", "{signed}", "payment-1", "--as", "buyer"),
        code=2,
        says="--as",
    ),
    case("waive-without-reason", *("waive", "{signed}", "training-1"), code=2, says="--reason"),
    case(
        "waive-blank-reason",
        *("waive", "{signed}", "training-1", "--reason", " "),
        code=1,
        says="a waiver needs a reason",
    ),
    case(
        "waive-as-service",
        *("waive", "{signed}", "training-1", "--reason", "x", "--as", "service"),
        code=2,
        says="--as",
    ),
    case(
        "claim-unknown-kind",
        *("claim", "{signed}", "--kind", "refund", "--note", "x"),
        code=2,
        says="--kind",
    ),
    case(
        "warranty-claim-before-signing",
        *("claim", "{deal}", "--note", "Broken"),
        code=1,
        says="no signed contract, so no warranty yet",
    ),
    case(
        "claim-against-a-non-warranty",
        *("claim", "{signed}", "--note", "Broken", "--item", "training-1"),
        code=1,
        says="training-1 is not a warranty",
    ),
    case("claim-blank-note", *("claim", "{signed}", "--note", "  "), code=1, says="needs a note"),
    case(
        "respond-unknown-claim",
        *("respond", "{signed}", "complaint-7", "--note", "x"),
        code=1,
        says="no claim 'complaint-7'; its claims: none",
    ),
    case("health-unknown-buyer", "health", "Nobody Ltd", code=1, says="matching 'Nobody Ltd'"),
    case("commitments-unknown-deal", "commitments", "nope", code=1, says="no deal with id 'nope'"),
    # Negotiation rules --------------------------------------------------------------------------
    case(
        "policy-floor-without-costs",
        *("--policy", "floor.yaml", "show", "{deal}"),
        code=1,
        says="min_margin needs unit_cost",
        files={"floor.yaml": 'floor: {min_margin: "15%"}\n'},
    ),
    case(
        "log-satisfaction-out-of-range",
        *("log", "{deal}", "--channel", "phone", "--kind", "feedback", "--csat", "9"),
        *("--note", "ok"),
        code=2,
        says="--csat",
    ),
    case(
        "log-unknown-channel",
        *("log", "{deal}", "--channel", "pigeon", "--kind", "contact", "--note", "coo"),
        code=2,
        says="--channel",
    ),
    case(
        "log-empty-note",
        *("log", "{deal}", "--channel", "email", "--kind", "contact", "--note", " "),
        code=1,
        says="needs a note",
    ),
    # The deal, the role, the turn, the stage: dealflow errors --------------------------------
    case("unknown-deal-show", "show", "nope", code=1, says="no deal with id 'nope'"),
    case("unknown-deal-accept", "accept", "nope", "--as", "buyer", code=1, says="no deal with id"),
    case("unknown-deal-next", "next", "nope", code=1, says="no deal with id 'nope'"),
    case(
        "wrong-role-present",
        *("present", "{draft}", "--as", "buyer"),
        code=2,
        says="a buyer cannot present; only seller can",
    ),
    case(
        "wrong-role-withdraw",
        *("withdraw", "{deal}", "--as", "buyer"),
        code=2,
        says="a buyer cannot withdraw",
    ),
    case(
        "present-when-offered",
        *("present", "{deal}", "--as", "seller"),
        code=1,
        says="cannot present a deal in stage 'offered'",
    ),
    case(
        "wrong-turn-counter",
        *("counter", "{deal}", "--as", "seller", "--discount", "3%"),
        code=1,
        says="the seller cannot counter now: it is the buyer's turn",
    ),
    case(
        "wrong-turn-accept",
        *("accept", "{deal}", "--as", "seller"),
        code=1,
        says="the seller cannot accept now",
    ),
    case(
        "wrong-turn-reject",
        *("reject", "{deal}", "--as", "seller", "--reason", "no"),
        code=1,
        says="the seller cannot reject now",
    ),
    case(
        "sign-when-offered",
        *("sign", "{deal}", "--as", "buyer", "--name", "Siti", "--title", "Manager"),
        code=1,
        says="cannot sign a deal in stage 'offered'",
    ),
    case(
        "agree-when-offered",
        *("agree", "{deal}", "--as", "buyer"),
        code=1,
        says="cannot agree a deal in stage 'offered'",
    ),
    case(
        "approve-when-offered",
        *("approve", "{deal}", "--as", "manager"),
        code=1,
        says="cannot approve a deal in stage 'offered'",
    ),
    case(
        "offer-in-draft",
        *("offer", "{draft}", "--as", "seller", "--discount", "5%"),
        code=1,
        says="cannot offer a deal in stage 'draft'",
    ),
    case(
        "special-when-offered",
        *("special", "{deal}", "--as", "buyer", "--purpose", "Plant 2"),
        code=1,
        says="cannot propose_special a deal in stage 'offered'",
    ),
    case("unknown-sku", *COUNTER, "--quantity", "NOPE=3", code=1, says="unknown SKU NOPE"),
    case(
        "subtotal-too-large",
        *COUNTER,
        *("--quantity", "CNV-200=1000000000"),
        code=1,
        says="larger than dealflow accepts",
    ),
    case("diff-unknown-version", "diff", "{deal}", "1", "99", code=1, says="no terms version 99"),
    # Option values: usage errors --------------------------------------------------------------
    case("discount-not-a-number", *COUNTER, "--discount", "abc", code=2, says="'abc'"),
    case("discount-over-100", *COUNTER, "--discount", "150%", code=2, says="between 0% and 100%"),
    case("discount-negative", *COUNTER, "--discount", "-5%", code=2, says="between 0% and 100%"),
    case("discount-nan", *COUNTER, "--discount", "NaN", code=2, says="not a finite number"),
    case("payment-days-negative", *COUNTER, "--payment-days", "-1", code=2, says="--payment-days"),
    case("payment-days-text", *COUNTER, "--payment-days", "x", code=2, says="--payment-days"),
    case("quantity-zero", *COUNTER, "--quantity", "SNS-10=0", code=2, says="'SNS-10=0'"),
    case("quantity-no-number", *COUNTER, "--quantity", "SNS-10", code=2, says="write SKU=N"),
    case(
        "quantity-twice",
        *COUNTER,
        *("--quantity", "SNS-10=1", "--quantity", "SNS-10=2"),
        code=2,
        says="SNS-10 is given twice",
    ),
    case("price-negative", *COUNTER, "--price", "SNS-10=-3", code=2, says="write SKU=PRICE"),
    case("valid-days-zero", *COUNTER, "--valid-days", "0", code=2, says="--valid-days"),
    case(
        "delivery-date-impossible",
        *COUNTER,
        *("--delivery-date", "2027-13-45"),
        code=2,
        says="'2027-13-45' is not a date",
    ),
    case(
        "split-date-in-words",
        *("special", "{deal}", "--as", "buyer", "--split", "CNV-200=1@tomorrow"),
        code=2,
        says="'tomorrow' is not a date",
    ),
    case(
        "split-without-date",
        *("special", "{deal}", "--as", "buyer", "--split", "CNV-200=1"),
        code=2,
        says="write SKU=N@YYYY-MM-DD",
    ),
    # Found by trying the command line from outside ------------------------------------------
    case(
        "delivery-date-far-future",
        *COUNTER,
        *("--delivery-date", "9999-12-31"),
        code=2,
        says="2999-12-31",
    ),
    case(
        "split-date-far-future",
        *("special", "{deal}", "--as", "buyer", "--split", "CNV-200=1@9999-12-31"),
        code=(1, 2),
        says="2999-12-31",
    ),
    case(
        "deal-file-delivery-far-future",
        "new",
        "far.yaml",
        code=1,
        says="2999-12-31",
        files={"far.yaml": sample_with("by: 2027-01-15", "by: 9999-12-31")},
    ),
    case(
        "discount-above-subtotal",
        *COUNTER,
        *("--discount", "999999999999"),
        code=1,
        says="is more than the subtotal of 345,000,000 IDR",
    ),
    case(
        "sign-blank-name",
        *("sign", "{deal}", "--as", "buyer", "--name", " \t ", "--title", "Director"),
        code=2,
        says="a name cannot be blank",
    ),
    case(
        "approve-with-a-name",
        *("approve", "{deal}", "--as", "legal", "--name", "Lukas"),
        code=2,
        says="No such option: --name",
    ),
    case(
        "present-note-too-long",
        *("present", "{draft}", "--as", "seller", "--note", HUGE),
        code=1,
        says="note: must be at most 5,000 characters long",
    ),
    case(
        "contract-unknown-version",
        *("contract", "{signed}", "--version", "99"),
        code=1,
        says="has no contract version 99; its versions are 1",
    ),
    case(
        "advise-chart-into-missing-folder",
        *("advise", "{deal}", "--simulate", "--chart", "missing/dance.svg"),
        code=1,
        says="folder missing does not exist",
    ),
    case(
        "contract-to-stdout-with-json",
        *("--json", "contract", "{signed}", "-o", "-"),
        code=2,
        says="leave out --json",
    ),
    case("now-far-future", "--now", "9999-12-31T12:00Z", "list", code=2, says="out of range"),
    case("now-before-1970", "--now", "1969-12-31T12:00Z", "list", code=2, says="out of range"),
    case("feed-after-huge", "feed", "--after", "9" * 30, code=2, says="--after"),
    case("now-in-words", "--now", "yesterday", "list", code=2, says="not an ISO 8601 time"),
    case("now-without-tz", "--now", "2027-01-15T09:00", "list", code=2, says="has no timezone"),
    case("now-impossible-date", "--now", "2026-02-30", "list", code=2, says="'2026-02-30'"),
    case("unknown-role", *COUNTER[:2], "--as", "boss", code=2, says="'boss' is not one of"),
    case(
        "unknown-signature-method",
        *("sign", "{deal}", "--as", "buyer", "--name", "S", "--title", "T", "--method", "quill"),
        code=2,
        says="'quill' is not one of",
    ),
    case(
        "sign-seller-with-a-title",
        *("sign", "{deal}", "--as", "seller", "--title", "Boss"),
        code=2,
        says="you sign with your own title from the roster",
    ),
    case(
        "sign-seller-with-a-name",
        *("sign", "{deal}", "--as", "seller", "--name", "Budi"),
        code=2,
        says="only for recording the buyer's act",
    ),
    case(
        "amend-without-reason",
        *("amend", "{deal}", "--as", "buyer"),
        code=2,
        says="Missing option '--reason'",
    ),
    case("counter-without-role", "counter", "{deal}", code=2, says="Missing option '--as'"),
    case("list-unknown-stage", "list", "--stage", "nonsense", code=2, says="'nonsense'"),
    case("unknown-command", "haggle", code=2, says="No such command 'haggle'"),
    case("show-without-id", "show", code=2, says="Missing argument"),
    case("diff-version-not-a-number", "diff", "{deal}", "x", "2", code=2, says="V1"),
    case("graph-unknown-format", "graph", "-o", "lifecycle.txt", code=2, says="FILE.md"),
    # Deal and policy files: dealflow errors -------------------------------------------------
    case("deal-file-missing", "new", "missing.yaml", code=1, says="missing.yaml: 1 problem"),
    case(
        "policy-file-missing",
        *("--policy", "missing.yaml", "show", "{deal}"),
        code=1,
        says="missing.yaml: 1 problem: no such file",
    ),
    case(
        "deal-file-invalid-yaml",
        *("new", "deal.yaml"),
        code=1,
        says="invalid YAML at line 2",
        files={"deal.yaml": "title: [unclosed\n  - a: b: c\n"},
    ),
    case(
        "deal-file-is-a-list",
        *("new", "deal.yaml"),
        code=1,
        says="this one is a list",
        files={"deal.yaml": "- title\n- currency\n"},
    ),
    case(
        "deal-file-alias-bomb",
        *("new", "deal.yaml"),
        code=1,
        says="too many YAML aliases",
        files={"deal.yaml": ALIAS_BOMB},
    ),
    case(
        "deal-file-negative-quantity",
        *("new", "deal.yaml"),
        code=1,
        says="items[0].quantity",
        files={"deal.yaml": sample_with("quantity: 2\n", "quantity: -2\n")},
    ),
    case(
        "deal-file-unknown-currency",
        *("new", "deal.yaml"),
        code=1,
        says="unknown currency 'XYZ'",
        files={"deal.yaml": sample_with("currency: IDR", "currency: XYZ")},
    ),
    case(
        "deal-file-discount-over-100",
        *("new", "deal.yaml"),
        code=1,
        says="discount: percentage 150%",
        files={"deal.yaml": SAMPLE + 'discount: "150%"\n'},
    ),
    case(
        "deal-file-without-buyer",
        *("new", "deal.yaml"),
        code=1,
        says="buyer: is required",
        files={"deal.yaml": WITHOUT_BUYER},
    ),
    case(
        "deal-file-python-tag",
        *("new", "deal.yaml"),
        code=1,
        says="!!python/object/apply:os.system is not allowed",
        files={"deal.yaml": "!!python/object/apply:os.system ['echo pwned']\n"},
    ),
    case(
        "deal-file-python-tag-inside",
        *("new", "deal.yaml"),
        code=1,
        says="is not allowed",
        files={
            "deal.yaml": sample_with(
                "title: Conveyor line upgrade for Plant 2", "title: !!python/object:os.system {}"
            )
        },
    ),
    case(
        "deal-file-unknown-key",
        *("new", "deal.yaml"),
        code=1,
        says="colour: is not a known field",
        files={"deal.yaml": SAMPLE + "colour: red\n"},
    ),
    case(
        "deal-file-several-problems",
        *("new", "deal.yaml"),
        code=1,
        says="2 problems",
        files={
            "deal.yaml": sample_with("currency: IDR", "currency: RPH").replace(
                "quantity: 10\n", "quantity: 0\n"
            )
        },
    ),
    case(
        "deal-file-repeated-key",
        *("new", "deal.yaml"),
        code=1,
        says="the key 'title' appears twice",
        files={"deal.yaml": "title: one\ntitle: two\n"},
    ),
    case(
        "deal-file-bad-json",
        *("new", "deal.json"),
        code=1,
        says="invalid JSON",
        files={"deal.json": '{"title": "x",\n "items": [\n'},
    ),
    case(
        "deal-file-empty",
        *("new", "deal.yaml"),
        code=1,
        says="this one is empty",
        files={"deal.yaml": ""},
    ),
    case(
        "deal-file-nested-too-deep",
        *("new", "deal.yaml"),
        code=1,
        says="nested too deeply",
        files={"deal.yaml": "[" * 100_000 + "\n"},
    ),
    case(
        "deal-file-too-large",
        *("new", "deal.yaml"),
        code=1,
        says="larger than 8,388,608 bytes",
        setup=_sparse_file("deal.yaml", 9 * 1024 * 1024),
    ),
    case(
        "deal-file-is-a-folder",
        *("new", "folder"),
        code=1,
        says="folder: 1 problem: is a folder",
        files={"folder/keep.txt": "x"},
    ),
    case(
        "deal-file-binary-garbage",
        *("new", "deal.yaml"),
        code=1,
        says="not UTF-8",
        files={"deal.yaml": bytes(range(256)) * 16},
    ),
    case(
        "policy-file-unknown-fields",
        *("--policy", "policy.yaml", "show", "{deal}"),
        code=1,
        says="bogus: is not a known field",
        files={"policy.yaml": 'discount_ceilings: {prospect: "5%"}\nbogus: 1\n'},
    ),
    case(
        "policy-file-inconsistent",
        *("--policy", "policy.yaml", "sweep"),
        code=1,
        says="loyal_after_signed_deals must not be below",
        files={
            "policy.yaml": "buyer_classes: {repeat_after_signed_deals: 5, "
            "loyal_after_signed_deals: 2}\n"
        },
    ),
    case(
        "policy-file-is-text",
        *("--policy", "policy.yaml", "list"),
        code=1,
        says="a policy file must be a mapping",
        files={"policy.yaml": "just some text\n"},
    ),
    # Issue 16, values: store URLs, invisible names, amounts ---------------------------------
    case(
        "store-url-port-not-a-number",
        *("--store", "postgresql://u@h:abc/db", "list"),
        code=1,
        says="the store URL postgresql://u@h:abc/db is malformed: the port 'abc' is not a number",
    ),
    case(
        "store-url-ipv6-not-closed",
        *("--store", "postgresql://u@[::1/db", "list"),
        code=1,
        says="an IPv6 address opened with [ is not closed with ]",
    ),
    case(
        "store-url-port-out-of-range",
        *("--store", "postgresql://u@h:70000/db", "show", "{deal}"),
        code=1,
        says="the port 70000 is out of range; a port is a number from 1 to 65535",
    ),
    case(
        "store-url-password-hidden",
        *("--store", "postgresql://u:S3cr3t-pw@h:abc/db", "list"),
        code=1,
        says="postgresql://u:***@h:abc/db is malformed",
    ),
    case(
        "store-url-password-with-a-slash",
        *("--store", "postgresql://u:S3cr3t/pw@h/db", "list"),
        code=1,
        says="the store URL is malformed: an @ comes after a /",
    ),
    case(
        "sign-invisible-name",
        *("sign", "{deal}", "--as", "buyer", "--name", "\u200b\u200d", "--title", "Director"),
        code=2,
        says="a name cannot be blank",
    ),
    case(
        "accept-hangul-filler-name",
        *("accept", "{deal}", "--as", "buyer", "--name", "\u3164\u2800"),
        code=2,
        says="a name cannot be blank",
    ),
    case(
        "log-invisible-note",
        *("log", "{deal}", "--channel", "email", "--kind", "contact", "--note", "\ufeff\u2060"),
        code=1,
        says="needs a note",
    ),
    case(
        "deal-file-invisible-buyer",
        *("new", "deal.yaml"),
        code=1,
        says="buyer.name: cannot be blank: it has only invisible characters",
        files={"deal.yaml": sample_with("name: PT Sinar Abadi Minuman", 'name: "\\u200b"')},
    ),
    case(
        "deal-file-invisible-title",
        *("new", "deal.yaml"),
        code=1,
        says="title: cannot be blank: it has only invisible characters",
        files={"deal.yaml": sample_with("title: Conveyor line", 'title: "\\u200c"\n#')},
    ),
    case(
        "price-finer-than-the-currency",
        *COUNTER,
        *("--price", "SNS-10=0.0000001"),
        code=1,
        says="the unit price of SNS-10, 0.0000001 IDR, is not a whole number",
    ),
    case(
        "price-in-fractions-of-a-rupiah",
        *COUNTER,
        *("--price", "SNS-10=4500000.123456789"),
        code=1,
        says="a contract quotes IDR in whole units; write 4500000",
    ),
    case(
        "discount-amount-in-fractions-of-a-rupiah",
        *COUNTER,
        *("--discount", "1500000.5"),
        code=1,
        says="the discount, 1,500,000.5 IDR, is not a whole number",
    ),
    case(
        "deal-file-unit-price-finer-than-the-currency",
        *("new", "deal.yaml"),
        code=1,
        says="the unit price of SNS-10, 4,500,000.123456789 IDR, is not a whole number",
        files={"deal.yaml": sample_with('"4500000"', '"4500000.123456789"')},
    ),
    case(
        "policy-floor-finer-than-any-currency",
        *("--policy", "policy.yaml", "show", "{deal}"),
        code=1,
        says="floor.min_unit_price.SNS-10: amount 0.00001 has more than 4 decimals",
        files={"policy.yaml": 'floor: {min_unit_price: {SNS-10: "0.00001"}}\n'},
    ),
    # Issue 16, messages: plain words, usage errors exit 2, the seal checked first -----------
    case("as-unknown-role", *COUNTER[:2], "--as", "god", code=2, says="'god' is not one of"),
    case(
        "counter-as-manager",
        *COUNTER[:2],
        *("--as", "manager"),
        code=2,
        says="a manager cannot counter; only seller or buyer can",
    ),
    case(
        "approve-as-seller",
        *("approve", "{deal}", "--as", "seller"),
        code=2,
        says="a seller cannot approve; only manager or legal can",
    ),
    case(
        "respond-as-buyer",
        *("respond", "{signed}", "complaint-1", "--note", "x", "--as", "buyer"),
        code=2,
        says="a buyer cannot answer claims; only seller, manager or service can",
    ),
    case(
        "log-unknown-kind",
        *("log", "{deal}", "--channel", "phone", "--kind", "x"),
        *("--note", "n"),
        code=2,
        says="'x' is not one of 'contact'",
    ),
    case("discount-1e999", *COUNTER, "--discount", "1e999", code=2, says="larger than dealflow"),
    case(
        "price-1e999", *COUNTER, "--price", "SNS-10=1e999", code=2, says="--price: amount '1e999'"
    ),
    case(
        "delivery-date-year-1",
        *COUNTER,
        *("--delivery-date", "0001-01-01"),
        code=2,
        says="--delivery-date: a date in terms must be from 1900-01-01 to 2999-12-31",
    ),
    case(
        "split-date-year-1",
        *("special", "{deal}", "--as", "buyer", "--split", "CNV-200=1@0001-01-01"),
        code=2,
        says="--split: 'CNV-200=1@0001-01-01': a date in terms must be from 1900-01-01",
    ),
    case(
        "delivery-by-year-1",
        *("special", "{deal}", "--as", "buyer", "--delivery-by", "0001-01-01"),
        code=2,
        says="--delivery-by: a date in terms must be from 1900-01-01",
    ),
    case("list-min-total-1e999", "list", "--min-total", "1e999", code=2, says="--min-total"),
    case("list-max-total-nan", "list", "--max-total", "NaN", code=2, says="not a finite number"),
    case("list-min-total-negative", "list", "--min-total", "-5", code=2, says="'-5' is below 0"),
    case(
        "csat-too-high",
        *("log", "{deal}", "--channel", "phone", "--kind", "feedback"),
        *("--csat", "9", "--note", "n"),
        code=2,
        says="--csat': must be 5 or less",
    ),
    case(
        "diff-version-in-words", "diff", "{deal}", "one", "2", code=2, says="must be a whole number"
    ),
    case(
        "demo-cert-is-a-folder",
        *("--cert", "keys", "demo"),
        code=1,
        says="seal certificate 'keys' is a folder, not a certificate file",
        files={"keys/readme.txt": "not a certificate\n"},
    ),
    case(
        "demo-cert-folder-with-dev-seal",
        *("--cert", "keys", "demo"),
        code=1,
        says="did you mean 'keys/dev-seal.p12'?",
        files={"keys/dev-seal.p12": b"\x00not a real certificate"},
    ),
    case(
        "demo-cert-unreadable",
        *("--cert", "bad.p12", "demo"),
        code=1,
        says="cannot open seal certificate 'bad.p12'",
        files={"bad.p12": b"\x00\x01junk"},
    ),
    case(
        "contract-cert-is-a-folder",
        *("--cert", "keys", "contract", "{signed}", "-o", "contract.pdf"),
        code=1,
        says="is a folder, not a certificate file",
        files={"keys/readme.txt": "not a certificate\n"},
    ),
    # Issue 16, special files and file limits ---------------------------------------------
    case(
        "verify-dev-zero",
        *("verify", "/dev/zero"),
        code=1,
        says="/dev/zero: is a character device, not a regular file",
    ),
    case(
        "verify-fifo",
        *("verify", "x.pdf"),
        code=1,
        says="x.pdf: is a named pipe (FIFO), not a regular file",
        setup=_fifo("x.pdf"),
    ),
    case(
        "verify-link-to-a-device",
        *("verify", "zero.pdf"),
        code=1,
        says="zero.pdf: is a character device, not a regular file",
        setup=_symlink("zero.pdf", "/dev/zero"),
    ),
    case(
        "verify-device-node",
        *("verify", "full.pdf"),
        code=1,
        says="full.pdf: is a character device, not a regular file",
        setup=_device("full.pdf"),
    ),
    case(
        "verify-dangling-link",
        *("verify", "gone.pdf"),
        code=1,
        says="No such file or directory: gone.pdf",
        setup=_symlink("gone.pdf", "nowhere.pdf"),
    ),
    case(
        "verify-folder",
        *("verify", "folder"),
        code=1,
        says="folder: is a folder, not a regular file",
        files={"folder/keep.txt": "x"},
    ),
    case(
        "verify-too-large",
        *("verify", "big.pdf"),
        code=1,
        says="big.pdf: the file is larger than 67,108,864 bytes",
        setup=_sparse_file("big.pdf", 65 * 1024 * 1024),
    ),
    case(
        "deal-file-fifo",
        *("new", "deal.yaml"),
        code=1,
        says="deal.yaml: 1 problem: is a named pipe (FIFO), not a deal file",
        setup=_fifo("deal.yaml"),
    ),
    case(
        "deal-file-link-to-a-fifo",
        *("new", "deal.yaml"),
        code=1,
        says="deal.yaml: 1 problem: is a named pipe (FIFO), not a deal file",
        setup=_all(_fifo("pipe"), _symlink("deal.yaml", "pipe")),
    ),
    case(
        "deal-file-dev-zero",
        *("new", "/dev/zero"),
        code=1,
        says="/dev/zero: 1 problem: is a character device, not a deal file",
    ),
    case(
        "deal-file-device-node",
        *("new", "full.yaml"),
        code=1,
        says="full.yaml: 1 problem: is a character device, not a deal file",
        setup=_device("full.yaml"),
    ),
    case(
        "policy-file-fifo",
        *("--policy", "policy.yaml", "show", "{deal}"),
        code=1,
        says="policy.yaml: 1 problem: is a named pipe (FIFO), not a policy file",
        setup=_fifo("policy.yaml"),
    ),
    case(
        "policy-file-dev-zero",
        *("--policy", "/dev/zero", "list"),
        code=1,
        says="/dev/zero: 1 problem: is a character device, not a policy file",
    ),
    case(
        "contract-to-a-link",
        *("contract", "{signed}", "-o", "out.pdf"),
        code=1,
        says="cannot write out.pdf: it is a symbolic link; name the file itself",
        files={"mine.pdf": "the user's own file\n"},
        setup=_symlink("out.pdf", "mine.pdf"),
    ),
    case(
        "contract-to-a-dangling-link",
        *("contract", "{signed}", "-o", "out.pdf"),
        code=1,
        says="cannot write out.pdf: it is a symbolic link",
        setup=_symlink("out.pdf", "elsewhere.pdf"),
    ),
    case(
        "contract-to-a-fifo",
        *("contract", "{signed}", "-o", "out.pdf"),
        code=1,
        says="cannot write out.pdf: it is a named pipe (FIFO); dealflow writes only regular files",
        setup=_fifo("out.pdf"),
    ),
    case(
        "contract-to-a-device-node",
        *("contract", "{signed}", "-o", "full"),
        code=1,
        says="cannot write full: it is a character device; dealflow writes only regular files",
        setup=_device("full"),
    ),
    case(
        "graph-to-a-link",
        *("graph", "-o", "lifecycle.md"),
        code=1,
        says="cannot write lifecycle.md: it is a symbolic link",
        files={"mine.md": "the user's own notes\n"},
        setup=_symlink("lifecycle.md", "mine.md"),
    ),
    case(
        "graph-to-a-dangling-link",
        *("graph", "-o", "lifecycle.md"),
        code=1,
        says="cannot write lifecycle.md: it is a symbolic link",
        setup=_symlink("lifecycle.md", "elsewhere.md"),
    ),
    case(
        "graph-to-a-fifo",
        *("graph", "-o", "lifecycle.md"),
        code=1,
        says="cannot write lifecycle.md: it is a named pipe (FIFO)",
        setup=_fifo("lifecycle.md"),
    ),
    case(
        "graph-to-a-device-node",
        *("graph", "-o", "full.md"),
        code=1,
        says="cannot write full.md: it is a character device",
        setup=_device("full.md"),
    ),
    case(
        "advise-chart-to-a-link",
        *("advise", "{deal}", "--chart", "dance.svg"),
        code=1,
        says="cannot write dance.svg: it is a symbolic link",
        files={"mine.svg": "<svg/>\n"},
        setup=_symlink("dance.svg", "mine.svg"),
    ),
    case(
        "advise-chart-to-a-fifo",
        *("advise", "{deal}", "--chart", "dance.svg"),
        code=1,
        says="cannot write dance.svg: it is a named pipe (FIFO)",
        setup=_fifo("dance.svg"),
    ),
    case(
        "advise-chart-to-a-device-node",
        *("advise", "{deal}", "--chart", "full.svg"),
        code=1,
        says="cannot write full.svg: it is a character device",
        setup=_device("full.svg"),
    ),
    case(
        "demo-into-a-fifo",
        *("demo", "-o", "pipe"),
        code=1,
        says="cannot make the folder pipe",
        setup=_fifo("pipe"),
    ),
    case(
        "demo-into-a-link-to-a-file",
        *("demo", "-o", "contracts"),
        code=1,
        says="cannot make the folder contracts",
        files={"mine.txt": "the user's own file\n"},
        setup=_symlink("contracts", "mine.txt"),
    ),
    case(
        "keys-dev-over-a-dangling-link",
        *("keys", "dev", "keys"),
        code=2,
        says="keys/dev-seal.p12 exists",
        files={"keys/readme.txt": "x"},
        setup=_symlink("keys/dev-seal.p12", "../elsewhere.p12"),
    ),
    case(
        "keys-dev-over-a-fifo",
        *("keys", "dev", "keys"),
        code=2,
        says="keys/dev-seal.p12 exists",
        files={"keys/readme.txt": "x"},
        setup=_fifo("keys/dev-seal.p12"),
    ),
    # Stores: dealflow errors ----------------------------------------------------------------
    case(
        "store-postgresql",
        *("--store", "postgresql://dealflow@127.0.0.1:1/deals", "show", "{deal}"),
        code=1,
        says="cannot reach PostgreSQL at 127.0.0.1:1/deals; is the server running",
    ),
    case("store-ftp", "--store", "ftp://x", "list", code=1, says="unknown store ftp://"),
    case("store-sqlite-no-file", "--store", "sqlite://", "list", code=1, says="names no file"),
    case(
        "store-not-a-database",
        *("--store", "junk.db", "show", "{deal}"),
        code=1,
        says="not a dealflow database",
        files={"junk.db": bytes(range(256)) * 20},
    ),
    case(
        "store-in-missing-folder",
        *("--store", "no/such/folder/deals.db", "show", "{deal}"),
        code=1,
        says="the folder no/such/folder of the store no/such/folder/deals.db does not exist",
    ),
    case(
        "store-under-a-file",
        *("--store", "afile/deals.db", "list"),
        code=1,
        says="afile",
        files={"afile": "not a folder\n"},
    ),
    case(
        "store-from-newer-dealflow",
        *("--store", "damaged.db", "list"),
        code=1,
        says="written by a newer dealflow",
        setup=_damaged("UPDATE meta SET value = '99' WHERE key = 'schema_version'"),
    ),
    case(
        "store-with-unreadable-event",
        *("--store", "damaged.db", "show", "{deal}"),
        code=1,
        says="cannot be read",
        setup=_damaged("UPDATE events SET data = 'not json' WHERE version = 2"),
    ),
    case(
        "store-with-garbled-schema-version",
        *("--store", "damaged.db", "list"),
        code=1,
        says="damaged.db",
        setup=_damaged("UPDATE meta SET value = 'abc' WHERE key = 'schema_version'"),
    ),
    case(
        "store-path-with-newline",
        *("--store", "junk\nfolder/deals.db", "list"),
        code=1,
        says="not a dealflow database",
        files={"junk\nfolder/deals.db": bytes(range(256)) * 20},
    ),
    # Hostile strings -----------------------------------------------------------------------
    case("id-sql-injection", "show", SQL, code=1, says="no deal with id"),
    case("id-sql-injection-action", "accept", SQL, "--as", "buyer", code=1, says="no deal with id"),
    case("id-path-traversal", "history", "../../etc/passwd", code=1, says="'../../etc/passwd'"),
    case("id-100kB", "show", HUGE, code=1, says="no deal with id 'AAAA"),
    case("id-ansi-escapes", "show", ANSI, code=1, says="no deal with id"),
    case("id-undecodable-bytes", "show", UNDECODABLE, code=2, says="argument 2 is not valid UTF-8"),
    case("sku-100kB", *COUNTER, "--quantity", f"{HUGE}=3", code=1, says="unknown SKU AAAA"),
    case(
        "note-100kB-refused",
        *("counter", "{deal}", "--as", "seller", "--note", HUGE),
        code=1,
        says="it is the buyer's turn",
    ),
    case(
        "note-control-characters-refused",
        *("counter", "{deal}", "--as", "seller", "--note", f"evil{ANSI}\r\nforged line"),
        code=1,
        says="it is the buyer's turn",
    ),
    case(
        "name-undecodable-bytes",
        *("accept", "{deal}", "--as", "buyer", "--name", UNDECODABLE),
        code=2,
        says="argument 6 is not valid UTF-8",
    ),
    case(
        "note-undecodable-bytes",
        *("present", "{draft}", "--as", "seller", "--note", UNDECODABLE),
        code=2,
        says="argument 6 is not valid UTF-8",
    ),
    case(
        "deal-file-name-with-newline",
        *("new", "missing\nforged: line.yaml"),
        code=1,
        says="no such file",
    ),
    case(
        "graph-into-missing-folder",
        *("graph", "-o", "missingfolder/lifecycle.md"),
        code=(1, 2),
        says="missingfolder",
    ),
    # Issue 17, members and rights -----------------------------------------------------------
    case(
        "user-not-a-member",
        *("--user", "nobody", "accept", "{deal}", "--as", "buyer"),
        code=1,
        says="nobody is not a member of this store; an admin adds them",
    ),
    case(
        "user-not-a-member-whoami",
        *("--user", "nobody", "whoami"),
        code=1,
        says="nobody is not a member of this store",
    ),
    case(
        "user-not-a-member-opens-no-deal",
        *("--user", "nobody", "new", str(SAMPLE_FILE)),
        code=1,
        says="nobody is not a member of this store",
    ),
    case(
        "user-inactive",
        *TEAM_STORE,
        *("--user", "rina", "accept", "{deal}", "--as", "buyer"),
        code=1,
        says="rina (Rina Wati) is no longer an active member",
        setup=_team(),
    ),
    case(
        "role-not-held-to-record-the-buyer",
        *TEAM_STORE,
        *("--user", "maya", "accept", "{deal}", "--as", "buyer"),
        code=1,
        says="maya (Maya Manager) does not hold the seller role needed to record the buyer's acts",
        setup=_team(),
    ),
    case(
        "role-not-held-to-approve",
        *TEAM_STORE,
        *("--user", "lukas", "approve", "{deal}", "--as", "manager"),
        code=1,
        says="lukas (Lukas Legal) does not hold the manager role needed to act as manager; "
        "manager here: arif (Arif Wibowo), budi (budi), maya (Maya Manager), ratna (Ratna Sari)",
        setup=_team(_pending),
    ),
    case(
        "role-not-held-to-withdraw",
        *TEAM_STORE,
        *("--user", "arif", "withdraw", "{deal}", "--as", "seller"),
        code=1,
        says="arif (Arif Wibowo) does not hold the seller role",
        setup=_team(),
    ),
    case(
        "approve-above-limits-names-who-may",
        *TEAM_STORE,
        *("--user", "maya", "approve", "{deal}", "--as", "manager"),
        code=1,
        says="maya may approve a discount up to 10%; this deal has a discount of 20% and a total "
        "of 276,000,000: who may approve it: arif (Arif Wibowo), ratna (Ratna Sari)",
        setup=_team(_pending),
    ),
    case(
        "approve-own-deal",
        *TEAM_STORE,
        *("--user", "budi", "approve", "{deal}", "--as", "manager"),
        code=1,
        says="budi owns this deal and cannot approve it (separation of duties",
        setup=_team(_pending),
    ),
    case(
        "approve-as-manager-then-legal",
        *TEAM_STORE,
        *("--user", "ratna", "approve", "{deal}", "--as", "legal"),
        code=1,
        says="ratna already approved these terms as manager and cannot approve it",
        setup=_team(_approved_by_ratna_as_manager),
    ),
    case(
        "approve-twice-in-the-same-role",
        *TEAM_STORE,
        *("--user", "ratna", "approve", "{deal}", "--as", "manager"),
        code=1,
        says="manager has already approved these terms",
        setup=_team(_approved_by_ratna_as_manager),
    ),
    case(
        "roster-add-by-non-admin",
        *TEAM_STORE,
        *("--user", "maya", "members", "add", "eve", "--name", "Eve", "--title", "Sales"),
        *("--role", "admin"),
        code=1,
        says="maya (Maya Manager) does not hold the admin role needed to change the roster",
        setup=_team(),
    ),
    case(
        "roster-deactivate-by-non-admin",
        *TEAM_STORE,
        *("--user", "lukas", "members", "deactivate", "budi"),
        code=1,
        says="lukas (Lukas Legal) does not hold the admin role needed to change the roster",
        setup=_team(),
    ),
    case(
        "roster-update-own-roles-by-non-admin",
        *TEAM_STORE,
        *("--user", "maya", "members", "update", "maya", "--no-limits"),
        code=1,
        says="maya (Maya Manager) does not hold the admin role needed to change the roster",
        setup=_team(),
    ),
    case(
        "roster-change-by-inactive-admin",
        *TEAM_STORE,
        *("--user", "rina", "members", "update", "rina", "--active"),
        code=1,
        says="rina (Rina Wati) is no longer an active member",
        setup=_team(),
    ),
    case(
        "deactivate-the-last-admin",
        *("members", "deactivate", "budi"),
        code=1,
        says="budi is the last active admin; make another member admin first",
    ),
    case(
        "update-the-last-admin-out-of-admin",
        *("members", "update", "budi", "--role", "seller"),
        code=1,
        says="budi is the last active admin",
    ),
    case(
        "members-add-existing",
        *("members", "add", "budi", "--name", "Budi", "--title", "Rep", "--role", "seller"),
        code=1,
        says="budi is already a member; change them with update",
    ),
    case(
        "members-update-unknown",
        *("members", "update", "ghost", "--name", "Ghost"),
        code=1,
        says="ghost is not a member of this store",
    ),
    case(
        "members-add-without-role",
        *("members", "add", "eve", "--name", "Eve", "--title", "Sales"),
        code=2,
        says="give at least one --role",
    ),
    case(
        "members-add-unknown-role",
        *("members", "add", "eve", "--name", "Eve", "--title", "Sales", "--role", "god"),
        code=2,
        says="'god' is not one of",
    ),
    case(
        "members-add-limit-over-100",
        *("members", "add", "eve", "--name", "Eve", "--title", "Sales", "--role", "manager"),
        *("--max-discount", "150%"),
        code=2,
        says="between 0% and 100%",
    ),
    case(
        "scan-not-pdf-png-or-jpeg",
        *(*TEAM_STORE, "sign", "{deal}", "--as", "buyer", "--method", "wet-ink"),
        *("--scan", "page.gif"),
        code=1,
        says="the scan of the signed page must be a PDF, PNG or JPEG file",
        files={"page.gif": b"GIF89a" + bytes(64)},
        setup=_team(_awaiting_the_buyer),
    ),
    case(
        "scan-named-pdf-but-html",
        *(*TEAM_STORE, "sign", "{deal}", "--as", "buyer", "--method", "wet-ink"),
        *("--scan", "page.pdf"),
        code=1,
        says="must be a PDF, PNG or JPEG file",
        files={"page.pdf": "<html><body>%PDF-1.7</body></html>"},
        setup=_team(_awaiting_the_buyer),
    ),
    case(
        "scan-empty",
        *(*TEAM_STORE, "sign", "{deal}", "--as", "buyer", "--method", "wet-ink"),
        *("--scan", "page.pdf"),
        code=1,
        says="the scan of the signed page is empty",
        files={"page.pdf": b""},
        setup=_team(_awaiting_the_buyer),
    ),
    case(
        "scan-over-20-mb",
        *(*TEAM_STORE, "sign", "{deal}", "--as", "buyer", "--method", "wet-ink"),
        *("--scan", "page.pdf"),
        code=1,
        says="page.pdf: the file is larger than 20,000,000 bytes",
        setup=_all(_team(_awaiting_the_buyer), _sparse_file("page.pdf", 20_000_001)),
    ),
    case(
        "scan-by-member-without-seller-role",
        *(*TEAM_STORE, "--user", "maya", "sign", "{deal}", "--as", "buyer"),
        *("--method", "wet-ink", "--scan", "page.pdf"),
        code=1,
        says="maya (Maya Manager) does not hold the seller role",
        files={"page.pdf": b"%PDF-1.7\n% the signed page\n%%EOF\n"},
        setup=_team(_awaiting_the_buyer),
    ),
    case(
        "scan-with-seller-role",
        *("sign", "{deal}", "--as", "seller", "--scan", "page.pdf"),
        code=2,
        says="a scan is for a buyer's signature you record",
        files={"page.pdf": b"%PDF-1.7\n"},
    ),
    case(
        "scan-without-wet-ink",
        *("sign", "{deal}", "--as", "buyer", "--scan", "page.pdf"),
        code=2,
        says="a scan goes with --method wet-ink",
        files={"page.pdf": b"%PDF-1.7\n"},
    ),
    case(
        "name-with-seller-role",
        *("counter", "{deal}", "--as", "seller", "--name", "Bob"),
        code=2,
        says="only for recording the buyer's act (--as buyer)",
    ),
    case(
        "via-with-seller-role",
        *("counter", "{deal}", "--as", "seller", "--via", "email"),
        code=2,
        says="only for recording the buyer's act (--as buyer)",
    ),
    case(
        "title-with-seller-signature",
        *("sign", "{deal}", "--as", "seller", "--title", "CEO"),
        code=2,
        says="you sign with your own title from the roster",
    ),
    # --json: the error still goes to stderr, and stdout stays empty ---------------------------
    case("json-unknown-deal", "--json", "show", "nope", code=1, says="no deal with id 'nope'"),
    case(
        "json-wrong-turn",
        *("--json", "counter", "{deal}", "--as", "seller"),
        code=1,
        says="it is the buyer's turn",
    ),
    case(
        "json-bad-deal-file",
        *("--json", "new", "deal.yaml"),
        code=1,
        says="unknown currency 'XYZ'",
        files={"deal.yaml": sample_with("currency: IDR", "currency: XYZ")},
    ),
    case("json-bad-store", "--json", "--store", "ftp://x", "list", code=1, says="unknown store"),
    case(
        "json-bad-option",
        *("--json", *COUNTER, "--discount", "abc"),
        code=2,
        says="'abc'",
    ),
    # Issue 16, found from outside -----------------------------------------------------------
    case(
        "cert-too-large",
        *("--cert", "huge.p12", "demo", "-o", "out"),
        code=1,
        says="seal certificate 'huge.p12': the file is larger than 1,048,576 bytes",
        setup=_sparse_file("huge.p12", 2 * 1024**3),
    ),
    case(
        "contract-cert-too-large",
        *("contract", "{signed}", "-o", "c.pdf", "--cert", "huge.p12"),
        code=1,
        says="seal certificate 'huge.p12': the file is larger than 1,048,576 bytes",
        setup=_sparse_file("huge.p12", 2 * 1024**3),
    ),
    case(
        "cert-fifo",
        *("--cert", "seal.p12", "demo", "-o", "out"),
        code=1,
        says="seal certificate 'seal.p12': is a named pipe (FIFO), not a certificate file",
        setup=_fifo("seal.p12"),
    ),
    case(
        "contract-templates-css-too-large",
        *("--templates", "tpl", "contract", "{signed}", "-o", "c.pdf"),
        code=1,
        says="contract.css: the file is larger than 262,144 bytes",
        files={"tpl/clauses/.keep": ""},
        setup=_sparse_file("tpl/contract.css", 2 * 1024**3),
    ),
    case(
        "contract-templates-css-fifo",
        *("--templates", "tpl", "contract", "{signed}", "-o", "c.pdf"),
        code=1,
        says="contract.css: is a named pipe (FIFO), not a template file",
        files={"tpl/clauses/.keep": ""},
        setup=_fifo("tpl/contract.css"),
    ),
    case(
        "contract-templates-image-too-large",
        *("--templates", "tpl", "contract", "{signed}", "-o", "c.pdf"),
        code=1,
        says="big.png': the file is larger than 16,777,216 bytes",
        files={"tpl/contract.css": 'body { background-image: url("big.png"); }\n'},
        setup=_sparse_file("tpl/big.png", 17 * 1024 * 1024),
    ),
    case(
        "templates-check-clause-file-too-large",
        *("templates", "check", "tpl"),
        code=1,
        says="big.yaml: 1 problem: the file is larger than 1,048,576 bytes",
        files={"tpl/clauses/.keep": ""},
        setup=_sparse_file("tpl/clauses/big.yaml", 2 * 1024**3),
    ),
    case(
        "templates-check-clause-file-fifo",
        *("templates", "check", "tpl"),
        code=1,
        says="p.yaml: 1 problem: is a named pipe (FIFO), not a clause file",
        files={"tpl/clauses/.keep": ""},
        setup=_fifo("tpl/clauses/p.yaml"),
    ),
]


def _write(world: World, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = world.cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")


def assert_refused(result: subprocess.CompletedProcess[str], code: int | tuple[int, ...]) -> None:
    """The error contract, whatever the case: exit code, stderr's shape, stdout empty."""
    codes = code if isinstance(code, tuple) else (code,)
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-3:])
    traceback = "Traceback" in result.stdout + result.stderr
    assert not traceback, f"a traceback, ending: {tail}"
    assert result.returncode in codes, f"exit {result.returncode}, ending: {tail}"
    assert result.stdout == ""
    assert result.stderr.strip()
    assert "\x1b" not in result.stderr, "the user's escape sequences reach the terminal"
    for jargon in ("Value error", "Input should", "Decimal('"):  # pydantic's words, not ours
        assert jargon not in result.stderr, result.stderr
    if result.returncode == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: ")
    else:
        assert "Error" in result.stderr or "Usage" in result.stderr


def test_the_corpus_has_at_least_45_cases() -> None:
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_a_bad_invocation_is_refused_cleanly_and_changes_nothing(world: World, bad: Case) -> None:
    _write(world, bad.files)
    if bad.setup is not None:
        bad.setup(world)
    before = fingerprint(world.root)
    rows = store_rows(world)

    result = world.run(*bad.args)

    assert_refused(result, bad.code)
    assert world.fill(bad.fragment) in result.stderr
    after = fingerprint(world.root)
    assert {name: after.get(name) for name in before} == before
    # The deals, and the roster's first member (made by the first command, budi).
    expected = [(world.draft, 1), (world.offered, 3), (world.signed, 7), ("@roster", 1)]
    assert store_rows(world) == rows == sorted(expected)


@pytest.mark.parametrize(
    "args",
    [
        ("show", "nope"),
        ("counter", "{deal}", "--as", "seller", "--discount", "3%"),
        ("diff", "{deal}", "1", "99"),
        ("--policy", "missing.yaml", "list"),
        ("--store", "postgresql://x/y", "list"),
    ],
    ids=["unknown-deal", "wrong-turn", "unknown-version", "missing-policy", "no-postgresql"],
)
def test_json_changes_nothing_about_an_error(world: World, args: tuple[str, ...]) -> None:
    plain = world.run(*args)
    as_json = world.run("--json", *args)
    assert_refused(plain, 1)
    assert_refused(as_json, 1)
    assert as_json.stdout == ""
    assert as_json.stderr == plain.stderr


def test_hostile_text_in_a_note_cannot_forge_lines_or_colour_the_terminal(world: World) -> None:
    note = "evil\x1b[31m red\r\nv99  forged line [bold]markup[/bold]"
    done = world.run("present", "{draft}", "--as", "seller", "--note", note)
    assert done.returncode == 0, done.stderr
    for command in (("history", "{draft}"), ("show", "{draft}")):
        shown = world.run(*command)
        assert shown.returncode == 0, shown.stderr
        assert "\x1b" not in shown.stdout
        assert "forged line" not in shown.stdout or "\\r\\nv99  forged line" in shown.stdout
    history = world.run("history", "{draft}").stdout.splitlines()
    assert len(history) == 2
    assert "[bold]markup[/bold]" in history[1]  # shown as written, not read as markup
