"""Assist topics: what the per-tenant topic classifier learns from and what it has learned
(gateway/assist/service.py). ``assist_signals`` holds the agents' confirmations (a corrected topic or
language, a transfer between queues, the topic a conversation was handled under) with the customer
text they apply to; ``assist_models`` holds the latest trained model per tenant and kind, with its
version, so a second gateway process or a restart loads it instead of retraining.

Revision ID: 0006_assist_topics
Revises: 0005_admin_settings
Create Date: 2026-07-10
"""

from alembic import op

revision = "0006_assist_topics"
down_revision = "0005_admin_settings"
branch_labels = None
depends_on = None

SCHEMA = (
    """
    CREATE TABLE assist_signals (
        id              bigserial PRIMARY KEY,
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL DEFAULT '',
        text            text NOT NULL,
        topic           text,
        language        text,
        source          text NOT NULL,
        actor           text NOT NULL DEFAULT '',
        created_at      timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX assist_signals_tenant ON assist_signals (tenant_id, id)",
    """
    CREATE TABLE assist_models (
        tenant_id  text NOT NULL,
        kind       text NOT NULL,
        version    text NOT NULL,
        body       bytea NOT NULL,
        last_signal bigint NOT NULL DEFAULT 0,
        trained_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, kind)
    )
    """,
)


def upgrade() -> None:
    for statement in SCHEMA:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE assist_models, assist_signals")
