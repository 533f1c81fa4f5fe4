"""workload exposure derived from Kubernetes manifests

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:45:00.000000

* ``workloads``: each asset's Kubernetes workloads with their exposure level, the
  paths that explain it and the images they run (from a secloop scan's ``workloads``).
* ``findings.derived_exposure`` / ``findings.exposure_path``: the exposure a finding
  inherits from the workload it names or the deployed image it is in; an input of the
  priority when the asset has no exposure set by hand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=500), nullable=False),
        sa.Column("exposure", sa.String(length=20), nullable=False),
        sa.Column("paths", sa.Text(), nullable=False),
        sa.Column("images", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_workloads_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_workloads_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workloads")),
        sa.UniqueConstraint("asset_id", "resource", name=op.f("uq_workloads_asset_id")),
    )  # fmt: skip
    with op.batch_alter_table("workloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workloads_project_id"), ["project_id"], unique=False)
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derived_exposure", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("exposure_path", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("exposure_path")
        batch_op.drop_column("derived_exposure")
    with op.batch_alter_table("workloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workloads_project_id"))
    op.drop_table("workloads")
