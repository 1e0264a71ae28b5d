import GRDB

/// The schema, as versioned migrations. A released migration is never edited: add another.
enum TokenStoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tokens") { db in
            try db.execute(sql: """
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
        return migrator
    }
}
