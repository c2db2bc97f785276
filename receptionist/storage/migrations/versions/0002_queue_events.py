"""The ACD's queue event log (``queue_events``), from which queue statistics are computed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Written out in full, like 0001: the kinds below are the ``QueueEventKind`` values as of this revision, and
a kind added later needs a migration that replaces ``ck_queue_events_kind``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "ENTERQUEUE", "RINGING", "RINGNOANSWER", "REJECT", "RINGCANCELED", "CONNECT", "ABANDON", "EXITWITHTIMEOUT",
    "EXITEMPTY", "EXITWITHKEY", "OVERFLOW", "COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "WRAPUPEND", "PAUSE",
    "UNPAUSE", "AGENTLOGIN", "AGENTLOGOFF",
)  # fmt: skip


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "queue_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_queue_events_kind"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_queue_events_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_queue_events"),
    )
    op.create_index("ix_queue_events_tenant_at", "queue_events", ["tenant_id", "at"])
    op.create_index("ix_queue_events_tenant_queue_at", "queue_events", ["tenant_id", "queue", "at"])
    op.create_index("ix_queue_events_tenant_call", "queue_events", ["tenant_id", "call_id"])


def downgrade() -> None:
    op.drop_table("queue_events")
