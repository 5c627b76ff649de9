"""A SQLite store is a regular file, or none yet: dealflow never opens a device, a FIFO, a
folder or a symbolic link as a store, and leaves nothing beside it (no journal) when it
refuses."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import dealflow


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.db"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(tmp_path / "nowhere.db")
    elif kind == "link":
        (tmp_path / "real.db").touch()
        path.symlink_to(tmp_path / "real.db")
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root (CI runs as root)")
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero
    return path


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("fifo", "is a device, a pipe or a socket"),
        ("device", "is a device, a pipe or a socket"),
        ("folder", "is a folder"),
        ("dangling", "is a symbolic link"),
        ("link", "is a symbolic link"),
    ],
)
def test_a_store_path_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, kind: str, says: str
) -> None:
    path = _special(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(dealflow.StoreError, match=says):
        dealflow.connect(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no journal, no link target
    assert not (tmp_path / "nowhere.db").exists()
