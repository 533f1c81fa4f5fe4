"""indexes for the overdue list, text search (pg_trgm) and the tool filter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:30:00.000000

* ``ix_findings_active_due``: active findings by due date (a partial index), so the
  overdue list reads only what is overdue; it replaces 0005's
  ``ix_findings_priority_status_due``, which the overdue query no longer uses; and
  ``ix_findings_active_priority_severity``, active findings by priority level, then
  severity: "P1+P2 overdue, most severe first" reads each level in page order.
* ``ix_findings_project_status_severity`` and ``ix_findings_project_priority`` go:
  they are prefixes of ``ix_findings_overview`` and
  ``ix_findings_project_priority_order`` (0005), and every index costs the ingest.
* ``finding_search``: the text the findings list's ``q`` searches, one row per
  finding, and on PostgreSQL its ``pg_trgm`` GIN index ``ix_finding_search_trgm``,
  so ``ILIKE '%text%'`` does not read every row. A table of its own: those columns
  never change, while a re-import updates every finding row (and would rewrite every
  trigram of it in an index on ``findings``).
  ``CREATE EXTENSION pg_trgm`` needs the CREATE privilege on the database (pg_trgm is
  a trusted extension); when it is refused the migration logs a warning and goes on
  without the index: text search then reads the rows, as before.
* ``finding_sources.project_id`` (the finding's, copied) and
  ``ix_finding_sources_tool_project_finding``: "reported by tool X" within a project
  is one index range; it replaces ``ix_finding_sources_tool_finding_id``.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LOG = logging.getLogger("secloop.server.migrations")

# The statuses of secloop.server.lifecycle.ACTIVE, sorted: the overdue query repeats
# this predicate literally (PostgreSQL and SQLite use a partial index only then).
ACTIVE_PREDICATE = "status IN ('new', 'open', 'reopened', 'triaged')"
# The text of secloop.server.storage.ingest_store._search_text; chr(31) is the unit
# separator (SQLite spells it char).
FILL_SEARCH_POSTGRESQL = (
    "INSERT INTO finding_search (finding_id, text) SELECT id, title || chr(31) || rule_id"
    " || chr(31) || location || chr(31) || coalesce(package, '') || chr(31)"
    " || coalesce(cve_id, '') FROM findings"
)
FILL_SEARCH_SQLITE = FILL_SEARCH_POSTGRESQL.replace("chr(31)", "char(31)")
TRIGRAM_INDEX = "ix_finding_search_trgm"
TRIGRAM_INDEX_DDL = f"CREATE INDEX {TRIGRAM_INDEX} ON finding_search USING gin (text gin_trgm_ops)"


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_priority_status_due")
        # prefixes of ix_findings_overview and ix_findings_project_priority_order
        batch_op.drop_index("ix_findings_project_status_severity")
        batch_op.drop_index("ix_findings_project_priority")
        batch_op.create_index(
            "ix_findings_active_due",
            ["due_date", "priority_level", "project_id", "severity", "id"],
            unique=False,
            postgresql_where=sa.text(ACTIVE_PREDICATE),
            sqlite_where=sa.text(ACTIVE_PREDICATE),
        )
        batch_op.create_index(
            "ix_findings_active_priority_severity",
            ["priority_level", "severity", "id"],
            unique=False,
            postgresql_include=["due_date", "project_id"],
            postgresql_where=sa.text(ACTIVE_PREDICATE),
            sqlite_where=sa.text(ACTIVE_PREDICATE),
        )
    bind = op.get_bind()
    _source_projects(bind.dialect.name)
    _search_table(bind.dialect.name)
    if bind.dialect.name == "postgresql" and trigram_extension(bind):
        op.execute(TRIGRAM_INDEX_DDL)


def _search_table(dialect: str) -> None:
    """``finding_search``: what ``q`` searches, one string per finding, filled from
    the findings (the ingest writes it for new ones from now on)."""
    op.create_table(
        "finding_search",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"],
            name=op.f("fk_finding_search_finding_id_findings"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_finding_search")),
    )  # fmt: skip
    op.execute(FILL_SEARCH_POSTGRESQL if dialect == "postgresql" else FILL_SEARCH_SQLITE)


def _source_projects(dialect: str) -> None:
    """``finding_sources.project_id``, filled from the findings, and its tool index."""
    with op.batch_alter_table("finding_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
    if dialect == "postgresql":  # a join, not a subquery per row
        op.execute(
            "UPDATE finding_sources SET project_id = findings.project_id"
            " FROM findings WHERE findings.id = finding_sources.finding_id"
        )
    else:
        op.execute(
            "UPDATE finding_sources SET project_id = (SELECT findings.project_id"
            " FROM findings WHERE findings.id = finding_sources.finding_id)"
        )
    with op.batch_alter_table("finding_sources", schema=None) as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("ix_finding_sources_tool_finding_id")
        batch_op.create_index(
            "ix_finding_sources_tool_project_finding",
            ["tool", "project_id", "finding_id"],
            unique=False,
        )


def trigram_extension(bind: sa.Connection) -> bool:
    """Create pg_trgm if needed; False (with a warning) when the server refuses.

    In a savepoint: a refused statement would otherwise abort the whole migration
    transaction."""
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as err:
        savepoint.rollback()
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        LOG.warning(
            "text search index not created: CREATE EXTENSION pg_trgm was refused (%s). "
            "Text search in the findings list still works but reads every row; to add "
            "the index, a database owner runs: %s; %s",
            reason,
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            TRIGRAM_INDEX_DDL,
        )
        return False
    savepoint.commit()
    return True


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")  # the extension stays: shared
    op.drop_table("finding_search")
    with op.batch_alter_table("finding_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_sources_tool_project_finding")
        batch_op.create_index(
            "ix_finding_sources_tool_finding_id", ["tool", "finding_id"], unique=False
        )
        batch_op.drop_column("project_id")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_active_priority_severity")
        batch_op.drop_index("ix_findings_active_due")
        batch_op.create_index(
            "ix_findings_priority_status_due",
            ["priority_level", "status", "due_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_project_status_severity",
            ["project_id", "status", "severity"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_project_priority",
            ["project_id", "priority_level", "priority_score"],
            unique=False,
        )
