// The ledger against its journal: every row of every record table must be
// exactly what the journal's entries produce (the last after-image of the
// record, or for a stock-take the count its entries add up to), column by
// column, and every record the journal created must have its row. Rows and
// journal are read in one read transaction, both ordered by the record's
// id, and merged: memory stays bounded by one record, however long the
// history.

import Foundation
import TaizhangCore

/// One record table being walked in the order of its key.
private final class RowCursor {
    let table: StoredTable
    let statement: any SQLStatement
    /// The current row's key and values; nil when the table is done.
    var key: String?
    var values: [SQLValue] = []

    init(_ table: StoredTable, connection: any SQLConnection) throws {
        self.table = table
        statement = try connection.prepare(table.select)
        try statement.start([])
        try advance()
    }

    func advance() throws {
        guard try statement.step() else {
            key = nil
            return
        }
        key = statement.text(0)
        values = table.columns.indices.map { statement.value(Int32($0 + 1)) }
    }
}

/// What the journal says one record is, folded from its entries.
private enum Expected {
    /// The last after-image (every kind but stock-takes).
    case image(String)
    /// A stock-take: its opening record with each count and the close applied.
    case count(StockTake)
    /// An after-image that does not read as its kind.
    case unreadable(seq: Int64, problem: String)
}

/// Checks the stored rows against the journal; collects the differences.
struct LedgerCheck {
    /// The first differences, named; the count has them all.
    private(set) var mismatches: [LedgerMismatch] = []
    private(set) var mismatchCount: UInt64 = 0
    private(set) var rowsChecked: UInt64 = 0
    static let listedMax = 100
    /// The policy the summary's totals are kept under.
    let policy: DepreciationPolicy

    init(policy: DepreciationPolicy) {
        self.policy = policy
    }

    /// The tables the check covers, by the journal's record kind.
    static let tables: [String: StoredTable] = {
        var tables = ["admin_unit": StoredRows.adminUnits, "project": StoredRows.projects, "asset": StoredRows.assets,
                      "entity": StoredRows.entities, "contract": StoredRows.contracts, "report": StoredRows.reports]
        for kind in StewardshipKind.allCases { tables[kind.rawValue] = StoredRows.stewardship(kind) }
        return tables
    }()

    /// Tables that hold no ledger records, and why they are not compared.
    static let excluded: [String: String] = [
        "audit_journal": "the journal itself (its hash chain is verified)",
        "schema_migrations": "the schema's history, not the ledger's",
        "ledger_identity": "the ledger's random id, given at creation; its heads are anchored in journald under it",
        "totals_basis": "the depreciation policy the summary's totals were kept under: when it is not the one in force the totals are rebuilt from the asset rows at start (the check compares them with those rows)",
        "merkle_hashes": "the journal's Merkle tree: checked against the leaves made again from the journal's rows (MerkleCheck)",
        "tree_heads": "the signed heads of the journal's tree: each checked against the root of the entries it counts (MerkleCheck)",
        "alerts": "the risk monitor's alerts, which it makes again from the ledger on every run (on PostgreSQL they share the ledger's database; on SQLite they are in alerts.db); the ledger's own records of them are checked",
        "alert_events": "the risk monitor's events, as WatchAlerts sends them; the ledger's alert records take them in and are checked",
        "risk_monitor_leader": "which daemon's risk monitor runs now, on a ledger several daemons share",
        "idempotency": "stored answers to retries, kept for a day; they change no record (each must answer a call the journal records under its key)",
    ]

    /// Runs the whole check on `connection`, inside the caller's read transaction.
    mutating func run(_ connection: any SQLConnection) throws {
        try checkSchema(connection)
        try checkIdempotency(connection)
        try checkPaths(connection)
        try checkAssetUnits(connection)
        try checkTotals(connection)
        try checkUnitCounts(connection)
        try checkStewardshipIndexes(connection)
        var cursors: [String: RowCursor] = [:]
        for (kind, table) in LedgerCheck.tables { cursors[kind] = try RowCursor(table, connection: connection) }
        let journal = try connection.prepare("SELECT record_id, record_kind, seq, after_json FROM audit_journal ORDER BY record_id, seq")
        try journal.start([])
        // The entries of one record id at a time, folded per kind.
        var groupId: String?
        var expected: [String: Expected] = [:]
        while try journal.step() {
            let id = journal.text(0)
            if groupId != id {
                if let groupId { try settle(groupId, expected, cursors) }
                groupId = id
                expected = [:]
            }
            let kind = journal.text(1)
            // Entries about the ledger as a whole (an accepted head) and
            // reads of personal data have no row.
            if LedgerNotes.kinds.contains(kind) { continue }
            guard LedgerCheck.tables[kind] != nil else {
                note(LedgerMismatch(table: "audit_journal", id: id, column: "record_kind", problem: "entry #\(journal.int(2)) is of a kind this taizhangd does not know (\(kind))"))
                continue
            }
            expected[kind] = LedgerCheck.fold(expected[kind], kind: kind, seq: journal.int(2), afterJSON: journal.text(3))
        }
        if let groupId { try settle(groupId, expected, cursors) }
        for kind in cursors.keys.sorted() {
            guard let cursor = cursors[kind] else { continue }
            while let key = cursor.key {
                noteExtra(cursor, key)
                try cursor.advance()
            }
        }
    }

    /// Every stored answer to a retry, since the journal records keys
    /// (schema version 4), answers a call the journal records under the
    /// same key, method and request: an answer slipped in behind the
    /// daemon's back would otherwise be replayed for a change never made.
    private mutating func checkIdempotency(_ connection: any SQLConnection) throws {
        var since = Int64.max
        try connection.prepare("SELECT applied_unix_ms FROM schema_migrations WHERE version = 4").query([]) { since = $0.int(0) }
        var orphans: [(key: String, method: String)] = []
        try connection.prepare("""
            SELECT i.key, i.method FROM idempotency i WHERE i.created_unix_ms >= ? AND NOT EXISTS (
                SELECT 1 FROM audit_journal a WHERE a.idempotency_key = i.key AND a.idempotency_key <> ''
                    AND a.method = i.method AND a.request_sha256 = i.request_sha256)
            ORDER BY i.key
            """).query([.int(since)]) { orphans.append(($0.text(0), $0.text(1))) }
        for orphan in orphans {
            note(LedgerMismatch(table: "idempotency", id: orphan.key.replacingOccurrences(of: "\n", with: " "), column: "key",
                                problem: "a stored answer to \(orphan.method) that no journal entry records under this key and request"))
        }
    }

    /// Every admin unit's path is its parent's path and its own code (the
    /// codes and parents are checked against the journal): a path edited
    /// behind the daemon's back would move a unit's assets out of, or into,
    /// a township's listings.
    private mutating func checkPaths(_ connection: any SQLConnection) throws {
        var wrong: [(String, String)] = []
        try connection.prepare("""
            SELECT c.code, c.path FROM admin_units c LEFT JOIN admin_units p ON p.code = c.parent_code
            WHERE c.path IS DISTINCT FROM (CASE WHEN c.parent_code = '' THEN '/' ELSE p.path END) || c.code || '/'
            ORDER BY c.code
            """).query([]) { wrong.append(($0.text(0), $0.text(1))) }
        for (code, path) in wrong {
            note(LedgerMismatch(table: "admin_units", id: code, column: "path",
                                problem: "holds \"\(path)\", not its parent's path followed by its own code"))
        }
    }

    /// `asset_units` holds each asset under exactly the units its location's
    /// path names (derived, like the paths, from rows the journal vouches
    /// for): a row for an asset that does not exist, a unit the asset does
    /// not lie in or under, or an asset short of or over its rows is named.
    private mutating func checkAssetUnits(_ connection: any SQLConnection) throws {
        var found: [LedgerMismatch] = []
        try connection.prepare("""
            SELECT x.asset_id, x.unit_code FROM asset_units x LEFT JOIN assets a ON a.id = x.asset_id
            WHERE a.id IS NULL ORDER BY 1, 2
            """).query([]) { row in
            found.append(LedgerMismatch(table: "asset_units", id: row.text(0), column: "asset_id",
                                        problem: "the row is not in the journal: no asset \(row.text(0)) exists to list under \(row.text(1))"))
        }
        try connection.prepare("""
            SELECT x.asset_id, x.unit_code, a.admin_code FROM asset_units x JOIN assets a ON a.id = x.asset_id
            LEFT JOIN admin_units l ON l.code = a.admin_code
            WHERE instr(COALESCE(l.path, '/' || a.admin_code || '/'), '/' || x.unit_code || '/') = 0 ORDER BY 1, 2
            """).query([]) { row in
            found.append(LedgerMismatch(table: "asset_units", id: row.text(0), column: "unit_code",
                                        problem: "the row is not in the journal: lists the asset under \(row.text(1)), and it lies in \(row.text(2)), not under it"))
        }
        // Rows per asset, counted in one pass (the table has no index by asset).
        try connection.prepare("""
            SELECT id, listed, units FROM (
                SELECT a.id, COALESCE(n.listed, 0) AS listed, COALESCE(length(l.path) - length(replace(l.path, '/', '')) - 1, 1) AS units
                FROM assets a LEFT JOIN admin_units l ON l.code = a.admin_code
                LEFT JOIN (SELECT asset_id, COUNT(*) AS listed FROM asset_units GROUP BY asset_id) n ON n.asset_id = a.id
            ) AS x WHERE listed <> units ORDER BY 1
            """).query([]) { row in
            let (rows, units) = (row.int(1), row.int(2))
            found.append(LedgerMismatch(table: "asset_units", id: row.text(0), column: "",
                                        problem: rows < units ? "the row is missing: the asset lies under \(units) units and is listed under \(rows)"
                                                              : "the asset is listed under \(rows) units and lies under \(units)"))
        }
        for mismatch in found { note(mismatch) }
        try connection.prepare("SELECT COUNT(*) FROM asset_units").query([]) { rowsChecked += UInt64($0.int(0)) }
    }

    /// The record's state after one more entry.
    private static func fold(_ current: Expected?, kind: String, seq: Int64, afterJSON: String) -> Expected {
        guard kind == StewardshipKind.stockTake.rawValue else { return .image(afterJSON) }
        // A count opens with its whole record; each later entry holds what one call changed.
        if case .stockTake(let count)? = try? StewardshipJSON.record(kind: .stockTake, text: afterJSON) { return .count(count) }
        guard case .count(let count)? = current,
              let change = try? JSONDecoder().decode(StockTakeChange.self, from: Data(afterJSON.utf8)) else {
            return .unreadable(seq: seq, problem: "entry #\(seq) reads neither as a stock-take nor as a change of one")
        }
        return .count(count.applying(change))
    }

    /// Compares the rows of record `id` with what its entries produced.
    private mutating func settle(_ id: String, _ expected: [String: Expected], _ cursors: [String: RowCursor]) throws {
        for (kind, state) in expected.sorted(by: { $0.key < $1.key }) {
            guard let cursor = cursors[kind] else { continue }
            while let key = cursor.key, key.utf8.lexicographicallyPrecedes(id.utf8) {
                noteExtra(cursor, key)
                try cursor.advance()
            }
            guard cursor.key == id else {
                note(LedgerMismatch(table: cursor.table.name, id: id, column: "", problem: "the row is missing: the journal created \(kind) \(id) and no change since removed it"))
                continue
            }
            rowsChecked += 1
            switch LedgerCheck.values(kind: kind, state) {
            case .success(let values):
                for (index, column) in cursor.table.columns.enumerated() where values[index] != cursor.values[index] {
                    let shown = column == "record_json" || column == "body" ? "the stored record differs from the journal's after-image" : "holds \(cursor.values[index]), the journal says \(values[index])"
                    note(LedgerMismatch(table: cursor.table.name, id: id, column: column, problem: shown))
                }
            case .failure(let problem):
                note(LedgerMismatch(table: "audit_journal", id: id, column: "after_json", problem: problem.message))
            }
            try cursor.advance()
        }
    }

    /// The row the journal's state of a record gives.
    private static func values(kind: String, _ state: Expected) -> Result<[SQLValue], LedgerError> {
        do {
            switch state {
            case .unreadable(_, let problem):
                return .failure(LedgerError(.dataLoss, problem))
            case .count(let count):
                let record = StewardshipRecord.stockTake(count)
                return .success(StoredRows.values(record, json: StewardshipJSON.text(record)))
            case .image(let json):
                switch kind {
                case "admin_unit": return .success(StoredRows.values(try AdminUnit(recordJSON: json), json: json))
                case "project": return .success(StoredRows.values(try Project(recordJSON: json), json: json))
                case "asset": return .success(StoredRows.values(try Asset(recordJSON: json)))
                case "entity": return .success(StoredRows.values(try OperatingEntity(recordJSON: json)))
                case "contract": return .success(StoredRows.values(try OperationContract(recordJSON: json)))
                case "report": return .success(StoredRows.values(try QuarterReport(recordJSON: json)))
                default:
                    guard let stewardship = StewardshipKind(rawValue: kind) else { return .failure(LedgerError(.dataLoss, "unknown kind \(kind)")) }
                    return .success(StoredRows.values(try StewardshipJSON.record(kind: stewardship, text: json), json: json))
                }
            }
        } catch {
            return .failure(LedgerError(.dataLoss, "the journal's last after-image of this \(kind) does not read as one: \(error)"))
        }
    }

    /// Every table is one the check compares or one it names as excluded,
    /// with the columns it knows: a table or column added behind the
    /// daemon's back is found.
    private mutating func checkSchema(_ connection: any SQLConnection) throws {
        var known: [String: [String]] = [:]
        for table in LedgerCheck.tables.values { known[table.name] = table.columns + table.derived }
        known["asset_units"] = ["unit_code", "asset_id"]
        known["asset_totals"] = AssetTotals.columns
        known["unit_counts"] = ["unit_code", "stage", "assets"]
        known["income_plans"] = StewardshipIndexes.incomePlanColumns
        known["counted_assets"] = StewardshipIndexes.countedColumns
        var tables: [String] = []
        try connection.prepare(Self.tablesSQL(connection.dialect)).query([]) { tables.append($0.text(0)) }
        for name in tables {
            guard let columns = known[name] else {
                if LedgerCheck.excluded[name] == nil {
                    note(LedgerMismatch(table: name, id: "", column: "", problem: "a table this taizhangd neither writes nor checks"))
                }
                continue
            }
            var stored: [String] = []
            try connection.prepare(Self.columnsSQL(connection.dialect)).query([.text(name)]) { stored.append($0.text(0)) }
            for column in stored where !columns.contains(column) {
                note(LedgerMismatch(table: name, id: "", column: column, problem: "a column this taizhangd neither writes nor checks"))
            }
        }
        let kinds = StewardshipKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        try connection.prepare("SELECT kind, id FROM stewardship_records WHERE kind NOT IN (\(kinds)) ORDER BY kind, id").query([]) { row in
            note(LedgerMismatch(table: "stewardship_records", id: row.text(1), column: "kind", problem: "holds an unknown kind \"\(row.text(0))\" no journal entry created"))
        }
    }

    /// The summary's totals are what the asset rows (checked against the
    /// journal) add up to, under the policy in force: a row edited, added or
    /// deleted behind the daemon's back would change every summary that
    /// reads it.
    private mutating func checkTotals(_ connection: any SQLConnection) throws {
        let basis = try AssetTotals.basis(connection)
        if basis != policy.fingerprint {
            note(LedgerMismatch(table: "totals_basis", id: "", column: "policy",
                                problem: "the totals are marked as kept under another depreciation policy than the one in force"))
        }
        let expected = try AssetTotals.expected(connection, policy: policy)
        let stored = try AssetTotals.stored(connection)
        rowsChecked += UInt64(stored.count)
        var found: [(String, LedgerMismatch)] = []
        for (key, sums) in stored {
            let order = "\(key.values)"
            guard let want = expected[key] else {
                found.append((order, LedgerMismatch(table: "asset_totals", id: key.name, column: "",
                                                    problem: "the row is not in the journal: no asset of the ledger counts in it (it holds \(sums.assets))")))
                continue
            }
            let pairs = zip([sums.assets, sums.value, sums.remaining, sums.monthly], [want.assets, want.value, want.remaining, want.monthly])
            for (column, (have, should)) in zip(AssetTotals.sumColumns, pairs) where have != should {
                found.append((order, LedgerMismatch(table: "asset_totals", id: key.name, column: column,
                                                    problem: "holds \(have); the assets of the row add up to \(should)")))
            }
        }
        for (key, sums) in expected where stored[key] == nil {
            found.append(("\(key.values)", LedgerMismatch(table: "asset_totals", id: key.name, column: "",
                                                        problem: "the row is missing: \(sums.assets) asset(s) of the ledger count in it")))
        }
        for (_, mismatch) in found.sorted(by: { $0.0 < $1.0 }) { note(mismatch) }
    }

    /// Each unit's count of assets by stage is what `asset_units` (checked
    /// above against the assets and the paths) and the assets' stages give;
    /// the whole ledger's ('') what the assets give.
    private mutating func checkUnitCounts(_ connection: any SQLConnection) throws {
        var expected: [String: Int64] = [:]
        try connection.prepare("""
            SELECT x.unit_code, a.stage, COUNT(*) FROM asset_units x JOIN assets a ON a.id = x.asset_id GROUP BY 1, 2
            UNION ALL SELECT '', stage, COUNT(*) FROM assets GROUP BY 2
            """).query([]) { expected[$0.text(0) + "/" + $0.text(1)] = $0.int(2) }
        var stored: [String: Int64] = [:]
        try connection.prepare("SELECT unit_code, stage, assets FROM unit_counts").query([]) { stored[$0.text(0) + "/" + $0.text(1)] = $0.int(2) }
        rowsChecked += UInt64(stored.count)
        for key in Set(expected.keys).union(stored.keys).sorted() {
            let (have, want) = (stored[key], expected[key])
            guard have != want else { continue }
            let id = key.hasPrefix("/") ? "ledger" + key : key
            if let have, let want {
                note(LedgerMismatch(table: "unit_counts", id: id, column: "assets", problem: "holds \(have); the unit has \(want) such assets"))
            } else if let have {
                note(LedgerMismatch(table: "unit_counts", id: id, column: "", problem: "the row is not in the journal: no such asset lies there (it holds \(have))"))
            } else {
                note(LedgerMismatch(table: "unit_counts", id: id, column: "", problem: "the row is missing: \(want ?? 0) asset(s) lie there"))
            }
        }
    }

    /// `income_plans` and `counted_assets` hold what the stewardship rows
    /// (checked against the journal) give: the plan naming each income,
    /// and for each asset the last day a closed count found it. A row
    /// edited, added or deleted would hide income from the distribution
    /// alerts, or an asset from the count backlog.
    private mutating func checkStewardshipIndexes(_ connection: any SQLConnection) throws {
        let (plans, counted) = Self.stewardshipIndexSQL(connection.dialect)
        let checks: [(table: String, stored: String, expected: String, extra: (String, String) -> String, missing: (String, String) -> String)] = [
            ("income_plans", "SELECT income_id, plan_id FROM income_plans", plans,
             { "the row is not in the journal: plan \($1) does not distribute income \($0)" },
             { "the row is missing: plan \($1) distributes income \($0)" }),
            ("counted_assets", "SELECT asset_id, counted_on FROM counted_assets", counted,
             { "the row is not in the journal: no closed count found asset \($0) on \($1)" },
             { "the row is missing: a closed count found asset \($0) on \($1)" }),
        ]
        for check in checks {
            var found: [LedgerMismatch] = []
            try connection.prepare("SELECT * FROM (\(check.stored) EXCEPT \(check.expected)) AS x ORDER BY 1").query([]) { row in
                found.append(LedgerMismatch(table: check.table, id: row.text(0), column: "", problem: check.extra(row.text(0), row.text(1))))
            }
            try connection.prepare("SELECT * FROM (\(check.expected) EXCEPT \(check.stored)) AS x ORDER BY 1").query([]) { row in
                found.append(LedgerMismatch(table: check.table, id: row.text(0), column: "", problem: check.missing(row.text(0), row.text(1))))
            }
            for mismatch in found.sorted(by: { $0.id < $1.id }) { note(mismatch) }
            try connection.prepare("SELECT COUNT(*) FROM \(check.table)").query([]) { rowsChecked += UInt64($0.int(0)) }
        }
    }

    /// The ledger's tables, by name.
    static func tablesSQL(_ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        case .postgresql:
            // Tables only (an extension's views, such as pg_stat_statements',
            // are not rows of the ledger), and none an extension owns.
            return """
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
                ORDER BY c.relname COLLATE "C"
                """
        }
    }

    /// The columns of the table `?` names.
    static func columnsSQL(_ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: return "SELECT name FROM pragma_table_info(?)"
        case .postgresql:
            return "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
        }
    }

    /// What `income_plans` and `counted_assets` must hold, read from the
    /// stewardship records' JSON (each engine has its own JSON functions).
    static func stewardshipIndexSQL(_ dialect: SQLDialect) -> (plans: String, counted: String) {
        switch dialect {
        case .sqlite:
            return ("""
                SELECT j.value, MIN(s.id) FROM stewardship_records s, json_each(s.record_json, '$.incomeIds') j
                WHERE s.kind = 'distribution_plan' GROUP BY 1
                """, """
                SELECT json_extract(l.value, '$.assetId'), MAX(json_extract(s.record_json, '$.closedOn'))
                FROM stewardship_records s, json_each(s.record_json, '$.lines') l
                WHERE s.kind = 'stock_take' AND json_extract(s.record_json, '$.closedOn') IS NOT NULL AND json_extract(l.value, '$.found') = 1
                GROUP BY 1
                """)
        case .postgresql:
            return ("""
                SELECT j.value COLLATE "C", MIN(s.id) FROM stewardship_records s,
                    jsonb_array_elements_text(s.record_json::jsonb -> 'incomeIds') AS j(value)
                WHERE s.kind = 'distribution_plan' GROUP BY 1
                """, """
                SELECT (l.value ->> 'assetId') COLLATE "C", MAX((s.record_json::jsonb ->> 'closedOn') COLLATE "C")
                FROM stewardship_records s, jsonb_array_elements(s.record_json::jsonb -> 'lines') AS l(value)
                WHERE s.kind = 'stock_take' AND s.record_json::jsonb ->> 'closedOn' IS NOT NULL AND l.value -> 'found' = 'true'::jsonb
                GROUP BY 1
                """)
        }
    }

    private mutating func noteExtra(_ cursor: RowCursor, _ key: String) {
        note(LedgerMismatch(table: cursor.table.name, id: key, column: "", problem: "the row is not in the journal: no change the daemon made created it"))
    }

    private mutating func note(_ mismatch: LedgerMismatch) {
        mismatchCount += 1
        if mismatches.count < LedgerCheck.listedMax { mismatches.append(mismatch) }
    }
}
