"""The user's files: read only regular files, up to a limit; write atomically, and never over or
through anything but a regular file.

Every file a user names passes here (a deal or policy file, a contract PDF to verify, and the
contract, chart, diagram or key a command writes), so that one rule holds everywhere: dealflow
never reads from, writes through or replaces what a path points at unless it is a regular file.

- **Reading** follows a symbolic link to a regular file (the link names that file) and opens
  nothing else. The path is looked at (``stat``) before it is opened, so a device is never
  opened at all; the open cannot block (``O_NONBLOCK``: a FIFO named ``deal.yaml`` would
  otherwise wait for a writer forever), and what was opened is looked at again (``fstat``), in
  case the path changed in between. No more than ``limit`` bytes are read, whatever size the
  file claims or grows to.
- **Writing** replaces a regular file or makes a new one, nothing else. The last part of the path
  must be missing or a regular file: a symbolic link is refused (dangling or not: replacing it
  loses the link, following it writes wherever it points), and so are a folder, a FIFO, a
  device and a socket. The bytes go to a temporary file made exclusively (``O_EXCL``, never
  through a link placed at its name) beside the target, are synced to disk, and are renamed
  over the target after a last ``lstat`` of it: nobody ever sees half a file. A replaced file
  keeps its permission bits (and its owner, where the process may set it); a new one gets
  0o666 less the umask. :func:`create_file` makes a new file only, replacing nothing.

A refusal is a :class:`~dealflow.errors.LocalFileError`; what the system refuses (no such
file, no permission, a full disk) stays an ``OSError`` that names the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from dealflow.errors import LocalFileError

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1024 * 1024

_KINDS = (
    (stat.S_ISLNK, "symbolic link"),
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: ``"folder"``, ``"named pipe (FIFO)"``…"""
    if stat.S_ISREG(mode):
        return "regular file"
    return next((name for test, name in _KINDS if test(mode)), "special file")


def read_file(path: str | os.PathLike[str], limit: int, *, what: str = "regular file") -> bytes:
    """The bytes of the regular file at ``path`` (a symbolic link to one is followed), refused
    when there are more than ``limit``; ``what`` names the file in a refusal (``deal file``).

    Raises LocalFileError for anything but a regular file and for a file larger than
    ``limit``, OSError as the system reports it otherwise (FileNotFoundError...).
    """
    name = os.fspath(path)
    _readable(name, Path(name).stat(), limit, what)  # before opening: a device is never opened
    descriptor = os.open(name, _READ_FLAGS)
    try:
        # The path may have changed since the stat: judge what was opened. A regular file
        # reads the same with O_NONBLOCK set, so it stays.
        _readable(name, os.fstat(descriptor), limit, what)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # a file may grow while it is read
            try:
                chunk = os.read(descriptor, min(_CHUNK, limit + 1 - size))
            except OSError as exc:  # os.read names no file: say which one
                raise OSError(exc.errno, exc.strerror, name) from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(descriptor)
    if size > limit:
        raise _too_large(name, limit)
    return b"".join(chunks)


def write_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``, a regular file or nothing yet, atomically (see the module).

    The folder must exist: a mistyped path is an error, not a new folder tree. Raises
    LocalFileError when the path is anything but a regular file or missing, OSError naming
    the path when the system refuses.
    """
    target = Path(path)
    _folder_exists(target)
    existing = _replaceable(target)
    mode = 0o666 if existing is None else stat.S_IMODE(existing.st_mode) & 0o777
    temporary, descriptor = _create_temporary(target, mode)
    try:
        try:
            if existing is not None:
                _keep_owner_and_mode(descriptor, existing)
            _write_all(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        _replaceable(target)  # once more, right before the rename: rename never follows
        temporary.replace(target)
    except LocalFileError:
        _remove(temporary)
        raise
    except OSError as exc:
        _remove(temporary)
        raise OSError(exc.errno, f"cannot write {target}: {exc.strerror}") from None


def check_target(path: str | os.PathLike[str]) -> None:
    """Refuse now what :func:`write_file` would refuse after the work (rendering a contract):
    a missing folder, or anything but a regular file at ``path``."""
    target = Path(path)
    _folder_exists(target)
    _replaceable(target)


def create_file(path: str | os.PathLike[str], data: bytes, mode: int = 0o666) -> None:
    """Make the new file ``path`` with ``data`` and ``mode`` (less the umask); refused when
    anything at all is there, a dangling symbolic link included. The folder must exist."""
    target = Path(path)
    _folder_exists(target)
    try:
        descriptor = os.open(target, _CREATE_FLAGS, mode)
    except FileExistsError:
        raise LocalFileError(
            str(target), "it exists (or a link by that name does); dealflow never replaces it",
            writing=True,
        ) from None  # fmt: skip
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {target}: {exc.strerror}") from None
    try:
        try:
            _write_all(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        _remove(target)
        raise OSError(exc.errno, f"cannot write {target}: {exc.strerror}") from None


def make_folder(folder: str | os.PathLike[str]) -> Path:
    """The folder an option named to write into (``--out DIR``), made if need be."""
    made = Path(folder)
    try:
        made.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot make the folder {made}: {exc.strerror}") from None
    return made


def _readable(name: str, status: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise LocalFileError(name, f"is a {kind_of(status.st_mode)}, not a {what}")
    if status.st_size > limit:
        raise _too_large(name, limit)


def _too_large(name: str, limit: int) -> LocalFileError:
    return LocalFileError(name, f"the file is larger than {limit:,} bytes")


def _folder_exists(target: Path) -> None:
    if target.parent.is_dir():
        return
    if target.parent.exists():
        raise OSError(errno.ENOTDIR, f"cannot write {target}: {target.parent} is not a folder")
    raise OSError(errno.ENOENT, f"cannot write {target}: folder {target.parent} does not exist")


def _replaceable(target: Path) -> os.stat_result | None:
    """The regular file at ``target`` (not following a link), None if nothing is there."""
    try:
        status = target.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(status.st_mode):
        problem = "it is a symbolic link; name the file itself (links are not written through)"
        raise LocalFileError(str(target), problem, writing=True)
    if not stat.S_ISREG(status.st_mode):
        kind = kind_of(status.st_mode)
        raise LocalFileError(
            str(target), f"it is a {kind}; dealflow writes only regular files", writing=True
        )
    return status


def _create_temporary(target: Path, mode: int) -> tuple[Path, int]:
    """A new, empty file beside ``target``, made exclusively, and its descriptor."""
    for _ in range(100):
        temporary = target.with_name(f".{target.name[:200]}.{secrets.token_hex(6)}.tmp")
        try:
            return temporary, os.open(temporary, _CREATE_FLAGS, mode)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write {target}: {exc.strerror}") from None
    raise OSError(errno.EEXIST, f"cannot write {target}: no free temporary name beside it")


def _keep_owner_and_mode(descriptor: int, existing: os.stat_result) -> None:
    """The replacing file gets the replaced one's owner where allowed, and its mode bits."""
    if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):
            os.fchown(descriptor, existing.st_uid, existing.st_gid)
    os.fchmod(descriptor, stat.S_IMODE(existing.st_mode) & 0o777)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
