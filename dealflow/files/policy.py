"""Seller policy files: YAML or JSON read into a validated :class:`SellerPolicy`.

The same careful reader as deal files (safe YAML, repeated keys refused, every problem listed
by field path); a policy file may leave out any section, which then keeps its default.
"""

from __future__ import annotations

from pathlib import Path

from dealflow.domain.policy import SellerPolicy
from dealflow.errors import PolicyFileError
from dealflow.files.dealfile.reader import load_file, parse_file


def load_policy_file(path: str | Path) -> SellerPolicy:
    """Read a seller policy file from disk; raises PolicyFileError listing every problem."""
    return load_file(path, SellerPolicy, PolicyFileError)


def parse_policy(
    text: str | bytes, *, source: str = "policy file", fmt: str = "yaml"
) -> SellerPolicy:
    """Parse and validate a seller policy's text."""
    return parse_file(text, SellerPolicy, PolicyFileError, source=source, fmt=fmt)
