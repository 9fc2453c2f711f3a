// The life cycle over the socket, against the real daemon: every transition,
// every refusal (with its code and fields, and nothing changed), depreciation,
// ledger views and the staged import.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct LifecycleTests {
    typealias Asset = Taizhang_Ledger_V1_Asset

    /// Calls `method` and returns the asset, or throws the RPC error.
    static func step<Request: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: Request) async throws -> Asset {
        try await client.unary(Fixture.ledger + method, request, as: Asset.self)
    }

    /// Calls `method`, expecting a refusal; returns its status.
    static func refusal<Request: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: Request) async throws -> Taizhang_Rpc_V1_Status {
        let response = try await client.call(Fixture.ledger + method, payload: try request.serializedData())
        #expect(response.status.code != .ok, "\(method) was expected to be refused")
        return response.status
    }

    static func get(_ client: TaizhangClient, _ id: String) async throws -> Asset {
        var request = Taizhang_Ledger_V1_GetAssetRequest()
        request.id = id
        return try await client.unary(Fixture.ledger + "GetAsset", request, as: Asset.self)
    }

    static func confirm(_ id: String, date: String = "2024-01-31") -> Taizhang_Ledger_V1_ConfirmOwnershipRequest {
        var request = Taizhang_Ledger_V1_ConfirmOwnershipRequest()
        request.assetID = id
        request.date = date
        return request
    }

    static func open(_ id: String, _ start: String) -> Taizhang_Ledger_V1_OpenPublicationRequest {
        var request = Taizhang_Ledger_V1_OpenPublicationRequest()
        request.assetID = id
        request.start = start
        return request
    }

    static func close(_ id: String, _ date: String) -> Taizhang_Ledger_V1_ClosePublicationRequest {
        var request = Taizhang_Ledger_V1_ClosePublicationRequest()
        request.assetID = id
        request.date = date
        return request
    }

    static func handover(_ id: String, _ date: String) -> Taizhang_Ledger_V1_RecordHandoverRequest {
        var request = Taizhang_Ledger_V1_RecordHandoverRequest()
        request.assetID = id
        request.date = date
        request.fromParty = "县发展和改革局"
        request.toParty = "白马村集体经济组织"
        request.upkeepDuties = "村两委落实管护责任人，每季度巡检"
        return request
    }

    /// Registered, confirmed, published (closed 19 Feb 2024).
    static func published(_ client: TaizhangClient, code: String) async throws -> Asset {
        let asset = try await Fixture.register(client, Fixture.asset(code: code))
        _ = try await step(client, "ConfirmOwnership", confirm(asset.id))
        _ = try await step(client, "OpenPublication", open(asset.id, "2024-02-02"))
        return try await step(client, "ClosePublication", close(asset.id, "2024-02-19"))
    }

    @Test func everyTransition_fromRegistrationToOperation_isAppliedAndAudited() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = try await Fixture.register(client, Fixture.asset(code: "LC-1"))
        #expect(asset.lifecycle.stage == .registered)
        #expect(asset.valueBasis == .finalAccounts)
        #expect(asset.lifecycle.valuations.map(\.valueFen) == [1_000_000])

        var propose = Taizhang_Ledger_V1_ProposeOwnershipRequest()
        propose.assetID = asset.id
        let proposal = try await client.unary(Fixture.ledger + "ProposeOwnership", propose, as: Taizhang_Ledger_V1_OwnershipProposal.self)
        #expect(proposal.rule == "004 §11")
        #expect(proposal.owners.map(\.name) == ["白马村集体经济组织"])

        asset = try await Self.step(client, "ConfirmOwnership", Self.confirm(asset.id))
        #expect(asset.lifecycle.stage == .ownershipConfirmed)
        #expect(asset.owners.map(\.name) == ["白马村集体经济组织"])
        asset = try await Self.step(client, "OpenPublication", Self.open(asset.id, "2024-02-02"))
        #expect(asset.lifecycle.stage == .underPublication)
        #expect(asset.lifecycle.publications.last?.earliestClose == "2024-02-18")

        var objection = Taizhang_Ledger_V1_FileObjectionRequest()
        objection.assetID = asset.id
        objection.filed = "2024-02-05"
        objection.filer = "村民李四"
        objection.content = "该电站应由两村共有"
        asset = try await Self.step(client, "FileObjection", objection)
        #expect(asset.lifecycle.publications.last?.objections.map(\.number) == [1])
        var resolve = Taizhang_Ledger_V1_ResolveObjectionRequest()
        resolve.assetID = asset.id
        resolve.number = 1
        resolve.outcome = .dismissed
        resolve.date = "2024-02-06"
        resolve.resolution = "经核实项目仅在白马村实施"
        asset = try await Self.step(client, "ResolveObjection", resolve)
        #expect(asset.lifecycle.publications.last?.objections.first?.outcome == .dismissed)

        asset = try await Self.step(client, "ClosePublication", Self.close(asset.id, "2024-02-19"))
        #expect(asset.lifecycle.stage == .published)
        #expect(asset.lifecycle.handoverDue == "2024-04-01")
        asset = try await Self.step(client, "RecordHandover", Self.handover(asset.id, "2024-03-20"))
        #expect(asset.lifecycle.stage == .handoverPublication)
        #expect(asset.lifecycle.handover.onTime)
        #expect(asset.lifecycle.publications.last?.kind == .handoverNotice)
        #expect(asset.lifecycle.publications.last?.earliestClose == "2024-04-03")
        asset = try await Self.step(client, "ClosePublication", Self.close(asset.id, "2024-04-03"))
        #expect(asset.lifecycle.stage == .handedOver)

        var handOff = Taizhang_Ledger_V1_HandOffOperationRequest()
        handOff.assetID = asset.id
        handOff.date = "2024-05-01"
        handOff.operation.mode = .lease
        handOff.operation.counterparty = "荆州市阳光农业有限公司"
        handOff.operation.annualFeeFen = 960_000
        handOff.operation.termStart = "2024-05-01"
        handOff.operation.termEnd = "2029-04-30"
        handOff.expectedVersion = asset.version
        asset = try await Self.step(client, "HandOffOperation", handOff)
        #expect(asset.lifecycle.stage == .inOperation)
        #expect(asset.operation.counterparty == "荆州市阳光农业有限公司")
        #expect(asset.version == 9)

        // Every step is in the audit journal, with the record before and after.
        var audit = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        audit.recordID = asset.id
        let entries = try await client.unary(Fixture.ledger + "ListAuditEntries", audit, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self).entries
        #expect(entries.map { $0.method.split(separator: "/").last.map(String.init) ?? "" } == [
            "RegisterAsset", "ConfirmOwnership", "OpenPublication", "FileObjection", "ResolveObjection",
            "ClosePublication", "RecordHandover", "ClosePublication", "HandOffOperation"])
        #expect(entries.last?.beforeJson.contains("\"stage\":\"handed_over\"") == true)
        #expect(entries.last?.afterJson.contains("\"stage\":\"in_operation\"") == true)

        // The life cycle survives a restart.
        daemon.stop()
        let again = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { again.stop() }
        let reread = try await Self.get(try await again.connect(), asset.id)
        #expect(reread.lifecycle == asset.lifecycle)
    }

    @Test func illegalTransitions_areRefusedWithTheStageAndChangeNothing() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "LC-2"))

        var status = try await Self.refusal(client, "OpenPublication", Self.open(asset.id, "2024-02-02"))
        #expect(status.code == .failedPrecondition)
        #expect(status.message.contains("stage registered (已登记)"), "\(status.message)")
        #expect(status.message.contains("ConfirmOwnership"))
        status = try await Self.refusal(client, "RecordHandover", Self.handover(asset.id, "2024-03-20"))
        #expect(status.code == .failedPrecondition)
        var inUse = Taizhang_Ledger_V1_PutInUseRequest()
        inUse.assetID = asset.id
        inUse.date = "2024-05-01"
        status = try await Self.refusal(client, "PutInUse", inUse)
        #expect(status.code == .failedPrecondition)

        _ = try await Self.step(client, "ConfirmOwnership", Self.confirm(asset.id))
        _ = try await Self.step(client, "OpenPublication", Self.open(asset.id, "2024-02-02"))
        status = try await Self.refusal(client, "ClosePublication", Self.close(asset.id, "2024-02-16"))
        #expect(status.code == .failedPrecondition)
        #expect(status.message.contains("can close on 2024-02-18 at the earliest"), "\(status.message)")

        var objection = Taizhang_Ledger_V1_FileObjectionRequest()
        objection.assetID = asset.id
        objection.filed = "2024-02-05"
        objection.filer = "村民"
        objection.content = "异议"
        _ = try await Self.step(client, "FileObjection", objection)
        status = try await Self.refusal(client, "ClosePublication", Self.close(asset.id, "2024-02-19"))
        #expect(status.code == .failedPrecondition)
        #expect(status.message.contains("objection 1 is not resolved"))

        var unknownObjection = Taizhang_Ledger_V1_ResolveObjectionRequest()
        unknownObjection.assetID = asset.id
        unknownObjection.number = 9
        unknownObjection.outcome = .dismissed
        unknownObjection.date = "2024-02-06"
        unknownObjection.resolution = "x"
        status = try await Self.refusal(client, "ResolveObjection", unknownObjection)
        #expect(status.code == .notFound)

        // Every bad field at once.
        var blank = Taizhang_Ledger_V1_ResolveObjectionRequest()
        blank.date = "06/02/2024"
        status = try await Self.refusal(client, "ResolveObjection", blank)
        #expect(status.code == .invalidArgument)
        #expect(Set(status.violations.map(\.field)) == ["asset_id", "date", "outcome", "number"])

        var stale = Self.close(asset.id, "2024-02-19")
        stale.expectedVersion = 1
        status = try await Self.refusal(client, "ClosePublication", stale)
        #expect(status.code == .aborted)
        status = try await Self.refusal(client, "ClosePublication", Self.close("ZC99999999", "2024-02-19"))
        #expect(status.code == .notFound)

        // Confirmed owners are not UpdateAsset's to change.
        var current = try await Self.get(client, asset.id)
        var update = Taizhang_Ledger_V1_UpdateAssetRequest()
        update.asset = current
        update.asset.owners[0].name = "别人"
        status = try await Self.refusal(client, "UpdateAsset", update)
        #expect(status.code == .invalidArgument)
        #expect(status.violations.map(\.field) == ["asset.owners"])

        // Nothing refused changed the asset.
        let after = try await Self.get(client, asset.id)
        #expect(after.version == current.version)
        #expect(after.lifecycle == current.lifecycle)
        current = after
    }

    @Test func upheldObjection_putInUse_renovation_andTheOtherRefusals() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = try await Fixture.register(client, Fixture.asset(code: "LC-6"))
        // No notice is up: an objection has nowhere to go.
        var objection = Taizhang_Ledger_V1_FileObjectionRequest()
        objection.assetID = asset.id
        objection.filed = "2024-02-05"
        objection.filer = "三湖村村委会"
        objection.content = "新河村出资一半"
        var status = try await Self.refusal(client, "FileObjection", objection)
        #expect(status.code == .failedPrecondition)
        _ = try await Self.step(client, "ConfirmOwnership", Self.confirm(asset.id))
        _ = try await Self.step(client, "OpenPublication", Self.open(asset.id, "2024-02-02"))
        asset = try await Self.step(client, "FileObjection", objection)
        // Upheld: the owners are corrected and the notice starts again from 19 February (7 working days: 28 February).
        var resolve = Taizhang_Ledger_V1_ResolveObjectionRequest()
        resolve.assetID = asset.id
        resolve.number = 1
        resolve.outcome = .upheld
        resolve.date = "2024-02-07"
        resolve.resolution = "按出资比例更正"
        resolve.restart = "2024-02-19"
        resolve.correctedOwners = [
            .with { $0.name = "白马村集体经济组织"; $0.kind = .villageCollective; $0.adminCode = "421024101201"; $0.shareBp = 5_000 },
            .with { $0.name = "新河村集体经济组织"; $0.kind = .villageCollective; $0.adminCode = "421024102201"; $0.shareBp = 5_000 },
        ]
        resolve.expectedVersion = asset.version
        asset = try await Self.step(client, "ResolveObjection", resolve)
        #expect(asset.owners.map(\.shareBp) == [5_000, 5_000])
        #expect(asset.lifecycle.publications.map(\.round) == [1, 2])
        #expect(asset.lifecycle.publications[0].restarted == "2024-02-07")
        #expect(asset.lifecycle.publications[1].earliestClose == "2024-02-28")
        status = try await Self.refusal(client, "ClosePublication", Self.close(asset.id, "2024-02-27"))
        #expect(status.code == .failedPrecondition)
        _ = try await Self.step(client, "ClosePublication", Self.close(asset.id, "2024-02-28"))
        _ = try await Self.step(client, "RecordHandover", Self.handover(asset.id, "2024-03-20"))
        _ = try await Self.step(client, "ClosePublication", Self.close(asset.id, "2024-04-03"))
        // Handing off needs the contract.
        var handOff = Taizhang_Ledger_V1_HandOffOperationRequest()
        handOff.assetID = asset.id
        handOff.date = "2024-05-01"
        status = try await Self.refusal(client, "HandOffOperation", handOff)
        #expect(status.code == .invalidArgument)
        #expect(status.violations.map(\.field) == ["operation"])
        var inUse = Taizhang_Ledger_V1_PutInUseRequest()
        inUse.assetID = asset.id
        inUse.date = "2024-05-01"
        asset = try await Self.step(client, "PutInUse", inUse)
        #expect(asset.lifecycle.stage == .inUse)
        #expect(asset.lifecycle.inServiceSince == "2024-05-01")
        status = try await Self.refusal(client, "PutInUse", inUse)
        #expect(status.code == .failedPrecondition)
        #expect(status.message.contains("in_use"))

        // Renovation: old value + spend − replaced part, with the new funding.
        var renovation = Taizhang_Ledger_V1_RecordValuationRequest()
        renovation.assetID = asset.id
        renovation.kind = .renovation
        renovation.date = "2025-03-01"
        renovation.spendFen = 300_000
        renovation.replacedFen = 100_000
        renovation.basis = "改扩建验收报告"
        renovation.funding = [.with { $0.source = .centralSpecial; $0.amountFen = 1_000_000 }, .with { $0.source = .localFiscal; $0.amountFen = 200_000 }]
        asset = try await Self.step(client, "RecordValuation", renovation)
        #expect(asset.originalValueFen == 1_200_000)
        #expect(asset.lifecycle.valuations.map(\.kind) == [.finalAccounts, .renovation])
        // A purchase value is only ever the registered one.
        var purchase = renovation
        purchase.kind = .purchase
        purchase.spendFen = 0
        purchase.replacedFen = 0
        purchase.valueFen = 1_200_000
        status = try await Self.refusal(client, "RecordValuation", purchase)
        #expect(status.code == .failedPrecondition)
        #expect(status.violations.map(\.field) == ["kind"])
    }

    @Test func ownershipRefusals_listTheFields() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "LC-3"))
        var other = Taizhang_Ledger_V1_Owner()
        other.name = "熊河镇人民政府"
        other.kind = .townshipGovernment
        other.adminCode = "421024101000"
        other.shareBp = 10_000
        var request = Self.confirm(asset.id)
        request.owners = [other]
        var status = try await Self.refusal(client, "ConfirmOwnership", request)
        #expect(status.code == .invalidArgument)
        #expect(status.violations.map(\.field) == ["override_reason"])
        request.owners[0].shareBp = 9_000
        request.overrideReason = "县政府常务会议纪要〔2024〕3号"
        status = try await Self.refusal(client, "ConfirmOwnership", request)
        #expect(status.violations.map(\.field) == ["owners"])
        request.owners[0].shareBp = 10_000
        request.contributions = [Taizhang_Ledger_V1_VillageContribution.with { $0.adminCode = "421024999999"; $0.amountFen = 5 }]
        status = try await Self.refusal(client, "ConfirmOwnership", request)
        #expect(status.violations.map(\.field) == ["contributions[0].admin_code"])
        request.contributions = []
        let confirmed = try await Self.step(client, "ConfirmOwnership", request)
        #expect(confirmed.lifecycle.ownership.overrideReason == "县政府常务会议纪要〔2024〕3号")
        #expect(confirmed.lifecycle.ownership.proposed.map(\.name) == ["白马村集体经济组织"])

        // Cross-village: shares by funding, computed by the daemon.
        let shared = try await Fixture.register(client, Fixture.asset(code: "LC-4", village: "421024101201"))
        var split = Self.confirm(shared.id)
        split.contributions = [Taizhang_Ledger_V1_VillageContribution.with { $0.adminCode = "421024101201"; $0.amountFen = 2 },
                               Taizhang_Ledger_V1_VillageContribution.with { $0.adminCode = "421024102201"; $0.amountFen = 1 }]
        let splitAsset = try await Self.step(client, "ConfirmOwnership", split)
        #expect(splitAsset.owners.map(\.shareBp) == [6_667, 3_333])
        #expect(splitAsset.lifecycle.ownership.rule == "004 §12")
    }

    @Test func valuation_provisionalReplacedByFinalAccounts_andDepreciationReport() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var registration = Fixture.asset(code: "LC-5")
        registration.valueBasis = .provisional
        let asset = try await Fixture.register(client, registration)
        #expect(asset.valueBasis == .provisional)

        // 10,000.00 yuan from June 2019 over 25 years: 300 months of 3,333 fen, the last 3,433.
        var depreciation = Taizhang_Ledger_V1_GetDepreciationRequest()
        depreciation.assetID = asset.id
        depreciation.asOf = "2019-12-31"
        var report = try await client.unary(Fixture.ledger + "GetDepreciation", depreciation, as: Taizhang_Ledger_V1_DepreciationReport.self)
        #expect(report.depreciated)
        #expect(report.schedule.count == 300)
        #expect(report.schedule.first.map { ($0.year, $0.month, $0.chargeFen) } ?? (0, 0, 0) == (2019, 6, 3_333))
        #expect(report.schedule.last?.chargeFen == 3_433)
        #expect(report.accumulatedFen == 7 * 3_333)
        #expect(report.netValueFen == 1_000_000 - 7 * 3_333)

        var valuation = Taizhang_Ledger_V1_RecordValuationRequest()
        valuation.assetID = asset.id
        valuation.kind = .finalAccounts
        valuation.date = "2020-01-10"
        valuation.valueFen = 1_300_000
        valuation.basis = "竣工决算审计报告"
        valuation.funding = [Taizhang_Ledger_V1_Funding.with { $0.source = .centralSpecial; $0.amountFen = 1_200_000 }]
        var status = try await Self.refusal(client, "RecordValuation", valuation)
        #expect(status.code == .invalidArgument)
        #expect(status.violations.map(\.field) == ["funding"])
        valuation.funding[0].amountFen = 1_300_000
        let valued = try await Self.step(client, "RecordValuation", valuation)
        #expect(valued.originalValueFen == 1_300_000)
        #expect(valued.valueBasis == .finalAccounts)
        // Past depreciation stands: 7 × 3,333 = 23,331; then (1,300,000 − 23,331) / 293 = 4,357 a month.
        depreciation.asOf = "2020-12-31"
        report = try await client.unary(Fixture.ledger + "GetDepreciation", depreciation, as: Taizhang_Ledger_V1_DepreciationReport.self)
        #expect(report.accumulatedFen == 23_331 + 12 * 4_357)
        #expect(report.valueFen == 1_300_000)
        #expect(report.schedule.last?.accumulatedFen == 1_300_000)
        // A second final accounts has nothing provisional to replace.
        status = try await Self.refusal(client, "RecordValuation", valuation)
        #expect(status.code == .failedPrecondition)
    }

    @Test func ledgerViews_summaryAndFilters() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        // Two operating assets in two villages of two townships, one public-welfare.
        _ = try await Fixture.register(client, Fixture.asset(code: "V1", village: "421024101201", value: 1_200_000))
        var xinhe = Fixture.asset(code: "V2", village: "421024102201", value: 600_000)
        xinhe.owners[0].name = "新河村集体经济组织"
        xinhe.owners[0].adminCode = "421024102201"
        xinhe.custody.custodian = "新河村村委会"
        _ = try await Fixture.register(client, xinhe)
        var road = Fixture.asset(code: "V3", village: "421024101201", value: 500_000)
        road.category = .publicWelfare
        road.subType = "村组道路"
        _ = try await Fixture.register(client, road)
        let overdue = try await Self.published(client, code: "V4")

        var request = Taizhang_Ledger_V1_GetLedgerSummaryRequest()
        request.asOf = "2019-12-31"
        let county = try await client.unary(Fixture.ledger + "GetLedgerSummary", request, as: Taizhang_Ledger_V1_LedgerSummary.self)
        #expect(county.total.count == 4)
        #expect(county.total.originalValueFen == 1_200_000 + 600_000 + 500_000 + 1_000_000)
        let operating = county.byCategory.first { $0.category == .operating }?.totals
        #expect(operating?.count == 3)
        // June–December 2019 over 300 months: 4,000 + 2,000 + 3,333 fen a month.
        let expected: Int64 = 7 * (4_000 + 2_000 + 3_333)
        let charged: Int64 = operating?.accumulatedDepreciationFen ?? -1
        #expect(charged == expected)
        let welfare = county.byCategory.first { $0.category == .publicWelfare }?.totals
        #expect(welfare?.count == 1)
        #expect(welfare?.accumulatedDepreciationFen == 0)
        #expect(county.total.netValueFen == county.total.originalValueFen - county.total.accumulatedDepreciationFen)
        #expect(county.withoutCustodian == 3)

        // A township's ledger holds what is owned below it, not the other township's.
        request.adminCode = "421024102000"
        let shagang = try await client.unary(Fixture.ledger + "GetLedgerSummary", request, as: Taizhang_Ledger_V1_LedgerSummary.self)
        #expect(shagang.total.count == 1)
        #expect(shagang.total.originalValueFen == 600_000)

        var list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.withoutCustodian = true
        list.ledgerCode = "421024101000"
        var page = try await client.unary(Fixture.ledger + "ListAssets", list, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
        #expect(page.assets.map(\.code).sorted() == ["V1", "V3", "V4"])
        list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.handoverOverdue = true
        page = try await client.unary(Fixture.ledger + "ListAssets", list, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
        #expect(page.assets.map(\.id) == [overdue.id])
        // Paging with skip_total walks the same assets in the same order, page by page.
        var paged: [String] = []
        var skipping = Taizhang_Ledger_V1_ListAssetsRequest()
        skipping.skipTotal = true
        skipping.pageSize = 1
        skipping.ledgerCode = "421024101000"
        repeat {
            let part = try await client.unary(Fixture.ledger + "ListAssets", skipping, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
            #expect(part.totalSize == 0)
            paged += part.assets.map(\.code)
            skipping.pageToken = part.nextPageToken
        } while !skipping.pageToken.isEmpty
        #expect(paged == ["V1", "V3", "V4"])
        list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.stage = .registered
        page = try await client.unary(Fixture.ledger + "ListAssets", list, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
        #expect(page.totalSize == 3)
    }

    @Test func import_isCheckedChunkByChunk_andRegistersAllOrNothing() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        func chunk(_ rows: Range<Int>, id: String, final: Bool, dryRun: Bool = false, bad: Set<Int> = []) -> Taizhang_Ledger_V1_ImportAssetsRequest {
            var request = Taizhang_Ledger_V1_ImportAssetsRequest()
            request.importID = id
            request.firstRow = UInt64(rows.lowerBound)
            request.final = final
            request.validateOnly = dryRun
            request.assets = rows.map { row in
                var asset = Fixture.asset(code: "IMP-\(row)")
                if bad.contains(row) { asset.acquiredDate = "2019-13-01" }
                return asset
            }
            return request
        }
        // A dry run names every bad row by its place in the whole import, and registers nothing.
        var answer = try await client.unary(Fixture.ledger + "ImportAssets", chunk(0..<3000, id: "dry", final: false, dryRun: true, bad: [17]),
                                            as: Taizhang_Ledger_V1_ImportAssetsResponse.self)
        #expect(answer.rowsReceived == 3000)
        #expect(answer.rowsInvalid == 1)
        var response = try await client.call(Fixture.ledger + "ImportAssets",
                                             payload: try chunk(3000..<6000, id: "dry", final: true, dryRun: true, bad: [4500]).serializedData())
        #expect(response.status.code == .invalidArgument)
        #expect(response.status.violations.map(\.field) == ["assets[17].acquired_date", "assets[4500].acquired_date"])

        // A gap is refused; a resent chunk is not added twice.
        answer = try await client.unary(Fixture.ledger + "ImportAssets", chunk(0..<5000, id: "real", final: false),
                                        as: Taizhang_Ledger_V1_ImportAssetsResponse.self)
        response = try await client.call(Fixture.ledger + "ImportAssets", payload: try chunk(6000..<7000, id: "real", final: false).serializedData())
        #expect(response.status.code == .failedPrecondition)
        #expect(response.status.violations.map(\.field) == ["first_row"])
        answer = try await client.unary(Fixture.ledger + "ImportAssets", chunk(0..<5000, id: "real", final: false),
                                        as: Taizhang_Ledger_V1_ImportAssetsResponse.self)
        #expect(answer.rowsReceived == 5000)
        var status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 0)
        answer = try await client.unary(Fixture.ledger + "ImportAssets", chunk(5000..<12_000, id: "real", final: true),
                                        as: Taizhang_Ledger_V1_ImportAssetsResponse.self)
        #expect(answer.committed)
        #expect(answer.ids.count == 12_000)
        status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 12_000)

        // A single-chunk import resent with its idempotency-key (its answer was lost) gets the first answer back.
        var tagged = chunk(0..<3, id: "resend", final: true)
        tagged.assets = (0..<3).map { Fixture.asset(code: "RESEND-\($0)") }
        let first = try await client.unary(Fixture.ledger + "ImportAssets", tagged, as: Taizhang_Ledger_V1_ImportAssetsResponse.self,
                                           metadata: ["idempotency-key": "resend-1"])
        let second = try await client.unary(Fixture.ledger + "ImportAssets", tagged, as: Taizhang_Ledger_V1_ImportAssetsResponse.self,
                                            metadata: ["idempotency-key": "resend-1"])
        #expect(first.committed && second.committed)
        #expect(second.ids == first.ids)
        #expect(first.ids.count == 3)
        status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 12_003)

        // A row clashing with the ledger fails the whole import.
        response = try await client.call(Fixture.ledger + "ImportAssets", payload: try chunk(0..<10, id: "again", final: true).serializedData())
        #expect(response.status.code == .invalidArgument)
        #expect(response.status.violations.count == 10)
        #expect(response.status.violations.first?.field == "assets[0].code")
        status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 12_003)
    }
}
