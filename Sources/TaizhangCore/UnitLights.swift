// The units responsible for fund use and project implementation (issue 21)
// and their traffic lights: each township government and county department
// has, each year, a target of its own for each quarter (当季目标: the money
// to spend within it, the milestones to reach by its end), the year's
// target being the sum of the four (年度目标). After a quarter ends it is
// judged on what was done within it: green when every target was met, yellow
// when one was missed while the quarter before was met (约谈提醒), red when
// missed two quarters running or, at the fourth, the year's target missed
// (问责) (002 Laiwu: 一季一督导一评比, 半年一观摩一晾晒; 000 二(三)1 乡镇主体责任).
// Pure: no I/O.

/// What kind of unit answers for projects.
public enum ResponsibleUnitKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// 乡镇人民政府: lies in its township.
    case township
    /// 县直部门 (the county's agriculture, water, transport … bureaus): lies in the county.
    case department

    public var chineseName: String {
        switch self {
        case .township: return "乡镇"
        case .department: return "县直部门"
        }
    }
}

/// A milestone a quarter's target asks of a project: reached by the
/// quarter's last day.
public struct MilestoneTarget: Sendable, Hashable, Codable {
    public var projectId: String
    public var milestone: ProjectMilestone

    public init(projectId: String, milestone: ProjectMilestone) {
        self.projectId = projectId
        self.milestone = milestone
    }
}

/// One quarter's target of a unit.
public struct QuarterTarget: Sendable, Hashable, Codable {
    /// Money to spend within the quarter on the unit's projects (0: none).
    public var spendFen: Int64
    public var milestones: [MilestoneTarget]

    public init(spendFen: Int64 = 0, milestones: [MilestoneTarget] = []) {
        self.spendFen = spendFen
        self.milestones = milestones
    }

}

/// A change of a year's targets, with its reason.
public struct TargetRevision: Sendable, Hashable, Codable {
    public var on: CivilDate
    /// Why (empty only for the targets first set).
    public var reason: String
    /// The quarters' targets before the change (empty when first set).
    public var before: [QuarterTarget]
    public var by: FollowUpPerson?
    public var identity: String
    public var recordedAt: String

    public init(on: CivilDate, reason: String, before: [QuarterTarget], by: FollowUpPerson?, identity: String, recordedAt: String) {
        self.on = on
        self.reason = reason
        self.before = before
        self.by = by
        self.identity = identity
        self.recordedAt = recordedAt
    }
}

/// A unit's targets for one year.
public struct UnitYearTargets: Sendable, Hashable, Codable {
    public var year: Int
    /// Four: Q1 to Q4.
    public var quarters: [QuarterTarget]
    /// Every setting and change, oldest first.
    public var revisions: [TargetRevision]

    public init(year: Int, quarters: [QuarterTarget], revisions: [TargetRevision] = []) {
        self.year = year
        self.quarters = quarters
        self.revisions = revisions
    }

    /// The year's money target: the sum of the quarters'.
    public var spendFen: Int64 { quarters.reduce(Int64(0)) { $0.saturatingAdd($1.spendFen) } }

    /// The target of quarter `number` (1–4).
    public func quarter(_ number: Int) -> QuarterTarget { quarters.indices.contains(number - 1) ? quarters[number - 1] : QuarterTarget() }
}

/// A township government or county department that answers for projects.
public struct ResponsibleUnit: Sendable, Hashable, Codable {
    /// "DW00000001", given by the store.
    public var id: String
    public var name: String
    public var kind: ResponsibleUnitKind
    /// Where it lies: the township's code, or the county's for a department.
    public var adminCode: String
    /// Its head (负责人), to whom a yellow light's 约谈提醒 goes.
    public var head: String
    /// The head's post (乡长, 局长 …).
    public var headPost: String
    /// Its targets, by year, oldest first.
    public var years: [UnitYearTargets]
    /// Projects approved with it as their responsible unit.
    public var projects: Int
    /// The quarters judged, oldest first: a judgement, once recorded,
    /// stands (what is recorded later of the quarter does not change it).
    public var judgements: [QuarterJudgement]
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    public init(id: String = "", name: String, kind: ResponsibleUnitKind, adminCode: String, head: String, headPost: String = "",
                years: [UnitYearTargets] = [], projects: Int = 0, judgements: [QuarterJudgement] = [], version: Int64 = 0, createdAt: String = "",
                updatedAt: String = "") {
        self.projects = projects
        self.id = id
        self.name = name
        self.kind = kind
        self.adminCode = adminCode
        self.head = head
        self.headPost = headPost
        self.years = years
        self.judgements = judgements
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The targets of `year`, when set.
    public func targets(_ year: Int) -> UnitYearTargets? { years.first { $0.year == year } }

    /// The recorded judgement of `quarter`, if it has one.
    public func judgement(_ quarter: Quarter) -> QuarterJudgement? { judgements.last { $0.quarter == quarter } }
}

/// A unit's light for one quarter.
public enum UnitLight: String, Sendable, Hashable, Codable, CaseIterable {
    /// The quarter is not over, or not yet judged.
    case pending
    /// No targets were set for its year.
    case unset
    case green, yellow, red

    public var chineseName: String {
        switch self {
        case .pending: return "待评"
        case .unset: return "未设目标"
        case .green: return "绿灯"
        case .yellow: return "黄灯"
        case .red: return "红灯"
        }
    }

    /// The alert level it raises, if any.
    public var alertLevel: AlertLevel? {
        switch self {
        case .yellow: return .yellow
        case .red: return .red
        default: return nil
        }
    }
}

/// One target checked against what was done.
public struct TargetCheck: Sendable, Hashable, Codable {
    /// Money to spend, or a milestone of a project.
    public var milestone: MilestoneTarget?
    public var targetFen: Int64
    public var doneFen: Int64
    /// The day the milestone was reached (counted only when by the period's end).
    public var reachedOn: CivilDate?
    public var met: Bool

    public init(milestone: MilestoneTarget?, targetFen: Int64 = 0, doneFen: Int64 = 0, reachedOn: CivilDate? = nil, met: Bool) {
        self.milestone = milestone
        self.targetFen = targetFen
        self.doneFen = doneFen
        self.reachedOn = reachedOn
        self.met = met
    }

    /// How much is missing, in fen (0 for a milestone or a met target).
    public var shortFen: Int64 { max(0, targetFen - doneFen) }
}

/// The judgement of one quarter of one unit.
public struct QuarterJudgement: Sendable, Hashable, Codable {
    public var unitId: String
    public var quarter: Quarter
    public var light: UnitLight
    /// The quarter's own targets, checked (empty when unset or pending).
    public var checks: [TargetCheck]
    /// At the fourth quarter: the year's targets, checked.
    public var yearChecks: [TargetCheck]
    /// Red or yellow since this quarter: the first of the quarters missed in a row.
    public var since: Quarter?
    /// The day it was (or will be) judged: the judgement day, or the
    /// later day the daemon recorded it.
    public var judgedOn: CivilDate
    /// Why, for people (Chinese and English).
    public var reasons: [RiskReason]

    public init(unitId: String, quarter: Quarter, light: UnitLight, checks: [TargetCheck] = [], yearChecks: [TargetCheck] = [],
                since: Quarter? = nil, judgedOn: CivilDate, reasons: [RiskReason] = []) {
        self.unitId = unitId
        self.quarter = quarter
        self.light = light
        self.checks = checks
        self.yearChecks = yearChecks
        self.since = since
        self.judgedOn = judgedOn
        self.reasons = reasons
    }

    /// Targets met of the quarter's own.
    public var metCount: Int { checks.filter(\.met).count }
    /// The money target and what was spent within the quarter.
    public var spendTargetFen: Int64 { checks.first { $0.milestone == nil }?.targetFen ?? 0 }
    public var spentFen: Int64 { checks.first { $0.milestone == nil }?.doneFen ?? 0 }
}

/// The lights' rules on a given day.
public struct UnitLightRules: Sendable {
    /// Days after a quarter's last day on which it is judged: what is
    /// recorded of it before that day counts (`cutoff`).
    public let judgedDays: Int
    public let today: CivilDate

    public init(judgedDays: Int, today: CivilDate) {
        self.judgedDays = judgedDays
        self.today = today
    }

    /// The day `quarter` is judged.
    public func judgementDay(_ quarter: Quarter) -> CivilDate { quarter.last.adding(days: judgedDays) }

    /// Whether `quarter` has been judged by today.
    public func isJudged(_ quarter: Quarter) -> Bool { today >= judgementDay(quarter) }

    /// The latest quarter judged by today.
    public var latestJudged: Quarter {
        var quarter = Quarter(containing: today).previous
        // `judgedDays` is at most a quarter's length: one step back at most.
        for _ in 0..<4 where !isJudged(quarter) { quarter = quarter.previous }
        return quarter
    }

    /// The last day whose entries a quarter's judgement counts, when its
    /// year's targets were set by then: the day before its judgement day
    /// (what is recorded later does not change the light, recorded or
    /// not). Nil when the targets came later (a county taking in its past
    /// years): then everything recorded counts.
    public func cutoff(_ unit: ResponsibleUnit, _ quarter: Quarter) -> CivilDate? {
        guard let set = unit.targets(quarter.year)?.revisions.first, let setOn = Timestamp.chinaDate(rfc3339: set.recordedAt) else { return nil }
        let last = judgementDay(quarter).adding(days: -1)
        return setOn <= last ? last : nil
    }

    /// Whether the daemon records the judgement of `quarter` for `unit`: it
    /// is judged by today, not yet recorded, and has a cut-off (its year's
    /// targets were set before its judgement day). Others stay judged on
    /// what is recorded, never frozen half-entered.
    public func records(_ unit: ResponsibleUnit, _ quarter: Quarter) -> Bool {
        isJudged(quarter) && unit.judgement(quarter) == nil && cutoff(unit, quarter) != nil
    }

    /// The quarter's own targets checked against the unit's projects, with
    /// what was recorded by `recordedBy`.
    public func checks(_ target: QuarterTarget, first: CivilDate, last: CivilDate, projects: [String: ProjectProgress],
                       recordedBy: CivilDate? = nil) -> [TargetCheck] {
        var out: [TargetCheck] = []
        if target.spendFen > 0 {
            let spent = projects.values.reduce(Int64(0)) { $0.saturatingAdd($1.spentFen(from: first, through: last, recordedBy: recordedBy)) }
            out.append(TargetCheck(milestone: nil, targetFen: target.spendFen, doneFen: spent, met: spent >= target.spendFen))
        }
        for wanted in target.milestones {
            let entry = projects[wanted.projectId]?.reached(wanted.milestone)
            let counted = entry.flatMap { $0.on <= last && ProgressRules.counts($0.meta, by: recordedBy) ? $0 : nil }
            out.append(TargetCheck(milestone: wanted, reachedOn: counted?.on, met: counted != nil))
        }
        return out
    }

    /// Whether the unit missed a target of `quarter` (a quarter of a year
    /// without targets misses none).
    func missed(_ unit: ResponsibleUnit, _ quarter: Quarter, projects: [String: ProjectProgress]) -> Bool {
        if let recorded = unit.judgement(quarter) { return recorded.checks.contains { !$0.met } }
        guard let year = unit.targets(quarter.year) else { return false }
        return checks(year.quarter(quarter.number), first: quarter.first, last: quarter.last, projects: projects,
                      recordedBy: cutoff(unit, quarter)).contains { !$0.met }
    }

    /// The judgement of `quarter`: the one recorded, or else what the
    /// unit's projects (by id) say, counting what was recorded by the
    /// quarter's cut-off (`cutoff`; everything when it has none); the
    /// previous quarter as recorded when it was.
    public func judge(_ unit: ResponsibleUnit, _ quarter: Quarter, projects: [String: ProjectProgress]) -> QuarterJudgement {
        if let recorded = unit.judgement(quarter) { return recorded }
        guard isJudged(quarter) else { return QuarterJudgement(unitId: unit.id, quarter: quarter, light: .pending, judgedOn: judgementDay(quarter)) }
        let day = today
        guard let year = unit.targets(quarter.year) else { return QuarterJudgement(unitId: unit.id, quarter: quarter, light: .unset, judgedOn: day) }
        let cutoff = self.cutoff(unit, quarter)
        let checks = self.checks(year.quarter(quarter.number), first: quarter.first, last: quarter.last, projects: projects, recordedBy: cutoff)
        var judgement = QuarterJudgement(unitId: unit.id, quarter: quarter, light: .green, checks: checks, judgedOn: day)
        let missedNow = checks.contains { !$0.met }
        judgement.reasons = checks.filter { !$0.met }.map { Self.reason($0, quarter.chineseName, "\(quarter)") }
        if quarter.number == 4 {
            let total = QuarterTarget(spendFen: year.spendFen, milestones: year.quarters.flatMap(\.milestones))
            judgement.yearChecks = self.checks(total, first: Quarter(year: quarter.year, number: 1)!.first, last: quarter.last,
                                               projects: projects, recordedBy: cutoff)
        }
        if missedNow {
            var since = quarter
            while since.year > quarter.year - 3, missed(unit, since.previous, projects: projects) { since = since.previous }
            judgement.since = since
            judgement.light = since < quarter ? .red : .yellow
            if since < quarter {
                judgement.reasons.append(.init("missed_in_a_row", "自\(since.chineseName)起连续\(Self.quarters(from: since, to: quarter))个季度未完成目标",
                                               "targets missed \(Self.quarters(from: since, to: quarter)) quarters in a row since \(since)"))
            }
        }
        let yearMissed = judgement.yearChecks.filter { !$0.met }
        if !yearMissed.isEmpty {
            judgement.light = .red
            judgement.reasons += yearMissed.map { Self.reason($0, "\(quarter.year)年全年", "the year \(quarter.year)") }
            // Since the year's first quarter that missed its own targets.
            let firstMissed = (1...4).lazy.map { Quarter(year: quarter.year, number: $0)! }.first { missed(unit, $0, projects: projects) }
            judgement.since = min(judgement.since ?? quarter, firstMissed ?? quarter)
        }
        if judgement.light == .green {
            judgement.reasons = [.init("targets_met", "\(quarter.chineseName)目标全部完成", "every target of \(quarter) was met")]
        }
        return judgement
    }

    static func quarters(from first: Quarter, to last: Quarter) -> Int {
        (last.year - first.year) * 4 + last.number - first.number + 1
    }

    static func reason(_ check: TargetCheck, _ periodChinese: String, _ period: String) -> RiskReason {
        if let wanted = check.milestone {
            return .init("milestone_missed", "\(periodChinese)目标：项目\(wanted.projectId)应达到\(wanted.milestone.chineseName)，未达到",
                         "\(period): project \(wanted.projectId) was to reach \(wanted.milestone.rawValue) and did not")
        }
        return .init("spending_short", "\(periodChinese)资金支出\(Yuan.format(check.doneFen))，目标\(Yuan.format(check.targetFen))，差\(Yuan.format(check.shortFen))",
                     "\(period): spent \(Yuan.format(check.doneFen)) of the \(Yuan.format(check.targetFen)) target, \(Yuan.format(check.shortFen)) short")
    }
}

/// A unit's place in a quarter's ranking (一季一评比).
public struct UnitRank: Sendable, Hashable {
    /// 1 for the first; units that tie share a place (1, 2, 2, 4).
    public var place: Int
    public var unit: ResponsibleUnit
    public var judgement: QuarterJudgement

    public init(place: Int, unit: ResponsibleUnit, judgement: QuarterJudgement) {
        self.place = place
        self.unit = unit
        self.judgement = judgement
    }
}

/// The ranking of units for one quarter.
public enum UnitRanking {
    /// The units ranked by the share of their targets met, then by the money
    /// spent against the money target (a unit with no money target counts
    /// as having spent all of it); units equal on both share a place, listed
    /// by id. Units without a light (unset, pending) or without a target in
    /// the quarter (nothing to rank them on) are left out.
    public static func rank(_ judged: [(ResponsibleUnit, QuarterJudgement)]) -> [UnitRank] {
        let ranked = judged.filter { [.green, .yellow, .red].contains($0.1.light) && !$0.1.checks.isEmpty }.sorted { a, b in
            let order = compare(a.1, b.1)
            return order != 0 ? order > 0 : a.0.id < b.0.id
        }
        var out: [UnitRank] = []
        for (index, entry) in ranked.enumerated() {
            let place = index > 0 && compare(ranked[index - 1].1, entry.1) == 0 ? out[index - 1].place : index + 1
            out.append(UnitRank(place: place, unit: entry.0, judgement: entry.1))
        }
        return out
    }

    /// > 0 when `a` ranks before `b`, 0 when they tie.
    static func compare(_ a: QuarterJudgement, _ b: QuarterJudgement) -> Int {
        // A quarter with no targets at all has met all of none.
        func share(_ j: QuarterJudgement) -> (Int64, Int64) { j.checks.isEmpty ? (1, 1) : (Int64(j.metCount), Int64(j.checks.count)) }
        func spend(_ j: QuarterJudgement) -> (Int64, Int64) { j.spendTargetFen > 0 ? (j.spentFen, j.spendTargetFen) : (1, 1) }
        let order = cross(share(a), share(b))
        return order != 0 ? order : cross(spend(a), spend(b))
    }

    /// The sign of x1/y1 − x2/y2 (y > 0), exactly.
    static func cross(_ a: (Int64, Int64), _ b: (Int64, Int64)) -> Int {
        let (x1, y1) = a, (x2, y2) = b
        let left = x1.multipliedFullWidth(by: y2), right = x2.multipliedFullWidth(by: y1)
        if left.high != right.high { return left.high < right.high ? -1 : 1 }
        if left.low != right.low { return left.low < right.low ? -1 : 1 }
        return 0
    }
}
