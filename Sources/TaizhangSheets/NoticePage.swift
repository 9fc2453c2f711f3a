// A printable HTML page of a unit's asset ledger for the publication notice
// board 公示栏 (004 §15, §19; 003 "一村一册"): the unit, the date, the
// notice period when given, one line per asset with owners and values, the
// totals by category, and where to raise objections. Self-contained (no
// scripts, no external files), A4 landscape when printed.

import TaizhangProto

/// What the notice says besides the assets.
public struct NoticeDetails: Sendable {
    /// e.g. "江陵县熊河镇白马村".
    public var unitName: String
    /// The date the values are as of (YYYY-MM-DD).
    public var asOf: String
    /// The notice period, when the page is a publication notice.
    public var noticeStart: String
    public var noticeEnd: String
    /// Who takes objections, e.g. "县乡村振兴局 0716-1234567".
    public var objectionsTo: String

    public init(unitName: String, asOf: String, noticeStart: String = "", noticeEnd: String = "", objectionsTo: String = "") {
        self.unitName = unitName
        self.asOf = asOf
        self.noticeStart = noticeStart
        self.noticeEnd = noticeEnd
        self.objectionsTo = objectionsTo
    }
}

/// The notice page.
public enum NoticePage {
    /// The page for `assets` (carrying depreciation as of `details.asOf`).
    public static func html(_ assets: [Taizhang_Ledger_V1_Asset], details: NoticeDetails, english: Bool = false) -> String {
        let title = english ? "Poverty-alleviation project assets of \(details.unitName): public notice"
                            : "\(details.unitName)扶贫项目资产公示"
        let columns: [(String, String)] = [("序号", "No."), ("资产编号", "Number"), ("资产名称", "Name"), ("类别", "Category"),
                                           ("坐落位置", "Location"), ("购建时间", "Acquired"), ("数量", "Quantity"),
                                           ("原始价值(元)", "Original (yuan)"), ("累计折旧(元)", "Depreciation (yuan)"),
                                           ("净值(元)", "Net (yuan)"), ("所有权人及份额", "Owners and shares"),
                                           ("管护主体/责任人", "Custodian / responsible"), ("经营方式", "Operation")]
        var out = HTMLPage.head(title: title, english: english, landscape: true)
        var meta = english ? "Values as of \(details.asOf)" : "价值截至 \(details.asOf)"
        if !details.noticeStart.isEmpty {
            meta += english ? "; notice period \(details.noticeStart) to \(details.noticeEnd)"
                            : "；公示期 \(details.noticeStart) 至 \(details.noticeEnd)"
        }
        out += "<p class=\"meta\">\(escape(meta))</p>\n<table>\n<thead><tr>"
        out += columns.map { "<th>\(escape(english ? $0.1 : $0.0))</th>" }.joined()
        out += "</tr></thead>\n<tbody>\n"
        var totals: [Int: (count: Int, original: Int64, depreciation: Int64, net: Int64)] = [:]
        for (index, asset) in assets.enumerated() {
            let owners = asset.owners.map { "\($0.name) \(Money.percent($0.shareBp))" }.joined(separator: "；")
            let custody = [asset.custody.custodian, asset.custody.responsiblePerson].filter { !$0.isEmpty }.joined(separator: " / ")
            let operation = asset.hasOperation
                ? [Names.operation.name(of: asset.operation.mode.rawValue), asset.operation.counterparty].filter { !$0.isEmpty }.joined(separator: " ")
                : ""
            let cells: [(String, Bool)] = [
                (String(index + 1), true), (asset.code, false), (asset.name, false), (Names.category.name(of: asset.category.rawValue), false),
                (asset.adminCode, false), (asset.acquiredDate, false), ("\(asset.quantity) \(asset.unit)", false),
                (Money.grouped(asset.originalValueFen), true), (Money.grouped(asset.accumulatedDepreciationFen), true),
                (Money.grouped(asset.netValueFen), true), (owners, false), (custody, false), (operation, false),
            ]
            out += "<tr>" + cells.map { "<td\($0.1 ? " class=\"n\"" : "")>\(escape($0.0))</td>" }.joined() + "</tr>\n"
            var sum = totals[asset.category.rawValue] ?? (0, 0, 0, 0)
            sum.count += 1
            sum.original = Money.add(sum.original, asset.originalValueFen)
            sum.depreciation = Money.add(sum.depreciation, asset.accumulatedDepreciationFen)
            sum.net = Money.add(sum.net, asset.netValueFen)
            totals[asset.category.rawValue] = sum
        }
        out += "</tbody>\n<tfoot>\n"
        var grand: (count: Int, original: Int64, depreciation: Int64, net: Int64) = (0, 0, 0, 0)
        for raw in totals.keys.sorted() {
            let sum = totals[raw]!
            grand = (grand.count + sum.count, Money.add(grand.original, sum.original), Money.add(grand.depreciation, sum.depreciation),
                     Money.add(grand.net, sum.net))
            let name = english ? (raw >= 1 && raw <= Names.categoryEnglish.count ? Names.categoryEnglish[raw - 1] : "other")
                               : (Names.category.name(of: raw).isEmpty ? "其他" : Names.category.name(of: raw))
            let label = english ? "\(name): \(sum.count)" : "\(name)小计：\(sum.count) 项"
            out += footRow(label, sum.original, sum.depreciation, sum.net, span: 7, trailing: 3)
        }
        let label = english ? "Total: \(grand.count) assets" : "合计：\(grand.count) 项"
        out += footRow(label, grand.original, grand.depreciation, grand.net, span: 7, trailing: 3)
        out += "</tfoot>\n</table>\n"
        if !details.objectionsTo.isEmpty {
            let text = english ? "Objections during the notice period: \(details.objectionsTo)."
                               : "公示期间如有异议，请向\(details.objectionsTo)反映。"
            out += "<p class=\"foot\">\(escape(text))</p>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    static func footRow(_ label: String, _ original: Int64, _ depreciation: Int64, _ net: Int64, span: Int, trailing: Int) -> String {
        "<tr><td colspan=\"\(span)\">\(escape(label))</td><td class=\"n\">\(Money.grouped(original))</td>"
            + "<td class=\"n\">\(Money.grouped(depreciation))</td><td class=\"n\">\(Money.grouped(net))</td>"
            + "<td colspan=\"\(trailing)\"></td></tr>\n"
    }

    /// Text safe inside HTML elements and attribute values.
    public static func escape(_ text: String) -> String {
        // By scalar, not by Character: a combining or prepended scalar must
        // not hide a "<" inside a grapheme cluster.
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}

extension Names {
    static let categoryEnglish = ["public welfare", "operating", "household"]
}

extension Money {
    /// A sum held at the 64-bit bounds instead of trapping.
    public static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? Int64.min : Int64.max) : sum
    }

    /// 123456789 → "1,234,567.89", for reading.
    public static func grouped(_ fen: Int64) -> String {
        let plain = yuan(fen)
        let negative = plain.hasPrefix("-")
        let body = negative ? String(plain.dropFirst()) : plain
        let parts = body.split(separator: ".")
        var grouped = ""
        for (index, character) in parts[0].reversed().enumerated() {
            if index > 0, index % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (negative ? "-" : "") + String(grouped.reversed()) + "." + parts[1]
    }
}
