"""Labels in reports: the conversations closed in a report's range, found by their close time
(gateway/history/report_labels.py). Without it a report of one day reads every conversation the
tenant ever had.

Revision ID: 0008_report_labels
Revises: 0007_assist_answers
Create Date: 2026-07-12
"""

from alembic import op

revision = "0008_report_labels"
down_revision = "0007_assist_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX conversations_closed ON conversations (tenant, closed_at) WHERE closed_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX conversations_closed")
