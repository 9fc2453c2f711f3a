// What the monitor alerts on of the units and projects (issue 21): a
// yellow light is a 约谈提醒 to the unit's head, a red one 问责, a green one
// nothing (002 Laiwu); a completed project's spending against the original
// value of its assets, at and over the tolerance (003 账账相符).

import Testing
import TaizhangCore

struct SupervisionConditionsTests {
    static let doc = Document(name: "验收报告", kind: "other", sha256: String(repeating: "ab", count: 32))

    static func progress(spent: Int64, reached: ProjectMilestone) -> ProjectProgress {
        let milestones = ProjectMilestone.allCases.prefix(reached.rank + 1).map { MilestoneEntry(milestone: $0, on: CivilDate("2026-03-01")!, document: doc) }
        return ProjectProgress(id: "JL-2026-001", adminCode: "421024101000", unitId: "DW00000001",
                               disbursements: [FundDisbursement(on: CivilDate("2026-02-01")!, source: .linkage, level: .central, amountFen: spent, document: doc)],
                               milestones: Array(milestones))
    }

    static let assets = [ProjectAssetValue(id: "ZC00000001", name: "冷库", originalValueFen: 600_000),
                         ProjectAssetValue(id: "ZC00000002", name: "分拣车间", originalValueFen: 400_000)]

    @Test(arguments: [
        // spent, reached, expected level (nil: the books agree within 100 fen)
        (Int64(1_000_000), ProjectMilestone.completed, AlertLevel?.none),
        (1_000_100, .completed, nil),          // at the tolerance
        (1_000_101, .completed, .yellow),      // one fen over it
        (999_899, .accepted, .yellow),         // under by one fen more than it
        (1_000_101, .handedOver, .red),        // the assets handed over and still apart
        (5_000_000, .started, nil),            // not completed: not compared yet
    ])
    func books_areComparedOnceCompleted_atAndOverTheTolerance(spent: Int64, reached: ProjectMilestone, expected: AlertLevel?) {
        let condition = BooksRules(toleranceFen: 100).condition(Self.progress(spent: spent, reached: reached), projectName: "冷链项目", assets: Self.assets)
        #expect(condition?.level == expected)
        if let condition {
            #expect(condition.kind == .booksMismatch && condition.subjectId == "JL-2026-001" && condition.adminCode == "421024101000")
            let text = condition.reasons.first?.chinese ?? ""
            #expect(text.contains("资金支出\(Yuan.format(spent))") && text.contains("资产原值10,000.00元") && text.contains("ZC00000001、ZC00000002"), "\(text)")
        }
    }

    @Test func aProjectWithNoAssets_isNamedAsSuch() {
        let condition = BooksRules(toleranceFen: 0).condition(Self.progress(spent: 1, reached: .completed), projectName: "x", assets: [])
        #expect(condition?.reasons.first?.chinese.contains("未登记任何资产") == true)
    }

    static func unit(spend: [Int64]) -> (ResponsibleUnit, [String: ProjectProgress]) {
        let unit = ResponsibleUnit(id: "DW00000001", name: "白马镇人民政府", kind: .township, adminCode: "421024101000", head: "张三", headPost: "镇长",
                                   years: [UnitYearTargets(year: 2026, quarters: Array(repeating: QuarterTarget(spendFen: 100), count: 4))])
        let payments = spend.enumerated().filter { $0.element > 0 }.map { index, fen in
            FundDisbursement(on: Quarter(year: 2026, number: index + 1)!.first.adding(days: 5), source: .linkage, level: .central, amountFen: fen, document: doc)
        }
        return (unit, ["JL-2026-001": ProjectProgress(id: "JL-2026-001", adminCode: "421024101000", unitId: "DW00000001", disbursements: payments)])
    }

    @Test func theLastQuarterJudged_yellowIsATalkWithTheHead_redIsAccountability_greenIsNothing() {
        // Today 2026-10-20: 2026Q3 was judged on 2026-10-10.
        let rules = UnitLightRules(judgedDays: 10, today: CivilDate("2026-10-20")!)
        let (yellowUnit, yellowProjects) = Self.unit(spend: [100, 100, 50])
        let yellow = rules.condition(yellowUnit, projects: yellowProjects)
        #expect(yellow?.level == .yellow && yellow?.quarter == "2026Q3" && yellow?.kind == .unitLight && yellow?.subjectId == "DW00000001-2026Q3")
        #expect(yellow?.reasons.last?.code == "talk_due" && yellow?.reasons.last?.chinese.contains("张三（镇长）进行约谈提醒") == true)
        let (redUnit, redProjects) = Self.unit(spend: [100, 0, 0])
        let red = rules.condition(redUnit, projects: redProjects)
        #expect(red?.level == .red && red?.reasons.last?.code == "accountability_due")
        let (greenUnit, greenProjects) = Self.unit(spend: [0, 0, 100])
        #expect(rules.condition(greenUnit, projects: greenProjects) == nil)
        // Before 2026Q3 is judged, the light of 2026Q2 is the one alerted on.
        let early = UnitLightRules(judgedDays: 10, today: CivilDate("2026-10-09")!)
        #expect(early.condition(redUnit, projects: redProjects)?.quarter == "2026Q2")
        #expect(early.condition(redUnit, projects: redProjects)?.level == .yellow)
    }

    @Test func aQuarterIsRecorded_onlyWhenItsYearsTargetsWereSetByItsJudgementDay() {
        let rules = UnitLightRules(judgedDays: 10, today: CivilDate("2026-10-20")!)
        func unit(setAt: String) -> ResponsibleUnit {
            let revision = TargetRevision(on: CivilDate("2026-01-05")!, reason: "", before: [], by: nil, identity: "clerk", recordedAt: setAt)
            return ResponsibleUnit(id: "DW00000001", name: "白马镇人民政府", kind: .township, adminCode: "421024101000", head: "张三",
                                   years: [UnitYearTargets(year: 2026, quarters: Array(repeating: QuarterTarget(spendFen: 100), count: 4), revisions: [revision])])
        }
        let early = unit(setAt: "2026-01-05T02:00:00.000Z")
        #expect([1, 2, 3, 4].map { rules.records(early, Quarter(year: 2026, number: $0)!) } == [true, true, true, false], "Q4 is not judged yet")
        // Set late on 2026-07-09 (China time), the day before 2026Q2's judgement day: Q2 is recorded, Q1 (judged 2026-04-10) is not.
        let midYear = unit(setAt: "2026-07-09T15:30:00.000Z")
        #expect(!rules.records(unit(setAt: "2026-07-09T16:30:00.000Z"), Quarter(year: 2026, number: 2)!), "set on the judgement day itself: too late")
        #expect([1, 2, 3].map { rules.records(midYear, Quarter(year: 2026, number: $0)!) } == [false, true, true])
        var recorded = early
        recorded.judgements = [rules.judge(early, Quarter(year: 2026, number: 1)!, projects: [:])]
        #expect(!rules.records(recorded, Quarter(year: 2026, number: 1)!), "recorded once")
    }
}
