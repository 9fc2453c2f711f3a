// The ledger's tables on PostgreSQL: the schema the SQLite migrations
// arrive at (`SQLiteLedgerStore.schemaVersion`), in PostgreSQL's types.
// Text columns sort bytewise (COLLATE "C"), as SQLite's do and as the
// store's keys are compared in Swift, whatever the database's locale.
// Created whole on an empty database; a database at an older version of
// this schema will be migrated by later versions of this file.

import TaizhangStore

enum PostgresSchema {
    /// The tables and indexes (SQLite's schema, column for column).
    static let tables = """
    CREATE TABLE admin_units (
        code TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        level TEXT COLLATE "C" NOT NULL,
        parent_code TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        record_json TEXT COLLATE "C" NOT NULL,
        path TEXT COLLATE "C" NOT NULL DEFAULT '');
    CREATE TABLE projects (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        year BIGINT NOT NULL,
        admin_code TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        record_json TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE audit_journal (
        seq BIGINT PRIMARY KEY,
        time TEXT COLLATE "C" NOT NULL,
        identity TEXT COLLATE "C" NOT NULL,
        actor TEXT COLLATE "C" NOT NULL,
        method TEXT COLLATE "C" NOT NULL,
        request_id TEXT COLLATE "C" NOT NULL,
        request_sha256 TEXT COLLATE "C" NOT NULL,
        record_kind TEXT COLLATE "C" NOT NULL,
        record_id TEXT COLLATE "C" NOT NULL,
        before_json TEXT COLLATE "C" NOT NULL,
        after_json TEXT COLLATE "C" NOT NULL,
        prev_hash TEXT COLLATE "C" NOT NULL,
        hash TEXT COLLATE "C" NOT NULL,
        idempotency_key TEXT COLLATE "C" NOT NULL DEFAULT '');
    CREATE INDEX audit_journal_record ON audit_journal(record_id, seq);
    CREATE TABLE idempotency (
        key TEXT COLLATE "C" PRIMARY KEY,
        method TEXT COLLATE "C" NOT NULL,
        request_sha256 TEXT COLLATE "C" NOT NULL,
        response BYTEA NOT NULL,
        created_unix_ms BIGINT NOT NULL
    );
    CREATE INDEX audit_journal_idempotency ON audit_journal(idempotency_key) WHERE idempotency_key <> '';
    CREATE TABLE ledger_identity (id TEXT COLLATE "C" NOT NULL);
    INSERT INTO ledger_identity(id) VALUES (replace(gen_random_uuid()::text, '-', ''));
    CREATE INDEX admin_units_path ON admin_units(path);
    CREATE TABLE asset_units (
        unit_code TEXT COLLATE "C" NOT NULL,
        asset_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (unit_code, asset_id)
    );
    CREATE TABLE asset_totals (
        unit_code TEXT COLLATE "C" NOT NULL,
        acquired_date TEXT COLLATE "C" NOT NULL,
        category TEXT COLLATE "C" NOT NULL,
        stage TEXT COLLATE "C" NOT NULL,
        life_months BIGINT NOT NULL,
        no_custodian BIGINT NOT NULL,
        handover_due TEXT COLLATE "C" NOT NULL,
        asset_id TEXT COLLATE "C" NOT NULL,
        assets BIGINT NOT NULL,
        value_fen BIGINT NOT NULL,
        remaining_fen BIGINT NOT NULL,
        monthly_fen BIGINT NOT NULL,
        PRIMARY KEY (unit_code, acquired_date, category, stage, life_months, no_custodian, handover_due, asset_id)
    );
    CREATE TABLE totals_basis (policy TEXT COLLATE "C" NOT NULL);
    CREATE TABLE unit_counts (
        unit_code TEXT COLLATE "C" NOT NULL,
        stage TEXT COLLATE "C" NOT NULL,
        assets BIGINT NOT NULL,
        PRIMARY KEY (unit_code, stage)
    );
    CREATE TABLE reports (
        entity_id TEXT COLLATE "C" NOT NULL,
        quarter TEXT COLLATE "C" NOT NULL,
        revision BIGINT NOT NULL,
        output_value_fen BIGINT NOT NULL,
        sales_revenue_fen BIGINT NOT NULL,
        sales_channels BYTEA NOT NULL,
        profit_fen BIGINT NOT NULL,
        payments_due_fen BIGINT NOT NULL,
        payments_paid_fen BIGINT NOT NULL,
        poor_labourers_employed BIGINT NOT NULL,
        households_linked BIGINT NOT NULL,
        dividends_paid_fen BIGINT NOT NULL,
        support_measures BYTEA NOT NULL,
        target_output_value_fen BIGINT NOT NULL,
        target_sales_revenue_fen BIGINT NOT NULL,
        submitted_on TEXT COLLATE "C" NOT NULL,
        correction_reason TEXT COLLATE "C" NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (entity_id, quarter)
    );
    CREATE INDEX idempotency_created ON idempotency(created_unix_ms);
    CREATE TABLE entities (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        kind TEXT COLLATE "C" NOT NULL,
        admin_code TEXT COLLATE "C" NOT NULL,
        credit_code TEXT COLLATE "C" NOT NULL,
        legal_representative TEXT COLLATE "C" NOT NULL,
        contact TEXT COLLATE "C" NOT NULL,
        version BIGINT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE contracts (
        id TEXT COLLATE "C" PRIMARY KEY,
        asset_id TEXT COLLATE "C" NOT NULL,
        entity_id TEXT COLLATE "C" NOT NULL,
        mode TEXT COLLATE "C" NOT NULL,
        start_date TEXT COLLATE "C" NOT NULL,
        end_date TEXT COLLATE "C" NOT NULL,
        payments BYTEA NOT NULL,
        committed_poor_labourers BIGINT NOT NULL,
        committed_households BIGINT NOT NULL,
        terminated_on TEXT COLLATE "C" NOT NULL,
        operator_since TEXT COLLATE "C" NOT NULL,
        amendments BYTEA NOT NULL,
        version BIGINT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
    );
    CREATE UNIQUE INDEX entities_credit_code ON entities(credit_code) WHERE credit_code <> '';
    CREATE INDEX entities_unit ON entities(admin_code, id);
    CREATE INDEX entities_kind ON entities(kind, id);
    CREATE INDEX contracts_entity ON contracts(entity_id);
    CREATE INDEX contracts_asset ON contracts(asset_id);
    CREATE TABLE assets (
        id TEXT COLLATE "C" PRIMARY KEY,
        code TEXT COLLATE "C" UNIQUE,
        name TEXT COLLATE "C" NOT NULL,
        category TEXT COLLATE "C" NOT NULL,
        usage_status TEXT COLLATE "C" NOT NULL,
        admin_code TEXT COLLATE "C" NOT NULL,
        project_id TEXT COLLATE "C" NOT NULL,
        acquired_date TEXT COLLATE "C" NOT NULL,
        original_value_fen BIGINT NOT NULL,
        accumulated_depreciation_fen BIGINT NOT NULL,
        version BIGINT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        stage TEXT COLLATE "C" NOT NULL,
        custodian TEXT COLLATE "C" NOT NULL,
        handover_due TEXT COLLATE "C" NOT NULL,
        ledger_units TEXT COLLATE "C" NOT NULL,
        body BYTEA NOT NULL
    );
    CREATE INDEX assets_admin_code ON assets(admin_code, stage, id);
    CREATE TABLE stewardship_records (
        kind TEXT COLLATE "C" NOT NULL,
        id TEXT COLLATE "C" NOT NULL,
        asset_id TEXT COLLATE "C" NOT NULL,
        admin_code TEXT COLLATE "C" NOT NULL,
        contract_id TEXT COLLATE "C" NOT NULL,
        year BIGINT NOT NULL,
        state TEXT COLLATE "C" NOT NULL,
        day TEXT COLLATE "C" NOT NULL,
        amount_fen BIGINT NOT NULL,
        version BIGINT NOT NULL,
        record_json TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (kind, id)
    );
    CREATE TABLE income_plans (
        income_id TEXT COLLATE "C" PRIMARY KEY,
        plan_id TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE counted_assets (
        asset_id TEXT COLLATE "C" PRIMARY KEY,
        counted_on TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX stewardship_unit ON stewardship_records(kind, admin_code, id);
    CREATE INDEX stewardship_asset ON stewardship_records(kind, asset_id, id);
    CREATE INDEX stewardship_contract ON stewardship_records(contract_id) WHERE contract_id <> '';
    CREATE INDEX projects_unit ON projects(admin_code, year, id);
    CREATE INDEX stewardship_state ON stewardship_records(kind, state, id);
    CREATE INDEX assets_project ON assets(project_id, id);
    CREATE TABLE merkle_hashes (
        id BIGINT PRIMARY KEY,
        hash BYTEA NOT NULL
    );
    CREATE TABLE tree_heads (
        size BIGINT PRIMARY KEY,
        root BYTEA NOT NULL,
        time TEXT COLLATE "C" NOT NULL,
        origin TEXT COLLATE "C" NOT NULL,
        signature BYTEA NOT NULL,
        public_key BYTEA NOT NULL
    );
    -- SQLite's instr(), which the ledger check uses.
    CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS 'SELECT strpos(haystack, needle)::bigint';
    """

    /// The lock that makes daemons starting at once create the schema once.
    static let creationLockKey: Int64 = PostgresConnection.defaultJournalLockKey &+ 1

    /// Creates the tables when the database has none, in one transaction;
    /// refuses a database at a schema version this build does not write.
    static func migrate(_ db: PostgresConnection, nowUnixMillis: Int64) throws {
        try db.execute("BEGIN; SELECT pg_advisory_xact_lock(\(creationLockKey))")
        do {
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_unix_ms BIGINT NOT NULL)")
            var newest: Int64 = 0
            try db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").query([]) { newest = $0.int(0) }
            let expected = Int64(SQLiteLedgerStore.schemaVersion)
            if newest == 0 {
                try db.execute(tables)
                // Every version, as a SQLite file migrated at once records
                // them (the ledger check reads when version 4 came).
                let insert = try db.prepare("INSERT INTO schema_migrations(version, applied_unix_ms) VALUES (?, ?)")
                for version in 1...expected { try insert.run([.int(version), .int(nowUnixMillis)]) }
            } else if newest != expected {
                throw PostgresError(sqlState: "", message: newest > expected
                    ? "the database is at schema version \(newest), newer than this taizhangd knows (\(expected)); use a newer taizhangd"
                    : "the database is at schema version \(newest); this taizhangd writes \(expected) and cannot migrate PostgreSQL from it",
                    connectionLost: false)
            }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
