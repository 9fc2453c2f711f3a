// What the risk monitor alerts on of the units and projects (issue 21): a
// unit whose light for the last quarter judged is yellow (约谈提醒 to its
// head) or red (问责), and a project past completion whose spending and the
// original value of the assets it produced disagree by more than the
// tolerance (003 两线合一、账账相符). Pure: no I/O.

/// An asset a project produced, as the books comparison reads it.
public struct ProjectAssetValue: Sendable, Hashable {
    public var id: String
    public var name: String
    public var originalValueFen: Int64

    public init(id: String, name: String, originalValueFen: Int64) {
        self.id = id
        self.name = name
        self.originalValueFen = originalValueFen
    }
}

extension UnitLightRules {
    /// The subject of a unit's light for a quarter: "DW00000001-2026Q2".
    public static func subject(_ unitId: String, _ quarter: Quarter) -> String { "\(unitId)-\(quarter)" }

    /// The unit_light condition of `unit` now: its light for the latest
    /// quarter judged, when yellow or red; nil otherwise. Each quarter's
    /// light is an alert of its own (subject "DW00000001-2026Q2"), followed
    /// up on its own: a second red after a closed 问责 asks for another.
    public func condition(_ unit: ResponsibleUnit, projects: [String: ProjectProgress]) -> AlertCondition? {
        let quarter = latestJudged
        let judgement = judge(unit, quarter, projects: projects)
        guard let level = judgement.light.alertLevel else { return nil }
        let head = unit.head + unit.headPost.prefixed("（", "）")
        let action = level == .red
            ? RiskReason("accountability_due", "红灯：对\(unit.name)严考核、严问责，负责人\(head)", "red: \(unit.name) is held to account (问责); its head is \(unit.head)")
            : RiskReason("talk_due", "黄灯：对\(unit.name)负责人\(head)进行约谈提醒", "yellow: a reminder talk (约谈提醒) with \(unit.name)'s head, \(unit.head)")
        return AlertCondition(kind: .unitLight, subjectId: Self.subject(unit.id, quarter), subjectName: unit.name, adminCode: unit.adminCode, level: level,
                              quarter: quarter.description, reasons: judgement.reasons + [action])
    }
}

/// 账账相符: a project's books against its assets'.
public struct BooksRules: Sendable {
    /// The difference allowed, in fen.
    public let toleranceFen: Int64

    public init(toleranceFen: Int64) {
        self.toleranceFen = toleranceFen
    }

    /// Assets a reason names by id at most.
    static let namedAssetsMax = 10

    /// The books_mismatch condition of a project: compared once it is
    /// completed (yellow while the assets may still be registered, red once
    /// they are handed over); nil when the difference is within the tolerance.
    public func condition(_ progress: ProjectProgress, projectName: String, assets: [ProjectAssetValue]) -> AlertCondition? {
        guard let stage = progress.stage, stage >= .completed else { return nil }
        let spent = progress.spentFen()
        let value = assets.reduce(Int64(0)) { $0.saturatingAdd($1.originalValueFen) }
        let difference = spent >= value ? spent - value : value - spent
        guard difference > toleranceFen else { return nil }
        let named = assets.prefix(Self.namedAssetsMax).map(\.id)
        let list = named.isEmpty ? "未登记任何资产" : "\(assets.count)项：\(named.joined(separator: "、"))\(assets.count > named.count ? "等" : "")"
        let listEnglish = named.isEmpty ? "no assets registered" : "\(assets.count): \(named.joined(separator: ", "))\(assets.count > named.count ? ", …" : "")"
        return AlertCondition(kind: .booksMismatch, subjectId: progress.id, subjectName: projectName, adminCode: progress.adminCode,
                              level: stage >= .handedOver ? .red : .yellow, quarter: "", reasons: [.init("books_mismatch",
            "项目\(progress.id)已\(stage.chineseName)，资金支出\(Yuan.format(spent))，形成资产原值\(Yuan.format(value))（\(list)），相差\(Yuan.format(difference))，超过容差\(Yuan.format(toleranceFen))",
            "project \(progress.id) is \(stage.rawValue): it spent \(Yuan.format(spent)); the assets it produced are worth \(Yuan.format(value)) at original value (\(listEnglish)); they differ by \(Yuan.format(difference)), over the tolerance of \(Yuan.format(toleranceFen))")])
    }
}

extension String {
    /// The text between `open` and `close`, or "" when empty.
    func prefixed(_ open: String, _ close: String) -> String { isEmpty ? "" : open + self + close }
}
