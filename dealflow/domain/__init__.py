"""The pure core of dealflow: models, the lifecycle, events, decisions and the fold.

Nothing here touches storage, templates, PDFs or the terminal; it imports only the standard
library, pydantic and (in :mod:`dealflow.domain.lifecycle`) transitions.
"""


def __getattr__(name: str) -> object:
    """A module of the core on first use (``dealflow.domain.commitments``)."""
    from dealflow import _submodule

    return _submodule(__name__, name)
