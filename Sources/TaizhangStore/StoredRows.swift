// What a record's row holds, in one place: the writer writes these columns,
// and the ledger check (LedgerCheck) recomputes them from the journal's
// after-images and compares. A column added to a table is added here, or
// the check reports the table as holding a column it does not know.

import TaizhangCore
import TaizhangRecords

/// A table of records: its columns in order, and a record's values for them.
struct StoredTable {
    let name: String
    /// Every column, in the order `values` gives them.
    let columns: [String]
    /// The key as the journal names the record (its record_id), in SQL:
    /// rows are read in this order to merge with the journal.
    let keyExpression: String
    /// A filter of the rows this table spec covers (stewardship kinds share a table).
    let filter: String
    /// Columns the writer derives from other records (an admin unit's path
    /// from its parent's), written after `columns`: the check verifies them
    /// against those records (`LedgerCheck.derivedProblems`), not against
    /// the record's own after-image.
    var derived: [String] = []

    var select: String {
        "SELECT \(keyExpression), \(columns.joined(separator: ", ")) FROM \(name)\(filter.isEmpty ? "" : " WHERE " + filter) ORDER BY 1"
    }
    var insert: String {
        let all = columns + derived
        return "INSERT INTO \(name)(\(all.joined(separator: ", "))) VALUES (\(all.map { _ in "?" }.joined(separator: ", ")))"
    }
    /// An insert that replaces the row of the same key (`key` columns) with these values.
    func upsert(key: [String]) -> String {
        let updates = columns.filter { !key.contains($0) }.map { "\($0) = excluded.\($0)" }
        return insert + " ON CONFLICT(\(key.joined(separator: ", "))) DO UPDATE SET " + updates.joined(separator: ", ")
    }
}

/// The rows of each record, as the writer writes them.
enum StoredRows {
    static let adminUnits = StoredTable(name: "admin_units", columns: ["code", "name", "level", "parent_code", "version", "record_json"],
                                        keyExpression: "code", filter: "", derived: ["path"])
    /// A unit's materialised path: its ancestors' codes and its own, from
    /// the top, each followed by "/" ("/421024000000/421024101000/"). A unit
    /// and everything under it are the paths from its own up to its own
    /// followed by "~", one range of the path index.
    static func path(of code: String, parentPath: String) -> String {
        (parentPath.isEmpty ? "/" : parentPath) + code + "/"
    }
    /// The units on a location's path, from the top; the location alone
    /// when it has no path (a unit the ledger does not hold).
    static func units(onPath path: String, location: String) -> [String] {
        let codes = path.split(separator: "/").map(String.init)
        return codes.isEmpty ? [location] : codes
    }
    static func values(_ unit: AdminUnit, json: String) -> [SQLValue] {
        [.text(unit.code), .text(unit.name), .text(unit.level.rawValue), .text(unit.parentCode), .int(unit.version), .text(json)]
    }

    static let projects = StoredTable(name: "projects", columns: ["id", "name", "year", "admin_code", "version", "record_json"],
                                      keyExpression: "id", filter: "")
    static func values(_ project: Project, json: String) -> [SQLValue] {
        [.text(project.id), .text(project.name), .int(Int64(project.year)), .text(project.adminCode), .int(project.version), .text(json)]
    }
    /// The columns a select of projects names, in the order `project(_:)` reads them.
    static let projectColumns = projects.columns.joined(separator: ", ")
    /// The project a row holds, its columns selected as `projects.columns` lists them.
    static func project(_ row: any SQLStatement) throws -> Project {
        do {
            return try Project(recordJSON: row.text(5))
        } catch {
            throw StoredRowError(table: "projects", key: row.text(0), column: "record_json", detail: "\(error)")
        }
    }

    static let assets = StoredTable(name: "assets", columns: [
        "id", "code", "name", "category", "usage_status", "admin_code", "project_id", "acquired_date", "original_value_fen",
        "accumulated_depreciation_fen", "version", "created_at", "updated_at", "body",
        "stage", "custodian", "handover_due", "ledger_units",
    ], keyExpression: "id", filter: "")
    /// An asset's row; `body` is the record's bytes (`StoredAsset.bytes`).
    static func values(_ asset: Asset, body: [UInt8]) -> [SQLValue] {
        [.text(asset.id), asset.code.isEmpty ? .null : .text(asset.code), .text(asset.name), .text(asset.category.rawValue),
         .text(asset.usageStatus.rawValue), .text(asset.adminCode), .text(asset.projectId), .text(asset.acquiredDate.description),
         .int(asset.originalValueFen), .int(asset.accumulatedDepreciationFen), .int(asset.version), .text(asset.createdAt),
         .text(asset.updatedAt), .blob(body),
         .text(asset.lifecycle.stage.rawValue), .text(asset.custody.custodian), .text(asset.lifecycle.handoverDue?.description ?? ""),
         .text(ledgerUnits(asset))]
    }
    static func values(_ asset: Asset) -> [SQLValue] {
        values(asset, body: StoredAsset.bytes(asset))
    }
    /// The asset whose body is the row's column `column`; `key` names the
    /// row in the error when the body does not read.
    static func asset(_ row: any SQLStatement, body column: Int32, key: @autoclosure () -> String) throws -> Asset {
        do {
            return try StoredAsset.asset(row.blob(column))
        } catch {
            throw StoredRowError(table: "assets", key: key(), column: "body", detail: "\(error)")
        }
    }
    /// The asset a row of every column (`assets.columns`) holds.
    static func asset(_ row: any SQLStatement) throws -> Asset {
        try asset(row, body: 13, key: row.text(0))
    }
    /// The units whose ledgers keep the asset (`LedgerMembership`), as
    /// ",code,code,": a filter by a unit's ledger reads this column, not
    /// the record.
    static func ledgerUnits(_ asset: Asset) -> String {
        "," + LedgerMembership.owningUnits(of: asset).joined(separator: ",") + ","
    }

    /// An entity is its columns, with no JSON body (schema 12), as a
    /// contract is: a full risk run reads every one of them.
    static let entities = StoredTable(name: "entities", columns: [
        "id", "name", "kind", "admin_code", "credit_code", "legal_representative", "contact", "version", "created_at", "updated_at",
    ], keyExpression: "id", filter: "")
    /// The columns a select of entities names, in the order `entity(_:)` reads them.
    static let entityColumns = entities.columns.joined(separator: ", ")
    static func values(_ entity: OperatingEntity) -> [SQLValue] {
        [.text(entity.id), .text(entity.name), .text(entity.kind.rawValue), .text(entity.adminCode), .text(entity.creditCode),
         .text(entity.legalRepresentative), .text(entity.contact), .int(entity.version), .text(entity.createdAt), .text(entity.updatedAt)]
    }
    /// The entity a row holds, its columns selected as `entities.columns` lists them.
    static func entity(_ row: any SQLStatement) throws -> OperatingEntity {
        let id = row.text(0)
        guard let kind = EntityKind(rawValue: row.text(2)) else { throw StoredRowError(table: "entities", key: id, column: "kind") }
        return OperatingEntity(id: id, name: row.text(1), kind: kind, adminCode: row.text(3), creditCode: row.text(4),
                               legalRepresentative: row.text(5), contact: row.text(6), version: row.int(7),
                               createdAt: row.text(8), updatedAt: row.text(9))
    }

    /// A contract is its columns (schema 12): its payments and amendments
    /// are lists of texts (`StoredList`), three texts a payment (kind, due
    /// date, amount in fen) and five an amendment (date, summary, and the
    /// owners' consent: date, by whom, reference; three empty texts when
    /// there is none); a date not set is an empty text.
    static let contracts = StoredTable(name: "contracts", columns: [
        "id", "asset_id", "entity_id", "mode", "start_date", "end_date", "payments", "committed_poor_labourers",
        "committed_households", "terminated_on", "operator_since", "amendments", "version", "created_at", "updated_at",
    ], keyExpression: "id", filter: "")
    /// The columns a select of contracts names, in the order `contract(_:)` reads them.
    static let contractColumns = contracts.columns.joined(separator: ", ")
    static func values(_ contract: OperationContract) -> [SQLValue] {
        let payments = contract.payments.flatMap { [$0.kind.rawValue, $0.dueDate.description, String($0.amountFen)] }
        let amendments = contract.amendments.flatMap { amendment in
            [amendment.date.description, amendment.summary, amendment.consent?.date.description ?? "",
             amendment.consent?.consentedBy ?? "", amendment.consent?.reference ?? ""]
        }
        return [.text(contract.id), .text(contract.assetId), .text(contract.entityId), .text(contract.mode.rawValue),
                .text(contract.start.description), .text(contract.end.description), .blob(StoredList.bytes(payments)),
                .int(Int64(contract.committedPoorLabourers)), .int(Int64(contract.committedHouseholds)),
                .text(contract.terminatedOn?.description ?? ""), .text(contract.operatorSince?.description ?? ""),
                .blob(StoredList.bytes(amendments)), .int(contract.version), .text(contract.createdAt), .text(contract.updatedAt)]
    }
    /// The contract a row holds, its columns selected as `contracts.columns` lists them.
    static func contract(_ row: any SQLStatement) throws -> OperationContract {
        let id = row.text(0)
        func damaged(_ column: String) -> StoredRowError { StoredRowError(table: "contracts", key: id, column: column) }
        /// A date column: nil when empty and `optional`.
        func date(_ index: Int32, _ column: String, optional: Bool = false) throws -> CivilDate? {
            let text = row.text(index)
            if optional, text.isEmpty { return nil }
            guard let date = CivilDate(text) else { throw damaged(column) }
            return date
        }
        guard let mode = OperationMode(rawValue: row.text(3)) else { throw damaged("mode") }
        guard let start = try date(4, "start_date"), let end = try date(5, "end_date") else { throw damaged("start_date") }
        guard let payments = row.withBlob(6, StoredList.strings).flatMap(Self.payments) else { throw damaged("payments") }
        guard let amendments = row.withBlob(11, StoredList.strings).flatMap(Self.amendments) else { throw damaged("amendments") }
        return OperationContract(
            id: id, assetId: row.text(1), entityId: row.text(2), mode: mode, start: start, end: end, payments: payments,
            committedPoorLabourers: Int(row.int(7)), committedHouseholds: Int(row.int(8)),
            terminatedOn: try date(9, "terminated_on", optional: true), operatorSince: try date(10, "operator_since", optional: true),
            amendments: amendments, version: row.int(12), createdAt: row.text(13), updatedAt: row.text(14))
    }
    /// Payments from their texts, three each; nil when they do not read.
    private static func payments(_ texts: [String]) -> [PaymentDue]? {
        guard texts.count % 3 == 0 else { return nil }
        var payments: [PaymentDue] = []
        payments.reserveCapacity(texts.count / 3)
        for index in stride(from: 0, to: texts.count, by: 3) {
            guard let kind = PaymentKind(rawValue: texts[index]), let due = CivilDate(texts[index + 1]),
                  let amount = Int64(texts[index + 2]) else { return nil }
            payments.append(PaymentDue(kind: kind, dueDate: due, amountFen: amount))
        }
        return payments
    }
    /// Amendments from their texts, five each; nil when they do not read.
    private static func amendments(_ texts: [String]) -> [ContractAmendment]? {
        guard texts.count % 5 == 0 else { return nil }
        var amendments: [ContractAmendment] = []
        for index in stride(from: 0, to: texts.count, by: 5) {
            guard let date = CivilDate(texts[index]) else { return nil }
            var consent: OwnerConsent?
            if !texts[index + 2].isEmpty || !texts[index + 3].isEmpty || !texts[index + 4].isEmpty {
                guard let consented = CivilDate(texts[index + 2]) else { return nil }
                consent = OwnerConsent(date: consented, consentedBy: texts[index + 3], reference: texts[index + 4])
            }
            amendments.append(ContractAmendment(date: date, summary: texts[index + 1], consent: consent))
        }
        return amendments
    }

    /// A report is its columns, with no JSON body (schema 10): the risk
    /// monitor reads every report of the ledger on a full run, and a row
    /// of integers reads in a fraction of the time its JSON parses in.
    static let reports = StoredTable(name: "reports", columns: [
        "entity_id", "quarter", "revision", "output_value_fen", "sales_revenue_fen", "sales_channels", "profit_fen",
        "payments_due_fen", "payments_paid_fen", "poor_labourers_employed", "households_linked", "dividends_paid_fen",
        "support_measures", "target_output_value_fen", "target_sales_revenue_fen", "submitted_on", "correction_reason",
        "created_at", "updated_at",
    ], keyExpression: "entity_id || '/' || quarter", filter: "")
    /// The columns a select of reports names, in the order `report(_:)` reads them.
    static let reportColumns = reports.columns.joined(separator: ", ")
    static func values(_ report: QuarterReport) -> [SQLValue] {
        [.text(report.entityId), .text(report.quarter.description), .int(Int64(report.revision)), .int(report.outputValueFen),
         .int(report.salesRevenueFen), .blob(StoredList.bytes(report.salesChannels)), .int(report.profitFen), .int(report.paymentsDueFen),
         .int(report.paymentsPaidFen), .int(Int64(report.poorLabourersEmployed)), .int(Int64(report.householdsLinked)),
         .int(report.dividendsPaidFen), .blob(StoredList.bytes(report.supportMeasures)), .int(report.targetOutputValueFen),
         .int(report.targetSalesRevenueFen), .text(report.submittedOn.description), .text(report.correctionReason),
         .text(report.createdAt), .text(report.updatedAt)]
    }
    /// The columns the risk rules read (`report(_:bookkeeping: false)`):
    /// all but the correction reason and the created and updated times.
    static let scoredReportColumns = reports.columns.prefix(16).joined(separator: ", ")
    /// The report a row holds, its columns selected as `reports.columns`
    /// lists them; without `bookkeeping`, as `scoredReportColumns` does
    /// (its revision 0, its correction reason and times empty).
    static func report(_ row: any SQLStatement, bookkeeping: Bool = true) throws -> QuarterReport {
        var lists = StoredList.Interner(capacity: 0)
        return try report(row, bookkeeping: bookkeeping, lists: &lists)
    }

    /// The report a row holds, its lists shared with the rows before it
    /// that held the same ones (`lists`: a read of many rows).
    static func report(_ row: any SQLStatement, bookkeeping: Bool, lists: inout StoredList.Interner) throws -> QuarterReport {
        let entityId = row.text(0)
        // The quarter and the day parsed in place: no string for either.
        func damaged(_ column: String) -> StoredRowError { StoredRowError(table: "reports", key: entityId + "/" + row.text(1), column: column) }
        guard let quarter = row.withText(1, Quarter.init(utf8:)) else { throw damaged("quarter") }
        guard let submitted = row.withText(15, CivilDate.init(utf8:)) else { throw damaged("submitted_on") }
        guard let channels = row.withBlob(5, { lists.strings($0) }) else { throw damaged("sales_channels") }
        guard let measures = row.withBlob(12, { lists.strings($0) }) else { throw damaged("support_measures") }
        return QuarterReport(
            entityId: entityId, quarter: quarter, outputValueFen: row.int(3), salesRevenueFen: row.int(4), salesChannels: channels,
            profitFen: row.int(6), paymentsDueFen: row.int(7), paymentsPaidFen: row.int(8), poorLabourersEmployed: Int(row.int(9)),
            householdsLinked: Int(row.int(10)), dividendsPaidFen: row.int(11), supportMeasures: measures,
            targetOutputValueFen: row.int(13), targetSalesRevenueFen: row.int(14), submittedOn: submitted,
            revision: bookkeeping ? Int(row.int(2)) : 0, correctionReason: bookkeeping ? row.text(16) : "",
            createdAt: bookkeeping ? row.text(17) : "", updatedAt: bookkeeping ? row.text(18) : "")
    }

    /// Since schema 14 a stewardship record's row carries, beside its JSON,
    /// the columns its listings filter and add up by (`StewardshipFilter`):
    /// `contract_id` (income), `year` (an income's receipt, a count's, a
    /// disposal's), `state` (a plan's stage, a disposal's sign-off, a
    /// count's "open" or "closed"), `day` (an income's receipt, a plan's
    /// deadline, a count's opening, a disposal's date, a revitalising
    /// plan's effect) and `amount_fen` (an income's fen, a plan's, a
    /// disposal's proceeds). An alert's row (issue 20) has its follow-up
    /// state in `state` ("lapsed" when it cleared before anyone took it up;
    /// schema 16 indexes kind, state, id) and the day it was raised in `day`.
    /// A project's progress (issue 21) has its responsible unit in `state`,
    /// its approval in `year` and `day`, its spending in `amount_fen`; a
    /// responsible unit its kind in `state`; an assessment its entity in
    /// `state`, its project in `contract_id`, its total in `amount_fen`; a
    /// payment (`disbursement`) its unit in `state`, its project in
    /// `contract_id`, its day and fen. A household (issue 23) its village in
    /// `admin_code`, the keyed digest of its head's ID number in
    /// `contract_id`, its category in `state`, its registration's day.
    static let stewardshipColumns = ["kind", "id", "asset_id", "admin_code", "contract_id", "year", "state", "day", "amount_fen",
                                     "version", "record_json"]
    static func stewardship(_ kind: StewardshipKind) -> StoredTable {
        StoredTable(name: "stewardship_records", columns: stewardshipColumns, keyExpression: "id", filter: "kind = '\(kind.rawValue)'")
    }
    static func values(_ record: StewardshipRecord, json: String) -> [SQLValue] {
        let keys = record.scopeKeys
        var contract = "", year = 0, state = "", amount: Int64 = 0
        let day: CivilDate
        switch record {
        case .income(let income):
            (contract, year, day, amount) = (income.contractId, income.receipt.receivedOn.year, income.receipt.receivedOn, income.receipt.amountFen)
        case .plan(let plan):
            (state, day, amount) = (plan.stage.rawValue, plan.deadline, plan.incomeFen)
        case .stockTake(let count):
            (year, state, day) = (count.year, count.isOpen ? "open" : "closed", count.openedOn)
        case .disposal(let entry):
            (year, state, day, amount) = (entry.record.date.year, entry.signOff?.state.rawValue ?? "", entry.record.date, entry.record.proceedsFen)
        case .revitalising(let plan):
            day = plan.effectiveOn
        case .alert(let record):
            (year, state, day) = (record.raisedOn.year, record.stateColumn, record.raisedOn)
        case .progress(let record):
            // The responsible unit in `state` (schema 16 indexes kind, state,
            // id: a unit's projects are one range), the approval's day and
            // year, the money spent to date.
            let approved = record.reached(.approved)?.on ?? CivilDate(year: 2000, month: 1, day: 1)!
            (year, state, day, amount) = (approved.year, record.unitId, approved, record.spentFen())
        case .unit(let record):
            day = Timestamp.chinaDate(rfc3339: record.createdAt) ?? CivilDate(year: 2000, month: 1, day: 1)!
            state = record.kind.rawValue
        case .assessment(let record):
            // The entity in `state`: the weak assessments of an entity are
            // one range of the state index; the project in `contract_id`.
            (contract, year, state, day, amount) = (record.projectId, record.on.year, record.entityId, record.on, Int64(record.total))
        case .disbursement(let record):
            // The unit in `state` (a unit's payments are one range), the
            // project in `contract_id`.
            (contract, year, state, day, amount) = (record.projectId, record.payment.on.year, record.unitId, record.payment.on, record.payment.amountFen)
        case .household(let record):
            // The keyed digest of the head's ID number in `contract_id` (its
            // index finds a second registration of one person), the
            // category in `state` (a village's monitored households are one
            // range), the day it entered the register.
            (contract, year, state, day) = (record.idDigest, record.registeredOn.year, record.category.rawValue, record.registeredOn)
        case .visit(let record):
            // The plan in `contract_id`, disputed or confirmed in `state`, the day.
            (contract, year, state, day) = (record.planId, record.date.year, record.disputed ? "disputed" : "confirmed", record.date)
        case .upkeep(let record):
            // The household (of a household asset) in `contract_id`, the kind in `state`, the day; the cost is the amount.
            (contract, year, state, day, amount) = (record.householdId, record.date.year, record.kind.rawValue, record.date, record.costFen)
        }
        return [.text(record.kind.rawValue), .text(record.id), .text(keys.assetId), .text(keys.adminCode), .text(contract), .int(Int64(year)),
                .text(state), .text(day.description), .int(amount), .int(record.version), .text(json)]
    }
}

/// A column that does not hold what its table's records can.
struct StoredRowError: Error, CustomStringConvertible {
    let table: String
    let key: String
    let column: String
    var detail = ""
    var description: String {
        "row \(key) of the ledger file's \(table): column \(column) holds a value no record can have" + (detail.isEmpty ? "" : " (\(detail))")
    }
}

/// A list of texts in a BLOB column: each item's UTF-8 bytes after their
/// count (LEB128). Any text fits, separators and control characters
/// included; reading takes no parser.
enum StoredList {
    static func bytes(_ items: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for item in items {
            var count = item.utf8.count
            repeat {
                out.append(UInt8(count & 0x7F) | (count > 0x7F ? 0x80 : 0))
                count >>= 7
            } while count > 0
            out += item.utf8
        }
        return out
    }

    /// The items, or nil when the bytes are not such a list of UTF-8 texts.
    static func strings(_ bytes: [UInt8]) -> [String]? {
        bytes.withUnsafeBufferPointer(strings)
    }

    /// The items, or nil when the bytes are not such a list of UTF-8 texts.
    static func strings(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        var items: [String] = []
        var index = 0
        while index < bytes.count {
            var count = 0
            var shift = 0
            while true {
                // At most 5 bytes: any count an Int32 length can give.
                guard index < bytes.count, shift < 35 else { return nil }
                let byte = bytes[index]
                index += 1
                count |= Int(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            guard count <= bytes.count - index else { return nil }
            let stored = UnsafeBufferPointer(rebasing: bytes[index..<index + count])
            // Decoding repairs what is not UTF-8 (U+FFFD in its place), so
            // the text is valid exactly when it gives back the stored bytes.
            // (`String(validating:as:)` is generic over the encoding: it
            // cost a full risk run a tenth of its reading.)
            let item = String(decoding: stored, as: UTF8.self)
            guard item.utf8.count == count, item.utf8.elementsEqual(stored) else { return nil }
            items.append(item)
            index += count
        }
        return items
    }

    /// The last few distinct lists a read of many rows decoded, kept with
    /// their bytes: a row holding one of them again (a county's sales
    /// channels and support measures come from a short vocabulary) shares
    /// its array instead of allocating and validating its texts again, and
    /// freeing them is a release.
    struct Interner {
        private var kept: [(bytes: [UInt8], items: [String])] = []
        private var oldest = 0
        private let capacity: Int

        /// At most `capacity` lists kept (0: none, every list decoded).
        init(capacity: Int = 16) {
            self.capacity = capacity
            kept.reserveCapacity(capacity)
        }

        /// The items of `bytes`, or nil when they are not such a list.
        mutating func strings(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
            guard !bytes.isEmpty else { return [] }
            for entry in kept where entry.bytes.count == bytes.count {
                if entry.bytes.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return entry.items }
            }
            guard let items = StoredList.strings(bytes) else { return nil }
            guard capacity > 0 else { return items }
            if kept.count < capacity {
                kept.append((Array(bytes), items))
            } else {
                kept[oldest] = (Array(bytes), items)
                oldest = (oldest + 1) % capacity
            }
            return items
        }
    }
}
