"""The initial schema: tenants, calls and their turns, messages, escalations, summaries, and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Written out in full rather than imported from ``tables.py``: a migration is history and must not change
when the models do. Instants are ``DateTime(timezone=True)`` (``UTCDateTime`` in the models).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = ("resolved", "message_taken", "transferred", "callback_scheduled", "abandoned", "failed")
DELIVERY_STATUSES = ("pending", "sent", "dead")


def _instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tenant_id() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(64), nullable=False)


def _call_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["call_id", "tenant_id"], ["calls.id", "calls.tenant_id"], name=f"fk_{table}_call_id_tenant_id_calls"
    )


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _instant("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(32), nullable=False),
        _tenant_id(),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("caller_number", sa.String(32), nullable=True),
        sa.Column("dialled_number", sa.String(32), nullable=True),
        _instant("started_at"),
        _instant("ended_at", nullable=True),
        sa.Column("concern", sa.String(100), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name="ck_calls_outcome"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_calls_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("id", "tenant_id", name="uq_calls_id_tenant_id"),
    )
    op.create_index("ix_calls_tenant_started", "calls", ["tenant_id", "started_at"])
    op.create_index("ix_calls_tenant_concern", "calls", ["tenant_id", "concern"])
    op.create_index("ix_calls_tenant_outcome", "calls", ["tenant_id", "outcome"])

    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        _tenant_id(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _instant("at"),
        _call_fk("turns"),
        sa.PrimaryKeyConstraint("id", name="pk_turns"),
        sa.UniqueConstraint("call_id", "seq", name="uq_turns_call_id_seq"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        _tenant_id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("best_time", sa.String(200), nullable=True),
        _instant("created_at"),
        _instant("handled_at", nullable=True),
        _call_fk("messages"),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint("call_id", name="uq_messages_call_id"),
    )
    op.create_index("ix_messages_tenant_created", "messages", ["tenant_id", "created_at"])

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        _tenant_id(),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _instant("created_at"),
        _call_fk("escalations"),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
    )
    op.create_index("ix_escalations_call", "escalations", ["call_id"])

    op.create_table(
        "summaries",
        sa.Column("call_id", sa.String(32), nullable=False),
        _tenant_id(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("action_items", sa.JSON(), nullable=False),
        _instant("created_at"),
        _call_fk("summaries"),
        sa.PrimaryKeyConstraint("call_id", name="pk_summaries"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _tenant_id(),
        sa.Column("call_id", sa.String(32), nullable=True),
        sa.Column("message_id", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("secret_env", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _instant("next_attempt_at"),
        _instant("claimed_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _instant("created_at"),
        _instant("sent_at", nullable=True),
        sa.CheckConstraint(_in("status", DELIVERY_STATUSES), name="ck_outbox_status"),
        _call_fk("outbox"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_outbox_message_id_messages"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_outbox_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_next_attempt", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_tenant_call", "outbox", ["tenant_id", "call_id"])


def downgrade() -> None:
    for table in ("outbox", "summaries", "escalations", "messages", "turns", "calls", "tenants"):
        op.drop_table(table)
