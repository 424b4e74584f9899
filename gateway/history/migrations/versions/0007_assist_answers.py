"""Assist answers: which canned answer agents sent in reply to which customer message
(gateway/assist/suggestions.py). The answer suggestions learn from these rows, and every fifth one is
held back to measure at which confidence automatic answers are precise enough.

Revision ID: 0007_assist_answers
Revises: 0006_assist_topics
Create Date: 2026-07-10
"""

from alembic import op

revision = "0007_assist_answers"
down_revision = "0006_assist_topics"
branch_labels = None
depends_on = None

SCHEMA = (
    """
    CREATE TABLE assist_choices (
        id              bigserial PRIMARY KEY,
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL DEFAULT '',
        text            text NOT NULL,
        canned_id       text NOT NULL,
        language        text NOT NULL DEFAULT '',
        agent_id        text NOT NULL DEFAULT '',
        created_at      timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX assist_choices_tenant ON assist_choices (tenant_id, id)",
)


def upgrade() -> None:
    for statement in SCHEMA:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE assist_choices")
