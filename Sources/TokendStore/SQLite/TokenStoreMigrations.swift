import GRDB

/// The schema, as versioned migrations. A released migration is never edited: add another.
enum TokenStoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE token (
                        id            TEXT    NOT NULL PRIMARY KEY,
                        project_id    TEXT    NOT NULL,
                        name          TEXT    NOT NULL,
                        created_at    INTEGER NOT NULL, -- microseconds since 1970, UTC
                        updated_at    INTEGER NOT NULL,
                        scopes        INTEGER NOT NULL, -- TokenScopes bit mask
                        secret_hash   BLOB    NOT NULL UNIQUE, -- HMAC-SHA256 of the secret
                        secret_prefix TEXT    NOT NULL
                    ) STRICT;
                    -- One index per order_by, with and without the project filter; id last makes each order total.
                    CREATE INDEX token_by_created ON token (created_at, id);
                    CREATE INDEX token_by_name ON token (name, id);
                    CREATE INDEX token_by_project_created ON token (project_id, created_at, id);
                    CREATE INDEX token_by_project_name ON token (project_id, name, id);
                    """)
        }
        migrator.registerMigration("v2: expiry, last use, rotation grace, audit trail") { db in
            try db.execute(
                sql: """
                    ALTER TABLE token ADD COLUMN expires_at INTEGER;              -- microseconds; NULL: never
                    ALTER TABLE token ADD COLUMN last_used_at INTEGER;            -- raised in batches by verify
                    ALTER TABLE token ADD COLUMN previous_secret_hash BLOB;       -- a rotated-out secret in its grace period
                    ALTER TABLE token ADD COLUMN previous_secret_valid_until INTEGER;
                    CREATE UNIQUE INDEX token_by_previous_secret ON token (previous_secret_hash)
                        WHERE previous_secret_hash IS NOT NULL;
                    CREATE TABLE activity (
                        id         INTEGER PRIMARY KEY AUTOINCREMENT,
                        at         INTEGER NOT NULL,
                        kind       TEXT    NOT NULL,
                        token_id   TEXT,
                        project_id TEXT,
                        actor      TEXT,
                        request_id TEXT,
                        count      INTEGER NOT NULL DEFAULT 1,
                        reason     TEXT
                    ) STRICT;
                    CREATE INDEX activity_by_project ON activity (project_id, id);
                    CREATE INDEX activity_by_token ON activity (token_id, id);
                    """)
        }
        migrator.registerMigration("v3: idempotency keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE idempotency (
                        key         TEXT    NOT NULL PRIMARY KEY,
                        fingerprint BLOB    NOT NULL, -- SHA-256 of the create request it was used for
                        token_id    TEXT    NOT NULL,
                        created_at  INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX idempotency_by_age ON idempotency (created_at);
                    """)
        }
        migrator.registerMigration("v4: token count") { db in
            // An unfiltered list's exact total_count in O(1): counting a million rows costs ~100 ms.
            try db.execute(
                sql: """
                    CREATE TABLE token_count (id INTEGER PRIMARY KEY CHECK (id = 1), tokens INTEGER NOT NULL) STRICT;
                    INSERT INTO token_count (id, tokens) SELECT 1, COUNT(*) FROM token;
                    CREATE TRIGGER token_counted_on_insert AFTER INSERT ON token BEGIN
                        UPDATE token_count SET tokens = tokens + 1 WHERE id = 1;
                    END;
                    CREATE TRIGGER token_counted_on_delete AFTER DELETE ON token BEGIN
                        UPDATE token_count SET tokens = tokens - 1 WHERE id = 1;
                    END;
                    """)
        }
        migrator.registerMigration("v5: xScaler tenants, revoked keys, traffic, portal audit fields") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant (
                        id           TEXT    NOT NULL PRIMARY KEY, -- xs_<org slug>_<8>
                        project_id   TEXT    NOT NULL UNIQUE,      -- its keys' project; verify joins on it
                        org_id       TEXT    NOT NULL,
                        display_name TEXT    NOT NULL,
                        environment  TEXT    NOT NULL,
                        created_at   INTEGER NOT NULL,
                        suspended    INTEGER NOT NULL DEFAULT 0,
                        deleted_at   INTEGER                       -- kept, so an id is never reused
                    ) STRICT;
                    CREATE INDEX tenant_by_org ON tenant (org_id, created_at, id);
                    -- Keys revoked through the portal: gone from token (so verify cannot find
                    -- them), kept here for GET /tenants/{id}/keys/{key_id}.
                    CREATE TABLE revoked_key (
                        id            TEXT    NOT NULL PRIMARY KEY,
                        project_id    TEXT    NOT NULL,
                        name          TEXT    NOT NULL,
                        created_at    INTEGER NOT NULL,
                        updated_at    INTEGER NOT NULL,
                        scopes        INTEGER NOT NULL,
                        secret_prefix TEXT    NOT NULL,
                        expires_at    INTEGER,
                        last_used_at  INTEGER,
                        revoked_at    INTEGER NOT NULL
                    ) STRICT;
                    -- What verify let through, per project and calendar month (UTC).
                    CREATE TABLE traffic (
                        project_id       TEXT    NOT NULL,
                        month            TEXT    NOT NULL, -- 2026-12
                        writes           INTEGER NOT NULL,
                        reads            INTEGER NOT NULL,
                        bytes_pushed     INTEGER NOT NULL,
                        log_bytes_pushed INTEGER NOT NULL,
                        PRIMARY KEY (project_id, month)
                    ) STRICT, WITHOUT ROWID;
                    ALTER TABLE activity ADD COLUMN actor_email TEXT;
                    ALTER TABLE activity ADD COLUMN details TEXT; -- JSON: metadata, before, after
                    """)
        }
        migrator.registerMigration("v6: token count per project") { db in
            // A project's list has an exact total_count without counting its rows
            // (`TokenListQuery.totalSQL`). A project whose tokens are all gone keeps its row at
            // 0: deleting it too made every delete cost another statement.
            try db.execute(
                sql: """
                    CREATE TABLE project_token_count (
                        project_id TEXT    NOT NULL PRIMARY KEY,
                        tokens     INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    INSERT INTO project_token_count (project_id, tokens) SELECT project_id, COUNT(*) FROM token GROUP BY project_id;
                    CREATE TRIGGER project_token_counted_on_insert AFTER INSERT ON token BEGIN
                        INSERT INTO project_token_count (project_id, tokens) VALUES (NEW.project_id, 1)
                            ON CONFLICT (project_id) DO UPDATE SET tokens = tokens + 1;
                    END;
                    CREATE TRIGGER project_token_counted_on_delete AFTER DELETE ON token BEGIN
                        UPDATE project_token_count SET tokens = tokens - 1 WHERE project_id = OLD.project_id;
                    END;
                    CREATE TRIGGER project_token_counted_on_move AFTER UPDATE OF project_id ON token
                    WHEN NEW.project_id != OLD.project_id BEGIN
                        UPDATE project_token_count SET tokens = tokens - 1 WHERE project_id = OLD.project_id;
                        INSERT INTO project_token_count (project_id, tokens) VALUES (NEW.project_id, 1)
                            ON CONFLICT (project_id) DO UPDATE SET tokens = tokens + 1;
                    END;
                    """)
        }
        return migrator
    }
}
