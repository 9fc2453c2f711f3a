// The risk rules with hand-worked cases: the Laiwu traffic light (002),
// the five-part score (000 二(一)), missing reports, overdue payments,
// asset and contract conditions, and the alert life cycle.

import Testing
@testable import TaizhangCore

struct RiskRulesTests {
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }
    static func quarter(_ text: String) -> Quarter { Quarter(text)! }
    static let today = date("2026-11-22")
    static let rules = RiskRules(configuration: RiskConfiguration(), today: today)
    static let entity = OperatingEntity(id: "ZT00000001", name: "新湖蔬菜专业合作社", kind: .cooperative, adminCode: "421024100201",
                                        creditCode: "91350100M000100Y43")
    /// Runs all of 2025 and 2026; commits 10 labourers and 20 households.
    static let contract = OperationContract(id: "HT00000001", assetId: "ZC00000001", entityId: "ZT00000001", mode: .lease,
                                            start: date("2025-01-01"), end: date("2027-12-31"),
                                            committedPoorLabourers: 10, committedHouseholds: 20)

    /// A report meeting (`met`) or missing its targets of 1,000,000 fen output and 800,000 sales.
    static func report(_ q: String, met: Bool = true, output: Int64? = nil, profit: Int64 = 50_000, channels: [String] = ["电商", "商超", "订单"],
                       measures: [String] = ["技能培训", "技术指导", "市场对接"], labourers: Int = 10, households: Int = 20,
                       due: Int64 = 0, paid: Int64 = 0) -> QuarterReport {
        let quarter = quarter(q)
        return QuarterReport(entityId: "ZT00000001", quarter: quarter, outputValueFen: output ?? (met ? 1_200_000 : 700_000),
                             salesRevenueFen: met ? 900_000 : 500_000, salesChannels: channels, profitFen: profit,
                             paymentsDueFen: due, paymentsPaidFen: paid, poorLabourersEmployed: labourers, householdsLinked: households,
                             supportMeasures: measures, targetOutputValueFen: 1_000_000, targetSalesRevenueFen: 800_000,
                             submittedOn: quarter.last.adding(days: 10))
    }

    static func reports(_ items: [QuarterReport]) -> ReportsByQuarter {
        ReportsByQuarter(items)
    }

    // MARK: Quarters

    @Test func reportsByQuarter_keepOnePerQuarterInOrder() {
        let q = { (text: String) in Quarter(text)! }
        var reports: ReportsByQuarter = [:]
        #expect(reports.isEmpty && reports[q("2026Q1")] == nil && !reports.contains(q("2026Q1")))
        for text in ["2026Q2", "2025Q4", "2026Q3", "2026Q1"] { reports[q(text)] = Self.report(text) }
        #expect(reports.values.map(\.quarter.description) == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"])
        var corrected = Self.report("2026Q1", met: false)
        corrected.revision = 2
        reports[q("2026Q1")] = corrected
        #expect(reports.count == 4 && reports[q("2026Q1")]?.revision == 2)
        reports[q("2026Q2")] = nil
        reports[q("2024Q1")] = nil
        #expect(reports.values.map(\.quarter.description) == ["2025Q4", "2026Q1", "2026Q3"])
        #expect(reports.contains(q("2025Q4")) && !reports.contains(q("2026Q2")) && !reports.contains(q("2027Q1")))
        #expect(ReportsByQuarter(reports.values.reversed()) == reports)
        // Put: in order it appends; out of order or again it finds its place.
        var put = ReportsByQuarter()
        for text in ["2025Q4", "2026Q3", "2026Q1", "2026Q3"] { put.put(Self.report(text, met: text != "2026Q3")) }
        #expect(put.values.map(\.quarter.description) == ["2025Q4", "2026Q1", "2026Q3"])
        #expect(put[q("2026Q3")] == Self.report("2026Q3", met: false))
    }

    @Test func quartersParseAndStep() {
        #expect(Quarter("2026Q3") == Quarter(year: 2026, number: 3))
        #expect(Quarter("2026-q3") == Quarter(year: 2026, number: 3))
        #expect(Quarter("2026Q5") == nil)
        #expect(Quarter("26Q1") == nil)
        for bad in ["2026Q0", "2026X3", "20a6Q3", "2026Q33", ""] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer(Quarter.init(utf8:)) == nil, "\(bad)")
        }
        #expect(Array("2026Q4".utf8).withUnsafeBufferPointer(Quarter.init(utf8:)) == Quarter(year: 2026, number: 4))
        #expect(Array("2024-02-29".utf8).withUnsafeBufferPointer(CivilDate.init(utf8:)) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(Array("2025-02-29".utf8).withUnsafeBufferPointer(CivilDate.init(utf8:)) == nil)
        #expect(CivilDate("2026-1-01") == nil && CivilDate("2026-01-01x") == nil && CivilDate("") == nil)
        #expect(Quarter("2026Q1")!.previous.description == "2025Q4")
        #expect(Quarter("2026Q4")!.next.description == "2027Q1")
        #expect(Quarter("2026Q2")!.last == Self.date("2026-06-30"))
        #expect(Quarter(containing: Self.date("2026-11-22")).description == "2026Q4")
    }

    @Test func judgedQuarterIsTheLastEndedOneOnceReportedOrDue() {
        // 2026Q3 ended 30 Sep; its report was due 15 Oct: on 22 Nov it is judged, reported or not.
        #expect(Self.rules.evaluatedQuarter(contracts: [Self.contract], reports: [:]) == Self.quarter("2026Q3"))
        // On 10 Oct the Q3 report is not yet due: Q2 is judged unless Q3 is in.
        let early = RiskRules(configuration: RiskConfiguration(), today: Self.date("2026-10-10"))
        #expect(early.evaluatedQuarter(contracts: [Self.contract], reports: [:]) == Self.quarter("2026Q2"))
        #expect(early.evaluatedQuarter(contracts: [Self.contract], reports: Self.reports([Self.report("2026Q3")])) == Self.quarter("2026Q3"))
        // No contract ran: nothing is owed.
        var ended = Self.contract
        ended.start = Self.date("2020-01-01")
        ended.end = Self.date("2020-12-31")
        #expect(Self.rules.evaluatedQuarter(contracts: [ended], reports: [:]) == nil)
    }

    // MARK: The Laiwu traffic light (002)

    struct LightCase: Sendable, CustomTestStringConvertible {
        let name: String
        let reports: [QuarterReport]
        let judged: String
        let light: AlertLevel
        let reasonCodes: [String]
        var testDescription: String { name }
    }

    static let lightCases: [LightCase] = [
        LightCase(name: "targets met: green", reports: [report("2026Q2"), report("2026Q3")], judged: "2026Q3", light: .green, reasonCodes: ["targets_met"]),
        LightCase(name: "this quarter missed: yellow", reports: [report("2026Q2"), report("2026Q3", met: false)], judged: "2026Q3", light: .yellow,
                  reasonCodes: ["output_below_target", "sales_below_target"]),
        LightCase(name: "two quarters missed running: red", reports: [report("2026Q2", met: false), report("2026Q3", met: false)], judged: "2026Q3",
                  light: .red, reasonCodes: ["output_below_target", "sales_below_target", "missed_two_quarters"]),
        LightCase(name: "recovery after a red: green", reports: [report("2026Q1", met: false), report("2026Q2", met: false), report("2026Q3")],
                  judged: "2026Q3", light: .green, reasonCodes: ["targets_met"]),
        LightCase(name: "missed, earlier miss not consecutive: yellow", reports: [report("2026Q1", met: false), report("2026Q2"), report("2026Q3", met: false)],
                  judged: "2026Q3", light: .yellow, reasonCodes: ["output_below_target", "sales_below_target"]),
        LightCase(name: "missing report counts as missed: yellow", reports: [report("2026Q2")], judged: "2026Q3", light: .yellow, reasonCodes: ["report_missing"]),
        LightCase(name: "missing after a miss: red", reports: [report("2026Q2", met: false)], judged: "2026Q3", light: .red,
                  reasonCodes: ["report_missing", "missed_two_quarters"]),
        // Q4 met by itself, but the year's totals (3×700k + 1.2M output) fall short of 4×1M: red for the year.
        LightCase(name: "the year missed, judged on Q4: red",
                  reports: [report("2025Q1", met: false), report("2025Q2"), report("2025Q3", met: false), report("2025Q4", output: 1_000_000)].map {
                      var r = $0
                      if $0.quarter != Quarter("2025Q2") && $0.quarter != Quarter("2025Q4") { r.outputValueFen = 500_000; r.salesRevenueFen = 500_000 }
                      return r
                  }, judged: "2025Q4", light: .red, reasonCodes: ["missed_year"]),
    ]

    @Test(arguments: lightCases)
    func trafficLight(_ example: LightCase) {
        let (light, reasons) = Self.rules.light(quarter: Self.quarter(example.judged), contracts: [Self.contract], reports: Self.reports(example.reports))
        #expect(light == example.light)
        #expect(reasons.map(\.code) == example.reasonCodes)
        #expect(reasons.allSatisfy { !$0.chinese.isEmpty && !$0.english.isEmpty })
    }

    @Test func aQuarterBeforeTheContractIsNotMissed() {
        var late = Self.contract
        late.start = Self.date("2026-07-01")
        // Q2 owed nothing, so a missed Q3 is only yellow.
        let (light, _) = Self.rules.light(quarter: Self.quarter("2026Q3"), contracts: [late], reports: Self.reports([Self.report("2026Q3", met: false)]))
        #expect(light == .yellow)
    }

    // MARK: The score (000 二(一))

    @Test func aHealthyEntityScoresFull() {
        let score = Self.rules.score(entityId: "ZT00000001", quarter: Self.quarter("2026Q3"), contracts: [Self.contract],
                                     reports: Self.reports([Self.report("2026Q2"), Self.report("2026Q3")]))
        #expect(score.reported)
        #expect(score.total == 100)
        #expect(score.scoreLevel == .green)
        #expect(score.parts.map(\.part) == RiskPart.allCases)
        #expect(score.parts.map(\.weight).reduce(0, +) == 100)
    }

    /// Worked by hand with the default weights 30/25/15/20/10:
    /// output 700k of 1M → 70, and 700k after 1.2M is a 42% fall (≥ 20%) → 70 − 42 = 28;
    /// a loss of 100k on 500k sales (20% ≤ 30%) → 20, payments 30k of 60k → 50: (20 + 50) / 2 = 35;
    /// one channel → 60, sales 500k of 800k → 62: (60 + 62) / 2 = 61;
    /// 5 of 10 labourers → 50, 10 of 20 households → 50: 50;
    /// no measures, no dividend → 0.
    /// Total: (28·30 + 35·25 + 61·15 + 50·20 + 0·10) / 100 = (840 + 875 + 915 + 1000) / 100 = 36 → red (< 40).
    @Test func aStrugglingEntityWorkedByHand() {
        let weak = Self.report("2026Q3", met: false, profit: -100_000, channels: ["电商"], measures: [], labourers: 5, households: 10,
                               due: 60_000, paid: 30_000)
        let score = Self.rules.score(entityId: "ZT00000001", quarter: Self.quarter("2026Q3"), contracts: [Self.contract],
                                     reports: Self.reports([Self.report("2026Q2"), weak]))
        #expect(score.parts.map(\.score) == [28, 35, 61, 50, 0])
        #expect(score.total == 36)
        #expect(score.scoreLevel == .red)
        #expect(score.light == .yellow)
        let codes = score.parts.flatMap(\.reasons).map(\.code)
        #expect(codes == ["output_below_target", "output_declined", "loss", "payments_short", "few_channels", "sales_below_target",
                          "labourers_below_commitment", "households_below_commitment", "no_support_measures"])
    }

    @Test func weightsFromTheConfigurationChangeTheTotal() throws {
        let configuration = try RiskConfiguration(json: """
            {"risk": {"weights": {"output_benefit": 100, "operating_condition": 0, "sales_channels": 0, "poverty_linkage": 0, "support_measures": 0},
                      "score_yellow_below": 80, "score_red_below": 20}}
            """)
        let rules = RiskRules(configuration: configuration, today: Self.today)
        let score = rules.score(entityId: "ZT00000001", quarter: Self.quarter("2026Q3"), contracts: [Self.contract],
                                reports: Self.reports([Self.report("2026Q3", output: 700_000)]))
        #expect(score.total == 70)
        #expect(score.scoreLevel == .yellow)
    }

    @Test func badConfigurationsAreRefusedByName() {
        let cases: [(String, String)] = [
            (#"{"risk": {"weights": {"output_benefit": 50, "operating_condition": 25, "sales_channels": 15, "poverty_linkage": 20, "support_measures": 10}}}"#, "add up to 100"),
            (#"{"risk": {"weights": {"output_benefit": 100}}}"#, "operating_condition"),
            (#"{"risk": {"intervall_seconds": 60}}"#, "unknown key \"intervall_seconds\""),
            (#"{"risk": {"interval_seconds": 0}}"#, "interval_seconds"),
            (#"{"risk": {"score_red_below": 70, "score_yellow_below": 60}}"#, "score_red_below"),
            (#"{"risk": {"enabled": "yes"}}"#, "enabled"),
            (#"{"risk": {"acknowledge_working_days_red": 0}}"#, "acknowledge_working_days_red"),
            (#"{"risk": {"acknowledge_working_days_yellow": 61}}"#, "acknowledge_working_days_yellow"),
        ]
        for (text, expected) in cases {
            do {
                _ = try RiskConfiguration(json: text)
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
        #expect((try? RiskConfiguration(json: #"{"risk": {"enabled": false, "interval_seconds": 60}}"#))?.enabled == false)
        let days = try? RiskConfiguration(json: #"{"risk": {"acknowledge_working_days_yellow": 5, "acknowledge_working_days_red": 2}}"#)
        #expect(days?.acknowledgeWorkingDays(.yellow) == 5 && days?.acknowledgeWorkingDays(.red) == 2)
        #expect(RiskConfiguration().acknowledgeWorkingDays(.yellow) == 3 && RiskConfiguration().acknowledgeWorkingDays(.red) == 1)
    }

    // MARK: Entity conditions

    static func kinds(_ conditions: [AlertCondition]) -> [String: AlertLevel] {
        Dictionary(uniqueKeysWithValues: conditions.map { ($0.kind.rawValue, $0.level) })
    }

    @Test func missingReportsYellowThenRed() {
        // Q3 missing alone: yellow; Q2 and Q3 missing: red, naming both.
        let one = Self.rules.conditions(entity: Self.entity, contracts: [Self.contract], reports: Self.reports([Self.report("2026Q2")]))
        #expect(Self.kinds(one)["report_missing"] == .yellow)
        let two = Self.rules.conditions(entity: Self.entity, contracts: [Self.contract], reports: Self.reports([Self.report("2026Q1")]))
        let missing = two.first { $0.kind == .reportMissing }
        #expect(missing?.level == .red)
        #expect(missing?.quarter == "2026Q3")
        #expect(missing?.reasons.first?.chinese.contains("2026年第2季度、2026年第3季度") == true)
        // Reported: nothing missing, and a healthy entity raises nothing at all.
        let fine = Self.rules.conditions(entity: Self.entity, contracts: [Self.contract], reports: Self.reports([Self.report("2026Q2"), Self.report("2026Q3")]))
        #expect(fine.isEmpty)
    }

    @Test func overduePaymentsAgeIntoRed() {
        var contract = Self.contract
        contract.payments = [PaymentDue(kind: .rent, dueDate: Self.date("2026-06-30"), amountFen: 50_000),
                             PaymentDue(kind: .rent, dueDate: Self.date("2026-09-30"), amountFen: 50_000)]
        // Paid 50k in Q2's report: the first rent is covered, the second (due 30 Sep, 53 days ago) is not: yellow.
        let partly = Self.rules.paymentOverdue(contracts: [contract], reports: Self.reports([Self.report("2026Q2", paid: 50_000)]))
        #expect(partly?.0 == .yellow)
        #expect(partly?.1.first?.chinese.contains("2026-09-30") == true)
        // Nothing paid: the rent due 30 Jun is 145 days old (> 30 + 90): red.
        #expect(Self.rules.paymentOverdue(contracts: [contract], reports: [:])?.0 == .red)
        // All paid: nothing.
        #expect(Self.rules.paymentOverdue(contracts: [contract], reports: Self.reports([Self.report("2026Q3", paid: 100_000)])) == nil)
        // Once the owners record income under the contract, their account is the word: a report claiming payment does not clear it.
        let claimed = Self.reports([Self.report("2026Q3", paid: 100_000)])
        let receipt = IncomeReceipt(receivedOn: Self.date("2026-07-10"), amountFen: 40_000, payer: "p", account: "a")
        #expect(Self.rules.paymentOverdue(contracts: [contract], reports: claimed, received: [contract.id: [receipt]]) != nil)
        let full = IncomeReceipt(receivedOn: Self.date("2026-08-10"), amountFen: 60_000, payer: "p", account: "a")
        #expect(Self.rules.paymentOverdue(contracts: [contract], reports: [:], received: [contract.id: [receipt, full]]) == nil)
        // Due within the grace period: nothing yet.
        contract.payments = [PaymentDue(kind: .fee, dueDate: Self.date("2026-11-01"), amountFen: 50_000)]
        #expect(Self.rules.paymentOverdue(contracts: [contract], reports: [:]) == nil)
    }

    // MARK: Asset and contract conditions

    static func asset(status: UsageStatus = .inUse, updated: String = "2026-01-01T00:00:00Z") -> Asset {
        var asset = Asset(id: "ZC00000001", name: "红桥村光伏电站", category: .operating, subType: "光伏电站", projectId: "P1",
                          adminCode: "421024101204", acquiredDate: date("2020-06-15"), usefulLifeYears: 20,
                          originalValueFen: 1_000_000, funding: [Funding(source: .centralSpecial, amountFen: 1_000_000)], owners: [])
        asset.usageStatus = status
        asset.updatedAt = updated
        return asset
    }

    @Test func idleAssetsYellowThenRed() {
        // Idle since 1 Jan 2026: 325 days ≥ 180 → yellow; since 2025-06-01 (539 days ≥ 360) → red; since 1 Sep: nothing.
        let none: (String) -> (OperatingEntity, ReportsByQuarter)? = { _ in nil }
        #expect(Self.kinds(Self.rules.conditions(asset: Self.asset(status: .idle), contracts: [], operators: none))["asset_idle"] == .yellow)
        #expect(Self.kinds(Self.rules.conditions(asset: Self.asset(status: .idle, updated: "2025-06-01T00:00:00Z"), contracts: [], operators: none))["asset_idle"] == .red)
        #expect(Self.rules.conditions(asset: Self.asset(status: .idle, updated: "2026-09-01T00:00:00Z"), contracts: [], operators: none).isEmpty)
    }

    @Test func lossAndDeclineFollowTheOperatorsReports() {
        let lossTwice = Self.reports([Self.report("2026Q2", profit: -10), Self.report("2026Q3", profit: -10)])
        let operators: (ReportsByQuarter) -> (String) -> (OperatingEntity, ReportsByQuarter)? = { reports in { _ in (Self.entity, reports) } }
        var kinds = Self.kinds(Self.rules.conditions(asset: Self.asset(), contracts: [Self.contract], operators: operators(lossTwice)))
        #expect(kinds["asset_loss"] == .red)
        kinds = Self.kinds(Self.rules.conditions(asset: Self.asset(), contracts: [Self.contract],
                                                 operators: operators(Self.reports([Self.report("2026Q3", profit: -10)]))))
        #expect(kinds["asset_loss"] == .yellow)
        // Output 1.2M in 2025Q3, 900k in 2026Q3: −25% → yellow; 500k: −59% (≥ 2 × 20%) → red.
        kinds = Self.kinds(Self.rules.conditions(asset: Self.asset(), contracts: [Self.contract],
                                                 operators: operators(Self.reports([Self.report("2025Q3"), Self.report("2026Q3", output: 900_000)]))))
        #expect(kinds["asset_decline"] == .yellow)
        kinds = Self.kinds(Self.rules.conditions(asset: Self.asset(), contracts: [Self.contract],
                                                 operators: operators(Self.reports([Self.report("2025Q3"), Self.report("2026Q3", output: 500_000)]))))
        #expect(kinds["asset_decline"] == .red)
    }

    @Test func contractsNearTheirEndAndPastIt() {
        var contract = Self.contract
        let none: (String) -> (OperatingEntity, ReportsByQuarter)? = { _ in nil }
        contract.end = Self.date("2027-01-31") // 70 days ≤ 90
        var found = Self.rules.conditions(asset: Self.asset(), contracts: [contract], operators: none).first { $0.kind == .contractExpiring }
        #expect(found?.level == .yellow)
        #expect(found?.subjectId == "HT00000001")
        contract.end = Self.date("2026-10-31")
        found = Self.rules.conditions(asset: Self.asset(), contracts: [contract], operators: none).first { $0.kind == .contractExpiring }
        #expect(found?.level == .red)
        // Recovered (terminated) or renewed by a later contract: nothing.
        var terminated = contract
        terminated.terminatedOn = Self.date("2026-10-31")
        #expect(Self.rules.conditions(asset: Self.asset(), contracts: [terminated], operators: none).isEmpty)
        var renewal = contract
        renewal.id = "HT00000002"
        renewal.start = Self.date("2026-11-01")
        renewal.end = Self.date("2029-10-31")
        #expect(Self.rules.conditions(asset: Self.asset(), contracts: [contract, renewal], operators: none).isEmpty)
    }

    @Test func handoverPastItsDeadline() {
        var asset = Self.asset()
        asset.lifecycle.stage = .published
        asset.lifecycle.handoverDue = Self.date("2026-10-30")
        let found = Self.rules.conditions(asset: asset, contracts: [], operators: { _ in nil }).first { $0.kind == .handoverOverdue }
        #expect(found?.level == .red)
        asset.lifecycle.handoverDue = Self.date("2026-12-30")
        #expect(Self.rules.conditions(asset: asset, contracts: [], operators: { _ in nil }).isEmpty)
    }

    // MARK: The alert life cycle

    static func record(_ condition: AlertCondition, id: Int64) -> AlertRecord {
        AlertRecord(id: id, kind: condition.kind, subjectId: condition.subjectId, subjectName: condition.subjectName, adminCode: condition.adminCode,
                    level: condition.level, score: condition.score, quarter: condition.quarter, parts: condition.parts, reasons: condition.reasons,
                    raisedAt: "t", changedAt: "t", clearedAt: "")
    }

    @Test func raisedOnceChangedOnALevelClearedWhenGone() {
        let yellow = AlertCondition(kind: .entityTargets, subjectId: "ZT00000001", subjectName: "合作社", adminCode: "421024100201",
                                    level: .yellow, quarter: "2026Q3", reasons: [RiskReason("a", "甲", "a")])
        // Nothing open: raised.
        var changes = AlertBook.changes(open: [:], now: [yellow])
        #expect(changes.raise.count == 1 && changes.change.isEmpty && changes.clear.isEmpty)
        // Open at the same level: nothing new (no storm on a rerun or a restart).
        let open = [yellow.key: Self.record(yellow, id: 1)]
        changes = AlertBook.changes(open: open, now: [yellow])
        #expect(changes.isEmpty)
        // Same level, new reasons: refreshed quietly.
        var reworded = yellow
        reworded.reasons = [RiskReason("b", "乙", "b")]
        changes = AlertBook.changes(open: open, now: [reworded])
        #expect(changes.raise.isEmpty && changes.change.isEmpty && changes.refresh.count == 1)
        // Red: a change of level.
        var red = yellow
        red.level = .red
        changes = AlertBook.changes(open: open, now: [red])
        #expect(changes.change.count == 1 && changes.change[0].0.level == .yellow && changes.change[0].1.level == .red)
        // Gone: cleared.
        changes = AlertBook.changes(open: open, now: [])
        #expect(changes.clear.map(\.id) == [1])
        // A green condition is no alert.
        var green = yellow
        green.level = .green
        #expect(AlertBook.changes(open: [:], now: [green]).isEmpty)
    }

    /// Any change of a reason's or a part's text is a refresh; the same
    /// texts built anew are no change. When every open alert still holds, none
    /// clears; when one is gone, it alone clears.
    @Test func aReasonReworded_isARefresh_andNoneClearsWhileAllHold() {
        let part = RiskPartScore(part: .salesChannels, score: 60, weight: 20, reasons: [RiskReason("few_channels", "销售渠道单一（电商）", "one")])
        let condition = AlertCondition(kind: .entityScore, subjectId: "ZT00000001", subjectName: "合作社", adminCode: "421024100201",
                                       level: .yellow, score: 55, quarter: "2026Q3", parts: [part],
                                       reasons: [RiskReason("score_low", "风险评分\(55)分（低于60分）", "risk score 55")])
        let other = AlertCondition(kind: .entityScore, subjectId: "ZT00000002", subjectName: "合作社", adminCode: "421024100201",
                                   level: .yellow, score: 55, quarter: "2026Q3", reasons: [])
        let open = [condition.key: Self.record(condition, id: 1), other.key: Self.record(other, id: 2)]
        var rebuilt = condition
        rebuilt.reasons = [RiskReason("score_low", ["风险评分", String(55), "分（低于60分）"].joined(), "risk score 55")]
        #expect(AlertBook.changes(open: open, now: [rebuilt, other]).isEmpty)
        var edits: [AlertCondition] = []
        var reworded = condition
        reworded.reasons[0].chinese = "风险评分55分（低于61分）"
        edits.append(reworded)
        var partReworded = condition
        partReworded.parts[0].reasons[0].chinese = "销售渠道单一（商超）"
        edits.append(partReworded)
        for edited in edits {
            let changes = AlertBook.changes(open: open, now: [edited, other])
            #expect(changes.refresh.count == 1 && changes.raise.isEmpty && changes.change.isEmpty && changes.clear.isEmpty)
        }
        #expect(AlertBook.changes(open: open, now: [condition]).clear.map(\.id) == [2])
        #expect(AlertBook.changes(open: open, now: [condition], candidates: [other.key]).clear.map(\.id) == [2])
        #expect(AlertBook.changes(open: open, now: [condition], scope: { $0.id != 2 }).clear.isEmpty)
    }

    /// Tallies of runs of assets in id order add up; the examples stay
    /// the first three, the oldest day the earliest.
    @Test func countBacklogsOfRunsInOrder_addUp() {
        var first = CountBacklog(since: Self.date("2024-05-01"))
        first.add("ZC00000001", since: Self.date("2024-05-01"), twoYears: true)
        first.add("ZC00000002", since: Self.date("2025-01-01"), twoYears: false)
        var second = CountBacklog(since: Self.date("2023-09-01"))
        second.add("ZC00000005", since: Self.date("2023-09-01"), twoYears: true)
        second.add("ZC00000007", since: Self.date("2025-02-01"), twoYears: false)
        var joined = first
        joined.add(second)
        #expect(joined.assets == 4 && joined.overTwoYears == 2 && joined.oldest == Self.date("2023-09-01"))
        #expect(joined.examples == ["ZC00000001", "ZC00000002", "ZC00000005"])
        var empty = CountBacklog(since: Self.date("2026-01-01"))
        empty.add(joined)
        #expect(empty == joined)
    }

    /// A whole-ledger run compares in slices on every core: on 30,000
    /// conditions (several slices) the changes are those of the plain
    /// comparison, one condition at a time, in the same order.
    @Test func aLargeComparison_inSlices_isTheOneAtATime() {
        var conditions: [AlertCondition] = []
        var open: [String: AlertRecord] = [:]
        for number in 0..<30_000 {
            let condition = AlertCondition(kind: number % 3 == 0 ? .entityScore : .entityTargets, subjectId: String(format: "ZT%08d", number),
                                           subjectName: "主体\(number)", adminCode: "421024100201", level: number % 5 == 0 ? .red : .yellow,
                                           score: 50, quarter: "2026Q3", reasons: [RiskReason("a", "甲", "a")])
            switch number % 7 {
            case 0: break                                             // new: raised
            case 1: var was = condition; was.level = condition.level == .red ? .yellow : .red
                    open[condition.key] = Self.record(was, id: Int64(number))   // level changed
            case 2: var was = condition; was.score = 40
                    open[condition.key] = Self.record(was, id: Int64(number))   // refreshed
            default: open[condition.key] = Self.record(condition, id: Int64(number)) // unchanged
            }
            if number % 11 == 0 { continue }                           // gone: its open alert (if any) clears
            conditions.append(condition)
            if number % 13 == 0 { var again = condition; again.score = 1; conditions.append(again) } // a second of the same key: ignored
        }
        let changes = AlertBook.changes(open: open, now: conditions)
        var seen: Set<String> = []
        var raise: [String] = [], change: [String] = [], refresh: [String] = []
        for condition in conditions where seen.insert(condition.key).inserted {
            guard let record = open[condition.key] else { raise.append(condition.key); continue }
            if record.level != condition.level { change.append(condition.key) } else if record.score != condition.score { refresh.append(condition.key) }
        }
        let clear = open.filter { !seen.contains($0.key) }.map(\.value.id).sorted()
        #expect(changes.raise.map(\.key) == raise)
        #expect(changes.change.map(\.1.key) == change)
        #expect(changes.refresh.map(\.1.key) == refresh)
        #expect(changes.clear.map(\.id) == clear)
        #expect(raise.count > 3_000 && change.count > 3_000 && refresh.count > 3_000 && clear.count > 1_000)
    }

    @Test func messagesForStaffAndEngineers() {
        let condition = AlertCondition(kind: .entityScore, subjectId: "ZT00000001", subjectName: "新湖合作社", adminCode: "421024100201",
                                       level: .red, score: 36, quarter: "2026Q3", reasons: [RiskReason("score_low", "风险评分36分", "risk score 36")])
        let event = AlertEvent(seq: 7, type: .raised, alert: Self.record(condition, id: 3), previousLevel: .green, time: "t")
        #expect(event.chineseMessage == "【红灯】带贫主体风险评分预警：新湖合作社（ZT00000001），评分36分。风险评分36分")
        #expect(event.englishMessage == "[red] entity score: 新湖合作社 (ZT00000001), score 36. risk score 36")
        var cleared = event
        cleared.type = .cleared
        #expect(cleared.chineseMessage.hasPrefix("【已解除】"))
    }

    @Test func yuanFormatting() {
        #expect(Yuan.format(0) == "0.00元")
        #expect(Yuan.format(123_456_789) == "1,234,567.89元")
        #expect(Yuan.format(-5) == "-0.05元")
        #expect(Yuan.format(Int64.min).hasPrefix("-92,233,720,368,547,758"))
    }

    // MARK: Found in review

    @Test func aNewOperatorAnswersOnlyFromTheDayItTookOver() {
        var contract = Self.contract
        contract.operatorSince = Self.date("2026-08-15")
        contract.payments = [PaymentDue(kind: .rent, dueDate: Self.date("2026-06-30"), amountFen: 50_000)]
        // 2026Q2 was the previous operator's: not owed, not missed, its rent not charged.
        #expect(!Self.rules.expects(Self.quarter("2026Q2"), contracts: [contract]))
        #expect(Self.rules.expects(Self.quarter("2026Q3"), contracts: [contract]))
        #expect(Self.rules.paymentOverdue(contracts: [contract], reports: [:]) == nil)
        let (light, _) = Self.rules.light(quarter: Self.quarter("2026Q3"), contracts: [contract], reports: Self.reports([Self.report("2026Q3", met: false)]))
        #expect(light == .yellow)
        let conditions = Self.rules.conditions(entity: Self.entity, contracts: [contract], reports: Self.reports([Self.report("2026Q3")]))
        #expect(conditions.isEmpty)
    }

    @Test func hugeUnpaidSumsSaturateInsteadOfTrapping() {
        let payments = (0..<240).map { PaymentDue(kind: .fee, dueDate: Self.date("2025-01-01").adding(days: $0), amountFen: RecordLimits.amountMaxFen) }
        let contracts = (0..<40).map { index -> OperationContract in
            var contract = Self.contract
            contract.id = "HT\(index)"
            contract.payments = payments
            return contract
        }
        let overdue = Self.rules.paymentOverdue(contracts: contracts, reports: [:])
        #expect(overdue?.0 == .red)
        #expect(overdue?.1.first?.chinese.contains("92,233,720,368,547,758.07元") == true)
    }

    @Test func aReportNowOverdueDoesNotClearTheScoreOrTheLossOfTheOneBefore() {
        // 2026Q3 reported a loss and a weak score; on 20 January 2027 the Q4
        // report is due and missing: the score and loss still stand on Q3.
        let later = RiskRules(configuration: RiskConfiguration(), today: Self.date("2027-01-20"))
        let weak = Self.report("2026Q3", met: false, profit: -100_000, channels: ["电商"], measures: [], labourers: 0, households: 0)
        let reports = Self.reports([Self.report("2026Q2"), weak])
        let entity = later.conditions(entity: Self.entity, contracts: [Self.contract], reports: reports)
        let score = entity.first { $0.kind == .entityScore }
        #expect(score != nil)
        #expect(score?.quarter == "2026Q3")
        #expect(entity.contains { $0.kind == .reportMissing && $0.quarter == "2026Q4" })
        let asset = later.conditions(asset: Self.asset(), contracts: [Self.contract]) { _ in (Self.entity, reports) }
        #expect(asset.contains { $0.kind == .assetLoss && $0.quarter == "2026Q3" })
    }

    @Test func revitalisingPlanInEffect_stopsIdleAndLossAlerts_butNotBefore() {
        let loss = Self.reports([Self.report("2026Q2", profit: -10), Self.report("2026Q3", profit: -10)])
        let operators: (String) -> (OperatingEntity, ReportsByQuarter)? = { _ in (Self.entity, loss) }
        var idle = Self.asset(status: .idle)
        var kinds = Self.kinds(Self.rules.conditions(asset: idle, contracts: [Self.contract], operators: operators))
        #expect(kinds["asset_idle"] == .yellow && kinds["asset_loss"] == .red)
        let plan = RevitalisingPlan(assetId: idle.id, measures: "公开招租", responsible: "村委会", approvedBy: "村民代表大会", effectiveOn: Self.date("2026-11-01"))
        kinds = Self.kinds(Self.rules.conditions(asset: idle, contracts: [Self.contract], revitalising: plan, operators: operators))
        #expect(kinds["asset_idle"] == nil && kinds["asset_loss"] == nil)
        // The decline alert is not the plan's business.
        #expect(Self.rules.conditions(asset: idle, contracts: [Self.contract], revitalising: plan, operators: operators).allSatisfy { $0.kind != .assetIdle })
        let earlier = RevitalisingPlan(id: "PH00000001", assetId: idle.id, measures: "m", responsible: "r", approvedBy: "a",
                                       effectiveOn: Self.date("2026-12-01"))
        let records = [earlier]
        #expect(RevitalisingPlan.inEffect(records, on: Self.today) == nil)
        #expect(RevitalisingPlan.inEffect(records, on: Self.date("2026-12-01"))?.id == "PH00000001")
        // A plan holds the alerts back for a year, then the asset is judged again.
        #expect(RevitalisingPlan.inEffect(records, on: Self.date("2027-12-01"))?.id == "PH00000001")
        #expect(RevitalisingPlan.inEffect(records, on: Self.date("2027-12-02")) == nil)
        // Of two in effect, the later.
        var later = earlier
        later.id = "PH00000002"
        later.effectiveOn = Self.date("2027-06-01")
        #expect(RevitalisingPlan.inEffect([earlier, later], on: Self.date("2027-07-01"))?.id == "PH00000002")
        // A disposed asset raises nothing.
        idle.lifecycle.stage = .disposed
        #expect(Self.rules.conditions(asset: idle, contracts: [Self.contract], operators: operators).isEmpty)
    }

    @Test(arguments: [
        // registered, last counted, expected (nil: not overdue; true: more than two years)
        ("2026-01-01T00:00:00Z", nil, nil),
        ("2025-11-22T08:00:00Z", nil, nil),            // a year to the day: not yet
        ("2025-11-21T08:00:00Z", nil, false),
        ("2024-11-21T08:00:00Z", nil, true),           // two years uncounted
        ("2023-01-01T00:00:00Z", "2026-03-01", nil),
        ("2023-01-01T00:00:00Z", "2025-10-01", false),
        ("2023-01-01T00:00:00Z", "2024-10-01", true),
    ] as [(String, String?, Bool?)])
    func countOverdue_afterAYear_redAfterTwo(registered: String, counted: String?, twoYears: Bool?) {
        var asset = Self.asset()
        asset.createdAt = registered
        #expect(Self.rules.countOverdue(asset: asset, lastCounted: counted.map(Self.date))?.twoYears == twoYears)
    }

    /// One alert per unit, not one per asset: yellow, red when any asset is two years behind.
    @Test func countOverdue_isOneAlertPerUnit() {
        var backlog: [String: CountBacklog] = [:]
        for (unit, id, since, twoYears) in [("421024101204", "ZC00000001", "2025-06-01", false), ("421024101204", "ZC00000002", "2025-03-01", false),
                                            ("421024101205", "ZC00000003", "2024-01-01", true)] {
            backlog[unit, default: CountBacklog(since: Self.date(since))].add(id, since: Self.date(since), twoYears: twoYears)
        }
        let conditions = Self.rules.countConditions(backlog) { "unit \($0)" }
        #expect(conditions.map(\.subjectId) == ["421024101204", "421024101205"])
        #expect(conditions.map(\.level) == [.yellow, .red])
        #expect(conditions[0].reasons.first?.chinese.hasPrefix("2项资产超过一年未清查盘点，最早自2025-03-01起") == true)
        #expect(conditions.allSatisfy { $0.kind == .countOverdue && $0.kind.subjectKind == "unit" })
    }

    @Test func distributionOverdue_plansPastTheirDeadline_andIncomeWithoutAPlan() {
        var waiting: [IncomeRecord] = []
        func income(_ id: String, _ day: String, _ owner: String, _ fen: Int64) {
            waiting.append((IncomeRecord(id: id, assetId: "ZC00000001", ownerCode: owner,
                                             receipt: IncomeReceipt(receivedOn: Self.date(day), amountFen: fen, payer: "p", account: "a"))))
        }
        income("SY00000001", "2026-05-10", "421024101204", 100_000)   // in the plan below
        waiting.removeAll()
        income("SY00000002", "2026-08-01", "421024101204", 20_000)    // waiting, due 2026-11-01: yellow
        income("SY00000003", "2026-09-01", "421024101204", 5_000)     // waiting, not yet due
        income("SY00000004", "2026-03-01", "421024101205", 7_000)     // waiting since 2026-06-01 + 90 days: red
        income("SY00000005", "2026-10-01", "421024101206", 7_000)     // not yet due
        let allocations = [Allocation(purpose: .noLabourHouseholds, amountFen: 90_000, households: [HouseholdShare(name: "王五", amountFen: 90_000)]),
                           Allocation(purpose: .reserve, amountFen: 10_000)]
        var plan = DistributionPlan(id: "FP00000001", ownerCode: "421024101204", title: "红桥村2026年收益分配", incomeIds: ["SY00000001"],
                                    incomeFen: 100_000, incomeReceivedOn: Self.date("2026-05-10"), deadline: Self.date("2026-08-10"),
                                    allocations: allocations, stage: .published)
        let conditions = Self.rules.distributionConditions(plans: [plan], undistributed: waiting) { "unit \($0)" }
        #expect(conditions.map(\.subjectId) == ["FP00000001", "421024101204", "421024101205"])
        #expect(conditions.map(\.level) == [.red, .yellow, .red])
        #expect(conditions.allSatisfy { $0.kind == .distributionOverdue })
        #expect(conditions[1].reasons.first?.chinese.contains("1笔收益") == true)
        #expect(conditions[1].subjectName == "unit 421024101204")
        plan.stage = .carriedOut
        #expect(Self.rules.distributionConditions(plans: [plan], undistributed: waiting) { $0 }.map(\.subjectId) == ["421024101204", "421024101205"])
    }
}
