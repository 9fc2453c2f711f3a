// taizhang upkeep record | list | costs: the upkeep log 管护记录 of every
// asset and a year's upkeep cost per village and per asset; taizhang
// disposal household: the village registers a household asset's disposal
// (004 §27). Issue 23; docs/upkeep.md.

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangCore
import TaizhangProto

extension Taizhang_Ledger_V1_ListUpkeepRequest: PagedRequest {}
extension Taizhang_Ledger_V1_ListUpkeepResponse: Page {}

/// `taizhang upkeep`: the upkeep log.
struct UpkeepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upkeep",
        abstract: "The upkeep log 管护记录: inspections, repairs, maintenance and the village's supervision of household assets; yearly costs.",
        discussion: """
        An asset with no upkeep record for the risk configuration's upkeep_overdue_days (default 365) is flagged in its \
        stock-take (taizhang stocktake show) and raises upkeep_overdue on its unit.
        """,
        subcommands: [Record.self, List.self, Costs.self])

    /// (option name, value, Chinese name).
    static let kinds: [(String, Taizhang_Ledger_V1_UpkeepKind, String)] = [
        ("inspection", .upkeepInspection, "巡查检查"), ("repair", .upkeepRepair, "维修"), ("maintenance", .upkeepMaintenance, "日常养护"),
        ("supervision", .upkeepSupervision, "到户监管"),
    ]

    static let columns: [Column<Taizhang_Ledger_V1_Upkeep>] = [
        Column("编号", "id") { $0.id }, Column("资产", "asset") { $0.assetID }, Column("单位", "unit") { $0.adminCode },
        .label("类型", "kind") { SupervisionLabels.name(UpkeepCommand.kinds, $0.kind, $1) },
        Column("日期", "date") { $0.date }, Column("费用（元）", "cost (yuan)") { Format.yuan($0.costFen) },
        Column("管护人", "by") { $0.performedBy }, Column("内容", "what") { $0.description_p },
        Column("农户", "household") { Format.orDash($0.householdID) },
    ]

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an inspection, a repair, maintenance, or the village's supervision of a household asset.",
            discussion: """
            Example:
              taizhang upkeep record ZC00000003 --kind repair --date 2026-06-12 --cost 1280.50 --by 白马村公益岗 李建军 \\
                --what 更换水泵密封圈，试运行正常 --document 维修发票/invoice/<sha256>
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id.") var asset: String
        @Option(help: "inspection (巡查检查), repair (维修), maintenance (日常养护) or supervision (到户监管, household assets only).") var kind: String
        @Option(help: "The day it was done, YYYY-MM-DD (default: today).") var date: String = ""
        @Option(help: "What it cost, in yuan (default 0).") var cost: String = "0"
        @Option(name: .customLong("by"), help: "Who did it.") var performedBy: String
        @Option(name: .customLong("what"), help: "What was done and found.") var what: String
        @Option(name: .customLong("document"), help: "A document: 名称/类型/SHA-256 (repeat).") var documents: [String] = []

        func run() async throws {
            var request = Taizhang_Ledger_V1_RecordUpkeepRequest()
            request.upkeep.assetID = asset
            request.upkeep.kind = try RiskLabels.pick(UpkeepCommand.kinds, kind, option: "--kind")
            request.upkeep.date = date
            request.upkeep.costFen = try parseYuan(cost, option: "--cost")
            request.upkeep.performedBy = performedBy
            request.upkeep.description_p = what
            request.upkeep.documents = try documents.map { try AlertsCommand.document($0, option: "--document") }
            try await global.show(RPC.Ledger.recordUpkeep, request) { record in
                let kind = SupervisionLabels.name(UpkeepCommand.kinds, record.kind, global.language)
                print(global.language == .zh ? "\(record.id) 已登记：\(record.assetID) \(record.date) \(kind)，费用 \(Format.yuan(record.costFen)) 元"
                                             : "\(record.id) recorded: \(record.assetID) \(record.date) \(kind), cost \(Format.yuan(record.costFen)) yuan")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List upkeep records of an asset or a unit and below, with their total cost.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("asset"), help: "Only this asset's.") var asset: String = ""
        @Option(name: .customLong("admin"), help: "Only assets of this unit or below (12-digit code).") var admin: String = ""
        @Option(help: "Only this year's (0: any).") var year: Int32 = 0
        @Option(help: "Only this kind.") var kind: String?

        func run() async throws {
            var request = Taizhang_Ledger_V1_ListUpkeepRequest.with { $0.assetID = asset; $0.adminCode = admin; $0.year = year; $0.pageSize = 1000 }
            if let kind { request.kind = try RiskLabels.pick(UpkeepCommand.kinds, kind, option: "--kind") }
            let listing = try await global.list(RPC.Ledger.listUpkeep, request, items: \.records, columns: UpkeepCommand.columns, json: .merged)
            if !global.json {
                print(global.language == .zh ? "共 \(listing.last.total) 条，费用合计 \(Format.yuan(listing.last.costFen)) 元"
                                             : "\(listing.last.total) record(s), \(Format.yuan(listing.last.costFen)) yuan in all")
            }
        }
    }

    struct Costs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A year's upkeep cost per village (each unit with records) and per asset.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "The unit and below (12-digit code; default: the whole ledger).") var admin: String = ""
        @Option(help: "The year (default: this year).") var year: Int32 = 0
        @Flag(name: .customLong("by-asset"), help: "List each asset's cost too.") var byAsset = false

        static let units: [Column<Taizhang_Ledger_V1_UpkeepUnitCost>] = [
            Column("单位", "unit") { $0.adminCode }, Column("名称", "name") { $0.name }, Column("记录", "records") { String($0.records) },
            Column("资产", "assets") { String($0.assets) }, Column("费用（元）", "cost (yuan)") { Format.yuan($0.costFen) },
        ]
        static let assets: [Column<Taizhang_Ledger_V1_UpkeepAssetCost>] = [
            Column("资产", "asset") { $0.assetID }, Column("单位", "unit") { $0.adminCode }, Column("记录", "records") { String($0.records) },
            Column("费用（元）", "cost (yuan)") { Format.yuan($0.costFen) }, Column("最近", "latest") { $0.lastDate },
        ]

        func run() async throws {
            try await global.show(RPC.Ledger.summarizeUpkeep, .with { $0.adminCode = admin; $0.year = year }) { summary in
                let zh = global.language == .zh
                print(zh ? "\(summary.year)年度管护费用：\(summary.records) 条记录，合计 \(Format.yuan(summary.costFen)) 元"
                         : "upkeep in \(summary.year): \(summary.records) record(s), \(Format.yuan(summary.costFen)) yuan in all")
                print(Table(Self.units, summary.units, global.language).render())
                if byAsset {
                    print(Table(Self.assets, summary.assets, global.language).render())
                    if summary.assetsTruncated { print(zh ? "（仅列出前 \(summary.assets.count) 项资产）" : "(the first \(summary.assets.count) assets only)") }
                }
            }
        }
    }
}

extension DisposalCommand {
    struct Household: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "household",
            abstract: "The village registers the disposal of a household asset 到户类资产 (004 §27): in effect at once, no appraisal or approvals.",
            discussion: """
            Example:
              taizhang disposal household ZC00000700 --reason scrapping --method scrap --date 2026-10-08 \\
                --reported-by 李德福 --registered-by 白马村村委会 王会计 --circumstances 牛棚年久失修倒塌，农户自行拆除
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id of a household asset.") var asset: String
        @Option(name: .customLong("reason"), help: "natural_disaster, accident, planning, wear, scrapping or stock_take_loss (with --stock-take).") var reason: String
        @Option(name: .customLong("stock-take"), help: "For stock_take_loss: the closed count that found it lost.") var stockTake: String = ""
        @Option(name: .customLong("method"), help: "auction (拍卖), transfer (转让) or scrap (报废).") var method: String
        @Option(name: .customLong("proceeds"), help: "What the household received for it, in yuan.") var proceeds: String = "0"
        @Option(name: .customLong("date"), help: "The disposal's day (default: today).") var date: String = ""
        @Option(name: .customLong("reported-by"), help: "Who reported it (the household's head, usually).") var reportedBy: String
        @Option(name: .customLong("registered-by"), help: "Who registers it for the village committee 村两委.") var registeredBy: String
        @Option(name: .customLong("circumstances"), help: "What happened.") var circumstances: String
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the asset is still at this version (0: no check).") var expectedVersion: Int64 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_RegisterHouseholdDisposalRequest()
            request.assetID = asset
            request.reason = try RiskLabels.pick(StewardshipLabels.reasons, reason, option: "--reason")
            request.method = try RiskLabels.pick(StewardshipLabels.methods, method, option: "--method")
            request.proceedsFen = try parseYuan(proceeds, option: "--proceeds")
            (request.date, request.reportedBy, request.registeredBy) = (date, reportedBy, registeredBy)
            (request.circumstances, request.expectedVersion, request.stockTakeID) = (circumstances, expectedVersion, stockTake)
            try await global.show(RPC.Ledger.registerHouseholdDisposal, request) { entry in
                print(global.language == .zh
                      ? "\(entry.id) 已登记：到户类资产 \(entry.assetID) \(entry.assetName) 于 \(entry.date) 处置（\(entry.householdDisposal.registeredBy) 登记），已转入核销登记台账"
                      : "\(entry.id) registered: household asset \(entry.assetID) \(entry.assetName) disposed of on \(entry.date) (registered by \(entry.householdDisposal.registeredBy)); it is in the write-off ledger")
            }
        }
    }
}
