// Disposal 处置 (000 (十一)2, 004 §24–27) and the yearly stock-take 盘点
// (004 §23): what a disposal needs before it may be recorded, and when a
// count may close. Pure rules; the store and the services apply them.

/// Why an asset may be disposed of (004 §24).
public enum DisposalReason: String, Sendable, CaseIterable, Codable {
    /// 自然灾害 (flood, wind, snow…).
    case naturalDisaster = "natural_disaster"
    /// 意外事故 (fire, explosion…).
    case accident
    /// 因发展规划需要处置.
    case planning
    /// 损耗.
    case wear
    /// 报废.
    case scrapping
    /// 盘亏: lost, found by a stock-take.
    case stockTakeLoss = "stock_take_loss"
}

/// How it is disposed of (004 §25).
public enum DisposalMethod: String, Sendable, CaseIterable, Codable {
    /// 拍卖.
    case auction
    /// 转让.
    case transfer
    /// 报废.
    case scrap
}

/// Who approved a disposal, level by level.
public enum ApprovalLevel: String, Sendable, CaseIterable, Codable {
    /// 乡(镇)党委政府初审 (004 §26).
    case township
    /// 县直主管部门 / 县农业农村局 (004 §25–26).
    case countyDepartment = "county_department"
    /// 县扶贫办 (004 §25–26).
    case countyPovertyOffice = "county_poverty_office"
    /// 县财政局: state-owned assets (004 §25).
    case countyFinance = "county_finance"
}

/// The independent appraisal (004 §25–26: 第三方评估).
public struct Appraisal: Sendable, Hashable, Codable {
    public var appraiser: String
    public var valueFen: Int64
    public var date: CivilDate

    /// An appraisal.
    public init(appraiser: String, valueFen: Int64, date: CivilDate) {
        self.appraiser = appraiser
        self.valueFen = valueFen
        self.date = date
    }
}

/// One approval.
public struct Approval: Sendable, Hashable, Codable {
    public var level: ApprovalLevel
    /// The approving body or person.
    public var by: String
    public var date: CivilDate

    /// An approval.
    public init(level: ApprovalLevel, by: String, date: CivilDate) {
        self.level = level
        self.by = by
        self.date = date
    }
}

/// What a disposal records.
public struct DisposalRecord: Sendable, Hashable, Codable {
    public var reason: DisposalReason
    public var method: DisposalMethod
    public var appraisal: Appraisal?
    public var approvals: [Approval]
    /// When the valuation was published (县政府网站、公开栏, 004 §25).
    public var valuationPublishedOn: CivilDate?
    /// What the disposal brought in, in fen (0 for a scrapping that brought nothing).
    public var proceedsFen: Int64
    /// Why proceeds below the appraised value are acceptable, when they are.
    public var belowAppraisalReason: String
    public var date: CivilDate

    /// A record.
    public init(reason: DisposalReason, method: DisposalMethod, appraisal: Appraisal?, approvals: [Approval],
                valuationPublishedOn: CivilDate?, proceedsFen: Int64, belowAppraisalReason: String = "", date: CivilDate) {
        self.reason = reason
        self.method = method
        self.appraisal = appraisal
        self.approvals = approvals
        self.valuationPublishedOn = valuationPublishedOn
        self.proceedsFen = proceedsFen
        self.belowAppraisalReason = belowAppraisalReason
        self.date = date
    }
}

/// What the rules need to know of the asset.
public struct DisposalSubject: Sendable, Hashable {
    /// Assets formed by support to households 扶持到户 are not disposed of
    /// through this process (004 §24, §27: the village committee registers them).
    public var householdSupport: Bool
    /// State-owned (国有) rather than village-collective.
    public var stateOwned: Bool
    /// Pledged or mortgaged: never disposable, never a collateral (000 (九)1, (十一)2).
    public var pledged: Bool
    /// Already disposed of.
    public var disposed: Bool

    /// A subject.
    public init(householdSupport: Bool, stateOwned: Bool, pledged: Bool = false, disposed: Bool = false) {
        self.householdSupport = householdSupport
        self.stateOwned = stateOwned
        self.pledged = pledged
        self.disposed = disposed
    }
}

/// The rules of disposal.
public enum DisposalRules {
    /// The levels that must approve, in order: village-collective assets
    /// township first, then the county department and the poverty office
    /// (004 §26); state-owned assets the department, the poverty office and
    /// then finance (004 §25).
    public static func requiredApprovals(stateOwned: Bool) -> [ApprovalLevel] {
        stateOwned ? [.countyDepartment, .countyPovertyOffice, .countyFinance] : [.township, .countyDepartment, .countyPovertyOffice]
    }

    /// Why the disposal may not be recorded, or nil. A state error
    /// (FAILED_PRECONDITION) comes first; otherwise every bad field of the
    /// record is listed (INVALID_ARGUMENT).
    public static func refusal(_ record: DisposalRecord, of subject: DisposalSubject) -> LedgerError? {
        if subject.disposed {
            return LedgerError(.failedPrecondition, "the asset is already disposed of; its history stays in the write-off ledger")
        }
        if subject.pledged {
            return LedgerError(.failedPrecondition,
                               "the asset is pledged or mortgaged, which 000 (九)1 and (十一)2 forbid: release it before any disposal")
        }
        if subject.householdSupport {
            return LedgerError(.failedPrecondition,
                               "assets formed by support to households are not disposed of through this process (004 §24); the village committee registers their disposal in the ledger (004 §27): RegisterHouseholdDisposal (taizhang disposal household)")
        }
        var violations: [FieldViolation] = []
        if let appraisal = record.appraisal {
            if appraisal.appraiser.isBlank {
                violations.append(FieldViolation(field: "appraisal.appraiser", description: "name the independent appraiser (004 §26: 第三方评估)"))
            }
            if appraisal.valueFen < 0 {
                violations.append(FieldViolation(field: "appraisal.value_fen", description: "must not be negative"))
            } else if appraisal.valueFen == 0, record.method != .scrap {
                violations.append(FieldViolation(field: "appraisal.value_fen", description: "an auction or transfer starts from the appraised value: more than 0 (only a scrapping may be worth nothing)"))
            }
            if appraisal.date > record.date {
                violations.append(FieldViolation(field: "appraisal.date", description: "is after the disposal (\(record.date))"))
            }
        } else {
            violations.append(FieldViolation(field: "appraisal", description: "an independent appraisal is required before any disposal (004 §25–26)"))
        }
        let required = requiredApprovals(stateOwned: subject.stateOwned)
        var previous: CivilDate?
        for level in required {
            guard let index = record.approvals.firstIndex(where: { $0.level == level }) else {
                violations.append(FieldViolation(field: "approvals", description:
                    "\(level.rawValue) has not approved; \(subject.stateOwned ? "state-owned assets need 主管部门、县扶贫办 then 县财政局 (004 §25)" : "village assets need 乡镇初审, then 县直主管部门 and 县扶贫办 (004 §26)")"))
                continue
            }
            let approval = record.approvals[index]
            if approval.by.isBlank {
                violations.append(FieldViolation(field: "approvals[\(index)].by", description: "name who approved"))
            }
            if let previous, approval.date < previous {
                violations.append(FieldViolation(field: "approvals[\(index)].date", description: "\(level.rawValue) approved before the level below it (\(previous))"))
            }
            if approval.date > record.date {
                violations.append(FieldViolation(field: "approvals[\(index)].date", description: "is after the disposal (\(record.date))"))
            }
            if let appraisal = record.appraisal, approval.date < appraisal.date {
                violations.append(FieldViolation(field: "approvals[\(index)].date", description: "is before the appraisal (\(appraisal.date)); approvals review the valuation"))
            }
            previous = approval.date
        }
        if record.method != .scrap {
            if let published = record.valuationPublishedOn {
                if let appraisal = record.appraisal, published < appraisal.date {
                    violations.append(FieldViolation(field: "valuation_published_on", description: "is before the appraisal (\(appraisal.date))"))
                }
                if published > record.date {
                    violations.append(FieldViolation(field: "valuation_published_on", description: "is after the disposal (\(record.date))"))
                }
            } else {
                violations.append(FieldViolation(field: "valuation_published_on", description:
                    "an auction or transfer publishes the valuation first (004 §25: 评估结果须…予以公开)"))
            }
        }
        if record.proceedsFen < 0 {
            violations.append(FieldViolation(field: "proceeds_fen", description: "must not be negative"))
        } else if let appraisal = record.appraisal, record.method != .scrap, record.proceedsFen < appraisal.valueFen,
                  record.belowAppraisalReason.isBlank {
            violations.append(FieldViolation(field: "below_appraisal_reason", description:
                "the proceeds \(Yuan.format(record.proceedsFen)) are below the appraised \(Yuan.format(appraisal.valueFen)); record why (004 §33 lists under-priced disposal among the violations)"))
        }
        if violations.isEmpty { return nil }
        return LedgerError(.invalidArgument, "the disposal cannot be recorded: \(violations.count) problem\(violations.count == 1 ? "" : "s")", violations: violations)
    }
}

/// One asset's line in a stock-take.
public struct CountLine: Sendable, Hashable, Codable {
    public var assetId: String
    /// Whether the asset was found.
    public var found: Bool
    /// What it was like (好, 一般, 损坏…).
    public var condition: String
    /// The quantity counted (the ledger's unit).
    public var countedQuantity: String

    /// A line.
    public init(assetId: String, found: Bool, condition: String, countedQuantity: String) {
        self.assetId = assetId
        self.found = found
        self.condition = condition
        self.countedQuantity = countedQuantity
    }
}

/// Something found that the ledger does not hold (盘盈).
public struct SurplusLine: Sendable, Hashable, Codable {
    public var description: String
    /// Its value: appraised, or replacement cost 重置成本 (004 §23).
    public var valueFen: Int64
    /// "appraisal" or "replacement_cost".
    public var valueBasis: String

    /// A surplus line.
    public init(description: String, valueFen: Int64, valueBasis: String) {
        self.description = description
        self.valueFen = valueFen
        self.valueBasis = valueBasis
    }
}

/// "Book equals reality" 账实相符: what a closed count found.
public struct StockTakeReport: Sendable, Hashable, Codable {
    public var assetsInScope: Int
    public var found: Int
    /// Asset ids not found (盘亏): each goes to disposal (reason stock_take_loss).
    public var lost: [String]
    public var surplusCount: Int
    public var surplusValueFen: Int64
    /// True when nothing was lost and nothing found beyond the book.
    public var bookEqualsReality: Bool
}

/// The rules of the yearly stock-take (004 §23).
public enum StockTakeRules {
    /// Why the count may not close, or nil: every asset in scope needs one
    /// line, no line may name an asset outside it, and every surplus needs
    /// a value on a stated basis.
    public static func closingRefusal(scope: Set<String>, lines: [CountLine], surplus: [SurplusLine]) -> LedgerError? {
        var violations: [FieldViolation] = []
        var counted: Set<String> = []
        for (index, line) in lines.enumerated() {
            if !scope.contains(line.assetId) {
                violations.append(FieldViolation(field: "lines[\(index)].asset_id", description: "\(line.assetId) is not in this count's scope"))
            } else if !counted.insert(line.assetId).inserted {
                violations.append(FieldViolation(field: "lines[\(index)].asset_id", description: "\(line.assetId) is counted twice"))
            }
        }
        let missing = scope.subtracting(counted).sorted()
        if !missing.isEmpty {
            let shown = missing.prefix(20).joined(separator: ", ")
            violations.append(FieldViolation(field: "lines", description:
                "\(missing.count) asset\(missing.count == 1 ? "" : "s") in scope have no line yet: \(shown)\(missing.count > 20 ? ", …" : ""); every asset is counted before the count closes (004 §23)"))
        }
        for (index, line) in surplus.enumerated() {
            if line.valueFen <= 0 {
                violations.append(FieldViolation(field: "surplus[\(index)].value_fen", description: "a surplus is recorded at its value (more than 0)"))
            }
            if line.valueBasis != "appraisal" && line.valueBasis != "replacement_cost" {
                violations.append(FieldViolation(field: "surplus[\(index)].value_basis", description: "must be appraisal or replacement_cost (got \"\(line.valueBasis)\")"))
            }
        }
        if violations.isEmpty { return nil }
        return LedgerError(.failedPrecondition, "the count cannot close yet", violations: violations)
    }

    /// The report of a count that may close.
    public static func report(scope: Set<String>, lines: [CountLine], surplus: [SurplusLine]) -> StockTakeReport {
        let lost = lines.filter { !$0.found && scope.contains($0.assetId) }.map(\.assetId).sorted()
        let found = lines.filter { $0.found && scope.contains($0.assetId) }.count
        let value = surplus.reduce(Int64(0)) { $0.saturatingAdd(max(0, $1.valueFen)) }
        return StockTakeReport(assetsInScope: scope.count, found: found, lost: lost, surplusCount: surplus.count, surplusValueFen: value,
                               bookEqualsReality: lost.isEmpty && surplus.isEmpty)
    }

    /// Whether an asset last counted on `lastCounted` (nil: never) is overdue
    /// on `today`: more than a year (004 §23: 每年至少清查一次).
    public static func countOverdue(lastCounted: CivilDate?, registered: CivilDate, today: CivilDate) -> Bool {
        let since = lastCounted ?? registered
        guard let anniversary = CivilDate(year: since.year + 1, month: since.month,
                                          day: min(since.day, CivilDate.daysIn(month: since.month, year: since.year + 1))) else { return false }
        return today > anniversary
    }
}
