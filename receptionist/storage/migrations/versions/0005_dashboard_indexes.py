"""Indexes for the owner dashboard: the caller search (``calls.caller_digits`` and
``calls.caller_digits_reversed``, backfilled here) and a covering index for the statistics.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Written out in full, like the earlier revisions. The backfill repeats ``tables.phone_digits`` as it is at
this revision (the digits of ``caller_number``, NULL when there are none) rather than importing it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000

calls = sa.table(
    "calls",
    sa.column("id", sa.String(32)),
    sa.column("caller_number", sa.String(32)),
    sa.column("caller_digits", sa.String(32)),
    sa.column("caller_digits_reversed", sa.String(32)),
)


def _digits(number: str) -> str | None:
    return "".join(ch for ch in number if "0" <= ch <= "9") or None


def upgrade() -> None:
    op.add_column("calls", sa.Column("caller_digits", sa.String(32), nullable=True))
    op.add_column("calls", sa.Column("caller_digits_reversed", sa.String(32), nullable=True))
    _backfill()
    op.create_index(
        "ix_calls_tenant_started_concern_outcome", "calls", ["tenant_id", "started_at", "concern", "outcome"]
    )
    op.create_index("ix_calls_tenant_caller_digits", "calls", ["tenant_id", "caller_digits"])
    op.create_index(
        "ix_calls_tenant_caller_digits_reversed", "calls", ["tenant_id", "caller_digits_reversed"]
    )


def _backfill() -> None:
    """Fill both columns from ``caller_number``, a batch of rows at a time (in key order)."""
    bind = op.get_bind()
    update = (
        sa.update(calls)
        .where(calls.c.id == sa.bindparam("key"))
        .values(caller_digits=sa.bindparam("digits"), caller_digits_reversed=sa.bindparam("reversed"))
    )
    after = ""
    while True:
        rows = bind.execute(
            sa.select(calls.c.id, calls.c.caller_number)
            .where(calls.c.id > after, calls.c.caller_number.is_not(None))
            .order_by(calls.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [(row.id, _digits(row.caller_number)) for row in rows]
        changes = [{"key": key, "digits": d, "reversed": d[::-1]} for key, d in values if d is not None]
        if changes:
            bind.execute(update, changes)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_calls_tenant_caller_digits_reversed", table_name="calls")
    op.drop_index("ix_calls_tenant_caller_digits", table_name="calls")
    op.drop_index("ix_calls_tenant_started_concern_outcome", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("caller_digits_reversed")
        batch.drop_column("caller_digits")
