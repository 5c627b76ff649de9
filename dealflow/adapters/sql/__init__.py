"""What the two SQL event stores (SQLite and PostgreSQL) share: the schema version runner and
the read-model backfill (:mod:`.migrations`), the tables that are the same on both but for a
few type names (:mod:`.schema`), events in and out of their rows (:mod:`.event_rows`), and the
store's reads, artifacts and error mapping (:mod:`.base`).

What stays with each backend is what really differs: its DDL beyond those tables, its
placeholder (``?`` or ``%s``), how it connects and opens a transaction, how its driver's
messages read to a user, and the append with its conflict detection (and on PostgreSQL the
triggers, the rights guard and the roles).
"""
