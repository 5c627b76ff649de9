"""The pure core of dealflow: models, the lifecycle, events, decisions and the fold.

Nothing here touches storage, templates, PDFs or the terminal; it imports only the standard
library, pydantic and (in :mod:`dealflow.domain.lifecycle`) transitions.
"""

import importlib


def __getattr__(name: str) -> object:
    """A module of the core on first use (``dealflow.domain.commitments``)."""
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
