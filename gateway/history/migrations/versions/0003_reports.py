"""Reports: indexes the historical figures read by (gateway/history/reports.py).

A report reads the ACD's event log by time (``acd_events_ts`` exists already); these add what it
looks up outside the range: a task's ``submit`` (its work channel and enqueue time, for tasks that
arrived before the range) and an agent's last state change before the range (for occupancy).

Revision ID: 0003_reports
Revises: 0002_search
Create Date: 2026-07-01
"""

from alembic import op

revision = "0003_reports"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX acd_events_submit_task ON acd_events (tenant, (fields->>'task')) WHERE ev = 'submit'")
    op.execute("CREATE INDEX acd_events_agent_state ON acd_events (tenant, (fields->>'agent'), ts) WHERE ev = 'state'")


def downgrade() -> None:
    op.execute("DROP INDEX acd_events_agent_state")
    op.execute("DROP INDEX acd_events_submit_task")
