// taizhang demo load: the demo county, loaded through the public API.

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangDemo
import TaizhangProto

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "The demo county (江陵县-shaped, 721 assets, 12 operating entities with four quarters of reports, income, distribution plans, a stock-take, disposals, assets at each stage of the life cycle, five responsible units lit over a year's four quarters).",
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
            let existing = try await global.call(client, RPC.Ledger.listAdminUnits, probe,
                                                 as: Taizhang_Ledger_V1_ListAdminUnitsResponse.self)
            if existing.units.contains(where: { $0.code == DemoCounty.countyCode }) {
                print(global.language == .zh ? "示范县已载入，未做改动" : "the demo county is already loaded; nothing changed")
                return
            }
            for unit in demo.units {
                var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
                request.unit = unit
                _ = try await global.call(client, RPC.Ledger.createAdminUnit, request, as: Taizhang_Ledger_V1_AdminUnit.self,
                                          idempotencyKey: "demo-unit-\(unit.code)")
            }
            for project in demo.projects {
                var request = Taizhang_Ledger_V1_CreateProjectRequest()
                request.project = project
                _ = try await global.call(client, RPC.Ledger.createProject, request, as: Taizhang_Ledger_V1_Project.self,
                                          idempotencyKey: "demo-project-\(project.id)")
            }
            var batch = Taizhang_Ledger_V1_BatchRegisterAssetsRequest()
            batch.assets = demo.assets
            let response = try await global.call(client, RPC.Ledger.batchRegisterAssets, batch,
                                                 as: Taizhang_Ledger_V1_BatchRegisterAssetsResponse.self, idempotencyKey: "demo-assets")
            // Operating entities, their contracts and four quarters of reports.
            var entities = 0, reports = 0
            let operations = demo.operations(today: ChinaDate.parts)
            var contracts: [String] = []
            for (number, operation) in operations.enumerated() {
                var entity = Taizhang_Ledger_V1_CreateEntityRequest()
                entity.entity = operation.entity
                let created = try await global.call(client, RPC.Ledger.createEntity, entity, as: Taizhang_Ledger_V1_OperatingEntity.self,
                                                    idempotencyKey: "demo-entity-\(number)")
                var contract = Taizhang_Ledger_V1_CreateContractRequest()
                contract.contract = operation.contract
                contract.contract.assetID = response.ids[operation.assetIndex]
                contract.contract.entityID = created.id
                contracts.append(try await global.call(client, RPC.Ledger.createContract, contract, as: Taizhang_Ledger_V1_OperationContract.self,
                                                       idempotencyKey: "demo-contract-\(number)").id)
                for report in operation.reports {
                    var request = Taizhang_Ledger_V1_SubmitReportRequest()
                    request.report = report
                    request.report.entityID = created.id
                    _ = try await global.call(client, RPC.Ledger.submitReport, request, as: Taizhang_Ledger_V1_QuarterReport.self,
                                              idempotencyKey: "demo-report-\(number)-\(report.quarter)")
                    reports += 1
                }
                entities += 1
            }
            let register = try await loadHouseholds(client, demo: demo)
            let linked = try await linkHouseholdAssets(client, demo: demo, assetIds: response.ids, households: register.byVillage)
            let steps = try await loadStewardship(client, demo: demo, operations: operations, assetIds: response.ids, contracts: contracts,
                                                  priority: register.priority)
            let lifecycle = try await loadLifecycle(client, demo: demo, operations: operations, assetIds: response.ids)
            let stages = lifecycleSummary(lifecycle, assets: response.ids.count, disposed: 2)
            let lights = try await loadSupervision(client)
            let followed = try await loadAlertFollowUps(client)
            let visits = try await loadVisits(client, paid: steps.paid)
            let upkeep = try await loadUpkeep(client, demo: demo, assetIds: response.ids, linked: linked, skip: steps.disposed)
            // A signed head over it all: the notices' proofs rest on one.
            let head = try await global.call(client, RPC.Ledger.getTreeHead, .with { $0.signNew = true }, as: Taizhang_Ledger_V1_SignedTreeHead.self)
            let (households, monitored) = (register.count, register.monitored)
            let operating = demo.assets.filter { $0.category == .operating }.count
            let household = demo.assets.filter { $0.category == .household }.count
            let publicWelfare = demo.assets.count - operating - household
            print(global.language == .zh
                  ? "已载入示范县江陵县：\(demo.units.count) 个行政区划，\(demo.projects.count) 个项目，\(response.ids.count) 项资产（经营性 \(operating)，公益性 \(publicWelfare)，到户类 \(household)）；带贫主体 \(entities) 个，季度报表 \(reports) 份；收益 \(steps.income) 笔，分配方案 \(steps.plans) 个，清查 1 次，处置 2 项，盘活方案 1 个；\(stages)；责任单位 \(Self.demoUnits.count) 个，四个季度亮绿灯 \(lights[.green] ?? 0) 次、黄灯 \(lights[.yellow] ?? 0) 次、红灯 \(lights[.red] ?? 0) 次；预警处置：约谈后销号 \(followed.closedAfterTalk) 条，问责后销号 \(followed.closedAfterAccountability) 条，整改中 \(followed.rectifying) 条（期限今日），已签收 \(followed.acknowledged) 条，待签收 \(followed.waiting) 条；帮扶对象 \(households) 户（监测对象 \(monitored) 户），分配收益发放到户 \(steps.paid.values.reduce(0) { $0 + $1.count }) 户次，入户核查 \(visits) 次（有异议 1 次）；到户类资产登记到户 \(linked.count) 项，管护记录 \(upkeep) 条；审计日志签名树头 \(head.treeSize) 条"
                  : "loaded the demo county: \(demo.units.count) admin units, \(demo.projects.count) projects, \(response.ids.count) assets (\(operating) operating, \(publicWelfare) public-welfare, \(household) household); \(entities) operating entities, \(reports) quarterly reports; \(steps.income) receipts, \(steps.plans) distribution plans, 1 stock-take, 2 disposals, 1 revitalising plan; \(stages); \(Self.demoUnits.count) responsible units, lit over four quarters green \(lights[.green] ?? 0), yellow \(lights[.yellow] ?? 0), red \(lights[.red] ?? 0) times; alerts followed up: \(followed.closedAfterTalk) closed after a talk, \(followed.closedAfterAccountability) closed after a decision on accountability, \(followed.rectifying) rectifying (due today), \(followed.acknowledged) acknowledged, \(followed.waiting) waiting; \(households) households in the register (\(monitored) monitored), \(steps.paid.values.reduce(0) { $0 + $1.count }) payments to households, \(visits) visits (1 disputed); \(linked.count) household assets owned and upkept by households of the register, \(upkeep) upkeep records; a signed tree head over the journal's \(head.treeSize) entries")
        }

        /// The register: six households in each village, a few changed since;
        /// how many, and how many of them are monitored now.
        func loadHouseholds(_ client: TaizhangClient, demo: DemoCounty)
            async throws -> (count: Int, monitored: Int, priority: [String: [String]], byVillage: [String: [(id: String, head: String)]]) {
            var monitored = 0
            var priority: [String: [String]] = [:]
            var byVillage: [String: [(id: String, head: String)]] = [:]
            let households = demo.households()
            for (number, item) in households.enumerated() {
                var household = try await global.call(client, RPC.Households.registerHousehold, item.registration,
                                                      idempotencyKey: "demo-household-\(number)")
                if var change = item.change {
                    change.household.id = household.id
                    change.expectedVersion = household.version
                    household = try await global.call(client, RPC.Households.updateHousehold, change, idempotencyKey: "demo-household-\(number)-change")
                }
                if [.unstableLifted, .edgeAtRisk, .suddenHardship].contains(household.category) { monitored += 1 }
                if household.labourCapacity != .full { priority[household.villageCode, default: []].append(household.id) }
                byVillage[household.villageCode, default: []].append((household.id, household.headName))
            }
            return (households.count, monitored, priority, byVillage)
        }

        /// 巡问查比 of the first plan that paid households: each confirms, but the last disputes.
        func loadVisits(_ client: TaizhangClient, paid: [String: [String]]) async throws -> Int {
            guard let (plan, households) = paid.min(by: { $0.key < $1.key }) else { return 0 }
            for (index, household) in households.enumerated() {
                let disputed = index == households.count - 1
                let visit = Taizhang_Household_V1_RecordVisitRequest.with {
                    $0.visit = .with { visit in
                        (visit.householdID, visit.planID, visit.inspector) = (household, plan, "县督查组 刘强")
                        visit.asked = disputed ? "户主称只领到一半，签领表签名非本人笔迹" : "分配收益已足额到卡，签领表为本人签字"
                        (visit.paymentConfirmed, visit.signaturesMatch) = (!disputed, !disputed)
                    }
                }
                _ = try await global.call(client, RPC.Households.recordVisit, visit, idempotencyKey: "demo-visit-\(index)")
            }
            return households.count
        }

        /// The plans, each through its steps; the households of the register
        /// each carried-out plan paid, by plan.
        func loadPlans(_ client: TaizhangClient, demo: DemoCounty, operations: [DemoOperation], records: DemoStewardship, incomeIds: [String],
                       priority: [String: [String]]) async throws -> [String: [String]] {
            var paid: [String: [String]] = [:]
            for (number, item) in records.plans.enumerated() {
                var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
                create.plan = item.plan
                create.plan.ownerCode = demo.assets[operations[records.income[item.incomeIndex].operation].assetIndex].adminCode
                create.plan.incomeIds = [incomeIds[item.incomeIndex]]
                create.draftedOn = item.draftedOn
                // The village's households without or with weak labour capacity take the priority share (004 §30).
                let linked = priority[create.plan.ownerCode] ?? []
                if let index = create.plan.allocations.firstIndex(where: { $0.purpose == .noLabourHouseholds }), !linked.isEmpty {
                    let fen = create.plan.allocations[index].amountFen
                    create.plan.allocations[index].households = linked.enumerated().map { position, id in
                        .with { $0.householdID = id; $0.amountFen = position == linked.count - 1 ? fen - Int64(linked.count - 1) * (fen / Int64(linked.count)) : fen / Int64(linked.count) }
                    }
                }
                let plan = try await global.call(client, RPC.Ledger.createDistributionPlan, create, as: Taizhang_Ledger_V1_DistributionPlan.self,
                                                 idempotencyKey: "demo-plan-\(number)")
                for (index, var step) in item.steps.enumerated() {
                    step.planID = plan.id
                    if step.stage == .planCarriedOut, !linked.isEmpty {
                        let shares = plan.allocations.flatMap(\.households).filter { !$0.householdID.isEmpty }
                        step.payments = shares.enumerated().map { position, share in
                            .with {
                                $0.householdID = share.householdID; $0.amountFen = share.amountFen
                                if position % 2 == 0 {
                                    $0.method = .transfer; $0.transferReference = "NX\(plan.id.suffix(4))\(share.householdID.suffix(4))"
                                } else {
                                    $0.method = .cash; $0.signedSheetSha256 = Self.digest("签领表-\(plan.id)-\(share.householdID)")
                                }
                            }
                        }
                        paid[plan.id] = shares.map(\.householdID)
                    }
                    _ = try await global.call(client, RPC.Ledger.advanceDistributionPlan, step, as: Taizhang_Ledger_V1_DistributionPlan.self,
                                              idempotencyKey: "demo-plan-\(number)-step-\(index)")
                }
            }
            return paid
        }

        /// Income, a plan at each stage, a stock-take with a loss, two disposals and a revitalising plan.
        func loadStewardship(_ client: TaizhangClient, demo: DemoCounty, operations: [DemoOperation], assetIds: [String],
                             contracts: [String], priority: [String: [String]]) async throws
            -> (income: Int, plans: Int, paid: [String: [String]], disposed: Set<String>) {
            let records = demo.stewardship(today: ChinaDate.parts, operations: operations)
            var incomeIds: [String] = []
            for (number, item) in records.income.enumerated() {
                var request = Taizhang_Ledger_V1_RecordIncomeRequest()
                request.income = item.income
                request.income.assetID = assetIds[operations[item.operation].assetIndex]
                request.income.contractID = contracts[item.operation]
                incomeIds.append(try await global.call(client, RPC.Ledger.recordIncome, request, as: Taizhang_Ledger_V1_Income.self,
                                                       idempotencyKey: "demo-income-\(number)").id)
            }
            let paid = try await loadPlans(client, demo: demo, operations: operations, records: records, incomeIds: incomeIds, priority: priority)
            // The stock-take: every asset found but one, which is written off as lost.
            let open = Taizhang_Ledger_V1_OpenStockTakeRequest.with {
                $0.adminCode = records.stockTakeVillage
                $0.year = Int32(ChinaDate.parts.year)
                $0.date = records.stockTakeDate
            }
            var count = try await global.call(client, RPC.Ledger.openStockTake, open, as: Taizhang_Ledger_V1_StockTake.self, idempotencyKey: "demo-stocktake")
            let indexOfId = Dictionary(uniqueKeysWithValues: assetIds.enumerated().map { ($1, $0) })
            let contracted = Set(operations.map(\.assetIndex))
            let lost = count.scope.last { id in
                guard let index = indexOfId[id] else { return false }
                let asset = demo.assets[index]
                return asset.category != .household && !contracted.contains(index) && asset.owners.allSatisfy { $0.kind == .villageCollective }
            } ?? ""
            var lines = Taizhang_Ledger_V1_RecordCountRequest()
            lines.stockTakeID = count.id
            lines.lines = count.scope.map { id -> Taizhang_Ledger_V1_CountLine in
                var line = Taizhang_Ledger_V1_CountLine()
                line.assetID = id
                line.found = id != lost
                line.condition = id == lost ? "未找到" : "好"
                return line
            }
            _ = try await global.call(client, RPC.Ledger.recordCount, lines, as: Taizhang_Ledger_V1_StockTake.self, idempotencyKey: "demo-stocktake-lines")
            count = try await global.call(client, RPC.Ledger.closeStockTake, Taizhang_Ledger_V1_CloseStockTakeRequest.with { $0.stockTakeID = count.id; $0.date = records.stockTakeDate },
                                          as: Taizhang_Ledger_V1_StockTake.self, idempotencyKey: "demo-stocktake-close")
            var loss = Taizhang_Ledger_V1_DisposeAssetRequest()
            loss.disposal = records.lossDisposal
            loss.disposal.assetID = lost
            loss.disposal.stockTakeID = count.id
            loss.disposal.approvals = records.disposal.approvals.map { approval in
                var same = approval
                same.date = records.stockTakeDate
                return same
            }
            _ = try await global.call(client, RPC.Ledger.disposeAsset, loss, as: Taizhang_Ledger_V1_Disposal.self, idempotencyKey: "demo-disposal-loss")
            var sale = Taizhang_Ledger_V1_DisposeAssetRequest()
            sale.disposal = records.disposal
            sale.disposal.assetID = assetIds[records.disposalAssetIndex]
            _ = try await global.call(client, RPC.Ledger.disposeAsset, sale, as: Taizhang_Ledger_V1_Disposal.self, idempotencyKey: "demo-disposal-sale")
            var revive = Taizhang_Ledger_V1_RecordRevitalisingPlanRequest()
            revive.plan = records.revitalising
            revive.plan.assetID = assetIds[records.revitalisingAssetIndex]
            _ = try await global.call(client, RPC.Ledger.recordRevitalisingPlan, revive, as: Taizhang_Ledger_V1_RevitalisingPlan.self,
                                      idempotencyKey: "demo-revitalising")
            return (incomeIds.count, records.plans.count, paid, [lost, assetIds[records.disposalAssetIndex]])
        }
    }
}
