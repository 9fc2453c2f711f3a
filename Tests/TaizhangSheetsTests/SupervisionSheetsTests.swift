// The quarter's ranking 一季一评比 and the half-year page 半年一晾晒 (issue 21):
// what they say, in Chinese and English, escaped, with the follow-up of
// each light's alert (约谈, 问责) on the half it belongs to.

import Foundation
import Testing
import TaizhangProto
@testable import TaizhangSheets

struct SupervisionSheetsTests {
    static func light(_ quarter: String, _ light: Taizhang_Supervision_V1_Light, missed: String = "") -> Taizhang_Supervision_V1_QuarterLight {
        .with {
            $0.quarter = quarter; $0.light = light
            if !missed.isEmpty { $0.reasons = [.with { $0.code = "spending_short"; $0.zh = missed; $0.en = "short" }, .with { $0.code = "talk_due"; $0.zh = "约谈提醒" }] }
        }
    }

    static let ranking = Taizhang_Supervision_V1_RankUnitsResponse.with {
        $0.quarter = "2026Q2"; $0.unitsRanked = 3
        $0.ranks = [
            .with { $0.place = 1; $0.unitID = "DW00000002"; $0.unitName = "沙岗镇人民政府"; $0.kind = .township; $0.light = light("2026Q2", .green)
                    $0.targets = 1; $0.targetsMet = 1; $0.spendTargetFen = 100_000; $0.spentFen = 150_000 },
            .with { $0.place = 2; $0.unitID = "DW00000001"; $0.unitName = "熊河镇<script>"; $0.kind = .township
                    $0.light = light("2026Q2", .yellow, missed: "资金支出差5,000.00元"); $0.targets = 1; $0.spendTargetFen = 100_000; $0.spentFen = 50_000 },
        ]
    }

    @Test func theRanking_asCSV_hasAColumnPerFigure_andNamesWhatWasMissed() {
        let rows = UnitRankingSheet.rows(Self.ranking)
        #expect(rows[0].first == "名次" && rows[0].contains("未完成事项"))
        #expect(rows[1] == ["1", "DW00000002", "沙岗镇人民政府", "乡镇", "绿灯", "1", "1", "1000.00", "1500.00", ""])
        #expect(rows[2][4] == "黄灯" && rows[2][9] == "资金支出差5,000.00元", "the talk due is not a thing missed")
        #expect(UnitRankingSheet.rows(Self.ranking, english: true)[2][4] == "yellow")
    }

    @Test func theRanking_asAPage_isEscapedAndSaysHowMany() {
        let page = UnitRankingSheet.html(Self.ranking, countyName: "江陵县")
        #expect(page.contains("<h1>江陵县项目资金使用和项目实施责任单位2026年第二季度评比</h1>"))
        #expect(page.contains("共3个单位"))
        #expect(!page.contains("<script>") && page.contains("熊河镇&lt;script&gt;"))
    }

    @Test func theHalfYearPage_showsEachUnitsTwoLights_andWhatWasDoneAboutThem() {
        let lights = Taizhang_Supervision_V1_UnitLights.with {
            $0.unit = .with { $0.id = "DW00000001"; $0.name = "熊河镇人民政府"; $0.head = "张三"; $0.headPost = "镇长" }
            $0.year = 2026
            $0.quarters = [Self.light("2026Q1", .green), Self.light("2026Q2", .yellow, missed: "资金支出差5,000.00元"),
                           Self.light("2026Q3", .red, missed: "连续两个季度"), Self.light("2026Q4", .pending)]
        }
        let talked = Taizhang_Risk_V1_Alert.with {
            $0.quarter = "2026Q2"; $0.subjectID = "DW00000001-2026Q2"
            $0.followUp = .with { $0.state = "closed"; $0.stateZh = "已销号"; $0.talks = [.with { $0.date = "2026-07-20"; $0.interviewer = "副县长"; $0.interviewee = "张三" }] }
        }
        let later = Taizhang_Risk_V1_Alert.with { $0.quarter = "2026Q3"; $0.followUp = .with { $0.stateZh = "待签收" } }
        let rows = HalfYearPage.rows([HalfYearUnit(lights: lights, alerts: [talked, later])], half: "2026H1")
        #expect(rows[1] == ["1", "熊河镇人民政府", "张三（镇长）", "绿灯", "黄灯", "2026年第二季度：资金支出差5,000.00元",
                            "2026年第二季度预警已销号，2026-07-20 副县长约谈张三"], "\(rows[1])")
        let page = HalfYearPage.html([HalfYearUnit(lights: lights, alerts: [talked, later])], half: "2026H1", countyName: "江陵县")
        #expect(page.contains("2026年上半年") && page.contains("绿灯1个、黄灯1个、红灯0个"), "the second half's red is not this page's")
        #expect(HalfYearPage.quarters("2026H2") == ["2026Q3", "2026Q4"] && HalfYearPage.quarters("2026H3") == nil && HalfYearPage.quarters("26H1") == nil)
    }
}
