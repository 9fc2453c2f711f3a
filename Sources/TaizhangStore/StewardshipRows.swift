// Stewardship records (income, distribution plans, counts, disposals,
// revitalising plans) in the file (schema 14): nothing of them is loaded at
// start but their counts and highest numbers. A record is read by its key,
// a listing by the indexes of `stewardship_records` (unit, asset, contract);
// what the rules ask of all of them is kept by the writer in two tables of
// its own, checked by `taizhang audit verify` against the records:
// `income_plans` (the plan that distributes each income) and
// `counted_assets` (the day each asset was last found by a closed count).

import Foundation
import TaizhangCore

extension SQLiteLedgerStore {
    /// The stored record of a row whose kind and JSON are columns `kind` and `json`.
    static func stewardshipRecord(_ row: any SQLStatement, kind: Int32, id: Int32, json: Int32) throws -> StewardshipRecord {
        guard let kindValue = StewardshipKind(rawValue: row.text(kind)) else {
            throw StoredRowError(table: "stewardship_records", key: row.text(id), column: "kind", detail: "an unknown kind \"\(row.text(kind))\"")
        }
        do {
            return try StewardshipJSON.record(kind: kindValue, text: row.text(json))
        } catch {
            throw StoredRowError(table: "stewardship_records", key: row.text(id), column: "record_json", detail: "it does not read as a \(kindValue.rawValue)")
        }
    }

    public func stewardshipRecord(_ kind: StewardshipKind, id: String) throws -> StewardshipRecord? {
        try readOperations(of: "the \(kind.rawValue) \(id)", point: true) { db in
            var record: StewardshipRecord?
            try db.cached("SELECT kind, id, record_json FROM stewardship_records WHERE kind = ? AND id = ?").query([.text(kind.rawValue), .text(id)]) {
                record = try Self.stewardshipRecord($0, kind: 0, id: 1, json: 2)
            }
            return record
        }
    }

    public func paymentFacts(ofUnit unitId: String, limit: Int) throws -> [String: [PaymentFact]] {
        let facts = try readOperations(of: "the payments of \(unitId)'s projects") { db in
            var facts: [String: [PaymentFact]] = [:]
            var count = 0
            try db.cached("""
                SELECT contract_id, day, amount_fen, \(db.dialect.jsonText("record_json", "$.payment.meta.recordedAt"))
                FROM stewardship_records INDEXED BY stewardship_state WHERE kind = 'disbursement' AND state = ? ORDER BY id LIMIT ?
                """).query([.text(unitId), .int(Int64(limit) + 1)]) { row in
                count += 1
                guard let day = CivilDate(row.text(1)) else {
                    throw StoredRowError(table: "stewardship_records", key: row.text(0), column: "day", detail: "not a date")
                }
                facts[row.text(0), default: []].append(PaymentFact(on: day, amountFen: row.int(2), recordedAt: row.text(3)))
            }
            return count > limit ? nil : facts
        }
        guard let facts else {
            throw LedgerError(.resourceExhausted, "the payments of \(unitId)'s projects number more than \(limit); at most \(limit) are read at once")
        }
        return facts
    }

    public func projectAssets(_ projectId: String, limit: Int) throws -> [ProjectAssetValue] {
        try readOperations(of: "the assets of project \(projectId)") { db in
            var assets: [ProjectAssetValue] = []
            try db.cached("SELECT id, name, original_value_fen FROM assets WHERE project_id = ? ORDER BY id LIMIT ?")
                .query([.text(projectId), .int(Int64(limit))]) { row in
                    assets.append(ProjectAssetValue(id: row.text(0), name: row.text(1), originalValueFen: row.int(2)))
                }
            return assets
        }
    }

    public func lastObservedAlertEvent() throws -> Int64 {
        try readOperations(of: "the alerts' last event") { db in
            var seq: Int64 = 0
            try db.cached("""
                SELECT COALESCE(MAX(CAST(\(db.dialect.jsonText("record_json", "$.lastEventSeq")) AS BIGINT)), 0)
                FROM stewardship_records WHERE kind = 'alert'
                """).query([]) { seq = $0.int(0) }
            return seq
        }
    }

    public func followUpFacts(states: [String], after: String?, limit: Int) throws -> [FollowUpFacts] {
        let marks = states.map { _ in "?" }.joined(separator: ", ")
        return try readOperations(of: "the follow-ups of \(states.joined(separator: ", ")) alerts") { db in
            var facts: [FollowUpFacts] = []
            try db.cached("""
                SELECT id, \(["state", "clearedAt", "peakLevel", "raisedOn", "createdAt", "deadline"]
                                 .map { db.dialect.jsonText("record_json", "$." + $0) }.joined(separator: ", ")),
                       admin_code, \(db.dialect.jsonValue("record_json", "$.escalations"))
                FROM stewardship_records WHERE kind = 'alert' AND state IN (\(marks)) AND id > ? ORDER BY id LIMIT ?
                """).query(states.map { .text($0) } + [.text(after ?? ""), .int(Int64(limit))]) { row in
                facts.append(try Self.followUpFacts(row))
            }
            return facts
        }
    }

    /// The facts of a row of the query above.
    static func followUpFacts(_ row: any SQLStatement) throws -> FollowUpFacts {
        let id = row.text(0)
        func damaged(_ field: String) -> StoredRowError { StoredRowError(table: "stewardship_records", key: id, column: "record_json", detail: "its \(field) does not read") }
        guard let state = FollowUpState(rawValue: row.text(1)) else { throw damaged("state") }
        guard let peak = AlertLevel(rawValue: row.text(3)) else { throw damaged("peakLevel") }
        guard let raised = CivilDate(row.text(4)) else { throw damaged("raisedOn") }
        let deadline = row.text(6).isEmpty ? nil : CivilDate(row.text(6))
        if !row.text(6).isEmpty, deadline == nil { throw damaged("deadline") }
        var escalated: [(reason: EscalationReason, dueOn: CivilDate)] = []
        let list = row.text(8)
        if list != "[]", !list.isEmpty {
            // Rare (an escalated alert): Foundation's decoder serves.
            guard let items = try? JSONDecoder().decode([AlertEscalation].self, from: Data(list.utf8)) else { throw damaged("escalations") }
            escalated = items.map { ($0.reason, $0.dueOn) }
        }
        return FollowUpFacts(id: id, state: state, isOpen: row.text(2).isEmpty, peakLevel: peak, raisedOn: raised,
                             countsFrom: max(raised, Timestamp.chinaDate(rfc3339: row.text(5)) ?? raised), deadline: deadline,
                             adminCode: row.text(7), escalated: escalated)
    }

    public func stewardshipRecords(_ filter: StewardshipFilter, after: String?, limit: Int) throws -> StewardshipPage {
        var conditions = ["kind = ?"]
        var values: [SQLValue] = [.text(filter.kind.rawValue)]
        if !filter.adminCode.isEmpty, filter.unitOnly {
            conditions.append("admin_code = ?")
            values.append(.text(filter.adminCode))
        } else if !filter.adminCode.isEmpty {
            // A revitalising plan lies where its asset lies now.
            conditions.append(filter.kind == .revitalisingPlan
                ? "asset_id IN (SELECT id FROM assets WHERE admin_code IN (\(AssetQuery.subtreeCodes)))"
                : "admin_code IN (\(AssetQuery.subtreeCodes))")
            values.append(.text(filter.adminCode))
        }
        if !filter.assetId.isEmpty {
            conditions.append("asset_id = ?")
            values.append(.text(filter.assetId))
        }
        if !filter.contractId.isEmpty {
            // "<> ''" lets SQLite use the partial index of contracts.
            conditions.append("contract_id = ? AND contract_id <> ''")
            values.append(.text(filter.contractId))
        }
        if filter.year != 0 {
            conditions.append("year = ?")
            values.append(.int(Int64(filter.year)))
        }
        if let states = filter.states {
            conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ", ")))")
            values += states.map { .text($0) }
        }
        if filter.undistributedOnly { conditions.append("NOT EXISTS (SELECT 1 FROM income_plans p WHERE p.income_id = id)") }
        if let day = filter.dayBefore {
            conditions.append("day < ?")
            values.append(.text(day.description))
        }
        // One state (a unit's projects, an entity's assessments): its range
        // of the state index (the planner, without statistics, walks the
        // kind's whole key instead).
        let byState = filter.states?.count == 1 && filter.adminCode.isEmpty && filter.contractId.isEmpty
        let matching = " FROM stewardship_records" + (byState ? " INDEXED BY stewardship_state" : "") + " WHERE " + conditions.joined(separator: " AND ")
        return try readOperations(of: "a page of \(filter.kind.rawValue) records") { db in
            var total = 0
            var amount: Int64 = 0
            // A unit's total from its range of the unit index (the planner,
            // without statistics, walks the kind's whole key instead).
            let counted = filter.kind != .revitalisingPlan && !filter.adminCode.isEmpty
                ? matching.replacingOccurrences(of: "FROM stewardship_records WHERE", with: "FROM stewardship_records INDEXED BY stewardship_unit WHERE")
                : matching
            try db.cached("SELECT COUNT(*), COALESCE(SUM(amount_fen), 0)" + counted).query(values) { row in
                total = Int(row.int(0))
                amount = row.int(1)
            }
            var records: [StewardshipRecord] = []
            var more = false
            // One row past the page tells whether more follow.
            let fetch = limit == .max ? Int64.max : Int64(limit) + 1
            try db.cached("SELECT kind, id, record_json" + matching + (after == nil ? "" : " AND id > ?") + " ORDER BY id LIMIT ?")
                .query(values + (after.map { [.text($0)] } ?? []) + [.int(fetch)]) { row in
                    guard records.count < limit else {
                        more = true
                        return
                    }
                    records.append(try Self.stewardshipRecord(row, kind: 0, id: 1, json: 2))
                }
            return StewardshipPage(records: records, nextAfter: more ? records.last?.id : nil, total: total, amountFen: amount)
        }
    }

    public func plans(distributing incomeIds: [String]) throws -> [String: String] {
        try readOperations(of: "the plans of \(incomeIds.count) income records") { db in
            let statement = try db.cached("SELECT plan_id FROM income_plans WHERE income_id = ?")
            var plans: [String: String] = [:]
            for id in incomeIds {
                try statement.query([.text(id)]) { plans[id] = $0.text(0) }
            }
            return plans
        }
    }

    public func receipts(ofContracts contractIds: [String]) throws -> [String: [IncomeReceipt]] {
        try readOperations(of: "the income of \(contractIds.count) contracts") { db in
            // From the columns, one probe of the contracts' index each ("<> ''" lets SQLite use it).
            let statement = try db.cached("""
                SELECT day, amount_fen, id FROM stewardship_records WHERE contract_id = ? AND contract_id <> '' AND kind = 'income' ORDER BY id
                """)
            var received: [String: [IncomeReceipt]] = [:]
            for id in contractIds {
                try statement.query([.text(id)]) { row in
                    guard let day = row.withText(0, CivilDate.init(utf8:)) else {
                        throw StoredRowError(table: "stewardship_records", key: row.text(2), column: "day")
                    }
                    received[id, default: []].append(IncomeReceipt(receivedOn: day, amountFen: row.int(1), payer: "", account: ""))
                }
            }
            return received
        }
    }

    /// Rows of `table` keyed by `asset_id`, by a range of ids or a list.
    private func byAsset(_ table: String, _ columns: String, extra: String = "", order: String, after: String?, through: String?, ids: [String]?,
                         _ row: (any SQLStatement) throws -> Void) throws {
        try readOperations(of: "\(table) of \(ids.map { "\($0.count) assets" } ?? "a run of assets")") { db in
            let base = "SELECT \(columns) FROM \(table) WHERE \(extra)"
            if let ids {
                try db.eachKey(base + "asset_id", ids, suffix: " ORDER BY " + order, row: row)
                return
            }
            var bounds: [String] = []
            var values: [SQLValue] = []
            if let after {
                bounds.append("asset_id > ?")
                values.append(.text(after))
            }
            if let through {
                bounds.append("asset_id <= ?")
                values.append(.text(through))
            }
            try db.cached(base + (bounds.isEmpty ? "1 = 1" : bounds.joined(separator: " AND ")) + " ORDER BY " + order).query(values, row: row)
        }
    }

    public func lastCounted(after: String?, through: String?, ids: [String]?) throws -> [String: CivilDate] {
        var counted: [String: CivilDate] = [:]
        try byAsset("counted_assets", "asset_id, counted_on", order: "asset_id", after: after, through: through, ids: ids) { row in
            guard let day = row.withText(1, CivilDate.init(utf8:)) else {
                throw StoredRowError(table: "counted_assets", key: row.text(0), column: "counted_on")
            }
            counted[row.text(0)] = day
        }
        return counted
    }

    public func upkeepCosts(adminCode: String, year: Int) throws -> UpkeepCosts {
        var costs = UpkeepCosts()
        var values: [SQLValue] = [.int(Int64(year))]
        var unit = ""
        if !adminCode.isEmpty {
            unit = " AND admin_code IN (\(AssetQuery.subtreeCodes))"
            values.append(.text(adminCode))
        }
        // From the rows' columns, one row per asset (no record decoded).
        try readOperations(of: "the upkeep costs of \(adminCode.isEmpty ? "the ledger" : adminCode) in \(year)") { db in
            try db.cached("""
                SELECT asset_id, admin_code, COUNT(*), COALESCE(SUM(amount_fen), 0), MAX(day) FROM stewardship_records
                WHERE kind = 'upkeep' AND year = ?\(unit) GROUP BY asset_id, admin_code ORDER BY asset_id, admin_code
                """).query(values) { row in
                guard let day = row.withText(4, CivilDate.init(utf8:)) else {
                    throw StoredRowError(table: "stewardship_records", key: row.text(0), column: "day")
                }
                costs.add(assetId: row.text(0), adminCode: row.text(1), records: Int(row.int(2)), costFen: row.int(3), lastDate: day)
            }
        }
        return costs
    }

    public func lastUpkept(after: String?, through: String?, ids: [String]?) throws -> [String: CivilDate] {
        var upkept: [String: CivilDate] = [:]
        try byAsset("stewardship_records", "asset_id, day", extra: "kind = 'upkeep' AND ", order: "asset_id, id", after: after, through: through, ids: ids) { row in
            guard let day = row.withText(1, CivilDate.init(utf8:)) else {
                throw StoredRowError(table: "stewardship_records", key: row.text(0), column: "day")
            }
            let asset = row.text(0)
            if let seen = upkept[asset], seen >= day { return }
            upkept[asset] = day
        }
        return upkept
    }

    public func revitalisingPlans(after: String?, through: String?, ids: [String]?) throws -> [String: [RevitalisingPlan]] {
        var plans: [String: [RevitalisingPlan]] = [:]
        try byAsset("stewardship_records", "kind, id, record_json, asset_id", extra: "kind = 'revitalising_plan' AND ", order: "asset_id, id", after: after, through: through,
                    ids: ids) { row in
            if case .revitalising(let plan) = try Self.stewardshipRecord(row, kind: 0, id: 1, json: 2) { plans[row.text(3), default: []].append(plan) }
        }
        return plans
    }
}

/// What the writer keeps beside the stewardship records: the plan of each
/// income, and the day each asset was last found by a closed count.
struct StewardshipIndexes {
    static let incomePlanColumns = ["income_id", "plan_id"]
    static let countedColumns = ["asset_id", "counted_on"]
    let planOfIncome: any SQLStatement
    let counted: any SQLStatement

    init(_ db: any SQLConnection) throws {
        // A plan's income is named when it is created and never changes;
        // an income is distributed once (the rules refuse a second plan).
        planOfIncome = try db.prepare("INSERT INTO income_plans(income_id, plan_id) VALUES (?, ?) ON CONFLICT(income_id) DO NOTHING")
        counted = try db.prepare("""
            INSERT INTO counted_assets(asset_id, counted_on) VALUES (?, ?)
            ON CONFLICT(asset_id) DO UPDATE SET counted_on = excluded.counted_on WHERE excluded.counted_on > counted_assets.counted_on
            """)
    }

    /// Notes what `record` adds to the two tables.
    func write(_ record: StewardshipRecord) throws {
        switch record {
        case .plan(let plan):
            for id in plan.incomeIds { try planOfIncome.run([.text(id), .text(plan.id)]) }
        case .stockTake(let count):
            for (asset, day) in count.counted { try counted.run([.text(asset), .text(day.description)]) }
        case .income, .disposal, .revitalising, .alert, .progress, .unit, .assessment, .disbursement, .household, .visit, .upkeep:
            break
        }
    }
}
