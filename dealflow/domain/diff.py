"""What changed between two versions of the terms, issue by issue, with old and new values.

Terms are flattened to named issues (``discount``, ``items.CNV-200.quantity``,
``payment.due_days``, ``special.clauses``...), line items keyed by SKU and after-sales promises
by kind, so that a reordered list is not reported as a change; then the two are compared.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from dealflow.domain.money import SHOWN
from dealflow.domain.terms import Terms


class TermsDifference(BaseModel):
    """One issue whose value differs between two terms versions (None: not set)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issue: str
    old: str | None
    new: str | None


def _flat(terms: Terms) -> dict[str, str]:
    data = terms.model_dump(mode="json", exclude_none=True, context=SHOWN)
    flat: dict[str, str] = {}
    items = data.pop("items")
    after_sales = data.pop("after_sales", [])
    for item in items:
        sku = item.pop("sku")
        for name, value in item.items():
            flat[f"items.{sku}.{name}"] = _text(value)
    for number, promise in enumerate(after_sales):
        kind = promise.pop("kind")
        key = kind if sum(p.get("kind") == kind for p in after_sales) <= 1 else f"{kind}#{number}"
        for name, value in promise.items():
            flat[f"after_sales.{key}.{name}"] = _text(value)
    _walk("", data, flat)
    return flat


def _walk(prefix: str, value: Any, flat: dict[str, str]) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():  # an empty section adds nothing
            _walk(f"{prefix}.{name}" if prefix else name, inner, flat)
    elif value != []:  # an empty list is the same as none
        flat[prefix] = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def diff_terms(old: Terms, new: Terms) -> list[TermsDifference]:
    """The issues that differ from ``old`` to ``new``, in a stable order."""
    before, after = _flat(old), _flat(new)
    issues = list(before) + [issue for issue in after if issue not in before]
    return [
        TermsDifference(issue=issue, old=before.get(issue), new=after.get(issue))
        for issue in issues
        if before.get(issue) != after.get(issue)
    ]
