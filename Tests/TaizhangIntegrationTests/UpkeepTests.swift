// The upkeep log and household assets over the real daemon (issue 23):
// upkeep records with every bad field listed and nothing changed; the
// year's cost per village and per asset; household assets owned and upkept
// by a household of the register of their village, supervised by the
// village, their disposal registered by the village (004 §27); an asset
// with no upkeep record for the configured days flagged in its stock-take
// and raising upkeep_overdue on its unit until it is upkept.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct UpkeepTests {
    static let ledger = "/taizhang.ledger.v1.Ledger/"
    static let baima = HouseholdTests.baima
    static let xinhe = HouseholdTests.xinhe

    static func call<R: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: some SwiftProtobuf.Message,
                                               as: R.Type = R.self) async throws -> (Taizhang_Rpc_V1_Status, R?) {
        let response = try await client.call(ledger + method, payload: try request.serializedData())
        if response.hasStatus, response.status.code != .ok { return (response.status, nil) }
        return (Taizhang_Rpc_V1_Status(), try R(serializedBytes: response.payload))
    }

    static func ok<R: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: some SwiftProtobuf.Message,
                                             as: R.Type = R.self) async throws -> R {
        let (status, answer) = try await call(client, method, request, as: R.self)
        return try #require(answer, "\(method): \(status.code) \(status.message) \(status.violations.map { "\($0.field): \($0.description_p)" })")
    }

    static func upkeep(_ asset: String, _ kind: Taizhang_Ledger_V1_UpkeepKind, cost: Int64 = 0, date: String = "") -> Taizhang_Ledger_V1_RecordUpkeepRequest {
        .with { $0.upkeep = .with { $0.assetID = asset; $0.kind = kind; $0.costFen = cost; $0.date = date
            $0.performedBy = "白马村公益岗 李建军"; $0.description_p = "巡查设备，更换密封圈" } }
    }

    /// A household asset of `village` owned by `household` (HH…; "" for an owner named by text only).
    static func householdAsset(village: String, household: String, kind: Taizhang_Ledger_V1_OwnerKind = .householdOwner) -> Taizhang_Ledger_V1_Asset {
        var asset = Fixture.asset(village: village, value: 800_000)
        asset.name = "到户能繁母牛"
        asset.category = .household
        asset.subType = "到户畜禽"
        asset.owners = [.with { $0.name = "张桂英"; $0.kind = kind; $0.shareBp = 10_000; $0.householdID = household
            if kind == .villageCollective { $0.adminCode = village } }]
        asset.custody.custodian = "张桂英"
        return asset
    }

    @Test func recorded_everyBadFieldListed_costsPerVillageAndAsset_householdAssetsOwnedSupervisedAndDisposedByTheVillage() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let household = try await HouseholdTests.register(client, village: Self.baima, idNumber: "421024198001011235")
        let other = try await HouseholdTests.register(client, village: Self.xinhe, idNumber: "421024197503062011")
        let plant = try await Fixture.register(client, Fixture.asset())

        // A household asset names a household of the register of its village as owner and upkeeper.
        let cow = try await Fixture.register(client, Self.householdAsset(village: Self.baima, household: household.id))
        #expect(cow.owners.map(\.householdID) == [household.id])
        for (asset, field, words) in [(Self.householdAsset(village: Self.baima, household: other.id), "asset.owners[0].household_id", "village \(Self.xinhe)"),
                                      (Self.householdAsset(village: Self.baima, household: "HH09999999"), "asset.owners[0].household_id", "no household"),
                                      (Self.householdAsset(village: Self.baima, household: household.id, kind: .villageCollective), "asset.owners[0].household_id", "kind must be household")] {
            let (status, _) = try await Self.call(client, "RegisterAsset", Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = asset },
                                                  as: Taizhang_Ledger_V1_Asset.self)
            #expect(status.code == .invalidArgument && status.violations.contains { $0.field == field && $0.description_p.contains(words) },
                    "\(status.violations.map { "\($0.field): \($0.description_p)" })")
        }

        // Upkeep recorded with its cost and documents.
        var repair = Self.upkeep(plant.id, .upkeepRepair, cost: 128_050)
        repair.upkeep.documents = [.with { $0.name = "维修发票"; $0.kind = "invoice"; $0.sha256 = String(repeating: "0f", count: 32) }]
        let first = try await Self.ok(client, "RecordUpkeep", repair, as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(first.id == "GH00000001" && first.adminCode == Self.baima && first.costFen == 128_050 && first.documents.count == 1 && first.householdID.isEmpty)

        // Every bad field at once, and nothing recorded.
        var bad = Self.upkeep(plant.id, .unspecified, cost: -5, date: "2099-01-01")
        bad.upkeep.performedBy = " "
        bad.upkeep.description_p = ""
        bad.upkeep.documents = [.with { $0.name = "照片"; $0.sha256 = "abc" }]
        let (refused, _) = try await Self.call(client, "RecordUpkeep", bad, as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(refused.code == .invalidArgument)
        #expect(Set(refused.violations.map(\.field)) == ["upkeep.kind", "upkeep.cost_fen", "upkeep.date", "upkeep.performed_by", "upkeep.description",
                                                          "upkeep.documents[0].sha256"], "\(refused.violations.map { "\($0.field): \($0.description_p)" })")
        // Supervision is for household assets; an unknown asset is not found; a cost over the limit is refused.
        let (notHousehold, _) = try await Self.call(client, "RecordUpkeep", Self.upkeep(plant.id, .upkeepSupervision), as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(notHousehold.code == .invalidArgument && notHousehold.violations.map(\.field) == ["upkeep.kind"])
        let (unknown, _) = try await Self.call(client, "RecordUpkeep", Self.upkeep("ZC09999999", .upkeepInspection), as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(unknown.code == .notFound)
        let (tooDear, _) = try await Self.call(client, "RecordUpkeep", Self.upkeep(plant.id, .upkeepRepair, cost: 10_000_000_001), as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(tooDear.code == .invalidArgument && tooDear.violations.map(\.field) == ["upkeep.cost_fen"])

        // The village supervises the household asset's use: the record names the household.
        let supervised = try await Self.ok(client, "RecordUpkeep", Self.upkeep(cow.id, .upkeepSupervision), as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(supervised.id == "GH00000002" && supervised.householdID == household.id)
        _ = try await Self.ok(client, "RecordUpkeep", Self.upkeep(plant.id, .upkeepInspection, cost: 2_000), as: Taizhang_Ledger_V1_Upkeep.self)

        let listed = try await Self.ok(client, "ListUpkeep", Taizhang_Ledger_V1_ListUpkeepRequest.with { $0.adminCode = Self.baima },
                                       as: Taizhang_Ledger_V1_ListUpkeepResponse.self)
        #expect(listed.total == 3 && listed.costFen == 130_050 && listed.records.map(\.id) == ["GH00000001", "GH00000002", "GH00000003"])
        let supervision = try await Self.ok(client, "ListUpkeep", Taizhang_Ledger_V1_ListUpkeepRequest.with { $0.kind = .upkeepSupervision },
                                            as: Taizhang_Ledger_V1_ListUpkeepResponse.self)
        #expect(supervision.records.map(\.assetID) == [cow.id])
        let elsewhere = try await Self.ok(client, "ListUpkeep", Taizhang_Ledger_V1_ListUpkeepRequest.with { $0.adminCode = Self.xinhe },
                                          as: Taizhang_Ledger_V1_ListUpkeepResponse.self)
        #expect(elsewhere.total == 0)

        // The year's cost per village and per asset.
        let summary = try await Self.ok(client, "SummarizeUpkeep", Taizhang_Ledger_V1_SummarizeUpkeepRequest.with { $0.adminCode = "421024000000" },
                                        as: Taizhang_Ledger_V1_UpkeepSummary.self)
        #expect(summary.records == 3 && summary.costFen == 130_050)
        #expect(summary.units.map(\.adminCode) == [Self.baima] && summary.units.first?.name == "白马村" && summary.units.first?.assets == 2)
        #expect(summary.assets.map(\.assetID) == [plant.id, cow.id] && summary.assets.map(\.costFen) == [130_050, 0] && summary.assets.first?.records == 2)
        // The unit's ledger view carries the year's upkeep too.
        let view = try await Self.ok(client, "GetLedgerSummary", Taizhang_Ledger_V1_GetLedgerSummaryRequest.with { $0.adminCode = Self.baima },
                                     as: Taizhang_Ledger_V1_LedgerSummary.self)
        #expect(view.upkeepRecords == 3 && view.upkeepCostFen == 130_050)
        let xinheView = try await Self.ok(client, "GetLedgerSummary", Taizhang_Ledger_V1_GetLedgerSummaryRequest.with { $0.adminCode = Self.xinhe },
                                      as: Taizhang_Ledger_V1_LedgerSummary.self)
        #expect(xinheView.upkeepRecords == 0 && xinheView.upkeepCostFen == 0)
        let (badYear, _) = try await Self.call(client, "SummarizeUpkeep", Taizhang_Ledger_V1_SummarizeUpkeepRequest.with { $0.year = 1999 },
                                               as: Taizhang_Ledger_V1_UpkeepSummary.self)
        #expect(badYear.code == .invalidArgument)

        // The household asset's disposal: DisposeAsset refuses it (004 §24); the village registers it (004 §27).
        func registration(_ asset: String) -> Taizhang_Ledger_V1_RegisterHouseholdDisposalRequest {
            .with { $0.assetID = asset; $0.reason = .scrapping; $0.method = .scrap; $0.reportedBy = "张桂英"; $0.registeredBy = "白马村村委会 王会计"
                $0.circumstances = "母牛病亡，农户报村委会核实" }
        }
        let (operating, _) = try await Self.call(client, "RegisterHouseholdDisposal", registration(plant.id), as: Taizhang_Ledger_V1_Disposal.self)
        #expect(operating.code == .failedPrecondition && operating.message.contains("DisposeAsset"))
        var incomplete = registration(cow.id)
        (incomplete.reason, incomplete.reportedBy, incomplete.circumstances, incomplete.proceedsFen) = (.stockTakeLoss, "", " ", 10_000_000_001)
        incomplete.method = .unspecified
        let (missing, _) = try await Self.call(client, "RegisterHouseholdDisposal", incomplete, as: Taizhang_Ledger_V1_Disposal.self)
        #expect(missing.code == .invalidArgument
                && Set(missing.violations.map(\.field)) == ["method", "stock_take_id", "reported_by", "circumstances", "proceeds_fen"],
                "\(missing.violations.map { "\($0.field): \($0.description_p)" })")
        let disposal = try await Self.ok(client, "RegisterHouseholdDisposal", registration(cow.id), as: Taizhang_Ledger_V1_Disposal.self)
        #expect(disposal.householdDisposal.registeredBy == "白马村村委会 王会计" && !disposal.hasSignOff && disposal.approvals.isEmpty)
        let gone = try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = cow.id }, as: Taizhang_Ledger_V1_Asset.self)
        #expect(gone.lifecycle.stage == .disposed)
        let writeOff = try await Self.ok(client, "ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest(), as: Taizhang_Ledger_V1_ListDisposalsResponse.self)
        #expect(writeOff.disposals.map(\.id) == [disposal.id])
        let (after, _) = try await Self.call(client, "RecordUpkeep", Self.upkeep(cow.id, .upkeepSupervision), as: Taizhang_Ledger_V1_Upkeep.self)
        #expect(after.code == .failedPrecondition)
        let (twice, _) = try await Self.call(client, "RegisterHouseholdDisposal", registration(cow.id), as: Taizhang_Ledger_V1_Disposal.self)
        #expect(twice.code == .failedPrecondition)
        // The journal vouches for all of it.
        let verified = try await client.unary(Self.ledger + "VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                              as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(verified.intact, "\(verified.problem)")
    }

    @Test func anAssetWithoutUpkeepForTheConfiguredDays_isFlaggedInItsStockTake_andRaisesAnAlertUntilUpkept() async throws {
        let data = NSTemporaryDirectory() + "tz-upkeep-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: data) }
        var ids: [String] = []
        do {
            let daemon = try DaemonProcess(dataDirectory: data)
            let client = try await daemon.connect()
            try await Fixture.seed(client)
            for _ in 0..<3 { ids.append(try await Fixture.register(client, Fixture.asset()).id) }
            // Today nothing is overdue: the assets entered the ledger today.
            let run = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
            #expect(run.assetsChecked == 3)
            #expect(try await Self.upkeepAlerts(client).isEmpty)
            daemon.stop()
        }
        // 400 days on (upkeep_overdue_days is 365 by default); the first asset upkept that day.
        let daemon = try DaemonProcess(dataDirectory: data, environment: ["TAIZHANG_FAULT_CLOCK_OFFSET_DAYS": "400"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        _ = try await Self.ok(client, "RecordUpkeep", Self.upkeep(ids[0], .upkeepInspection), as: Taizhang_Ledger_V1_Upkeep.self)
        let raised = try await Self.upkeepAlerts(client)
        #expect(raised.map(\.subjectID) == [Self.baima] && raised.first?.level == .yellow)
        #expect(raised.first?.message.contains("2项资产超过365天无管护记录") == true && raised.first?.message.contains(ids[1]) == true && raised.first?.message.contains(ids[0]) == false, "\(raised.first?.message ?? "")")
        // The stock-take flags the two.
        let year = Int32(Calendar(identifier: .gregorian).component(.year, from: Date().addingTimeInterval(400 * 86_400 + 8 * 3_600)))
        let count = try await Self.ok(client, "OpenStockTake", Taizhang_Ledger_V1_OpenStockTakeRequest.with { $0.adminCode = Self.baima; $0.year = year },
                                      as: Taizhang_Ledger_V1_StockTake.self)
        let shown = try await Self.ok(client, "GetStockTake", Taizhang_Ledger_V1_GetStockTakeRequest.with { $0.id = count.id }, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(shown.upkeepOverdue == [ids[1], ids[2]])
        // Upkept: the flag and the alert go.
        for id in ids.dropFirst() { _ = try await Self.ok(client, "RecordUpkeep", Self.upkeep(id, .upkeepMaintenance), as: Taizhang_Ledger_V1_Upkeep.self) }
        #expect(try await Self.upkeepAlerts(client).isEmpty)
        let again = try await Self.ok(client, "GetStockTake", Taizhang_Ledger_V1_GetStockTakeRequest.with { $0.id = count.id }, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(again.upkeepOverdue.isEmpty)
    }

    /// The open upkeep_overdue alerts after a run of the monitor.
    static func upkeepAlerts(_ client: TaizhangClient) async throws -> [Taizhang_Risk_V1_Alert] {
        _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        return try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.kind = "upkeep_overdue"; $0.state = .open },
                                      as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
    }
}
