// The versioned schema. Each migration runs once and is recorded in
// schema_migrations; those a file lacks run together in one transaction
// (an upgrade is all or nothing). Append new ones; never edit old ones.

import TaizhangCore

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
        // Reads by the columns they filter on: a unit's subtree is one range
        // of admin_units.path; an asset's stage, custodian, handover
        // deadline and the units whose ledgers keep it are columns (filled
        // from each asset's record by `backfill`). The assets table is
        // rebuilt so its small columns come before the record: SQLite keeps
        // a row's columns in order, and a column stored after a record of
        // several kilobytes is reached only through its overflow pages.
        (6, """
        ALTER TABLE admin_units ADD COLUMN path TEXT NOT NULL DEFAULT '';
        WITH RECURSIVE tree(code, path) AS (
            SELECT code, '/' || code || '/' FROM admin_units WHERE parent_code = ''
            UNION ALL
            SELECT u.code, tree.path || u.code || '/' FROM admin_units u JOIN tree ON u.parent_code = tree.code
        )
        -- A unit whose parent is missing (the API cannot make one) gets a
        -- path of its own, which the ledger check then names.
        UPDATE admin_units SET path = COALESCE((SELECT tree.path FROM tree WHERE tree.code = admin_units.code), '/' || code || '/');
        CREATE INDEX admin_units_path ON admin_units(path);
        CREATE TABLE assets_6 (
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
            stage TEXT NOT NULL,
            custodian TEXT NOT NULL,
            handover_due TEXT NOT NULL,
            ledger_units TEXT NOT NULL,
            record_json TEXT NOT NULL
        );
        INSERT INTO assets_6 SELECT id, code, name, category, usage_status, admin_code, project_id, acquired_date, original_value_fen,
            accumulated_depreciation_fen, version, created_at, updated_at, '', '', '', '', record_json FROM assets ORDER BY id;
        DROP TABLE assets;
        ALTER TABLE assets_6 RENAME TO assets;
        CREATE INDEX assets_admin_code ON assets(admin_code, stage, id);
        """),
        // Each asset under every unit it lies in or under (a closure of the
        // admin hierarchy): a unit's assets in id order are one range of the
        // key, so a page of a township costs the page, however large the
        // township. The writer keeps it (one b-tree, no other index: a
        // registration adds a row per unit on the path, three in a county);
        // the ledger check holds it to the assets' locations and the units'
        // paths.
        (7, """
        CREATE TABLE asset_units (
            unit_code TEXT NOT NULL,
            asset_id TEXT NOT NULL,
            PRIMARY KEY (unit_code, asset_id)
        ) WITHOUT ROWID;
        WITH RECURSIVE up(asset_id, code) AS (
            SELECT id, admin_code FROM assets
            UNION ALL
            SELECT up.asset_id, u.parent_code FROM up JOIN admin_units u ON u.code = up.code WHERE u.parent_code <> ''
        )
        INSERT INTO asset_units(unit_code, asset_id) SELECT code, asset_id FROM up ORDER BY code, asset_id;
        """),
        // The summary's aggregates (`AssetTotals`): filled when the store
        // opens, under the depreciation policy in force (`totals_basis`
        // names it; rebuilt when it changes).
        (8, """
        CREATE TABLE asset_totals (
            unit_code TEXT NOT NULL,
            acquired_date TEXT NOT NULL,
            category TEXT NOT NULL,
            stage TEXT NOT NULL,
            life_months INTEGER NOT NULL,
            no_custodian INTEGER NOT NULL,
            handover_due TEXT NOT NULL,
            asset_id TEXT NOT NULL,
            assets INTEGER NOT NULL,
            value_fen INTEGER NOT NULL,
            remaining_fen INTEGER NOT NULL,
            monthly_fen INTEGER NOT NULL,
            PRIMARY KEY (unit_code, acquired_date, category, stage, life_months, no_custodian, handover_due, asset_id),
            -- A sum past 64 bits would turn into a REAL: refused instead.
            CHECK (typeof(assets) = 'integer' AND typeof(value_fen) = 'integer' AND typeof(remaining_fen) = 'integer'
                   AND typeof(monthly_fen) = 'integer')
        ) WITHOUT ROWID;
        CREATE TABLE totals_basis (policy TEXT NOT NULL);
        """),
        // How many assets lie in or under each unit, by stage ('' the whole
        // ledger): a listing's total from a few rows, not a count of the
        // unit's index entries. The writer keeps it; the check recounts it.
        (9, """
        CREATE TABLE unit_counts (
            unit_code TEXT NOT NULL,
            stage TEXT NOT NULL,
            assets INTEGER NOT NULL,
            PRIMARY KEY (unit_code, stage)
        ) WITHOUT ROWID;
        INSERT INTO unit_counts(unit_code, stage, assets)
            SELECT x.unit_code, a.stage, COUNT(*) FROM asset_units x JOIN assets a ON a.id = x.asset_id GROUP BY 1, 2
            UNION ALL SELECT '', stage, COUNT(*) FROM assets GROUP BY 2;
        """),
        // Reports as columns, with no JSON body, clustered by entity and
        // quarter: an entity's reports are one range of the table, read
        // without a parser (`StoredRows.report`). STRICT: a column holds
        // its declared type or nothing, so a figure edited into text is
        // refused by SQLite rather than read as 0. Filled from the records
        // by `backfill`, which then replaces the old table.
        (10, """
        CREATE TABLE reports_10 (
            entity_id TEXT NOT NULL,
            quarter TEXT NOT NULL,
            revision INTEGER NOT NULL,
            output_value_fen INTEGER NOT NULL,
            sales_revenue_fen INTEGER NOT NULL,
            sales_channels BLOB NOT NULL,
            profit_fen INTEGER NOT NULL,
            payments_due_fen INTEGER NOT NULL,
            payments_paid_fen INTEGER NOT NULL,
            poor_labourers_employed INTEGER NOT NULL,
            households_linked INTEGER NOT NULL,
            dividends_paid_fen INTEGER NOT NULL,
            support_measures BLOB NOT NULL,
            target_output_value_fen INTEGER NOT NULL,
            target_sales_revenue_fen INTEGER NOT NULL,
            submitted_on TEXT NOT NULL,
            correction_reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (entity_id, quarter)
        ) STRICT, WITHOUT ROWID;
        """),
        // Answers kept for idempotency keys are read from the file by key
        // (no longer held in memory); expired ones are pruned by age.
        (11, """
        CREATE INDEX idempotency_created ON idempotency(created_unix_ms);
        """),
        // Entities and contracts as columns, as reports are (schema 10):
        // a full risk run reads every one, and their JSON bodies cost it
        // about a tenth of its time. Clustered by id; STRICT. Filled by
        // `backfill`, which replaces the old tables and indexes them: an
        // entity listing by unit or kind, and its total, read an index.
        (12, """
        CREATE TABLE entities_12 (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            admin_code TEXT NOT NULL,
            credit_code TEXT NOT NULL,
            legal_representative TEXT NOT NULL,
            contact TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE contracts_12 (
            id TEXT PRIMARY KEY,
            asset_id TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            start_date TEXT NOT NULL,
            end_date TEXT NOT NULL,
            payments BLOB NOT NULL,
            committed_poor_labourers INTEGER NOT NULL,
            committed_households INTEGER NOT NULL,
            terminated_on TEXT NOT NULL,
            operator_since TEXT NOT NULL,
            amendments BLOB NOT NULL,
            version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        """),
        // An asset's record is the bytes of its `taizhang.ledger.v1.Asset`
        // message (`StoredAsset`), not JSON: one mapping for the answers
        // and the file, about a third of the bytes, and no JSON parser on
        // a read. Filled by `backfill`, record by record, each read back.
        (13, """
        CREATE TABLE assets_13 (
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
            stage TEXT NOT NULL,
            custodian TEXT NOT NULL,
            handover_due TEXT NOT NULL,
            ledger_units TEXT NOT NULL,
            body BLOB NOT NULL
        ) STRICT;
        """),
        // Stewardship records are read from the file, no longer held in
        // memory: their rows gain the columns the listings filter and add
        // up by (`StoredRows.stewardshipColumns`), and two tables the
        // writer keeps answer what the rules ask of all of them: the plan
        // distributing each income, the day each asset was last found by
        // a closed count. Filled by `backfill`, each row read back.
        (14, """
        CREATE TABLE stewardship_14 (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            asset_id TEXT NOT NULL,
            admin_code TEXT NOT NULL,
            contract_id TEXT NOT NULL,
            year INTEGER NOT NULL,
            state TEXT NOT NULL,
            day TEXT NOT NULL,
            amount_fen INTEGER NOT NULL,
            version INTEGER NOT NULL,
            record_json TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE income_plans (
            income_id TEXT PRIMARY KEY,
            plan_id TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE counted_assets (
            asset_id TEXT PRIMARY KEY,
            counted_on TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        """),
        // Projects are read from the file, no longer held in memory: a
        // unit's projects, of one year or of all, are one index range.
        (15, """
        CREATE INDEX projects_unit ON projects(admin_code, year, id);
        """),
        // Alerts' follow-ups by state (issue 20): the queue of work and the
        // monitor's look read the states owed, never the years of alerts
        // that cleared before anyone took them up ("lapsed").
        (16, """
        CREATE INDEX stewardship_state ON stewardship_records(kind, state, id);
        UPDATE stewardship_records SET state = 'lapsed'
            WHERE kind = 'alert' AND state = 'pending' AND (record_json ->> '$.clearedAt') <> '';
        """),
        // A project's assets (issue 21): the books comparison (账账相符)
        // reads them for each completed project.
        (17, """
        CREATE INDEX assets_project ON assets(project_id, id);
        """),
        // The journal as a transparency log (issue 24): the hashes of its
        // Merkle tree (RFC 9162), each perfect subtree at the place
        // `MerkleStoredIndex` gives it, so the writer only appends; and the
        // signed tree heads. Filled by `backfill` from the journal.
        (18, """
        CREATE TABLE merkle_hashes (
            id INTEGER PRIMARY KEY,
            hash BLOB NOT NULL
        ) STRICT;
        CREATE TABLE tree_heads (
            size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            time TEXT NOT NULL,
            origin TEXT NOT NULL,
            signature BLOB NOT NULL,
            public_key BLOB NOT NULL
        ) STRICT;
        """),
    ]

    /// Work a migration does in Swift after its SQL, in the same transaction.
    static func backfill(_ version: Int, _ db: any SQLConnection) throws {
        if version == 13 {
            try moveToColumns(db, version: 13, table: StoredRows.assets, key: ["id"], record: Asset.init(recordJSON:),
                              values: StoredRows.values, read: StoredRows.asset)
            try db.execute("CREATE INDEX assets_admin_code ON assets(admin_code, stage, id);")
        }
        if version == 6 { try fillAssetColumns(db) }
        if version == 18 { try MerkleRows.build(db) }
        if version == 14 { try moveStewardship(db) }
        if version == 10 {
            try moveToColumns(db, version: 10, table: StoredRows.reports, key: ["entity_id", "quarter"], record: QuarterReport.init(recordJSON:),
                              values: StoredRows.values, read: { try StoredRows.report($0) })
        }
        if version == 12 {
            try moveToColumns(db, version: 12, table: StoredRows.entities, key: ["id"], record: OperatingEntity.init(recordJSON:),
                              values: StoredRows.values, read: StoredRows.entity)
            try moveToColumns(db, version: 12, table: StoredRows.contracts, key: ["id"], record: OperationContract.init(recordJSON:),
                              values: StoredRows.values, read: StoredRows.contract)
            try db.execute("""
                CREATE UNIQUE INDEX entities_credit_code ON entities(credit_code) WHERE credit_code <> '';
                CREATE INDEX entities_unit ON entities(admin_code, id);
                CREATE INDEX entities_kind ON entities(kind, id);
                CREATE INDEX contracts_entity ON contracts(entity_id);
                CREATE INDEX contracts_asset ON contracts(asset_id);
                """)
        }
    }

    /// Moves a table of JSON records (`record_json`) to the table of
    /// columns the migration's SQL created as `<name>_<version>`: writes
    /// each record's row of columns, reads it back as a record and compares
    /// it with the record, then drops the table of records and gives the
    /// new one its name. A record that does not read, or a row that does
    /// not give back its record, stops the migration (it rolls back, and
    /// the daemon does not start) rather than leave a wrong row.
    static func moveToColumns<Record: Equatable>(_ db: any SQLConnection, version: Int, table: StoredTable, key: [String],
                                                 record: (String) throws -> Record, values: (Record) -> [SQLValue],
                                                 read: (any SQLStatement) throws -> Record) throws {
        let staging = "\(table.name)_\(version)"
        let insert = try db.prepare(StoredTable(name: staging, columns: table.columns, keyExpression: "", filter: "").insert)
        let match = key.map { "\($0) = ?" }.joined(separator: " AND ")
        let readBack = try db.prepare("SELECT \(table.columns.joined(separator: ", ")) FROM \(staging) WHERE \(match)")
        let keyColumns = key.map { table.columns.firstIndex(of: $0) ?? 0 }
        let keys = key.joined(separator: ", ")
        try db.prepare("SELECT \(keys), record_json FROM \(table.name) ORDER BY \(keys)").query([]) { row in
            let keyValues: [SQLValue] = key.indices.map { .text(row.text(Int32($0))) }
            let name = "\(table.name) \(key.indices.map { row.text(Int32($0)) }.joined(separator: "/"))"
            let stored: Record
            do {
                stored = try record(row.text(Int32(key.count)))
            } catch {
                throw SQLiteError(code: 0, message: "migration \(version): \(name): its stored record does not read (\(error)); nothing was migrated")
            }
            let written = values(stored)
            guard keyColumns.map({ written[$0] }) == keyValues else {
                throw SQLiteError(code: 0, message: "migration \(version): \(name): the row holds the record of another key; nothing was migrated")
            }
            try insert.run(written)
            var back: Record?
            try readBack.query(keyValues) { back = try read($0) }
            guard back == stored else {
                throw SQLiteError(code: 0, message: "migration \(version): \(name): its row of columns does not read back as its record; nothing was migrated")
            }
        }
        try db.execute("DROP TABLE \(table.name); ALTER TABLE \(staging) RENAME TO \(table.name);")
    }

    /// Writes each stewardship record's row of schema 14 and what it adds
    /// to `income_plans` and `counted_assets`, reading each row back; then
    /// replaces the old table and indexes the new one.
    static func moveStewardship(_ db: any SQLConnection) throws {
        let insert = try db.prepare(StoredTable(name: "stewardship_14", columns: StoredRows.stewardshipColumns, keyExpression: "", filter: "").insert)
        let readBack = try db.prepare("SELECT \(StoredRows.stewardshipColumns.joined(separator: ", ")) FROM stewardship_14 WHERE kind = ? AND id = ?")
        let indexes = try StewardshipIndexes(db)
        try db.prepare("SELECT kind, id, record_json FROM stewardship_records ORDER BY kind, id").query([]) { row in
            let name = "\(row.text(0)) \(row.text(1))"
            let record: StewardshipRecord
            do {
                record = try SQLiteLedgerStore.stewardshipRecord(row, kind: 0, id: 1, json: 2)
            } catch {
                throw SQLiteError(code: 0, message: "migration 14: \(name): its stored record does not read (\(error)); nothing was migrated")
            }
            let values = StoredRows.values(record, json: row.text(2))
            guard values[0] == .text(row.text(0)), values[1] == .text(row.text(1)) else {
                throw SQLiteError(code: 0, message: "migration 14: \(name): the row holds the record of another key; nothing was migrated")
            }
            try insert.run(values)
            try indexes.write(record)
            var stored: [SQLValue] = []
            try readBack.query([values[0], values[1]]) { back in stored = values.indices.map { back.value(Int32($0)) } }
            guard stored == values else {
                throw SQLiteError(code: 0, message: "migration 14: \(name): its row does not read back as written; nothing was migrated")
            }
        }
        try db.execute("""
            DROP TABLE stewardship_records;
            ALTER TABLE stewardship_14 RENAME TO stewardship_records;
            CREATE INDEX stewardship_unit ON stewardship_records(kind, admin_code, id);
            CREATE INDEX stewardship_asset ON stewardship_records(kind, asset_id, id);
            CREATE INDEX stewardship_contract ON stewardship_records(contract_id) WHERE contract_id <> '';
            """)
    }

    /// Writes every asset's row from its record as the writer now would,
    /// and reads each back to check it: a record that does not read, or a
    /// row that does not come out as written, stops the migration (it rolls
    /// back and the daemon does not start) rather than leave a wrong row.
    static func fillAssetColumns(_ db: any SQLConnection) throws {
        // Schema 6's row: the record as JSON where schema 13 keeps its bytes.
        let columns = StoredRows.assets.columns.map { $0 == "body" ? "record_json" : $0 }
        let update = try db.prepare("UPDATE assets SET " + columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ?")
        let read = try db.prepare("SELECT \(columns.joined(separator: ", ")) FROM assets WHERE id = ?")
        // The ids first, then one record at a time: memory stays bounded by a record.
        var ids: [String] = []
        try db.prepare("SELECT id FROM assets ORDER BY id").query([]) { ids.append($0.text(0)) }
        let record = try db.prepare("SELECT record_json FROM assets WHERE id = ?")
        for id in ids {
            var json = ""
            try record.query([.text(id)]) { json = $0.text(0) }
            let asset: Asset
            do {
                asset = try Asset(recordJSON: json)
            } catch {
                throw SQLiteError(code: 0, message: "migration 6: asset \(id)'s stored record does not read (\(error)); nothing was migrated")
            }
            var values = StoredRows.values(asset, body: [])
            values[columns.firstIndex(of: "record_json") ?? 0] = .text(json)
            guard values[0] == .text(id) else {
                throw SQLiteError(code: 0, message: "migration 6: the row of asset \(id) holds the record of \(asset.id); nothing was migrated")
            }
            try update.run(Array(values.dropFirst()) + [values[0]])
            var stored: [SQLValue] = []
            try read.query([.text(id)]) { row in stored = columns.indices.map { row.value(Int32($0)) } }
            guard stored == values else {
                throw SQLiteError(code: 0, message: "migration 6: asset \(id)'s row does not read back as written; nothing was migrated")
            }
        }
    }

    /// The newest schema version this build knows.
    static var newest: Int { all.last?.version ?? 0 }

    /// Brings the database to the newest version.
    static func migrate(_ db: any SQLConnection, nowUnixMillis: Int64) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_unix_ms INTEGER NOT NULL)")
        var applied: Set<Int> = []
        try db.prepare("SELECT version FROM schema_migrations").query([]) { applied.insert(Int($0.int(0))) }
        if let newest = applied.max(), newest > (all.last?.version ?? 0) {
            throw SQLiteError(code: 0, message: "the database is at schema version \(newest), newer than this taizhangd knows (\(all.last?.version ?? 0)); use a newer taizhangd")
        }
        // One transaction for every version to apply: an upgrade is all or
        // nothing (a file is at the version it was, or at the newest).
        let pending = all.filter { !applied.contains($0.version) }
        guard !pending.isEmpty else { return }
        try db.execute("BEGIN IMMEDIATE")
        do {
            for migration in pending {
                try db.execute(migration.sql)
                try backfill(migration.version, db)
                try db.prepare("INSERT INTO schema_migrations(version, applied_unix_ms) VALUES (?, ?)")
                    .run([.int(Int64(migration.version)), .int(nowUnixMillis)])
            }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }
}
