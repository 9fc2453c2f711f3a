// The asset ledger as the spreadsheet counties keep (台账, 004 §18 附件2):
// one row per asset under Chinese column headers. Export writes every
// column; import reads the input columns (by Chinese or English header, in
// any order) and ignores the output-only ones (累计折旧, 净值, 系统编号,
// 阶段). Money is in yuan with at most two decimals, read exactly into fen.

import TaizhangProto

/// A column of the ledger sheet.
public enum LedgerColumn: String, CaseIterable, Sendable {
    case serial, code, name, category, subType, form, projectId, adminCode, acquiredDate, usefulLifeYears
    case usageStatus, quantity, unit, originalValue, valueBasis, funding, accumulatedDepreciation, netValue
    case owners, user, beneficiary, custodian, responsiblePerson, contact, upkeepFunding, supervisingDepartment
    case operationMode, counterparty, annualFee, termStart, termEnd, documents, coordinates, note, assetId, stage

    /// The header county staff write.
    public var chinese: String {
        switch self {
        case .serial: return "序号"
        case .code: return "资产编号"
        case .name: return "资产名称"
        case .category: return "资产类别"
        case .subType: return "资产子类"
        case .form: return "资产形态"
        case .projectId: return "项目编号"
        case .adminCode: return "坐落位置代码"
        case .acquiredDate: return "购建时间"
        case .usefulLifeYears: return "预计使用年限"
        case .usageStatus: return "使用状况"
        case .quantity: return "数量"
        case .unit: return "计量单位"
        case .originalValue: return "原始价值(元)"
        case .valueBasis: return "价值确定方式"
        case .funding: return "资金来源构成"
        case .accumulatedDepreciation: return "累计折旧(元)"
        case .netValue: return "净值(元)"
        case .owners: return "所有权人"
        case .user: return "使用权人"
        case .beneficiary: return "收益权人"
        case .custodian: return "管护主体"
        case .responsiblePerson: return "管护责任人"
        case .contact: return "联系方式"
        case .upkeepFunding: return "管护经费来源"
        case .supervisingDepartment: return "主管部门"
        case .operationMode: return "经营方式"
        case .counterparty: return "经营主体"
        case .annualFee: return "年收益(元)"
        case .termStart: return "经营起始日期"
        case .termEnd: return "经营终止日期"
        case .documents: return "档案资料"
        case .coordinates: return "坐标"
        case .note: return "备注"
        case .assetId: return "系统编号"
        case .stage: return "阶段"
        }
    }

    /// The header in English.
    public var english: String {
        switch self {
        case .serial: return "No."
        case .code: return "Asset number"
        case .name: return "Name"
        case .category: return "Category"
        case .subType: return "Sub-type"
        case .form: return "Form"
        case .projectId: return "Project"
        case .adminCode: return "Location code"
        case .acquiredDate: return "Acquired"
        case .usefulLifeYears: return "Useful life (years)"
        case .usageStatus: return "Usage status"
        case .quantity: return "Quantity"
        case .unit: return "Unit"
        case .originalValue: return "Original value (yuan)"
        case .valueBasis: return "Value basis"
        case .funding: return "Funding"
        case .accumulatedDepreciation: return "Accumulated depreciation (yuan)"
        case .netValue: return "Net value (yuan)"
        case .owners: return "Owners"
        case .user: return "User"
        case .beneficiary: return "Beneficiary"
        case .custodian: return "Custodian"
        case .responsiblePerson: return "Responsible person"
        case .contact: return "Contact"
        case .upkeepFunding: return "Upkeep funding"
        case .supervisingDepartment: return "Supervising department"
        case .operationMode: return "Operation mode"
        case .counterparty: return "Operator"
        case .annualFee: return "Annual fee (yuan)"
        case .termStart: return "Term start"
        case .termEnd: return "Term end"
        case .documents: return "Documents"
        case .coordinates: return "Coordinates"
        case .note: return "Note"
        case .assetId: return "Asset id"
        case .stage: return "Stage"
        }
    }

    /// Written on export, ignored on import.
    public var outputOnly: Bool {
        [.serial, .accumulatedDepreciation, .netValue, .assetId, .stage].contains(self)
    }

    /// Required on import.
    public var required: Bool {
        [.name, .category, .projectId, .adminCode, .acquiredDate, .originalValue, .funding].contains(self)
    }

    /// The column a field of `taizhang.ledger.v1.Asset` is read from, for
    /// putting the daemon's violations back on the sheet.
    public static func column(ofAssetField field: String) -> LedgerColumn? {
        let head = field.split(separator: ".").first.map { String($0.split(separator: "[").first ?? "") } ?? field
        switch head {
        case "code": return .code
        case "name": return .name
        case "category": return .category
        case "sub_type": return .subType
        case "form": return .form
        case "project_id": return .projectId
        case "admin_code": return .adminCode
        case "acquired_date": return .acquiredDate
        case "useful_life_years": return .usefulLifeYears
        case "usage_status": return .usageStatus
        case "quantity": return .quantity
        case "unit": return .unit
        case "original_value_fen": return .originalValue
        case "value_basis": return .valueBasis
        case "funding": return .funding
        case "owners": return .owners
        case "user": return .user
        case "beneficiary": return .beneficiary
        case "custody":
            if field.hasSuffix("responsible_person") { return .responsiblePerson }
            if field.hasSuffix("contact") { return .contact }
            if field.hasSuffix("upkeep_funding") { return .upkeepFunding }
            return .custodian
        case "supervising_department": return .supervisingDepartment
        case "operation":
            if field.hasSuffix("counterparty") { return .counterparty }
            if field.hasSuffix("annual_fee_fen") { return .annualFee }
            if field.hasSuffix("term_start") { return .termStart }
            if field.hasSuffix("term_end") { return .termEnd }
            return .operationMode
        case "documents": return .documents
        case "coordinates": return .coordinates
        case "note": return .note
        default: return nil
        }
    }
}

/// A cell that could not be read.
public struct CellProblem: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: LedgerColumn?
    public var message: String

    public init(line: Int, column: LedgerColumn?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        if let column { return "line \(line), \(column.chinese): \(message)" }
        return "line \(line): \(message)"
    }
}

/// Rows read from a sheet.
public struct ImportedSheet: Sendable {
    /// The assets, in file order, with the line each came from.
    public var rows: [(line: Int, asset: Taizhang_Ledger_V1_Asset)]
    public var problems: [CellProblem]
}

/// Converting between the sheet and the wire's assets.
public enum LedgerSheet {
    /// Export: the header and one row per asset (already carrying its
    /// depreciation as of the export date, as the daemon sends it).
    public static func rows(_ assets: [Taizhang_Ledger_V1_Asset], english: Bool = false) -> [[String]] {
        var rows: [[String]] = [LedgerColumn.allCases.map { english ? $0.english : $0.chinese }]
        for (index, asset) in assets.enumerated() {
            // Every cell is guarded, list cells included.
            rows.append(LedgerColumn.allCases.map { text(cell($0, of: asset, serial: index + 1)) })
        }
        return rows
    }

    static func cell(_ column: LedgerColumn, of asset: Taizhang_Ledger_V1_Asset, serial: Int) -> String {
        switch column {
        case .serial: return String(serial)
        case .code: return asset.code
        case .name: return asset.name
        case .category: return Names.category.name(of: asset.category.rawValue)
        case .subType: return asset.subType
        case .form: return Names.form.name(of: asset.form.rawValue)
        case .projectId: return asset.projectID
        case .adminCode: return asset.adminCode
        case .acquiredDate: return asset.acquiredDate
        case .usefulLifeYears: return String(asset.usefulLifeYears)
        case .usageStatus: return Names.usage.name(of: asset.usageStatus.rawValue)
        case .quantity: return asset.quantity
        case .unit: return asset.unit
        case .originalValue: return Money.yuan(asset.originalValueFen)
        case .valueBasis: return Names.valueBasis.name(of: asset.valueBasis.rawValue)
        case .funding:
            return asset.funding.map { "\(Names.funding.name(of: $0.source.rawValue)):\(Money.yuan($0.amountFen))" }.joined(separator: ";")
        case .accumulatedDepreciation: return Money.yuan(asset.accumulatedDepreciationFen)
        case .netValue: return Money.yuan(asset.netValueFen)
        case .owners:
            // A household of the register (issue 23) as a fifth part.
            return asset.owners.map {
                "\(clean($0.name))/\(Names.owner.name(of: $0.kind.rawValue))/\($0.adminCode)/\(Money.percent($0.shareBp))" + ($0.householdID.isEmpty ? "" : "/" + $0.householdID)
            }.joined(separator: ";")
        case .user: return asset.user
        case .beneficiary: return asset.beneficiary
        case .custodian: return asset.custody.custodian
        case .responsiblePerson: return asset.custody.responsiblePerson
        case .contact: return asset.custody.contact
        case .upkeepFunding: return asset.custody.upkeepFunding
        case .supervisingDepartment: return asset.supervisingDepartment
        case .operationMode: return asset.hasOperation ? Names.operation.name(of: asset.operation.mode.rawValue) : ""
        case .counterparty: return asset.hasOperation ? asset.operation.counterparty : ""
        case .annualFee: return asset.hasOperation ? Money.yuan(asset.operation.annualFeeFen) : ""
        case .termStart: return asset.hasOperation ? asset.operation.termStart : ""
        case .termEnd: return asset.hasOperation ? asset.operation.termEnd : ""
        case .documents:
            return asset.documents.map { "\(clean($0.name))/\(clean($0.kind))/\($0.sha256)" }.joined(separator: ";")
        case .coordinates:
            return asset.hasCoordinates ? "\(asset.coordinates.latitude),\(asset.coordinates.longitude)" : ""
        case .note: return asset.note
        case .assetId: return asset.id
        case .stage: return Names.stage.name(of: asset.lifecycle.stage.rawValue)
        }
    }

    /// Scalars a spreadsheet may take as the start of a formula.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// A cell a spreadsheet would take for a formula gets a leading
    /// apostrophe, which import removes again.
    static func text(_ value: String) -> String {
        if let first = value.unicodeScalars.first, formulaStarts.contains(first) { return "'" + value }
        return value
    }

    /// Separators inside an entry of a list cell would split it: ";" and
    /// "；" become "，", "/" becomes "／".
    static func clean(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case ";", "；": out.append("，")
            case "/": out.append("／")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func untext(_ value: String) -> String {
        if value.hasPrefix("'"), let second = value.unicodeScalars.dropFirst().first, formulaStarts.contains(second) {
            return String(value.dropFirst())
        }
        return value
    }

    /// Import: reads every data row; every cell that cannot be read is a problem with its line.
    public static func read(_ records: [CSVRecord]) -> ImportedSheet {
        guard let header = records.first else {
            return ImportedSheet(rows: [], problems: [SheetHeader.empty])
        }
        let (columns, headerProblems) = SheetHeader.read(header)
        guard let columns else { return ImportedSheet(rows: [], problems: headerProblems) }
        var problems: [CellProblem] = []
        var rows: [(line: Int, asset: Taizhang_Ledger_V1_Asset)] = []
        rows.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            let (asset, rowProblems) = columns.asset(record)
            if let asset { rows.append((record.line, asset)) }
            problems += rowProblems
        }
        return ImportedSheet(rows: rows, problems: problems)
    }

    /// The import template: the headers and one example row.
    public static func template() -> [[String]] {
        let columns = LedgerColumn.allCases.filter { !$0.outputOnly }
        let example: [LedgerColumn: String] = [
            .code: "JL-2019-001-01", .name: "白马村光伏电站", .category: "经营性", .subType: "光伏电站", .form: "固定资产",
            .projectId: "JL-2019-001", .adminCode: "421024101201", .acquiredDate: "2019-06-30", .usefulLifeYears: "25",
            .usageStatus: "在用", .quantity: "100", .unit: "千瓦", .originalValue: "800000.00", .valueBasis: "竣工决算",
            .funding: "中央财政专项扶贫资金:500000.00;统筹整合涉农资金:300000.00",
            .owners: "白马村集体经济组织/村集体经济组织/421024101201/100.00%", .user: "白马村集体经济组织",
            .beneficiary: "白马村集体经济组织", .custodian: "白马村村委会", .responsiblePerson: "张三", .contact: "13800000000",
            .upkeepFunding: "电站收益", .supervisingDepartment: "县发展和改革局", .operationMode: "托管",
            .counterparty: "荆州市阳光能源有限公司", .annualFee: "64000.00", .termStart: "2019-07-01", .termEnd: "2039-06-30",
            .documents: "竣工验收报告/acceptance/" + String(repeating: "0", count: 64), .coordinates: "30.0312,112.4187", .note: "",
        ]
        return [columns.map(\.chinese), columns.map { example[$0] ?? "" }]
    }
}

/// A sheet's header: which column each cell of a row holds. Rows are read
/// one at a time against it, so a file of any length is read in constant
/// memory (`CSVReader`).
public struct SheetHeader: Sendable {
    let positions: [LedgerColumn: Int]
    /// Cells in the header.
    public let cells: Int

    /// The problem of a file with no header.
    public static let empty = CellProblem(line: 1, column: nil, message: "the file is empty; the first line must be the column headers (see the template)")

    /// The header of `record`, or nil and every problem with it (an unknown,
    /// repeated or missing column).
    public static func read(_ record: CSVRecord) -> (SheetHeader?, [CellProblem]) {
        var problems: [CellProblem] = []
        var positions: [LedgerColumn: Int] = [:]
        for (index, title) in record.fields.enumerated() {
            let trimmed = title.trimmingSpaces()
            guard let column = LedgerColumn.allCases.first(where: { $0.chinese == trimmed || $0.english == trimmed }) else {
                problems.append(CellProblem(line: record.line, column: nil, message: "unknown column \"\(trimmed)\"; the template lists the columns"))
                continue
            }
            if positions[column] != nil {
                problems.append(CellProblem(line: record.line, column: column, message: "the column appears twice"))
            }
            positions[column] = index
        }
        for column in LedgerColumn.allCases where column.required && positions[column] == nil {
            problems.append(CellProblem(line: record.line, column: column, message: "the column is missing"))
        }
        return problems.isEmpty ? (SheetHeader(positions: positions, cells: record.fields.count), []) : (nil, problems)
    }

    /// The column of cell `index`, if the header names one.
    public func column(at index: Int) -> LedgerColumn? {
        positions.first { $0.value == index }?.key
    }

    /// The asset a row describes (nil when it has more cells than the
    /// header) and the problems of its cells.
    public func asset(_ record: CSVRecord) -> (Taizhang_Ledger_V1_Asset?, [CellProblem]) {
        if record.fields.count > cells {
            return (nil, [CellProblem(line: record.line, column: nil, message: "has \(record.fields.count) cells but the header has \(cells)")])
        }
        var reader = RowReader(record: record, positions: positions)
        let asset = reader.asset()
        return (asset, reader.problems)
    }
}

/// Reads one row's cells into an asset.
struct RowReader {
    let record: CSVRecord
    let positions: [LedgerColumn: Int]
    var problems: [CellProblem] = []

    init(record: CSVRecord, positions: [LedgerColumn: Int]) {
        self.record = record
        self.positions = positions
    }

    func value(_ column: LedgerColumn) -> String {
        guard let index = positions[column], index < record.fields.count else { return "" }
        return LedgerSheet.untext(record.fields[index].trimmingSpaces())
    }

    mutating func problem(_ column: LedgerColumn, _ message: String) {
        problems.append(CellProblem(line: record.line, column: column, message: message))
    }

    mutating func name<E: SwiftProtobufEnum>(_ column: LedgerColumn, _ names: Names, as: E.Type, required: Bool = false) -> E? {
        let text = value(column)
        if text.isEmpty {
            if required { problem(column, "is required: one of \(names.choices)") }
            return nil
        }
        guard let raw = names.value(of: text), let result = E(rawValue: raw) else {
            problem(column, "\"\(text)\" is not one of \(names.choices)")
            return nil
        }
        return result
    }

    mutating func money(_ column: LedgerColumn, required: Bool = false) -> Int64? {
        let text = value(column)
        if text.isEmpty {
            if required { problem(column, "is required: an amount in yuan, e.g. 12345.67") }
            return nil
        }
        guard let fen = Money.fen(text) else {
            problem(column, "\"\(text)\" is not an amount in yuan with at most two decimals")
            return nil
        }
        return fen
    }

    mutating func asset() -> Taizhang_Ledger_V1_Asset {
        var asset = Taizhang_Ledger_V1_Asset()
        asset.code = value(.code)
        asset.name = value(.name)
        if let category = name(.category, .category, as: Taizhang_Ledger_V1_AssetCategory.self, required: true) { asset.category = category }
        asset.subType = value(.subType)
        if let form = name(.form, .form, as: Taizhang_Ledger_V1_AssetForm.self) { asset.form = form }
        asset.projectID = value(.projectId)
        asset.adminCode = value(.adminCode)
        asset.acquiredDate = value(.acquiredDate)
        let life = value(.usefulLifeYears)
        if !life.isEmpty {
            if let years = UInt32(life) { asset.usefulLifeYears = years } else { problem(.usefulLifeYears, "\"\(life)\" is not a whole number of years") }
        }
        if let usage = name(.usageStatus, .usage, as: Taizhang_Ledger_V1_UsageStatus.self) { asset.usageStatus = usage }
        asset.quantity = value(.quantity)
        asset.unit = value(.unit)
        if let fen = money(.originalValue, required: true) { asset.originalValueFen = fen }
        if let basis = name(.valueBasis, .valueBasis, as: Taizhang_Ledger_V1_ValuationKind.self) { asset.valueBasis = basis }
        for (index, entry) in value(.funding).splitEntries().enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingSpaces() }
            guard parts.count == 2, let raw = Names.funding.value(of: parts[0]), let source = Taizhang_Ledger_V1_FundingSource(rawValue: raw),
                  let fen = Money.fen(parts[1]) else {
                problem(.funding, "entry \(index + 1) \"\(entry)\" is not 来源:金额 with a source among \(Names.funding.choices)")
                continue
            }
            asset.funding.append(Taizhang_Ledger_V1_Funding.with { $0.source = source; $0.amountFen = fen })
        }
        for (index, entry) in value(.owners).splitEntries().enumerated() {
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
            guard parts.count == 4 || parts.count == 5, let raw = Names.owner.value(of: parts[1]), let kind = Taizhang_Ledger_V1_OwnerKind(rawValue: raw),
                  let share = Money.basisPoints(parts[3]) else {
                problem(.owners, "entry \(index + 1) \"\(entry)\" is not 名称/类型/区划代码/份额% (and /农户编号 for a household of the register) with a type among \(Names.owner.choices)")
                continue
            }
            asset.owners.append(Taizhang_Ledger_V1_Owner.with {
                $0.name = parts[0]; $0.kind = kind; $0.adminCode = parts[2]; $0.shareBp = share; $0.householdID = parts.count == 5 ? parts[4] : ""
            })
        }
        asset.user = value(.user)
        asset.beneficiary = value(.beneficiary)
        let custody = [value(.custodian), value(.responsiblePerson), value(.contact), value(.upkeepFunding)]
        if custody.contains(where: { !$0.isEmpty }) {
            asset.custody.custodian = custody[0]
            asset.custody.responsiblePerson = custody[1]
            asset.custody.contact = custody[2]
            asset.custody.upkeepFunding = custody[3]
        }
        asset.supervisingDepartment = value(.supervisingDepartment)
        if let mode = name(.operationMode, .operation, as: Taizhang_Ledger_V1_OperationMode.self) {
            asset.operation.mode = mode
            asset.operation.counterparty = value(.counterparty)
            if let fee = money(.annualFee) { asset.operation.annualFeeFen = fee }
            asset.operation.termStart = value(.termStart)
            asset.operation.termEnd = value(.termEnd)
        } else if !value(.counterparty).isEmpty || !value(.annualFee).isEmpty {
            problem(.operationMode, "is required when an operator or annual fee is given: one of \(Names.operation.choices)")
        }
        for (index, entry) in value(.documents).splitEntries().enumerated() {
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
            guard parts.count == 3 else {
                problem(.documents, "entry \(index + 1) \"\(entry)\" is not 名称/类型/SHA-256")
                continue
            }
            asset.documents.append(Taizhang_Ledger_V1_Document.with { $0.name = parts[0]; $0.kind = parts[1]; $0.sha256 = parts[2] })
        }
        let point = value(.coordinates)
        if !point.isEmpty {
            let parts = point.split(separator: ",").map { String($0).trimmingSpaces() }
            if parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]) {
                asset.coordinates.latitude = latitude
                asset.coordinates.longitude = longitude
            } else {
                problem(.coordinates, "\"\(point)\" is not 纬度,经度 in degrees, e.g. 30.0312,112.4187")
            }
        }
        asset.note = value(.note)
        return asset
    }
}

/// The protobuf enums the sheet names (all have `init?(rawValue:)`).
protocol SwiftProtobufEnum {
    init?(rawValue: Int)
}

extension Taizhang_Ledger_V1_AssetCategory: SwiftProtobufEnum {}
extension Taizhang_Ledger_V1_AssetForm: SwiftProtobufEnum {}
extension Taizhang_Ledger_V1_UsageStatus: SwiftProtobufEnum {}
extension Taizhang_Ledger_V1_ValuationKind: SwiftProtobufEnum {}
extension Taizhang_Ledger_V1_OperationMode: SwiftProtobufEnum {}

/// The Chinese names of an enum's values (index = the proto number − 1).
public struct Names: Sendable {
    let names: [String]

    public static let category = Names(names: ["公益性", "经营性", "到户类"])
    public static let form = Names(names: ["固定资产", "流动资产", "无形资产", "对外投资"])
    public static let usage = Names(names: ["在用", "闲置", "在建", "损毁"])
    public static let valueBasis = Names(names: ["外购", "竣工决算", "暂估", "评估", "重置成本", "改扩建"])
    public static let funding = Names(names: ["中央财政专项扶贫资金", "统筹整合涉农资金", "易地扶贫搬迁资金", "地方政府债务资金",
                                              "行业部门资金", "金融资金", "社会捐赠", "地方财政资金", "其他",
                                              "衔接推进乡村振兴补助资金"])
    public static let owner = Names(names: ["村集体经济组织", "乡镇人民政府", "县人民政府", "农户", "企业", "农民专业合作社", "其他"])
    public static let operation = Names(names: ["自营", "承包", "租赁", "入股", "托管"])
    public static let stage = Names(names: ["已登记", "已确权", "确权公示中", "已公示", "移交公示中", "已移交", "运营中", "使用中", "已处置"])

    /// The name of proto value `raw` (empty for 0 or unknown).
    public func name(of raw: Int) -> String {
        raw >= 1 && raw <= names.count ? names[raw - 1] : ""
    }

    /// The proto value named `text`.
    public func value(of text: String) -> Int? {
        names.firstIndex(of: text).map { $0 + 1 }
    }

    var choices: String { names.joined(separator: "、") }
}

/// Exact money and share text.
public enum Money {
    /// 123456 → "1234.56" (no grouping: the cell must read back exactly).
    public static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// "1234.56", "1,234.5", "1234" → fen; nil for anything else (more than two decimals, signs, letters).
    public static func fen(_ text: String) -> Int64? {
        let plain = text.filter { $0 != "," }
        let parts = plain.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].count <= 15,
              parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              parts.count == 1 || (parts[1].count <= 2 && !parts[1].isEmpty && parts[1].allSatisfy({ $0.isASCII && $0.isNumber })),
              let whole = Int64(parts[0]) else { return nil }
        var cents: Int64 = 0
        if parts.count == 2 {
            cents = Int64(parts[1])! * (parts[1].count == 1 ? 10 : 1)
        }
        return whole * 100 + cents
    }

    /// 6667 → "66.67%".
    public static func percent(_ basisPoints: UInt32) -> String {
        let rest = basisPoints % 100
        return "\(basisPoints / 100).\(rest < 10 ? "0" : "")\(rest)%"
    }

    /// "66.67%" or "66.67" → 6667 basis points.
    public static func basisPoints(_ text: String) -> UInt32? {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let fen = fen(number), fen <= 10_000 else { return nil }
        return UInt32(fen)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\u{3000}" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\u{3000}" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// Entries of a list cell, separated by ";" or "；".
    func splitEntries() -> [String] {
        split(whereSeparator: { $0 == ";" || $0 == "；" }).map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    }
}
