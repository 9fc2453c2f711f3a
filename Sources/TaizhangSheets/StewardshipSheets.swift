// The write-off ledger 核销登记台账 (004 §24–27) and distribution plans
// 收益分配方案 (004 §28–31) as CSV for the county's spreadsheets and as
// printable HTML for the notice board 公示栏. Self-contained pages (no
// scripts, no external files), A4 when printed; Chinese by default.

import TaizhangProto

/// The names of the stewardship enums (index = the proto number − 1).
extension Names {
    public static let disposalReason = Names(names: ["自然灾害", "意外事故", "发展规划需要", "损耗", "报废", "盘亏"])
    static let disposalReasonEnglish = ["natural disaster", "accident", "planning", "wear", "scrapping", "stock-take loss"]
    public static let disposalMethod = Names(names: ["拍卖", "转让", "报废"])
    static let disposalMethodEnglish = ["auction", "transfer", "scrap"]
    public static let approvalLevel = Names(names: ["乡镇", "县直主管部门", "县扶贫办（乡村振兴局）", "县财政局"])
    static let approvalLevelEnglish = ["township", "county department", "county poverty office", "county finance"]
    public static let purpose = Names(names: ["无劳动能力或弱劳动能力脱贫户", "公益岗位", "壮大村集体经济", "村内公益事业", "预留", "其他农户"])
    static let purposeEnglish = ["households without labour capacity", "public-welfare jobs", "collective economy", "public works", "reserve", "other households"]
    public static let planStage = Names(names: ["村两委研究", "村民代表大会审议通过", "公示无异议", "乡镇审核同意", "报县备案", "落实"])
    static let planStageEnglish = ["drafted", "passed by the assembly", "published", "approved by the township", "filed with the county", "carried out"]

    /// The Chinese or English name of proto value `raw`.
    static func pick(_ names: Names, _ english: [String], _ raw: Int, _ inEnglish: Bool) -> String {
        inEnglish ? (raw >= 1 && raw <= english.count ? english[raw - 1] : "") : names.name(of: raw)
    }
}

/// The write-off ledger 核销登记台账.
public enum WriteOffLedger {
    static let columns: [(String, String)] = [
        ("序号", "No."), ("处置编号", "Disposal"), ("资产ID", "Asset ID"), ("资产编号", "Asset number"), ("资产名称", "Asset name"),
        ("资产类别", "Category"), ("区划代码", "Admin code"), ("原始价值(元)", "Original (yuan)"), ("处置时净值(元)", "Net at disposal (yuan)"),
        ("处置原因", "Reason"), ("处置方式", "Method"), ("评估机构", "Appraiser"), ("评估价值(元)", "Appraised (yuan)"),
        ("评估日期", "Appraised on"), ("审批情况", "Approvals"), ("评估结果公开日期", "Valuation published"),
        ("处置收入(元)", "Proceeds (yuan)"), ("低于评估价原因", "Why below the appraisal"), ("处置日期", "Disposed on"), ("盘点编号", "Stock-take"),
    ]

    /// The header and one row per entry; money in yuan with two decimals.
    public static func rows(_ entries: [Taizhang_Ledger_V1_Disposal], english: Bool = false) -> [[String]] {
        var out = [columns.map { english ? $0.1 : $0.0 }]
        for (index, entry) in entries.enumerated() {
            out.append(cells(entry, number: index + 1, english: english).map(LedgerSheet.text))
        }
        return out
    }

    static func cells(_ entry: Taizhang_Ledger_V1_Disposal, number: Int, english: Bool) -> [String] {
        let approvals = entry.approvals.map { approval in
            "\(Names.pick(.approvalLevel, Names.approvalLevelEnglish, approval.level.rawValue, english)) \(approval.by) \(approval.date)"
        }.joined(separator: english ? "; " : "；")
        let category = english ? (entry.category.rawValue >= 1 && entry.category.rawValue <= Names.categoryEnglish.count ? Names.categoryEnglish[entry.category.rawValue - 1] : "")
                               : Names.category.name(of: entry.category.rawValue)
        return [
            String(number), entry.id, entry.assetID, entry.assetCode, entry.assetName, category, entry.adminCode,
            Money.yuan(entry.originalValueFen), Money.yuan(entry.netValueFen),
            Names.pick(.disposalReason, Names.disposalReasonEnglish, entry.reason.rawValue, english),
            Names.pick(.disposalMethod, Names.disposalMethodEnglish, entry.method.rawValue, english),
            entry.hasAppraisal ? entry.appraisal.appraiser : "", entry.hasAppraisal ? Money.yuan(entry.appraisal.valueFen) : "",
            entry.hasAppraisal ? entry.appraisal.date : "", approvals, entry.valuationPublishedOn, Money.yuan(entry.proceedsFen),
            entry.belowAppraisalReason, entry.date, entry.stockTakeID,
        ]
    }

    /// A printable page of the entries with their totals.
    public static func html(_ entries: [Taizhang_Ledger_V1_Disposal], unitName: String, asOf: String, english: Bool = false) -> String {
        let title = english ? "Write-off ledger of poverty-alleviation project assets: \(unitName)" : "\(unitName)扶贫项目资产核销登记台账"
        let shown = [0, 1, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 16, 18]
        var out = HTMLPage.head(title: title, english: english, landscape: true)
        out += "<p class=\"meta\">\(NoticePage.escape(english ? "As of \(asOf)" : "截至 \(asOf)"))</p>\n<table>\n<thead><tr>"
        out += shown.map { "<th>\(NoticePage.escape(english ? columns[$0].1 : columns[$0].0))</th>" }.joined()
        out += "</tr></thead>\n<tbody>\n"
        var original: Int64 = 0
        var net: Int64 = 0
        var proceeds: Int64 = 0
        let money: Set<Int> = [7, 8, 12, 16]
        for (index, entry) in entries.enumerated() {
            let row = cells(entry, number: index + 1, english: english)
            out += "<tr>" + shown.map { "<td\(money.contains($0) || $0 == 0 ? " class=\"n\"" : "")>\(NoticePage.escape(row[$0]))</td>" }.joined() + "</tr>\n"
            original = Money.add(original, entry.originalValueFen)
            net = Money.add(net, entry.netValueFen)
            proceeds = Money.add(proceeds, entry.proceedsFen)
        }
        out += "</tbody>\n<tfoot><tr><td colspan=\"5\">\(NoticePage.escape(english ? "Total: \(entries.count) entries" : "合计：\(entries.count) 项"))</td>"
        out += "<td class=\"n\">\(Money.grouped(original))</td><td class=\"n\">\(Money.grouped(net))</td><td colspan=\"5\"></td>"
        out += "<td class=\"n\">\(Money.grouped(proceeds))</td><td></td></tr></tfoot>\n</table>\n</body>\n</html>\n"
        return out
    }
}

/// A distribution plan for the notice board, and its households as CSV.
public enum DistributionNotice {
    /// One row per household share and one per allocation without households.
    public static func rows(_ plan: Taizhang_Ledger_V1_DistributionPlan, english: Bool = false) -> [[String]] {
        var out = [english ? ["No.", "Plan", "Purpose", "Household", "Amount (yuan)"] : ["序号", "方案编号", "分配用途", "户主姓名", "金额(元)"]]
        var number = 0
        for allocation in plan.allocations {
            let purpose = Names.pick(.purpose, Names.purposeEnglish, allocation.purpose.rawValue, english)
            if allocation.households.isEmpty {
                number += 1
                out.append([String(number), plan.id, purpose, "", Money.yuan(allocation.amountFen)].map(LedgerSheet.text))
            }
            for share in allocation.households {
                number += 1
                out.append([String(number), plan.id, purpose, share.name, Money.yuan(share.amountFen)].map(LedgerSheet.text))
            }
        }
        return out
    }

    /// The plan as a notice: income, deadline, steps taken, allocations and every household's share.
    public static func html(_ plan: Taizhang_Ledger_V1_DistributionPlan, unitName: String, objectionsTo: String = "", english: Bool = false) -> String {
        let escape = NoticePage.escape
        let title = english ? "\(unitName): distribution of poverty-alleviation asset income\(plan.title.isEmpty ? "" : " (\(plan.title))")"
                            : "\(unitName)扶贫项目资产收益分配方案公示\(plan.title.isEmpty ? "" : "（\(plan.title)）")"
        var out = HTMLPage.head(title: title, english: english, landscape: false)
        let meta = english
            ? "Plan \(plan.id): \(Money.grouped(plan.incomeFen)) yuan of income received from \(plan.incomeReceivedOn); to be carried out by \(plan.deadline)"
            : "方案编号 \(plan.id)：分配收益 \(Money.grouped(plan.incomeFen)) 元（\(plan.incomeReceivedOn) 起到账），应于 \(plan.deadline) 前落实"
        out += "<p class=\"meta\">\(escape(meta))</p>\n"
        out += "<h2>\(escape(english ? "Allocations" : "分配构成"))</h2>\n<table>\n<thead><tr>"
        out += (english ? ["Purpose", "Amount (yuan)", "Share", "Households"] : ["分配用途", "金额(元)", "占比", "受益户数"]).map { "<th>\(escape($0))</th>" }.joined()
        out += "</tr></thead>\n<tbody>\n"
        for allocation in plan.allocations {
            let share = plan.incomeFen > 0 ? Money.percent(UInt32(clamping: Int64((Double(allocation.amountFen) * 10_000 / Double(plan.incomeFen)).rounded()))) : ""
            out += "<tr><td>\(escape(Names.pick(.purpose, Names.purposeEnglish, allocation.purpose.rawValue, english)))</td>"
            out += "<td class=\"n\">\(Money.grouped(allocation.amountFen))</td><td class=\"n\">\(escape(share))</td>"
            out += "<td class=\"n\">\(allocation.households.isEmpty ? "" : String(allocation.households.count))</td></tr>\n"
        }
        out += "</tbody>\n<tfoot><tr><td>\(escape(english ? "Total" : "合计"))</td><td class=\"n\">\(Money.grouped(plan.incomeFen))</td><td colspan=\"2\"></td></tr></tfoot>\n</table>\n"
        // The names as written (the CSV's formula defusing is for spreadsheets, not for the board).
        let households = plan.allocations.flatMap { allocation in
            allocation.households.map { (Names.pick(.purpose, Names.purposeEnglish, allocation.purpose.rawValue, english), $0.name, $0.amountFen) }
        }
        if !households.isEmpty {
            out += "<h2>\(escape(english ? "Households" : "受益农户名单"))</h2>\n<table>\n<thead><tr>"
            out += (english ? ["No.", "Purpose", "Household", "Amount (yuan)"] : ["序号", "分配用途", "户主姓名", "金额(元)"]).map { "<th>\(escape($0))</th>" }.joined()
            out += "</tr></thead>\n<tbody>\n"
            for (index, (purpose, name, fen)) in households.enumerated() {
                out += "<tr><td class=\"n\">\(index + 1)</td><td>\(escape(purpose))</td><td>\(escape(name))</td><td class=\"n\">\(Money.grouped(fen))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        out += "<h2>\(escape(english ? "Steps (004 §31)" : "决策程序（政策004 第三十一条）"))</h2>\n<table>\n<thead><tr>"
        out += (english ? ["Step", "Date", "Recorded by"] : ["程序", "日期", "经办"]).map { "<th>\(escape($0))</th>" }.joined()
        out += "</tr></thead>\n<tbody>\n"
        for step in plan.steps {
            var who = step.actor.isEmpty ? step.identity : step.actor
            if step.stage == .planAssemblyPassed, plan.hasAssembly {
                let a = plan.assembly
                who += english ? " (\(a.representativesPresent) of \(a.representativesTotal) representatives present, \(a.poorHouseholdRepresentatives) from poor households)"
                               : "（应到代表\(a.representativesTotal)人，实到\(a.representativesPresent)人，其中脱贫户代表\(a.poorHouseholdRepresentatives)人）"
            }
            out += "<tr><td>\(escape(Names.pick(.planStage, Names.planStageEnglish, step.stage.rawValue, english)))</td><td>\(escape(step.date))</td><td>\(escape(who))</td></tr>\n"
        }
        out += "</tbody>\n</table>\n"
        if !objectionsTo.isEmpty {
            let text = english ? "Objections during the notice period: \(objectionsTo)." : "公示期间如有异议，请向\(objectionsTo)反映。"
            out += "<p class=\"foot\">\(escape(text))</p>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }
}

/// The head of a printable page, up to its title.
enum HTMLPage {
    static func head(title: String, english: Bool, landscape: Bool) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(english ? "en" : "zh-CN")">
        <head>
        <meta charset="utf-8">
        <title>\(NoticePage.escape(title))</title>
        <style>
        @page { size: A4\(landscape ? " landscape" : ""); margin: 12mm; }
        body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 11pt; color: #000; }
        h1 { text-align: center; font-size: 18pt; margin: 0 0 4mm; }
        h2 { font-size: 13pt; margin: 5mm 0 2mm; }
        p.meta { text-align: center; margin: 0 0 4mm; }
        table { border-collapse: collapse; width: 100%; }
        th, td { border: 1px solid #000; padding: 1mm 1.5mm; vertical-align: top; }
        th { background: #eee; }
        td.n { text-align: right; white-space: nowrap; }
        tfoot td { font-weight: bold; }
        thead { display: table-header-group; }
        tr { page-break-inside: avoid; }
        p.foot { margin-top: 5mm; }
        </style>
        </head>
        <body>
        <h1>\(NoticePage.escape(title))</h1>

        """
    }
}

/// A stock-take's count sheet 资产清查盘点表: the CSV that `taizhang
/// stocktake count --csv` reads back (one row per asset in scope, the
/// uncounted ones left blank to be filled in on site), and the printable
/// page with the surplus and the "book equals reality" result.
public enum CountSheet {
    /// The header the count CSV starts with.
    public static func header(english: Bool) -> [String] {
        english ? ["asset_id", "found", "condition", "counted_quantity"] : ["资产ID", "是否找到", "状况", "实盘数量"]
    }

    /// The header and one row per asset in scope.
    public static func rows(_ count: Taizhang_Ledger_V1_StockTake, english: Bool = false) -> [[String]] {
        let lines = Dictionary(count.lines.map { ($0.assetID, $0) }, uniquingKeysWith: { _, last in last })
        return [header(english: english)] + count.scope.map { id in
            guard let line = lines[id] else { return [id, "", "", ""] }
            return [id, line.found ? (english ? "yes" : "是") : (english ? "no" : "否"), line.condition, line.countedQuantity].map(LedgerSheet.text)
        }
    }

    /// The printable count sheet with its surplus and result.
    public static func html(_ count: Taizhang_Ledger_V1_StockTake, unitName: String, english: Bool = false) -> String {
        let escape = NoticePage.escape
        let title = english ? "\(unitName): stock-take of poverty-alleviation project assets, \(count.year)" : "\(unitName)\(count.year)年度扶贫项目资产清查盘点表"
        var out = HTMLPage.head(title: title, english: english, landscape: false)
        var meta = english ? "Count \(count.id), opened \(count.openedOn)" : "盘点编号 \(count.id)，\(count.openedOn) 开始"
        if !count.closedOn.isEmpty { meta += english ? ", closed \(count.closedOn)" : "，\(count.closedOn) 结束" }
        out += "<p class=\"meta\">\(escape(meta))</p>\n<table>\n<thead><tr>"
        out += ([english ? "No." : "序号"] + (english ? ["Asset ID", "Found", "Condition", "Counted quantity"] : ["资产ID", "是否找到", "状况", "实盘数量"]))
            .map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        let lines = Dictionary(count.lines.map { ($0.assetID, $0) }, uniquingKeysWith: { _, last in last })
        for (index, id) in count.scope.enumerated() {
            let line = lines[id]
            let found = line.map { $0.found ? (english ? "yes" : "是") : (english ? "no" : "否") } ?? ""
            out += "<tr><td class=\"n\">\(index + 1)</td>" + [id, found, line?.condition ?? "", line?.countedQuantity ?? ""].map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        out += "</tbody>\n</table>\n"
        if !count.surplus.isEmpty {
            out += "<h2>\(escape(english ? "Surplus (found beyond the book)" : "盘盈"))</h2>\n<table>\n<thead><tr>"
            out += (english ? ["What", "Value (yuan)", "Basis"] : ["名称", "价值(元)", "计价依据"]).map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for surplus in count.surplus {
                let basis = surplus.valueBasis == .surplusAtAppraisal ? (english ? "appraisal" : "评估价值") : (english ? "replacement cost" : "重置成本")
                out += "<tr><td>\(escape(surplus.description_p))</td><td class=\"n\">\(Money.grouped(surplus.valueFen))</td><td>\(escape(basis))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        if count.hasReport {
            let report = count.report
            let text = english
                ? "Result: book \(report.bookEqualsReality ? "equals" : "differs from") reality. \(report.assetsInScope) assets in scope, \(report.found) found, \(report.lost.count) lost\(report.lost.isEmpty ? "" : " (\(report.lost.joined(separator: ", ")))"), \(report.surplusCount) surplus worth \(Money.grouped(report.surplusValueFen)) yuan."
                : "盘点结果：账实\(report.bookEqualsReality ? "相符" : "不符")。应盘 \(report.assetsInScope) 项，找到 \(report.found) 项，盘亏 \(report.lost.count) 项\(report.lost.isEmpty ? "" : "（\(report.lost.joined(separator: "、"))）")，盘盈 \(report.surplusCount) 项，价值 \(Money.grouped(report.surplusValueFen)) 元。"
            out += "<p class=\"foot\">\(escape(text))</p>\n"
        }
        out += "<p class=\"foot\">\(escape(english ? "Counted by: ____________    Checked by: ____________    Date: ____________" : "盘点人：____________    监盘人：____________    日期：____________"))</p>\n"
        out += "</body>\n</html>\n"
        return out
    }
}

/// A plan's household payment sheet 收益分配到户发放签领表 (issue 23): one row
/// per household of the register the plan pays, with the head, the masked
/// ID number, the share and, once carried out, how it was paid; blank
/// columns for the head's signature and thumbprint, which 巡问查比 later
/// compares. Households named by text only have a row without an ID.
public enum PaymentSheet {
    /// One household's row: its share and, from the register, its head and masked ID number.
    public struct Line: Sendable {
        public var householdId: String
        public var headName: String
        public var idNumberMasked: String
        public var amountFen: Int64
        public var paid: String
        public init(householdId: String, headName: String, idNumberMasked: String, amountFen: Int64, paid: String) {
            (self.householdId, self.headName, self.idNumberMasked, self.amountFen, self.paid) = (householdId, headName, idNumberMasked, amountFen, paid)
        }
    }

    static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// The sheet as CSV rows, the header first and the total last.
    public static func rows(_ plan: Taizhang_Ledger_V1_DistributionPlan, lines: [Line], english: Bool = false) -> [[String]] {
        var out = [english ? ["No.", "Plan", "Household", "Head", "ID number", "Amount (yuan)", "Paid by", "Signature", "Thumbprint"]
                           : ["序号", "方案编号", "农户编号", "户主姓名", "身份证号", "金额(元)", "发放方式", "签字", "手印"]]
        for (index, line) in lines.enumerated() {
            out.append([String(index + 1), plan.id, line.householdId, line.headName, line.idNumberMasked, yuan(line.amountFen), line.paid, "", ""])
        }
        out.append([english ? "Total" : "合计", plan.id, "", "", "", yuan(lines.reduce(0) { $0 + $1.amountFen }), "", "", ""])
        return out
    }

    /// The printable page (A4 landscape).
    public static func html(_ plan: Taizhang_Ledger_V1_DistributionPlan, lines: [Line], unitName: String, english: Bool = false) -> String {
        let title = english ? "Household payment sheet of plan \(plan.id)" : "\(unitName)收益分配到户发放签领表"
        var page = HTMLPage.head(title: title, english: english, landscape: true)
        page += "<p class=\"meta\">\(NoticePage.escape(plan.title.isEmpty ? plan.id : plan.title))（\(NoticePage.escape(plan.id))）</p>\n"
        let rows = rows(plan, lines: lines, english: english)
        page += "<table>\n<thead><tr>" + rows[0].map { "<th>\(NoticePage.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows.dropFirst().dropLast() {
            page += "<tr>" + row.enumerated().map { index, cell in
                index == 5 ? "<td class=\"n\">\(NoticePage.escape(cell))</td>" : "<td>\(NoticePage.escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        let total = rows.last ?? []
        page += "</tbody>\n<tfoot><tr><td colspan=\"5\">\(NoticePage.escape(total.first ?? ""))</td><td class=\"n\">\(NoticePage.escape(total.count > 5 ? total[5] : ""))</td><td colspan=\"3\"></td></tr></tfoot>\n</table>\n"
        page += english ? "<p class=\"foot\">The head signs and presses a thumbprint on receiving the share; the village accountant and the village supervision committee countersign.</p>\n"
                        : "<p class=\"foot\">户主领取时本人签字并按手印。发放人：__________　村务监督委员会：__________　日期：__________</p>\n"
        return page + "</body>\n</html>\n"
    }
}
