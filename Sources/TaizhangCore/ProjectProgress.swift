// A project's funds and progress (issue 21): the money allocated to it by
// year, source and level and the money paid out of it, each in fen and
// dated; the milestones from approval to the handover of its assets, each
// dated with its document; and the one rule of what may be recorded next
// (`ProgressRules`). Funds are watched from allocation to spending
// (000 二(四)2–3 资金监管); a project is traced to the assets it produces
// (003 动态管理). Pure: no I/O.

/// The level of government a fund comes from.
public enum FundLevel: String, Sendable, Hashable, Codable, CaseIterable {
    case central, provincial, city, county, other

    public var chineseName: String {
        switch self {
        case .central: return "中央"
        case .provincial: return "省级"
        case .city: return "市级"
        case .county: return "县级"
        case .other: return "其他"
        }
    }
}

/// A project's milestones, in the order they are reached.
public enum ProjectMilestone: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// 立项批复: the project is approved and given to its responsible unit.
    case approved
    /// 招标 (or another procurement) done.
    case tendered
    /// 签订合同.
    case contractSigned = "contract_signed"
    /// 开工.
    case started
    /// 完工.
    case completed
    /// 验收.
    case accepted
    /// 资产移交: the assets it produced handed to their owners.
    case handedOver = "handed_over"

    public var chineseName: String {
        switch self {
        case .approved: return "立项批复"
        case .tendered: return "招标"
        case .contractSigned: return "签订合同"
        case .started: return "开工"
        case .completed: return "完工"
        case .accepted: return "验收"
        case .handedOver: return "资产移交"
        }
    }

    /// Its place in the order (approved is 0).
    public var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: ProjectMilestone, rhs: ProjectMilestone) -> Bool { lhs.rank < rhs.rank }
}

/// Who recorded an entry, and when.
public struct ProgressEntryMeta: Sendable, Hashable, Codable {
    /// The authenticated identity of the call, as the audit journal has it.
    public var identity: String
    /// The person named in the call's `actor` metadata.
    public var actor: String
    /// RFC 3339, when it was recorded. A quarter's light, once the daemon
    /// has recorded it, stands whatever is recorded of the quarter later.
    public var recordedAt: String

    public init(identity: String = "", actor: String = "", recordedAt: String = "") {
        self.identity = identity
        self.actor = actor
        self.recordedAt = recordedAt
    }
}

/// Money allocated to a project 资金下达.
public struct FundAllocation: Sendable, Hashable, Codable {
    /// The budget year it belongs to.
    public var year: Int
    public var source: FundingSource
    public var level: FundLevel
    public var amountFen: Int64
    /// The day it was allocated (the allocation document's date).
    public var on: CivilDate
    public var document: Document
    public var note: String
    public var meta: ProgressEntryMeta

    public init(year: Int, source: FundingSource, level: FundLevel, amountFen: Int64, on: CivilDate, document: Document,
                note: String = "", meta: ProgressEntryMeta = ProgressEntryMeta()) {
        self.year = year
        self.source = source
        self.level = level
        self.amountFen = amountFen
        self.on = on
        self.document = document
        self.note = note
        self.meta = meta
    }
}

/// Money paid out of a project's funds 资金支付.
public struct FundDisbursement: Sendable, Hashable, Codable {
    /// The day it was paid.
    public var on: CivilDate
    /// The allocation line it is paid from: its source and level.
    public var source: FundingSource
    public var level: FundLevel
    public var amountFen: Int64
    /// Whom it was paid to (the contractor, the supplier).
    public var payee: String
    /// The voucher 支付凭证.
    public var document: Document
    public var note: String
    public var meta: ProgressEntryMeta

    public init(on: CivilDate, source: FundingSource, level: FundLevel, amountFen: Int64, payee: String = "", document: Document,
                note: String = "", meta: ProgressEntryMeta = ProgressEntryMeta()) {
        self.on = on
        self.source = source
        self.level = level
        self.amountFen = amountFen
        self.payee = payee
        self.document = document
        self.note = note
        self.meta = meta
    }
}

/// A milestone reached.
public struct MilestoneEntry: Sendable, Hashable, Codable {
    public var milestone: ProjectMilestone
    public var on: CivilDate
    public var document: Document
    public var note: String
    public var meta: ProgressEntryMeta

    public init(milestone: ProjectMilestone, on: CivilDate, document: Document, note: String = "", meta: ProgressEntryMeta = ProgressEntryMeta()) {
        self.milestone = milestone
        self.on = on
        self.document = document
        self.note = note
        self.meta = meta
    }
}

/// What the lights read of a payment: its day, its fen, when it was
/// recorded (read from the payment's row without decoding it).
public struct PaymentFact: Sendable, Hashable {
    public var on: CivilDate
    public var amountFen: Int64
    /// RFC 3339.
    public var recordedAt: String

    public init(on: CivilDate, amountFen: Int64, recordedAt: String) {
        self.on = on
        self.amountFen = amountFen
        self.recordedAt = recordedAt
    }

    public init(_ payment: FundDisbursement) {
        self.init(on: payment.on, amountFen: payment.amountFen, recordedAt: payment.meta.recordedAt)
    }
}

/// What has been paid from one allocation line (a source and a level).
public struct FundLine: Sendable, Hashable, Codable {
    public var source: FundingSource
    public var level: FundLevel
    public var paidFen: Int64
    public var payments: Int

    public init(source: FundingSource, level: FundLevel, paidFen: Int64, payments: Int) {
        self.source = source
        self.level = level
        self.paidFen = paidFen
        self.payments = payments
    }
}

/// A payment as the ledger keeps it: its own record (`disbursement`,
/// `ZF…`), so that a project's record does not grow with its payments (nor
/// the audit journal with a copy of them all at each one).
public struct DisbursementRecord: Sendable, Hashable, Codable {
    public var id: String
    public var projectId: String
    /// The responsible unit of the project: a unit's payments are one range.
    public var unitId: String
    /// Where the project lies: the record's scope.
    public var adminCode: String
    public var payment: FundDisbursement
    public var version: Int64
    public var createdAt: String

    public init(id: String, projectId: String, unitId: String, adminCode: String, payment: FundDisbursement, version: Int64 = 1, createdAt: String = "") {
        self.id = id
        self.projectId = projectId
        self.unitId = unitId
        self.adminCode = adminCode
        self.payment = payment
        self.version = version
        self.createdAt = createdAt
    }
}

/// A project's funds and milestones, as the ledger keeps them: one record
/// per project, made when its approval is recorded. Its payments are
/// records of their own; the record keeps what each line paid in all, and
/// `disbursements` holds the payments when a reader has loaded them.
public struct ProjectProgress: Sendable, Hashable, Codable {
    /// The project's id (the county's project number): the record's id too.
    public var id: String
    /// Where the project lies (the project's admin code): its scope.
    public var adminCode: String
    /// The responsible unit ("DW00000001") that carries it out.
    public var unitId: String
    public var allocations: [FundAllocation]
    /// What each allocation line paid in all, and in how many payments.
    public var lines: [FundLine]
    /// The payments, when loaded from their records for display (not stored here).
    public var disbursements: [FundDisbursement] = []
    /// What the lights and the spending at a date read of the payments,
    /// when loaded (not stored here).
    public var paid: [PaymentFact] = []
    /// In the order reached: approved first.
    public var milestones: [MilestoneEntry]
    /// The assessments of the entities proposed for it (`PG…`), oldest first.
    public var assessmentIds: [String]
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, adminCode, unitId, allocations, lines, milestones, assessmentIds, version, createdAt, updatedAt
    }

    /// A record; `lines` is what `disbursements` paid unless given.
    public init(id: String, adminCode: String, unitId: String, allocations: [FundAllocation] = [], disbursements: [FundDisbursement] = [],
                lines: [FundLine]? = nil, milestones: [MilestoneEntry] = [], assessmentIds: [String] = [], version: Int64 = 0,
                createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.assessmentIds = assessmentIds
        self.adminCode = adminCode
        self.unitId = unitId
        self.allocations = allocations
        self.disbursements = disbursements
        self.paid = disbursements.map(PaymentFact.init)
        self.lines = lines ?? disbursements.reduce(into: []) { ProgressRules.add($1, to: &$0) }
        self.milestones = milestones
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The last milestone reached by the end of `date` (nil before approval).
    public func stage(on date: CivilDate) -> ProjectMilestone? {
        milestones.last { $0.on <= date }?.milestone
    }

    /// The milestone reached now.
    public var stage: ProjectMilestone? { milestones.last?.milestone }

    /// The day `milestone` was reached, if it has been.
    public func reached(_ milestone: ProjectMilestone) -> MilestoneEntry? {
        milestones.first { $0.milestone == milestone }
    }

    /// Money allocated by the end of `date` (everything when nil).
    public func allocatedFen(through date: CivilDate? = nil) -> Int64 {
        allocations.reduce(Int64(0)) { total, entry in date.map { entry.on <= $0 } ?? true ? total.saturatingAdd(entry.amountFen) : total }
    }

    /// Money spent by the end of `date` (from the loaded payments), or in
    /// all when nil (from the lines): the project's spending to date.
    public func spentFen(through date: CivilDate? = nil) -> Int64 {
        guard let date else { return lines.reduce(Int64(0)) { $0.saturatingAdd($1.paidFen) } }
        return paid.reduce(Int64(0)) { total, entry in entry.on <= date ? total.saturatingAdd(entry.amountFen) : total }
    }

    /// How many payments it has.
    public var payments: Int { lines.reduce(0) { $0 + $1.payments } }

    /// Money paid from `first` through `last`, counting only payments
    /// recorded on or before `recordedBy` (China Standard Time) when given.
    public func spentFen(from first: CivilDate, through last: CivilDate, recordedBy: CivilDate? = nil) -> Int64 {
        paid.reduce(Int64(0)) { total, entry in
            guard entry.on >= first, entry.on <= last, ProgressRules.counts(recordedAt: entry.recordedAt, by: recordedBy) else { return total }
            return total.saturatingAdd(entry.amountFen)
        }
    }
}

/// What can be recorded of a project, in what order, and within what limits.
public enum ProgressRules {
    /// Allocations one project keeps.
    public static let allocationsMax = 200
    /// Disbursements one project keeps.
    public static let disbursementsMax = 2_000
    /// Assessments of one project.
    public static let assessmentsMax = 20
    /// Years an allocation's budget year may lie from the project's year.
    public static let budgetYearsSpan = 10

    /// Whether an entry recorded as `meta` says counts for a judgement made
    /// with entries recorded by `day` (nil: every entry counts).
    public static func counts(_ meta: ProgressEntryMeta, by day: CivilDate?) -> Bool {
        counts(recordedAt: meta.recordedAt, by: day)
    }

    /// Whether an entry recorded at `recordedAt` (RFC 3339) counts for a
    /// judgement of what was recorded by `day`.
    public static func counts(recordedAt: String, by day: CivilDate?) -> Bool {
        guard let day else { return true }
        guard let recorded = Timestamp.chinaDate(rfc3339: recordedAt) else { return true }
        return recorded <= day
    }

    /// A refusal of a step out of order.
    static func outOfOrder(_ message: String) -> LedgerError {
        LedgerError(.failedPrecondition, message)
    }

    /// The record with `entry` reached, or why it may not be.
    public static func reach(_ entry: MilestoneEntry, on progress: ProjectProgress, today: CivilDate) throws -> ProjectProgress {
        var bad = AssetRules.validateDocuments([entry.document], field: "document").map(Self.single)
        if entry.on > today { bad.append(.init(field: "date", description: "is \(entry.on), after today (\(today)): a milestone is recorded once reached")) }
        if entry.note.utf8.count > RecordLimits.textMaxBytes { bad.append(.init(field: "note", description: "is longer than \(RecordLimits.textMaxBytes) bytes")) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "milestone") }
        if let done = progress.reached(entry.milestone) {
            throw outOfOrder("project \(progress.id) reached \(entry.milestone.rawValue) (\(entry.milestone.chineseName)) on \(done.on) already; a milestone is recorded once")
        }
        let expected = progress.stage.map { ProjectMilestone.allCases.dropFirst($0.rank + 1).first } ?? .approved
        guard let next = expected, entry.milestone == next else {
            let next = expected ?? .handedOver
            throw outOfOrder("project \(progress.id) is at \(progress.stage?.rawValue ?? "none") (\(progress.stage?.chineseName ?? "未立项")); \(entry.milestone.rawValue) (\(entry.milestone.chineseName)) comes after \(next.rawValue) (\(next.chineseName)): record that first (milestones run approved → tendered → contract_signed → started → completed → accepted → handed_over)")
        }
        if let last = progress.milestones.last, entry.on < last.on {
            throw LedgerError.invalid([.init(field: "date", description: "is \(entry.on), before the project reached \(last.milestone.rawValue) (\(last.on)): milestones are reached in order")], what: "milestone")
        }
        var reached = progress
        reached.milestones.append(entry)
        return reached
    }

    /// The record with `allocation` added, or why it may not be.
    public static func allocate(_ allocation: FundAllocation, to progress: ProjectProgress, projectYear: Int, today: CivilDate) throws -> ProjectProgress {
        var bad = amountViolations(allocation.amountFen) + AssetRules.validateDocuments([allocation.document], field: "document").map(Self.single)
        if abs(allocation.year - projectYear) > budgetYearsSpan {
            bad.append(.init(field: "year", description: "is \(allocation.year); a project of \(projectYear) takes funds of \(projectYear - budgetYearsSpan)–\(projectYear + budgetYearsSpan)"))
        }
        if allocation.on > today { bad.append(.init(field: "date", description: "is \(allocation.on), after today (\(today))")) }
        if let approved = progress.reached(.approved), allocation.on < approved.on {
            bad.append(.init(field: "date", description: "is \(allocation.on), before the project was approved (\(approved.on))"))
        }
        if allocation.note.utf8.count > RecordLimits.textMaxBytes { bad.append(.init(field: "note", description: "is longer than \(RecordLimits.textMaxBytes) bytes")) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "allocation") }
        if progress.allocations.count >= allocationsMax {
            throw LedgerError(.resourceExhausted, "project \(progress.id) has \(allocationsMax) allocations, the most one project keeps")
        }
        if progress.allocatedFen().saturatingAdd(allocation.amountFen) > RecordLimits.amountMaxFen {
            throw LedgerError.invalid([.init(field: "amount_fen", description: "would bring project \(progress.id)'s allocations over \(RecordLimits.amountMaxFen) fen, the largest total accepted")], what: "allocation")
        }
        var next = progress
        next.allocations.append(allocation)
        return next
    }

    /// The record with `payment` added, or why it may not be: never more
    /// paid from a source and level, at any day, than was allocated from
    /// them by then (000 二(四)2).
    public static func disburse(_ payment: FundDisbursement, from progress: ProjectProgress, today: CivilDate) throws -> ProjectProgress {
        var bad = amountViolations(payment.amountFen) + AssetRules.validateDocuments([payment.document], field: "document").map(Self.single)
        if payment.on > today { bad.append(.init(field: "date", description: "is \(payment.on), after today (\(today))")) }
        if let approved = progress.reached(.approved), payment.on < approved.on {
            bad.append(.init(field: "date", description: "is \(payment.on), before the project was approved (\(approved.on))"))
        }
        for (field, text) in [("payee", payment.payee), ("note", payment.note)] where text.utf8.count > RecordLimits.textMaxBytes {
            bad.append(.init(field: field, description: "is longer than \(RecordLimits.textMaxBytes) bytes"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "disbursement") }
        if progress.payments >= disbursementsMax {
            throw LedgerError(.resourceExhausted, "project \(progress.id) has \(disbursementsMax) disbursements, the most one project keeps")
        }
        // Everything paid from the line, this payment with it, against what
        // was allocated to it by this payment's day: exact for payments
        // entered in date order, and never letting any day be overdrawn
        // (a payment backdated before an allocation that covers it is
        // refused; record the allocation's date as it was).
        let line = progress.lines.first { $0.source == payment.source && $0.level == payment.level }
        let paid = (line?.paidFen ?? 0).saturatingAdd(payment.amountFen)
        let allocated = progress.allocations.filter { $0.source == payment.source && $0.level == payment.level && $0.on <= payment.on }
            .reduce(Int64(0)) { $0.saturatingAdd($1.amountFen) }
        if paid > allocated {
            let name = "\(payment.level.chineseName)\(payment.source.rawValue)"
            throw LedgerError(.failedPrecondition,
                "the disbursement of \(Yuan.format(payment.amountFen)) on \(payment.on) would bring what project \(progress.id) paid from \(name) to \(Yuan.format(paid)), over the \(Yuan.format(allocated)) allocated from it by \(payment.on): record the allocation first (资金拨付不得超过下达额度, 000 二(四)2)",
                violations: [.init(field: "amount_fen", description: "is over the allocation by \(Yuan.format(paid - allocated))")])
        }
        var next = progress
        next.disbursements.append(payment)
        next.paid.append(PaymentFact(payment))
        add(payment, to: &next.lines)
        return next
    }

    /// `lines` with `payment` counted in its line.
    static func add(_ payment: FundDisbursement, to lines: inout [FundLine]) {
        if let index = lines.firstIndex(where: { $0.source == payment.source && $0.level == payment.level }) {
            lines[index].paidFen = lines[index].paidFen.saturatingAdd(payment.amountFen)
            lines[index].payments += 1
        } else {
            lines.append(FundLine(source: payment.source, level: payment.level, paidFen: payment.amountFen, payments: 1))
        }
    }

    /// What is wrong with an entry's amount and document, each field under
    /// `prefix` ("disbursement."): the wire's checks before the rules run,
    /// so that a request learns of every bad field at once.
    public static func entryViolations(amountFen: Int64?, document: Document, prefix: String) -> [FieldViolation] {
        let amount = amountFen.map(amountViolations) ?? []
        return (amount + AssetRules.validateDocuments([document], field: "document").map(Self.single)).map {
            FieldViolation(field: prefix + $0.field, description: $0.description)
        }
    }

    static func amountViolations(_ fen: Int64) -> [FieldViolation] {
        if fen <= 0 { return [.init(field: "amount_fen", description: "must be more than 0 fen")] }
        if fen > RecordLimits.amountMaxFen { return [.init(field: "amount_fen", description: "is over \(RecordLimits.amountMaxFen) fen, the largest amount accepted")] }
        return []
    }

    /// "document[0].sha256" as "document.sha256": the request has one document.
    static func single(_ violation: FieldViolation) -> FieldViolation {
        FieldViolation(field: violation.field.replacing("document[0]", with: "document"), description: violation.description)
    }
}
