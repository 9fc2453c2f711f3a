// Before a project: the assessment of the operating entity proposed to run
// it (issue 21; 000 二(一) 做好项目前期风险评估: 对带贫主体的生产规模、销售渠道、
// 带贫能力、政策合规等进行评估). Four parts, each scored 0–100 and explained
// like the running scores; a total under the yellow threshold is weak, and
// a weak result is a risk recorded on the project and shown on any
// contract with that entity afterwards. Pure: no I/O.

/// The parts of a project's assessment.
public enum AssessmentPart: String, Sendable, Hashable, Codable, CaseIterable {
    /// 生产规模: the entity's output against the project's investment.
    case productionScale = "production_scale"
    /// 销售渠道: the channels it sells through, and the share under orders.
    case salesChannels = "sales_channels"
    /// 带贫能力: the households it will lift against those the project plans.
    case povertyLinkage = "poverty_linkage"
    /// 政策合规: its record of violations (land, environment, credit, labour …).
    case policyCompliance = "policy_compliance"

    public var chineseName: String {
        switch self {
        case .productionScale: return "生产规模"
        case .salesChannels: return "销售渠道"
        case .povertyLinkage: return "带贫能力"
        case .policyCompliance: return "政策合规"
        }
    }

    /// Its weight; the four add up to 100.
    public var weight: Int {
        switch self {
        case .productionScale: return 30
        case .salesChannels: return 25
        case .povertyLinkage: return 30
        case .policyCompliance: return 15
        }
    }
}

/// What the assessors found of the entity.
public struct AssessmentFacts: Sendable, Hashable, Codable {
    /// The entity's output of the last full year, in fen (年产值).
    public var annualOutputFen: Int64
    /// The project's planned investment, in fen.
    public var investmentFen: Int64
    /// The channels it sells through (订单收购, 电商, 批发市场 …).
    public var channels: [String]
    /// The share of its output sold under orders, in percent.
    public var orderSharePercent: Int
    /// Households (脱贫户, 监测户) it undertakes to lift, and those the project plans.
    public var householdsLinked: Int
    public var householdsPlanned: Int
    /// Violations on record (用地, 环保, 失信被执行, 拖欠工资 …); none: compliant.
    public var violations: [String]

    public init(annualOutputFen: Int64, investmentFen: Int64, channels: [String], orderSharePercent: Int, householdsLinked: Int,
                householdsPlanned: Int, violations: [String]) {
        self.annualOutputFen = annualOutputFen
        self.investmentFen = investmentFen
        self.channels = channels
        self.orderSharePercent = orderSharePercent
        self.householdsLinked = householdsLinked
        self.householdsPlanned = householdsPlanned
        self.violations = violations
    }
}

/// One part, scored and explained.
public struct AssessmentPartScore: Sendable, Hashable, Codable {
    public var part: AssessmentPart
    public var score: Int
    public var reasons: [RiskReason]

    public init(part: AssessmentPart, score: Int, reasons: [RiskReason]) {
        self.part = part
        self.score = score
        self.reasons = reasons
    }
}

/// An assessment as the ledger keeps it (`assessment` records, `PG…`).
public struct ProjectAssessment: Sendable, Hashable, Codable {
    public var id: String
    public var projectId: String
    /// Where the project lies: the record's scope.
    public var adminCode: String
    public var entityId: String
    public var entityName: String
    /// The day it was made.
    public var on: CivilDate
    public var facts: AssessmentFacts
    public var parts: [AssessmentPartScore]
    /// Σ part × weight / 100, rounded down.
    public var total: Int
    /// Under the yellow threshold: a risk on the project, and on the entity's contracts.
    public var weak: Bool
    public var assessors: String
    public var identity: String
    public var version: Int64
    public var createdAt: String

    public init(id: String = "", projectId: String, adminCode: String = "", entityId: String, entityName: String = "", on: CivilDate,
                facts: AssessmentFacts, parts: [AssessmentPartScore] = [], total: Int = 0, weak: Bool = false, assessors: String = "",
                identity: String = "", version: Int64 = 0, createdAt: String = "") {
        self.id = id
        self.projectId = projectId
        self.adminCode = adminCode
        self.entityId = entityId
        self.entityName = entityName
        self.on = on
        self.facts = facts
        self.parts = parts
        self.total = total
        self.weak = weak
        self.assessors = assessors
        self.identity = identity
        self.version = version
        self.createdAt = createdAt
    }
}

/// The assessment's one rule.
public enum AssessmentRules {
    /// Channels and violations one assessment names.
    public static let listMax = 50
    public static let householdsMax = 1_000_000

    /// What is wrong with the facts, every field.
    public static func violations(_ facts: AssessmentFacts) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        for (field, fen) in [("facts.annual_output_fen", facts.annualOutputFen), ("facts.investment_fen", facts.investmentFen)]
            where fen < 0 || fen > RecordLimits.amountMaxFen {
            bad.append(.init(field: field, description: "must be 0 to \(RecordLimits.amountMaxFen) fen"))
        }
        if facts.investmentFen == 0 { bad.append(.init(field: "facts.investment_fen", description: "is required: the project's planned investment")) }
        if !(0...100).contains(facts.orderSharePercent) { bad.append(.init(field: "facts.order_share_percent", description: "must be 0 to 100")) }
        for (field, count) in [("facts.households_linked", facts.householdsLinked), ("facts.households_planned", facts.householdsPlanned)]
            where !(0...householdsMax).contains(count) {
            bad.append(.init(field: field, description: "must be 0 to \(householdsMax)"))
        }
        for (field, list) in [("facts.channels", facts.channels), ("facts.violations", facts.violations)] {
            if list.count > listMax { bad.append(.init(field: field, description: "has \(list.count) entries; at most \(listMax) are allowed")) }
            for (index, text) in list.enumerated() where text.isBlank || text.utf8.count > StewardshipLimits.nameMaxBytes {
                bad.append(.init(field: "\(field)[\(index)]", description: "must be 1 to \(StewardshipLimits.nameMaxBytes) bytes"))
            }
        }
        return bad
    }

    /// The parts, the total and whether it is weak (under `weakBelow`).
    public static func score(_ facts: AssessmentFacts, weakBelow: Int) -> (parts: [AssessmentPartScore], total: Int, weak: Bool) {
        let parts = [scale(facts), channels(facts), linkage(facts), compliance(facts)]
        let total = parts.reduce(0) { $0 + $1.score * $1.part.weight } / 100
        return (parts, total, total < weakBelow)
    }

    /// Output against investment: at least equal 100, half 70, a fifth 40, less 10.
    static func scale(_ facts: AssessmentFacts) -> AssessmentPartScore {
        let output = facts.annualOutputFen, investment = max(1, facts.investmentFen)
        let score = output >= investment ? 100 : output * 2 >= investment ? 70 : output * 5 >= investment ? 40 : 10
        let percent = Int(min(Int64(9_999), output.multipliedReportingOverflow(by: 100).partialValue / investment))
        return AssessmentPartScore(part: .productionScale, score: score, reasons: [.init("output_to_investment",
            "年产值\(Yuan.format(output))，为项目投资\(Yuan.format(facts.investmentFen))的\(percent)%",
            "annual output \(Yuan.format(output)) is \(percent)% of the project's investment \(Yuan.format(facts.investmentFen))")])
    }

    /// 30 a channel (distinct), with 0.4 a point of the share under orders, at most 100.
    static func channels(_ facts: AssessmentFacts) -> AssessmentPartScore {
        let distinct = Set(facts.channels).count
        let score = min(100, distinct * 30 + facts.orderSharePercent * 2 / 5)
        let reason: RiskReason = distinct == 0
            ? .init("no_channels", "无稳定销售渠道", "no steady sales channel")
            : .init("channels", "销售渠道\(distinct)个（\(facts.channels.joined(separator: "、"))），订单销售占\(facts.orderSharePercent)%",
                    "\(distinct) sales channel(s) (\(facts.channels.joined(separator: ", "))), \(facts.orderSharePercent)% sold under orders")
        return AssessmentPartScore(part: .salesChannels, score: score, reasons: [reason])
    }

    /// The households linked against those planned (all: 100).
    static func linkage(_ facts: AssessmentFacts) -> AssessmentPartScore {
        let planned = max(1, facts.householdsPlanned)
        let score = min(100, facts.householdsLinked * 100 / planned)
        return AssessmentPartScore(part: .povertyLinkage, score: score, reasons: [.init("households_linked",
            "承诺带动脱贫户\(facts.householdsLinked)户，项目计划带动\(facts.householdsPlanned)户",
            "undertakes to lift \(facts.householdsLinked) households; the project plans \(facts.householdsPlanned)")])
    }

    /// 100 without violations, 40 fewer for each, none below 0.
    static func compliance(_ facts: AssessmentFacts) -> AssessmentPartScore {
        let score = max(0, 100 - 40 * facts.violations.count)
        let reason: RiskReason = facts.violations.isEmpty
            ? .init("compliant", "无违法违规记录", "no violations on record")
            : .init("violations", "有违法违规记录\(facts.violations.count)项：\(facts.violations.joined(separator: "、"))",
                    "\(facts.violations.count) violation(s) on record: \(facts.violations.joined(separator: ", "))")
        return AssessmentPartScore(part: .policyCompliance, score: score, reasons: [reason])
    }
}
