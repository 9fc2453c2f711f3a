// Every method × a scoped identity, over the real daemon: an identity of
// 沙岗镇 holding every ledger permission (clerk, approver, auditor,
// administrator) calls every served method about 熊河镇's records and units.
// Each answer must be a refusal (NOT_FOUND or PERMISSION_DENIED) or an
// answer that names nothing of 熊河镇; nothing may change. A method added to
// the daemon without a request here fails the walk.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ScopeWalkTests {
    static let ledger = "/taizhang.ledger.v1.Ledger/"
    static let xionghe = "421024101201"  // 白马村, 熊河镇

    /// Methods whose answers are ledger-wide by design (docs/security.md).
    static let exempt: Set<String> = [
        "/taizhang.system.v1.System/Health", "/taizhang.system.v1.System/ListMethods",
        "/taizhang.system.v1.System/Status",  // counts only
        "/taizhang.risk.v1.Risk/RunMonitor",  // counts only
        ledger + "ListAdminUnits",            // the county's structure
        ledger + "GetTreeHead", ledger + "ProveConsistency",  // the journal's tree: sizes and hashes only
    ]

    @Test func everyMethod_byAnIdentityOfAnotherTownship_reachesNothingOfThisOne() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk+approver+auditor+administrator", scope: "", uids: [0]),
            (name: "shagang-all", role: "county_clerk+approver+auditor+administrator", scope: "421024102000", uids: []),
        ])
        let shagang = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-all"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()

        // 熊河镇's records, made by the county (uid 0).
        try await Fixture.seed(client)
        func call<R: SwiftProtobuf.Message>(_ method: String, _ request: some SwiftProtobuf.Message, as: R.Type = R.self) async throws -> R {
            try await client.unary(Self.ledger + method, request, as: R.self)
        }
        let asset = try await Fixture.register(client, Fixture.asset(code: "XH-1"))
        let confirming = try await Fixture.register(client, Fixture.asset(code: "XH-2"))
        _ = try await LifecycleTests.step(client, "ConfirmOwnership", LifecycleTests.confirm(confirming.id))
        let contractId = try await StewardshipTests.contract(client, asset: asset.id)
        let contract: Taizhang_Ledger_V1_OperationContract = try await call("GetContract", Taizhang_Ledger_V1_GetContractRequest.with { $0.id = contractId })
        let entityId = contract.entityID
        let income: Taizhang_Ledger_V1_Income = try await call("RecordIncome", StewardshipTests.income(asset: asset.id, contract: contractId, on: "2026-03-31", fen: 50_000))
        var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        create.plan.ownerCode = Self.xionghe
        create.plan.incomeIds = [income.id]
        create.plan.allocations = [StewardshipTests.allocation(.noLabourHouseholds, 45_000, households: [("王五", 45_000)]),
                                   StewardshipTests.allocation(.reserve, 5_000)]
        create.draftedOn = "2026-04-05"
        let plan: Taizhang_Ledger_V1_DistributionPlan = try await call("CreateDistributionPlan", create)
        let count: Taizhang_Ledger_V1_StockTake = try await call("OpenStockTake", Taizhang_Ledger_V1_OpenStockTakeRequest.with {
            $0.adminCode = Self.xionghe; $0.year = 2026; $0.date = "2026-10-01"
        })
        let sold = try await Fixture.register(client, Fixture.asset(code: "XH-3"))
        let disposal: Taizhang_Ledger_V1_Disposal = try await call("DisposeAsset", StewardshipTests.disposal(asset: sold.id))
        var idle = Fixture.asset(code: "XH-4")
        idle.usageStatus = .idle
        let idleAsset = try await Fixture.register(client, idle)
        let revitalising: Taizhang_Ledger_V1_RevitalisingPlan = try await call("RecordRevitalisingPlan", Taizhang_Ledger_V1_RecordRevitalisingPlanRequest.with {
            $0.plan.assetID = idleAsset.id; $0.plan.measures = "对外出租"; $0.plan.responsible = "白马村两委"
            $0.plan.approvedBy = "熊河镇人民政府"; $0.plan.effectiveOn = "2026-05-01"
        })
        #expect(disposal.signOff.state == .signOffPending)
        var ownAsset = Fixture.asset(code: "SG-1", village: "421024102201")
        ownAsset.name = "新河村光伏电站"
        ownAsset.owners[0].name = "新河村股份经济合作社"
        let own = try await Fixture.register(client, ownAsset)
        // An entity of 沙岗镇 operating an asset of 熊河镇.
        let visitor: Taizhang_Ledger_V1_OperatingEntity = try await call("CreateEntity", Taizhang_Ledger_V1_CreateEntityRequest.with {
            $0.entity.name = "新河村农机合作社"; $0.entity.kind = .entityCooperative; $0.entity.adminCode = "421024102201"
            $0.entity.creditCode = "91350100M000100Y30"
        })
        let crossing: Taizhang_Ledger_V1_OperationContract = try await call("CreateContract", Taizhang_Ledger_V1_CreateContractRequest.with {
            $0.contract.assetID = confirming.id; $0.contract.entityID = visitor.id; $0.contract.mode = .lease
            $0.contract.start = "2026-01-01"; $0.contract.end = "2026-12-31"
        })

        // 熊河镇's government answering for the project, with targets, funds and a payment.
        let (unit, _) = try await SupervisionTests.seedUnit(client)
        // A household of 白马村's register.
        let household = try await HouseholdTests.register(client, village: Self.xionghe, idNumber: "421024198001011235").id

        // An alert of 熊河镇 in the ledger: the monitor's run takes it in.
        _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        let alerts = try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.adminCode = Self.xionghe },
                                            as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        let alert = alerts.first?.ledgerID ?? ""
        #expect(alert.hasPrefix("YJ"), "熊河镇 has an alert in the ledger")
        // What must not appear in an answer to 沙岗镇.
        let markers = [alert, unit, household, "421024101", crossing.id, asset.id, confirming.id, sold.id, idleAsset.id, contractId, entityId, income.id, plan.id, count.id,
                       disposal.id, revitalising.id, "白马", "熊河"]
        let requests = Self.requests(asset: asset.id, confirming: confirming.id, contract: contractId, entity: entityId, income: income.id, visitor: visitor.id, own: own.id, plan: plan.id,
                                     count: count.id, disposal: disposal.id, sold: sold.id, idle: idleAsset.id, alert: alert, unit: unit, household: household)
        let methods = try await client.unary("/taizhang.system.v1.System/ListMethods", Taizhang_System_V1_ListMethodsRequest(),
                                             as: Taizhang_System_V1_ListMethodsResponse.self).methods
        #expect(Set(methods.map(\.name)) == Set(requests.keys).union(Self.exempt), "every served method has a request here")

        let before = try await RequestBoundsTests.auditCount(client)
        let recordIds = [alert, unit, household, crossing.id, asset.id, confirming.id, sold.id, idleAsset.id, contractId, entityId, income.id, plan.id, count.id,
                         disposal.id, revitalising.id]
        var walked = 0
        var compared = 0
        for method in methods where !Self.exempt.contains(method.name) {
            for request in requests[method.name] ?? [] {
            let payload = try request.serializedData()
            var answers: [Data] = []
            let status: Taizhang_Rpc_V1_Status
            if method.serverStreaming {
                let (_, items) = try client.stream(method.name, payload: payload, metadata: shagang, timeoutMillis: 300)
                var ended = Taizhang_Rpc_V1_Status()
                do {
                    for try await item in items { answers.append(item) }
                } catch let error as RPCError {
                    ended = error.status
                }
                status = ended
            } else {
                let response = try await client.call(method.name, payload: payload, metadata: shagang)
                status = response.hasStatus ? response.status : Taizhang_Rpc_V1_Status()
                if status.code == .ok { answers.append(response.payload) }
            }
            let refused = [.notFound, .permissionDenied].contains(status.code)
            // Any other answer names nothing of 熊河镇, in its payload or its status.
            let text = Data((status.message + status.violations.map { $0.field + " " + $0.description_p }.joined(separator: " ")).utf8)
            let answeredEmpty = [.ok, .deadlineExceeded, .alreadyExists].contains(status.code)
                && !(answers + [text]).contains { data in markers.contains { data.range(of: Data($0.utf8)) != nil } }
            #expect(refused || answeredEmpty, "\(method.name): \(status.code) \(status.message) \(status.violations.map(\.field))")
            if status.code == .notFound, !method.serverStreaming {
                // The same request about records that do not exist answers byte for byte alike (but the ids).
                let (missingRequest, swapped) = try Self.missing(request, ids: recordIds)
                let answer = try await client.call(method.name, payload: try missingRequest.serializedData(), metadata: shagang)
                let missingStatus = answer.hasStatus ? answer.status : Taizhang_Rpc_V1_Status()
                var message = missingStatus.message
                for (hidden, missing) in swapped { message = message.replacingOccurrences(of: missing, with: hidden) }
                #expect(missingStatus.code == status.code && message == status.message && missingStatus.violations == status.violations,
                        "\(method.name): hidden \(status.code) \"\(status.message)\", missing \(missingStatus.code) \"\(missingStatus.message)\"")
                compared += 1
            }
            walked += 1
            }
        }
        #expect(walked >= methods.count - Self.exempt.count)
        #expect(compared >= 20, "hidden and missing compared for \(compared) requests")
        try Self.compareCLI(socket: daemon.socketPath, token: shagang, hidden: [("asset get", asset.id), ("contract show", contractId), ("entity show", entityId)])
        #expect(try await RequestBoundsTests.auditCount(client) == before, "a scoped identity changed 熊河镇")
        await client.close()
    }

    /// `request` with each of `ids` it names replaced by an id of the same
    /// shape that no record has; and the pairs replaced.
    static func missing(_ request: any SwiftProtobuf.Message, ids: [String]) throws -> (any SwiftProtobuf.Message, [(String, String)]) {
        var text = try request.jsonString()
        var swapped: [(String, String)] = []
        for id in ids where text.contains(id) {
            let missing = String(id.prefix(2)) + String(repeating: "9", count: id.count - 2)
            text = text.replacingOccurrences(of: id, with: missing)
            swapped.append((id, missing))
        }
        return (try type(of: request).init(jsonString: text), swapped)
    }

    /// `taizhang <kind> get|show ID` by the scoped identity: what it prints for a
    /// hidden record and for a missing one is the same (but the id and the
    /// request-id line).
    static func compareCLI(socket: String, token: [String: String], hidden: [(String, String)]) throws {
        let file = NSTemporaryDirectory() + "tz-walk-token-" + String(UUID().uuidString.prefix(8))
        try Data(String(token["authorization"]?.dropFirst("Bearer ".count) ?? "").utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        func run(_ kind: String, _ id: String) throws -> (Int32, String) {
            let result = try CLITests.taizhang(kind.split(separator: " ").map(String.init) + [id, "--token-file", file], socket: socket)
            let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("(request-id") }
            return (result.status, lines.joined(separator: "\n"))
        }
        for (kind, id) in hidden {
            let missing = String(id.prefix(2)) + String(repeating: "9", count: id.count - 2)
            let (hiddenStatus, hiddenText) = try run(kind, id)
            let (missingStatus, missingText) = try run(kind, missing)
            #expect(hiddenStatus == 15 && hiddenStatus == missingStatus, "\(kind) get: exit \(hiddenStatus) and \(missingStatus)")
            #expect(hiddenText == missingText.replacingOccurrences(of: missing, with: id), "\(kind) get: \(hiddenText) | \(missingText)")
        }
    }

    /// A request about 熊河镇 for every method, valid in every other respect.
    static func requests(asset: String, confirming: String, contract: String, entity: String, income: String, visitor: String, own: String, plan: String, count: String,
                         disposal: String, sold: String, idle: String, alert: String, unit: String, household: String) -> [String: [any SwiftProtobuf.Message]] {
        typealias L = Taizhang_Ledger_V1_Asset
        let there = Fixture.asset(code: "XH-9")
        var existing = Fixture.asset(code: "XH-1")
        existing.id = asset
        existing.note = "改"
        var r: [String: [any SwiftProtobuf.Message]] = [:]
        func add(_ name: String, _ message: any SwiftProtobuf.Message) {
            r[name.contains("/") ? name : ledger + name, default: []].append(message)
        }
        add("/taizhang.system.v1.System/CreateBackup", Taizhang_System_V1_CreateBackupRequest())
        add("/taizhang.system.v1.System/ReadBackup", Taizhang_System_V1_ReadBackupRequest.with { $0.id = "BK00000001" })
        add("CreateAdminUnit", Taizhang_Ledger_V1_CreateAdminUnitRequest.with {
            $0.unit.code = "421024101202"; $0.unit.name = "新村"; $0.unit.level = .village; $0.unit.parentCode = "421024101000"
        })
        add("CreateProject", Taizhang_Ledger_V1_CreateProjectRequest.with {
            $0.project.id = "JL-2026-009"; $0.project.name = "熊河镇项目"; $0.project.year = 2026
            $0.project.implementingUnit = "县发展和改革局"; $0.project.adminCode = "421024101000"
        })
        add("GetProject", Taizhang_Ledger_V1_GetProjectRequest.with { $0.id = "JL-2019-001" })
        add("ListProjects", Taizhang_Ledger_V1_ListProjectsRequest())
        add("RegisterAsset", Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = there })
        add("GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = asset })
        add("ListAssets", Taizhang_Ledger_V1_ListAssetsRequest())
        add("ListAssets", Taizhang_Ledger_V1_ListAssetsRequest.with { $0.adminCode = xionghe })
        add("ListAssets", Taizhang_Ledger_V1_ListAssetsRequest.with { $0.adminCode = "421024000000" })
        add("UpdateAsset", Taizhang_Ledger_V1_UpdateAssetRequest.with { $0.asset = existing })
        add("BatchRegisterAssets", Taizhang_Ledger_V1_BatchRegisterAssetsRequest.with { $0.assets = [there] })
        add("ImportAssets", Taizhang_Ledger_V1_ImportAssetsRequest.with { $0.importID = "walk"; $0.assets = [there]; $0.final = true })
        add("ProposeOwnership", Taizhang_Ledger_V1_ProposeOwnershipRequest.with { $0.assetID = asset })
        add("ConfirmOwnership", LifecycleTests.confirm(asset))
        add("ApproveOwnership", Taizhang_Ledger_V1_ApproveOwnershipRequest.with { $0.assetID = confirming; $0.decision = .approve; $0.date = "2024-02-01" })
        add("OpenPublication", LifecycleTests.open(confirming, "2024-02-05"))
        add("FileObjection", Taizhang_Ledger_V1_FileObjectionRequest.with { $0.assetID = asset; $0.filed = "2024-02-06"; $0.filer = "村民"; $0.content = "份额有误" })
        add("ResolveObjection", Taizhang_Ledger_V1_ResolveObjectionRequest.with {
            $0.assetID = asset; $0.number = 1; $0.outcome = .dismissed; $0.date = "2024-02-07"; $0.resolution = "核实无误"
        })
        add("ClosePublication", LifecycleTests.close(asset, "2024-02-20"))
        add("RecordHandover", LifecycleTests.handover(asset, "2024-03-01"))
        add("HandOffOperation", Taizhang_Ledger_V1_HandOffOperationRequest.with {
            $0.assetID = asset; $0.date = "2024-05-01"; $0.operation.mode = .lease; $0.operation.counterparty = "阳光农业"; $0.operation.annualFeeFen = 960_000
        })
        add("PutInUse", Taizhang_Ledger_V1_PutInUseRequest.with { $0.assetID = asset; $0.date = "2024-05-01" })
        add("RecordValuation", Taizhang_Ledger_V1_RecordValuationRequest.with {
            $0.assetID = asset; $0.kind = .appraisal; $0.date = "2026-05-01"; $0.valueFen = 900_000; $0.basis = "评估报告"
        })
        add("GetDepreciation", Taizhang_Ledger_V1_GetDepreciationRequest.with { $0.assetID = asset })
        add("GetLedgerSummary", Taizhang_Ledger_V1_GetLedgerSummaryRequest())
        add("CreateEntity", Taizhang_Ledger_V1_CreateEntityRequest.with {
            $0.entity.name = "熊河镇合作社"; $0.entity.kind = .entityCooperative; $0.entity.adminCode = xionghe
            $0.entity.creditCode = "91110000600037341L"
        })
        add("GetEntity", Taizhang_Ledger_V1_GetEntityRequest.with { $0.id = entity })
        add("ListEntities", Taizhang_Ledger_V1_ListEntitiesRequest())
        add("UpdateEntity", Taizhang_Ledger_V1_UpdateEntityRequest.with {
            $0.entity.id = entity; $0.entity.name = "改名"; $0.entity.kind = .entityCooperative; $0.entity.adminCode = "421024102201"
            $0.entity.creditCode = "91350100M000100Y43"
        })
        add("CreateContract", Taizhang_Ledger_V1_CreateContractRequest.with {
            $0.contract.assetID = idle; $0.contract.entityID = entity; $0.contract.mode = .lease
            $0.contract.start = "2026-01-01"; $0.contract.end = "2026-12-31"
        })
        add("GetContract", Taizhang_Ledger_V1_GetContractRequest.with { $0.id = contract })
        add("ListContracts", Taizhang_Ledger_V1_ListContractsRequest.with { $0.assetID = asset })
        add("ListContracts", Taizhang_Ledger_V1_ListContractsRequest.with { $0.entityID = entity })
        add("ListContracts", Taizhang_Ledger_V1_ListContractsRequest.with { $0.entityID = visitor })
        add("/taizhang.risk.v1.Risk/GetRiskScore", Taizhang_Risk_V1_GetRiskScoreRequest.with { $0.entityID = visitor })
        add("AmendContract", Taizhang_Ledger_V1_AmendContractRequest.with {
            $0.contract.id = contract; $0.contract.entityID = entity; $0.contract.mode = .lease
            $0.contract.start = "2026-01-01"; $0.contract.end = "2029-12-31"
        })
        add("SubmitReport", Taizhang_Ledger_V1_SubmitReportRequest.with {
            $0.report.entityID = entity; $0.report.quarter = "2026Q2"; $0.report.submittedOn = "2026-07-10"
        })
        add("ListReports", Taizhang_Ledger_V1_ListReportsRequest.with { $0.entityID = entity })
        add("RecordIncome", StewardshipTests.income(asset: asset, on: "2026-06-30", fen: 100))
        add("ListIncome", Taizhang_Ledger_V1_ListIncomeRequest())
        add("ListIncome", Taizhang_Ledger_V1_ListIncomeRequest.with { $0.assetID = asset })
        add("ListIncome", Taizhang_Ledger_V1_ListIncomeRequest.with { $0.contractID = contract })
        add("GetArrears", Taizhang_Ledger_V1_GetArrearsRequest.with { $0.contractID = contract })
        add("CreateDistributionPlan", Taizhang_Ledger_V1_CreateDistributionPlanRequest.with {
            $0.plan.ownerCode = xionghe; $0.plan.incomeIds = [income]; $0.plan.allocations = [StewardshipTests.allocation(.reserve, 100)]; $0.draftedOn = "2026-07-01"
        })
        add("AdvanceDistributionPlan", StewardshipTests.advance(plan, .planPublished, "2026-04-20"))
        add("GetDistributionPlan", Taizhang_Ledger_V1_GetDistributionPlanRequest.with { $0.id = plan })
        add("ListDistributionPlans", Taizhang_Ledger_V1_ListDistributionPlansRequest())
        add("ListDistributionPlans", Taizhang_Ledger_V1_ListDistributionPlansRequest.with { $0.ownerCode = xionghe })
        add("OpenStockTake", Taizhang_Ledger_V1_OpenStockTakeRequest.with { $0.adminCode = xionghe; $0.year = 2026; $0.date = "2026-10-02" })
        add("RecordCount", Taizhang_Ledger_V1_RecordCountRequest.with {
            $0.stockTakeID = count; $0.lines = [.with { $0.assetID = asset; $0.found = true; $0.condition = "好" }]
        })
        add("CloseStockTake", Taizhang_Ledger_V1_CloseStockTakeRequest.with { $0.stockTakeID = count; $0.date = "2026-10-03" })
        add("GetStockTake", Taizhang_Ledger_V1_GetStockTakeRequest.with { $0.id = count })
        add("ListStockTakes", Taizhang_Ledger_V1_ListStockTakesRequest())
        add("DisposeAsset", StewardshipTests.disposal(asset: idle))
        add("ApproveDisposal", Taizhang_Ledger_V1_ApproveDisposalRequest.with { $0.disposalID = disposal; $0.decision = .approve; $0.date = "2026-09-20" })
        add("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest.with { $0.signOff = .signOffPending })
        add("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest.with { $0.adminCode = xionghe })
        add("RecordRevitalisingPlan", Taizhang_Ledger_V1_RecordRevitalisingPlanRequest.with {
            $0.plan.assetID = idle; $0.plan.measures = "托管"; $0.plan.responsible = "村两委"; $0.plan.approvedBy = "镇政府"; $0.plan.effectiveOn = "2026-06-01"
        })
        add("ListRevitalisingPlans", Taizhang_Ledger_V1_ListRevitalisingPlansRequest())
        add("ListRevitalisingPlans", Taizhang_Ledger_V1_ListRevitalisingPlansRequest.with { $0.assetID = idle })
        add("RecordUpkeep", Taizhang_Ledger_V1_RecordUpkeepRequest.with {
            $0.upkeep = .with { $0.assetID = asset; $0.kind = .upkeepInspection; $0.performedBy = "管护员"; $0.description_p = "巡查" }
        })
        add("ListUpkeep", Taizhang_Ledger_V1_ListUpkeepRequest())
        add("ListUpkeep", Taizhang_Ledger_V1_ListUpkeepRequest.with { $0.assetID = asset })
        add("ListUpkeep", Taizhang_Ledger_V1_ListUpkeepRequest.with { $0.adminCode = xionghe })
        add("SummarizeUpkeep", Taizhang_Ledger_V1_SummarizeUpkeepRequest())
        add("SummarizeUpkeep", Taizhang_Ledger_V1_SummarizeUpkeepRequest.with { $0.adminCode = xionghe })
        add("RegisterHouseholdDisposal", Taizhang_Ledger_V1_RegisterHouseholdDisposalRequest.with {
            $0.assetID = asset; $0.reason = .scrapping; $0.method = .scrap; $0.reportedBy = "a"; $0.registeredBy = "b"; $0.circumstances = "c"
        })
        add("VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest())
        add("ListAuditEntries", Taizhang_Ledger_V1_ListAuditEntriesRequest.with { $0.recordID = asset })
        add("GetAuditEntry", Taizhang_Ledger_V1_GetAuditEntryRequest.with { $0.seq = 1 })
        add("ProveRecord", Taizhang_Ledger_V1_ProveRecordRequest.with { $0.recordID = asset })
        add("AcceptAuditHead", Taizhang_Ledger_V1_AcceptAuditHeadRequest.with {
            $0.headSeq = 1
            $0.headHash = String(repeating: "0", count: 64)
            $0.reason = "walk"
        })
        add("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest())
        add("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.subjectID = entity })
        add("/taizhang.risk.v1.Risk/WatchAlerts", Taizhang_Risk_V1_WatchAlertsRequest())
        add("/taizhang.risk.v1.Risk/GetRiskScore", Taizhang_Risk_V1_GetRiskScoreRequest.with { $0.entityID = entity })
        add("/taizhang.risk.v1.Risk/WatchAlerts", Taizhang_Risk_V1_WatchAlertsRequest.with { $0.adminCode = xionghe })
        add("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.adminCode = xionghe; $0.followUpStates = ["pending"] })
        add("/taizhang.risk.v1.Risk/GetAlert", Taizhang_Risk_V1_GetAlertRequest.with { $0.alertID = alert })
        let sha = String(repeating: "ab", count: 32)
        add("/taizhang.risk.v1.Risk/AcknowledgeAlert", Taizhang_Risk_V1_AcknowledgeAlertRequest.with { $0.alertID = alert; $0.date = "2026-12-01" })
        add("/taizhang.risk.v1.Risk/AssignAlert", Taizhang_Risk_V1_AssignAlertRequest.with {
            $0.alertID = alert; $0.date = "2026-12-01"; $0.assignee = "李四"; $0.unitCode = "421024102201"
        })
        add("/taizhang.risk.v1.Risk/PlanRectification", Taizhang_Risk_V1_PlanRectificationRequest.with {
            $0.alertID = alert; $0.date = "2026-12-01"; $0.measures = "x"; $0.deadline = "2026-12-31"
        })
        add("/taizhang.risk.v1.Risk/RecordRectification", Taizhang_Risk_V1_RecordRectificationRequest.with {
            $0.alertID = alert; $0.date = "2026-12-01"; $0.note = "x"; $0.evidence = [.with { $0.name = "a"; $0.sha256 = sha }]
        })
        add("/taizhang.risk.v1.Risk/CloseAlert", Taizhang_Risk_V1_CloseAlertRequest.with { $0.alertID = alert; $0.date = "2026-12-01" })
        add("/taizhang.risk.v1.Risk/ReopenAlert", Taizhang_Risk_V1_ReopenAlertRequest.with { $0.alertID = alert; $0.date = "2026-12-01"; $0.reason = "x" })
        add("/taizhang.risk.v1.Risk/RecordTalk", Taizhang_Risk_V1_RecordTalkRequest.with {
            $0.alertID = alert; $0.date = "2026-12-01"; $0.interviewer = "a"; $0.interviewee = "b"; $0.notes = "c"
        })
        add("/taizhang.risk.v1.Risk/RecordAccountability", Taizhang_Risk_V1_RecordAccountabilityRequest.with {
            $0.alertID = alert; $0.date = "2026-12-01"; $0.decision = "a"; $0.person = "b"; $0.document = .with { $0.name = "d"; $0.sha256 = sha }
        })
        let supervision = "/taizhang.supervision.v1.Supervision/"
        add(supervision + "RegisterUnit", Taizhang_Supervision_V1_RegisterUnitRequest.with {
            $0.unit.id = unit; $0.unit.name = "熊河镇人民政府"; $0.unit.kind = .township; $0.unit.adminCode = "421024101000"; $0.unit.head = "张三"
        })
        add(supervision + "RegisterUnit", Taizhang_Supervision_V1_RegisterUnitRequest.with {
            $0.unit.name = "熊河镇政府"; $0.unit.kind = .township; $0.unit.adminCode = "421024101000"; $0.unit.head = "张三"
        })
        add(supervision + "ListUnits", Taizhang_Supervision_V1_ListUnitsRequest())
        add(supervision + "ListUnits", Taizhang_Supervision_V1_ListUnitsRequest.with { $0.adminCode = "421024101000" })
        add(supervision + "SetUnitTargets", Taizhang_Supervision_V1_SetUnitTargetsRequest.with {
            $0.unitID = unit; $0.year = 2026; $0.date = "2026-12-01"; $0.reason = "x"; $0.quarters = Array(repeating: .with { $0.spendFen = 1 }, count: 4)
        })
        add(supervision + "RecordMilestone", Taizhang_Supervision_V1_RecordMilestoneRequest.with {
            $0.projectID = "JL-2019-001"; $0.milestone = .tendered; $0.date = "2026-12-01"; $0.document = .with { $0.name = "d"; $0.sha256 = sha }
        })
        add(supervision + "RecordAllocation", Taizhang_Supervision_V1_RecordAllocationRequest.with {
            $0.projectID = "JL-2019-001"
            $0.allocation = .with { $0.year = 2026; $0.source = .linkage; $0.level = .central; $0.amountFen = 1; $0.date = "2026-12-01"; $0.document = .with { $0.name = "d"; $0.sha256 = sha } }
        })
        add(supervision + "RecordDisbursement", Taizhang_Supervision_V1_RecordDisbursementRequest.with {
            $0.projectID = "JL-2019-001"
            $0.disbursement = .with { $0.source = .linkage; $0.level = .central; $0.amountFen = 1; $0.date = "2026-12-01"; $0.document = .with { $0.name = "d"; $0.sha256 = sha } }
        })
        add(supervision + "AssessProject", Taizhang_Supervision_V1_AssessProjectRequest.with {
            $0.projectID = "JL-2019-001"; $0.entityID = entity; $0.date = "2026-12-01"
            $0.facts = .with { $0.investmentFen = 100; $0.annualOutputFen = 100; $0.householdsPlanned = 1; $0.householdsLinked = 1 }
        })
        add(supervision + "GetProjectProgress", Taizhang_Supervision_V1_GetProjectProgressRequest.with { $0.projectID = "JL-2019-001" })
        add(supervision + "GetUnitLights", Taizhang_Supervision_V1_GetUnitLightsRequest.with { $0.unitID = unit; $0.year = 2026 })
        add(supervision + "RankUnits", Taizhang_Supervision_V1_RankUnitsRequest())
        add(supervision + "RankUnits", Taizhang_Supervision_V1_RankUnitsRequest.with { $0.quarter = "2026Q1" })
        let households = "/taizhang.household.v1.Households/"
        add(households + "RegisterHousehold", HouseholdTests.registration(village: xionghe, idNumber: "421024195603140022"))
        add(households + "UpdateHousehold", Taizhang_Household_V1_UpdateHouseholdRequest.with {
            $0.household = HouseholdTests.registration(village: xionghe, idNumber: "").household
            $0.household.id = household; $0.household.category = .suddenHardship; $0.reason = "因灾"
        })
        add(households + "GetHousehold", Taizhang_Household_V1_GetHouseholdRequest.with { $0.id = household })
        add(households + "ListHouseholds", Taizhang_Household_V1_ListHouseholdsRequest())
        add(households + "ListHouseholds", Taizhang_Household_V1_ListHouseholdsRequest.with { $0.adminCode = xionghe })
        add(households + "RevealHouseholds", Taizhang_Household_V1_RevealHouseholdsRequest.with { $0.ids = [household]; $0.reason = "核对" })
        add(households + "RecordVisit", Taizhang_Household_V1_RecordVisitRequest.with {
            $0.visit = .with { $0.householdID = household; $0.planID = plan; $0.inspector = "县督查组"; $0.asked = "是否收到"; $0.paymentConfirmed = true; $0.signaturesMatch = true }
        })
        add(households + "ImportHouseholds", Taizhang_Household_V1_ImportHouseholdsRequest.with {
            $0.households = [HouseholdTests.registration(village: xionghe, idNumber: "421024195603140022").household]; $0.reason = "识别纳入"
        })
        add(households + "ListVisits", Taizhang_Household_V1_ListVisitsRequest())
        add(households + "ListVisits", Taizhang_Household_V1_ListVisitsRequest.with { $0.adminCode = xionghe })
        // Its own records, naming 熊河镇's in a field.
        add("RecordIncome", StewardshipTests.income(asset: own, contract: contract, on: "2026-06-30", fen: 100))
        add("CreateDistributionPlan", Taizhang_Ledger_V1_CreateDistributionPlanRequest.with {
            $0.plan.ownerCode = "421024102201"; $0.plan.incomeIds = [income]; $0.plan.allocations = [StewardshipTests.allocation(.reserve, 100)]
            $0.draftedOn = "2026-07-01"
        })
        add("DisposeAsset", Taizhang_Ledger_V1_DisposeAssetRequest.with { request in
            request = StewardshipTests.disposal(asset: own)
            request.disposal.reason = .stockTakeLoss
            request.disposal.stockTakeID = count
        })
        add("CreateEntity", Taizhang_Ledger_V1_CreateEntityRequest.with {
            $0.entity.name = "新河村合作社"; $0.entity.kind = .entityCooperative; $0.entity.adminCode = "421024102201"
            $0.entity.creditCode = "91350100M000100Y43"
        })
        add("RegisterAsset", Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = Fixture.asset(code: "XH-1", village: "421024102201") })
        // Ids that do not exist answer like hidden ones.
        add("GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = "ZC09999999" })
        add("OpenPublication", Taizhang_Ledger_V1_OpenPublicationRequest.with { $0.assetID = "ZC09999999"; $0.start = "bad" })
        // Requests wrong in other respects too: the record is still not there
        // for the caller (a validation error would say it exists).
        add("OpenPublication", Taizhang_Ledger_V1_OpenPublicationRequest.with { $0.assetID = confirming; $0.start = "2024-02-30" })
        add("FileObjection", Taizhang_Ledger_V1_FileObjectionRequest.with { $0.assetID = asset })
        add("UpdateAsset", Taizhang_Ledger_V1_UpdateAssetRequest.with { $0.asset = existing; $0.asset.category = .unspecified })
        add("RecordIncome", StewardshipTests.income(asset: asset, on: "2026-06-31", fen: -5))
        add("AdvanceDistributionPlan", StewardshipTests.advance(plan, .planPublished, "soon"))
        add("RecordCount", Taizhang_Ledger_V1_RecordCountRequest.with { $0.stockTakeID = count; $0.lines = [.with { $0.assetID = asset }] })
        add("DisposeAsset", Taizhang_Ledger_V1_DisposeAssetRequest.with { $0.disposal.assetID = idle })
        add("ApproveDisposal", Taizhang_Ledger_V1_ApproveDisposalRequest.with { $0.disposalID = disposal })
        add("SubmitReport", Taizhang_Ledger_V1_SubmitReportRequest.with { $0.report.entityID = entity; $0.report.quarter = "2026Q9" })
        add("UpdateEntity", Taizhang_Ledger_V1_UpdateEntityRequest.with { $0.entity.id = entity; $0.entity.creditCode = "bad" })
        add("AmendContract", Taizhang_Ledger_V1_AmendContractRequest.with { $0.contract.id = contract; $0.contract.end = "2020-01-01" })
        add("CreateContract", Taizhang_Ledger_V1_CreateContractRequest.with { $0.contract.assetID = idle; $0.contract.entityID = entity })
        add("RecordRevitalisingPlan", Taizhang_Ledger_V1_RecordRevitalisingPlanRequest.with { $0.plan.assetID = idle })
        return r
    }
}
