"""Data protection: tombstones of erased contacts and conversations (the archive never writes them
back), the daily retention runs (one per tenant and day; the newest cutoff also keeps older messages
out), an append-only audit table, and indexes for searching the audit log.

Revision ID: 0004_protection
Revises: 0003_reports
Create Date: 2026-07-01
"""

from alembic import op

revision = "0004_protection"
down_revision = "0003_reports"
branch_labels = None
depends_on = None

# An erasure holds the advisory lock (omnirelay.erasure, tenant) exclusively while it writes its
# tombstones and deletes the rows; every archive insert takes it shared first. So an archive
# transaction that read Redis before the erasure either commits before it (and the erasure deletes
# its rows) or sees the tombstones (and its rows are dropped): erased data never comes back.
GUARD = """
CREATE FUNCTION omnirelay_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('omnirelay.erasure'), hashtext(NEW.tenant));
    IF TG_TABLE_NAME = 'messages' THEN
        IF EXISTS (SELECT 1 FROM erased_conversations e
                   WHERE e.tenant = NEW.tenant AND e.conversation_id = NEW.conversation_id)
           OR NEW.ts < (SELECT r.cutoff FROM retention_runs r WHERE r.tenant = NEW.tenant ORDER BY r.day DESC LIMIT 1) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_TABLE_NAME = 'attachments' THEN
        IF EXISTS (SELECT 1 FROM erased_conversations e
                   WHERE e.tenant = NEW.tenant AND e.conversation_id = NEW.conversation_id) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_TABLE_NAME = 'conversations' THEN
        IF EXISTS (SELECT 1 FROM erased_conversations e WHERE e.tenant = NEW.tenant AND e.conversation_id = NEW.id)
           OR EXISTS (SELECT 1 FROM erased_contacts e WHERE e.tenant = NEW.tenant AND e.contact_id = NEW.contact_id) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_TABLE_NAME = 'contacts' THEN
        IF EXISTS (SELECT 1 FROM erased_contacts e
                   WHERE e.tenant = NEW.tenant AND e.contact_id IN (NEW.id, NEW.merged_into)) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_TABLE_NAME = 'identities' THEN
        IF EXISTS (SELECT 1 FROM erased_contacts e WHERE e.tenant = NEW.tenant AND e.contact_id = NEW.contact_id) THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END $$
"""

# Audit rows never change and never go: no code path updates or deletes them, and the database
# refuses it too (statement-level, so even a DELETE matching nothing is refused).
APPEND_ONLY = """
CREATE FUNCTION omnirelay_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$
"""

GUARDED = ("messages", "attachments", "conversations", "contacts", "identities")

STATEMENTS = [
    """CREATE TABLE erased_contacts (
        tenant      text NOT NULL,
        contact_id  text NOT NULL,
        erased_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, contact_id)
    )""",
    """CREATE TABLE erased_conversations (
        tenant           text NOT NULL,
        conversation_id  text NOT NULL,
        PRIMARY KEY (tenant, conversation_id)
    )""",
    """CREATE TABLE retention_runs (
        tenant       text NOT NULL,
        day          date NOT NULL,
        cutoff       timestamptz NOT NULL,
        started_at   timestamptz NOT NULL DEFAULT now(),
        finished_at  timestamptz,
        counts       jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant, day)
    )""",
    GUARD,
    *(f"CREATE TRIGGER {t}_guard BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION omnirelay_history_guard()"
      for t in GUARDED),
    APPEND_ONLY,
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION omnirelay_audit_append_only()",
    "CREATE INDEX audit_actor ON audit (tenant, actor, ts)",
    "CREATE INDEX audit_action ON audit (tenant, action, ts)",
]


def upgrade() -> None:
    for statement in STATEMENTS:  # one per execute: the asyncpg driver prepares each
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS audit_action")
    op.execute("DROP INDEX IF EXISTS audit_actor")
    op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
    op.execute("DROP FUNCTION IF EXISTS omnirelay_audit_append_only()")
    for table in GUARDED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
    op.execute("DROP FUNCTION IF EXISTS omnirelay_history_guard()")
    op.execute("DROP TABLE IF EXISTS retention_runs, erased_conversations, erased_contacts")
