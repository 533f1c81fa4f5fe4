"""indexes for the overview counts, the overdue filter and the priority order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_findings_overview",
            ["project_id", "status", "severity", "kev", "due_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_priority_status_due",
            ["priority_level", "status", "due_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_project_priority_order",
            ["project_id", "priority_level", sa.column("priority_score").desc(), "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_priority_order",
            ["priority_level", sa.column("priority_score").desc(), "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_priority_order")
        batch_op.drop_index("ix_findings_project_priority_order")
        batch_op.drop_index("ix_findings_priority_status_due")
        batch_op.drop_index("ix_findings_overview")
