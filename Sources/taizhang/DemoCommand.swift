// taizhang demo load: the demo county, loaded through the public API.

import ArgumentParser
import Foundation
import TaizhangDemo
import TaizhangProto

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "The demo county (江陵县-shaped, 721 assets, 12 operating entities with four quarters of reports).",
                                                    subcommands: [Load.self])

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load the demo county; does nothing if it is already loaded.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let client = try await global.connect()
            defer { Task { await client.close() } }
            let demo = DemoCounty()
            var probe = Taizhang_Ledger_V1_ListAdminUnitsRequest()
            probe.pageSize = 1
            let existing = try await global.call(client, "/taizhang.ledger.v1.Ledger/ListAdminUnits", probe,
                                                 as: Taizhang_Ledger_V1_ListAdminUnitsResponse.self)
            if existing.units.contains(where: { $0.code == DemoCounty.countyCode }) {
                print(global.language == .zh ? "示范县已载入，未做改动" : "the demo county is already loaded; nothing changed")
                return
            }
            for unit in demo.units {
                var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
                request.unit = unit
                _ = try await global.call(client, "/taizhang.ledger.v1.Ledger/CreateAdminUnit", request, as: Taizhang_Ledger_V1_AdminUnit.self,
                                          idempotencyKey: "demo-unit-\(unit.code)")
            }
            for project in demo.projects {
                var request = Taizhang_Ledger_V1_CreateProjectRequest()
                request.project = project
                _ = try await global.call(client, "/taizhang.ledger.v1.Ledger/CreateProject", request, as: Taizhang_Ledger_V1_Project.self,
                                          idempotencyKey: "demo-project-\(project.id)")
            }
            var batch = Taizhang_Ledger_V1_BatchRegisterAssetsRequest()
            batch.assets = demo.assets
            let response = try await global.call(client, "/taizhang.ledger.v1.Ledger/BatchRegisterAssets", batch,
                                                 as: Taizhang_Ledger_V1_BatchRegisterAssetsResponse.self, idempotencyKey: "demo-assets")
            // Operating entities, their contracts and four quarters of reports.
            var entities = 0, reports = 0
            for (number, operation) in demo.operations(today: ChinaDate.parts).enumerated() {
                var entity = Taizhang_Ledger_V1_CreateEntityRequest()
                entity.entity = operation.entity
                let created = try await global.call(client, "/taizhang.ledger.v1.Ledger/CreateEntity", entity, as: Taizhang_Ledger_V1_OperatingEntity.self,
                                                    idempotencyKey: "demo-entity-\(number)")
                var contract = Taizhang_Ledger_V1_CreateContractRequest()
                contract.contract = operation.contract
                contract.contract.assetID = response.ids[operation.assetIndex]
                contract.contract.entityID = created.id
                _ = try await global.call(client, "/taizhang.ledger.v1.Ledger/CreateContract", contract, as: Taizhang_Ledger_V1_OperationContract.self,
                                          idempotencyKey: "demo-contract-\(number)")
                for report in operation.reports {
                    var request = Taizhang_Ledger_V1_SubmitReportRequest()
                    request.report = report
                    request.report.entityID = created.id
                    _ = try await global.call(client, "/taizhang.ledger.v1.Ledger/SubmitReport", request, as: Taizhang_Ledger_V1_QuarterReport.self,
                                              idempotencyKey: "demo-report-\(number)-\(report.quarter)")
                    reports += 1
                }
                entities += 1
            }
            let operating = demo.assets.filter { $0.category == .operating }.count
            let household = demo.assets.filter { $0.category == .household }.count
            let publicWelfare = demo.assets.count - operating - household
            print(global.language == .zh
                  ? "已载入示范县江陵县：\(demo.units.count) 个行政区划，\(demo.projects.count) 个项目，\(response.ids.count) 项资产（经营性 \(operating)，公益性 \(publicWelfare)，到户类 \(household)）；带贫主体 \(entities) 个，季度报表 \(reports) 份"
                  : "loaded the demo county: \(demo.units.count) admin units, \(demo.projects.count) projects, \(response.ids.count) assets (\(operating) operating, \(publicWelfare) public-welfare, \(household) household); \(entities) operating entities, \(reports) quarterly reports")
        }
    }
}
