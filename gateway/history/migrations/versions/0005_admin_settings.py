"""Admin settings: what supervisors with the admin permission changed in the admin screens (agents,
queues, topics, canned answers, labels, business hours, the widget's look), laid over the YAML's
tenant at start-up and on every change (gateway/admin). One row per item; a ``deleted`` row hides
the YAML's item of that id; dropping the row brings the YAML's version back. Each tenant has one
revision counter, bumped in the same transaction as every change, which the gateway processes poll.

Revision ID: 0005_admin_settings
Revises: 0004_protection
Create Date: 2026-07-03
"""

from alembic import op

revision = "0005_admin_settings"
down_revision = "0004_protection"
branch_labels = None
depends_on = None

SCHEMA = (
    """
    CREATE TABLE admin_settings (
        tenant_id  text NOT NULL,
        kind       text NOT NULL,
        item_id    text NOT NULL,
        body       jsonb,
        deleted    boolean NOT NULL DEFAULT false,
        revision   bigint NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        changed_by text NOT NULL DEFAULT '',
        PRIMARY KEY (tenant_id, kind, item_id)
    )
    """,
    """
    CREATE TABLE admin_revisions (
        tenant_id text PRIMARY KEY,
        revision  bigint NOT NULL DEFAULT 0
    )
    """,
)


def upgrade() -> None:
    for statement in SCHEMA:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE admin_revisions, admin_settings")
