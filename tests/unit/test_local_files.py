"""The user's files (dealflow.files.local): only regular files are read, up to a limit, without
ever blocking on a FIFO; files are written atomically and never over or through anything but a
regular file, a symbolic link included; a new key file replaces nothing."""

from __future__ import annotations

import os
import pickle
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dealflow.errors import DealflowError, LocalFileError
from dealflow.files import local as local_files
from dealflow.files.local import check_target, create_file, make_folder, read_file, write_file


@pytest.fixture(autouse=True)
def never_blocks() -> Iterator[None]:
    """A test that blocks (on a FIFO) fails after 10 s instead of hanging the suite."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("blocked: a FIFO was opened or read")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def device_node(folder: Path, name: str = "full") -> Path:
    """A character device node like /dev/full (1, 7), made in ``folder``: root only."""
    if os.geteuid() != 0:
        pytest.skip("making a device node (mknod) needs root; CI runs as root")
    node = folder / name
    os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    return node


def what_is(path: Path) -> tuple[object, ...]:
    """What is at ``path``, without following a link: its kind, link target or device."""
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        return ("symlink", str(path.readlink()))
    if stat.S_ISREG(status.st_mode):
        return ("file", path.read_bytes(), stat.S_IMODE(status.st_mode))
    return (stat.S_IFMT(status.st_mode), status.st_rdev)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# Reading ----------------------------------------------------------------------------------------


def test_reads_a_regular_file_and_a_link_to_one(tmp_path: Path) -> None:
    (tmp_path / "deal.yaml").write_bytes(b"title: x\n")
    (tmp_path / "link.yaml").symlink_to("deal.yaml")

    assert read_file(tmp_path / "deal.yaml", 100) == b"title: x\n"
    assert read_file(tmp_path / "link.yaml", 100) == b"title: x\n"


def test_a_fifo_is_refused_at_once_with_or_without_a_link(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.pdf")
    (tmp_path / "link.pdf").symlink_to("x.pdf")

    for name in ("x.pdf", "link.pdf"):
        with pytest.raises(LocalFileError) as caught:
            read_file(tmp_path / name, 100)
        assert str(caught.value) == f"{tmp_path / name}: is a named pipe (FIFO), not a regular file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_system_device_is_refused_without_reading_it(device: str) -> None:
    with pytest.raises(LocalFileError, match="is a character device, not a deal file"):
        read_file(device, 100, what="deal file")


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    node = device_node(tmp_path)
    with pytest.raises(LocalFileError, match="is a character device"):
        read_file(node, 100)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError) as caught:
        read_file(tmp_path, 100, what="policy file")
    assert caught.value.problem == "is a folder, not a policy file"


def test_a_missing_file_and_a_dangling_link_are_the_systems_error(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to("nowhere.yaml")
    for name in ("missing.yaml", "gone.yaml"):
        with pytest.raises(FileNotFoundError):
            read_file(tmp_path / name, 100)


def test_the_limit_is_exact_and_a_larger_file_is_not_read(tmp_path: Path) -> None:
    exact = tmp_path / "exact.pdf"
    exact.write_bytes(b"x" * 100)
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.truncate(10 * 1024**3)  # sparse: 10 GiB on paper

    assert read_file(exact, 100) == b"x" * 100
    with pytest.raises(LocalFileError, match="the file is larger than 99 bytes"):
        read_file(exact, 99)
    with pytest.raises(LocalFileError, match="larger than 1,000 bytes"):
        read_file(big, 1000)


def test_a_read_the_system_refuses_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like /proc/self/pagemap, whose read fails with EINVAL: the error says which file."""
    page = tmp_path / "pagemap"
    page.write_bytes(b"x")

    def refuse(descriptor: int, size: int) -> bytes:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(local_files.os, "read", refuse)
    with pytest.raises(OSError, match="Invalid argument") as caught:
        read_file(page, 100)
    assert caught.value.filename == str(page)


def test_writing_under_something_that_is_not_a_folder_says_so(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.pdf")
    with pytest.raises(OSError, match=r"fifo\.pdf is not a folder"):
        check_target(tmp_path / "fifo.pdf" / "x.pdf")
    with pytest.raises(OSError, match=r"folder .*missing does not exist"):
        check_target(tmp_path / "missing" / "x.pdf")


def test_a_file_swapped_for_a_fifo_after_the_look_is_refused_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The path is a regular file when looked at, and a FIFO when opened: the non-blocking
    # open and the second look (fstat) at what was opened still refuse it.
    target = tmp_path / "deal.yaml"
    target.write_bytes(b"title: x\n")
    real_open = os.open

    def swap_then_open(path: str, flags: int, mode: int = 0o777) -> int:
        target.unlink()
        os.mkfifo(target)
        return real_open(path, flags, mode)

    monkeypatch.setattr(local_files.os, "open", swap_then_open)
    with pytest.raises(LocalFileError, match="is a named pipe"):
        read_file(target, 100)


# Writing --------------------------------------------------------------------------------------


def test_writes_a_new_file_with_the_umask_and_leaves_no_temporary(
    tmp_path: Path, umask_022: None
) -> None:
    target = tmp_path / "contract.pdf"
    write_file(target, b"%PDF-1.7 new")

    assert what_is(target) == ("file", b"%PDF-1.7 new", 0o644)
    assert leftovers(tmp_path) == []


def test_replaces_a_regular_file_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "contract.pdf"
    target.write_bytes(b"old")
    target.chmod(0o640)
    before = target.stat().st_ino

    write_file(target, b"new")

    assert what_is(target) == ("file", b"new", 0o640)
    assert target.stat().st_ino != before  # renamed over, never written in place
    assert leftovers(tmp_path) == []


def test_a_link_to_a_file_is_refused_and_neither_is_touched(tmp_path: Path) -> None:
    mine = tmp_path / "mine.pdf"
    mine.write_bytes(b"the user's own file")
    link = tmp_path / "out.pdf"
    link.symlink_to("mine.pdf")

    with pytest.raises(LocalFileError) as caught:
        write_file(link, b"contract")

    assert str(caught.value) == (
        f"cannot write {link}: it is a symbolic link; name the file itself "
        "(links are not written through)"
    )
    assert what_is(link) == ("symlink", "mine.pdf")
    assert mine.read_bytes() == b"the user's own file"
    assert leftovers(tmp_path) == []


def test_a_dangling_link_is_refused_and_its_target_not_made(tmp_path: Path) -> None:
    link = tmp_path / "out.pdf"
    link.symlink_to(tmp_path / "elsewhere.pdf")

    with pytest.raises(LocalFileError, match="is a symbolic link"):
        write_file(link, b"contract")

    assert what_is(link) == ("symlink", str(tmp_path / "elsewhere.pdf"))
    assert not (tmp_path / "elsewhere.pdf").exists()


def test_a_fifo_a_folder_and_a_device_node_are_never_replaced(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.pdf")
    (tmp_path / "folder.pdf").mkdir()
    targets = {"pipe.pdf": "named pipe (FIFO)", "folder.pdf": "folder"}
    if os.geteuid() == 0:
        device_node(tmp_path, "full.pdf")
        targets["full.pdf"] = "character device"

    for name, kind in targets.items():
        before = what_is(tmp_path / name)
        with pytest.raises(LocalFileError) as caught:
            write_file(tmp_path / name, b"contract")
        assert caught.value.problem == f"it is a {kind}; dealflow writes only regular files"
        assert what_is(tmp_path / name) == before
    assert leftovers(tmp_path) == []


def test_a_link_placed_at_the_temporary_name_cannot_redirect_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone who guesses the temporary name and puts a link there first: the temporary file
    # is made exclusively, so the link is left alone and another name is taken.
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    names = iter(["guessed", "fresh"])
    monkeypatch.setattr(local_files.secrets, "token_hex", lambda _: next(names))
    (tmp_path / ".contract.pdf.guessed.tmp").symlink_to(victim)

    write_file(tmp_path / "contract.pdf", b"contract")

    assert (tmp_path / "contract.pdf").read_bytes() == b"contract"
    assert victim.read_bytes() == b"precious"
    assert what_is(tmp_path / ".contract.pdf.guessed.tmp") == ("symlink", str(victim))


def test_a_target_swapped_for_a_link_while_writing_is_not_renamed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last lstat, right before the rename, sees what the first one did not.
    target = tmp_path / "contract.pdf"
    real_write = local_files._write_all

    def write_then_swap(descriptor: int, data: bytes) -> None:
        real_write(descriptor, data)
        target.symlink_to("mine.pdf")

    monkeypatch.setattr(local_files, "_write_all", write_then_swap)
    with pytest.raises(LocalFileError, match="is a symbolic link"):
        write_file(target, b"contract")

    assert what_is(target) == ("symlink", "mine.pdf")
    assert leftovers(tmp_path) == []


def test_a_missing_folder_is_an_error_not_a_new_tree(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"folder .*missing does not exist"):
        write_file(tmp_path / "missing" / "contract.pdf", b"x")
    with pytest.raises(OSError, match=r"folder .*missing does not exist"):
        check_target(tmp_path / "missing" / "contract.pdf")
    assert not (tmp_path / "missing").exists()


def test_a_system_error_names_the_path_and_leaves_no_temporary(tmp_path: Path) -> None:
    # A name longer than the file system allows: refused by the system to root as well (a
    # read-only folder is not, and the tests run as root in CI).
    name = "c" * 300 + ".pdf"
    with pytest.raises(OSError, match=r"File name too long.*cccc\.pdf"):
        write_file(tmp_path / name, b"x")
    assert list(tmp_path.iterdir()) == []


# New files and folders ------------------------------------------------------------------------


def test_create_file_makes_a_private_new_file(tmp_path: Path, umask_022: None) -> None:
    create_file(tmp_path / "dev-seal.p12", b"key", mode=0o600)
    assert what_is(tmp_path / "dev-seal.p12") == ("file", b"key", 0o600)


def test_create_file_replaces_nothing_not_even_a_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "old.p12").write_bytes(b"old key")
    (tmp_path / "gone.p12").symlink_to(tmp_path / "stolen.p12")
    os.mkfifo(tmp_path / "pipe.p12")

    for name in ("old.p12", "gone.p12", "pipe.p12"):
        before = what_is(tmp_path / name)
        with pytest.raises(LocalFileError, match=r"it exists .*dealflow never replaces it"):
            create_file(tmp_path / name, b"new key", mode=0o600)
        assert what_is(tmp_path / name) == before
    assert not (tmp_path / "stolen.p12").exists()


def test_make_folder_makes_parents_and_refuses_a_file_in_one_line(tmp_path: Path) -> None:
    assert make_folder(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError, match=r"cannot make the folder .*file: File exists"):
        make_folder(tmp_path / "file")


def test_the_error_is_a_dealflow_error_an_oserror_and_pickles() -> None:
    # contract --all renders in worker processes: the error crosses back by pickle.
    error = LocalFileError("out.pdf", "it is a symbolic link", writing=True)
    again = pickle.loads(pickle.dumps(error))

    assert isinstance(again, DealflowError)
    assert isinstance(again, OSError)
    assert (again.path, again.problem, again.writing) == ("out.pdf", "it is a symbolic link", True)
    assert str(again) == str(error) == "cannot write out.pdf: it is a symbolic link"
