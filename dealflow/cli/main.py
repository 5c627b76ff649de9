"""The ``dealflow`` console script: run the app, report errors in one line.

The app (:mod:`dealflow.cli.app`) loads only the module of the command a run names.
A dealflow error is printed as one plain line on stderr with exit code 1; a usage error exits 2
(Click's convention); no user mistake ever shows a traceback.
"""

from __future__ import annotations

import gc
import os
import sys


def _undecodable(args: list[str]) -> int | None:
    """The position of the first argument that is not valid text (bytes the shell passed)."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return number
    return None


def _freeze_what_loaded() -> None:
    """Never scan again what loaded so far, and collect from now on (see :func:`main`)."""
    gc.freeze()
    gc.enable()


def main() -> None:
    """The console script: run the app, turning dealflow errors into one line and exit 1.

    Messages are printed on one line whatever they quote: control characters in a file name
    or a note are shown escaped, so nothing a user typed can forge lines on the terminal.

    Loading a command builds tens of thousands of objects that live until the process ends
    (modules, pydantic's schemas and validators), which the cyclic garbage collector would
    otherwise scan over and over while they load, and once more at exit. So nothing is
    collected while the command loads, and what loaded is then frozen (``gc.freeze``: never
    scanned again) once the app has loaded the command and before it runs it
    (:attr:`~dealflow.cli.app.LazyCommands.on_loaded`); measured with ``bench/cli.py``, about
    40 ms of ``dealflow show``'s start. What the command itself makes stays collectable, to
    the end: WeasyPrint, for one, removes its temporary folders when its objects are collected.
    """
    gc.disable()
    # pydantic looks for plugins by reading the entry points of every installed distribution
    # when the first model is built (about 10 ms here); the command line has none to load.
    # Set PYDANTIC_DISABLE_PLUGINS to anything else (e.g. "none") to have them loaded.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from pydantic import ValidationError

    from dealflow.cli.app import LazyCommands, app
    from dealflow.cli.base import err
    from dealflow.errors import DealflowError

    bad = _undecodable(sys.argv[1:])
    if bad is not None:
        err.line(f"Error: argument {bad} is not valid UTF-8 text")
        sys.exit(2)
    LazyCommands.on_loaded = _freeze_what_loaded
    try:
        app(args=sys.argv[1:], prog_name="dealflow")
    except DealflowError as exc:
        err.line(f"error: {exc}")
        sys.exit(1)
    except ValidationError as exc:  # a value no command option checked; still the user's
        from dealflow.domain.messages import plain_errors

        err.line(f"error: {plain_errors(exc)}")
        sys.exit(1)
    except OSError as exc:  # a file named on the command line cannot be read or written
        what = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        err.line(f"error: {what}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.line("interrupted; nothing was recorded for the action under way")
        sys.exit(130)
