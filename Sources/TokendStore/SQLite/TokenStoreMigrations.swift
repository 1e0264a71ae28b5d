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
        return migrator
    }
}
