"""Timing commands in new processes: the environment they run in, how to run dealflow as a rep
does, and the wall time of one run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from time import perf_counter


class CommandFailed(RuntimeError):
    """A command the benchmark runs as a new process exited with an error."""


def command_seconds(
    command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> float:
    """Wall seconds of one run of ``command`` as a new process (in ``env``, by default
    :func:`subprocess_env`), its output discarded (its error output kept to say why it failed,
    if it does: :class:`CommandFailed`)."""
    if env is None:
        env = subprocess_env()
    start = perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = perf_counter() - start
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise CommandFailed(f"exit {done.returncode} from {' '.join(command)}: {lines[-1]}")
    return elapsed


def subprocess_env() -> dict[str, str]:
    """The current environment without what would change what dealflow or Python does.

    PYTHONDONTWRITEBYTECODE goes too: a user's installed dealflow has its bytecode compiled
    at install, but a checkout run with it set recompiles every module on every start (a
    warm-up run writes the bytecode, the timed runs read it)."""
    env = dict(os.environ)
    for name in (
        "DEALFLOW_STORE",
        "DEALFLOW_NOW",
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONINSPECT",
        "PYTHONDONTWRITEBYTECODE",
    ):
        env.pop(name, None)
    return env


def dealflow_command() -> tuple[list[str], str]:
    """How to run dealflow as a rep does: the console script next to ``sys.executable``, else
    ``python -m dealflow``; and which of the two, in words."""
    script = shutil.which("dealflow", path=str(Path(sys.executable).parent))
    if script:
        return [script], "console script next to sys.executable"
    return [sys.executable, "-m", "dealflow"], "python -m dealflow (no console script found)"
