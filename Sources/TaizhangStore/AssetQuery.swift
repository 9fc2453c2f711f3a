// Asset listings read from the file: each filter is a condition on an
// indexed column, a unit's subtree is one range of admin_units.path, and a
// page starts after the last key of the one before (so a page stays right
// while rows are inserted or changed). Only the records of the page are
// read whole. Reads run on connections of their own (WAL readers never wait
// for the writer), one read transaction per listing, so a page and its
// total count the same rows.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangRecords

/// Read-only connections to the ledger file, each used by one read at a time.
final class ReadPool: Sendable {
    private let engine: any StoreEngine
    /// The connections kept between reads; nil once the pool is closed.
    private let free = Mutex<[ReadConnection]?>([])
    /// Connections kept open between reads; more are opened while more
    /// reads run at once, and closed after.
    static let kept = 6

    /// @unchecked: a connection is used by one read at a time, taken from
    /// and returned to the pool under its lock.
    struct ReadConnection: @unchecked Sendable {
        let connection: any SQLConnection
    }

    init(engine: any StoreEngine) {
        self.engine = engine
    }

    /// Closes the connections kept between reads (those in use are closed
    /// when their reads end, as the pool is full or closed).
    func closeAll() {
        free.withLock { $0 = nil }
    }

    /// Keeps `taken` for the next read, unless enough are kept or the pool
    /// is closed (then it is closed as it is dropped).
    private func giveBack(_ taken: ReadConnection) {
        free.withLock { if let kept = $0, kept.count < Self.kept { $0!.append(taken) } }
    }

    /// A kept connection, or a new one when none is free.
    /// - Throws: UNAVAILABLE once the pool is closed (the file is not opened again).
    private func take() throws -> ReadConnection {
        let (open, kept) = free.withLock { free -> (Bool, ReadConnection?) in
            guard free != nil else { return (false, nil) }
            return (true, free!.popLast())
        }
        guard open else { throw LedgerError(.unavailable, "the store is closed") }
        return try kept ?? ReadConnection(connection: engine.openReader())
    }

    /// Runs `body` (one statement: its own read transaction) on a connection.
    func point<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let taken = try take()
        defer {
            if taken.connection.isAutocommit { giveBack(taken) }
        }
        return try body(taken.connection)
    }

    /// Runs `body` on a connection inside one read transaction.
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let taken = try take()
        let db = taken.connection
        try db.execute("BEGIN")
        defer {
            // A connection left inside its transaction would fail every later
            // read: it is closed (dropped) instead of returned.
            if (try? db.execute("COMMIT")) != nil, db.isAutocommit {
                giveBack(taken)
            }
        }
        return try body(db)
    }
}

/// Conditions joined by AND over a table whose `admin_code` column places
/// each row, with their values in order.
struct RowConditions {
    private(set) var conditions: [String] = []
    private(set) var values: [SQLValue] = []

    /// Rows in the subtree of `code` (every row when nil).
    init(inSubtreeOf code: String?) {
        if let code { add("admin_code IN (\(AssetQuery.subtreeCodes))", .text(code)) }
    }

    mutating func add(_ condition: String, _ value: SQLValue) {
        conditions.append(condition)
        values.append(value)
    }
}

/// A listing's filter as SQL over the assets table.
struct AssetQuery {
    /// Conditions joined by AND, and their values in order.
    private(set) var conditions: [String] = []
    private(set) var values: [SQLValue] = []
    /// The unit whose subtree the assets must lie in.
    let adminCode: String?
    /// The unit whose ledger the assets must be in (`LedgerMembership`),
    /// checked on the `ledger_units` column as rows are read.
    let ledgerCode: String?

    /// The units of a subtree: the unit's own path and every path under it.
    static let subtreeCodes = "SELECT u.code FROM admin_units u, admin_units top WHERE top.code = ? AND u.path >= top.path AND u.path < top.path || '~'"

    /// The stage asked for (nil: every stage but disposed).
    let stage: AssetStage?
    /// Whether the filter asks for nothing but a unit and a stage: its
    /// total is then read from `unit_counts`.
    let countedByUnit: Bool

    init(_ filter: AssetFilter) {
        ledgerCode = filter.ledgerCode
        adminCode = filter.adminCode
        stage = filter.stage
        countedByUnit = filter.ledgerCode == nil && filter.category == nil && filter.usageStatus == nil && filter.year == nil
            && !filter.withoutCustodian && filter.handoverOverdueOn == nil
        if let category = filter.category { add("category = ?", .text(category.rawValue)) }
        if let status = filter.usageStatus { add("usage_status = ?", .text(status.rawValue)) }
        if let year = filter.year {
            // Dates are stored as YYYY-MM-DD: a year is one range.
            add("acquired_date >= ?", .text(String(format: "%04d-01-01", year)))
            add("acquired_date <= ?", .text(String(format: "%04d-12-31", year)))
        }
        // Disposed assets are out of the active ledger: listed only when asked for by stage.
        if let stage = filter.stage { add("stage = ?", .text(stage.rawValue)) } else { add("stage <> ?", .text(AssetStage.disposed.rawValue)) }
        if filter.withoutCustodian { conditions.append("custodian = ''") }
        if let day = filter.handoverOverdueOn {
            add("stage = ?", .text(AssetStage.published.rawValue))
            conditions.append("handover_due <> ''")
            add("handover_due < ?", .text(day.description))
        }
    }

    private mutating func add(_ condition: String, _ value: SQLValue) {
        conditions.append(condition)
        values.append(value)
    }

    /// The filter's conditions (the stage's at least), the subtree's among
    /// them: for counting, from the index (admin_code, stage, id).
    private var whereClause: String {
        ((adminCode == nil ? [] : ["admin_code IN (\(AssetQuery.subtreeCodes))"]) + conditions).joined(separator: " AND ")
    }
    private var whereValues: [SQLValue] { (adminCode.map { [SQLValue.text($0)] } ?? []) + values }

    /// The page after `after` and, when asked, the total, in `db`'s read transaction.
    /// `cached` gives a record already decoded (used when it is the version
    /// the read matched; otherwise the record is read from the file).
    /// With `inline` (a scan, which reads every record of its page) the
    /// records come in the same walk as the keys, not by key after it.
    func page(_ db: any SQLConnection, after: String?, limit: Int, countTotal: Bool, inline: Bool = false,
              cached: (String) -> Asset? = { _ in nil }) throws -> Page<Asset> {
        let ledger = try ledgerCode.map { try AssetQuery.subtree(of: $0, db) }
        // The page's ids in key order, then their records.
        let columns = "id, version" + (ledger == nil ? "" : ", ledger_units") + (inline ? ", body" : "")
        let bodyColumn: Int32 = ledger == nil ? 2 : 3
        let (sql, bound) = walk(columns, after: after, limit: ledger == nil ? limit + 1 : nil)
        let statement = try db.prepare(sql)
        try statement.start(bound)
        var ids: [(id: String, version: Int64)] = []
        var inlined: [StoredBody] = []
        var more = false
        while try statement.step() {
            if let ledger, !AssetQuery.kept(statement.text(2), by: ledger) { continue }
            if ids.count == limit {
                more = true
                break
            }
            ids.append((statement.text(0), statement.int(1)))
            if inline { inlined.append(StoredBody(id: ids[ids.count - 1].id, bytes: statement.blob(bodyColumn))) }
        }
        statement.reset()
        if inline {
            let records = try AssetQuery.decode(inlined)
            return Page(records: records, nextAfter: more ? records.last?.id : nil, total: 0)
        }
        // Then the page's records by key.
        let record = try db.cached("SELECT body FROM assets WHERE id = ?")
        var found: [Asset?] = Array(repeating: nil, count: ids.count)
        var bodies: [(position: Int, body: StoredBody)] = []
        for (position, (id, version)) in ids.enumerated() {
            // Only the version this read matched: the cache may already
            // hold a newer one (moved out of the unit, say).
            if let asset = cached(id), asset.version == version {
                found[position] = asset
            } else {
                try record.query([.text(id)]) { bodies.append((position, StoredBody(id: id, bytes: $0.blob(0)))) }
            }
        }
        for (body, asset) in zip(bodies, try AssetQuery.decode(bodies.map(\.body))) { found[body.position] = asset }
        let records = found.compactMap { $0 }
        var total = 0
        if countTotal {
            if let ledger {
                try db.prepare("SELECT ledger_units FROM assets WHERE \(whereClause)").query(whereValues) { row in
                    if AssetQuery.kept(row.text(0), by: ledger) { total += 1 }
                }
            } else if countedByUnit {
                let stageCondition = stage == nil ? "stage <> ?" : "stage = ?"
                try db.cached("SELECT COALESCE(SUM(assets), 0) FROM unit_counts WHERE unit_code = ? AND \(stageCondition)")
                    .query([.text(adminCode ?? ""), .text((stage ?? .disposed).rawValue)]) { total = Int($0.int(0)) }
            } else {
                try db.prepare("SELECT COUNT(*) FROM assets WHERE \(whereClause)").query(whereValues) { total = Int($0.int(0)) }
            }
        }
        return Page(records: records, nextAfter: more ? records.last?.id : nil, total: total)
    }

    /// The SQL of a walk in key order after `after`: a unit's from its range
    /// of asset_units (a page costs the page, however large the unit), the
    /// whole ledger's from the assets' key; `columns` of each row matching
    /// the other conditions on its small columns. One row past a page tells
    /// whether more follow; with a ledger filter rows are skipped as read,
    /// so no limit.
    private func walk(_ columns: String, after: String?, through: String? = nil, limit: Int?) -> (sql: String, bound: [SQLValue]) {
        var sql: String
        var bound: [SQLValue]
        if let adminCode {
            sql = "SELECT \(columns) FROM asset_units x CROSS JOIN assets a ON a.id = x.asset_id WHERE x.unit_code = ? AND "
                + conditions.joined(separator: " AND ")
            bound = [.text(adminCode)] + values
            if let after {
                sql += " AND x.asset_id > ?"
                bound.append(.text(after))
            }
            if let through {
                sql += " AND x.asset_id <= ?"
                bound.append(.text(through))
            }
            sql += " ORDER BY x.asset_id"
        } else {
            sql = "SELECT \(columns) FROM assets WHERE " + conditions.joined(separator: " AND ")
            bound = values
            if let after {
                sql += " AND id > ?"
                bound.append(.text(after))
            }
            if let through {
                sql += " AND id <= ?"
                bound.append(.text(through))
            }
            sql += " ORDER BY id"
        }
        if let limit {
            sql += " LIMIT ?"
            bound.append(.int(Int64(limit)))
        }
        return (sql, bound)
    }

    /// A scan's page: the facts of up to `limit` assets after `after`, and
    /// the records of those `wanted` picks, in the same walk (a record not
    /// picked is never made a string, let alone decoded).
    func facts(_ db: any SQLConnection, after: String?, through: String? = nil, limit: Int, wanted: (AssetFacts) -> Bool) throws -> FactsPage {
        let ledger = try ledgerCode.map { try AssetQuery.subtree(of: $0, db) }
        let (sql, bound) = walk(AssetQuery.factsColumns, after: after, through: through, limit: ledger == nil ? limit + 1 : nil)
        let statement = try db.cached(sql)
        try statement.start(bound)
        defer { statement.reset() }
        var page = FactsPage()
        var bodies: [(position: Int, body: StoredBody)] = []
        while try statement.step() {
            if let ledger, !AssetQuery.kept(statement.text(7), by: ledger) { continue }
            if page.facts.count == limit {
                page.nextAfter = page.facts.last?.id
                break
            }
            let facts = try AssetQuery.facts(statement)
            if wanted(facts) { bodies.append((page.facts.count, StoredBody(id: facts.id, bytes: statement.blob(6)))) }
            page.facts.append(facts)
        }
        page.records = Array(repeating: nil, count: page.facts.count)
        for (body, asset) in zip(bodies, try AssetQuery.decode(bodies.map(\.body))) { page.records[body.position] = asset }
        return page
    }

    /// The columns a facts scan reads, in the order `facts(_:)` reads them.
    static let factsColumns = "id, admin_code, stage, usage_status, created_at, acquired_date, body, ledger_units, name"

    /// The facts of the row `statement` stands on (its columns `factsColumns`).
    static func facts(_ statement: any SQLStatement) throws -> AssetFacts {
        let id = statement.text(0)
        guard let stage = AssetStage(rawValue: statement.text(2)), let status = UsageStatus(rawValue: statement.text(3)),
              let acquired = statement.withText(5, CivilDate.init(utf8:)) else {
            throw LedgerError(.dataLoss, "asset \(id)'s row does not read (stage, usage status or acquired date); run taizhang audit verify")
        }
        return AssetFacts(id: id, name: statement.text(8), adminCode: statement.text(1), stage: stage, usageStatus: status,
                          createdAt: statement.text(4), acquiredDate: acquired)
    }

    /// The facts of the assets `ids` names (those the ledger holds, in that
    /// order), each read by key, with the records `wanted` picks.
    static func facts(_ db: any SQLConnection, ids: [String], wanted: (AssetFacts) -> Bool) throws -> FactsPage {
        // Read in lists on a server (`eachKey`), then put in the order of `ids`.
        var read: [String: (facts: AssetFacts, body: [UInt8]?)] = [:]
        try db.eachKey("SELECT \(factsColumns) FROM assets WHERE id", ids) { row in
            let facts = try AssetQuery.facts(row)
            read[facts.id] = (facts, wanted(facts) ? row.blob(6) : nil)
        }
        var page = FactsPage()
        var bodies: [(position: Int, body: StoredBody)] = []
        for id in ids {
            guard let (facts, body) = read[id] else { continue }
            if let body { bodies.append((page.facts.count, StoredBody(id: facts.id, bytes: body))) }
            page.facts.append(facts)
        }
        page.records = Array(repeating: nil, count: page.facts.count)
        for (body, asset) in zip(bodies, try AssetQuery.decode(bodies.map(\.body))) { page.records[body.position] = asset }
        return page
    }

    /// A page of a facts scan (`facts`): `records[i]` is the record of
    /// `facts[i]` when it was wanted.
    struct FactsPage {
        var facts: [AssetFacts] = []
        var records: [Asset?] = []
        var nextAfter: String?
    }

    /// An asset's stored bytes, read but not yet decoded.
    struct StoredBody {
        var id: String
        var bytes: [UInt8]
        func asset() throws -> Asset {
            do {
                return try StoredAsset.asset(bytes)
            } catch {
                throw StoredRowError(table: "assets", key: id, column: "body", detail: "\(error)")
            }
        }
    }

    /// Records decoded from their bytes, in order; on every core when there
    /// are many (a scan's page).
    static func decode(_ bodies: [StoredBody]) throws -> [Asset] {
        let chunk = 128
        guard bodies.count > chunk else { return try bodies.map { try $0.asset() } }
        let chunks = (bodies.count + chunk - 1) / chunk
        let results = Mutex([Result<[Asset], any Error>?](repeating: nil, count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            let slice = bodies[index * chunk..<min(bodies.count, (index + 1) * chunk)]
            let result = Result { try slice.map { try $0.asset() } }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { $0 }.flatMap { try $0!.get() }
    }

    /// The codes of `code`'s subtree.
    static func subtree(of code: String, _ db: any SQLConnection) throws -> Set<String> {
        var codes: Set<String> = []
        try db.prepare(subtreeCodes).query([.text(code)]) { codes.insert($0.text(0)) }
        return codes
    }

    /// Whether a row's `ledger_units` (",code,code,") names a unit of `subtree`.
    static func kept(_ units: String, by subtree: Set<String>) -> Bool {
        units.utf8.split(separator: UInt8(ascii: ",")).contains { subtree.contains(String(decoding: $0, as: UTF8.self)) }
    }
}
