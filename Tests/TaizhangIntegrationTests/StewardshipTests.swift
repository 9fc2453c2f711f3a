// Life-cycle steps 9–12 over the socket, against the real daemon: income and
// arrears, distribution plans through every step, a stock-take, disposals
// into the write-off ledger, revitalising plans; every refusal with its code
// and fields, nothing changed by it, and everything kept across a restart.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct StewardshipTests {
    static let ledger = Fixture.ledger
    static let village = "421024101201"

    /// Calls `method`, expecting a refusal; returns its status.
    static func refusal<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ client: TaizhangClient, _ method: String, _ request: Request, as: Response.Type) async throws -> Taizhang_Rpc_V1_Status {
        do {
            _ = try await client.unary(ledger + method, request, as: Response.self)
            Issue.record("\(method) was expected to be refused")
            return Taizhang_Rpc_V1_Status()
        } catch let error as RPCError {
            return error.status
        }
    }

    static func contract(_ client: TaizhangClient, asset: String) async throws -> String {
        var entity = Taizhang_Ledger_V1_CreateEntityRequest()
        entity.entity.name = "白马村蔬菜专业合作社"
        entity.entity.kind = .entityCooperative
        entity.entity.adminCode = village
        entity.entity.creditCode = "91350100M000100Y43"
        let created = try await client.unary(ledger + "CreateEntity", entity, as: Taizhang_Ledger_V1_OperatingEntity.self)
        var request = Taizhang_Ledger_V1_CreateContractRequest()
        request.contract.assetID = asset
        request.contract.entityID = created.id
        request.contract.mode = .lease
        request.contract.start = "2026-01-01"
        request.contract.end = "2028-12-31"
        for (due, fen) in [("2026-03-31", Int64(50_000)), ("2026-06-30", 50_000), ("2026-09-30", 50_000), ("2027-03-31", 50_000)] {
            var payment = Taizhang_Ledger_V1_PaymentDue()
            payment.kind = .paymentRent
            payment.dueDate = due
            payment.amountFen = fen
            request.contract.payments.append(payment)
        }
        return try await client.unary(ledger + "CreateContract", request, as: Taizhang_Ledger_V1_OperationContract.self).id
    }

    static func income(asset: String, contract: String = "", on day: String, fen: Int64) -> Taizhang_Ledger_V1_RecordIncomeRequest {
        var request = Taizhang_Ledger_V1_RecordIncomeRequest()
        request.income.assetID = asset
        request.income.contractID = contract
        request.income.receivedOn = day
        request.income.amountFen = fen
        request.income.payer = "白马村蔬菜专业合作社"
        request.income.account = "白马村集体经济组织账户"
        request.income.kind = contract.isEmpty ? .unspecified : .paymentRent
        return request
    }

    static func allocation(_ purpose: Taizhang_Ledger_V1_AllocationPurpose, _ fen: Int64, households: [(String, Int64)] = []) -> Taizhang_Ledger_V1_Allocation {
        var allocation = Taizhang_Ledger_V1_Allocation()
        allocation.purpose = purpose
        allocation.amountFen = fen
        allocation.households = households.map { name, amount in
            var share = Taizhang_Ledger_V1_HouseholdShare()
            share.name = name
            share.amountFen = amount
            return share
        }
        return allocation
    }

    static func advance(_ plan: String, _ stage: Taizhang_Ledger_V1_PlanStage, _ date: String) -> Taizhang_Ledger_V1_AdvanceDistributionPlanRequest {
        var request = Taizhang_Ledger_V1_AdvanceDistributionPlanRequest()
        request.planID = plan
        request.stage = stage
        request.date = date
        return request
    }

    static func disposal(asset: String) -> Taizhang_Ledger_V1_DisposeAssetRequest {
        var request = Taizhang_Ledger_V1_DisposeAssetRequest()
        request.disposal.assetID = asset
        request.disposal.reason = .planning
        request.disposal.method = .auction
        request.disposal.appraisal.appraiser = "荆州信达资产评估事务所"
        request.disposal.appraisal.valueFen = 300_000
        request.disposal.appraisal.date = "2026-08-01"
        for (level, by, date) in [(Taizhang_Ledger_V1_ApprovalLevel.approvalTownship, "熊河镇人民政府", "2026-08-10"),
                                  (.approvalCountyDepartment, "县农业农村局", "2026-08-20"),
                                  (.approvalCountyPovertyOffice, "县乡村振兴局", "2026-08-25")] {
            var approval = Taizhang_Ledger_V1_Approval()
            approval.level = level
            approval.by = by
            approval.date = date
            request.disposal.approvals.append(approval)
        }
        request.disposal.valuationPublishedOn = "2026-08-26"
        request.disposal.proceedsFen = 320_000
        request.disposal.date = "2026-09-15"
        return request
    }

    @Test func income_isRecordedAsReceived_andArrearsFollowTheContract() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "SY-1"))
        let contract = try await Self.contract(client, asset: asset.id)

        let first = try await client.unary(Self.ledger + "RecordIncome", Self.income(asset: asset.id, contract: contract, on: "2026-04-02", fen: 50_000),
                                           as: Taizhang_Ledger_V1_Income.self)
        #expect(first.id == "SY00000001")
        #expect(first.ownerCode == Self.village)
        #expect(first.version == 1)
        _ = try await client.unary(Self.ledger + "RecordIncome", Self.income(asset: asset.id, contract: contract, on: "2026-07-05", fen: 30_000),
                                   as: Taizhang_Ledger_V1_Income.self)

        var arrears = Taizhang_Ledger_V1_GetArrearsRequest()
        arrears.contractID = contract
        arrears.asOf = "2026-10-31"
        let standing = try await client.unary(Self.ledger + "GetArrears", arrears, as: Taizhang_Ledger_V1_Arrears.self)
        #expect(standing.dueFen == 150_000)
        #expect(standing.receivedFen == 80_000)
        #expect(standing.owedFen == 70_000)
        #expect(standing.oldestUnpaidDueDate == "2026-06-30")
        #expect(standing.payments.map(\.outstandingFen) == [0, 20_000, 50_000])

        // Every bad field at once, and nothing recorded.
        var bad = Self.income(asset: asset.id, on: "2099-01-01", fen: -5)
        bad.income.payer = " "
        bad.income.account = ""
        let status = try await Self.refusal(client, "RecordIncome", bad, as: Taizhang_Ledger_V1_Income.self)
        #expect(status.code == .invalidArgument)
        #expect(Set(status.violations.map(\.field)) == ["income.amount_fen", "income.received_on", "income.payer", "income.account"])
        // A contract of another asset.
        let other = try await Fixture.register(client, Fixture.asset(code: "SY-2"))
        let mismatch = try await Self.refusal(client, "RecordIncome", Self.income(asset: other.id, contract: contract, on: "2026-07-05", fen: 1),
                                              as: Taizhang_Ledger_V1_Income.self)
        #expect(mismatch.code == .invalidArgument)
        #expect(mismatch.violations.map(\.field) == ["income.contract_id"])

        var list = Taizhang_Ledger_V1_ListIncomeRequest()
        list.ownerCode = "421024101000"
        let listed = try await client.unary(Self.ledger + "ListIncome", list, as: Taizhang_Ledger_V1_ListIncomeResponse.self)
        #expect(listed.total == 2)
        #expect(listed.totalFen == 80_000)
        list.ownerCode = "421024102000"
        #expect(try await client.unary(Self.ledger + "ListIncome", list, as: Taizhang_Ledger_V1_ListIncomeResponse.self).total == 0)
    }

    @Test func distributionPlan_goesThroughEveryStepInOrder_andRefuses一分了之() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "FP-1"))
        let income = try await client.unary(Self.ledger + "RecordIncome", Self.income(asset: asset.id, on: "2026-03-10", fen: 100_000),
                                            as: Taizhang_Ledger_V1_Income.self)

        // Everything handed out to households, nothing kept: 一分了之.
        var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        create.plan.ownerCode = Self.village
        create.plan.title = "2026年光伏收益分配方案"
        create.plan.incomeIds = [income.id]
        create.plan.allocations = [Self.allocation(.otherHouseholds, 100_000, households: [("张三", 50_000), ("李四", 50_000)])]
        create.draftedOn = "2026-03-20"
        let split = try await Self.refusal(client, "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(split.code == .invalidArgument)
        #expect(split.message.contains("一分了之"))
        #expect(split.violations.filter { $0.description_p.hasPrefix("一分了之") }.count == 2)

        create.plan.allocations = [
            Self.allocation(.noLabourHouseholds, 40_000, households: [("王五", 20_000), ("赵六", 20_000)]),
            Self.allocation(.publicWelfareJobs, 30_000),
            Self.allocation(.collectiveEconomy, 20_000),
            Self.allocation(.reserve, 10_000),
        ]
        let metadata = ["actor": "白马村会计 刘梅"]
        var plan = try await client.unary(Self.ledger + "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self, metadata: metadata)
        #expect(plan.id == "FP00000001")
        #expect(plan.stage == .planDraft)
        #expect(plan.incomeFen == 100_000)
        #expect(plan.deadline == "2026-06-10")
        #expect(plan.steps.map(\.actor) == ["白马村会计 刘梅"])
        #expect(plan.steps.first?.identity == "local (uid:\(getuid()))")
        #expect(plan.overdue)

        // The same income in a second plan.
        let twice = try await Self.refusal(client, "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(twice.code == .invalidArgument)
        #expect(twice.violations.map(\.field) == ["plan.income_ids[0]"])

        // Skipping a step; an assembly without a third of poor households' representatives.
        let skip = try await Self.refusal(client, "AdvanceDistributionPlan", Self.advance(plan.id, .planPublished, "2026-03-25"),
                                          as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(skip.code == .failedPrecondition)
        var assembly = Self.advance(plan.id, .planAssemblyPassed, "2026-03-25")
        assembly.assembly.date = "2026-03-25"
        assembly.assembly.representativesTotal = 30
        assembly.assembly.representativesPresent = 24
        assembly.assembly.poorHouseholdRepresentatives = 5
        let few = try await Self.refusal(client, "AdvanceDistributionPlan", assembly, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(few.code == .invalidArgument)
        #expect(few.violations.map(\.field) == ["assembly.poor_household_representatives"])

        assembly.assembly.poorHouseholdRepresentatives = 8
        plan = try await client.unary(Self.ledger + "AdvanceDistributionPlan", assembly, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(plan.stage == .planAssemblyPassed)
        #expect(plan.assembly.poorHouseholdRepresentatives == 8)
        for (stage, date) in [(Taizhang_Ledger_V1_PlanStage.planPublished, "2026-04-02"), (.planTownshipApproved, "2026-04-10"),
                              (.planFiled, "2026-04-15")] {
            plan = try await client.unary(Self.ledger + "AdvanceDistributionPlan", Self.advance(plan.id, stage, date),
                                          as: Taizhang_Ledger_V1_DistributionPlan.self)
            #expect(plan.stage == stage)
        }
        // A step dated before the previous one; then a stale version.
        let early = try await Self.refusal(client, "AdvanceDistributionPlan", Self.advance(plan.id, .planCarriedOut, "2026-04-01"),
                                           as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(early.code == .invalidArgument)
        var stale = Self.advance(plan.id, .planCarriedOut, "2026-05-20")
        stale.expectedVersion = 2
        #expect(try await Self.refusal(client, "AdvanceDistributionPlan", stale, as: Taizhang_Ledger_V1_DistributionPlan.self).code == .aborted)
        stale.expectedVersion = plan.version
        plan = try await client.unary(Self.ledger + "AdvanceDistributionPlan", stale, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(plan.stage == .planCarriedOut)
        #expect(!plan.overdue)
        #expect(plan.steps.map(\.date) == ["2026-03-20", "2026-03-25", "2026-04-02", "2026-04-10", "2026-04-15", "2026-05-20"])
        let after = try await Self.refusal(client, "AdvanceDistributionPlan", Self.advance(plan.id, .planFiled, "2026-05-21"),
                                           as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(after.code == .failedPrecondition)

        // Every step is in the audit journal.
        var audit = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        audit.recordID = plan.id
        let entries = try await client.unary(Self.ledger + "ListAuditEntries", audit, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self)
        #expect(entries.entries.count == 6)
        #expect(entries.entries.allSatisfy { $0.recordKind == "distribution_plan" })

        var undistributed = Taizhang_Ledger_V1_ListIncomeRequest()
        undistributed.undistributedOnly = true
        #expect(try await client.unary(Self.ledger + "ListIncome", undistributed, as: Taizhang_Ledger_V1_ListIncomeResponse.self).total == 0)
    }

    @Test func stockTake_closesOnlyWhenEveryAssetIsCounted_andLossesGoToDisposal() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let kept = try await Fixture.register(client, Fixture.asset(code: "PD-1"))
        let lost = try await Fixture.register(client, Fixture.asset(code: "PD-2"))
        _ = try await Fixture.register(client, Fixture.asset(code: "PD-3", village: "421024102201"))

        var open = Taizhang_Ledger_V1_OpenStockTakeRequest()
        open.adminCode = "421024101000"
        open.year = 2026
        open.date = "2026-10-15"
        var count = try await client.unary(Self.ledger + "OpenStockTake", open, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(count.id == "PD00000001")
        #expect(count.scope == [kept.id, lost.id])
        #expect(count.uncounted == 2)
        #expect(try await Self.refusal(client, "OpenStockTake", open, as: Taizhang_Ledger_V1_StockTake.self).code == .alreadyExists)

        var record = Taizhang_Ledger_V1_RecordCountRequest()
        record.stockTakeID = count.id
        var line = Taizhang_Ledger_V1_CountLine()
        line.assetID = kept.id
        line.found = true
        line.condition = "好"
        record.lines = [line]
        count = try await client.unary(Self.ledger + "RecordCount", record, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(count.lines.first?.countedQuantity == "100")
        #expect(count.uncounted == 1)

        var close = Taizhang_Ledger_V1_CloseStockTakeRequest()
        close.stockTakeID = count.id
        close.date = "2026-10-20"
        let early = try await Self.refusal(client, "CloseStockTake", close, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(early.code == .failedPrecondition)
        #expect(early.violations.first?.description_p.contains(lost.id) == true)

        // An asset outside the scope, and a found line with no condition.
        var outside = record
        outside.lines[0].assetID = "ZC00000003"
        var vague = line
        vague.assetID = lost.id
        vague.condition = ""
        outside.lines.append(vague)
        let refused = try await Self.refusal(client, "RecordCount", outside, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(refused.code == .invalidArgument)
        #expect(refused.violations.map(\.field) == ["lines[1].condition"])
        outside.lines.removeLast()
        let scope = try await Self.refusal(client, "RecordCount", outside, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(scope.violations.map(\.field) == ["lines[0].asset_id"])

        var missing = Taizhang_Ledger_V1_CountLine()
        missing.assetID = lost.id
        missing.found = false
        missing.condition = "未找到"
        var surplus = Taizhang_Ledger_V1_SurplusLine()
        surplus.description_p = "未登记的灌溉水泵一台"
        surplus.valueFen = 12_000
        surplus.valueBasis = .surplusAtReplacementCost
        record.lines = [missing]
        record.surplus = [surplus]
        _ = try await client.unary(Self.ledger + "RecordCount", record, as: Taizhang_Ledger_V1_StockTake.self)
        count = try await client.unary(Self.ledger + "CloseStockTake", close, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(count.closedOn == "2026-10-20")
        #expect(count.report.assetsInScope == 2)
        #expect(count.report.found == 1)
        #expect(count.report.lost == [lost.id])
        #expect(count.report.surplusValueFen == 12_000)
        #expect(!count.report.bookEqualsReality)
        #expect(try await Self.refusal(client, "RecordCount", record, as: Taizhang_Ledger_V1_StockTake.self).code == .failedPrecondition)
        // The journal keeps what each call changed, not every line again.
        var audit = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        audit.recordID = count.id
        let entries = try await client.unary(Self.ledger + "ListAuditEntries", audit, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self).entries
        #expect(entries.count == 4)
        #expect(entries[0].afterJson.contains("\"scope\":[\"\(kept.id)\",\"\(lost.id)\"]"))
        #expect(entries[1].afterJson.contains(kept.id) && !entries[1].afterJson.contains(lost.id))
        #expect(entries[2].afterJson.contains(lost.id) && !entries[2].afterJson.contains(kept.id))
        #expect(entries[3].afterJson.contains("\"closedOn\":\"2026-10-20\"") && !entries[3].afterJson.contains("\"lines\""))

        // The loss is disposed of, naming the count.
        var loss = Self.disposal(asset: lost.id)
        loss.disposal.reason = .stockTakeLoss
        loss.disposal.method = .scrap
        loss.disposal.proceedsFen = 0
        loss.disposal.valuationPublishedOn = ""
        loss.disposal.date = "2026-11-01"
        let unnamed = try await Self.refusal(client, "DisposeAsset", loss, as: Taizhang_Ledger_V1_Disposal.self)
        #expect(unnamed.violations.map(\.field) == ["stock_take_id"])
        loss.disposal.stockTakeID = count.id
        let entry = try await client.unary(Self.ledger + "DisposeAsset", loss, as: Taizhang_Ledger_V1_Disposal.self)
        #expect(entry.stockTakeID == count.id)
        #expect(entry.reason == .stockTakeLoss)
        // The kept asset was not lost: no loss disposal for it.
        var notLost = loss
        notLost.disposal.assetID = kept.id
        #expect(try await Self.refusal(client, "DisposeAsset", notLost, as: Taizhang_Ledger_V1_Disposal.self).code == .failedPrecondition)
    }

    @Test func disposal_needsTheWholeProcess_andTakesTheAssetOutOfTheActiveLedger() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        var client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "CZ-1"))
        var pledged = Fixture.asset(code: "CZ-2")
        pledged.encumbrance = "2025年抵押给农商行（待解除）"
        pledged.usageStatus = .idle
        let encumbered = try await Fixture.register(client, pledged)

        // No appraisal, no approvals, no publication: every gap named.
        var bare = Self.disposal(asset: asset.id)
        bare.disposal.clearAppraisal()
        bare.disposal.approvals = []
        bare.disposal.valuationPublishedOn = ""
        let gaps = try await Self.refusal(client, "DisposeAsset", bare, as: Taizhang_Ledger_V1_Disposal.self)
        #expect(gaps.code == .invalidArgument)
        #expect(Set(gaps.violations.map(\.field)) == ["appraisal", "approvals", "valuation_published_on"])
        #expect(gaps.violations.filter { $0.field == "approvals" }.count == 3)
        // Below the appraisal with no reason.
        var cheap = Self.disposal(asset: asset.id)
        cheap.disposal.proceedsFen = 200_000
        let below = try await Self.refusal(client, "DisposeAsset", cheap, as: Taizhang_Ledger_V1_Disposal.self)
        #expect(below.violations.map(\.field) == ["below_appraisal_reason"])
        // A pledged asset.
        let pledge = try await Self.refusal(client, "DisposeAsset", Self.disposal(asset: encumbered.id), as: Taizhang_Ledger_V1_Disposal.self)
        #expect(pledge.code == .failedPrecondition)
        #expect(pledge.message.contains("pledged"))
        var get = Taizhang_Ledger_V1_GetAssetRequest()
        get.id = asset.id
        #expect(try await client.unary(Self.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self).version == 1)

        let entry = try await client.unary(Self.ledger + "DisposeAsset", Self.disposal(asset: asset.id), as: Taizhang_Ledger_V1_Disposal.self)
        #expect(entry.id == "CZ00000001")
        // Local mode: one user, no sign-off; in effect at once, nothing to decide.
        #expect(!entry.hasSignOff)
        var decide = Taizhang_Ledger_V1_ApproveDisposalRequest()
        decide.disposalID = entry.id
        decide.decision = .approve
        decide.date = "2026-09-16"
        let nothing = try await Self.refusal(client, "ApproveDisposal", decide, as: Taizhang_Ledger_V1_Disposal.self)
        #expect(nothing.code == .failedPrecondition)
        #expect(nothing.message.contains("awaits no decision"))
        #expect(entry.assetCode == "CZ-1")
        #expect(entry.originalValueFen == 1_000_000)
        #expect(entry.netValueFen > 0 && entry.netValueFen < 1_000_000)
        let disposed = try await client.unary(Self.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self)
        #expect(disposed.lifecycle.stage == .disposed)
        #expect(disposed.lifecycle.disposalID == entry.id)
        #expect(disposed.lifecycle.disposedOn == "2026-09-15")
        #expect(try await Self.refusal(client, "DisposeAsset", Self.disposal(asset: asset.id), as: Taizhang_Ledger_V1_Disposal.self).code == .failedPrecondition)
        var confirm = Taizhang_Ledger_V1_ConfirmOwnershipRequest()
        confirm.assetID = asset.id
        confirm.date = "2026-10-01"
        #expect(try await Self.refusal(client, "ConfirmOwnership", confirm, as: Taizhang_Ledger_V1_Asset.self).code == .failedPrecondition)
        var update = Taizhang_Ledger_V1_UpdateAssetRequest()
        update.asset = disposed
        update.asset.note = "已处置后修改"
        #expect(try await Self.refusal(client, "UpdateAsset", update, as: Taizhang_Ledger_V1_Asset.self).code == .failedPrecondition)

        // Out of the active ledger, in the write-off ledger.
        var active = Taizhang_Ledger_V1_ListAssetsRequest()
        active.adminCode = Self.village
        #expect(try await client.unary(Self.ledger + "ListAssets", active, as: Taizhang_Ledger_V1_ListAssetsResponse.self).assets.map(\.id) == [encumbered.id])
        active.stage = .disposed
        #expect(try await client.unary(Self.ledger + "ListAssets", active, as: Taizhang_Ledger_V1_ListAssetsResponse.self).assets.map(\.id) == [asset.id])
        var writeOff = Taizhang_Ledger_V1_ListDisposalsRequest()
        writeOff.year = 2026
        let ledger = try await client.unary(Self.ledger + "ListDisposals", writeOff, as: Taizhang_Ledger_V1_ListDisposalsResponse.self)
        #expect(ledger.total == 1)
        #expect(ledger.proceedsFen == 320_000)

        // A revitalising plan for the other asset.
        var revive = Taizhang_Ledger_V1_RecordRevitalisingPlanRequest()
        revive.plan.assetID = encumbered.id
        revive.plan.measures = "对外公开招租"
        revive.plan.responsible = "白马村村委会"
        revive.plan.approvedBy = "白马村村民代表大会"
        revive.plan.effectiveOn = "2026-10-01"
        // Only for an asset the monitor flags (idle, or loss-making): one in use and profitable is refused.
        let inUse = try await Fixture.register(client, Fixture.asset(code: "CZ-3"))
        revive.plan.assetID = inUse.id
        #expect(try await Self.refusal(client, "RecordRevitalisingPlan", revive, as: Taizhang_Ledger_V1_RevitalisingPlan.self).code == .failedPrecondition)
        revive.plan.assetID = encumbered.id
        let plan = try await client.unary(Self.ledger + "RecordRevitalisingPlan", revive, as: Taizhang_Ledger_V1_RevitalisingPlan.self)
        #expect(plan.id == "PH00000001")
        revive.plan.measures = ""
        revive.plan.effectiveOn = "soon"
        let vague = try await Self.refusal(client, "RecordRevitalisingPlan", revive, as: Taizhang_Ledger_V1_RevitalisingPlan.self)
        #expect(Set(vague.violations.map(\.field)) == ["plan.measures", "plan.effective_on"])

        // Everything survives a restart, and ids continue.
        _ = daemon.stop()
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { restarted.stop() }
        client = try await restarted.connect()
        #expect(try await client.unary(Self.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self).lifecycle.disposalID == entry.id)
        #expect(try await client.unary(Self.ledger + "ListDisposals", writeOff, as: Taizhang_Ledger_V1_ListDisposalsResponse.self).total == 1)
        revive.plan.measures = "改建为村级仓储"
        revive.plan.effectiveOn = "2026-11-01"
        #expect(try await client.unary(Self.ledger + "RecordRevitalisingPlan", revive, as: Taizhang_Ledger_V1_RevitalisingPlan.self).id == "PH00000002")
        // The pledge released (UpdateAsset clears it), the asset can go.
        var release = Taizhang_Ledger_V1_UpdateAssetRequest()
        get.id = encumbered.id
        release.asset = try await client.unary(Self.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self)
        #expect(release.asset.encumbrance == "2025年抵押给农商行（待解除）")
        release.asset.encumbrance = ""
        _ = try await client.unary(Self.ledger + "UpdateAsset", release, as: Taizhang_Ledger_V1_Asset.self)
        #expect(try await client.unary(Self.ledger + "DisposeAsset", Self.disposal(asset: encumbered.id), as: Taizhang_Ledger_V1_Disposal.self).id == "CZ00000002")
        let verify = try await client.unary(Self.ledger + "VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                            as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(verify.intact)
    }

    @Test func theMonitorAlertsAnOverduePlan_andClearsItOnceCarriedOut() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration()])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "YJ-1"))
        let income = try await client.unary(Self.ledger + "RecordIncome", Self.income(asset: asset.id, on: "2026-03-10", fen: 60_000),
                                            as: Taizhang_Ledger_V1_Income.self)
        func open() async throws -> [Taizhang_Risk_V1_Alert] {
            _ = try await RiskMonitorTests.run(client)
            var list = Taizhang_Risk_V1_ListAlertsRequest()
            list.kind = "distribution_overdue"
            list.state = .open
            return try await client.unary(RiskMonitorTests.risk + "ListAlerts", list, as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        }
        // Income with no plan, more than three months past its deadline: the village is red.
        var alerts = try await open()
        #expect(alerts.map(\.subjectID) == [Self.village])
        #expect(alerts.first?.level == .red)
        #expect(alerts.first?.subjectKind == "distribution")
        #expect(alerts.first?.subjectName == "白马村")

        var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        create.plan.ownerCode = Self.village
        create.plan.incomeIds = [income.id]
        create.plan.allocations = [Self.allocation(.noLabourHouseholds, 50_000, households: [("王五", 50_000)]), Self.allocation(.reserve, 10_000)]
        create.draftedOn = "2026-03-20"
        let plan = try await client.unary(Self.ledger + "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self)
        // The village's alert clears; the plan's own is raised.
        alerts = try await open()
        #expect(alerts.map(\.subjectID) == [plan.id])
        #expect(alerts.first?.reasons.first?.code == "plan_overdue")

        var assembly = Self.advance(plan.id, .planAssemblyPassed, "2026-03-25")
        assembly.assembly.date = "2026-03-25"
        assembly.assembly.representativesTotal = 30
        assembly.assembly.representativesPresent = 21
        assembly.assembly.poorHouseholdRepresentatives = 7
        _ = try await client.unary(Self.ledger + "AdvanceDistributionPlan", assembly, as: Taizhang_Ledger_V1_DistributionPlan.self)
        for (stage, date) in [(Taizhang_Ledger_V1_PlanStage.planPublished, "2026-04-02"), (.planTownshipApproved, "2026-04-10"),
                              (.planFiled, "2026-04-15"), (.planCarriedOut, "2026-06-01")] {
            _ = try await client.unary(Self.ledger + "AdvanceDistributionPlan", Self.advance(plan.id, stage, date),
                                       as: Taizhang_Ledger_V1_DistributionPlan.self)
        }
        #expect(try await open().isEmpty)
    }

    @Test func limits_countScopeLinesPerCallIncomePerPlanAndText() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        // 20,001 assets in one village: more than one count takes.
        for chunk in 0..<3 {
            var batch = Taizhang_Ledger_V1_BatchRegisterAssetsRequest()
            batch.assets = (0..<(chunk == 2 ? 1 : 10_000)).map { _ in Fixture.asset() }
            _ = try await client.unary(Self.ledger + "BatchRegisterAssets", batch, as: Taizhang_Ledger_V1_BatchRegisterAssetsResponse.self)
        }
        let one = try await Fixture.register(client, Fixture.asset(village: "421024102201"))
        var open = Taizhang_Ledger_V1_OpenStockTakeRequest()
        open.adminCode = Self.village
        open.year = 2026
        open.date = "2026-10-15"
        let big = try await Self.refusal(client, "OpenStockTake", open, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(big.code == .failedPrecondition)
        #expect(big.message.contains("20001 assets"))
        open.adminCode = "421024102201"
        let count = try await client.unary(Self.ledger + "OpenStockTake", open, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(count.scope == [one.id])

        var lines = Taizhang_Ledger_V1_RecordCountRequest()
        lines.stockTakeID = count.id
        lines.lines = (0..<2_001).map { _ in Taizhang_Ledger_V1_CountLine.with { $0.assetID = one.id; $0.found = true; $0.condition = "好" } }
        let many = try await Self.refusal(client, "RecordCount", lines, as: Taizhang_Ledger_V1_StockTake.self)
        #expect(many.code == .invalidArgument)
        #expect(many.violations.map(\.field) == ["lines"])

        var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        create.plan.ownerCode = Self.village
        create.plan.incomeIds = (1...501).map { "SY\(String(format: "%08d", $0))" }
        create.plan.title = String(repeating: "长", count: 2_001)
        create.plan.allocations = [Self.allocation(.reserve, 1)]
        let limits = try await Self.refusal(client, "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(limits.code == .invalidArgument)
        #expect(Set(limits.violations.map(\.field)) == ["plan.income_ids", "plan.title"])
    }

    @Test func aRevitalisingPlanClearsTheLossAlert() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration()])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let (entity, contract) = try await RiskMonitorTests.seedOperations(client)
        for back in [2, 1] {
            var loss = Taizhang_Ledger_V1_SubmitReportRequest()
            loss.report = try await RiskMonitorTests.report(client, entity: entity, back: back, met: true)
            loss.report.profitFen = -50_000
            loss.report.correctionReason = "亏损据实更正"
            _ = try await client.unary(Self.ledger + "SubmitReport", loss, as: Taizhang_Ledger_V1_QuarterReport.self)
        }
        var get = Taizhang_Ledger_V1_GetContractRequest()
        get.id = contract
        let asset = try await client.unary(Self.ledger + "GetContract", get, as: Taizhang_Ledger_V1_OperationContract.self).assetID
        func lossAlerts() async throws -> [Taizhang_Risk_V1_Alert] {
            _ = try await RiskMonitorTests.run(client)
            var list = Taizhang_Risk_V1_ListAlertsRequest()
            list.kind = "asset_loss"
            list.state = .open
            return try await client.unary(RiskMonitorTests.risk + "ListAlerts", list, as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        }
        #expect(try await lossAlerts().map(\.subjectID) == [asset])
        var revive = Taizhang_Ledger_V1_RecordRevitalisingPlanRequest()
        revive.plan.assetID = asset
        revive.plan.measures = "更换经营主体，调整种植结构"
        revive.plan.responsible = "白马村村委会"
        revive.plan.approvedBy = "白马村村民代表大会"
        revive.plan.effectiveOn = Quarters.todayText
        _ = try await client.unary(Self.ledger + "RecordRevitalisingPlan", revive, as: Taizhang_Ledger_V1_RevitalisingPlan.self)
        #expect(try await lossAlerts().isEmpty)
    }
}
