// The versioned schema. Each migration runs once, in its own transaction,
// and is recorded in schema_migrations. Append new ones; never edit old ones.

/// The schema migrations, in order.
enum Migrations {
    static let all: [(version: Int, sql: String)] = [
        (1, """
        CREATE TABLE admin_units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            level TEXT NOT NULL,
            parent_code TEXT NOT NULL,
            version INTEGER NOT NULL,
            record_json TEXT NOT NULL
        );
        CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            year INTEGER NOT NULL,
            admin_code TEXT NOT NULL,
            version INTEGER NOT NULL,
            record_json TEXT NOT NULL
        );
        CREATE TABLE assets (
            id TEXT PRIMARY KEY,
            code TEXT UNIQUE,
            name TEXT NOT NULL,
            category TEXT NOT NULL,
            usage_status TEXT NOT NULL,
            admin_code TEXT NOT NULL,
            project_id TEXT NOT NULL,
            acquired_date TEXT NOT NULL,
            original_value_fen INTEGER NOT NULL,
            accumulated_depreciation_fen INTEGER NOT NULL,
            version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            record_json TEXT NOT NULL
        );
        CREATE INDEX assets_admin_code ON assets(admin_code);
        CREATE TABLE audit_journal (
            seq INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            identity TEXT NOT NULL,
            actor TEXT NOT NULL,
            method TEXT NOT NULL,
            request_id TEXT NOT NULL,
            request_sha256 TEXT NOT NULL,
            record_kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            before_json TEXT NOT NULL,
            after_json TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX audit_journal_record ON audit_journal(record_id, seq);
        CREATE TABLE idempotency (
            key TEXT PRIMARY KEY,
            method TEXT NOT NULL,
            request_sha256 TEXT NOT NULL,
            response BLOB NOT NULL,
            created_unix_ms INTEGER NOT NULL
        );
        """),
        (2, """
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            admin_code TEXT NOT NULL,
            credit_code TEXT NOT NULL,
            version INTEGER NOT NULL,
            record_json TEXT NOT NULL
        );
        CREATE UNIQUE INDEX entities_credit_code ON entities(credit_code) WHERE credit_code <> '';
        CREATE TABLE contracts (
            id TEXT PRIMARY KEY,
            asset_id TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            start_date TEXT NOT NULL,
            end_date TEXT NOT NULL,
            version INTEGER NOT NULL,
            record_json TEXT NOT NULL
        );
        CREATE INDEX contracts_entity ON contracts(entity_id);
        CREATE INDEX contracts_asset ON contracts(asset_id);
        CREATE TABLE reports (
            entity_id TEXT NOT NULL,
            quarter TEXT NOT NULL,
            revision INTEGER NOT NULL,
            record_json TEXT NOT NULL,
            PRIMARY KEY (entity_id, quarter)
        );
        """),
        (3, """
        CREATE TABLE stewardship_records (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            asset_id TEXT NOT NULL,
            admin_code TEXT NOT NULL,
            version INTEGER NOT NULL,
            record_json TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        );
        CREATE INDEX stewardship_asset ON stewardship_records(asset_id) WHERE asset_id <> '';
        """),
        (4, """
        ALTER TABLE audit_journal ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
        CREATE INDEX audit_journal_idempotency ON audit_journal(idempotency_key) WHERE idempotency_key <> '';
        """),
        (5, """
        CREATE TABLE ledger_identity (id TEXT NOT NULL);
        INSERT INTO ledger_identity(id) VALUES (lower(hex(randomblob(16))));
        """),
    ]

    /// Brings the database to the newest version.
    static func migrate(_ db: SQLiteConnection, nowUnixMillis: Int64) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_unix_ms INTEGER NOT NULL)")
        var applied: Set<Int> = []
        try db.prepare("SELECT version FROM schema_migrations").query([]) { applied.insert(Int($0.int(0))) }
        if let newest = applied.max(), newest > (all.last?.version ?? 0) {
            throw SQLiteError(code: 0, message: "the database is at schema version \(newest), newer than this taizhangd knows (\(all.last?.version ?? 0)); use a newer taizhangd")
        }
        for migration in all where !applied.contains(migration.version) {
            try db.execute("BEGIN IMMEDIATE")
            do {
                try db.execute(migration.sql)
                try db.prepare("INSERT INTO schema_migrations(version, applied_unix_ms) VALUES (?, ?)")
                    .run([.int(Int64(migration.version)), .int(nowUnixMillis)])
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
