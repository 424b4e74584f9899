"""Search: the indexes behind GET /api/v1/search — the agents a conversation was ever assigned to
(the ACD's ``assign`` events), the tenant's conversations newest first, and trigram indexes for
finding contacts by part of a name, address, number or messenger id (when pg_trgm can be had).

Revision ID: 0002_search
Revises: 0001_history
Create Date: 2026-07-02
"""

from alembic import op

revision = "0002_search"
down_revision = "0001_history"
branch_labels = None
depends_on = None

INDEXES = (
    # who served a conversation: every agent it was assigned to, not only the last one
    "CREATE INDEX search_acd_assignments ON acd_events (tenant, (fields->>'task'), (fields->>'agent')) "
    "WHERE ev = 'assign'",
    # results without a text query come newest first, in pages (keyset on created_at, id)
    "CREATE INDEX search_conversations_recent ON conversations "
    "(tenant, (coalesce(created_at, '-infinity'::timestamptz)) DESC, id DESC)",
)

# pg_trgm ships with PostgreSQL (contrib) and is a trusted extension; a server or role without it
# still migrates: contact search then scans the tenant's contacts instead of using these indexes.
TRIGRAMS = """
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): contact search works without its indexes', SQLERRM;
    RETURN;
  END;
  CREATE INDEX search_contacts_name ON contacts USING gin (name gin_trgm_ops);
  CREATE INDEX search_contacts_email ON contacts USING gin (email gin_trgm_ops);
  CREATE INDEX search_identities_value ON identities USING gin (value gin_trgm_ops);
END
$$
"""


def upgrade() -> None:
    for statement in INDEXES:
        op.execute(statement)
    op.execute(TRIGRAMS)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS search_identities_value, search_contacts_email, search_contacts_name, "
               "search_conversations_recent, search_acd_assignments")
