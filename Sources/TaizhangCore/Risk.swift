// The risk rules as pure functions: an entity's score for a quarter from its
// five parts (000 二(一)), the Laiwu traffic light (002), and the conditions
// that should be alerted on now (000 (三)2, 003 三(三), 001 (八), 004 §15).
// The monitor compares these with the open alerts; nothing here has state.

/// An alert's level. `green` is no alert.
public enum AlertLevel: String, Sendable, CaseIterable, Codable, Comparable {
    case green, yellow, red

    public var chineseName: String {
        switch self {
        case .green: return "绿灯"
        case .yellow: return "黄灯"
        case .red: return "红灯"
        }
    }

    var rank: Int {
        switch self {
        case .green: return 0
        case .yellow: return 1
        case .red: return 2
        }
    }

    public static func < (lhs: AlertLevel, rhs: AlertLevel) -> Bool { lhs.rank < rhs.rank }
}

/// What an alert is about. Each kind has two stable journald MESSAGE_IDs:
/// one for raising (and changing level), one for the recovery.
public enum AlertKind: String, Sendable, CaseIterable, Codable {
    /// The Laiwu traffic light: the quarter's (or year's) targets missed.
    case entityTargets = "entity_targets"
    /// The entity's score is below the thresholds.
    case entityScore = "entity_score"
    /// A quarterly report is overdue.
    case reportMissing = "report_missing"
    /// Payments to the asset owners are overdue.
    case paymentOverdue = "payment_overdue"
    /// An asset has stood idle long.
    case assetIdle = "asset_idle"
    /// The asset's operator runs at a loss.
    case assetLoss = "asset_loss"
    /// The asset's output declined.
    case assetDecline = "asset_decline"
    /// A notice is past its earliest close and still up.
    case publicationOverdue = "publication_overdue"
    /// The handover is past its deadline (30 working days, 004 §15).
    case handoverOverdue = "handover_overdue"
    /// A contract expires soon or has expired (renew or recover, 001 (八)).
    case contractExpiring = "contract_expiring"
    /// A unit has assets no closed stock-take has counted for more than a year (004 §23).
    case countOverdue = "count_overdue"
    /// Income waits for distribution past its 3-month deadline (004 §31):
    /// a plan not carried out, or a unit's income with no plan.
    case distributionOverdue = "distribution_overdue"
    /// A responsible unit's light for the last quarter judged is yellow
    /// (约谈提醒 to its head) or red (问责) (issue 21; 002 Laiwu).
    case unitLight = "unit_light"
    /// A completed project's spending and the original value of the assets
    /// it produced differ by more than the tolerance (003 账账相符).
    case booksMismatch = "books_mismatch"
    /// A household visited (巡问查比, 002 Laiwu) disputes what a plan paid it,
    /// or its signature does not match (issue 23); on the plan, in its village.
    case paymentDisputed = "payment_disputed"
    /// A unit has assets with no upkeep record 管护记录 for more than the
    /// configured days (issue 23; 004 §20–22): on the unit, naming them.
    case upkeepOverdue = "upkeep_overdue"

    /// The key of the one open alert of this kind about `subjectId`: a
    /// letter for the kind, then the id, so that the key of an id of up to
    /// 14 bytes (every id the ledger gives, an admin code) is a small
    /// string: a whole-ledger run makes and hashes one per condition, and
    /// as "kind:id" each was an allocation.
    public func key(of subjectId: String) -> String {
        var key = String(Unicode.Scalar(keyLetter))
        key += subjectId
        return key
    }

    private var keyLetter: UInt8 {
        switch self {
        case .entityTargets: UInt8(ascii: "a")
        case .entityScore: UInt8(ascii: "b")
        case .reportMissing: UInt8(ascii: "c")
        case .paymentOverdue: UInt8(ascii: "d")
        case .assetIdle: UInt8(ascii: "e")
        case .assetLoss: UInt8(ascii: "f")
        case .assetDecline: UInt8(ascii: "g")
        case .publicationOverdue: UInt8(ascii: "h")
        case .handoverOverdue: UInt8(ascii: "i")
        case .contractExpiring: UInt8(ascii: "j")
        case .countOverdue: UInt8(ascii: "k")
        case .distributionOverdue: UInt8(ascii: "l")
        case .unitLight: UInt8(ascii: "m")
        case .booksMismatch: UInt8(ascii: "n")
        case .paymentDisputed: UInt8(ascii: "o")
        case .upkeepOverdue: UInt8(ascii: "p")
        }
    }

    /// MESSAGE_ID of the alert being raised or changing level.
    public var messageId: String {
        switch self {
        case .entityTargets: return "a728f7a236264ec4abf55ed8dfa03046"
        case .entityScore: return "d7ae1097612b4e56b2db5f1eea9148dd"
        case .reportMissing: return "91f345cdd0434339820d4d11f659d920"
        case .paymentOverdue: return "9fc3619895004474b1d273cf519648fb"
        case .assetIdle: return "5bba695e5a9c474da2bfd7cebfe00836"
        case .assetLoss: return "3c93233a49954d7eb91c2603b8d14fbc"
        case .assetDecline: return "737a1e947e794aa3990e1b27b5bc7359"
        case .publicationOverdue: return "8308f70a16af436fb1b0fca0be6fd236"
        case .handoverOverdue: return "7c79ec5f43a546799f3f5ed29a27bb34"
        case .contractExpiring: return "7026a501571b48ae9da0b4e888e6e23b"
        case .countOverdue: return "8ccd31942f074927b2c72a4747464149"
        case .distributionOverdue: return "f0e4c8ca59d64b4bb2ebcbea8e03d430"
        case .unitLight: return "29935e0b8b3a4cba884c2107e41c6195"
        case .booksMismatch: return "2739268598284d909b0ebf8da060e49d"
        case .paymentDisputed: return "5d1c0a6e7b3f4e2a9c8d4b6f1e0a7c35"
        case .upkeepOverdue: return "c9e2013296ee4334b090bc8ba04a154f"
        }
    }

    /// MESSAGE_ID of the recovery (the cause went away).
    public var recoveryMessageId: String {
        switch self {
        case .entityTargets: return "40cb36b8718b414aa0a1bcf514550159"
        case .entityScore: return "93a0c9b174c34fb6817ec594bb877f76"
        case .reportMissing: return "aa715eed28b7401cb6a56b7f8cb31dc0"
        case .paymentOverdue: return "a6332b26bfb1469797f7c0d87538aab0"
        case .assetIdle: return "89376cdde4404153bbecb41a60b9f811"
        case .assetLoss: return "7e78d8de55b54b7b81fe056fa8d4b176"
        case .assetDecline: return "71f022da4b59493d845830c315b546d5"
        case .publicationOverdue: return "0ee0860fcfbe4902966e3d9ba8c05786"
        case .handoverOverdue: return "cd1554ff9e194dfda15533cb73f6e562"
        case .contractExpiring: return "2517b7e06cbc40aa971822f9788ed130"
        case .countOverdue: return "0e1cee30b5464d25bf6e90a81b5cb0d3"
        case .distributionOverdue: return "1f865d42cd1840fcb317f1e8c703c565"
        case .unitLight: return "df1e8ab1cace4b14a639c606a37f244f"
        case .booksMismatch: return "35910f3a3915478e97a7f6b10851b8f0"
        case .paymentDisputed: return "b84e2f91c6d34a7f8e15a0c93d27b6e4"
        case .upkeepOverdue: return "8c9c8c02701f4c898c26d149f6bcefb2"
        }
    }

    public var chineseName: String {
        switch self {
        case .entityTargets: return "带贫主体目标完成预警"
        case .entityScore: return "带贫主体风险评分预警"
        case .reportMissing: return "季度报表缺报预警"
        case .paymentOverdue: return "资产收益拖欠预警"
        case .assetIdle: return "资产长期闲置预警"
        case .assetLoss: return "资产经营亏损预警"
        case .assetDecline: return "资产效益下滑预警"
        case .publicationOverdue: return "公示逾期未结束预警"
        case .handoverOverdue: return "资产移交逾期预警"
        case .contractExpiring: return "经营合同到期预警"
        case .countOverdue: return "资产清查逾期预警"
        case .distributionOverdue: return "收益分配逾期预警"
        case .unitLight: return "责任单位季度亮灯预警"
        case .booksMismatch: return "项目资金与资产账账不符预警"
        case .paymentDisputed: return "到户收益发放争议预警"
        case .upkeepOverdue: return "资产管护缺失预警"
        }
    }

    /// What the alert's subject is.
    public var subjectKind: String {
        switch self {
        case .entityTargets, .entityScore, .reportMissing, .paymentOverdue: return "entity"
        case .assetIdle, .assetLoss, .assetDecline, .publicationOverdue, .handoverOverdue: return "asset"
        case .countOverdue, .upkeepOverdue: return "unit"
        case .contractExpiring: return "contract"
        case .distributionOverdue, .paymentDisputed: return "distribution"
        case .unitLight: return "responsible_unit"
        case .booksMismatch: return "project"
        }
    }
}

/// A unit's assets uncounted for more than a year, gathered by the monitor.
public struct CountBacklog: Sendable, Hashable {
    public var assets = 0
    public var overTwoYears = 0
    /// The earliest day counting runs from.
    public var oldest: CivilDate
    /// The first few asset ids, for the message.
    public var examples: [String] = []

    /// An empty tally starting from `since`.
    public init(since: CivilDate) { oldest = since }

    /// Adds one overdue asset.
    public mutating func add(_ assetId: String, since: CivilDate, twoYears: Bool) {
        assets += 1
        if twoYears { overTwoYears += 1 }
        oldest = min(oldest, since)
        if examples.count < 3 { examples.append(assetId) }
    }

    /// Adds the tally of assets that follow these in id order (one run of
    /// a scan in parallel): the examples stay the first few.
    public mutating func add(_ later: CountBacklog) {
        assets += later.assets
        overTwoYears += later.overTwoYears
        oldest = min(oldest, later.oldest)
        examples += later.examples.prefix(max(0, 3 - examples.count))
    }
}

/// One plain reason behind a score or an alert, in Chinese and English.
public struct RiskReason: Sendable, Hashable, Codable {
    /// A stable code, e.g. "output_below_target".
    public var code: String
    public var chinese: String
    public var english: String

    /// A reason.
    public init(_ code: String, _ chinese: String, _ english: String) {
        self.code = code
        self.chinese = chinese
        self.english = english
    }
}

/// One part of a score.
public struct RiskPartScore: Sendable, Hashable, Codable {
    public var part: RiskPart
    /// 0…100.
    public var score: Int
    /// The part's weight (the parts' weights add up to 100).
    public var weight: Int
    public var reasons: [RiskReason]

    /// A part.
    public init(part: RiskPart, score: Int, weight: Int, reasons: [RiskReason]) {
        self.part = part
        self.score = score
        self.weight = weight
        self.reasons = reasons
    }
}

/// An entity's score for a quarter.
public struct RiskScore: Sendable, Hashable {
    public var entityId: String
    public var quarter: Quarter
    /// False when the quarter's report is missing: then there is no score.
    public var reported: Bool
    /// 0…100: Σ part × weight / 100, rounded down.
    public var total: Int
    /// From the score thresholds.
    public var scoreLevel: AlertLevel
    /// The Laiwu traffic light.
    public var light: AlertLevel
    public var parts: [RiskPartScore]
    /// Why the light has its colour.
    public var lightReasons: [RiskReason]

    /// A score.
    public init(entityId: String, quarter: Quarter, reported: Bool, total: Int, scoreLevel: AlertLevel, light: AlertLevel,
                parts: [RiskPartScore], lightReasons: [RiskReason]) {
        self.entityId = entityId
        self.quarter = quarter
        self.reported = reported
        self.total = total
        self.scoreLevel = scoreLevel
        self.light = light
        self.parts = parts
        self.lightReasons = lightReasons
    }
}

/// A condition the monitor should have an alert open for, now.
public struct AlertCondition: Sendable, Hashable {
    public var kind: AlertKind
    /// The entity, asset or contract id.
    public var subjectId: String
    public var subjectName: String
    /// Where the subject is: the entity's, asset's or contract asset's admin code.
    public var adminCode: String
    /// yellow or red.
    public var level: AlertLevel
    /// The entity's score, or -1 when the kind has none.
    public var score: Int
    /// The quarter concerned ("" when none).
    public var quarter: String
    public var parts: [RiskPartScore]
    public var reasons: [RiskReason]

    /// A condition.
    public init(kind: AlertKind, subjectId: String, subjectName: String, adminCode: String, level: AlertLevel, score: Int = -1,
                quarter: String = "", parts: [RiskPartScore] = [], reasons: [RiskReason]) {
        self.kind = kind
        self.subjectId = subjectId
        self.subjectName = subjectName
        self.adminCode = adminCode
        self.level = level
        self.score = score
        self.quarter = quarter
        self.parts = parts
        self.reasons = reasons
    }

    /// One open alert per kind and subject (`AlertKind.key(of:)`).
    public var key: String { kind.key(of: subjectId) }
}

/// Money for messages: "1,234.50元".
public enum Yuan {
    public static func format(_ fen: Int64) -> String {
        // Digits written backwards into a small buffer: no intermediate strings.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var magnitude = fen.magnitude
        let cents = magnitude % 100
        magnitude /= 100
        bytes.append(UInt8(ascii: "0") + UInt8(cents % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(cents / 10))
        bytes.append(UInt8(ascii: "."))
        var digits = 0
        repeat {
            if digits > 0, digits % 3 == 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
            digits += 1
        } while magnitude > 0
        if fen < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.reverse()
        return String(decoding: bytes, as: UTF8.self) + "元"
    }
}

extension Int64 {
    /// The sum, held at the bounds instead of trapping.
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

/// An entity's reports, by quarter: one a quarter, so a few dozen at most,
/// kept in quarter order in one array. A lookup is a binary search over
/// them; a full risk run builds one of these per entity, and a dictionary
/// each (hashing every lookup, a table to allocate and free) cost it about
/// a tenth of its time.
public struct ReportsByQuarter: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// Ascending by quarter, one per quarter.
    private var items: [QuarterReport] = []

    public init() {}

    /// Room for `minimumCapacity` reports before the storage grows.
    public init(minimumCapacity: Int) {
        items.reserveCapacity(minimumCapacity)
    }

    /// `reports`, the last of each quarter kept.
    public init(_ reports: some Sequence<QuarterReport>) {
        for report in reports { self[report.quarter] = report }
    }

    public init(dictionaryLiteral elements: (Quarter, QuarterReport)...) {
        for (quarter, report) in elements { self[quarter] = report }
    }

    /// Where `quarter`'s report is, or would go.
    private func position(of quarter: Quarter) -> (index: Int, found: Bool) {
        // Reports arrive in quarter order: the common write is an append.
        if let last = items.last, last.quarter < quarter { return (items.count, false) }
        var low = 0
        var high = items.count
        while low < high {
            let mid = (low + high) / 2
            if items[mid].quarter < quarter { low = mid + 1 } else { high = mid }
        }
        return (low, low < items.count && items[low].quarter == quarter)
    }

    /// The report for `quarter`; setting nil removes it. A report set is
    /// kept under `quarter` (callers set a report under its own quarter).
    public subscript(quarter: Quarter) -> QuarterReport? {
        get {
            let (index, found) = position(of: quarter)
            return found ? items[index] : nil
        }
        set {
            let (index, found) = position(of: quarter)
            switch (newValue, found) {
            case (let report?, true): items[index] = report
            case (let report?, false): items.insert(report, at: index)
            case (nil, true): items.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// Keeps `report` under its own quarter; one after the last (reports
    /// read in quarter order) is appended without a search or a copy.
    public mutating func put(_ report: QuarterReport) {
        if items.isEmpty || items[items.count - 1].quarter < report.quarter {
            items.append(report)
        } else {
            self[report.quarter] = report
        }
    }

    /// Whether there is a report for `quarter`.
    public func contains(_ quarter: Quarter) -> Bool { position(of: quarter).found }

    /// The reports in quarter order.
    public var values: [QuarterReport] { items }
    public var count: Int { items.count }
    public var isEmpty: Bool { items.isEmpty }
}

/// The rules, bound to a configuration and a day.
public struct RiskRules: Sendable {
    public let configuration: RiskConfiguration
    /// Today in China Standard Time.
    public let today: CivilDate

    /// Rules for `today`.
    public init(configuration: RiskConfiguration, today: CivilDate) {
        self.configuration = configuration
        self.today = today
    }

    // MARK: Quarters

    /// The day `quarter`'s report is due.
    public func reportDue(_ quarter: Quarter) -> CivilDate {
        quarter.last.adding(days: configuration.reportDueDays)
    }

    /// Whether the report for `quarter` is overdue when missing.
    public func isDue(_ quarter: Quarter) -> Bool { today > reportDue(quarter) }

    /// Whether the entity owes a report for `quarter`: one of its contracts ran in it.
    public func expects(_ quarter: Quarter, contracts: [OperationContract]) -> Bool {
        contracts.contains { $0.covers(quarter) }
    }

    /// The quarter an entity is judged on now: the latest ended quarter with
    /// a report, or else the latest whose report is due; nil when it owes none.
    public func evaluatedQuarter(contracts: [OperationContract], reports: ReportsByQuarter) -> Quarter? {
        var quarter = Quarter(containing: today).previous
        for _ in 0..<3 {
            if expects(quarter, contracts: contracts), reports.contains(quarter) || isDue(quarter) { return quarter }
            quarter = quarter.previous
        }
        return nil
    }

    /// Whether the report meets its targets (a target of 0 is none).
    public static func targetsMet(_ report: QuarterReport) -> Bool {
        (report.targetOutputValueFen == 0 || report.outputValueFen >= report.targetOutputValueFen)
            && (report.targetSalesRevenueFen == 0 || report.salesRevenueFen >= report.targetSalesRevenueFen)
    }

    /// Whether `quarter` counts as missed: expected, and its report either
    /// misses the targets or is missing past its due date.
    public func missed(_ quarter: Quarter, contracts: [OperationContract], reports: ReportsByQuarter) -> Bool {
        guard expects(quarter, contracts: contracts) else { return false }
        if let report = reports[quarter] { return !RiskRules.targetsMet(report) }
        return isDue(quarter)
    }

    // MARK: The traffic light (002 Laiwu)

    /// Green when the period's targets are met; yellow when the quarter's
    /// are missed; red when missed two quarters running, or for the year
    /// (judged on the fourth quarter: the year's totals against the year's targets).
    /// Without `explain` the reasons are left out (a run scoring a healthy entity needs none).
    public func light(quarter: Quarter, contracts: [OperationContract], reports: ReportsByQuarter,
                      explain: Bool = true) -> (AlertLevel, [RiskReason]) {
        let missedNow = missed(quarter, contracts: contracts, reports: reports)
        let report = explain ? reports[quarter] : nil
        var reasons: [RiskReason] = []
        if let report, missedNow {
            if report.targetOutputValueFen > 0, report.outputValueFen < report.targetOutputValueFen {
                reasons.append(.init("output_below_target",
                    "\(quarter.chineseName)产值\(Yuan.format(report.outputValueFen))，未完成目标\(Yuan.format(report.targetOutputValueFen))",
                    "\(quarter) output \(Yuan.format(report.outputValueFen)) missed its target \(Yuan.format(report.targetOutputValueFen))"))
            }
            if report.targetSalesRevenueFen > 0, report.salesRevenueFen < report.targetSalesRevenueFen {
                reasons.append(.init("sales_below_target",
                    "\(quarter.chineseName)销售收入\(Yuan.format(report.salesRevenueFen))，未完成目标\(Yuan.format(report.targetSalesRevenueFen))",
                    "\(quarter) sales \(Yuan.format(report.salesRevenueFen)) missed the target \(Yuan.format(report.targetSalesRevenueFen))"))
            }
        } else if missedNow, explain {
            reasons.append(.init("report_missing", "\(quarter.chineseName)报表逾期未报，视为未完成目标",
                                 "the \(quarter) report is overdue and counts as a missed target"))
        }
        if missedNow, missed(quarter.previous, contracts: contracts, reports: reports) {
            if explain { reasons.append(.init("missed_two_quarters", "连续两个季度（\(quarter.previous.chineseName)、\(quarter.chineseName)）未完成目标",
                                 "targets missed two quarters running (\(quarter.previous), \(quarter))")) }
            return (.red, reasons)
        }
        if quarter.number == 4 {
            var output: Int64 = 0, targetOutput: Int64 = 0, sales: Int64 = 0, targetSales: Int64 = 0
            for number in 1...4 {
                guard let q = Quarter(year: quarter.year, number: number), let report = reports[q] else { continue }
                output = output.saturatingAdd(report.outputValueFen)
                targetOutput = targetOutput.saturatingAdd(report.targetOutputValueFen)
                sales = sales.saturatingAdd(report.salesRevenueFen)
                targetSales = targetSales.saturatingAdd(report.targetSalesRevenueFen)
            }
            if (targetOutput > 0 && output < targetOutput) || (targetSales > 0 && sales < targetSales) {
                if explain { reasons.append(.init("missed_year", "\(quarter.year)年全年目标未完成（产值\(Yuan.format(output))/目标\(Yuan.format(targetOutput))，销售收入\(Yuan.format(sales))/目标\(Yuan.format(targetSales))）",
                                     "the \(quarter.year) targets were missed for the year (output \(Yuan.format(output)) of \(Yuan.format(targetOutput)), sales \(Yuan.format(sales)) of \(Yuan.format(targetSales)))")) }
                return (.red, reasons)
            }
        }
        if missedNow { return (.yellow, reasons) }
        return (.green, explain ? [.init("targets_met", "\(quarter.chineseName)目标已完成", "the \(quarter) targets were met")] : [])
    }

    // MARK: The score (000 二(一))

    /// The score of the entity for `quarter`.
    public func score(entityId: String, quarter: Quarter, contracts: [OperationContract], reports: ReportsByQuarter,
                      explain: Bool = true) -> RiskScore {
        let (light, lightReasons) = light(quarter: quarter, contracts: contracts, reports: reports, explain: explain)
        guard let report = reports[quarter] else {
            return RiskScore(entityId: entityId, quarter: quarter, reported: false, total: 0, scoreLevel: .green, light: light,
                             parts: [], lightReasons: lightReasons)
        }
        let earlier = reports[quarter.yearEarlier] ?? reports[quarter.previous]
        let running = contracts.filter { $0.covers(quarter) }
        let parts = [
            outputBenefit(report, earlier: earlier, explain: explain),
            operatingCondition(report, explain: explain),
            salesChannels(report, explain: explain),
            povertyLinkage(report, contracts: running, explain: explain),
            supportMeasures(report, explain: explain),
        ]
        let total = parts.reduce(0) { $0 + $1.score * $1.weight } / 100
        let level: AlertLevel = total < configuration.scoreRedBelow ? .red : (total < configuration.scoreYellowBelow ? .yellow : .green)
        return RiskScore(entityId: entityId, quarter: quarter, reported: true, total: total, scoreLevel: level, light: light,
                         parts: parts, lightReasons: lightReasons)
    }

    /// x / y as a percentage, 0…100 (100 when y is 0).
    static func percent(_ x: Int64, of y: Int64) -> Int {
        guard y > 0 else { return 100 }
        guard x > 0 else { return 0 }
        if x >= y { return 100 }
        return Int((Double(x) / Double(y) * 100).rounded(.down))
    }

    func outputBenefit(_ report: QuarterReport, earlier: QuarterReport?, explain: Bool) -> RiskPartScore {
        var reasons = Reasons(explain: explain)
        var score: Int
        if report.targetOutputValueFen > 0 {
            score = RiskRules.percent(report.outputValueFen, of: report.targetOutputValueFen)
            if score < 100 {
                reasons.add(.init("output_below_target", "产值\(Yuan.format(report.outputValueFen))，为目标\(Yuan.format(report.targetOutputValueFen))的\(score)%",
                                     "output \(Yuan.format(report.outputValueFen)) is \(score)% of the target \(Yuan.format(report.targetOutputValueFen))"))
            }
        } else if report.outputValueFen > 0 {
            score = 100
        } else {
            score = 0
            reasons.add(.init("no_output", "本季度无产值", "no output this quarter"))
        }
        if let earlier, earlier.outputValueFen > 0, report.outputValueFen < earlier.outputValueFen {
            let drop = 100 - RiskRules.percent(report.outputValueFen, of: earlier.outputValueFen)
            if drop >= configuration.declinePercent {
                score = max(0, score - drop)
                reasons.add(.init("output_declined", "产值较\(earlier.quarter.chineseName)下降\(drop)%", "output fell \(drop)% against \(earlier.quarter)"))
            }
        }
        return RiskPartScore(part: .outputBenefit, score: score, weight: configuration.weight(.outputBenefit), reasons: reasons.list)
    }

    func operatingCondition(_ report: QuarterReport, explain: Bool) -> RiskPartScore {
        var reasons = Reasons(explain: explain)
        var profitPart = 100
        if report.profitFen < 0 {
            let lossShare = report.salesRevenueFen > 0 ? RiskRules.percent(-report.profitFen, of: report.salesRevenueFen) : 100
            profitPart = lossShare <= 10 ? 40 : (lossShare <= 30 ? 20 : 0)
            reasons.add(.init("loss", "本季度亏损\(Yuan.format(-report.profitFen))", "a loss of \(Yuan.format(-report.profitFen)) this quarter"))
        }
        let paymentPart = RiskRules.percent(report.paymentsPaidFen, of: report.paymentsDueFen)
        if paymentPart < 100 {
            reasons.add(.init("payments_short", "应付资产收益\(Yuan.format(report.paymentsDueFen))，实付\(Yuan.format(report.paymentsPaidFen))",
                                 "paid \(Yuan.format(report.paymentsPaidFen)) of \(Yuan.format(report.paymentsDueFen)) due to the owners"))
        }
        return RiskPartScore(part: .operatingCondition, score: (profitPart + paymentPart) / 2,
                             weight: configuration.weight(.operatingCondition), reasons: reasons.list)
    }

    func salesChannels(_ report: QuarterReport, explain: Bool) -> RiskPartScore {
        var reasons = Reasons(explain: explain)
        let channels = RiskRules.distinctCount(report.salesChannels)
        let channelPart = channels == 0 ? 0 : (channels == 1 ? 60 : (channels == 2 ? 80 : 100))
        if channels < 2 {
            reasons.add(.init("few_channels", channels == 0 ? "无销售渠道" : "销售渠道单一（\(report.salesChannels[0])）",
                                 channels == 0 ? "no sales channel" : "a single sales channel (\(report.salesChannels[0]))"))
        }
        var salesPart = report.salesRevenueFen > 0 ? 100 : 0
        if report.targetSalesRevenueFen > 0 {
            salesPart = RiskRules.percent(report.salesRevenueFen, of: report.targetSalesRevenueFen)
            if salesPart < 100 {
                reasons.add(.init("sales_below_target", "销售收入为目标的\(salesPart)%", "sales are \(salesPart)% of the target"))
            }
        } else if salesPart == 0 {
            reasons.add(.init("no_sales", "本季度无销售收入", "no sales this quarter"))
        }
        return RiskPartScore(part: .salesChannels, score: (channelPart + salesPart) / 2, weight: configuration.weight(.salesChannels), reasons: reasons.list)
    }

    func povertyLinkage(_ report: QuarterReport, contracts: [OperationContract], explain: Bool) -> RiskPartScore {
        var reasons = Reasons(explain: explain)
        let labourers = contracts.reduce(0) { $0 + $1.committedPoorLabourers }
        let households = contracts.reduce(0) { $0 + $1.committedHouseholds }
        var parts: [Int] = []
        if labourers > 0 {
            let part = RiskRules.percent(Int64(report.poorLabourersEmployed), of: Int64(labourers))
            parts.append(part)
            if part < 100 {
                reasons.add(.init("labourers_below_commitment", "吸纳脱贫劳动力\(report.poorLabourersEmployed)人，承诺\(labourers)人",
                                     "\(report.poorLabourersEmployed) poor labourers employed of \(labourers) committed"))
            }
        }
        if households > 0 {
            let part = RiskRules.percent(Int64(report.householdsLinked), of: Int64(households))
            parts.append(part)
            if part < 100 {
                reasons.add(.init("households_below_commitment", "联农带农\(report.householdsLinked)户，承诺\(households)户",
                                     "\(report.householdsLinked) households linked of \(households) committed"))
            }
        }
        let score = parts.isEmpty ? 100 : parts.reduce(0, +) / parts.count
        if parts.isEmpty {
            reasons.add(.init("no_commitment", "合同未约定带贫指标", "the contracts set no poverty-linkage commitment"))
        }
        return RiskPartScore(part: .povertyLinkage, score: score, weight: configuration.weight(.povertyLinkage), reasons: reasons.list)
    }

    func supportMeasures(_ report: QuarterReport, explain: Bool) -> RiskPartScore {
        var measures = RiskRules.distinctCount(report.supportMeasures)
        if report.dividendsPaidFen > 0 { measures += 1 }
        let score = measures == 0 ? 0 : (measures == 1 ? 60 : (measures == 2 ? 80 : 100))
        let reasons: [RiskReason] = !explain ? [] : measures == 0
            ? [.init("no_support_measures", "本季度未开展帮扶措施（培训、技术指导、分红等）", "no support measures this quarter (training, guidance, dividends…)")]
            : (measures < 3 ? [.init("few_support_measures", "帮扶措施\(measures)项", "\(measures) support measure(s)")] : [])
        return RiskPartScore(part: .supportMeasures, score: score, weight: configuration.weight(.supportMeasures), reasons: reasons)
    }

    /// Distinct items of a short list (at most 50), without hashing.
    static func distinctCount(_ items: [String]) -> Int {
        var count = 0
        for (index, item) in items.enumerated() where !items[..<index].contains(item) { count += 1 }
        return count
    }

    /// Reasons gathered only when asked for: the text is built only then.
    struct Reasons {
        let explain: Bool
        var list: [RiskReason] = []

        init(explain: Bool) { self.explain = explain }

        mutating func add(_ reason: @autoclosure () -> RiskReason) {
            if explain { list.append(reason()) }
        }
    }

    // MARK: Conditions

    /// When `asset` has gone uncounted for more than a year — no closed
    /// stock-take found it since it was last counted (or registered), 004 §23:
    /// 每年至少清查一次 — the day counting runs from and whether it is more
    /// than two years; nil when it is not overdue.
    public func countOverdue(asset: Asset, lastCounted: CivilDate?) -> (since: CivilDate, twoYears: Bool)? {
        countOverdue(asset: AssetFacts(asset), lastCounted: lastCounted)
    }

    /// The same from an asset's facts (a scan that does not read its record).
    public func countOverdue(asset: AssetFacts, lastCounted: CivilDate?) -> (since: CivilDate, twoYears: Bool)? {
        guard asset.stage != .disposed else { return nil }
        let registered = CivilDate(String(asset.createdAt.prefix(10))) ?? asset.acquiredDate
        let since = lastCounted ?? registered
        guard StockTakeRules.countOverdue(lastCounted: lastCounted, registered: registered, today: today) else { return nil }
        let yearOn = CivilDate(year: since.year + 1, month: since.month, day: min(since.day, CivilDate.daysIn(month: since.month, year: since.year + 1))) ?? since
        return (since, StockTakeRules.countOverdue(lastCounted: yearOn, registered: yearOn, today: today))
    }

    /// When `asset` has gone without an upkeep record for more than the
    /// configured days (from its registration when it has none): the day
    /// it runs from and whether twice that; nil when not overdue, disposed
    /// of, or still under construction.
    public func upkeepOverdue(asset: AssetFacts, lastUpkept: CivilDate?) -> (since: CivilDate, twoYears: Bool)? {
        guard asset.stage != .disposed, asset.usageStatus != .underConstruction else { return nil }
        let registered = CivilDate(String(asset.createdAt.prefix(10))) ?? asset.acquiredDate
        guard let (since, twice) = UpkeepRules.overdue(lastUpkept: lastUpkept, since: registered, days: configuration.upkeepOverdueDays, today: today) else {
            return nil
        }
        return (since, twice)
    }

    /// The upkeep_overdue conditions, one per admin unit with assets
    /// without an upkeep record for more than the configured days (yellow;
    /// red when any for more than twice that), naming the first few.
    public func upkeepConditions(_ backlog: [String: CountBacklog], unitName: (String) -> String) -> [AlertCondition] {
        let days = configuration.upkeepOverdueDays
        return backlog.sorted { $0.key < $1.key }.map { code, tally in
            AlertCondition(kind: .upkeepOverdue, subjectId: code, subjectName: unitName(code), adminCode: code,
                           level: tally.overTwoYears > 0 ? .red : .yellow, quarter: "", reasons: [.init("upkeep_overdue",
                "\(tally.assets)项资产超过\(days)天无管护记录\(tally.overTwoYears > 0 ? "（其中\(tally.overTwoYears)项超过\(2 * days)天）" : "")，最早自\(tally.oldest)起，如\(tally.examples.joined(separator: "、"))",
                "\(tally.assets) asset(s) without an upkeep record for more than \(days) days\(tally.overTwoYears > 0 ? " (\(tally.overTwoYears) for more than \(2 * days))" : ""), the oldest since \(tally.oldest), e.g. \(tally.examples.joined(separator: ", "))")])
        }
    }

    /// The count_overdue conditions, one per admin unit with assets
    /// uncounted for more than a year (yellow; red when any for more than
    /// two): a county learns which villages to count, not a flood of one
    /// alert per asset.
    public func countConditions(_ backlog: [String: CountBacklog], unitName: (String) -> String) -> [AlertCondition] {
        backlog.sorted { $0.key < $1.key }.map { code, tally in
            let examples = tally.examples.joined(separator: "、")
            return AlertCondition(kind: .countOverdue, subjectId: code, subjectName: unitName(code), adminCode: code,
                                  level: tally.overTwoYears > 0 ? .red : .yellow, quarter: "", reasons: [.init("count_overdue",
                "\(tally.assets)项资产超过一年未清查盘点\(tally.overTwoYears > 0 ? "（其中\(tally.overTwoYears)项超过两年）" : "")，最早自\(tally.oldest)起，如\(examples)",
                "\(tally.assets) asset(s) not counted for more than a year\(tally.overTwoYears > 0 ? " (\(tally.overTwoYears) for more than two)" : ""), the oldest since \(tally.oldest), e.g. \(tally.examples.joined(separator: ", "))")])
        }
    }

    /// The distribution_overdue conditions: each plan not carried out past
    /// its deadline (red), and each unit with income no plan distributes
    /// past the deadline of its oldest receipt (yellow; red a further three
    /// months on). `plans`: the plans not carried out (others are passed
    /// over); `undistributed`: the income no plan distributes. `unitName`
    /// names an admin unit.
    public func distributionConditions(plans: [DistributionPlan], undistributed: [IncomeRecord], unitName: (String) -> String) -> [AlertCondition] {
        var out: [AlertCondition] = []
        for plan in plans.sorted(by: { $0.id < $1.id }) where plan.stage != .carriedOut && today > plan.deadline {
            let days = today.daysSinceEpoch - plan.deadline.daysSinceEpoch
            let title = plan.title.isEmpty ? plan.id : plan.title
            out.append(AlertCondition(kind: .distributionOverdue, subjectId: plan.id, subjectName: title, adminCode: plan.ownerCode,
                                      level: .red, quarter: "", reasons: [.init("plan_overdue",
                "收益分配方案应于\(plan.deadline)前落实（收益到账后3个月内），现处于\(plan.stage.chineseName)阶段，已逾期\(days)天",
                "the plan was due to be carried out by \(plan.deadline) (3 months after the income arrived, 004 §31); it is \(plan.stage.rawValue), \(days) days late")]))
        }
        var waiting: [String: (oldest: CivilDate, fen: Int64, count: Int)] = [:]
        for income in undistributed {
            let deadline = DistributionRules.deadline(incomeReceived: income.receipt.receivedOn)
            guard today > deadline else { continue }
            var entry = waiting[income.ownerCode] ?? (income.receipt.receivedOn, 0, 0)
            entry.oldest = min(entry.oldest, income.receipt.receivedOn)
            entry.fen = entry.fen.saturatingAdd(income.receipt.amountFen)
            entry.count += 1
            waiting[income.ownerCode] = entry
        }
        for (code, entry) in waiting.sorted(by: { $0.key < $1.key }) {
            let deadline = DistributionRules.deadline(incomeReceived: entry.oldest)
            let days = today.daysSinceEpoch - deadline.daysSinceEpoch
            out.append(AlertCondition(kind: .distributionOverdue, subjectId: code, subjectName: unitName(code), adminCode: code,
                                      level: days > 90 ? .red : .yellow, quarter: "", reasons: [.init("income_undistributed",
                "\(entry.count)笔收益共\(Yuan.format(entry.fen))到账超过3个月仍未制定分配方案，最早一笔于\(entry.oldest)到账",
                "\(entry.count) receipt(s) of \(Yuan.format(entry.fen)) have waited more than 3 months for a distribution plan; the oldest arrived on \(entry.oldest)")]))
        }
        return out
    }

    /// The payment_disputed conditions: each plan with a household whose
    /// latest visit about it (巡问查比) disputes the payment or found the
    /// signature not matching; cleared by a later visit that confirms both.
    public func visitConditions(_ visits: [HouseholdVisit], plans: [String: DistributionPlan]) -> [AlertCondition] {
        var latest: [String: HouseholdVisit] = [:]
        for visit in visits {
            let key = visit.planId + "/" + visit.householdId
            if let seen = latest[key], (seen.date, seen.id) > (visit.date, visit.id) { continue }
            latest[key] = visit
        }
        var byPlan: [String: [HouseholdVisit]] = [:]
        for visit in latest.values where visit.disputed { byPlan[visit.planId, default: []].append(visit) }
        return byPlan.sorted { $0.key < $1.key }.compactMap { planId, disputed in
            guard let plan = plans[planId] else { return nil }
            let reasons = disputed.sorted { $0.householdId < $1.householdId }.map { visit in
                RiskReason("payment_disputed",
                    "\(visit.date)巡查（\(visit.inspector)）：\(visit.householdId)\(visit.headName)\(visit.paymentConfirmed ? "" : "反映未足额收到分配收益")\(visit.paymentConfirmed || visit.signaturesMatch ? "" : "，")\(visit.signaturesMatch ? "" : "签字或手印与签领表不符")",
                    "visit of \(visit.date) (\(visit.inspector)): \(visit.householdId) \(visit.headName)\(visit.paymentConfirmed ? "" : " says the payment did not reach it in full")\(visit.paymentConfirmed || visit.signaturesMatch ? "" : ";")\(visit.signaturesMatch ? "" : " the signature or thumbprint does not match the payment sheet")")
            }
            return AlertCondition(kind: .paymentDisputed, subjectId: plan.id, subjectName: plan.title.isEmpty ? plan.id : plan.title, adminCode: plan.ownerCode,
                                  level: .red, quarter: "", reasons: reasons)
        }
    }

    /// What should be alerted on for one entity now.
    /// `received`: the income the owners recorded under each contract (by
    /// contract id), when they record it (`RecordIncome`).
    public func conditions(entity: OperatingEntity, contracts: [OperationContract], reports: ReportsByQuarter,
                           received: [String: [IncomeReceipt]] = [:]) -> [AlertCondition] {
        var out: [AlertCondition] = []
        func condition(_ kind: AlertKind, _ level: AlertLevel, quarter: Quarter?, score: Int = -1, parts: [RiskPartScore] = [],
                       reasons: [RiskReason]) {
            out.append(AlertCondition(kind: kind, subjectId: entity.id, subjectName: entity.name, adminCode: entity.adminCode, level: level,
                                      score: score, quarter: quarter?.description ?? "", parts: parts, reasons: reasons))
        }
        guard let quarter = evaluatedQuarter(contracts: contracts, reports: reports) else {
            if let overdue = paymentOverdue(contracts: contracts, reports: reports, received: received) {
                condition(.paymentOverdue, overdue.0, quarter: nil, reasons: overdue.1)
            }
            return out
        }
        // Scored first without reasons; explained only when something is to be alerted.
        var score = score(entityId: entity.id, quarter: quarter, contracts: contracts, reports: reports, explain: false)
        if score.light != .green || (score.reported && score.scoreLevel != .green) {
            score = self.score(entityId: entity.id, quarter: quarter, contracts: contracts, reports: reports)
        }
        if score.light != .green {
            condition(.entityTargets, score.light, quarter: quarter, score: score.reported ? score.total : -1, parts: score.parts,
                      reasons: score.lightReasons)
        }
        // The score stands on the latest report: a report now overdue does not
        // clear the score of the one before (the missing report alerts apart).
        var scored = score
        if !score.reported, expects(quarter.previous, contracts: contracts), reports.contains(quarter.previous) {
            scored = self.score(entityId: entity.id, quarter: quarter.previous, contracts: contracts, reports: reports, explain: false)
            if scored.scoreLevel != .green {
                scored = self.score(entityId: entity.id, quarter: quarter.previous, contracts: contracts, reports: reports)
            }
        }
        if scored.reported, scored.scoreLevel != .green {
            let score = scored
            let weak = score.parts.filter { $0.score < 100 }.flatMap(\.reasons)
            condition(.entityScore, score.scoreLevel, quarter: score.quarter, score: score.total, parts: score.parts,
                      reasons: [.init("score_low", "风险评分\(score.total)分（低于\(score.scoreLevel == .red ? configuration.scoreRedBelow : configuration.scoreYellowBelow)分）",
                                      "risk score \(score.total) (below \(score.scoreLevel == .red ? configuration.scoreRedBelow : configuration.scoreYellowBelow))")] + weak)
        }
        // Consecutive quarters without a report, newest first.
        var missing: [Quarter] = []
        var probe = quarter
        while missing.count < 8, expects(probe, contracts: contracts), !reports.contains(probe), isDue(probe) {
            missing.append(probe)
            probe = probe.previous
        }
        if let newest = missing.first {
            let names = missing.reversed().map(\.chineseName).joined(separator: "、")
            condition(.reportMissing, missing.count >= 2 ? .red : .yellow, quarter: newest,
                      reasons: [.init("report_missing", "\(names)经营报表逾期未报（应于\(reportDue(newest))前报送）",
                                      "no report for \(missing.reversed().map(\.description).joined(separator: ", ")) (due by \(reportDue(newest)))")])
        }
        if let overdue = paymentOverdue(contracts: contracts, reports: reports, received: received) {
            condition(.paymentOverdue, overdue.0, quarter: quarter, reasons: overdue.1)
        }
        return out
    }

    /// Payments scheduled by the entity's contracts against what was paid,
    /// oldest due first; the level from how long the oldest unpaid payment
    /// is overdue. What was paid is the income the owners recorded under the
    /// contracts (`received`, the village account's word) once they record
    /// any; until then what the operator's reports say it paid.
    public func paymentOverdue(contracts: [OperationContract], reports: ReportsByQuarter,
                               received: [String: [IncomeReceipt]] = [:]) -> (AlertLevel, [RiskReason])? {
        let cutoff = today.adding(days: -configuration.paymentGraceDays)
        // The present operator answers for payments due since it took over.
        let scheduled = contracts.flatMap { contract in contract.payments.filter { $0.dueDate >= contract.operatorStart } }
            .filter { $0.dueDate <= cutoff }.sorted { $0.dueDate < $1.dueDate }
        guard !scheduled.isEmpty, let firstStart = contracts.map(\.operatorStart).min() else { return nil }
        let recorded = contracts.flatMap { contract in (received[contract.id] ?? []).filter { $0.receivedOn >= contract.operatorStart && $0.receivedOn <= today } }
        var paid = contracts.contains(where: { received[$0.id] != nil })
            ? recorded.reduce(Int64(0)) { $0.saturatingAdd(max(0, $1.amountFen)) }
            : reports.values.filter { $0.quarter.last >= firstStart }.reduce(Int64(0)) { $0.saturatingAdd($1.paymentsPaidFen) }
        var owed: Int64 = 0
        var oldest: PaymentDue?
        for payment in scheduled {
            let covered = min(paid, payment.amountFen)
            paid -= covered
            if covered < payment.amountFen {
                // Saturating: amounts are bounded, their sum over many contracts is not.
                owed = owed.saturatingAdd(payment.amountFen - covered)
                if oldest == nil { oldest = payment }
            }
        }
        guard let oldest else { return nil }
        let days = today.daysSinceEpoch - oldest.dueDate.daysSinceEpoch
        let level: AlertLevel = days > configuration.paymentGraceDays + configuration.paymentRedDays ? .red : .yellow
        return (level, [.init("payment_overdue", "拖欠资产收益\(Yuan.format(owed))，最早一笔\(oldest.kind.chineseName)应于\(oldest.dueDate)支付，已逾期\(days)天",
                              "\(Yuan.format(owed)) owed to the asset owners; the oldest unpaid \(oldest.kind.rawValue) was due \(oldest.dueDate), \(days) days ago")])
    }

    /// Whether the rules need an asset's record, not only its facts
    /// (`recordConditions`): it is idle, a notice of it is up (only under
    /// publication or handover publication), or its handover is due
    /// (published). A scan decodes the records of these alone.
    public static func needsRecord(_ asset: AssetFacts) -> Bool {
        asset.stage != .disposed && (asset.usageStatus == .idle || asset.stage == .underPublication || asset.stage == .published
            || asset.stage == .handoverPublication)
    }

    /// Whether `conditions(asset:…)` can find anything for an asset with
    /// these facts: its record is needed, or it is operated under a contract
    /// (`operationConditions`, from the facts).
    public static func mayFlag(_ asset: AssetFacts, contracted: Bool) -> Bool {
        asset.stage != .disposed && (contracted || needsRecord(asset))
    }

    /// What should be alerted on for one asset now; `contracts` are the asset's,
    /// `operators` gives each contract's entity and its reports.
    /// A revitalising plan in effect (`revitalising`) stops the idle and
    /// loss alerts: the owner has acted on them.
    public func conditions(asset: Asset, contracts: [OperationContract], revitalising: RevitalisingPlan? = nil,
                           operators: @escaping (String) -> (OperatingEntity, ReportsByQuarter)?) -> [AlertCondition] {
        conditions(asset: asset, contracts: contracts, revitalising: revitalising, operatorView: operatorViews(operators))
    }

    /// What should be alerted on for one asset now, with what the rules
    /// read of each contract's operator given by `operatorView`.
    public func conditions(asset: Asset, contracts: [OperationContract], revitalising: RevitalisingPlan? = nil,
                           operatorView: (OperationContract) -> OperatorView?) -> [AlertCondition] {
        guard asset.lifecycle.stage != .disposed else { return [] }
        return recordConditions(asset: asset, revitalising: revitalising)
            + operationConditions(asset: AssetFacts(asset), contracts: contracts, revitalising: revitalising, operatorView: operatorView)
    }

    /// The operator views of contracts whose entities and reports `operators` gives.
    func operatorViews(_ operators: @escaping (String) -> (OperatingEntity, ReportsByQuarter)?) -> (OperationContract) -> OperatorView? {
        { contract in operators(contract.entityId).flatMap { operatorView(contract: contract, entity: $0.0, reports: $0.1) } }
    }

    /// What the asset rules read of an operator's reports under `contract`:
    /// the latest report of a quarter the contract covers (one now overdue
    /// does not hide what the one before showed), and the report a year or
    /// a quarter before it; nil when there is none to judge.
    public func operatorView(contract: OperationContract, entity: OperatingEntity, reports: ReportsByQuarter) -> OperatorView? {
        guard let judged = evaluatedQuarter(contracts: [contract], reports: reports),
              let quarter = reports.contains(judged) ? judged
                : (contract.covers(judged.previous) && reports.contains(judged.previous) ? judged.previous : nil),
              let report = reports[quarter] else { return nil }
        let earlier = reports[quarter.yearEarlier] ?? reports[quarter.previous]
        return OperatorView(entityName: entity.name, quarter: quarter, profitFen: report.profitFen, outputValueFen: report.outputValueFen,
                            previousLoss: contract.covers(quarter.previous) && (reports[quarter.previous]?.profitFen ?? 0) < 0,
                            earlierQuarter: earlier?.quarter, earlierOutputValueFen: earlier?.outputValueFen ?? 0)
    }

    /// The conditions only the record tells: idle, a notice up too long, a
    /// handover overdue (none unless `RiskRules.needsRecord`).
    func recordConditions(asset: Asset, revitalising: RevitalisingPlan?) -> [AlertCondition] {
        var out: [AlertCondition] = []
        func condition(_ kind: AlertKind, _ level: AlertLevel, subjectId: String? = nil, subjectName: String? = nil,
                       quarter: Quarter? = nil, reasons: [RiskReason]) {
            out.append(AlertCondition(kind: kind, subjectId: subjectId ?? asset.id, subjectName: subjectName ?? asset.name,
                                      adminCode: asset.adminCode, level: level, quarter: quarter?.description ?? "", reasons: reasons))
        }
        let life = asset.lifecycle
        // Idle since the record last changed (when the status was set).
        if asset.usageStatus == .idle, revitalising == nil {
            let since = CivilDate(String(asset.updatedAt.prefix(10))) ?? asset.acquiredDate
            let days = today.daysSinceEpoch - max(since, asset.acquiredDate).daysSinceEpoch
            if days >= configuration.idleDays {
                condition(.assetIdle, days >= 2 * configuration.idleDays ? .red : .yellow,
                          reasons: [.init("idle", "资产自\(since)起闲置\(days)天，请制定盘活方案", "idle for \(days) days since \(since); make a plan to put it back to use")])
            }
        }
        if let notice = life.openPublication, today > notice.earliestClose {
            let days = today.daysSinceEpoch - notice.earliestClose.daysSinceEpoch
            if days > configuration.publicationGraceDays {
                let name = notice.kind == .ownership ? "确权公示" : "移交公示"
                condition(.publicationOverdue, days > configuration.publicationRedDays ? .red : .yellow,
                          reasons: [.init("publication_not_closed", "\(name)最早可于\(notice.earliestClose)结束，已超过\(days)天仍未结束",
                                          "the \(notice.kind.rawValue) notice could close on \(notice.earliestClose) and is still up \(days) days later")])
            }
        }
        if life.stage == .published || life.stage == .handoverPublication, let due = life.handoverDue, today > due, life.handover == nil {
            condition(.handoverOverdue, life.handoverDueProvisional ? .yellow : .red,
                      reasons: [.init("handover_overdue", "应于\(due)前完成移交（公示结束后30个工作日内），已逾期\(today.daysSinceEpoch - due.daysSinceEpoch)天",
                                      "the handover was due by \(due) (30 working days after the notice, 004 §15), \(today.daysSinceEpoch - due.daysSinceEpoch) days ago")])
        }
        return out
    }

    /// The conditions of an asset's operation, from its facts: the loss and
    /// decline its operator reports, its contracts' expiry. All an asset
    /// has when `RiskRules.needsRecord` is false.
    public func operationConditions(asset: AssetFacts, contracts: [OperationContract], revitalising: RevitalisingPlan? = nil,
                                    operators: @escaping (String) -> (OperatingEntity, ReportsByQuarter)?) -> [AlertCondition] {
        operationConditions(asset: asset, contracts: contracts, revitalising: revitalising, operatorView: operatorViews(operators))
    }

    /// The conditions of an asset's operation, with what the rules read of
    /// each contract's operator given by `operatorView`.
    public func operationConditions(asset: AssetFacts, contracts: [OperationContract], revitalising: RevitalisingPlan? = nil,
                                    operatorView: (OperationContract) -> OperatorView?) -> [AlertCondition] {
        guard asset.stage != .disposed else { return [] }
        var out: [AlertCondition] = []
        func condition(_ kind: AlertKind, _ level: AlertLevel, subjectId: String? = nil, subjectName: String? = nil,
                       quarter: Quarter? = nil, reasons: [RiskReason]) {
            out.append(AlertCondition(kind: kind, subjectId: subjectId ?? asset.id, subjectName: subjectName ?? asset.name,
                                      adminCode: asset.adminCode, level: level, quarter: quarter?.description ?? "", reasons: reasons))
        }
        // The contract running now (or the latest one) tells who operates it.
        let ordered = contracts.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        let running = ordered.last { $0.isRunning(on: today) }
        if let contract = running ?? ordered.last, let view = operatorView(contract) {
            let quarter = view.quarter
            if view.profitFen < 0, revitalising == nil {
                let previousLoss = view.previousLoss
                condition(.assetLoss, previousLoss ? .red : .yellow, quarter: quarter,
                          reasons: [.init("loss", "经营主体\(view.entityName)\(quarter.chineseName)亏损\(Yuan.format(-view.profitFen))\(previousLoss ? "，连续两个季度亏损" : "")",
                                          "the operator \(view.entityName) lost \(Yuan.format(-view.profitFen)) in \(quarter)\(previousLoss ? ", two quarters running" : "")")])
            }
            if let earlierQuarter = view.earlierQuarter, view.earlierOutputValueFen > 0 {
                let drop = 100 - RiskRules.percent(view.outputValueFen, of: view.earlierOutputValueFen)
                if drop >= configuration.declinePercent {
                    condition(.assetDecline, drop >= min(100, 2 * configuration.declinePercent) ? .red : .yellow, quarter: quarter,
                              reasons: [.init("output_declined", "产值由\(earlierQuarter.chineseName)的\(Yuan.format(view.earlierOutputValueFen))降至\(Yuan.format(view.outputValueFen))，下降\(drop)%",
                                              "output fell \(drop)% from \(Yuan.format(view.earlierOutputValueFen)) in \(earlierQuarter) to \(Yuan.format(view.outputValueFen))")])
                }
            }
        }
        for contract in contracts where contract.terminatedOn == nil {
            let replaced = contracts.contains { $0.id != contract.id && $0.start > contract.start }
            guard !replaced else { continue }
            let daysLeft = contract.end.daysSinceEpoch - today.daysSinceEpoch
            let name = asset.name
            if daysLeft < 0 {
                condition(.contractExpiring, .red, subjectId: contract.id, subjectName: name,
                          reasons: [.init("contract_expired", "经营合同已于\(contract.end)到期，请及时续签或收回资产", "the contract ended on \(contract.end); renew it or recover the asset (001 (八))")])
            } else if daysLeft <= configuration.contractExpiryHorizonDays {
                condition(.contractExpiring, .yellow, subjectId: contract.id, subjectName: name,
                          reasons: [.init("contract_expiring", "经营合同将于\(contract.end)到期（剩余\(daysLeft)天），请提前办理续签或收回", "the contract ends on \(contract.end), in \(daysLeft) days; prepare to renew it or recover the asset")])
            }
        }
        return out
    }
}

/// What an asset's operation rules read of its operator under one contract
/// (`RiskRules.operatorView`): a full run keeps one per contract while it
/// scores the entities, so the assets are scored without reading the
/// reports again.
public struct OperatorView: Sendable, Equatable {
    public var entityName: String
    /// The quarter judged, and its report's figures.
    public var quarter: Quarter
    public var profitFen: Int64
    public var outputValueFen: Int64
    /// The quarter before was covered by the contract and reported a loss.
    public var previousLoss: Bool
    /// The report compared with: a year before, else a quarter before.
    public var earlierQuarter: Quarter?
    public var earlierOutputValueFen: Int64
}
