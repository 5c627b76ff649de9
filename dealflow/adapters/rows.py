"""The read-model row as the SQL stores keep it: one column per field, so that every filter of
a :class:`~dealflow.domain.listing.DealQuery` is an indexed ``WHERE`` clause.

Times are stored as UTC text of one fixed width, so they compare and sort as text on SQLite
as on PostgreSQL; the grand total is kept exactly (text) and as a number for comparisons.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from dealflow.domain.lifecycle import Stage
from dealflow.domain.listing import DealQuery, DealRow, name_key, tax_key
from dealflow.domain.money import Money
from dealflow.domain.parties import Side

#: The columns of the ``deals`` table, in the order of :func:`row_values`.
COLUMNS = (
    "id",
    "title",
    "stage",
    "seller",
    "buyer",
    "buyer_search",
    "buyer_tax",
    "buyer_name_key",
    "owner",
    "owner_key",
    "total_amount",
    "total_value",
    "currency",
    "turn",
    "expires_at",
    "opened_at",
    "updated_at",
    "signed_at",
    "version",
)


M = TypeVar("M", bound=BaseModel)


def _trusted(model: type[M], values: dict[str, Any]) -> M:
    """A model instance from values this module wrote itself, without validation.

    Listing 10,000 deals is dominated by building the rows: pydantic's ``model_construct``
    costs ~4 us a row (it fills defaults and field sets), this ~0.7 us. ``values`` must hold
    every field; the contract tests compare what it builds with validated rows.
    """
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", _FIELDS[model])
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    DealRow: frozenset(DealRow.model_fields),
    Money: frozenset(Money.model_fields),
}
_STAGES = {stage.value: stage for stage in Stage}
_SIDES = {side.value: side for side in Side}


#: The columns a row is read back from (the others exist for ``WHERE`` clauses only).
READ_COLUMNS = tuple(c for c in COLUMNS if c not in ("buyer_search", "owner_key", "total_value"))


def stamp(at: datetime | None) -> str | None:
    """A time as fixed-width UTC text: ``2026-11-02T09:00:00.000000Z``."""
    return None if at is None else at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def row_values(row: DealRow) -> tuple[Any, ...]:
    """The row's column values, in :data:`COLUMNS` order."""
    total = row.grand_total
    return (
        row.id,
        row.title,
        row.stage.value,
        row.seller,
        row.buyer,
        row.buyer.casefold(),
        row.buyer_tax,
        row.buyer_name_key,
        row.owner,
        row.owner.casefold(),
        str(total.amount),
        float(total.amount),
        total.currency,
        row.turn.value if row.turn else None,
        stamp(row.expires_at),
        stamp(row.opened_at),
        stamp(row.updated_at),
        stamp(row.signed_at),
        row.version,
    )


def row_from(values: tuple[Any, ...]) -> DealRow:
    """A row read back from its :data:`READ_COLUMNS`; trusted, as only :func:`row_values`
    wrote them."""
    (
        deal_id,
        title,
        stage,
        seller,
        buyer,
        buyer_tax,
        buyer_name_key,
        owner,
        amount,
        currency,
        turn,
        expires_at,
        opened_at,
        updated_at,
        signed_at,
        version,
    ) = values
    total = _trusted(Money, {"amount": Decimal(amount), "currency": currency})
    return _trusted(
        DealRow,
        {
            "id": deal_id,
            "title": title,
            "stage": _STAGES[stage],
            "seller": seller,
            "buyer": buyer,
            "buyer_tax": buyer_tax,
            "buyer_name_key": buyer_name_key,
            "owner": owner,
            "grand_total": total,
            "turn": _SIDES[turn] if turn else None,
            "expires_at": _time(expires_at),
            "opened_at": datetime.fromisoformat(opened_at),
            "updated_at": datetime.fromisoformat(updated_at),
            "signed_at": _time(signed_at),
            "version": version,
        },
    )


def upsert_statement(mark: str) -> str:
    """The statement that writes a deal's row, new or changed, from :func:`row_values`
    (``mark``: the driver's parameter placeholder, ``?`` or ``%s``)."""
    return (
        f"INSERT INTO deals ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))}) "
        "ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "id")
    )


def where(query: DealQuery, mark: str) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause (with ``mark`` as the parameter placeholder) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        clauses.append(sql.replace("?", mark))
        params.extend(values)

    if query.stage is not None:
        add("stage = ?", query.stage.value)
    if query.buyer is not None:
        add("buyer_search LIKE ? ESCAPE '!'", "%" + _like(query.buyer.casefold()) + "%")
    party = query.same_buyer_as
    if party is not None:
        tax = tax_key(party.tax_id)
        if tax:
            add(
                "(buyer_tax = ? OR (buyer_tax IS NULL AND buyer_name_key = ?))",
                tax,
                name_key(party.name),
            )
        else:
            add("buyer_name_key = ?", name_key(party.name))
    if query.owner is not None:
        add("owner_key = ?", query.owner.casefold())
    if query.min_total is not None:
        add("total_value >= ?", float(query.min_total))
    if query.max_total is not None:
        add("total_value <= ?", float(query.max_total))
    if query.expires_before is not None:
        add("expires_at < ?", stamp(query.expires_before))
    if query.signed_only:
        add("signed_at IS NOT NULL")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
