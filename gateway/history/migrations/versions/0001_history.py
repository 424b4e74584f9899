"""The history: conversations, messages (full-text ready), attachments, contacts, identities,
the ACD's event log and the audit trail — every row keyed by tenant, ids as Redis has them.

Revision ID: 0001_history
Revises:
Create Date: 2026-07-01
"""

from alembic import op

revision = "0001_history"
down_revision = None
branch_labels = None
depends_on = None


SCHEMA = """
    CREATE TABLE conversations (
        tenant        text NOT NULL,
        id            text NOT NULL,
        channel       text NOT NULL DEFAULT '',
        channel_type  text NOT NULL DEFAULT '',
        work_channel  text NOT NULL DEFAULT '',
        contact_id    text NOT NULL DEFAULT '',
        state         text NOT NULL DEFAULT '',
        topic         text NOT NULL DEFAULT '',
        queue         text NOT NULL DEFAULT '',
        language      text NOT NULL DEFAULT '',
        agent_id      text NOT NULL DEFAULT '',
        visitor_id    text NOT NULL DEFAULT '',
        external_id   text NOT NULL DEFAULT '',
        linked_to     text NOT NULL DEFAULT '',
        close_reason  text NOT NULL DEFAULT '',
        seq           integer NOT NULL DEFAULT 0,
        created_at    timestamptz,
        updated_at    timestamptz,
        assigned_at   timestamptz,
        closed_at     timestamptz,
        fields        jsonb NOT NULL DEFAULT '{}',  -- every other field of the Redis hash
        archived_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, id)
    );
    CREATE INDEX conversations_contact ON conversations (tenant, contact_id, created_at DESC);
    CREATE INDEX conversations_created ON conversations (tenant, created_at);
    CREATE INDEX conversations_agent ON conversations (tenant, agent_id, created_at);

    CREATE TABLE messages (
        tenant           text NOT NULL,
        conversation_id  text NOT NULL,
        seq              integer NOT NULL,
        id               text NOT NULL,
        author_kind      text NOT NULL,
        author_name      text NOT NULL DEFAULT '',
        author_id        text NOT NULL DEFAULT '',
        text             text NOT NULL DEFAULT '',
        ts               timestamptz NOT NULL,
        client_id        text NOT NULL DEFAULT '',
        extra            jsonb NOT NULL DEFAULT '{}',
        -- the conversation's language decides stemming: german, english or simple
        search_config    regconfig NOT NULL DEFAULT 'simple',
        search           tsvector GENERATED ALWAYS AS (to_tsvector(search_config, text)) STORED,
        PRIMARY KEY (tenant, conversation_id, seq)
    );
    CREATE INDEX messages_search ON messages USING gin (search);
    CREATE INDEX messages_ts ON messages (tenant, ts);

    CREATE TABLE attachments (
        tenant           text NOT NULL,
        id               text NOT NULL,
        conversation_id  text NOT NULL,
        seq              integer NOT NULL,
        name             text NOT NULL DEFAULT '',
        mime             text NOT NULL DEFAULT '',
        size             bigint NOT NULL DEFAULT 0,
        state            text NOT NULL DEFAULT '',
        PRIMARY KEY (tenant, id)
    );
    CREATE INDEX attachments_conversation ON attachments (tenant, conversation_id, seq);

    CREATE TABLE contacts (
        tenant          text NOT NULL,
        id              text NOT NULL,
        name            text NOT NULL DEFAULT '',
        email           text NOT NULL DEFAULT '',
        phone           text NOT NULL DEFAULT '',
        email_verified  boolean NOT NULL DEFAULT false,
        phone_verified  boolean NOT NULL DEFAULT false,
        merged_into     text NOT NULL DEFAULT '',
        created_at      timestamptz,
        archived_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, id)
    );
    CREATE INDEX contacts_merged ON contacts (tenant, merged_into) WHERE merged_into <> '';
    CREATE INDEX contacts_email ON contacts (tenant, lower(email)) WHERE email <> '';
    CREATE INDEX contacts_phone ON contacts (tenant, phone) WHERE phone <> '';

    CREATE TABLE identities (
        tenant      text NOT NULL,
        kind        text NOT NULL,
        value       text NOT NULL,
        contact_id  text NOT NULL,
        PRIMARY KEY (tenant, kind, value)
    );
    CREATE INDEX identities_contact ON identities (tenant, contact_id);

    CREATE TABLE acd_events (
        tenant  text NOT NULL,
        id      text NOT NULL,            -- the Redis stream entry id: "<ms>-<n>"
        ev      text NOT NULL,
        ts      timestamptz NOT NULL,
        queue   text NOT NULL DEFAULT '',
        minute  bigint,
        fields  jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant, id)
    );
    CREATE INDEX acd_events_ts ON acd_events (tenant, ts);

    CREATE TABLE audit (
        tenant   text NOT NULL,
        id       text NOT NULL,
        ts       timestamptz NOT NULL,
        actor    text NOT NULL DEFAULT '',
        role     text NOT NULL DEFAULT '',
        action   text NOT NULL,
        details  jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (tenant, id)
    );
    CREATE INDEX audit_ts ON audit (tenant, ts);
"""


def upgrade() -> None:
    # one statement per execute: the asyncpg driver prepares each, and a prepared statement holds one
    for statement in SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE audit, acd_events, identities, contacts, attachments, messages, conversations")
