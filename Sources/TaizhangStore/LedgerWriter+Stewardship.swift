// The writer's plans for life-cycle steps 9–12: income, distribution plans,
// stock-takes, disposals and revitalising plans. Each checks, against the
// committed state plus what earlier mutations of the same group changed,
// what the services could not: existence, references, stages and versions.

import TaizhangCore

extension LedgerWriter {
    /// The disposal of `assetId` drafted and awaiting approval, if any.
    func pendingDisposal(of assetId: String, overlay: Overlay, store: SQLiteLedgerStore) -> String? {
        var entries: [String: DisposalEntry] = [:]
        store.state.withLock { state in
            if let id = state.stewardship.disposalOfAsset[assetId], let entry = state.stewardship.disposals[id] { entries[id] = entry }
        }
        for record in overlay.stewardship.values {
            if case .disposal(let entry) = record, entry.assetId == assetId { entries[entry.id] = entry }
        }
        return entries.values.filter { $0.signOff?.state == .pending }.map(\.id).min()
    }

    func planStewardship(_ change: StewardshipChange, context: CallerContext, overlay: Overlay, store: SQLiteLedgerStore,
                         now: String, today: CivilDate, numbers: inout IdentifierNumbers) throws -> Plan {
        func adminUnit(_ code: String) -> AdminUnit? { overlay.adminUnits[code] ?? store.state.withLock { $0.adminUnits[code] } }
        func lookupAsset(_ id: String) -> Asset? { overlay.assets[id] ?? store.state.withLock { $0.assets[id] } }
        func lookupContract(_ id: String) -> OperationContract? { overlay.contracts[id] ?? store.state.withLock { $0.operations.contracts[id] } }
        func lookup(_ kind: StewardshipKind, _ id: String) -> StewardshipRecord? {
            overlay.stewardship[kind.rawValue + "/" + id] ?? store.state.withLock { $0.stewardship.record(kind, id: id) }
        }
        /// Committed records of `kind` with this group's changes over them.
        func all(_ kind: StewardshipKind) -> [StewardshipRecord] {
            var byId: [String: StewardshipRecord] = [:]
            store.state.withLock { state in
                switch kind {
                case .income: for record in state.stewardship.income.values { byId[record.id] = .income(record) }
                case .distributionPlan: for record in state.stewardship.plans.values { byId[record.id] = .plan(record) }
                case .stockTake: for record in state.stewardship.stockTakes.values { byId[record.id] = .stockTake(record) }
                case .disposal: for record in state.stewardship.disposals.values { byId[record.id] = .disposal(record) }
                case .revitalisingPlan: for record in state.stewardship.revitalising.values { byId[record.id] = .revitalising(record) }
                }
            }
            for record in overlay.stewardship.values where record.kind == kind { byId[record.id] = record }
            return byId.values.sorted { $0.id < $1.id }
        }
        func nextId(_ kind: StewardshipKind) -> String {
            let number = (numbers.stewardship[kind] ?? 0) + 1
            numbers.stewardship[kind] = number
            return kind.id(number)
        }
        func stale(_ what: String, _ id: String, _ version: Int64, _ expected: Int64) -> LedgerError? {
            guard expected != 0, expected != version else { return nil }
            return LedgerError(.aborted, "\(what) \(id) is at version \(version), not \(expected): someone changed it since you read it; read it again and reapply your change")
        }

        /// The asset out of the active ledger by `entry`.
        func disposed(_ current: Asset, by entry: DisposalEntry) -> Asset {
            var asset = current
            asset.lifecycle.stage = .disposed
            asset.lifecycle.disposedOn = entry.record.date
            asset.lifecycle.disposalId = entry.id
            asset.version = current.version + 1
            asset.updatedAt = now
            return asset
        }
        /// Whether `asset` may be disposed of by `record` now (when drafted,
        /// and again when approved: `draft` names the draft being approved).
        func checkDisposal(of current: Asset, _ record: DisposalRecord, stockTakeId: String, draft: String? = nil) throws {
            let assetId = current.id
            let governments: Set<OwnerKind> = [.countyGovernment, .townshipGovernment]
            let subject = DisposalSubject(householdSupport: current.category == .household,
                                          stateOwned: current.owners.contains { governments.contains($0.kind) },
                                          pledged: !current.encumbrance.isBlank, disposed: current.lifecycle.stage == .disposed)
            if let refusal = DisposalRules.refusal(record, of: subject) { throw refusal }
            if current.lifecycle.ownership?.awaitsDecision == true {
                throw LedgerError(.failedPrecondition, "asset \(assetId) has owners drafted that await approval (ApproveOwnership); its disposal waits until they are approved or rejected")
            }
            if let pending = all(.disposal).first(where: { record in
                guard case .disposal(let entry) = record else { return false }
                return entry.assetId == assetId && entry.signOff?.state == .pending && entry.id != draft
            }) {
                throw LedgerError(.failedPrecondition, "asset \(assetId) already has a disposal drafted (\(pending.id)) that awaits approval; approve or reject it first (ApproveDisposal)")
            }
            if let notice = current.lifecycle.openPublication {
                throw LedgerError(.failedPrecondition, "asset \(assetId) has a \(notice.kind.rawValue) notice up since \(notice.start); close it first (ClosePublication)")
            }
            var contracts = store.state.withLock { $0.operations.contracts(ofAsset: assetId) }
            for contract in overlay.contracts.values where contract.assetId == assetId {
                contracts.removeAll { $0.id == contract.id }
                contracts.append(contract)
            }
            if let running = contracts.sorted(by: { $0.id < $1.id }).first(where: { $0.lastDay >= record.date }) {
                throw LedgerError(.failedPrecondition, "asset \(assetId) is under contract \(running.id) until \(running.lastDay); end it first (AmendContract with terminated_on, with the owner's consent) and settle what is owed",
                                  violations: [.init(field: "disposal.date", description: "contract \(running.id) runs on \(record.date)")])
            }
            if record.date < current.acquiredDate {
                throw LedgerError.invalid([.init(field: "disposal.date", description: "is \(record.date), before the asset was acquired (\(current.acquiredDate))")], what: "disposal")
            }
            if record.reason == .stockTakeLoss {
                guard case .stockTake(let count)? = lookup(.stockTake, stockTakeId) else {
                    throw LedgerError.invalid([.init(field: "stock_take_id", description: stockTakeId.isEmpty
                        ? "a loss found by a count names the count (stock_take_id)" : "no stock-take \(stockTakeId) exists")], what: "disposal")
                }
                guard let report = count.report, report.lost.contains(assetId) else {
                    throw LedgerError(.failedPrecondition, "stock-take \(stockTakeId) did not record \(assetId) as lost\(count.isOpen ? " (it is still open)" : ""); dispose of a loss once a closed count found it",
                                      violations: [.init(field: "stock_take_id", description: "does not list \(assetId) as lost")])
                }
            } else if !stockTakeId.isEmpty {
                throw LedgerError.invalid([.init(field: "stock_take_id", description: "names a count only for reason stock_take_loss")], what: "disposal")
            }
        }

        switch change {
        case .recordIncome(var income):
            guard let asset = lookupAsset(income.assetId) else {
                throw LedgerError(.notFound, "no asset \(income.assetId) exists", violations: [.init(field: "income.asset_id", description: "not found")])
            }
            if income.receipt.receivedOn < asset.acquiredDate {
                throw LedgerError.invalid([.init(field: "income.received_on", description: "is \(income.receipt.receivedOn), before the asset was acquired (\(asset.acquiredDate))")], what: "income")
            }
            if !income.contractId.isEmpty {
                guard let contract = lookupContract(income.contractId) else {
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
            return Plan(stewardship: [(.income(income), nil)], outcome: .stewardship(.income(income)))

        case .createPlan(var plan, let draftedOn, let note):
            var bad: [FieldViolation] = []
            if adminUnit(plan.ownerCode) == nil {
                bad.append(.init(field: "plan.owner_code", description: "no admin unit \(plan.ownerCode) exists"))
            }
            let planned: [String: String] = Dictionary(all(.distributionPlan).flatMap { record -> [(String, String)] in
                guard case .plan(let other) = record else { return [] }
                return other.incomeIds.map { ($0, other.id) }
            }, uniquingKeysWith: { first, _ in first })
            var receipts: [IncomeReceipt] = []
            var seen: Set<String> = []
            for (index, id) in plan.incomeIds.enumerated() {
                let field = "plan.income_ids[\(index)]"
                guard seen.insert(id).inserted else {
                    bad.append(.init(field: field, description: "\(id) is named twice"))
                    continue
                }
                guard case .income(let income)? = lookup(.income, id) else {
                    bad.append(.init(field: field, description: "no income \(id) exists"))
                    continue
                }
                if income.ownerCode != plan.ownerCode {
                    bad.append(.init(field: field, description: "\(id) reached the account of \(income.ownerCode), not \(plan.ownerCode); a plan distributes its owner's income"))
                }
                if let other = planned[id] {
                    bad.append(.init(field: field, description: "\(id) is already distributed by plan \(other); income is distributed once"))
                }
                receipts.append(income.receipt)
            }
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
            plan.steps = [PlanStep(stage: .draft, date: draftedOn, identity: context.identity, actor: context.actor, note: note, recordedAt: now)]
            plan.assembly = nil
            plan.version = 1
            plan.createdAt = now
            plan.updatedAt = now
            return Plan(stewardship: [(.plan(plan), nil)], outcome: .stewardship(.plan(plan)))

        case .advancePlan(let id, let target, let date, let note, let assembly, let approver, let expectedVersion):
            guard case .plan(let current)? = lookup(.distributionPlan, id) else {
                throw LedgerError(.notFound, "no distribution plan \(id) exists", violations: [.init(field: "plan_id", description: "not found")])
            }
            if let error = stale("plan", id, current.version, expectedVersion) { throw error }
            if let refusal = DistributionRules.refusal(from: current.stage, to: target, on: date, previousStepDate: current.lastStepDate, assembly: assembly) {
                throw refusal
            }
            if let approver, DistributionPlan.approvalStages.contains(target), approver == current.drafter {
                throw LedgerError(.permissionDenied, "separation of duties: \(approver) drafted plan \(id), so another identity records its \(target.rawValue) step")
            }
            if let approver, target == .filed, current.recorder(of: .townshipApproved) == approver {
                throw LedgerError(.permissionDenied, "separation of duties: \(approver) recorded the township's approval of plan \(id), so another identity (the county's) records its filing")
            }
            var plan = current
            plan.stage = target
            plan.steps.append(PlanStep(stage: target, date: date, identity: context.identity, actor: context.actor, note: note, recordedAt: now))
            if target == .assemblyPassed { plan.assembly = assembly }
            plan.version = current.version + 1
            plan.updatedAt = now
            return Plan(stewardship: [(.plan(plan), .plan(current))], outcome: .stewardship(.plan(plan)))

        case .openStockTake(let adminCode, let year, let date):
            guard adminUnit(adminCode) != nil else {
                throw LedgerError(.notFound, "no admin unit \(adminCode) exists", violations: [.init(field: "admin_code", description: "not found")])
            }
            for record in all(.stockTake) {
                guard case .stockTake(let other) = record, other.adminCode == adminCode else { continue }
                if other.year == year {
                    throw LedgerError(.alreadyExists, "admin unit \(adminCode) already has the \(year) count (\(other.id)); record its lines there",
                                      violations: [.init(field: "year", description: "\(other.id) counts \(year)")])
                }
                if other.isOpen {
                    throw LedgerError(.failedPrecondition, "the \(other.year) count of \(adminCode) (\(other.id)) is still open; close it first")
                }
            }
            // The scope: every asset of the subtree not disposed of, this group's new ones included.
            var scope: Set<String> = []
            var codes = store.state.withLock { $0.subtree(of: adminCode) }
            for unit in overlay.adminUnits.values.sorted(by: { $0.code < $1.code }) where codes.contains(unit.parentCode) { codes.insert(unit.code) }
            store.state.withLock { state in
                for (id, asset) in state.assets where codes.contains(asset.adminCode) && asset.lifecycle.stage != .disposed { scope.insert(id) }
            }
            for asset in overlay.assets.values {
                if codes.contains(asset.adminCode), asset.lifecycle.stage != .disposed { scope.insert(asset.id) } else { scope.remove(asset.id) }
            }
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
            return Plan(stewardship: [(.stockTake(count), nil)], outcome: .stewardship(.stockTake(count)))

        case .recordCount(let id, let lines, let surplus, let expectedVersion):
            guard case .stockTake(let current)? = lookup(.stockTake, id) else {
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
            var count = current
            count.lines = current.lines.filter { !inRequest.contains($0.assetId) } + lines
            // A surplus line with the description of an earlier one replaces it (a resent call adds nothing).
            let described = Set(surplus.map(\.description))
            count.surplus = current.surplus.filter { !described.contains($0.description) } + surplus
            count.version = current.version + 1
            count.updatedAt = now
            // The journal keeps what this call changed: the lines and surplus it replaced and those it recorded.
            let replaced = StockTakeChange(id: id, version: current.version, updatedAt: current.updatedAt,
                                           lines: current.lines.filter { inRequest.contains($0.assetId) },
                                           surplus: current.surplus.filter { described.contains($0.description) })
            let recorded = StockTakeChange(id: id, version: count.version, updatedAt: now, lines: lines, surplus: surplus)
            return Plan(stewardship: [(.stockTake(count), .stockTake(current))],
                        auditOverrides: ["stock_take/" + id: (StewardshipJSON.text(replaced), StewardshipJSON.text(recorded))],
                        outcome: .stewardship(.stockTake(count)))

        case .closeStockTake(let id, let date, let expectedVersion):
            guard case .stockTake(let current)? = lookup(.stockTake, id) else {
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
            let scope = Set(current.scope.filter { lookupAsset($0)?.lifecycle.stage != .disposed })
            let lines = current.lines.filter { scope.contains($0.assetId) }
            if let refusal = StockTakeRules.closingRefusal(scope: scope, lines: lines, surplus: current.surplus) { throw refusal }
            var count = current
            count.closedOn = date
            count.report = StockTakeRules.report(scope: scope, lines: lines, surplus: current.surplus)
            count.version = current.version + 1
            count.updatedAt = now
            let open = StockTakeChange(id: id, version: current.version, updatedAt: current.updatedAt)
            let closed = StockTakeChange(id: id, version: count.version, updatedAt: now, closedOn: date, report: count.report)
            return Plan(stewardship: [(.stockTake(count), .stockTake(current))],
                        auditOverrides: ["stock_take/" + id: (StewardshipJSON.text(open), StewardshipJSON.text(closed))],
                        outcome: .stewardship(.stockTake(count)))

        case .dispose(let assetId, let record, let stockTakeId, let policy, let expectedVersion, let drafter):
            guard let current = lookupAsset(assetId) else {
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
                entry.signOff = SignOff(draftedBy: drafter)
                return Plan(stewardship: [(.disposal(entry), nil)], outcome: .stewardship(.disposal(entry)))
            }
            return Plan(assets: [(disposed(current, by: entry), current)], stewardship: [(.disposal(entry), nil)],
                        outcome: .stewardship(.disposal(entry)))

        case .decideDisposal(let id, let decision, let date, let note, let decider, let expectedVersion):
            guard case .disposal(let current)? = lookup(.disposal, id) else {
                throw LedgerError(.notFound, "no disposal \(id) exists", violations: [.init(field: "disposal_id", description: "not found")])
            }
            if let error = stale("disposal", id, current.version, expectedVersion) { throw error }
            var entry = current
            entry.signOff = try SignOffRules.decide(current.signOff, decision, by: decider, on: date, note: note,
                                                    what: "the disposal \(id)", earliest: current.record.date, today: today)
            entry.version = current.version + 1
            guard decision == .approve else {
                return Plan(stewardship: [(.disposal(entry), .disposal(current))], outcome: .stewardship(.disposal(entry)))
            }
            guard let asset = lookupAsset(current.assetId) else {
                throw LedgerError(.notFound, "no asset \(current.assetId) exists")
            }
            // The asset may have changed since the draft: the rules again, on it as it is now.
            try checkDisposal(of: asset, current.record, stockTakeId: current.stockTakeId, draft: id)
            return Plan(assets: [(disposed(asset, by: entry), asset)], stewardship: [(.disposal(entry), .disposal(current))],
                        outcome: .stewardship(.disposal(entry)))

        case .recordRevitalisingPlan(var plan):
            guard let asset = lookupAsset(plan.assetId) else {
                throw LedgerError(.notFound, "no asset \(plan.assetId) exists", violations: [.init(field: "plan.asset_id", description: "not found")])
            }
            if asset.lifecycle.stage == .disposed {
                throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of; there is nothing to revitalise")
            }
            // For what the monitor flags: idle, or its operator's latest report shows a loss.
            let lossMaking = store.state.withLock { state in
                state.operations.contracts(ofAsset: asset.id).contains { contract in
                    (state.operations.reports[contract.entityId]?.values.max { $0.quarter < $1.quarter }?.profitFen ?? 0) < 0
                }
            }
            if asset.usageStatus != .idle, !lossMaking {
                throw LedgerError(.failedPrecondition, "asset \(asset.id) is neither idle nor loss-making (usage status \(asset.usageStatus.rawValue), no loss in its operator's latest report); a revitalising plan 盘活方案 is for assets the monitor flags")
            }
            plan.id = nextId(.revitalisingPlan)
            plan.version = 1
            plan.createdAt = now
            return Plan(stewardship: [(.revitalising(plan), nil)], outcome: .stewardship(.revitalising(plan)))
        }
    }
}
