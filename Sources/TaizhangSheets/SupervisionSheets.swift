// The units' lights as county staff read and publish them (issue 21; 002
// Laiwu): the quarter's ranking 一季一评比 as CSV and as a printable page,
// and the half-year page 半年一晾晒 to publish: each unit, its lights for the
// half's two quarters, what it missed and what was done about it (the
// follow-up of its light's alert: talks 约谈, decisions on accountability
// 问责, rectification, 销号). Self-contained pages, A4 when printed;
// Chinese by default.

import TaizhangProto

/// The names of the supervision enums (index = the proto number − 1).
extension Names {
    public static let unitKind = Names(names: ["乡镇", "县直部门"])
    static let unitKindEnglish = ["township", "county department"]
    public static let light = Names(names: ["待评", "未设目标", "绿灯", "黄灯", "红灯"])
    static let lightEnglish = ["pending", "no targets", "green", "yellow", "red"]
    public static let milestone = Names(names: ["立项批复", "招标", "签订合同", "开工", "完工", "验收", "资产移交"])
    static let milestoneEnglish = ["approved", "tendered", "contract signed", "started", "completed", "accepted", "handed over"]
}

/// The quarter's ranking of the responsible units 一季一评比.
public enum UnitRankingSheet {
    static let columns: [(String, String)] = [
        ("名次", "Place"), ("单位编号", "Unit"), ("责任单位", "Name"), ("类别", "Kind"), ("亮灯", "Light"), ("目标数", "Targets"),
        ("完成数", "Met"), ("支出目标(元)", "Spending target (yuan)"), ("当季支出(元)", "Spent (yuan)"), ("未完成事项", "Missed"),
    ]

    /// What a unit missed, as one line of text.
    static func missed(_ light: Taizhang_Supervision_V1_QuarterLight, english: Bool) -> String {
        light.reasons.filter { !["targets_met", "talk_due", "accountability_due"].contains($0.code) }
            .map { english ? $0.en : $0.zh }.joined(separator: english ? "; " : "；")
    }

    static func cells(_ rank: Taizhang_Supervision_V1_UnitRank, english: Bool) -> [String] {
        [String(rank.place), rank.unitID, rank.unitName, Names.pick(.unitKind, Names.unitKindEnglish, rank.kind.rawValue, english),
         Names.pick(.light, Names.lightEnglish, rank.light.light.rawValue, english), String(rank.targets), String(rank.targetsMet),
         Money.yuan(rank.spendTargetFen), Money.yuan(rank.spentFen), missed(rank.light, english: english)]
    }

    /// The header and one row per unit, in place order.
    public static func rows(_ ranking: Taizhang_Supervision_V1_RankUnitsResponse, english: Bool = false) -> [[String]] {
        [columns.map { english ? $0.1 : $0.0 }] + ranking.ranks.map { cells($0, english: english).map(LedgerSheet.text) }
    }

    /// The printable page.
    public static func html(_ ranking: Taizhang_Supervision_V1_RankUnitsResponse, countyName: String, english: Bool = false) -> String {
        let escape = NoticePage.escape
        let quarter = ranking.quarter
        let title = english ? "\(countyName): ranking of the units responsible for projects, \(quarter)"
                            : "\(countyName)项目资金使用和项目实施责任单位\(SupervisionText.quarterChinese(quarter))评比"
        var out = HTMLPage.head(title: title, english: english, landscape: true)
        let meta = english ? "\(ranking.unitsRanked) units ranked by the share of their targets met, then by spending against the target"
                           : "共\(ranking.unitsRanked)个单位，按目标完成比例、再按资金支出进度排名（一季一督导一评比）"
        out += "<p class=\"meta\">\(escape(meta))</p>\n<table>\n<thead><tr>"
        out += columns.map { "<th>\(escape(english ? $0.1 : $0.0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for rank in ranking.ranks {
            let row = cells(rank, english: english)
            out += "<tr>" + row.enumerated().map { index, text in
                "<td\([0, 5, 6, 7, 8].contains(index) ? " class=\"n\"" : "")>\(escape(text))</td>"
            }.joined() + "</tr>\n"
        }
        out += "</tbody>\n</table>\n</body>\n</html>\n"
        return out
    }
}

/// One unit on the half-year page: its lights and its lights' alerts.
public struct HalfYearUnit: Sendable {
    public var lights: Taizhang_Supervision_V1_UnitLights
    /// The unit_light alerts about it, with their follow-up.
    public var alerts: [Taizhang_Risk_V1_Alert]

    public init(lights: Taizhang_Supervision_V1_UnitLights, alerts: [Taizhang_Risk_V1_Alert]) {
        self.lights = lights
        self.alerts = alerts
    }
}

/// The half-year page to publish 半年一晾晒.
public enum HalfYearPage {
    static let columns: [(String, String)] = [
        ("序号", "No."), ("责任单位", "Unit"), ("负责人", "Head"), ("第一季", "First quarter"), ("第二季", "Second quarter"),
        ("未完成事项", "What was missed"), ("整改和问责情况", "What was done about it"),
    ]

    /// The half's two quarters: "2026H1" → 2026Q1, 2026Q2; nil when not a half.
    public static func quarters(_ half: String) -> [String]? {
        guard half.count == 6, let year = Int(half.prefix(4)), half.dropFirst(4) == "H1" || half.dropFirst(4) == "H2" else { return nil }
        return half.hasSuffix("H1") ? ["\(year)Q1", "\(year)Q2"] : ["\(year)Q3", "\(year)Q4"]
    }

    /// One row per unit.
    static func cells(_ unit: HalfYearUnit, number: Int, quarters: [String], english: Bool) -> [String] {
        let lights = quarters.map { quarter in unit.lights.quarters.first { $0.quarter == quarter } }
        let shown = lights.map { light in light.map { Names.pick(.light, Names.lightEnglish, $0.light.rawValue, english) } ?? "" }
        let missed = lights.compactMap { $0 }.filter { [.yellow, .red].contains($0.light) }
            .map { light in (english ? "\(light.quarter): " : "\(SupervisionText.quarterChinese(light.quarter))：") + UnitRankingSheet.missed(light, english: english) }
        let alerts = unit.alerts.filter { quarters.contains($0.quarter) }
        let done = alerts.map { SupervisionText.followUp($0, english: english) }
        let head = unit.lights.unit.head + (unit.lights.unit.headPost.isEmpty ? "" : (english ? " (\(unit.lights.unit.headPost))" : "（\(unit.lights.unit.headPost)）"))
        return [String(number), unit.lights.unit.name, head] + shown
            + [missed.joined(separator: english ? "; " : "；"), done.joined(separator: english ? "; " : "；")]
    }

    /// The header and one row per unit.
    public static func rows(_ units: [HalfYearUnit], half: String, english: Bool = false) -> [[String]] {
        let quarters = quarters(half) ?? []
        return [columns.map { english ? $0.1 : $0.0 }]
            + units.enumerated().map { cells($0.element, number: $0.offset + 1, quarters: quarters, english: english).map(LedgerSheet.text) }
    }

    /// The printable page, with the count of each light.
    public static func html(_ units: [HalfYearUnit], half: String, countyName: String, english: Bool = false) -> String {
        let escape = NoticePage.escape
        let quarters = quarters(half) ?? []
        let year = half.prefix(4)
        let title = english ? "\(countyName): the units' lights for the \(half.hasSuffix("H1") ? "first" : "second") half of \(year)"
                            : "\(countyName)\(year)年\(half.hasSuffix("H1") ? "上" : "下")半年项目资金使用和项目实施责任单位“红黄绿”亮灯情况晾晒"
        var out = HTMLPage.head(title: title, english: english, landscape: true)
        var counts: [Int: Int] = [:]
        for unit in units {
            for light in unit.lights.quarters where quarters.contains(light.quarter) { counts[light.light.rawValue, default: 0] += 1 }
        }
        let green = counts[Taizhang_Supervision_V1_Light.green.rawValue] ?? 0
        let yellow = counts[Taizhang_Supervision_V1_Light.yellow.rawValue] ?? 0
        let red = counts[Taizhang_Supervision_V1_Light.red.rawValue] ?? 0
        let meta = english ? "\(units.count) units; lights over the half's two quarters: \(green) green, \(yellow) yellow, \(red) red"
                           : "共\(units.count)个责任单位；两个季度共亮绿灯\(green)个、黄灯\(yellow)个、红灯\(red)个（半年一观摩一晾晒）"
        out += "<p class=\"meta\">\(escape(meta))</p>\n<table>\n<thead><tr>"
        out += columns.map { "<th>\(escape(english ? $0.1 : $0.0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for (index, unit) in units.enumerated() {
            out += "<tr>" + cells(unit, number: index + 1, quarters: quarters, english: english).enumerated().map { column, text in
                "<td\(column == 0 ? " class=\"n\"" : "")>\(escape(text))</td>"
            }.joined() + "</tr>\n"
        }
        out += "</tbody>\n</table>\n</body>\n</html>\n"
        return out
    }
}

/// Texts shared by the supervision pages.
enum SupervisionText {
    /// "2026Q2" → "2026年第二季度".
    static func quarterChinese(_ quarter: String) -> String {
        guard quarter.count == 6, let number = Int(quarter.suffix(1)), (1...4).contains(number) else { return quarter }
        return "\(quarter.prefix(4))年第\(["一", "二", "三", "四"][number - 1])季度"
    }

    /// What was done about a light's alert: its state, talks, decisions.
    static func followUp(_ alert: Taizhang_Risk_V1_Alert, english: Bool) -> String {
        let followUp = alert.followUp
        var parts = [english ? "\(alert.quarter) \(followUp.state)" : "\(quarterChinese(alert.quarter))预警\(followUp.stateZh)"]
        for talk in followUp.talks {
            parts.append(english ? "talk on \(talk.date) by \(talk.interviewer) with \(talk.interviewee)" : "\(talk.date) \(talk.interviewer)约谈\(talk.interviewee)")
        }
        for decision in followUp.accountability {
            parts.append(english ? "\(decision.decision) of \(decision.person) on \(decision.date)" : "\(decision.date) 对\(decision.person)\(decision.decision)")
        }
        if !followUp.rectification.isEmpty { parts.append(english ? "rectified: \(followUp.rectification)" : "整改：\(followUp.rectification)") }
        return parts.joined(separator: english ? ", " : "，")
    }
}
