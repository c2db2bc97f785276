"""Agents' wrap-up notes on the calls they handled (``wrapup_notes``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Written out in full, like 0001 and 0002.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wrapup_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_wrapup_notes_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("id", name="pk_wrapup_notes"),
    )
    op.create_index("ix_wrapup_notes_tenant_call", "wrapup_notes", ["tenant_id", "call_id"])


def downgrade() -> None:
    op.drop_table("wrapup_notes")
