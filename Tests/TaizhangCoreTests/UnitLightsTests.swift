// The responsible units' traffic lights (issue 21). Each quarter is judged on
// its own targets: the money spent within it and the milestones reached by its
// end. Green when every target was met; yellow (约谈提醒) when one was missed
// after a quarter that met its targets; red (问责) when targets were missed two
// quarters running, or at the fourth quarter when the year's target was missed.
// A judgement, once recorded, stands. Also the quarter's ranking of units
// (002 Laiwu: 一季一督导一评比; 000 二(三)1 乡镇主体责任).

import Testing
import TaizhangCore

struct UnitLightsTests {
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }
    static func q(_ text: String) -> Quarter { Quarter(text)! }
    /// Each quarter judged ten days after its end: 2026Q2 on 2026-07-10, 2026Q4 on 2027-01-10.
    static let rules = UnitLightRules(judgedDays: 10, today: date("2027-02-01"))
    /// A quarter's money target: 100,000 yuan.
    static let target: Int64 = 10_000_000
    static let everyQuarter = Array(repeating: QuarterTarget(spendFen: target), count: 4)
    static let voucher = Document(name: "支付凭证", kind: "other", sha256: String(repeating: "ab", count: 32))

    /// A township with `quarters` as its targets for `year`.
    static func unit(_ id: String = "DW00000001", _ quarters: [QuarterTarget] = everyQuarter, year: Int = 2026) -> ResponsibleUnit {
        ResponsibleUnit(id: id, name: "白马镇人民政府", kind: .township, adminCode: "421024101", head: "张三", headPost: "镇长",
                        years: [UnitYearTargets(year: year, quarters: quarters)])
    }

    /// A payment of `fen` on `day`, recorded that day at 10:00 China time unless `recordedAt` says otherwise.
    static func paid(_ fen: Int64, on day: String, recordedAt: String? = nil) -> FundDisbursement {
        FundDisbursement(on: date(day), source: .centralSpecial, level: .central, amountFen: fen, payee: "某建设公司", document: voucher,
                         meta: ProgressEntryMeta(identity: "clerk (uid:1001)", actor: "clerk", recordedAt: recordedAt ?? "\(day)T02:00:00.000Z"))
    }

    static func project(_ id: String, _ payments: [FundDisbursement], milestones: [MilestoneEntry] = []) -> ProjectProgress {
        ProjectProgress(id: id, adminCode: "421024101", unitId: "DW00000001", disbursements: payments, milestones: milestones)
    }

    /// The unit's one project, XM001.
    static func projects(_ payments: [FundDisbursement], milestones: [MilestoneEntry] = []) -> [String: ProjectProgress] {
        ["XM001": project("XM001", payments, milestones: milestones)]
    }

    /// XM001 paying `fens[i]` (when any) forty days into 2026's quarter i+1.
    static func spending(_ fens: [Int64]) -> [String: ProjectProgress] {
        var payments: [FundDisbursement] = []
        for (index, fen) in fens.enumerated() where fen > 0 {
            payments.append(paid(fen, on: "\(Quarter(year: 2026, number: index + 1)!.first.adding(days: 40))"))
        }
        return projects(payments)
    }

    static func judge(_ quarter: String, _ unit: ResponsibleUnit, _ projects: [String: ProjectProgress]) -> QuarterJudgement {
        rules.judge(unit, q(quarter), projects: projects)
    }

    /// 2026's four lights.
    static func lights(_ unit: ResponsibleUnit, _ projects: [String: ProjectProgress]) -> [UnitLight] {
        (1...4).map { rules.judge(unit, Quarter(year: 2026, number: $0)!, projects: projects).light }
    }

    // MARK: Lights

    @Test func theIssuesExample_metMissedMissed_thenQ4OnTargetButTheYearShort_isGreenYellowRedRed() {
        let projects = Self.spending([Self.target, 0, 0, Self.target])
        #expect(Self.lights(Self.unit(), projects) == [.green, .yellow, .red, .red])
        let q4 = Self.judge("2026Q4", Self.unit(), projects)
        #expect(q4.checks.map(\.met) == [true])
        #expect(q4.yearChecks.map(\.met) == [false])
        #expect(q4.yearChecks.first?.shortFen == 2 * Self.target)
        #expect(q4.since == Self.q("2026Q2"), "red for the year since its first missed quarter")
        #expect(q4.reasons.contains { $0.code == "spending_short" && $0.english.hasPrefix("the year 2026:") && $0.chinese.hasPrefix("2026年全年") })
    }

    @Test func q4MakingUpTheYearsTotal_isGreen() {
        let q4 = Self.judge("2026Q4", Self.unit(), Self.spending([Self.target, 0, 0, 3 * Self.target]))
        #expect(q4.light == .green)
        #expect(q4.yearChecks.map(\.met) == [true])
        #expect(q4.yearChecks.first?.doneFen == 4 * Self.target)
        #expect(q4.since == nil)
        #expect(q4.reasons.map(\.code) == ["targets_met"])
    }

    @Test func spendingOverAQuartersTarget_doesNotCarryOverToTheNext() {
        let projects = Self.spending([3 * Self.target, 0, 0, 0])
        #expect(Self.judge("2026Q1", Self.unit(), projects).light == .green)
        let q2 = Self.judge("2026Q2", Self.unit(), projects)
        #expect(q2.light == .yellow)
        #expect(q2.spentFen == 0)
        #expect(q2.checks.first?.shortFen == Self.target)
    }

    @Test func theFirstQuarterMissed_withNoTargetsTheYearBefore_isYellow_sinceItself() {
        let q1 = Self.judge("2026Q1", Self.unit(), Self.spending([0, 0, 0, 0]))
        #expect(q1.light == .yellow)
        #expect(q1.since == Self.q("2026Q1"))
        #expect(!q1.reasons.contains { $0.code == "missed_in_a_row" })
    }

    @Test func twoQuartersMissedRunning_isRed_sinceTheFirstOfThem() {
        let q3 = Self.judge("2026Q3", Self.unit(), Self.spending([Self.target, Self.target / 2, 0, 0]))
        #expect(q3.light == .red)
        #expect(q3.since == Self.q("2026Q2"))
        let inARow = q3.reasons.first { $0.code == "missed_in_a_row" }
        #expect(inARow?.english == "targets missed 2 quarters in a row since 2026Q2")
        #expect(inARow?.chinese.contains("自2026年第2季度起连续2个季度") == true)
    }

    @Test func missesRunOnAcrossTheYearsEnd() {
        var unit = Self.unit()
        unit.years.insert(UnitYearTargets(year: 2025, quarters: Self.everyQuarter), at: 0)
        // 2025Q1 and Q2 met; 2025Q3, Q4 and 2026Q1 missed.
        let projects = Self.projects([Self.paid(Self.target, on: "2025-02-10"), Self.paid(Self.target, on: "2025-05-10")])
        let q1 = Self.judge("2026Q1", unit, projects)
        #expect(q1.light == .red)
        #expect(q1.since == Self.q("2025Q3"))
        #expect(q1.reasons.contains { $0.english == "targets missed 3 quarters in a row since 2025Q3" })
    }

    @Test func theReasons_sayWhichTarget_byHowMuch_andSinceWhen() {
        var quarters = Self.everyQuarter
        quarters[1].milestones = [MilestoneTarget(projectId: "XM001", milestone: .started)]
        let projects = Self.projects([Self.paid(Self.target, on: "2026-02-10"), Self.paid(4_000_000, on: "2026-05-10")])
        let q2 = Self.judge("2026Q2", Self.unit("DW00000001", quarters), projects)
        #expect(q2.light == .yellow)
        #expect(q2.since == Self.q("2026Q2"))
        #expect(q2.checks.map(\.shortFen) == [6_000_000, 0])
        #expect(q2.reasons.map(\.code) == ["spending_short", "milestone_missed"])
        #expect(q2.reasons.first?.english == "2026Q2: spent 40,000.00元 of the 100,000.00元 target, 60,000.00元 short")
        #expect(q2.reasons.first?.chinese.contains("差60,000.00元") == true)
        #expect(q2.reasons.last?.english == "2026Q2: project XM001 was to reach started and did not")
    }

    @Test func theMoneyTarget_countsEveryProjectOfTheUnit_withinTheQuarter() {
        var projects = Self.projects([Self.paid(6_000_000, on: "2026-01-01"), Self.paid(5_000_000, on: "2026-04-01")])
        projects["XM002"] = Self.project("XM002", [Self.paid(4_000_000, on: "2026-03-31")])
        let q1 = Self.judge("2026Q1", Self.unit(), projects)
        #expect(q1.light == .green)
        #expect(q1.spentFen == 10_000_000)
    }

    @Test func aRecordedJudgement_ofThePreviousQuarter_standsInTheRun_thoughAPaymentOfItWasRecordedLater() {
        // Q2 judged and recorded on 2026-07-10 with nothing paid in it; a Q2 payment recorded on 07-11.
        let q1Paid = Self.paid(Self.target, on: "2026-02-10")
        let q2 = UnitLightRules(judgedDays: 10, today: Self.date("2026-07-10")).judge(Self.unit(), Self.q("2026Q2"), projects: Self.projects([q1Paid]))
        #expect(q2.light == .yellow)
        var unit = Self.unit()
        unit.judgements = [q2]
        let projects = Self.projects([q1Paid, Self.paid(Self.target, on: "2026-06-20", recordedAt: "2026-07-11T02:00:00.000Z"),
                                      Self.paid(2 * Self.target, on: "2026-11-10")])
        #expect(Self.lights(unit, projects) == [.green, .yellow, .red, .green])
        #expect(Self.judge("2026Q3", unit, projects).since == Self.q("2026Q2"))
        // Unrecorded, Q2 is judged on what is recorded now.
        #expect(Self.lights(Self.unit(), projects) == [.green, .green, .yellow, .green])
        #expect(Self.judge("2026Q4", unit, projects).yearChecks.first?.doneFen == 4 * Self.target)
    }

    // MARK: Milestone targets

    /// XM001 to be started by the end of 2026Q2; no other target.
    static let startByQ2 = unit("DW00000001", [QuarterTarget(), QuarterTarget(milestones: [MilestoneTarget(projectId: "XM001", milestone: .started)]),
                                               QuarterTarget(), QuarterTarget()])

    static func started(on day: String, recordedAt: String) -> [String: ProjectProgress] {
        let meta = ProgressEntryMeta(identity: "clerk (uid:1001)", actor: "clerk", recordedAt: recordedAt)
        return projects([], milestones: [MilestoneEntry(milestone: .approved, on: date("2026-01-05"), document: voucher),
                                         MilestoneEntry(milestone: .started, on: date(day), document: voucher, meta: meta)])
    }

    @Test func aMilestoneTarget_isMetWhenReachedByTheQuartersEnd() {
        // 2026Q2 ends on 2026-06-30; nothing of it judged and recorded yet.
        let cases: [(reached: String, recordedAt: String, met: Bool)] = [
            ("2026-03-15", "2026-03-15T02:00:00.000Z", true),  // reached in an earlier quarter
            ("2026-06-30", "2026-06-30T02:00:00.000Z", true),
            ("2026-07-01", "2026-07-01T02:00:00.000Z", false), // the day after the quarter's end
            ("2026-06-30", "2026-08-01T02:00:00.000Z", true),  // taken in late, before the quarter's judgement was recorded
        ]
        for (reached, recordedAt, met) in cases {
            let q2 = Self.judge("2026Q2", Self.startByQ2, Self.started(on: reached, recordedAt: recordedAt))
            #expect(q2.checks.map(\.met) == [met], "reached \(reached), recorded \(recordedAt)")
            #expect(q2.checks.first?.reachedOn == (met ? Self.date(reached) : nil), "reached \(reached), recorded \(recordedAt)")
            #expect(q2.light == (met ? UnitLight.green : .yellow), "reached \(reached), recorded \(recordedAt)")
        }
    }

    @Test func aRecordedJudgement_stands_whateverIsRecordedOfTheQuarterLater() {
        let q2 = UnitLightRules(judgedDays: 10, today: Self.date("2026-07-10")).judge(Self.startByQ2, Self.q("2026Q2"), projects: Self.projects([]))
        #expect(q2.light == .yellow)
        #expect(q2.judgedOn == Self.date("2026-07-10"))
        var unit = Self.startByQ2
        unit.judgements = [q2]
        let late = Self.started(on: "2026-06-30", recordedAt: "2026-07-11T02:00:00.000Z")
        #expect(Self.judge("2026Q2", unit, late) == q2)
        #expect(Self.judge("2026Q2", Self.startByQ2, late).light == .green)
    }

    @Test func theChecks_recordedByADay_countWhatWasRecordedByItsEnd_inChinaTime() {
        // 2026-07-10T15:59:59Z is 23:59:59 that day in China; 16:00Z is the next day.
        let cases: [(recordedAt: String, met: Bool)] = [
            ("2026-07-10T02:00:00.000Z", true), ("2026-07-10T15:59:59.000Z", true),
            ("2026-07-10T16:00:00.000Z", false), ("2026-07-11T02:00:00.000Z", false),
        ]
        let q2 = Self.q("2026Q2"), target = Self.startByQ2.years[0].quarter(2)
        for (recordedAt, met) in cases {
            let checks = Self.rules.checks(target, first: q2.first, last: q2.last, projects: Self.started(on: "2026-06-30", recordedAt: recordedAt),
                                           recordedBy: Self.rules.judgementDay(q2))
            #expect(checks.map(\.met) == [met], "recorded \(recordedAt)")
        }
    }

    @Test func aQuarterWithoutTargets_isGreen() {
        let q1 = Self.judge("2026Q1", Self.startByQ2, Self.projects([]))
        #expect(q1.light == .green)
        #expect(q1.checks.isEmpty)
    }

    // MARK: Pending and unset

    @Test func aQuarterIsJudgedOnItsJudgementDay_andPendingTheDayBefore() {
        let projects = Self.spending([Self.target, 0, 0, 0])
        let dayBefore = UnitLightRules(judgedDays: 10, today: Self.date("2026-07-09"))
        let onTheDay = UnitLightRules(judgedDays: 10, today: Self.date("2026-07-10"))
        #expect(dayBefore.judgementDay(Self.q("2026Q2")) == Self.date("2026-07-10"))
        #expect(dayBefore.judge(Self.unit(), Self.q("2026Q2"), projects: projects).light == .pending)
        #expect(dayBefore.latestJudged == Self.q("2026Q1"))
        #expect(onTheDay.judge(Self.unit(), Self.q("2026Q2"), projects: projects).light == .yellow)
        #expect(onTheDay.latestJudged == Self.q("2026Q2"))
    }

    @Test func aQuarterNotYetJudged_isPending_andAYearWithoutTargets_isUnset() {
        let projects = Self.spending([0, 0, 0, 0])
        let pending = Self.judge("2027Q1", Self.unit(), projects)
        #expect(pending.light == .pending)
        #expect(pending.judgedOn == Self.date("2027-04-10"))
        #expect(pending.checks.isEmpty && pending.reasons.isEmpty)
        let unset = Self.judge("2025Q4", Self.unit(), projects)
        #expect(unset.light == .unset)
        #expect(unset.checks.isEmpty && unset.since == nil)
    }

    // MARK: Ranking

    /// A light of 2026Q2: the money target (when more than 0) and `milestones` milestone targets, `met` of them met;
    /// green when every target was met, yellow otherwise, unless `light` is given.
    static func ranked(_ id: String, spent: Int64, of target: Int64, milestones: Int = 0, met: Int = 0,
                       light: UnitLight? = nil) -> (ResponsibleUnit, QuarterJudgement) {
        var checks: [TargetCheck] = []
        if target > 0 { checks.append(TargetCheck(milestone: nil, targetFen: target, doneFen: spent, met: spent >= target)) }
        for index in 0..<milestones {
            checks.append(TargetCheck(milestone: MilestoneTarget(projectId: "XM00\(index)", milestone: .started), met: index < met))
        }
        let judged = light ?? (checks.allSatisfy(\.met) ? UnitLight.green : .yellow)
        return (unit(id), QuarterJudgement(unitId: id, quarter: q("2026Q2"), light: judged, checks: checks, judgedOn: date("2026-07-10")))
    }

    @Test func theRanking_ordersByTargetsMet_thenByMoneySpent_andTiesShareAPlace() {
        let ranks = UnitRanking.rank([
            Self.ranked("DW00000003", spent: 3 * Self.target, of: Self.target, milestones: 1, met: 0), // half met, spent 300%
            Self.ranked("DW00000002", spent: Self.target, of: Self.target, milestones: 1, met: 1),     // all met, spent 100%
            Self.ranked("DW00000004", spent: 12_000_000, of: Self.target, milestones: 1, met: 1),      // all met, spent 120%
            Self.ranked("DW00000001", spent: 2 * Self.target, of: 2 * Self.target, milestones: 2, met: 2), // all met, spent 100%
        ])
        #expect(ranks.map(\.place) == [1, 2, 2, 4])
        #expect(ranks.map(\.unit.id) == ["DW00000004", "DW00000001", "DW00000002", "DW00000003"])
    }

    @Test func unitsWithoutALight_areLeftOutOfTheRanking() {
        let ranks = UnitRanking.rank([
            Self.ranked("DW00000001", spent: 0, of: 0, light: .pending),
            Self.ranked("DW00000002", spent: 0, of: 0, light: .unset),
            Self.ranked("DW00000003", spent: 0, of: Self.target, light: .red),
        ])
        #expect(ranks.map(\.unit.id) == ["DW00000003"])
        #expect(ranks.map(\.place) == [1])
    }

    @Test func aUnitWithNoMoneyTarget_ranksAsHavingSpentAllOfIt() {
        let ranks = UnitRanking.rank([
            Self.ranked("DW00000001", spent: 0, of: 0, milestones: 1, met: 1),
            Self.ranked("DW00000002", spent: Self.target, of: Self.target),
            Self.ranked("DW00000003", spent: Self.target + 1, of: Self.target),
        ])
        #expect(ranks.map(\.unit.id) == ["DW00000003", "DW00000001", "DW00000002"])
        #expect(ranks.map(\.place) == [1, 2, 2])
    }

    @Test func hugeSums_compareExactly() {
        // The first two differ by about 10^-30, far below a double's precision; the last two are both exactly half.
        let ranks = UnitRanking.rank([
            Self.ranked("DW00000001", spent: 999_999_999_999_998, of: 999_999_999_999_999),
            Self.ranked("DW00000002", spent: 999_999_999_999_999, of: 1_000_000_000_000_000),
            Self.ranked("DW00000004", spent: 500_000_000_000_000, of: 1_000_000_000_000_000),
            Self.ranked("DW00000003", spent: 300_000_000_000_000, of: 600_000_000_000_000),
        ])
        #expect(ranks.map(\.unit.id) == ["DW00000002", "DW00000001", "DW00000003", "DW00000004"])
        #expect(ranks.map(\.place) == [1, 2, 3, 3])
    }
}
