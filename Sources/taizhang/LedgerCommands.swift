// taizhang admin | project | asset: the ledger's records.

import ArgumentParser
import Foundation
import SwiftProtobuf
import TaizhangProto
import TaizhangSheets

/// Reads a JSON message from a file or standard input ("-").
func readMessage<M: SwiftProtobuf.Message>(_ path: String, as: M.Type) throws -> M {
    let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
    do {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        return try M(jsonUTF8Data: data, options: options)
    } catch {
        printError("\(path) is not a valid \(M.protoMessageName) in JSON: \(error)")
        throw ExitCode(2)
    }
}

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "admin", abstract: "Admin units: county, townships, villages.",
                                                    subcommands: [Create.self, List.self])

    static let columns: [Column<Taizhang_Ledger_V1_AdminUnit>] = [
        Column("代码", "code") { $0.code }, Column("名称", "name") { $0.name },
        .label("级别", "level") { Labels.level($0.level, $1) }, Column("上级", "parent") { $0.parentCode },
    ]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin unit.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "12-digit statistical division code.") var code: String
        @Option(help: "Name, e.g. 白马寨镇.") var name: String
        @Option(help: "county, township or village.") var level: String
        @Option(help: "Parent's code (not for the county).") var parent: String = ""

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
            request.unit.code = code
            request.unit.name = name
            request.unit.level = ["county": .county, "township": .township, "village": .village][level] ?? .unspecified
            request.unit.parentCode = parent
            try await global.show(RPC.Ledger.createAdminUnit, request) { print("\($0.code) \($0.name)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List admin units (all, or the children of --parent).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only the children of this code.") var parent: String = ""

        func run() async throws {
            try await global.list(RPC.Ledger.listAdminUnits, .with { $0.parentCode = parent; $0.pageSize = 1000 },
                                  items: \.units, columns: AdminCommand.columns)
        }
    }
}

struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "project", abstract: "Projects 扶贫项目.",
                                                    subcommands: [Create.self, Get.self, List.self])

    static let columns: [Column<Taizhang_Ledger_V1_Project>] = [
        Column("项目编号", "id") { $0.id }, Column("名称", "name") { $0.name }, .number("年度", "year") { $0.year },
        Column("实施单位", "implementing unit") { $0.implementingUnit },
        .money("资金(元)", "funding (yuan)") { project in project.funding.reduce(0) { $0 + $1.amountFen } },
    ]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a project from JSON (a taizhang.ledger.v1.Project).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("file"), help: "JSON file, or - for standard input.") var file: String

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateProjectRequest()
            request.project = try readMessage(file, as: Taizhang_Ledger_V1_Project.self)
            try await global.show(RPC.Ledger.createProject, request) { print("\($0.id) \($0.name)") }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one project.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Project id.") var id: String

        func run() async throws {
            try global.printJSON(try await global.once(RPC.Ledger.getProject, .with { $0.id = id }))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List projects.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Admin-unit subtree.") var admin: String = ""
        @Option(help: "Project year.") var year: Int32 = 0

        func run() async throws {
            try await global.list(RPC.Ledger.listProjects, .with { $0.adminCode = admin; $0.year = year; $0.pageSize = 1000 },
                                  items: \.projects, columns: ProjectCommand.columns)
        }
    }
}

struct AssetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "asset", abstract: "Assets 资产: register, list, update, and the life cycle.",
                                                    subcommands: [Get.self, List.self, Register.self, Update.self, Batch.self,
                                                                  ProposeOwners.self, Confirm.self, ApproveOwnership.self, Publish.self, Object.self, Resolve.self,
                                                                  CloseNotice.self, Hand.self, Operate.self, Use.self, Value.self,
                                                                  Depreciation.self, History.self, Tags.self])

    static let columns: [Column<Taizhang_Ledger_V1_Asset>] = [
        Column("编号", "id") { $0.id }, Column("资产编号", "code") { $0.code }, Column("名称", "name") { $0.name },
        .label("类别", "category") { Labels.category($0.category, $1) }, .label("状况", "status") { Labels.status($0.usageStatus, $1) },
        Column("所在地", "location") { $0.adminCode }, Column("购建时间", "acquired") { $0.acquiredDate },
        .money("原值(元)", "original (yuan)") { $0.originalValueFen }, .money("净值(元)", "net (yuan)") { $0.netValueFen },
    ]

    struct Tags: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a sheet of asset tags 一物一码 (HTML) for the yearly count: number, name, village, owners, year, and a QR code of the asset's id and its journal leaf hash.",
            discussion: "A count may be recorded by scanning a tag: `stocktake count --found` and `--lost` take the code's text for the asset.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "The unit whose ledger's assets get tags (a village, township or the county).") var admin: String
        @Option(name: .customLong("out"), help: "File to write (default: standard output).") var out: String?

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let assets = try await global.all(client, RPC.Ledger.listAssets, .with { $0.ledgerCode = admin; $0.pageSize = 1000; $0.skipTotal = true },
                                              items: \.assets)
            var names: [String: String] = [:]
            for unit in try await global.all(client, RPC.Ledger.listAdminUnits, .with { $0.pageSize = 1000 }, items: \.units) { names[unit.code] = unit.name }
            guard let (stamps, key) = try await global.stamps(client, ids: assets.map(\.id)) else { throw ExitCode(17) }
            let tags = zip(assets, stamps).map { asset, stamp in
                AssetTag(number: asset.code.isEmpty ? asset.id : "\(asset.code)（\(asset.id)）", name: asset.name, village: names[asset.adminCode] ?? asset.adminCode,
                         owners: asset.owners.map(\.name).joined(separator: "、"), year: String(asset.acquiredDate.prefix(4)), stamp: stamp)
            }
            let english = global.language == .en
            let text = try AssetTags.html(tags, unitName: try await global.unitName(client, code: admin), publicKey: key, english: english)
            try global.emit(text, to: out, note: english ? "wrote \(tags.count) tags to \(out ?? "")" : "已导出 \(tags.count) 张资产标签到 \(out ?? "")")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one asset as JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id, e.g. ZC00000001.") var id: String

        func run() async throws {
            try global.printJSON(try await global.once(RPC.Ledger.getAsset, .with { $0.id = id }))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List assets as a ledger table.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Admin-unit subtree (a county includes its townships and villages).") var admin: String = ""
        @Option(help: "public_welfare, operating or household.") var category: String?
        @Option(help: "in_use, idle, under_construction or damaged.") var status: String?
        @Option(help: "Year acquired.") var year: Int32 = 0
        @Option(name: .customLong("ledger"), help: "The unit's ledger (004 §18): assets owned by it or below.") var ledger: String = ""
        @Option(help: "Life-cycle stage: registered, ownership_confirmed, under_publication, published, handover_publication, handed_over, in_operation, in_use, disposed (disposed assets are listed only with --stage disposed).") var stage: String?
        @Flag(name: .customLong("without-custodian"), help: "Only assets with no custodian 管护主体.") var withoutCustodian = false
        @Flag(name: .customLong("handover-overdue"), help: "Only published assets past their handover deadline.") var handoverOverdue = false
        @Option(name: .customLong("page-size"), help: "Assets per page (1...1000).") var pageSize: Int32 = 100
        @Flag(help: "Follow every page.") var all = false

        func run() async throws {
            let listing = try await global.list(RPC.Ledger.listAssets, request(), items: \.assets, columns: AssetCommand.columns, all: all)
            if global.json { return }
            let zh = global.language == .zh
            let (total, shown) = (listing.last.totalSize, listing.records.count)
            print(zh ? "共 \(total) 项，本次显示 \(shown) 项" : "\(total) assets match; \(shown) shown")
            if !listing.last.nextPageToken.isEmpty { print(zh ? "还有更多：加 --all 显示全部" : "more follow: add --all to see every page") }
        }

        /// The request the flags make.
        func request() throws -> Taizhang_Ledger_V1_ListAssetsRequest {
            var request = Taizhang_Ledger_V1_ListAssetsRequest()
            request.adminCode = admin
            if let category {
                guard let value = ["public_welfare": Taizhang_Ledger_V1_AssetCategory.publicWelfare, "operating": .operating, "household": .household][category] else {
                    printError("--category must be public_welfare, operating or household"); throw ExitCode(2)
                }
                request.category = value
            }
            if let status {
                guard let value = ["in_use": Taizhang_Ledger_V1_UsageStatus.inUse, "idle": .idle, "under_construction": .underConstruction, "damaged": .damaged][status] else {
                    printError("--status must be in_use, idle, under_construction or damaged"); throw ExitCode(2)
                }
                request.usageStatus = value
            }
            request.year = year
            request.pageSize = pageSize
            request.ledgerCode = ledger
            if let stage {
                let stages = ["registered", "ownership_confirmed", "under_publication", "published", "handover_publication", "handed_over", "in_operation", "in_use", "disposed"]
                guard let index = stages.firstIndex(of: stage), let value = Taizhang_Ledger_V1_AssetStage(rawValue: index + 1) else {
                    printError("--stage must be one of \(stages.joined(separator: ", "))"); throw ExitCode(2)
                }
                request.stage = value
            }
            request.withoutCustodian = withoutCustodian
            request.handoverOverdue = handoverOverdue
            return request
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an asset from JSON (a taizhang.ledger.v1.Asset).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("file"), help: "JSON file, or - for standard input.") var file: String
        @Option(name: .customLong("idempotency-key"), help: "Makes a retry safe: the same key returns the first result.") var idempotencyKey: String?

        func run() async throws {
            var request = Taizhang_Ledger_V1_RegisterAssetRequest()
            request.asset = try readMessage(file, as: Taizhang_Ledger_V1_Asset.self)
            try await global.show(RPC.Ledger.registerAsset, request, idempotencyKey: idempotencyKey) { print("\($0.id) \($0.name)") }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace an asset's fields from JSON; --expected-version guards against lost updates.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("file"), help: "JSON file with the whole asset (its id included), or -.") var file: String
        @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the asset is still at this version.") var expectedVersion: Int64 = 0

        func run() async throws {
            var request = Taizhang_Ledger_V1_UpdateAssetRequest()
            request.asset = try readMessage(file, as: Taizhang_Ledger_V1_Asset.self)
            request.expectedVersion = expectedVersion
            try await global.show(RPC.Ledger.updateAsset, request) { print("\($0.id) version \($0.version)") }
        }
    }

    struct Batch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "batch-register", abstract: "Register many assets at once, all or nothing (a BatchRegisterAssetsRequest in JSON).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("file"), help: "JSON file, or - for standard input.") var file: String

        func run() async throws {
            let request = try readMessage(file, as: Taizhang_Ledger_V1_BatchRegisterAssetsRequest.self)
            try await global.show(RPC.Ledger.batchRegisterAssets, request) { print("registered \($0.ids.count) assets: \($0.ids.first ?? "")…\($0.ids.last ?? "")") }
        }
    }
}
