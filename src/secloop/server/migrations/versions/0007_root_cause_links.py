"""root-cause links between findings (ADR 6)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:00:00.000000

* ``finding_subjects``: what a finding with a root cause is about (an image
  reference), so findings of later scans with the same subject and cause are linked;
* ``finding_links``: the links, one row per direction, with the reason shown on the
  finding page ("Same root cause: ...").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=False),
        sa.Column("root_cause", sa.String(length=40), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_subjects_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_finding_subjects_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_subjects")),
        sa.UniqueConstraint(
            "finding_id", "subject", "root_cause", name=op.f("uq_finding_subjects_finding_id")
        ),
    )
    op.create_index(
        "ix_finding_subjects_project_subject",
        "finding_subjects",
        ["project_id", "subject", "root_cause"],
        unique=False,
    )
    op.create_table(
        "finding_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("root_cause", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_links_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["findings.id"],
            name=op.f("fk_finding_links_related_id_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_links")),
        sa.UniqueConstraint(
            "finding_id", "related_id", "root_cause", name=op.f("uq_finding_links_finding_id")
        ),
    )
    op.create_index(
        op.f("ix_finding_links_related_id"), "finding_links", ["related_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_finding_links_related_id"), table_name="finding_links")
    op.drop_table("finding_links")
    op.drop_index("ix_finding_subjects_project_subject", table_name="finding_subjects")
    op.drop_table("finding_subjects")
