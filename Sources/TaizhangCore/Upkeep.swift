// The upkeep log 管护记录 of every asset (issue 23; 004 §20–22: public
// welfare assets are maintained so they keep working, household assets are
// the household's to upkeep under the village's guidance and supervision):
// inspections, repairs and maintenance with their cost in fen, who did them
// and their documents; the village's dated supervision of a household
// asset's use; the yearly cost per asset and per village; and when an asset
// has gone without any record for too long. Records and rules, pure.

/// What an upkeep record is.
public enum UpkeepKind: String, Sendable, Codable, CaseIterable {
    /// 巡查检查: looked at, found working or not.
    case inspection
    /// 维修: repaired.
    case repair
    /// 日常养护: routine maintenance (cleaning, painting, servicing).
    case maintenance
    /// 到户类资产使用监管: the village's periodic supervision of a household
    /// asset's use (004 §21: 加强对农户的指导与监督); household assets only.
    case supervision

    public var chineseName: String {
        switch self {
        case .inspection: return "巡查检查"
        case .repair: return "维修"
        case .maintenance: return "日常养护"
        case .supervision: return "到户监管"
        }
    }
}

/// One entry of an asset's upkeep log.
public struct UpkeepRecord: Sendable, Hashable, Codable {
    /// "GH00000001", given by the store.
    public var id: String
    public var assetId: String
    /// The asset's unit when recorded (where the record lies for scopes and sums).
    public var adminCode: String
    /// For a household asset, the household of the register that owns and
    /// upkeeps it, when its owners name one; "" otherwise.
    public var householdId: String
    public var kind: UpkeepKind
    /// The day it was done (a civil date in China Standard Time).
    public var date: CivilDate
    /// What it cost, in fen (0 for an inspection that cost nothing).
    public var costFen: Int64
    /// Who did it (the custodian, a 公益岗 worker, a contractor, the village committee).
    public var performedBy: String
    /// What was done and found.
    public var description: String
    /// Receipts, photographs, the inspection sheet: each by its SHA-256.
    public var documents: [Document]
    public var version: Int64
    public var createdAt: String

    /// A record; the store fills `id`, `adminCode`, `householdId`, `version` and `createdAt`.
    public init(id: String = "", assetId: String, adminCode: String = "", householdId: String = "", kind: UpkeepKind, date: CivilDate,
                costFen: Int64 = 0, performedBy: String, description: String, documents: [Document] = [], version: Int64 = 0, createdAt: String = "") {
        self.id = id
        self.assetId = assetId
        self.adminCode = adminCode
        self.householdId = householdId
        self.kind = kind
        self.date = date
        self.costFen = costFen
        self.performedBy = performedBy
        self.description = description
        self.documents = documents
        self.version = version
        self.createdAt = createdAt
    }
}

/// The village's registration of the disposal of a household asset (004
/// §27: 村两委应定期监督扶贫到户类资产的处置情况，并将有关处置情况在资产管理台账上进行登记):
/// the household disposed of it; the village records what happened. No
/// appraisal and no approvals (004 §24 leaves household assets out of the
/// disposal process); in effect at once.
public struct HouseholdDisposalRegistration: Sendable, Hashable, Codable {
    /// Who reported it (the household's head, usually).
    public var reportedBy: String
    /// Who registered it for the village committee 村两委.
    public var registeredBy: String
    /// What happened, in words.
    public var circumstances: String

    public init(reportedBy: String, registeredBy: String, circumstances: String) {
        self.reportedBy = reportedBy
        self.registeredBy = registeredBy
        self.circumstances = circumstances
    }
}

/// Limits on the upkeep log.
public enum UpkeepLimits {
    public static let performedByMaxCharacters = 100
    public static let descriptionMaxCharacters = 1_000
    public static let documentsMax = 20
    /// One record's cost: 1 亿元 (a repair beyond it is a new project);
    /// also what a household asset's disposal may bring in.
    public static let costMaxFen: Int64 = 10_000_000_000
    /// Assets listed one by one in a cost summary; the units' sums count them all.
    public static let summaryAssetsMax = 10_000
}

/// The upkeep log's rules.
public enum UpkeepRules {
    /// Every problem of a record's own fields, each naming its field.
    public static func violations(_ record: UpkeepRecord, today: CivilDate) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if record.date > today { bad.append(.init(field: "upkeep.date", description: "is \(record.date), after today (\(today)); record what was done")) }
        if record.costFen < 0 { bad.append(.init(field: "upkeep.cost_fen", description: "must not be negative")) }
        if record.costFen > UpkeepLimits.costMaxFen {
            bad.append(.init(field: "upkeep.cost_fen", description: "at most \(UpkeepLimits.costMaxFen) fen (1 亿元) in one record"))
        }
        for (field, text, max) in [("upkeep.performed_by", record.performedBy, UpkeepLimits.performedByMaxCharacters),
                                   ("upkeep.description", record.description, UpkeepLimits.descriptionMaxCharacters)] {
            if text.trimmingSpaces.isEmpty { bad.append(.init(field: field, description: field.hasSuffix("by") ? "say who did it" : "say what was done and found")) }
            if text.count > max { bad.append(.init(field: field, description: "at most \(max) characters")) }
        }
        if record.documents.count > UpkeepLimits.documentsMax {
            bad.append(.init(field: "upkeep.documents", description: "at most \(UpkeepLimits.documentsMax) documents"))
        }
        for (index, document) in record.documents.prefix(UpkeepLimits.documentsMax).enumerated() {
            if document.name.trimmingSpaces.isEmpty || document.name.utf8.count > StewardshipLimits.nameMaxBytes {
                bad.append(.init(field: "upkeep.documents[\(index)].name", description: "name the document in 1 to \(StewardshipLimits.nameMaxBytes) bytes"))
            }
            if document.kind.utf8.count > StewardshipLimits.nameMaxBytes {
                bad.append(.init(field: "upkeep.documents[\(index)].kind", description: "at most \(StewardshipLimits.nameMaxBytes) bytes"))
            }
            if document.sha256.utf8.count != 64 || !document.sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                bad.append(.init(field: "upkeep.documents[\(index)].sha256", description: "must be the file's SHA-256 as 64 lower-case hex digits"))
            }
        }
        return bad
    }

    /// When an asset last upkept on `lastUpkept` (nil: never) and entered
    /// in the ledger on `registered` has gone more than `days` days without
    /// a record on `today`, counted from the later of the two (records
    /// entered afterwards for the years before do not make a new asset
    /// overdue): the day it runs from, and whether it is twice that; nil
    /// when it is not overdue.
    public static func overdue(lastUpkept: CivilDate?, since registered: CivilDate, days: Int, today: CivilDate) -> (since: CivilDate, twice: Bool)? {
        let since = max(lastUpkept ?? registered, registered)
        guard today > since.adding(days: days) else { return nil }
        return (since, today > since.adding(days: 2 * days))
    }
}

/// The rules of a household asset's disposal as the village registers it.
public enum HouseholdDisposalRules {
    /// Every problem of the registration's own fields, each naming its field.
    public static func violations(_ record: DisposalRecord, _ registration: HouseholdDisposalRegistration, stockTakeId: String,
                                  today: CivilDate) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        if record.reason == .stockTakeLoss, stockTakeId.isEmpty {
            bad.append(.init(field: "stock_take_id", description: "a loss a count found names the closed count (stock_take_id)"))
        } else if record.reason != .stockTakeLoss, !stockTakeId.isEmpty {
            bad.append(.init(field: "stock_take_id", description: "names a count only for reason stock_take_loss"))
        }
        if record.date > today { bad.append(.init(field: "date", description: "is \(record.date), after today (\(today))")) }
        if record.proceedsFen < 0 { bad.append(.init(field: "proceeds_fen", description: "must not be negative")) }
        if record.proceedsFen > UpkeepLimits.costMaxFen {
            bad.append(.init(field: "proceeds_fen", description: "at most \(UpkeepLimits.costMaxFen) fen (1 亿元)"))
        }
        for (field, text, max) in [("reported_by", registration.reportedBy, UpkeepLimits.performedByMaxCharacters),
                                   ("registered_by", registration.registeredBy, UpkeepLimits.performedByMaxCharacters),
                                   ("circumstances", registration.circumstances, UpkeepLimits.descriptionMaxCharacters)] {
            if text.trimmingSpaces.isEmpty { bad.append(.init(field: field, description: "is required")) }
            if text.count > max { bad.append(.init(field: field, description: "at most \(max) characters")) }
        }
        return bad
    }
}

/// A year's upkeep under a unit: in all, per unit, per asset (by id).
public struct UpkeepCosts: Sendable {
    public var records = 0
    public var costFen: Int64 = 0
    public var units: [String: UpkeepTally] = [:]
    /// By asset id (an asset recorded in two units, having moved, twice).
    public var assets: [(assetId: String, adminCode: String, tally: UpkeepTally)] = []

    public init() {}

    /// One asset's records in one unit.
    public mutating func add(assetId: String, adminCode: String, records count: Int, costFen cost: Int64, lastDate: CivilDate) {
        var tally = UpkeepTally()
        (tally.records, tally.costFen, tally.lastDate) = (count, cost, lastDate)
        records += count
        costFen = costFen.saturatingAdd(cost)
        units[adminCode, default: UpkeepTally()].records += count
        units[adminCode, default: UpkeepTally()].costFen = units[adminCode, default: UpkeepTally()].costFen.saturatingAdd(cost)
        units[adminCode, default: UpkeepTally()].assets += 1
        units[adminCode, default: UpkeepTally()].lastDate = max(units[adminCode]?.lastDate ?? lastDate, lastDate)
        assets.append((assetId, adminCode, tally))
    }
}

/// One asset's or one unit's upkeep in a year.
public struct UpkeepTally: Sendable, Hashable {
    public var records = 0
    public var costFen: Int64 = 0
    /// Assets with a record (for a unit).
    public var assets = 0
    /// The latest record's day.
    public var lastDate: CivilDate?

    public init() {}
}
