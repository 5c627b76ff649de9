"""The whole ``dealflow`` command line as one Typer app, every command registered.

The commands live in ``deals`` (negotiate, agree and sign), ``contracts``
(contracts and template checks), ``seals`` (verify, keys), ``audit`` (the
hash chain's audit), ``aftersales``,
``relationship``, ``advise``, ``feed``, ``views``,
``members`` (members, whoami) and ``demo``; the global options in ``root``.
Importing them here registers them on :data:`app`, for help, completion and tests. The
console script (``dealflow.cli.main``) loads only the module of the command it runs.
"""

from __future__ import annotations

from dealflow.cli.base import app
from dealflow.cli.commands import (
    advise,
    aftersales,
    audit,
    contracts,
    deals,
    demo,
    feed,
    members,
    relationship,
    root,
    seals,
    views,
)
from dealflow.cli.main import main

__all__ = [
    "advise",
    "aftersales",
    "app",
    "audit",
    "contracts",
    "deals",
    "demo",
    "feed",
    "main",
    "members",
    "relationship",
    "root",
    "seals",
    "views",
]
