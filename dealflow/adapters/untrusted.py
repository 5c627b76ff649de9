"""Reading an untrusted file with a library: :func:`untrusted_read` keeps the library's
loggers quiet and turns what it raises on a damaged file into
:class:`~dealflow.errors.DamagedPdfError`, so that verification fails one check with one line
instead of raising or printing.

pyHanko logs a traceback for every certificate outside a trust list and pypdf a warning for
every damaged file: the verdict says it in one line instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from dealflow.errors import DamagedPdfError
from dealflow.ports import PARSER_ERRORS


@contextmanager
def untrusted_read(loggers: tuple[str, ...], damage: tuple[type[Exception], ...]) -> Iterator[None]:
    """While a library reads an untrusted file: ``loggers`` say nothing, and ``damage`` (the
    library's own errors) and the builtins a parser lets escape (``PARSER_ERRORS``) are raised
    as DamagedPdfError."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    except (*damage, *PARSER_ERRORS) as exc:
        raise DamagedPdfError.of(exc) from exc
    finally:
        for logger, level in saved:
            logger.setLevel(level)
