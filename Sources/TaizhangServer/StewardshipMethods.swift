// taizhang.ledger.v1.Ledger, continued: life-cycle steps 9–12. Income as
// received and a contract's arrears; distribution plans and their steps;
// yearly stock-takes; disposals and the write-off ledger; revitalising
// plans. Requests are checked here with every bad field at once; what
// depends on other records is checked by the store at commit time.

import TaizhangCore
import TaizhangProto
import TaizhangRecords

extension LedgerService {
    static func stewardshipMethods(store: any LedgerStore, context: LedgerContext, risk: any RiskConfigurationSource) -> [MethodSpec] {
        let handlers = StewardshipHandlers(store: store, context: context, risk: risk)
        return [
            handlers.recordIncome,
            handlers.listIncome,
            handlers.getArrears,
            handlers.createDistributionPlan,
            handlers.advanceDistributionPlan,
            handlers.getDistributionPlan,
            handlers.listDistributionPlans,
            handlers.openStockTake,
            handlers.recordCount,
            handlers.closeStockTake,
            handlers.getStockTake,
            handlers.listStockTakes,
            handlers.disposeAsset,
            handlers.approveDisposal,
            handlers.listDisposals,
            handlers.recordRevitalisingPlan,
            handlers.listRevitalisingPlans,
        ]
    }
}

/// Stewardship records between the wire and the core.
enum StewardshipMapping {
    /// Free text within the ledger's byte limit (UTF-8: combining marks count too).
    static func checkText(_ text: String, field: String, maxBytes: Int = RecordLimits.textMaxBytes, into bad: inout [FieldViolation]) {
        bad += TextRules.optional(text, field: field, maxBytes: maxBytes)
    }

    /// A decimal with up to 3 places, not negative.
    static func isQuantity(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return false }
        if parts.count == 2 { return (1...3).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isNumber } }
        return true
    }

    static func decode(_ allocations: [Taizhang_Ledger_V1_Allocation], into bad: inout [FieldViolation]) -> [Allocation] {
        if allocations.count > StewardshipLimits.planAllocationsMax {
            bad.append(.init(field: "plan.allocations", description: "has \(allocations.count) items; at most \(StewardshipLimits.planAllocationsMax)"))
            return []
        }
        return allocations.enumerated().map { index, proto in
            let field = "plan.allocations[\(index)]"
            let purpose: AllocationPurpose? = EnumMapping.decode(proto.purpose.rawValue, field: field + ".purpose", what: "allocation purpose", into: &bad)
            if proto.households.count > StewardshipLimits.allocationHouseholdsMax {
                bad.append(.init(field: field + ".households", description: "has \(proto.households.count) items; at most \(StewardshipLimits.allocationHouseholdsMax)"))
            }
            for (householdIndex, share) in proto.households.prefix(StewardshipLimits.allocationHouseholdsMax).enumerated() {
                checkText(share.name, field: "\(field).households[\(householdIndex)].name", maxBytes: StewardshipLimits.nameMaxBytes, into: &bad)
                checkText(share.householdID, field: "\(field).households[\(householdIndex)].household_id", maxBytes: 16, into: &bad)
            }
            return Allocation(purpose: purpose ?? .reserve, amountFen: proto.amountFen,
                              households: proto.households.prefix(StewardshipLimits.allocationHouseholdsMax).map {
                                  HouseholdShare(name: $0.name, amountFen: $0.amountFen, householdId: $0.householdID.isEmpty ? nil : $0.householdID)
                              })
        }
    }

    /// A payment line as sent.
    static func payment(_ line: HouseholdPayment) -> Taizhang_Ledger_V1_HouseholdPayment {
        var out = Taizhang_Ledger_V1_HouseholdPayment()
        (out.householdID, out.amountFen, out.transferReference, out.signedSheetSha256) = (line.householdId, line.amountFen, line.transferReference, line.signedSheetSHA256)
        out.method = .init(rawValue: EnumMapping.encode(line.method)) ?? .unspecified
        return out
    }

    /// The payment lines of a plan being carried out.
    static func decode(_ lines: [Taizhang_Ledger_V1_HouseholdPayment], into bad: inout [FieldViolation]) -> [HouseholdPayment] {
        lines.enumerated().map { index, line in
            let method: PaymentMethod? = EnumMapping.decode(line.method.rawValue, field: "payments[\(index)].method", what: "payment method", into: &bad)
            checkText(line.householdID, field: "payments[\(index)].household_id", maxBytes: 16, into: &bad)
            checkText(line.transferReference, field: "payments[\(index)].transfer_reference", maxBytes: 64, into: &bad)
            return HouseholdPayment(householdId: line.householdID, amountFen: line.amountFen, method: method ?? .transfer,
                                    transferReference: line.transferReference, signedSheetSHA256: line.signedSheetSha256)
        }
    }

    static func decode(_ proto: Taizhang_Ledger_V1_Disposal, into bad: inout [FieldViolation]) -> DisposalRecord? {
        let reason: DisposalReason? = EnumMapping.decode(proto.reason.rawValue, field: "disposal.reason", what: "disposal reason", into: &bad)
        let method: DisposalMethod? = EnumMapping.decode(proto.method.rawValue, field: "disposal.method", what: "disposal method", into: &bad)
        let date = Decode.date(proto.date, field: "disposal.date", required: true, into: &bad)
        var appraisal: Appraisal?
        if proto.hasAppraisal {
            let day = Decode.date(proto.appraisal.date, field: "disposal.appraisal.date", required: true, into: &bad)
            checkText(proto.appraisal.appraiser, field: "disposal.appraisal.appraiser", into: &bad)
            appraisal = Appraisal(appraiser: proto.appraisal.appraiser, valueFen: proto.appraisal.valueFen, date: day ?? CivilDate.first)
        }
        if proto.approvals.count > StewardshipLimits.approvalsMax {
            bad.append(.init(field: "disposal.approvals", description: "has \(proto.approvals.count) items; at most \(StewardshipLimits.approvalsMax)"))
        }
        var approvals: [Approval] = []
        var levels: Set<ApprovalLevel> = []
        for (index, approval) in proto.approvals.prefix(StewardshipLimits.approvalsMax).enumerated() {
            let field = "disposal.approvals[\(index)]"
            let level: ApprovalLevel? = EnumMapping.decode(approval.level.rawValue, field: field + ".level", what: "approval level", into: &bad)
            let day = Decode.date(approval.date, field: field + ".date", required: true, into: &bad)
            checkText(approval.by, field: field + ".by", into: &bad)
            if let level, !levels.insert(level).inserted {
                bad.append(.init(field: field + ".level", description: "\(level.rawValue) approves once"))
            }
            approvals.append(Approval(level: level ?? .township, by: approval.by, date: day ?? CivilDate.first))
        }
        let published = Decode.date(proto.valuationPublishedOn, field: "disposal.valuation_published_on", required: false, into: &bad)
        checkText(proto.belowAppraisalReason, field: "disposal.below_appraisal_reason", into: &bad)
        guard let reason, let method, let date else { return nil }
        return DisposalRecord(reason: reason, method: method, appraisal: appraisal, approvals: approvals, valuationPublishedOn: published,
                              proceedsFen: proto.proceedsFen, belowAppraisalReason: proto.belowAppraisalReason, date: date)
    }

    static func encode(_ income: IncomeRecord, planId: String) -> Taizhang_Ledger_V1_Income {
        var out = Taizhang_Ledger_V1_Income()
        out.id = income.id
        out.assetID = income.assetId
        out.contractID = income.contractId
        out.ownerCode = income.ownerCode
        out.receivedOn = income.receipt.receivedOn.description
        out.amountFen = income.receipt.amountFen
        out.payer = income.receipt.payer
        out.account = income.receipt.account
        if let kind = income.receipt.kind { out.kind = .init(rawValue: EnumMapping.encode(kind)) ?? .unspecified }
        out.note = income.note
        out.planID = planId
        out.version = income.version
        out.createdAt = income.createdAt
        return out
    }

    static func encode(_ arrears: Arrears, contractId: String, asOf: CivilDate, receipts: [IncomeReceipt]) -> Taizhang_Ledger_V1_Arrears {
        var out = Taizhang_Ledger_V1_Arrears()
        out.contractID = contractId
        out.asOf = asOf.description
        out.payments = arrears.payments.map { standing in
            var item = Taizhang_Ledger_V1_PaymentStanding()
            item.payment.kind = .init(rawValue: EnumMapping.encode(standing.payment.kind)) ?? .unspecified
            item.payment.dueDate = standing.payment.dueDate.description
            item.payment.amountFen = standing.payment.amountFen
            item.receivedFen = standing.receivedFen
            item.outstandingFen = standing.outstandingFen
            return item
        }
        out.dueFen = arrears.payments.reduce(Int64(0)) { $0.saturatingAdd($1.payment.amountFen) }
        out.receivedFen = receipts.filter { $0.receivedOn <= asOf }.reduce(Int64(0)) { $0.saturatingAdd($1.amountFen) }
        out.owedFen = arrears.owedFen
        out.advanceFen = arrears.advanceFen
        out.oldestUnpaidDueDate = arrears.oldestUnpaid?.dueDate.description ?? ""
        return out
    }

    static func encode(_ plan: DistributionPlan, today: CivilDate) -> Taizhang_Ledger_V1_DistributionPlan {
        var out = Taizhang_Ledger_V1_DistributionPlan()
        out.id = plan.id
        out.ownerCode = plan.ownerCode
        out.title = plan.title
        out.incomeIds = plan.incomeIds
        out.incomeFen = plan.incomeFen
        out.incomeReceivedOn = plan.incomeReceivedOn.description
        out.deadline = plan.deadline.description
        out.allocations = plan.allocations.map { allocation in
            var item = Taizhang_Ledger_V1_Allocation()
            item.purpose = .init(rawValue: EnumMapping.encode(allocation.purpose)) ?? .unspecified
            item.amountFen = allocation.amountFen
            item.households = allocation.households.map { share in
                var household = Taizhang_Ledger_V1_HouseholdShare()
                household.name = share.name
                household.amountFen = share.amountFen
                household.householdID = share.householdId ?? ""
                return household
            }
            return item
        }
        out.payments = (plan.payments ?? []).map(Self.payment)
        out.stage = .init(rawValue: EnumMapping.encode(plan.stage)) ?? .unspecified
        out.steps = plan.steps.map { step in
            var item = Taizhang_Ledger_V1_PlanStep()
            item.stage = .init(rawValue: EnumMapping.encode(step.stage)) ?? .unspecified
            item.date = step.date.description
            item.identity = step.identity
            item.actor = step.actor
            item.note = step.note
            item.recordedAt = step.recordedAt
            return item
        }
        if let assembly = plan.assembly {
            out.assembly.date = assembly.date.description
            out.assembly.representativesPresent = Int32(clamping: assembly.representativesPresent)
            out.assembly.poorHouseholdRepresentatives = Int32(clamping: assembly.poorHouseholdRepresentatives)
            out.assembly.representativesTotal = Int32(clamping: assembly.representativesTotal)
        }
        out.overdue = plan.stage != .carriedOut && today > plan.deadline
        out.version = plan.version
        out.createdAt = plan.createdAt
        out.updatedAt = plan.updatedAt
        return out
    }

    static func encode(_ count: StockTake, detailed: Bool) -> Taizhang_Ledger_V1_StockTake {
        var out = Taizhang_Ledger_V1_StockTake()
        out.id = count.id
        out.adminCode = count.adminCode
        out.year = Int32(clamping: count.year)
        out.openedOn = count.openedOn.description
        if detailed {
            out.scope = count.scope
            out.lines = count.lines.map { line in
                var item = Taizhang_Ledger_V1_CountLine()
                item.assetID = line.assetId
                item.found = line.found
                item.condition = line.condition
                item.countedQuantity = line.countedQuantity
                return item
            }
        }
        out.surplus = count.surplus.map { line in
            var item = Taizhang_Ledger_V1_SurplusLine()
            item.description_p = line.description
            item.valueFen = line.valueFen
            item.valueBasis = line.valueBasis == "appraisal" ? .surplusAtAppraisal : .surplusAtReplacementCost
            return item
        }
        out.closedOn = count.closedOn?.description ?? ""
        if let report = count.report {
            out.report.assetsInScope = UInt32(clamping: report.assetsInScope)
            out.report.found = UInt32(clamping: report.found)
            out.report.lost = report.lost
            out.report.surplusCount = UInt32(clamping: report.surplusCount)
            out.report.surplusValueFen = report.surplusValueFen
            out.report.bookEqualsReality = report.bookEqualsReality
        }
        out.uncounted = UInt32(clamping: Set(count.scope).subtracting(count.lines.map(\.assetId)).count)
        out.version = count.version
        out.createdAt = count.createdAt
        out.updatedAt = count.updatedAt
        return out
    }

    static func encode(_ entry: DisposalEntry) -> Taizhang_Ledger_V1_Disposal {
        var out = Taizhang_Ledger_V1_Disposal()
        let record = entry.record
        out.id = entry.id
        out.assetID = entry.assetId
        out.reason = .init(rawValue: EnumMapping.encode(record.reason)) ?? .unspecified
        out.method = .init(rawValue: EnumMapping.encode(record.method)) ?? .unspecified
        if let appraisal = record.appraisal {
            out.appraisal.appraiser = appraisal.appraiser
            out.appraisal.valueFen = appraisal.valueFen
            out.appraisal.date = appraisal.date.description
        }
        out.approvals = record.approvals.map { approval in
            var item = Taizhang_Ledger_V1_Approval()
            item.level = .init(rawValue: EnumMapping.encode(approval.level)) ?? .unspecified
            item.by = approval.by
            item.date = approval.date.description
            return item
        }
        out.valuationPublishedOn = record.valuationPublishedOn?.description ?? ""
        out.proceedsFen = record.proceedsFen
        out.belowAppraisalReason = record.belowAppraisalReason
        out.date = record.date.description
        out.stockTakeID = entry.stockTakeId
        out.assetCode = entry.assetCode
        out.assetName = entry.assetName
        out.adminCode = entry.adminCode
        out.category = .init(rawValue: EnumMapping.encode(entry.category)) ?? .unspecified
        out.originalValueFen = entry.originalValueFen
        out.netValueFen = entry.netValueFen
        if let signOff = entry.signOff { out.signOff = RecordMessage.signOff(signOff) }
        if let registration = entry.householdRegistration {
            (out.householdDisposal.reportedBy, out.householdDisposal.registeredBy) = (registration.reportedBy, registration.registeredBy)
            out.householdDisposal.circumstances = registration.circumstances
        }
        out.version = entry.version
        out.createdAt = entry.createdAt
        return out
    }

    static func encode(_ plan: RevitalisingPlan) -> Taizhang_Ledger_V1_RevitalisingPlan {
        var out = Taizhang_Ledger_V1_RevitalisingPlan()
        out.id = plan.id
        out.assetID = plan.assetId
        out.measures = plan.measures
        out.responsible = plan.responsible
        out.approvedBy = plan.approvedBy
        out.effectiveOn = plan.effectiveOn.description
        out.version = plan.version
        out.createdAt = plan.createdAt
        return out
    }
}

extension LedgerService {
    /// The methods of life-cycle steps 9–12 (income, plans, stock-takes, disposals), each a MethodSpec bound to the store.
    struct StewardshipHandlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext
        let risk: any RiskConfigurationSource

        typealias M = StewardshipMapping
        var planResponse: @Sendable (MutationOutcome) -> Taizhang_Ledger_V1_DistributionPlan {
            { outcome in
                guard case .stewardship(.plan(let plan)) = outcome else { return .init() }
                return M.encode(plan, today: context.today)
            }
        }
        var disposalResponse: @Sendable (MutationOutcome) -> Taizhang_Ledger_V1_Disposal {
            { outcome in
                guard case .stewardship(.disposal(let entry)) = outcome else { return .init() }
                return M.encode(entry)
            }
        }
        var countResponse: @Sendable (MutationOutcome) -> Taizhang_Ledger_V1_StockTake {
            { outcome in
                guard case .stewardship(.stockTake(let count)) = outcome else { return .init() }
                return M.encode(count, detailed: true)
            }
        }
        /// The admin subtree of a filter, or nil for all; an unknown code is a violation.
        /// Notes a unit asked for that does not exist.
        func checkUnit(_ code: String, field: String, into bad: inout [FieldViolation]) {
            if !code.isEmpty, store.adminUnit(code: code) == nil {
                bad.append(.init(field: field, description: "no admin unit \(code) exists"))
            }
        }
        /// A page of the records `filter` admits after the request's token,
        /// read from the file.
        func page(_ filter: StewardshipFilter, size: Int32, token: String) throws -> StewardshipPage {
            try LedgerService.stewardshipPage(store, filter, size: size, token: token)
        }
        /// The assets of `scope` in the active ledger with no upkeep record
        /// for more than the configured days, as of today (issue 23).
        func upkeepOverdue(_ scope: [String]) throws -> [String] {
            let rules = RiskRules(configuration: risk.current(), today: context.today)
            let upkept = try store.lastUpkept(after: nil, through: nil, ids: scope)
            var overdue: [String] = []
            try store.scanAssets(ids: scope, wanted: { _ in false }) { facts, _ in
                if rules.upkeepOverdue(asset: facts, lastUpkept: upkept[facts.id]) != nil { overdue.append(facts.id) }
            }
            return overdue.sorted()
        }
        func notFuture(_ date: CivilDate?, field: String, into bad: inout [FieldViolation]) {
            if let date, date > context.today {
                bad.append(.init(field: field, description: "is \(date), after today (\(context.today)); record what has happened"))
            }
        }

        var recordIncome: MethodSpec {
            // MARK: Income
            Method.mutation(RPC.Ledger.recordIncome, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                let proto = request.income
                                if proto.assetID.isEmpty { bad.append(.init(field: "income.asset_id", description: "is required: the asset the income is from")) }
                                let received = Decode.date(proto.receivedOn, field: "income.received_on", required: true, into: &bad)
                                var kind: PaymentKind?
                                if proto.kind != .unspecified {
                                    kind = EnumMapping.decode(proto.kind.rawValue, field: "income.kind", what: "payment kind", into: &bad)
                                }
                                M.checkText(proto.payer, field: "income.payer", into: &bad)
                                M.checkText(proto.account, field: "income.account", into: &bad)
                                M.checkText(proto.note, field: "income.note", into: &bad)
                                let receipt = IncomeReceipt(receivedOn: received ?? context.today, amountFen: proto.amountFen,
                                                            payer: proto.payer, account: proto.account, kind: kind)
                                let unreadable = Set(bad.map(\.field))
                                bad += IncomeRules.validate(receipt, today: context.today).map { $0.prefixed("income") }
                                    .filter { !unreadable.contains($0.field) }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "income") }
                                return .stewardship(.recordIncome(IncomeRecord(assetId: proto.assetID, contractId: proto.contractID,
                                                                               receipt: receipt, note: proto.note)))
                            }, respond: { outcome in
                                guard case .stewardship(.income(let income)) = outcome else { return .init() }
                                return M.encode(income, planId: "")
                            })
        }

        var listIncome: MethodSpec {
            Method.fileRead(RPC.Ledger.listIncome) { _, request in
                var bad: [FieldViolation] = []
                checkUnit(request.ownerCode, field: "owner_code", into: &bad)
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let result = try page(StewardshipFilter(.income, adminCode: request.ownerCode, assetId: request.assetID, contractId: request.contractID,
                                                        undistributedOnly: request.undistributedOnly),
                                      size: request.pageSize, token: request.pageToken)
                let income = result.records.compactMap { record -> IncomeRecord? in if case .income(let value) = record { value } else { nil } }
                let plans = try store.plans(distributing: income.map(\.id))
                var response = Taizhang_Ledger_V1_ListIncomeResponse()
                response.income = income.map { M.encode($0, planId: plans[$0.id] ?? "") }
                response.nextPageToken = result.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(result.total)
                response.totalFen = result.amountFen
                return try response.serializedBytes()
            }
        }

        var getArrears: MethodSpec {
            // The contract is read from the ledger file: off the event loop.
            Method.fileRead(RPC.Ledger.getArrears) { _, request in
                var bad: [FieldViolation] = []
                if request.contractID.isEmpty { bad.append(.init(field: "contract_id", description: "is required")) }
                let asOf = Decode.date(request.asOf, field: "as_of", required: false, into: &bad) ?? context.today
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "request") }
                guard let contract = try store.contract(id: request.contractID) else {
                    throw LedgerError(.notFound, "no contract \"\(request.contractID)\" exists; contract ids look like HT00000001 (ListContracts shows them)")
                }
                let receipts = try store.stewardshipRecords(StewardshipFilter(.income, contractId: contract.id), after: nil, limit: .max).records
                    .compactMap { record in if case .income(let income) = record { income.receipt } else { nil } }
                let arrears = IncomeRules.arrears(due: contract.payments, receipts: receipts, asOf: asOf)
                return try M.encode(arrears, contractId: contract.id, asOf: asOf, receipts: receipts).serializedBytes()
            }
        }

        var createDistributionPlan: MethodSpec {
            // MARK: Distribution plans
            Method.mutation(RPC.Ledger.createDistributionPlan, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                let proto = request.plan
                                if proto.ownerCode.isEmpty { bad.append(.init(field: "plan.owner_code", description: "is required: the unit whose income it distributes")) }
                                if proto.incomeIds.isEmpty {
                                    bad.append(.init(field: "plan.income_ids", description: "name the income the plan distributes (ListIncome --undistributed shows it)"))
                                } else if proto.incomeIds.count > StewardshipLimits.planIncomeMax {
                                    bad.append(.init(field: "plan.income_ids", description: "has \(proto.incomeIds.count) items; at most \(StewardshipLimits.planIncomeMax)"))
                                }
                                for (index, id) in proto.incomeIds.prefix(StewardshipLimits.planIncomeMax).enumerated() {
                                    M.checkText(id, field: "plan.income_ids[\(index)]", maxBytes: 64, into: &bad)
                                }
                                M.checkText(proto.title, field: "plan.title", into: &bad)
                                M.checkText(request.note, field: "note", into: &bad)
                                let allocations = M.decode(proto.allocations, into: &bad)
                                let drafted = Decode.date(request.draftedOn, field: "drafted_on", required: false, into: &bad) ?? context.today
                                notFuture(drafted, field: "drafted_on", into: &bad)
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "plan") }
                                let plan = DistributionPlan(ownerCode: proto.ownerCode, title: proto.title, incomeIds: proto.incomeIds,
                                                            allocations: allocations)
                                return .stewardship(.createPlan(plan, draftedOn: drafted, note: request.note))
                            }, respond: planResponse)
        }

        var advanceDistributionPlan: MethodSpec {
            Method.mutation(RPC.Ledger.advanceDistributionPlan, store: store,
                            plan: { call, request in
                                var bad: [FieldViolation] = []
                                if request.planID.isEmpty { bad.append(.init(field: "plan_id", description: "is required")) }
                                let stage: PlanStage? = EnumMapping.decode(request.stage.rawValue, field: "stage", what: "plan stage", into: &bad)
                                let date = Decode.date(request.date, field: "date", required: false, into: &bad) ?? context.today
                                notFuture(date, field: "date", into: &bad)
                                M.checkText(request.note, field: "note", into: &bad)
                                var assembly: AssemblyRecord?
                                if request.hasAssembly {
                                    let a = request.assembly
                                    let day = Decode.date(a.date, field: "assembly.date", required: false, into: &bad) ?? date
                                    assembly = AssemblyRecord(date: day, representativesPresent: Int(a.representativesPresent),
                                                              poorHouseholdRepresentatives: Int(a.poorHouseholdRepresentatives),
                                                              representativesTotal: Int(a.representativesTotal))
                                }
                                if stage == .draft { bad.append(.init(field: "stage", description: "a plan is drafted by CreateDistributionPlan; name the next step")) }
                                let payments = StewardshipMapping.decode(request.payments, into: &bad)
                                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the version you read")) }
                                guard let stage, bad.isEmpty else { throw LedgerError.invalid(bad, what: "step") }
                                var approver: SignOffDecider?
                                if let principal = call.principal {
                                    let approval = DistributionPlan.approvalStages.contains(stage)
                                    let needed: Permission = approval ? .planApprove : .planDraft
                                    guard principal.may(needed) else {
                                        throw LedgerError(.permissionDenied, "the \(stage.rawValue) step needs the permission \(needed.rawValue); \(principal.name) (role \(principal.roleNames)) does not have it")
                                    }
                                    approver = approval && !principal.isLocal ? Decode.signer(call) : nil
                                }
                                return .stewardship(.advancePlan(planId: request.planID, to: stage, on: date, note: request.note,
                                                                 assembly: assembly, approver: approver, expectedVersion: request.expectedVersion,
                                                                 payments: payments))
                            }, respond: planResponse)
        }

        var getDistributionPlan: MethodSpec {
            Method.fileRead(RPC.Ledger.getDistributionPlan) { _, request in
                guard case .plan(let plan)? = try store.stewardshipRecord(.distributionPlan, id: request.id) else {
                    throw LedgerError(.notFound, "no distribution plan \"\(request.id)\" exists; plan ids look like FP00000001 (ListDistributionPlans shows them)")
                }
                return try M.encode(plan, today: context.today).serializedBytes()
            }
        }

        var listDistributionPlans: MethodSpec {
            Method.fileRead(RPC.Ledger.listDistributionPlans) { _, request in
                var bad: [FieldViolation] = []
                checkUnit(request.ownerCode, field: "owner_code", into: &bad)
                var stage: PlanStage?
                if request.stage != .unspecified {
                    stage = EnumMapping.decode(request.stage.rawValue, field: "stage", what: "plan stage", into: &bad)
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let today = context.today
                var filter = StewardshipFilter(.distributionPlan, adminCode: request.ownerCode, states: stage.map { [$0.rawValue] })
                if request.overdueOnly {
                    // Overdue: not carried out, and past its deadline (the day column).
                    filter.states = (stage.map { [$0] } ?? PlanStage.allCases).filter { $0 != .carriedOut }.map(\.rawValue)
                    filter.dayBefore = today
                }
                let result = try page(filter, size: request.pageSize, token: request.pageToken)
                var response = Taizhang_Ledger_V1_ListDistributionPlansResponse()
                response.plans = result.records.compactMap { record in if case .plan(let plan) = record { M.encode(plan, today: today) } else { nil } }
                response.nextPageToken = result.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(result.total)
                return try response.serializedBytes()
            }
        }

        var openStockTake: MethodSpec {
            // MARK: Stock-takes
            Method.mutation(RPC.Ledger.openStockTake, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                if request.adminCode.isEmpty { bad.append(.init(field: "admin_code", description: "is required: the unit whose assets are counted")) }
                                let date = Decode.date(request.date, field: "date", required: false, into: &bad) ?? context.today
                                notFuture(date, field: "date", into: &bad)
                                let year = Int(request.year)
                                if year != date.year, year != date.year - 1 {
                                    bad.append(.init(field: "year", description: "\(year) is neither the count's year (\(date.year)) nor the one before; a count is yearly (004 §23)"))
                                }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "stock-take") }
                                return .stewardship(.openStockTake(adminCode: request.adminCode, year: year, on: date))
                            }, respond: countResponse)
        }

        var recordCount: MethodSpec {
            Method.mutation(RPC.Ledger.recordCount, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                if request.stockTakeID.isEmpty { bad.append(.init(field: "stock_take_id", description: "is required")) }
                                let limit = StewardshipLimits.countLinesPerCallMax
                                if request.lines.count > limit { bad.append(.init(field: "lines", description: "has \(request.lines.count) items; at most \(limit) per call")) }
                                if request.surplus.count > limit { bad.append(.init(field: "surplus", description: "has \(request.surplus.count) items; at most \(limit) per call")) }
                                if request.lines.isEmpty, request.surplus.isEmpty { bad.append(.init(field: "lines", description: "send at least one line or surplus line")) }
                                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the version you read")) }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "count") }
                                var lines: [CountLine] = []
                                for (index, line) in request.lines.enumerated() {
                                    let field = "lines[\(index)]"
                                    if line.assetID.isEmpty { bad.append(.init(field: field + ".asset_id", description: "is required")) }
                                    if line.found, line.condition.isBlank {
                                        bad.append(.init(field: field + ".condition", description: "say what the asset was like (好, 一般, 损坏…)"))
                                    }
                                    M.checkText(line.condition, field: field + ".condition", maxBytes: StewardshipLimits.nameMaxBytes, into: &bad)
                                    M.checkText(line.assetID, field: field + ".asset_id", maxBytes: 64, into: &bad)
                                    var quantity = line.countedQuantity
                                    if quantity.isEmpty {
                                        quantity = line.found ? (store.asset(id: line.assetID)?.quantity ?? "1") : "0"
                                    } else if !M.isQuantity(quantity) {
                                        bad.append(.init(field: field + ".counted_quantity", description: "\"\(quantity)\" is not a quantity; write a decimal with up to 3 places, e.g. 2.5"))
                                    }
                                    lines.append(CountLine(assetId: line.assetID, found: line.found, condition: line.condition, countedQuantity: quantity))
                                }
                                var surplus: [SurplusLine] = []
                                for (index, line) in request.surplus.enumerated() {
                                    let field = "surplus[\(index)]"
                                    if line.description_p.isBlank { bad.append(.init(field: field + ".description", description: "say what was found")) }
                                    M.checkText(line.description_p, field: field + ".description", maxBytes: StewardshipLimits.nameMaxBytes * 2, into: &bad)
                                    if line.valueFen <= 0 { bad.append(.init(field: field + ".value_fen", description: "a surplus is recorded at its value (more than 0, 004 §23)")) }
                                    let basis: String
                                    switch line.valueBasis {
                                    case .surplusAtAppraisal: basis = "appraisal"
                                    case .surplusAtReplacementCost: basis = "replacement_cost"
                                    default:
                                        basis = ""
                                        bad.append(.init(field: field + ".value_basis", description: "is required: SURPLUS_AT_APPRAISAL or SURPLUS_AT_REPLACEMENT_COST (004 §23)"))
                                    }
                                    surplus.append(SurplusLine(description: line.description_p, valueFen: line.valueFen, valueBasis: basis))
                                }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "count") }
                                return .stewardship(.recordCount(stockTakeId: request.stockTakeID, lines: lines, surplus: surplus,
                                                                 expectedVersion: request.expectedVersion))
                            }, respond: countResponse)
        }

        var closeStockTake: MethodSpec {
            Method.mutation(RPC.Ledger.closeStockTake, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                if request.stockTakeID.isEmpty { bad.append(.init(field: "stock_take_id", description: "is required")) }
                                let date = Decode.date(request.date, field: "date", required: false, into: &bad) ?? context.today
                                notFuture(date, field: "date", into: &bad)
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "close") }
                                return .stewardship(.closeStockTake(stockTakeId: request.stockTakeID, on: date, expectedVersion: request.expectedVersion))
                            }, respond: countResponse)
        }

        var getStockTake: MethodSpec {
            Method.fileRead(RPC.Ledger.getStockTake) { _, request in
                guard case .stockTake(let count)? = try store.stewardshipRecord(.stockTake, id: request.id) else {
                    throw LedgerError(.notFound, "no stock-take \"\(request.id)\" exists; ids look like PD00000001 (ListStockTakes shows them)")
                }
                var out = M.encode(count, detailed: true)
                out.upkeepOverdue = try upkeepOverdue(count.scope)
                return try out.serializedBytes()
            }
        }

        var listStockTakes: MethodSpec {
            Method.fileRead(RPC.Ledger.listStockTakes) { _, request in
                var bad: [FieldViolation] = []
                checkUnit(request.adminCode, field: "admin_code", into: &bad)
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let result = try page(StewardshipFilter(.stockTake, adminCode: request.adminCode, year: Int(request.year)),
                                      size: request.pageSize, token: request.pageToken)
                var response = Taizhang_Ledger_V1_ListStockTakesResponse()
                response.stockTakes = result.records.compactMap { record in if case .stockTake(let count) = record { M.encode(count, detailed: false) } else { nil } }
                response.nextPageToken = result.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(result.total)
                return try response.serializedBytes()
            }
        }

        var disposeAsset: MethodSpec {
            // MARK: Disposal
            Method.mutation(RPC.Ledger.disposeAsset, store: store,
                            plan: { call, request in
                                var bad: [FieldViolation] = []
                                let proto = request.disposal
                                if proto.assetID.isEmpty { bad.append(.init(field: "disposal.asset_id", description: "is required: the asset to dispose of")) }
                                let record = M.decode(proto, into: &bad)
                                if let record { notFuture(record.date, field: "disposal.date", into: &bad) }
                                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the asset's version you read")) }
                                guard let record, bad.isEmpty else { throw LedgerError.invalid(bad, what: "disposal") }
                                let signer = Decode.signer(call)
                                return .stewardship(.dispose(assetId: proto.assetID, record: record, stockTakeId: proto.stockTakeID,
                                                             policy: context.policy, expectedVersion: request.expectedVersion,
                                                             drafter: signer.separated ? signer : nil))
                            }, respond: disposalResponse)
        }

        var approveDisposal: MethodSpec {
            Method.mutation(RPC.Ledger.approveDisposal, store: store,
                            plan: { call, request in
                                var bad: [FieldViolation] = []
                                if request.disposalID.isEmpty { bad.append(.init(field: "disposal_id", description: "is required: the drafted disposal, e.g. CZ00000001")) }
                                let decision = Decode.decision(request.decision, into: &bad)
                                let date = Decode.date(request.date, field: "date", required: true, into: &bad)
                                if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the disposal's version you read")) }
                                guard let decision, let date, bad.isEmpty else { throw LedgerError.invalid(bad, what: "decision") }
                                return .stewardship(.decideDisposal(disposalId: request.disposalID, decision: decision, on: date, note: request.note,
                                                                    decider: Decode.signer(call), expectedVersion: request.expectedVersion))
                            }, respond: disposalResponse)
        }

        var listDisposals: MethodSpec {
            Method.fileRead(RPC.Ledger.listDisposals) { _, request in
                var bad: [FieldViolation] = []
                checkUnit(request.adminCode, field: "admin_code", into: &bad)
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let state: SignOff.State?
                switch request.signOff {
                case .signOffPending: state = .pending
                case .signOffRejected: state = .rejected
                case .unspecified, .signOffApproved: state = nil
                case .UNRECOGNIZED(let raw): throw LedgerError.invalid([.init(field: "sign_off", description: "\(raw) is not a SignOffState")], what: "filter")
                }
                // In effect: approved, or needing no approval.
                let filter = StewardshipFilter(.disposal, adminCode: request.adminCode, year: Int(request.year),
                                               states: state.map { [$0.rawValue] } ?? ["", SignOff.State.approved.rawValue])
                let result = try page(filter, size: request.pageSize, token: request.pageToken)
                func entries(_ records: [StewardshipRecord]) -> [DisposalEntry] {
                    records.compactMap { record in if case .disposal(let entry) = record { entry } else { nil } }
                }
                var response = Taizhang_Ledger_V1_ListDisposalsResponse()
                response.disposals = entries(result.records).map(M.encode)
                response.nextPageToken = result.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(result.total)
                response.proceedsFen = result.amountFen
                // The values of all of them (a unit disposes of a few assets a year).
                let all = result.nextAfter == nil && result.total == result.records.count
                    ? result.records : try store.stewardshipRecords(filter, after: nil, limit: .max).records
                for entry in entries(all) {
                    response.originalValueFen = response.originalValueFen.saturatingAdd(entry.originalValueFen)
                    response.netValueFen = response.netValueFen.saturatingAdd(entry.netValueFen)
                }
                return try response.serializedBytes()
            }
        }

        var recordRevitalisingPlan: MethodSpec {
            // MARK: Revitalising
            Method.mutation(RPC.Ledger.recordRevitalisingPlan, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                let proto = request.plan
                                if proto.assetID.isEmpty { bad.append(.init(field: "plan.asset_id", description: "is required: the idle or loss-making asset")) }
                                for (value, field, what) in [(proto.measures, "plan.measures", "what will be done (出租, 改变用途, 维修…)"),
                                                             (proto.responsible, "plan.responsible", "who is responsible"),
                                                             (proto.approvedBy, "plan.approved_by", "who approved the plan")] {
                                    if value.isBlank { bad.append(.init(field: field, description: "is required: \(what)")) }
                                    M.checkText(value, field: field, into: &bad)
                                }
                                let effective = Decode.date(proto.effectiveOn, field: "plan.effective_on", required: true, into: &bad)
                                guard let effective, bad.isEmpty else { throw LedgerError.invalid(bad, what: "revitalising plan") }
                                return .stewardship(.recordRevitalisingPlan(RevitalisingPlan(assetId: proto.assetID, measures: proto.measures,
                                                                                             responsible: proto.responsible, approvedBy: proto.approvedBy,
                                                                                             effectiveOn: effective)))
                            }, respond: { outcome in
                                guard case .stewardship(.revitalising(let plan)) = outcome else { return .init() }
                                return M.encode(plan)
                            })
        }

        var listRevitalisingPlans: MethodSpec {
            Method.fileRead(RPC.Ledger.listRevitalisingPlans) { _, request in
                var bad: [FieldViolation] = []
                checkUnit(request.adminCode, field: "admin_code", into: &bad)
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let result = try page(StewardshipFilter(.revitalisingPlan, adminCode: request.adminCode, assetId: request.assetID),
                                      size: request.pageSize, token: request.pageToken)
                var response = Taizhang_Ledger_V1_ListRevitalisingPlansResponse()
                response.plans = result.records.compactMap { record in if case .revitalising(let plan) = record { M.encode(plan) } else { nil } }
                response.nextPageToken = result.nextAfter.map(PageToken.encode) ?? ""
                response.total = UInt64(result.total)
                return try response.serializedBytes()
            }
        }
    }
}
