// Operating entities 带贫主体, the contracts under which they run assets, and
// their quarterly reports (000 二(一), 001 (六)(八), 003 三(三)): the data the
// risk monitor scores. Records and their validation rules, as pure functions.

/// The kind of an operating entity (000 二(一)).
public enum EntityKind: String, Sendable, Codable, CaseIterable {
    case enterprise
    case cooperative
    case largeHousehold = "large_household"
    case villageCollective = "village_collective"
    case other

    public var chineseName: String {
        switch self {
        case .enterprise: return "企业"
        case .cooperative: return "农民专业合作社"
        case .largeHousehold: return "大户"
        case .villageCollective: return "村集体经济组织"
        case .other: return "其他"
        }
    }

    /// Enterprises and cooperatives carry a unified social credit code.
    public var needsCreditCode: Bool { self == .enterprise || self == .cooperative }
}

/// An operating entity 带贫主体.
public struct OperatingEntity: Sendable, Hashable, Codable {
    /// "ZT" and eight digits, given by the store.
    public var id: String
    public var name: String
    public var kind: EntityKind
    /// Where it is registered: a 12-digit admin code in the ledger.
    public var adminCode: String
    /// 统一社会信用代码 (GB 32100-2015); required for enterprises and cooperatives.
    public var creditCode: String
    public var legalRepresentative: String
    public var contact: String
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    /// An entity.
    public init(id: String = "", name: String, kind: EntityKind, adminCode: String, creditCode: String = "",
                legalRepresentative: String = "", contact: String = "", version: Int64 = 0, createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.name = name
        self.kind = kind
        self.adminCode = adminCode
        self.creditCode = creditCode
        self.legalRepresentative = legalRepresentative
        self.contact = contact
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What a contract's payment is (rent 租金, fee 承包费/托管费, dividend 分红).
public enum PaymentKind: String, Sendable, Codable, CaseIterable {
    case rent, fee, dividend

    public var chineseName: String {
        switch self {
        case .rent: return "租金"
        case .fee: return "承包费"
        case .dividend: return "分红"
        }
    }
}

/// A payment due to the asset's owners under a contract.
public struct PaymentDue: Sendable, Hashable, Codable {
    public var kind: PaymentKind
    public var dueDate: CivilDate
    public var amountFen: Int64

    /// A payment due.
    public init(kind: PaymentKind, dueDate: CivilDate, amountFen: Int64) {
        self.kind = kind
        self.dueDate = dueDate
        self.amountFen = amountFen
    }
}

/// The owner's recorded consent to changing a running contract (001 (六)).
public struct OwnerConsent: Sendable, Hashable, Codable {
    public var date: CivilDate
    /// Who consented for the owner, e.g. "XX村股份经济合作社 (村民代表会议)".
    public var consentedBy: String
    /// The decision's reference: minutes, resolution number.
    public var reference: String

    /// A consent.
    public init(date: CivilDate, consentedBy: String, reference: String) {
        self.date = date
        self.consentedBy = consentedBy
        self.reference = reference
    }
}

/// One change of a contract, kept in its history.
public struct ContractAmendment: Sendable, Hashable, Codable {
    public var date: CivilDate
    /// What changed, in English, e.g. "operator ZT00000001 → ZT00000002".
    public var summary: String
    public var consent: OwnerConsent?

    /// An amendment.
    public init(date: CivilDate, summary: String, consent: OwnerConsent?) {
        self.date = date
        self.summary = summary
        self.consent = consent
    }
}

/// An operation contract: who runs which asset, how, for how long, for what.
public struct OperationContract: Sendable, Hashable, Codable {
    /// "HT" and eight digits, given by the store.
    public var id: String
    public var assetId: String
    public var entityId: String
    /// 承包, 租赁, 入股, 托管 (never self_operated: that needs no contract).
    public var mode: OperationMode
    public var start: CivilDate
    public var end: CivilDate
    public var payments: [PaymentDue]
    /// Poverty-linkage commitments: poor labourers employed, households linked.
    public var committedPoorLabourers: Int
    public var committedHouseholds: Int
    /// Set when the contract was ended early (recovered, 001 (八)).
    public var terminatedOn: CivilDate?
    /// When the present operator took over, if the operator changed (the
    /// store sets it): quarters and payments before it were the previous
    /// operator's, and are not held against this one.
    public var operatorSince: CivilDate?
    public var amendments: [ContractAmendment]
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    /// A contract.
    public init(id: String = "", assetId: String, entityId: String, mode: OperationMode, start: CivilDate, end: CivilDate,
                payments: [PaymentDue] = [], committedPoorLabourers: Int = 0, committedHouseholds: Int = 0,
                terminatedOn: CivilDate? = nil, operatorSince: CivilDate? = nil, amendments: [ContractAmendment] = [], version: Int64 = 0,
                createdAt: String = "", updatedAt: String = "") {
        self.id = id
        self.assetId = assetId
        self.entityId = entityId
        self.mode = mode
        self.start = start
        self.end = end
        self.payments = payments
        self.committedPoorLabourers = committedPoorLabourers
        self.committedHouseholds = committedHouseholds
        self.terminatedOn = terminatedOn
        self.operatorSince = operatorSince
        self.amendments = amendments
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The last day the contract runs: its end, or the day it was terminated.
    public var lastDay: CivilDate {
        if let terminatedOn, terminatedOn < end { return terminatedOn }
        return end
    }

    /// Whether it runs on `day`.
    public func isRunning(on day: CivilDate) -> Bool {
        start <= day && day <= lastDay
    }

    /// The first day the present operator runs it.
    public var operatorStart: CivilDate {
        if let operatorSince, operatorSince > start { return operatorSince }
        return start
    }

    /// Whether the present operator runs it on any day of `quarter`.
    public func covers(_ quarter: Quarter) -> Bool {
        operatorStart <= quarter.last && quarter.first <= lastDay
    }
}

/// A calendar quarter.
public struct Quarter: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    /// 1…4.
    public let number: Int

    /// A quarter; nil outside 1900–9999 or 1…4.
    public init?(year: Int, number: Int) {
        guard (1900...9999).contains(year), (1...4).contains(number) else { return nil }
        self.year = year
        self.number = number
    }

    /// "2026Q3" (also accepts "2026-Q3" and "2026q3").
    public init?(_ text: String) {
        // The stored form first, without building strings.
        var text = text
        if text.utf8.count == 6, let quarter = text.withUTF8(Quarter.init(utf8:)) {
            self = quarter
            return
        }
        let cleaned = String(text.uppercased().filter { $0 != "-" })
        let parts = cleaned.split(separator: "Q", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 1, let year = Int(parts[0]), let number = Int(parts[1]) else { return nil }
        self.init(year: year, number: number)
    }

    /// "2026Q3" exactly, from its UTF-8 bytes (the stored form), or nil.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 6, bytes[4] == UInt8(ascii: "Q") else { return nil }
        var year = 0
        for byte in bytes[0..<4] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            year = year * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard (UInt8(ascii: "1")...UInt8(ascii: "4")).contains(bytes[5]) else { return nil }
        self.init(year: year, number: Int(bytes[5] - UInt8(ascii: "0")))
    }

    /// The quarter holding `date`.
    public init(containing date: CivilDate) {
        year = date.year
        number = (date.month - 1) / 3 + 1
    }

    public var description: String { "\(year)Q\(number)" }

    /// "2026年第3季度".
    public var chineseName: String { "\(year)年第\(number)季度" }

    public var first: CivilDate { CivilDate(year: year, month: (number - 1) * 3 + 1, day: 1)! }

    public var last: CivilDate {
        let month = number * 3
        return CivilDate(year: year, month: month, day: CivilDate.daysIn(month: month, year: year))!
    }

    /// The quarter before (itself at 1900Q1).
    public var previous: Quarter {
        number == 1 ? (Quarter(year: year - 1, number: 4) ?? self) : Quarter(year: year, number: number - 1)!
    }

    /// The quarter after (itself at 9999Q4).
    public var next: Quarter {
        number == 4 ? (Quarter(year: year + 1, number: 1) ?? self) : Quarter(year: year, number: number + 1)!
    }

    /// The same quarter a year earlier (itself in 1900).
    public var yearEarlier: Quarter { Quarter(year: year - 1, number: number) ?? self }

    public static func < (lhs: Quarter, rhs: Quarter) -> Bool {
        (lhs.year, lhs.number) < (rhs.year, rhs.number)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let quarter = Quarter(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a quarter: \(text)"))
        }
        self = quarter
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An entity's report for one quarter (003: operation statistics each quarter).
/// A second report for the same quarter is a correction: it replaces the
/// first, keeps its reason, and raises `revision`.
public struct QuarterReport: Sendable, Hashable, Codable {
    public var entityId: String
    public var quarter: Quarter
    /// 产值.
    public var outputValueFen: Int64
    /// 销售收入.
    public var salesRevenueFen: Int64
    /// Sales channels used, e.g. "电商", "商超", "订单收购".
    public var salesChannels: [String]
    /// 利润 (negative: a loss).
    public var profitFen: Int64
    /// Paid to the asset owners this quarter, and due to them this quarter.
    public var paymentsDueFen: Int64
    public var paymentsPaidFen: Int64
    public var poorLabourersEmployed: Int
    public var householdsLinked: Int
    public var dividendsPaidFen: Int64
    /// 帮扶措施 carried out: training, technical guidance, market linkage….
    public var supportMeasures: [String]
    /// The quarter's targets (0: none set).
    public var targetOutputValueFen: Int64
    public var targetSalesRevenueFen: Int64
    /// The day the report reached the county.
    public var submittedOn: CivilDate
    /// 1 for the first report, 2… for corrections.
    public var revision: Int
    /// Why the report was corrected (required from revision 2).
    public var correctionReason: String
    public var createdAt: String
    public var updatedAt: String

    /// A report.
    public init(entityId: String, quarter: Quarter, outputValueFen: Int64 = 0, salesRevenueFen: Int64 = 0, salesChannels: [String] = [],
                profitFen: Int64 = 0, paymentsDueFen: Int64 = 0, paymentsPaidFen: Int64 = 0, poorLabourersEmployed: Int = 0,
                householdsLinked: Int = 0, dividendsPaidFen: Int64 = 0, supportMeasures: [String] = [],
                targetOutputValueFen: Int64 = 0, targetSalesRevenueFen: Int64 = 0, submittedOn: CivilDate,
                revision: Int = 0, correctionReason: String = "", createdAt: String = "", updatedAt: String = "") {
        self.entityId = entityId
        self.quarter = quarter
        self.outputValueFen = outputValueFen
        self.salesRevenueFen = salesRevenueFen
        self.salesChannels = salesChannels
        self.profitFen = profitFen
        self.paymentsDueFen = paymentsDueFen
        self.paymentsPaidFen = paymentsPaidFen
        self.poorLabourersEmployed = poorLabourersEmployed
        self.householdsLinked = householdsLinked
        self.dividendsPaidFen = dividendsPaidFen
        self.supportMeasures = supportMeasures
        self.targetOutputValueFen = targetOutputValueFen
        self.targetSalesRevenueFen = targetSalesRevenueFen
        self.submittedOn = submittedOn
        self.revision = revision
        self.correctionReason = correctionReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The store's key: "ZT00000001/2026Q3".
    public var key: String { QuarterReport.key(entityId: entityId, quarter: quarter) }

    public static func key(entityId: String, quarter: Quarter) -> String { entityId + "/" + quarter.description }
}

/// The unified social credit code 统一社会信用代码 (GB 32100-2015).
public enum CreditCode {
    /// The code's alphabet: digits and capitals without I, O, Z, S, V.
    public static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    /// The weights of positions 1…17.
    public static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The check character (position 18) for the first 17, or nil when one is
    /// not in the alphabet.
    public static func checkCharacter(for first17: [Character]) -> Character? {
        guard first17.count == 17 else { return nil }
        var sum = 0
        for (index, character) in first17.enumerated() {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            sum += value * weights[index]
        }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// Why `code` is not a valid credit code, naming the wrong position; nil when valid.
    public static func problem(with code: String) -> String? {
        let characters = Array(code)
        guard characters.count == 18 else {
            return "must be 18 characters (统一社会信用代码, GB 32100-2015); got \(characters.count)"
        }
        for (index, character) in characters.enumerated() where !alphabet.contains(character) {
            let hint = character.isLowercase ? " (use capital letters)" : (["I", "O", "Z", "S", "V"].contains(character) ? " (I, O, Z, S, V are never used)" : "")
            return "position \(index + 1) is \"\(character)\", which a credit code never contains\(hint)"
        }
        for index in 2..<8 where !characters[index].isASCII || !characters[index].isNumber {
            return "position \(index + 1) is \"\(characters[index])\"; positions 3–8 are the registering authority's 6-digit division code"
        }
        let expected = checkCharacter(for: Array(characters.prefix(17)))!
        if characters[17] != expected {
            return "position 18 (the check character) is \"\(characters[17])\" but the first 17 characters give \"\(expected)\"; a character is mistyped"
        }
        return nil
    }
}

/// Limits on operations records.
public enum OperationsLimits {
    /// Most payments due in one contract.
    public static let paymentsMaxCount = 240
    /// Most amendments one contract keeps.
    public static let amendmentsMaxCount = 200
    /// Most sales channels or support measures in one report.
    public static let listMaxCount = 50
    /// Largest head count (labourers, households) accepted.
    public static let headCountMax = 1_000_000
    /// Longest contract term, in years.
    public static let termMaxYears = 70
}

/// Rules on entities, contracts and reports.
public enum OperationsRules {
    /// The entity's own fields.
    public static func validate(_ entity: OperatingEntity) -> [FieldViolation] {
        var bad = TextRules.required(entity.name, field: "name")
        if !AdminUnitRules.isDivisionCode(entity.adminCode) {
            bad.append(.init(field: "admin_code", description: "must be the 12-digit division code of the place the entity is registered"))
        }
        if entity.kind.needsCreditCode {
            if entity.creditCode.isEmpty {
                bad.append(.init(field: "credit_code", description: "is required for a \(entity.kind.rawValue) (\(entity.kind.chineseName)): the 18-character unified social credit code"))
            } else if let problem = CreditCode.problem(with: entity.creditCode) {
                bad.append(.init(field: "credit_code", description: problem))
            }
        } else if !entity.creditCode.isEmpty, let problem = CreditCode.problem(with: entity.creditCode) {
            bad.append(.init(field: "credit_code", description: problem + " (leave it empty if there is none)"))
        }
        bad += TextRules.optional(entity.legalRepresentative, field: "legal_representative")
        bad += TextRules.optional(entity.contact, field: "contact")
        return bad
    }

    /// The contract's own fields.
    public static func validate(_ contract: OperationContract) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if contract.assetId.isEmpty { bad.append(.init(field: "asset_id", description: "is required: the asset operated")) }
        if contract.entityId.isEmpty { bad.append(.init(field: "entity_id", description: "is required: the operating entity")) }
        if contract.mode == .selfOperated {
            bad.append(.init(field: "mode", description: "self_operated needs no contract; use contracting (承包), lease (租赁), equity (入股) or entrusted (托管)"))
        }
        if contract.end < contract.start {
            bad.append(.init(field: "end", description: "is before start (\(contract.start))"))
        } else if contract.end.year - contract.start.year > OperationsLimits.termMaxYears {
            bad.append(.init(field: "end", description: "the term is longer than \(OperationsLimits.termMaxYears) years"))
        }
        if contract.payments.count > OperationsLimits.paymentsMaxCount {
            bad.append(.init(field: "payments", description: "has \(contract.payments.count) items; at most \(OperationsLimits.paymentsMaxCount)"))
        } else {
            for (index, payment) in contract.payments.enumerated() {
                if payment.amountFen <= 0 || payment.amountFen > RecordLimits.amountMaxFen {
                    bad.append(.init(field: "payments[\(index)].amount_fen", description: "must be positive fen, at most \(RecordLimits.amountMaxFen)"))
                }
                if payment.dueDate < contract.start || payment.dueDate > contract.end.adding(days: 366) {
                    bad.append(.init(field: "payments[\(index)].due_date", description: "\(payment.dueDate) is outside the contract's term (\(contract.start)–\(contract.end), plus a year to settle)"))
                }
            }
        }
        bad += headCount(contract.committedPoorLabourers, field: "committed_poor_labourers")
        bad += headCount(contract.committedHouseholds, field: "committed_households")
        return bad
    }

    /// The report's own fields.
    public static func validate(_ report: QuarterReport, today: CivilDate) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if report.entityId.isEmpty { bad.append(.init(field: "entity_id", description: "is required")) }
        for (field, value) in [("output_value_fen", report.outputValueFen), ("sales_revenue_fen", report.salesRevenueFen),
                               ("payments_due_fen", report.paymentsDueFen), ("payments_paid_fen", report.paymentsPaidFen),
                               ("dividends_paid_fen", report.dividendsPaidFen), ("target_output_value_fen", report.targetOutputValueFen),
                               ("target_sales_revenue_fen", report.targetSalesRevenueFen)] where value < 0 || value > RecordLimits.amountMaxFen {
            bad.append(.init(field: field, description: "must be 0 or more fen, at most \(RecordLimits.amountMaxFen)"))
        }
        if report.profitFen < -RecordLimits.amountMaxFen || report.profitFen > RecordLimits.amountMaxFen {
            bad.append(.init(field: "profit_fen", description: "must lie within ±\(RecordLimits.amountMaxFen) fen (negative: a loss)"))
        }
        bad += headCount(report.poorLabourersEmployed, field: "poor_labourers_employed")
        bad += headCount(report.householdsLinked, field: "households_linked")
        for (field, list) in [("sales_channels", report.salesChannels), ("support_measures", report.supportMeasures)] {
            if list.count > OperationsLimits.listMaxCount {
                bad.append(.init(field: field, description: "has \(list.count) items; at most \(OperationsLimits.listMaxCount)"))
            } else {
                for (index, item) in list.enumerated() { bad += TextRules.required(item, field: "\(field)[\(index)]") }
            }
        }
        if report.submittedOn > today {
            bad.append(.init(field: "submitted_on", description: "\(report.submittedOn) is after today (\(today), China Standard Time)"))
        }
        if report.submittedOn <= report.quarter.last {
            bad.append(.init(field: "submitted_on", description: "\(report.submittedOn) is not after the quarter \(report.quarter) ended (\(report.quarter.last)); report a quarter once it is over"))
        }
        if report.quarter.first > today {
            bad.append(.init(field: "quarter", description: "\(report.quarter) has not begun"))
        }
        bad += TextRules.optional(report.correctionReason, field: "correction_reason")
        return bad
    }

    /// What changing a running contract needs: the owner's consent when the
    /// operator or the mode changes (001 (六)). Violations name the request's fields.
    public static func validateChange(from current: OperationContract, to changed: OperationContract, consent: OwnerConsent?,
                                      today: CivilDate) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        let changesParty = changed.entityId != current.entityId || changed.mode != current.mode
        if changesParty, current.isRunning(on: today), consent == nil {
            bad.append(.init(field: "owner_consent", description: "changing the operator or the mode of a running contract needs the owner's recorded consent (date, who consented, the decision's reference)"))
        }
        if let consent {
            bad += TextRules.required(consent.consentedBy, field: "owner_consent.consented_by")
            bad += TextRules.required(consent.reference, field: "owner_consent.reference")
            if consent.date > today {
                bad.append(.init(field: "owner_consent.date", description: "\(consent.date) is after today (\(today))"))
            }
        }
        if let terminated = changed.terminatedOn {
            if terminated < current.start {
                bad.append(.init(field: "terminated_on", description: "\(terminated) is before the contract started (\(current.start))"))
            }
            if terminated > today {
                bad.append(.init(field: "terminated_on", description: "\(terminated) is after today (\(today)); record the termination when it happens"))
            }
        }
        if let terminated = current.terminatedOn, changesParty || changed.end != current.end || changed.terminatedOn != terminated {
            bad.append(.init(field: "contract_id", description: "the contract was terminated on \(terminated); it stays ended: sign a new contract instead"))
        }
        if current.amendments.count >= OperationsLimits.amendmentsMaxCount {
            bad.append(.init(field: "contract_id", description: "the contract has \(current.amendments.count) amendments, the most one keeps; sign a new contract"))
        }
        return bad
    }

    static func headCount(_ value: Int, field: String) -> [FieldViolation] {
        (0...OperationsLimits.headCountMax).contains(value) ? [] : [.init(field: field, description: "must be 0…\(OperationsLimits.headCountMax)")]
    }
}

/// The store's identifiers of entities ("ZT") and contracts ("HT").
public enum OperationsIdentifiers {
    public static func entity(_ number: Int) -> String { make("ZT", number) }
    public static func contract(_ number: Int) -> String { make("HT", number) }

    /// The number inside an identifier with `prefix`, or nil.
    public static func number(of id: String, prefix: String) -> Int? {
        guard id.hasPrefix(prefix) else { return nil }
        return Int(id.dropFirst(prefix.count))
    }

    static func make(_ prefix: String, _ number: Int) -> String {
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
