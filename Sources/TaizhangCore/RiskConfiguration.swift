// The risk monitor's settings: its schedule, the weights of the five parts
// of an entity's score, and the thresholds of every alert. Read from the
// "risk" section of a JSON file; every key has a documented default
// (docs/risk.md).

/// The five parts of an entity's score (000 二(一)).
public enum RiskPart: String, Sendable, CaseIterable, Codable {
    case outputBenefit = "output_benefit"
    case operatingCondition = "operating_condition"
    case salesChannels = "sales_channels"
    case povertyLinkage = "poverty_linkage"
    case supportMeasures = "support_measures"

    public var chineseName: String {
        switch self {
        case .outputBenefit: return "产出效益"
        case .operatingCondition: return "经营状况"
        case .salesChannels: return "销售渠道"
        case .povertyLinkage: return "带贫能力"
        case .supportMeasures: return "帮扶措施"
        }
    }
}

/// The monitor's settings.
public struct RiskConfiguration: Sendable, Hashable {
    /// Off: no runs, no alerts (ListAlerts still shows the stored ones).
    public var enabled = true
    /// Seconds between scheduled runs.
    public var intervalSeconds = 300
    /// Milliseconds a run waits after a mutation that affects a score, so a
    /// burst of reports makes one run.
    public var debounceMillis = 20
    /// Weights of the parts, summing to 100.
    public var weights: [RiskPart: Int] = [.outputBenefit: 30, .operatingCondition: 25, .salesChannels: 15,
                                           .povertyLinkage: 20, .supportMeasures: 10]
    /// A score below this is yellow; below `scoreRedBelow` red.
    public var scoreYellowBelow = 60
    public var scoreRedBelow = 40
    /// Days after a quarter ends that its report is due (003: quarterly statistics).
    public var reportDueDays = 15
    /// Days a contract may be from its end before it is flagged (001 (八): renew or recover).
    public var contractExpiryHorizonDays = 90
    /// Days an idle asset may stay idle before it is yellow; twice that, red (003 三(三)).
    public var idleDays = 180
    /// Output falling by this percentage or more against the same quarter a
    /// year earlier (or the quarter before) is a decline; twice it, red.
    public var declinePercent = 20
    /// Days a scheduled payment may stay unpaid before it is overdue (yellow);
    /// `paymentRedDays` more, red.
    public var paymentGraceDays = 30
    public var paymentRedDays = 90
    /// Days past a notice's earliest close before it is flagged as not closed;
    /// `publicationRedDays`, red.
    public var publicationGraceDays = 10
    public var publicationRedDays = 30
    /// Working days an alert may wait for acknowledgement (签收) before the
    /// daemon escalates it to the unit above (issue 20): by level.
    public var acknowledgeWorkingDaysYellow = 3
    public var acknowledgeWorkingDaysRed = 1
    /// Days after a quarter's last day on which the units' lights for it
    /// are judged (issue 21), leaving time to record what was done in it.
    public var unitLightJudgedDays = 10
    /// The difference between a completed project's spending and its
    /// assets' original value that is still taken as agreeing (账账相符), fen.
    public var booksToleranceFen = 100
    /// Days the alert events are kept for WatchAlerts to resume from
    /// (issue 22); older ones are deleted by the full runs.
    public var alertEventRetentionDays = 90
    /// Days an asset may go without an upkeep record 管护记录 before its unit
    /// is flagged (issue 23): yellow; twice that, red.
    public var upkeepOverdueDays = 365

    /// The working days an alert of `level` may wait for acknowledgement.
    public func acknowledgeWorkingDays(_ level: AlertLevel) -> Int {
        level == .red ? acknowledgeWorkingDaysRed : acknowledgeWorkingDaysYellow
    }

    /// The defaults.
    public init() {}

    /// The keys of the "risk" section, with their meaning; the documentation
    /// and `taizhangd --help` quote them.
    public static let keys: [String] = [
        "enabled", "interval_seconds", "debounce_millis", "weights", "score_yellow_below", "score_red_below",
        "report_due_days", "contract_expiry_horizon_days", "idle_days", "decline_percent", "payment_grace_days",
        "payment_red_days", "publication_grace_days", "publication_red_days",
        "acknowledge_working_days_yellow", "acknowledge_working_days_red", "unit_light_judged_days", "books_tolerance_fen",
        "alert_event_retention_days", "upkeep_overdue_days",
    ]

    /// Reads a configuration file: `{"risk": {"interval_seconds": 60,
    /// "weights": {"output_benefit": 40, …}}}` (or the section's object
    /// alone). Keys left out keep their defaults; an unknown key or a bad
    /// value is an error that names it.
    public init(json text: String) throws {
        self.init()
        let root = try JSONParser.parse(text)
        let section = root["risk"] ?? root
        guard case .object(let members) = section else { throw RecordJSONError(description: "risk configuration: not a JSON object") }
        let known = Set(RiskConfiguration.keys)
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw RecordJSONError(description: "risk configuration: unknown key \"\(unknown.key)\" (known: \(RiskConfiguration.keys.joined(separator: ", ")))")
        }
        if let value = section["enabled"] {
            guard case .bool(let flag) = value else { throw RecordJSONError(description: "risk configuration: \"enabled\" must be true or false") }
            enabled = flag
        }
        func integer(_ key: String, _ range: ClosedRange<Int>, _ path: WritableKeyPath<RiskConfiguration, Int>) throws {
            guard let value = section[key] else { return }
            guard let number = value.int64, range.contains(Int(clamping: number)), Int64(Int(clamping: number)) == number else {
                throw RecordJSONError(description: "risk configuration: \"\(key)\" must be an integer \(range.lowerBound)…\(range.upperBound)")
            }
            self[keyPath: path] = Int(number)
        }
        try integer("interval_seconds", 1...86_400, \.intervalSeconds)
        try integer("debounce_millis", 0...60_000, \.debounceMillis)
        try integer("score_yellow_below", 0...100, \.scoreYellowBelow)
        try integer("score_red_below", 0...100, \.scoreRedBelow)
        try integer("report_due_days", 0...92, \.reportDueDays)
        try integer("contract_expiry_horizon_days", 0...3650, \.contractExpiryHorizonDays)
        try integer("idle_days", 1...3650, \.idleDays)
        try integer("decline_percent", 1...100, \.declinePercent)
        try integer("payment_grace_days", 0...3650, \.paymentGraceDays)
        try integer("payment_red_days", 1...3650, \.paymentRedDays)
        try integer("publication_grace_days", 0...3650, \.publicationGraceDays)
        try integer("publication_red_days", 1...3650, \.publicationRedDays)
        try integer("acknowledge_working_days_yellow", 1...60, \.acknowledgeWorkingDaysYellow)
        try integer("acknowledge_working_days_red", 1...60, \.acknowledgeWorkingDaysRed)
        try integer("unit_light_judged_days", 1...60, \.unitLightJudgedDays)
        try integer("books_tolerance_fen", 0...100_000_000_000, \.booksToleranceFen)
        try integer("alert_event_retention_days", 1...3650, \.alertEventRetentionDays)
        try integer("upkeep_overdue_days", 1...3650, \.upkeepOverdueDays)
        if scoreRedBelow > scoreYellowBelow {
            throw RecordJSONError(description: "risk configuration: score_red_below (\(scoreRedBelow)) must not exceed score_yellow_below (\(scoreYellowBelow))")
        }
        if let value = section["weights"] {
            guard case .object(let items) = value else { throw RecordJSONError(description: "risk configuration: \"weights\" must be an object of the five parts") }
            var weights: [RiskPart: Int] = [:]
            for item in items {
                guard let part = RiskPart(rawValue: item.key) else {
                    throw RecordJSONError(description: "risk configuration: unknown weight \"\(item.key)\" (parts: \(RiskPart.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard let number = item.value.int64, (0...100).contains(number) else {
                    throw RecordJSONError(description: "risk configuration: weight \"\(item.key)\" must be an integer 0…100")
                }
                weights[part] = Int(number)
            }
            if let missing = RiskPart.allCases.first(where: { weights[$0] == nil }) {
                throw RecordJSONError(description: "risk configuration: weights must name all five parts; \"\(missing.rawValue)\" is missing")
            }
            let sum = weights.values.reduce(0, +)
            if sum != 100 {
                throw RecordJSONError(description: "risk configuration: the weights must add up to 100; they add up to \(sum)")
            }
            self.weights = weights
        }
    }

    /// The weight of `part`.
    public func weight(_ part: RiskPart) -> Int { weights[part] ?? 0 }
}
