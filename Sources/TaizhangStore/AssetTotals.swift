// The ledger summary's aggregates (schema 8): the assets of each ledger
// counted together by what a summary reads of them, so a summary at any
// date reads a few rows, not every asset. A row sums the assets of one
// ledger (a unit's, or '' for the whole ledger) that share their acquisition
// date, category, stage, schedule length, custodian's absence and handover
// deadline: their count, their values, and their monthly charges rounded down
// one by one, from which `Depreciation.groupAsOf` gives the exact sum of
// their depreciation at any date. An asset whose value changed has a
// schedule of its own: its row names it, and a summary reads it whole.
//
// The writer keeps the rows in the transaction that changes the asset; the
// lengths depend on the depreciation policy, so the rows are rebuilt when
// the daemon starts under another policy than the one they were kept under
// (`totals_basis`), and after the migration that adds them. The ledger check
// recomputes every row from the asset rows (which it checks against the
// journal) and compares.

import Foundation
import TaizhangCore

/// Rows of `asset_totals`.
enum AssetTotals {
    /// What a row counts its assets by.
    struct Key: Hashable {
        var unit: String
        var acquired: String
        var category: String
        var stage: String
        var months: Int64
        var noCustodian: Int64
        var handoverDue: String
        var assetId: String

        var values: [SQLValue] {
            [.text(unit), .text(acquired), .text(category), .text(stage), .int(months), .int(noCustodian), .text(handoverDue), .text(assetId)]
        }
        /// How the check names the row.
        var name: String {
            "\(unit.isEmpty ? "ledger" : unit) \(acquired) \(category) \(stage)\(assetId.isEmpty ? "" : " " + assetId)"
        }
    }

    /// What a row sums.
    struct Sums: Equatable {
        var assets: Int64 = 0
        var value: Int64 = 0
        var remaining: Int64 = 0
        var monthly: Int64 = 0

        mutating func add(_ other: Sums, sign: Int64 = 1) {
            assets &+= sign &* other.assets
            value &+= sign &* other.value
            remaining &+= sign &* other.remaining
            monthly &+= sign &* other.monthly
        }
        var values: [SQLValue] { [.int(assets), .int(value), .int(remaining), .int(monthly)] }
    }

    static let keyColumns = ["unit_code", "acquired_date", "category", "stage", "life_months", "no_custodian", "handover_due", "asset_id"]
    static let sumColumns = ["assets", "value_fen", "remaining_fen", "monthly_fen"]
    static var columns: [String] { keyColumns + sumColumns }

    /// Adds sums to a row, creating it.
    static let add = "INSERT INTO asset_totals(\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        + " ON CONFLICT(\(keyColumns.joined(separator: ", "))) DO UPDATE SET "
        + sumColumns.map { "\($0) = asset_totals.\($0) + excluded.\($0)" }.joined(separator: ", ")
    /// Drops a row left with no asset.
    static let dropEmpty = "DELETE FROM asset_totals WHERE " + keyColumns.map { "\($0) = ?" }.joined(separator: " AND ") + " AND assets = 0"

    /// The rows `asset` counts in: one per ledger in `ledgers`; none when
    /// it is disposed (out of the active ledger).
    static func rows(_ asset: Asset, ledgers: [String], policy: DepreciationPolicy) -> [(key: Key, sums: Sums)] {
        let stage = asset.lifecycle.stage
        guard stage != .disposed else { return [] }
        let months = Depreciation.groupMonths(of: asset, policy: policy)
        var sums = Sums(assets: 1)
        if let months {
            sums.value = Depreciation.groupValue(of: asset)
            sums.remaining = max(0, sums.value)
            sums.monthly = months > 0 ? sums.remaining / Int64(months) : 0
        }
        let due = stage == .published ? asset.lifecycle.handoverDue?.description ?? "" : ""
        return ledgers.map { ledger in
            (Key(unit: ledger, acquired: asset.acquiredDate.description, category: asset.category.rawValue, stage: stage.rawValue,
                 months: Int64(months ?? 0), noCustodian: asset.custody.custodian.isEmpty ? 1 : 0, handoverDue: due,
                 assetId: months == nil ? asset.id : ""), sums)
        }
    }

    /// The ledgers that keep `asset`: the whole ledger's ('') and every unit
    /// on the path of a unit owning it (`LedgerMembership`), once each.
    static func ledgers(of asset: Asset, path: (String) throws -> String) rethrows -> [String] {
        var ledgers = [""]
        var seen: Set<String> = [""]
        for owning in LedgerMembership.owningUnits(of: asset) {
            for code in StoredRows.units(onPath: try path(owning), location: owning) where seen.insert(code).inserted {
                ledgers.append(code)
            }
        }
        return ledgers
    }

    /// Every row as the asset rows give them, read in `db`'s transaction.
    static func expected(_ db: any SQLConnection, policy: DepreciationPolicy) throws -> [Key: Sums] {
        var paths: [String: String] = [:]
        try db.prepare("SELECT code, path FROM admin_units").query([]) { paths[$0.text(0)] = $0.text(1) }
        var totals: [Key: Sums] = [:]
        var bodies: [AssetQuery.StoredBody] = []
        func fold() throws {
            for asset in try AssetQuery.decode(bodies) {
                for (key, sums) in rows(asset, ledgers: ledgers(of: asset) { paths[$0] ?? "" }, policy: policy) {
                    totals[key, default: Sums()].add(sums)
                }
            }
            bodies.removeAll(keepingCapacity: true)
        }
        let statement = try db.prepare("SELECT id, body FROM assets WHERE stage <> ?")
        try statement.start([.text(AssetStage.disposed.rawValue)])
        while try statement.step() {
            bodies.append(AssetQuery.StoredBody(id: statement.text(0), bytes: statement.blob(1)))
            if bodies.count == 4_096 { try fold() }
        }
        try fold()
        return totals
    }

    /// The rows as stored, read in `db`'s transaction.
    static func stored(_ db: any SQLConnection) throws -> [Key: Sums] {
        var rows: [Key: Sums] = [:]
        try db.prepare("SELECT \(columns.joined(separator: ", ")) FROM asset_totals").query([]) { row in
            rows[key(row)] = Sums(assets: row.int(8), value: row.int(9), remaining: row.int(10), monthly: row.int(11))
        }
        return rows
    }

    static func key(_ row: any SQLStatement) -> Key {
        Key(unit: row.text(0), acquired: row.text(1), category: row.text(2), stage: row.text(3), months: row.int(4),
            noCustodian: row.int(5), handoverDue: row.text(6), assetId: row.text(7))
    }

    /// The policy the rows were kept under ("" when none yet).
    static func basis(_ db: any SQLConnection) throws -> String {
        var basis = ""
        try db.prepare("SELECT policy FROM totals_basis").query([]) { basis = $0.text(0) }
        return basis
    }

    /// Rebuilds the rows when they were kept under another policy (or
    /// never: just migrated), in one transaction.
    static func ensure(_ db: any SQLConnection, policy: DepreciationPolicy, clock: any WallClock) throws {
        guard try basis(db) != policy.fingerprint else { return }
        let started = clock.monotonicNanos()
        try db.execute("BEGIN IMMEDIATE")
        do {
            let totals = try expected(db, policy: policy)
            try db.execute("DELETE FROM asset_totals; DELETE FROM totals_basis")
            let insert = try db.prepare(add)
            for (key, sums) in totals { try insert.run(key.values + sums.values) }
            try db.prepare("INSERT INTO totals_basis(policy) VALUES (?)").run([.text(policy.fingerprint)])
            try db.execute("COMMIT")
            if !totals.isEmpty { StoreLog.notice("the ledger's totals were computed under the depreciation policy in force: \(totals.count) rows in "
                          + String(format: "%.1f s", Double(clock.monotonicNanos() &- started) / 1e9)) }
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// The summary of a ledger (`ledger` nil: the whole one) as of `asOf`,
    /// optionally of the assets acquired in `year`, from the rows read in
    /// `db`'s transaction; an asset with a schedule of its own is read
    /// whole in the same transaction.
    static func summary(_ db: any SQLConnection, ledger: String?, year: Int?, asOf: CivilDate, policy: DepreciationPolicy) throws -> LedgerSummary {
        var sql = "SELECT \(columns.joined(separator: ", ")) FROM asset_totals WHERE unit_code = ? AND acquired_date <= ?"
        var values: [SQLValue] = [.text(ledger ?? ""), .text(asOf.description)]
        if let year {
            sql += " AND acquired_date >= ? AND acquired_date <= ?"
            values += [.text(String(format: "%04d-01-01", year)), .text(String(format: "%04d-12-31", year))]
        }
        var summary = LedgerSummary(asOf: asOf)
        var own: [String] = []
        try db.cached(sql).query(values) { row in
            let key = key(row)
            guard key.assetId.isEmpty else {
                own.append(key.assetId)
                return
            }
            guard let acquired = CivilDate(key.acquired), let category = AssetCategory(rawValue: key.category),
                  let stage = AssetStage(rawValue: key.stage) else {
                throw SQLiteError(code: 0, message: "asset_totals holds a row that does not read (\(key.name))")
            }
            let (accumulated, net) = Depreciation.groupAsOf(asOf, acquired: acquired, months: Int(key.months), start: policy.start,
                                                            valueFen: row.int(9), remainingFen: row.int(10), monthlyFen: row.int(11))
            try summary.add(AssetGroup(count: Int(row.int(8)), category: category, stage: stage, withoutCustodian: key.noCustodian != 0,
                                       handoverDue: key.handoverDue.isEmpty ? nil : CivilDate(key.handoverDue)),
                            accumulated: accumulated, net: net)
        }
        let read = try db.cached("SELECT body FROM assets WHERE id = ?")
        for id in own {
            var body: AssetQuery.StoredBody?
            try read.query([.text(id)]) { body = AssetQuery.StoredBody(id: id, bytes: $0.blob(0)) }
            guard let body else { throw SQLiteError(code: 0, message: "asset_totals counts asset \(id), which has no row") }
            try summary.add(try body.asset(), policy: policy)
        }
        return summary
    }
}
