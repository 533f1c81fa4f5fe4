"""indexes for reading a million findings: list orders, KEV, tool filter, debt trend

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_severity_id", ["severity", "id"], unique=False)
        batch_op.create_index(
            "ix_findings_project_severity_id", ["project_id", "severity", "id"], unique=False
        )
        batch_op.create_index(
            "ix_findings_kev_severity_id",
            ["severity", "id"],
            unique=False,
            postgresql_where=sa.text("kev"),
            sqlite_where=sa.text("kev"),
        )
    with op.batch_alter_table("finding_sources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finding_sources_tool_finding_id", ["tool", "finding_id"], unique=False
        )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_changes_at", ["at", "old_status", "new_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_changes_at")
    with op.batch_alter_table("finding_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_sources_tool_finding_id")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_kev_severity_id")
        batch_op.drop_index("ix_findings_project_severity_id")
        batch_op.drop_index("ix_findings_severity_id")
