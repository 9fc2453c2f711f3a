// taizhang admin | project | asset: the ledger's records.

import ArgumentParser
import Foundation
import SwiftProtobuf
import TaizhangProto

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

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an admin unit.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "12-digit statistical division code.") var code: String
        @Option(help: "Name, e.g. 白马寨镇.") var name: String
        @Option(help: "county, township or village.") var level: String
        @Option(help: "Parent's code (not for the county).") var parent: String = ""

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
            request.unit.code = code
            request.unit.name = name
            request.unit.level = ["county": .county, "township": .township, "village": .village][level] ?? .unspecified
            request.unit.parentCode = parent
            let unit = try await global.call(client, RPC.Ledger.createAdminUnit, request, as: Taizhang_Ledger_V1_AdminUnit.self)
            if global.json { try global.printJSON(unit) } else { print("\(unit.code) \(unit.name)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List admin units (all, or the children of --parent).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only the children of this code.") var parent: String = ""

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var table = Table(header: Labels.header([("代码", "code"), ("名称", "name"), ("级别", "level"), ("上级", "parent")], global.language))
            var token = ""
            repeat {
                var request = Taizhang_Ledger_V1_ListAdminUnitsRequest()
                request.parentCode = parent
                request.pageSize = 1000
                request.pageToken = token
                let page = try await global.call(client, RPC.Ledger.listAdminUnits, request,
                                                 as: Taizhang_Ledger_V1_ListAdminUnitsResponse.self)
                if global.json { try global.printJSON(page) }
                for unit in page.units {
                    table.rows.append([unit.code, unit.name, Labels.level(unit.level, global.language), unit.parentCode])
                }
                token = page.nextPageToken
            } while !token.isEmpty
            if !global.json { print(table.render()) }
        }
    }
}

struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "project", abstract: "Projects 扶贫项目.",
                                                    subcommands: [Create.self, Get.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a project from JSON (a taizhang.ledger.v1.Project).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("file"), help: "JSON file, or - for standard input.") var file: String

        func run() async throws {
            var request = Taizhang_Ledger_V1_CreateProjectRequest()
            request.project = try readMessage(file, as: Taizhang_Ledger_V1_Project.self)
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let project = try await global.call(client, RPC.Ledger.createProject, request, as: Taizhang_Ledger_V1_Project.self)
            if global.json { try global.printJSON(project) } else { print("\(project.id) \(project.name)") }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one project.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Project id.") var id: String

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Ledger_V1_GetProjectRequest()
            request.id = id
            let project = try await global.call(client, RPC.Ledger.getProject, request, as: Taizhang_Ledger_V1_Project.self)
            try global.printJSON(project)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List projects.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("admin"), help: "Admin-unit subtree.") var admin: String = ""
        @Option(help: "Project year.") var year: Int32 = 0

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var table = Table(header: Labels.header([("项目编号", "id"), ("名称", "name"), ("年度", "year"), ("实施单位", "implementing unit"), ("资金(元)", "funding (yuan)")], global.language))
            table.rightAligned = [2, 4]
            var token = ""
            repeat {
                var request = Taizhang_Ledger_V1_ListProjectsRequest()
                request.adminCode = admin
                request.year = year
                request.pageSize = 1000
                request.pageToken = token
                let page = try await global.call(client, RPC.Ledger.listProjects, request, as: Taizhang_Ledger_V1_ListProjectsResponse.self)
                if global.json { try global.printJSON(page) }
                for project in page.projects {
                    table.rows.append([project.id, project.name, String(project.year), project.implementingUnit,
                                       yuan(project.funding.reduce(0) { $0 + $1.amountFen })])
                }
                token = page.nextPageToken
            } while !token.isEmpty
            if !global.json { print(table.render()) }
        }
    }
}

struct AssetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "asset", abstract: "Assets 资产: register, list, update, and the life cycle.",
                                                    subcommands: [Get.self, List.self, Register.self, Update.self, Batch.self,
                                                                  ProposeOwners.self, Confirm.self, ApproveOwnership.self, Publish.self, Object.self, Resolve.self,
                                                                  CloseNotice.self, Hand.self, Operate.self, Use.self, Value.self,
                                                                  Depreciation.self, History.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one asset as JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Asset id, e.g. ZC00000001.") var id: String

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            var request = Taizhang_Ledger_V1_GetAssetRequest()
            request.id = id
            let asset = try await global.call(client, RPC.Ledger.getAsset, request, as: Taizhang_Ledger_V1_Asset.self)
            try global.printJSON(asset)
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
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
            var table = Table(header: Labels.header([("编号", "id"), ("资产编号", "code"), ("名称", "name"), ("类别", "category"), ("状况", "status"),
                                                     ("所在地", "location"), ("购建时间", "acquired"), ("原值(元)", "original (yuan)"), ("净值(元)", "net (yuan)")], global.language))
            table.rightAligned = [7, 8]
            var total: Int64 = 0
            var next = ""
            repeat {
                let page = try await global.call(client, RPC.Ledger.listAssets, request, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
                if global.json { try global.printJSON(page) }
                for asset in page.assets {
                    table.rows.append([asset.id, asset.code, asset.name, Labels.category(asset.category, global.language),
                                       Labels.status(asset.usageStatus, global.language), asset.adminCode, asset.acquiredDate,
                                       yuan(asset.originalValueFen), yuan(asset.netValueFen)])
                }
                total = page.totalSize
                next = page.nextPageToken
                request.pageToken = next
            } while all && !next.isEmpty
            if global.json { return }
            print(table.render())
            let zh = global.language == .zh
            print(zh ? "共 \(total) 项，本次显示 \(table.rows.count) 项" : "\(total) assets match; \(table.rows.count) shown")
            if !next.isEmpty { print(zh ? "还有更多：加 --all 显示全部" : "more follow: add --all to see every page") }
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let asset = try await global.call(client, RPC.Ledger.registerAsset, request, as: Taizhang_Ledger_V1_Asset.self,
                                              idempotencyKey: idempotencyKey)
            if global.json { try global.printJSON(asset) } else { print("\(asset.id) \(asset.name)") }
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
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let asset = try await global.call(client, RPC.Ledger.updateAsset, request, as: Taizhang_Ledger_V1_Asset.self)
            if global.json { try global.printJSON(asset) } else { print("\(asset.id) version \(asset.version)") }
        }
    }

    struct Batch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "batch-register", abstract: "Register many assets at once, all or nothing (a BatchRegisterAssetsRequest in JSON).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("file"), help: "JSON file, or - for standard input.") var file: String

        func run() async throws {
            let request = try readMessage(file, as: Taizhang_Ledger_V1_BatchRegisterAssetsRequest.self)
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let response = try await global.call(client, RPC.Ledger.batchRegisterAssets, request,
                                                 as: Taizhang_Ledger_V1_BatchRegisterAssetsResponse.self)
            if global.json { try global.printJSON(response) } else { print("registered \(response.ids.count) assets: \(response.ids.first ?? "")…\(response.ids.last ?? "")") }
        }
    }
}
