"""The whole ``dealflow`` command line as one Typer app, every command registered.

The commands live in ``deal_commands`` (negotiate, agree and sign), ``contract_commands``
(contracts and template checks), ``seal_commands`` (verify, keys), ``audit_command`` (the
hash chain's audit), ``aftersales_commands``,
``relationship_commands``, ``advise_command``, ``feed_command``, ``view_commands``,
``member_commands`` (members, whoami) and ``demo_command``; the global options in ``root``.
Importing them here registers them on :data:`app`, for help, completion and tests. The
console script (``dealflow.cli.main``) loads only the module of the command it runs.
"""

from __future__ import annotations

from dealflow.cli import (
    advise_command,
    aftersales_commands,
    audit_command,
    contract_commands,
    deal_commands,
    demo_command,
    feed_command,
    member_commands,
    relationship_commands,
    root,
    seal_commands,
    view_commands,
)
from dealflow.cli.base import app
from dealflow.cli.main import main

__all__ = [
    "advise_command",
    "aftersales_commands",
    "app",
    "audit_command",
    "contract_commands",
    "deal_commands",
    "demo_command",
    "feed_command",
    "main",
    "member_commands",
    "relationship_commands",
    "root",
    "seal_commands",
    "view_commands",
]
