// Plans for life-cycle steps 9–12: income, distribution plans, stock-takes,
// disposals and revitalising plans.



extension Decider {
    mutating func recordIncome(_ income: IncomeRecord) throws -> LedgerChange {
        try reveal(assetCode(income.assetId), "asset", income.assetId)
        var income = income
        guard let asset = view.asset(income.assetId) else {
            throw LedgerError(.notFound, "no asset \(income.assetId) exists", violations: [.init(field: "income.asset_id", description: "not found")])
        }
        if income.receipt.receivedOn < asset.acquiredDate {
            throw LedgerError.invalid([.init(field: "income.received_on", description: "is \(income.receipt.receivedOn), before the asset was acquired (\(asset.acquiredDate))")], what: "income")
        }
        if !income.contractId.isEmpty {
            guard let contract = view.contract(income.contractId) else {
                throw LedgerError.invalid([.init(field: "income.contract_id", description: "no contract \(income.contractId) exists")], what: "income")
            }
            if contract.assetId != asset.id {
                throw LedgerError.invalid([.init(field: "income.contract_id", description: "contract \(contract.id) is for asset \(contract.assetId), not \(asset.id)")], what: "income")
            }
        }
        income.id = nextId(.income)
        income.ownerCode = asset.adminCode
        income.version = 1
        income.createdAt = now
        return LedgerChange(stewardship: [(.income(income), nil)], outcome: .stewardship(.income(income)))
    }

    mutating func createPlan(_ plan: DistributionPlan, _ draftedOn: CivilDate, _ note: String) throws -> LedgerChange {
        try permit(plan.ownerCode, "the plan's owner_code")
        var plan = plan
        var bad: [FieldViolation] = []
        if view.adminUnit(plan.ownerCode) == nil {
            bad.append(.init(field: "plan.owner_code", description: "no admin unit \(plan.ownerCode) exists"))
        }
        var receipts: [IncomeReceipt] = []
        var seen: Set<String> = []
        for (index, id) in plan.incomeIds.enumerated() {
            let field = "plan.income_ids[\(index)]"
            guard seen.insert(id).inserted else {
                bad.append(.init(field: field, description: "\(id) is named twice"))
                continue
            }
            guard case .income(let income)? = view.record(.income, id) else {
                bad.append(.init(field: field, description: "no income \(id) exists"))
                continue
            }
            if income.ownerCode != plan.ownerCode {
                bad.append(.init(field: field, description: "\(id) reached the account of \(income.ownerCode), not \(plan.ownerCode); a plan distributes its owner's income"))
            }
            if let other = view.plan(distributing: id) {
                bad.append(.init(field: field, description: "\(id) is already distributed by plan \(other); income is distributed once"))
            }
            receipts.append(income.receipt)
        }
        bad += linkHouseholds(&plan)
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "plan") }
        plan.incomeFen = receipts.reduce(Int64(0)) { $0.saturatingAdd($1.amountFen) }
        let rules = DistributionRules.validate(allocations: plan.allocations, incomeFen: plan.incomeFen)
        if !rules.isEmpty {
            let splitAll = rules.contains { $0.description.hasPrefix("一分了之") }
            throw LedgerError(.invalidArgument, splitAll
                ? "the plan is refused: 一分了之 (it hands everything out with no reserve or no priority group); see violations"
                : "the plan's allocations do not add up; see violations",
                violations: rules.map { $0.prefixed("plan") })
        }
        plan.incomeReceivedOn = receipts.map(\.receivedOn).min() ?? draftedOn
        let lastReceived = receipts.map(\.receivedOn).max() ?? draftedOn
        if draftedOn < lastReceived {
            throw LedgerError.invalid([.init(field: "drafted_on", description: "is \(draftedOn), before the income it distributes was received (the last on \(lastReceived))")], what: "plan")
        }
        plan.deadline = DistributionRules.deadline(incomeReceived: plan.incomeReceivedOn)
        plan.id = nextId(.distributionPlan)
        plan.stage = .draft
        plan.steps = [PlanStep(stage: .draft, date: draftedOn, identity: context.identity, actor: context.actor, personId: context.identityId, note: note, recordedAt: now)]
        plan.assembly = nil
        try priorityFirst(plan)
        plan.version = 1
        plan.createdAt = now
        plan.updatedAt = now
        return LedgerChange(stewardship: [(.plan(plan), nil)], outcome: .stewardship(.plan(plan)))
    }

    mutating func advancePlan(_ id: String, _ target: PlanStage, _ date: CivilDate, _ note: String, _ assembly: AssemblyRecord?, _ approver: SignOffDecider?, _ expectedVersion: Int64,
                              _ payments: [HouseholdPayment] = []) throws -> LedgerChange {
        if case .plan(let plan)? = view.record(.distributionPlan, id) { try reveal(plan.ownerCode, "distribution plan", id) } else { try reveal(nil, "distribution plan", id) }
        guard case .plan(let current)? = view.record(.distributionPlan, id) else {
            throw LedgerError(.notFound, "no distribution plan \(id) exists", violations: [.init(field: "plan_id", description: "not found")])
        }
        if let error = stale("plan", id, current.version, expectedVersion) { throw error }
        if let refusal = DistributionRules.refusal(from: current.stage, to: target, on: date, previousStepDate: current.lastStepDate, assembly: assembly) {
            throw refusal
        }
        if let approver, DistributionPlan.approvalStages.contains(target), DistributionPlan.took(current.steps.first, approver) {
            throw LedgerError(.permissionDenied, "separation of duties: \(approver.name) drafted plan \(id), so another identity records its \(target.rawValue) step")
        }
        if let approver, target == .filed, DistributionPlan.took(current.steps.last { $0.stage == .townshipApproved }, approver) {
            throw LedgerError(.permissionDenied, "separation of duties: \(approver.name) recorded the township's approval of plan \(id), so another identity (the county's) records its filing")
        }
        var plan = current
        if target == .carriedOut {
            plan.payments = try householdPayments(current, payments)
        } else if !payments.isEmpty {
            throw LedgerError.invalid([.init(field: "payments", description: "are recorded when the plan is carried out (carried_out), not at \(target.rawValue)")], what: "plan step")
        }
        plan.stage = target
        plan.steps.append(PlanStep(stage: target, date: date, identity: context.identity, actor: context.actor, personId: context.identityId, note: note, recordedAt: now))
        if target == .assemblyPassed { plan.assembly = assembly }
        plan.version = current.version + 1
        plan.updatedAt = now
        return LedgerChange(stewardship: [(.plan(plan), .plan(current))], outcome: .stewardship(.plan(plan)))
    }

    /// Shares naming households of the register: each must be a household
    /// of the plan's unit (or below), once per allocation; an empty name is
    /// the head's from the register, another name is refused.
    func linkHouseholds(_ plan: inout DistributionPlan) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        var known: [String: Household]?
        for (a, allocation) in plan.allocations.enumerated() {
            var seen: Set<String> = []
            for (h, share) in allocation.households.enumerated() {
                guard let id = share.householdId, !id.isEmpty else { continue }
                let field = "plan.allocations[\(a)].households[\(h)]"
                if known == nil { known = Dictionary(uniqueKeysWithValues: view.households(inUnit: plan.ownerCode).map { ($0.id, $0) }) }
                guard let household = known?[id] else {
                    bad.append(.init(field: field + ".household_id", description: "no household \(id) in the register of \(plan.ownerCode) or below"))
                    continue
                }
                if !seen.insert(id).inserted { bad.append(.init(field: field + ".household_id", description: "\(id) is named twice in this allocation")) }
                if share.name.isBlank {
                    plan.allocations[a].households[h].name = household.headName
                } else if share.name.trimmingSpaces != household.headName {
                    bad.append(.init(field: field + ".name", description: "is \(share.name); the register's head of \(id) is \(household.headName)"))
                }
            }
        }
        return bad
    }

    /// The payment lines of a plan carried out, checked (PlanPaymentRules),
    /// and the priority of 004 §30: a plan that pays households while a
    /// household of its village without or with weak labour capacity gets
    /// nothing is refused.
    func householdPayments(_ plan: DistributionPlan, _ payments: [HouseholdPayment]) throws -> [HouseholdPayment]? {
        let bad = PlanPaymentRules.violations(payments, allocations: plan.allocations)
        if !bad.isEmpty {
            throw LedgerError(.invalidArgument, "the payment lines do not match the plan's household shares; see violations", violations: bad)
        }
        try priorityFirst(plan)
        return payments.isEmpty ? nil : payments
    }

    /// 004 §30 for a plan that pays households of the register: every
    /// household of its unit (and below) without or with weak labour
    /// capacity, as the register stood when the plan was drafted, has a
    /// share. Checked when it is drafted and again when it is carried out;
    /// households registered or changed since are for the next plan. Plans
    /// naming households by text only are not checked.
    func priorityFirst(_ plan: DistributionPlan) throws {
        let paid = Set(PlanPaymentRules.registeredShares(plan.allocations).keys)
        guard !paid.isEmpty else { return }
        // The register as it stood when the plan was drafted: households
        // entered before it, not changed since (a plan cannot be amended, so
        // a later change must not hold it for ever).
        let drafted = plan.steps.first?.date ?? today
        let draftedAt = plan.createdAt.isEmpty ? now : plan.createdAt
        let skipped = view.households(inUnit: plan.ownerCode).filter { household in
            household.labourCapacity.isPriority && !paid.contains(household.id)
                && (household.changes.last?.date ?? household.registeredOn) <= drafted && household.updatedAt <= draftedAt
        }
        guard !skipped.isEmpty else { return }
        let named = skipped.prefix(10).map { "\($0.id) \($0.headName)（\($0.labourCapacity.chineseName)）" }.joined(separator: "、")
        throw LedgerError(.failedPrecondition,
                          "004 §30: the plan pays households while \(skipped.count) household(s) of \(plan.ownerCode) without or with weak labour capacity get nothing (\(named)\(skipped.count > 10 ? " …" : "")); village income goes to them first: give them a share",
                          violations: skipped.prefix(100).map { .init(field: "plan.allocations", description: "\($0.id) (\($0.labourCapacity.rawValue)) has no share") })
    }

    mutating func openStockTake(_ adminCode: String, _ year: Int, _ date: CivilDate) throws -> LedgerChange {
        try permit(adminCode, "the count's admin_code")
        guard view.adminUnit(adminCode) != nil else {
            throw LedgerError(.notFound, "no admin unit \(adminCode) exists", violations: [.init(field: "admin_code", description: "not found")])
        }
        for other in view.stockTakes(ofUnit: adminCode) {
            if other.year == year {
                throw LedgerError(.alreadyExists, "admin unit \(adminCode) already has the \(year) count (\(other.id)); record its lines there",
                                  violations: [.init(field: "year", description: "\(other.id) counts \(year)")])
            }
            if other.isOpen {
                throw LedgerError(.failedPrecondition, "the \(other.year) count of \(adminCode) (\(other.id)) is still open; close it first")
            }
        }
        // The scope: every asset of the subtree not disposed of, this group's new ones included.
        let scope = Set(view.assets(inUnits: view.subtree(of: adminCode)).values.filter { $0.lifecycle.stage != .disposed }.map(\.id))
        if scope.isEmpty {
            throw LedgerError(.failedPrecondition, "admin unit \(adminCode) has no assets in the active ledger to count")
        }
        if scope.count > StewardshipLimits.stockTakeScopeMax {
            throw LedgerError(.failedPrecondition, "admin unit \(adminCode) holds \(scope.count) assets, more than one count takes (\(StewardshipLimits.stockTakeScopeMax)); count its townships one by one",
                              violations: [.init(field: "admin_code", description: "\(scope.count) assets in scope; at most \(StewardshipLimits.stockTakeScopeMax)")])
        }
        var count = StockTake(adminCode: adminCode, year: year, openedOn: date, scope: scope.sorted())
        count.id = nextId(.stockTake)
        count.version = 1
        count.createdAt = now
        count.updatedAt = now
        return LedgerChange(stewardship: [(.stockTake(count), nil)], outcome: .stewardship(.stockTake(count)))
    }

    mutating func recordCount(_ id: String, _ lines: [CountLine], _ surplus: [SurplusLine], _ expectedVersion: Int64) throws -> LedgerChange {
        if case .stockTake(let count)? = view.record(.stockTake, id) { try reveal(count.adminCode, "stock-take", id) } else { try reveal(nil, "stock-take", id) }
        guard case .stockTake(let current)? = view.record(.stockTake, id) else {
            throw LedgerError(.notFound, "no stock-take \(id) exists", violations: [.init(field: "stock_take_id", description: "not found")])
        }
        if let closed = current.closedOn {
            throw LedgerError(.failedPrecondition, "stock-take \(id) closed on \(closed); its lines no longer change")
        }
        if let error = stale("stock-take", id, current.version, expectedVersion) { throw error }
        let scope = Set(current.scope)
        var bad: [FieldViolation] = []
        var inRequest: Set<String> = []
        for (index, line) in lines.enumerated() {
            if !scope.contains(line.assetId) {
                bad.append(.init(field: "lines[\(index)].asset_id", description: "\(line.assetId) is not in the scope of \(id) (the assets of \(current.adminCode) when it opened)"))
            } else if !inRequest.insert(line.assetId).inserted {
                bad.append(.init(field: "lines[\(index)].asset_id", description: "\(line.assetId) appears twice in this request"))
            }
        }
        var descriptions: Set<String> = []
        for (index, line) in surplus.enumerated() where !descriptions.insert(line.description).inserted {
            bad.append(.init(field: "surplus[\(index)].description", description: "\"\(line.description)\" appears twice in this request; describe each find once"))
        }
        if current.surplus.count + surplus.count > StewardshipLimits.countLinesPerCallMax {
            bad.append(.init(field: "surplus", description: "a count holds at most \(StewardshipLimits.countLinesPerCallMax) surplus lines"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "count") }
        var count = current.recording(lines: lines, surplus: surplus)
        let described = Set(surplus.map(\.description))
        count.version = current.version + 1
        count.updatedAt = now
        // The journal keeps what this call changed: the lines and surplus it replaced and those it recorded.
        let replaced = StockTakeChange(id: id, version: current.version, updatedAt: current.updatedAt,
                                       lines: current.lines.filter { inRequest.contains($0.assetId) },
                                       surplus: current.surplus.filter { described.contains($0.description) })
        let recorded = StockTakeChange(id: id, version: count.version, updatedAt: now, lines: lines, surplus: surplus)
        return LedgerChange(stewardship: [(.stockTake(count), .stockTake(current))],
                    countAudit: [id: (replaced, recorded)],
                    outcome: .stewardship(.stockTake(count)))
    }

    mutating func closeStockTake(_ id: String, _ date: CivilDate, _ expectedVersion: Int64) throws -> LedgerChange {
        if case .stockTake(let count)? = view.record(.stockTake, id) { try reveal(count.adminCode, "stock-take", id) } else { try reveal(nil, "stock-take", id) }
        guard case .stockTake(let current)? = view.record(.stockTake, id) else {
            throw LedgerError(.notFound, "no stock-take \(id) exists", violations: [.init(field: "stock_take_id", description: "not found")])
        }
        if let closed = current.closedOn {
            throw LedgerError(.failedPrecondition, "stock-take \(id) already closed on \(closed)")
        }
        if let error = stale("stock-take", id, current.version, expectedVersion) { throw error }
        if date < current.openedOn {
            throw LedgerError.invalid([.init(field: "date", description: "is \(date), before the count opened (\(current.openedOn))")], what: "close")
        }
        // An asset disposed of while the count was open has left the ledger: it needs no line.
        let scope = Set(current.scope.filter { view.asset($0)?.lifecycle.stage != .disposed })
        let lines = current.lines.filter { scope.contains($0.assetId) }
        if let refusal = StockTakeRules.closingRefusal(scope: scope, lines: lines, surplus: current.surplus) { throw refusal }
        var count = current
        count.closedOn = date
        count.report = StockTakeRules.report(scope: scope, lines: lines, surplus: current.surplus)
        count.version = current.version + 1
        count.updatedAt = now
        let open = StockTakeChange(id: id, version: current.version, updatedAt: current.updatedAt)
        let closed = StockTakeChange(id: id, version: count.version, updatedAt: now, closedOn: date, report: count.report)
        return LedgerChange(stewardship: [(.stockTake(count), .stockTake(current))],
                    countAudit: [id: (open, closed)],
                    outcome: .stewardship(.stockTake(count)))
    }

    mutating func dispose(_ assetId: String, _ record: DisposalRecord, _ stockTakeId: String, _ policy: DepreciationPolicy, _ expectedVersion: Int64, _ drafter: SignOffDecider? = nil) throws -> LedgerChange {
        try reveal(assetCode(assetId), "asset", assetId)
        guard let current = view.asset(assetId) else {
            throw LedgerError(.notFound, "no asset \(assetId) exists", violations: [.init(field: "asset_id", description: "not found")])
        }
        if let error = stale("asset", assetId, current.version, expectedVersion) { throw error }
        try checkDisposal(of: current, record, stockTakeId: stockTakeId)
        let (_, net) = Depreciation.asOf(record.date, asset: current, policy: policy)
        var entry = DisposalEntry(assetId: current.id, assetCode: current.code, assetName: current.name, adminCode: current.adminCode,
                                  category: current.category, originalValueFen: current.originalValueFen, netValueFen: net,
                                  record: record, stockTakeId: stockTakeId)
        entry.id = nextId(.disposal)
        entry.version = 1
        entry.createdAt = now
        if let drafter {
            // A draft: the asset stays in the active ledger until approved.
            entry.signOff = SignOff(draftedBy: drafter.name, draftedById: drafter.id)
            return LedgerChange(stewardship: [(.disposal(entry), nil)], outcome: .stewardship(.disposal(entry)))
        }
        return LedgerChange(assets: [(disposed(current, by: entry), current)], stewardship: [(.disposal(entry), nil)],
                    outcome: .stewardship(.disposal(entry)))
    }

    mutating func decideDisposal(_ id: String, _ decision: SignOffDecision, _ date: CivilDate, _ note: String, _ decider: SignOffDecider, _ expectedVersion: Int64) throws -> LedgerChange {
        if case .disposal(let entry)? = view.record(.disposal, id) { try reveal(assetCode(entry.assetId), "disposal", id) } else { try reveal(nil, "disposal", id) }
        guard case .disposal(let current)? = view.record(.disposal, id) else {
            throw LedgerError(.notFound, "no disposal \(id) exists", violations: [.init(field: "disposal_id", description: "not found")])
        }
        if let error = stale("disposal", id, current.version, expectedVersion) { throw error }
        var entry = current
        entry.signOff = try SignOffRules.decide(current.signOff, decision, by: decider, on: date, note: note,
                                                what: "the disposal \(id)", earliest: current.record.date, today: today)
        entry.version = current.version + 1
        guard decision == .approve else {
            return LedgerChange(stewardship: [(.disposal(entry), .disposal(current))], outcome: .stewardship(.disposal(entry)))
        }
        guard let asset = view.asset(current.assetId) else {
            throw LedgerError(.notFound, "no asset \(current.assetId) exists")
        }
        // The asset may have changed since the draft: the rules again, on it as it is now.
        try checkDisposal(of: asset, current.record, stockTakeId: current.stockTakeId, draft: id)
        return LedgerChange(assets: [(disposed(asset, by: entry), asset)], stewardship: [(.disposal(entry), .disposal(current))],
                    outcome: .stewardship(.disposal(entry)))
    }

    mutating func recordRevitalisingPlan(_ plan: RevitalisingPlan) throws -> LedgerChange {
        try reveal(assetCode(plan.assetId), "asset", plan.assetId)
        var plan = plan
        guard let asset = view.asset(plan.assetId) else {
            throw LedgerError(.notFound, "no asset \(plan.assetId) exists", violations: [.init(field: "plan.asset_id", description: "not found")])
        }
        if asset.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of; there is nothing to revitalise")
        }
        // For what the monitor flags: idle, or its operator's latest report shows a loss.
        let lossMaking = view.contracts(ofAsset: asset.id).contains { contract in
            (view.reports(of: contract.entityId).values.max { $0.quarter < $1.quarter }?.profitFen ?? 0) < 0
        }
        if asset.usageStatus != .idle, !lossMaking {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is neither idle nor loss-making (usage status \(asset.usageStatus.rawValue), no loss in its operator's latest report); a revitalising plan 盘活方案 is for assets the monitor flags")
        }
        plan.id = nextId(.revitalisingPlan)
        plan.version = 1
        plan.createdAt = now
        return LedgerChange(stewardship: [(.revitalising(plan), nil)], outcome: .stewardship(.revitalising(plan)))
    }
}
