// taizhang demo load, the life cycle (DOMAIN.md steps 2–8, docs/lifecycle.md):
// after the rest of the demo, a handful of assets no contract, disposal,
// revitalising plan or stock-take uses are taken through the life-cycle
// calls to each stage: ownership confirmed; on notice, one objection open and
// one dismissed; handed over; in operation; in use. Every date is today or
// before (events are not dated in the future), and each notice is closed on
// the earliest day the daemon gives it (7 or 10 working days by its holiday
// calendar), so the steps hold whatever the day and the calendar.

import TaizhangClient
import TaizhangCore
import TaizhangDemo
import TaizhangProto

extension DemoCommand.Load {
    /// How many of the demo's assets it took to each stage, and the objections filed.
    struct LifecycleCounts {
        var confirmed = 0, onNotice = 0, objections = 0, openObjections = 0, handedOver = 0, inOperation = 0, inUse = 0

        /// The assets taken past registration.
        var total: Int { confirmed + onNotice + handedOver + inOperation + inUse }
    }

    /// The assets (indexes into the county's) taken to each stage: operating and public-welfare ones in use,
    /// with one owner (a confirmation by the rules keeps it one), that no contract, disposal or revitalising
    /// plan names, outside the village whose stock-take wrote one asset off.
    func lifecyclePicks(_ demo: DemoCounty, operations: [DemoOperation])
        -> (confirmed: [Int], onNotice: [Int], handedOver: [Int], operated: [Int], used: [Int]) {
        let records = demo.stewardship(today: ChinaDate.parts, operations: operations)
        let taken = Set(operations.map(\.assetIndex) + [records.disposalAssetIndex, records.revitalisingAssetIndex])
        let free = demo.assets.indices.filter { index in
            let asset = demo.assets[index]
            return !taken.contains(index) && asset.usageStatus == .inUse && asset.owners.count == 1
                && asset.adminCode != records.stockTakeVillage && asset.owners[0].adminCode != records.stockTakeVillage
        }
        let operating = free.filter { demo.assets[$0].category == .operating }
        let welfare = free.filter { demo.assets[$0].category == .publicWelfare }
        func slice(_ list: [Int], from: Int, count: Int) -> [Int] { Array(list.dropFirst(from).prefix(count)) }
        return (slice(operating, from: 6, count: 3) + slice(welfare, from: 0, count: 3),
                slice(operating, from: 9, count: 2) + slice(welfare, from: 3, count: 2),
                slice(welfare, from: 5, count: 5), slice(operating, from: 0, count: 6), slice(welfare, from: 10, count: 6))
    }

    /// Takes the picked assets to their stages: confirmed in the last fortnight, on notice from the last
    /// few days, and the others through both notices months ago, each a few days after the one before.
    func loadLifecycle(_ client: TaizhangClient, demo: DemoCounty, operations: [DemoOperation], assetIds: [String]) async throws -> LifecycleCounts {
        let picks = lifecyclePicks(demo, operations: operations)
        let today = CLI.clock.today()
        var counts = LifecycleCounts()
        for (number, index) in picks.confirmed.enumerated() {
            _ = try await confirmOwnership(client, index, id: assetIds[index], on: today.adding(days: -3 - 2 * number))
            counts.confirmed += 1
        }
        for (number, index) in picks.onNotice.enumerated() {
            let objections = try await putOnNotice(client, index, id: assetIds[index], number: number, today: today)
            counts.onNotice += 1
            counts.objections += objections.filed
            counts.openObjections += objections.open
        }
        for (number, index) in (picks.handedOver + picks.operated + picks.used).enumerated() {
            let asset = demo.assets[index]
            let from = demo.projects.first(where: { $0.id == asset.projectID })?.implementingUnit ?? asset.supervisingDepartment
            let closed = try await handOver(client, asset, index: index, id: assetIds[index], from: from,
                                            start: today.adding(days: -200 + 6 * number))
            if picks.operated.contains(index) {
                try await handOff(client, asset, index: index, id: assetIds[index], on: closed.adding(days: 5))
                counts.inOperation += 1
            } else if picks.used.contains(index) {
                try await putInUse(client, index, id: assetIds[index], on: closed.adding(days: 5))
                counts.inUse += 1
            } else {
                counts.handedOver += 1
            }
        }
        return counts
    }

    /// ConfirmOwnership on `date` with the owners the rules propose (004 §10–14); local mode, so in effect at once.
    func confirmOwnership(_ client: TaizhangClient, _ index: Int, id: String, on date: CivilDate) async throws -> Taizhang_Ledger_V1_Asset {
        var request = Taizhang_Ledger_V1_ConfirmOwnershipRequest()
        request.assetID = id
        request.date = date.description
        return try await global.call(client, RPC.Ledger.confirmOwnership, request, as: Taizhang_Ledger_V1_Asset.self,
                                     idempotencyKey: "demo-lifecycle-confirm-\(index)")
    }

    /// OpenPublication of the ownership notice 确权公示 from `start` (004 §15).
    func openNotice(_ client: TaizhangClient, _ index: Int, id: String, on start: CivilDate) async throws -> Taizhang_Ledger_V1_Asset {
        var request = Taizhang_Ledger_V1_OpenPublicationRequest()
        request.assetID = id
        request.start = start.description
        return try await global.call(client, RPC.Ledger.openPublication, request, as: Taizhang_Ledger_V1_Asset.self,
                                     idempotencyKey: "demo-lifecycle-publish-\(index)")
    }

    /// Closes the notice up on `asset` on the earliest day it may close, as the daemon counted its working
    /// days; returns that day.
    func closeNotice(_ client: TaizhangClient, _ asset: Taizhang_Ledger_V1_Asset, key: String) async throws -> CivilDate {
        let date = CivilDate(asset.lifecycle.publications.last?.earliestClose ?? "") ?? CLI.clock.today()
        var request = Taizhang_Ledger_V1_ClosePublicationRequest()
        request.assetID = asset.id
        request.date = date.description
        _ = try await global.call(client, RPC.Ledger.closePublication, request, as: Taizhang_Ledger_V1_Asset.self,
                                  idempotencyKey: "demo-lifecycle-\(key)")
        return date
    }

    /// Confirmed a week before its notice opened, two to five days ago (`number` 0–3): the first with an
    /// objection still being looked into, the second with one dismissed. Returns the objections filed and left open.
    func putOnNotice(_ client: TaizhangClient, _ index: Int, id: String, number: Int, today: CivilDate) async throws -> (filed: Int, open: Int) {
        let start = today.adding(days: -2 - number)
        _ = try await confirmOwnership(client, index, id: id, on: start.adding(days: -7))
        _ = try await openNotice(client, index, id: id, on: start)
        guard number < 2 else { return (0, 0) }
        var objection = Taizhang_Ledger_V1_FileObjectionRequest()
        objection.assetID = id
        objection.filed = start.adding(days: 1).description
        objection.filer = number == 0 ? "相邻村村民代表" : "村民代表"
        objection.content = number == 0 ? "该资产由两村共同出资建设，应由两村共有" : "公示的资产原值与竣工决算金额不符"
        let filed = try await global.call(client, RPC.Ledger.fileObjection, objection, as: Taizhang_Ledger_V1_Asset.self,
                                          idempotencyKey: "demo-lifecycle-object-\(index)")
        guard number == 1 else { return (1, 1) }
        var resolve = Taizhang_Ledger_V1_ResolveObjectionRequest()
        resolve.assetID = id
        resolve.number = filed.lifecycle.publications.last?.objections.last?.number ?? 1
        resolve.outcome = .dismissed
        resolve.date = start.adding(days: 2).description
        resolve.resolution = "经核对竣工决算报告，公示原值无误，异议不成立"
        _ = try await global.call(client, RPC.Ledger.resolveObjection, resolve, as: Taizhang_Ledger_V1_Asset.self,
                                  idempotencyKey: "demo-lifecycle-resolve-\(index)")
        return (1, 0)
    }

    /// Confirmed on `start`, on notice from two days later until it may close, handed over by `from` to its
    /// owner a week after (well within the 30 working days), and the handover notice closed when it may:
    /// returns the day it closed.
    func handOver(_ client: TaizhangClient, _ asset: Taizhang_Ledger_V1_Asset, index: Int, id: String, from: String,
                  start: CivilDate) async throws -> CivilDate {
        let confirmed = try await confirmOwnership(client, index, id: id, on: start)
        let notice = try await openNotice(client, index, id: id, on: start.adding(days: 2))
        let published = try await closeNotice(client, notice, key: "close-\(index)")
        var request = Taizhang_Ledger_V1_RecordHandoverRequest()
        request.assetID = id
        request.date = published.adding(days: 7).description
        request.fromParty = from
        request.toParty = confirmed.owners.first?.name ?? asset.owners[0].name
        request.upkeepDuties = "由\(asset.custody.custodian)负责日常管护，管护经费来自\(asset.custody.upkeepFunding)"
        let handedOver = try await global.call(client, RPC.Ledger.recordHandover, request, as: Taizhang_Ledger_V1_Asset.self,
                                               idempotencyKey: "demo-lifecycle-handover-\(index)")
        return try await closeNotice(client, handedOver, key: "close-handover-\(index)")
    }

    /// HandOffOperation to the operator the registration names, for five years from `date`.
    func handOff(_ client: TaizhangClient, _ asset: Taizhang_Ledger_V1_Asset, index: Int, id: String, on date: CivilDate) async throws {
        var request = Taizhang_Ledger_V1_HandOffOperationRequest()
        request.assetID = id
        request.date = date.description
        request.operation.mode = asset.operation.mode
        request.operation.counterparty = asset.operation.counterparty
        request.operation.annualFeeFen = asset.operation.annualFeeFen
        request.operation.termStart = date.description
        request.operation.termEnd = "\(date.year + 5)-12-31"
        _ = try await global.call(client, RPC.Ledger.handOffOperation, request, as: Taizhang_Ledger_V1_Asset.self,
                                  idempotencyKey: "demo-lifecycle-operate-\(index)")
    }

    /// PutInUse on `date`.
    func putInUse(_ client: TaizhangClient, _ index: Int, id: String, on date: CivilDate) async throws {
        var request = Taizhang_Ledger_V1_PutInUseRequest()
        request.assetID = id
        request.date = date.description
        _ = try await global.call(client, RPC.Ledger.putInUse, request, as: Taizhang_Ledger_V1_Asset.self,
                                  idempotencyKey: "demo-lifecycle-use-\(index)")
    }

    /// The demo's assets per stage, for the summary it prints.
    func lifecycleSummary(_ counts: LifecycleCounts, assets: Int, disposed: Int) -> String {
        let registered = assets - counts.total - disposed
        return global.language == .zh
            ? "资产阶段：已登记 \(registered) 项，已确权 \(counts.confirmed) 项，确权公示中 \(counts.onNotice) 项（异议 \(counts.objections) 件，待处理 \(counts.openObjections) 件），已移交 \(counts.handedOver) 项，运营中 \(counts.inOperation) 项，使用中 \(counts.inUse) 项，已处置 \(disposed) 项"
            : "stages: \(registered) registered, \(counts.confirmed) ownership confirmed, \(counts.onNotice) on ownership notice (\(counts.objections) objections, \(counts.openObjections) open), \(counts.handedOver) handed over, \(counts.inOperation) in operation, \(counts.inUse) in use, \(disposed) disposed of"
    }
}
