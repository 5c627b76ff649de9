"""The user's files from the command line: every command that writes a file refuses a symbolic
link, a FIFO or a device node where the file should go, and leaves it as it was; a dangling link
is never followed to make its target; a link to a folder, and reading through a link to a
regular file, are fine. (One-line refusals of each kind are in the error corpus,
test_cli_errors.py; these check what is left on disk.)"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_FILE


def run(*args: str, cwd: Path, store: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    environment.update(DEALFLOW_STORE=str(store), DEALFLOW_NOW="2026-11-02T09:00Z")
    return subprocess.run(
        [sys.executable, "-m", "dealflow", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,  # a command blocked on a FIFO fails the test instead of hanging it
        check=False,
    )


def what_is(path: Path) -> tuple[object, ...]:
    """What is at ``path``, without following a link: its kind, link target or device."""
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        return ("symlink", str(path.readlink()))
    if stat.S_ISREG(status.st_mode):
        return ("file", path.read_bytes())
    return (stat.S_IFMT(status.st_mode), status.st_rdev)


@pytest.fixture(scope="module")
def deals(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A store with three deals, each still a draft: quick to render, in worker processes."""
    folder = tmp_path_factory.mktemp("local-files")
    store = folder / "deals.db"
    ids = []
    for _ in range(3):
        opened = run("new", str(SAMPLE_FILE), cwd=folder, store=store)
        assert opened.returncode == 0, opened.stderr
        ids.append(opened.stdout.strip())
    return store, ids


def test_contract_all_refuses_links_fifos_and_devices_in_the_folder_and_writes_the_rest(
    deals: tuple[Path, list[str]], tmp_path: Path
) -> None:
    store, ids = deals
    first = run("--json", "contract", "--all", "--out", "first", cwd=tmp_path, store=store)
    assert first.returncode == 0, first.stderr
    names = {row["deal"]: Path(row["file"]).name for row in json.loads(first.stdout)["contracts"]}
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "mine.pdf").write_bytes(b"the user's own file")
    (out / names[ids[0]]).symlink_to(tmp_path / "mine.pdf")
    os.mkfifo(out / names[ids[1]])
    if os.geteuid() == 0:  # a device node like /dev/full (1, 7); CI runs as root
        (out / names[ids[1]]).unlink()
        os.mknod(out / names[ids[1]], 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    before = {name: what_is(out / name) for name in (names[ids[0]], names[ids[1]])}

    result = run("--json", "contract", "--all", "--out", "out", cwd=tmp_path, store=store)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert [row["deal"] for row in report["contracts"]] == [ids[2]]
    assert sorted(report["failed"]) == sorted(
        [
            f"{ids[0]}: cannot write out/{names[ids[0]]}: it is a symbolic link; name the file "
            "itself (links are not written through)",
            f"{ids[1]}: cannot write out/{names[ids[1]]}: it is a "
            f"{'character device' if os.geteuid() == 0 else 'named pipe (FIFO)'}; dealflow "
            "writes only regular files",
        ]
    )
    assert {name: what_is(out / name) for name in before} == before
    assert (tmp_path / "mine.pdf").read_bytes() == b"the user's own file"
    assert (out / names[ids[2]]).read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out.iterdir()) == sorted(names.values())  # no temporary left


@pytest.mark.parametrize(
    ("args", "target"),
    [
        (("contract", "{deal}", "-o"), "out.pdf"),
        (("graph", "-o"), "lifecycle.md"),
        (("advise", "{deal}", "--chart"), "dance.svg"),
    ],
    ids=["contract", "graph", "advise"],
)
def test_a_dangling_link_is_never_followed_to_make_its_target(
    deals: tuple[Path, list[str]], tmp_path: Path, args: tuple[str, ...], target: str
) -> None:
    store, ids = deals
    elsewhere = tmp_path / "elsewhere" / "planted"
    elsewhere.parent.mkdir()
    (tmp_path / target).symlink_to(elsewhere)

    argv = [a.replace("{deal}", ids[0]) for a in args]
    result = run(*argv, target, cwd=tmp_path, store=store)

    assert result.returncode == 1, result.stderr
    assert f"cannot write {target}: it is a symbolic link" in result.stderr
    assert what_is(tmp_path / target) == ("symlink", str(elsewhere))
    assert not list(elsewhere.parent.iterdir())


def test_keys_dev_never_writes_through_a_dangling_link_and_makes_a_private_key(
    tmp_path: Path,
) -> None:
    store = tmp_path / "deals.db"
    planted = tmp_path / "planted.p12"
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "dev-seal.p12").symlink_to(planted)

    refused = run("keys", "dev", "keys", cwd=tmp_path, store=store)
    made = run("keys", "dev", "fresh", cwd=tmp_path, store=store)

    assert refused.returncode == 2
    assert "keys/dev-seal.p12 exists" in refused.stderr
    assert not planted.exists()
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "fresh" / "dev-seal.p12").stat().st_mode) == 0o600


def test_a_link_to_a_folder_is_a_folder_to_write_into(
    deals: tuple[Path, list[str]], tmp_path: Path
) -> None:
    store, ids = deals
    (tmp_path / "real").mkdir()
    (tmp_path / "contracts").symlink_to("real")

    result = run("--json", "contract", ids[0], "-o", "contracts", cwd=tmp_path, store=store)

    assert result.returncode == 0, result.stderr
    written = Path(json.loads(result.stdout)["file"])
    assert written.parent == Path("contracts")
    assert (tmp_path / "real" / written.name).read_bytes().startswith(b"%PDF-")


def test_a_deal_file_is_read_through_a_link_to_it(tmp_path: Path) -> None:
    (tmp_path / "deal.yaml").symlink_to(SAMPLE_FILE)

    result = run("new", "deal.yaml", cwd=tmp_path, store=tmp_path / "deals.db")

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) == 12


def test_a_refused_file_in_a_folder_keeps_no_contract_in_the_store(tmp_path: Path) -> None:
    """`contract DEAL -o DIR` checks DIR/<contract file> before rendering: rendering a signed
    version keeps it in the store, and a refused write must change nothing."""
    import sqlite3
    from contextlib import closing

    import dealflow
    from dealflow.application.demo import sample_deal_spec
    from tests.conftest import START, staffed
    from tests.paths import drive_to

    store = tmp_path / "deals.db"
    service = staffed(
        dealflow.DealService(dealflow.SQLiteEventStore(store), dealflow.FixedClock(START))
    )
    deal_id = drive_to(service, sample_deal_spec(), dealflow.Stage.SIGNED)
    name = dealflow.contract_document(service.get(deal_id)).file_name
    service.close()
    folder = tmp_path / "out"
    folder.mkdir()
    os.mkfifo(folder / name)
    refused = run("contract", deal_id, "-o", str(folder), cwd=tmp_path, store=store)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: cannot write {folder / name}: it is a named pipe (FIFO); dealflow writes only "
        "regular files"
    ]
    assert stat.S_ISFIFO(os.lstat(folder / name).st_mode)
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT count(*) FROM artifacts").fetchone() == (0,)
