// The demo county's life-cycle steps 9–12: the rent its operators paid
// (one operator has not), a distribution plan at each of the six stages
// (some past their deadline), one village's stock-take with a loss, a
// disposal, and a revitalising plan for an idle asset. The loader (taizhang
// demo load) sends them in order, filling in the ids the daemon gives.

import TaizhangProto

/// One demo distribution plan: over the income of `incomeIndex`, taken to `stage`.
public struct DemoPlan: Sendable {
    public var incomeIndex: Int
    public var plan: Taizhang_Ledger_V1_DistributionPlan
    public var draftedOn: String
    /// The steps after the draft, in order.
    public var steps: [Taizhang_Ledger_V1_AdvanceDistributionPlanRequest]
}

/// What the demo records after its operations.
public struct DemoStewardship: Sendable {
    /// Income per operation (index into `operations`); `assetID` and `contractID` filled by the loader.
    public var income: [(operation: Int, income: Taizhang_Ledger_V1_Income)]
    public var plans: [DemoPlan]
    /// The village whose assets are counted this year, the day, and the asset (index into `assets`) not found.
    public var stockTakeVillage: String
    public var stockTakeDate: String
    /// The disposal of the lost asset (stock_take_id filled by the loader).
    public var lossDisposal: Taizhang_Ledger_V1_Disposal
    /// A disposal by auction of `disposalAssetIndex`.
    public var disposalAssetIndex: Int
    public var disposal: Taizhang_Ledger_V1_Disposal
    /// A revitalising plan for the idle asset `revitalisingAssetIndex`.
    public var revitalisingAssetIndex: Int
    public var revitalising: Taizhang_Ledger_V1_RevitalisingPlan
}

extension DemoCounty {
    /// The demo's stewardship records as of `today`, given its `operations`.
    public func stewardship(today: (year: Int, month: Int, day: Int), operations: [DemoOperation]) -> DemoStewardship {
        let todayText = "\(today.year)-\(pad(today.month))-\(pad(today.day))"
        func day(_ offset: Int, from text: String) -> String { DemoCounty.add(days: offset, toDate: text) }
        func notAfterToday(_ text: String) -> String { text > todayText ? todayText : text }

        let income = Self.income(operations, today: todayText)

        // A plan at each stage, over the first six receipts.
        let stages: [Taizhang_Ledger_V1_PlanStage] = [.planDraft, .planAssemblyPassed, .planPublished, .planTownshipApproved, .planFiled, .planCarriedOut]
        var plans: [DemoPlan] = []
        for (number, stage) in stages.enumerated() where number < income.count {
            plans.append(Self.plan(number, stage: stage, receipt: income[number].income, stages: stages, today: todayText))
        }

        // This year's count of the first operation's village; its last asset in id order is lost.
        let village = operations.first.map { assets[$0.assetIndex].adminCode } ?? units.last!.code
        let countDay = todayText
        var loss = Taizhang_Ledger_V1_Disposal()
        loss.reason = .stockTakeLoss
        loss.method = .scrap
        loss.appraisal.appraiser = "荆州正信资产评估有限公司"
        loss.appraisal.valueFen = 0
        loss.appraisal.date = countDay
        loss.date = countDay

        // An early public-welfare asset of a village collective, sold at auction after its approvals.
        let disposalIndex = assets.indices.first { index in
            let asset = assets[index]
            return asset.category == .publicWelfare && asset.owners.allSatisfy { $0.kind == .villageCollective } && asset.adminCode != village
        } ?? 0
        let disposal = Self.sale(of: assets[disposalIndex], today: todayText)

        let idleIndex = assets.indices.first { assets[$0].usageStatus == .idle && $0 != disposalIndex } ?? 0
        var revitalising = Taizhang_Ledger_V1_RevitalisingPlan()
        revitalising.measures = "对外公开招租，租金收入纳入村集体经济"
        revitalising.responsible = "村民委员会"
        revitalising.approvedBy = "村民代表大会"
        revitalising.effectiveOn = day(-7, from: todayText)

        return DemoStewardship(income: income, plans: plans, stockTakeVillage: village, stockTakeDate: countDay, lossDisposal: loss,
                               disposalAssetIndex: disposalIndex, disposal: disposal, revitalisingAssetIndex: idleIndex, revitalising: revitalising)
    }

    /// Plan `number` over `receipt`, taken through `stages` up to `stage`.
    private static func plan(_ number: Int, stage: Taizhang_Ledger_V1_PlanStage, receipt: Taizhang_Ledger_V1_Income,
                             stages: [Taizhang_Ledger_V1_PlanStage], today todayText: String) -> DemoPlan {
        func day(_ offset: Int, from text: String) -> String { DemoCounty.add(days: offset, toDate: text) }
        func notAfterToday(_ text: String) -> String { text > todayText ? todayText : text }
        let total = receipt.amountFen
        let households = [("张", "桂英"), ("李", "德福"), ("王", "秀兰"), ("刘", "长海")]
        var priority = Taizhang_Ledger_V1_Allocation()
        priority.purpose = .noLabourHouseholds
        let priorityFen = total * 40 / 100
        let shares = 2 + number % 3
        for share in 0..<shares {
            var household = Taizhang_Ledger_V1_HouseholdShare()
            let (surname, given) = households[(number + share) % households.count]
            household.name = surname + given
            household.amountFen = share == shares - 1 ? priorityFen - Int64(shares - 1) * (priorityFen / Int64(shares)) : priorityFen / Int64(shares)
            priority.households.append(household)
        }
        priority.amountFen = priorityFen
        func allocation(_ purpose: Taizhang_Ledger_V1_AllocationPurpose, _ fen: Int64) -> Taizhang_Ledger_V1_Allocation {
            var item = Taizhang_Ledger_V1_Allocation()
            item.purpose = purpose
            item.amountFen = fen
            return item
        }
        let jobs = total * 20 / 100
        let collective = total * 25 / 100
        var plan = Taizhang_Ledger_V1_DistributionPlan()
        plan.title = "\(String(receipt.receivedOn.prefix(4)))年资产收益分配方案"
        plan.allocations = [priority, allocation(.publicWelfareJobs, jobs), allocation(.collectiveEconomy, collective),
                            allocation(.reserve, total - priorityFen - jobs - collective)]
        let drafted = notAfterToday(day(10, from: receipt.receivedOn))
        var steps: [Taizhang_Ledger_V1_AdvanceDistributionPlanRequest] = []
        var date = drafted
        for (offset, next) in stages.dropFirst().enumerated() where next.rawValue <= stage.rawValue {
            date = notAfterToday(day([10, 8, 10, 5, 15][offset], from: date))
            var step = Taizhang_Ledger_V1_AdvanceDistributionPlanRequest()
            step.stage = next
            step.date = date
            if next == .planAssemblyPassed {
                step.assembly.date = date
                step.assembly.representativesTotal = 35
                step.assembly.representativesPresent = 29
                step.assembly.poorHouseholdRepresentatives = 11
                step.note = "村民代表大会表决通过"
            } else if next == .planPublished {
                step.note = "村务公开栏公示7天无异议"
            }
            steps.append(step)
        }
        return DemoPlan(incomeIndex: number, plan: plan, draftedOn: drafted, steps: steps)
    }

    /// The sale at auction of `asset` after its three approvals.
    private static func sale(of asset: Taizhang_Ledger_V1_Asset, today todayText: String) -> Taizhang_Ledger_V1_Disposal {
        func day(_ offset: Int, from text: String) -> String { DemoCounty.add(days: offset, toDate: text) }
        var disposal = Taizhang_Ledger_V1_Disposal()
        disposal.reason = .planning
        disposal.method = .auction
        let appraised = max(100, asset.originalValueFen / 5)
        disposal.appraisal.appraiser = "荆州正信资产评估有限公司"
        disposal.appraisal.valueFen = appraised
        disposal.appraisal.date = day(-60, from: todayText)
        for (level, by, offset) in [(Taizhang_Ledger_V1_ApprovalLevel.approvalTownship, "乡镇人民政府", -50), (.approvalCountyDepartment, "江陵县农业农村局", -45),
                                    (.approvalCountyPovertyOffice, "江陵县乡村振兴局", -40)] {
            var approval = Taizhang_Ledger_V1_Approval()
            approval.level = level
            approval.by = by
            approval.date = day(offset, from: todayText)
            disposal.approvals.append(approval)
        }
        disposal.valuationPublishedOn = day(-38, from: todayText)
        disposal.proceedsFen = appraised + appraised / 10
        disposal.date = day(-20, from: todayText)
        return disposal
    }

    /// Each operator paid its payment due five days late, except those missing two quarters.
    private static func income(_ operations: [DemoOperation], today todayText: String) -> [(operation: Int, income: Taizhang_Ledger_V1_Income)] {
        func day(_ offset: Int, from text: String) -> String { DemoCounty.add(days: offset, toDate: text) }
        func notAfterToday(_ text: String) -> String { text > todayText ? todayText : text }
        var income: [(operation: Int, income: Taizhang_Ledger_V1_Income)] = []
        for (index, operation) in operations.enumerated() where operation.profile != .missedTwice {
            guard let payment = operation.contract.payments.first else { continue }
            var record = Taizhang_Ledger_V1_Income()
            record.receivedOn = notAfterToday(day(5, from: payment.dueDate))
            record.amountFen = payment.amountFen
            record.payer = operation.entity.name
            record.account = "村集体经济组织账户（乡镇代管）"
            record.kind = payment.kind
            income.append((index, record))
        }
        return income
    }
}

private func pad(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }
