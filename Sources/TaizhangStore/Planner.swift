// Planning one mutation: what it changes, checked against the committed
// state plus what earlier mutations of the same group changed (the
// overlay). A Planner decides; the writer (LedgerWriter) applies the plan
// in a savepoint with its audit entries. One method per kind of change:
// Planner+Registry (admin units, projects, assets, the life cycle),
// Planner+Operations (entities, contracts, reports), Planner+Stewardship
// (income, plans, stock-takes, disposals, revitalising plans).

import TaizhangCore

/// Plans mutations of one group for one caller, at one time.
struct Planner {
    /// What earlier mutations of the group changed.
    let overlay: Overlay
    /// The committed state.
    let store: SQLiteLedgerStore
    let context: CallerContext
    /// The group's time, RFC 3339, and its civil date in China Standard Time.
    let now: String
    let today: CivilDate
    /// The last numbers given out; ids used by a plan stay used.
    var numbers: IdentifierNumbers

    /// The plan of `mutation`, or the reason it is refused.
    mutating func plan(_ mutation: Mutation) throws -> Plan {
        switch mutation {
        case .createAdminUnit(let unit):
            return try createAdminUnit(unit)
        case .createProject(let project):
            return try createProject(project)
        case .registerAssets(let assets, let batch):
            return try registerAssets(assets, batch)
        case .updateAsset(let asset, let expectedVersion):
            return try updateAsset(asset, expectedVersion)
        case .lifecycle(let id, let action, let calendar, let policy, let contributions, let expectedVersion):
            return try lifecycle(id, action, calendar, policy, contributions, expectedVersion)
        case .probe:
            return Plan(outcome: .assets([]))
        case .createEntity(let entity):
            return try createEntity(entity)
        case .updateEntity(let entity, let expectedVersion):
            return try updateEntity(entity, expectedVersion)
        case .createContract(let contract):
            return try createContract(contract)
        case .amendContract(let contract, let consent, let expectedVersion):
            return try amendContract(contract, consent, expectedVersion)
        case .submitReport(let report, let expectedRevision):
            return try submitReport(report, expectedRevision)
        case .stewardship(let change):
            return try plan(change)
        }
    }

    /// The plan of a change of life-cycle steps 9–12.
    mutating func plan(_ change: StewardshipChange) throws -> Plan {
        switch change {
        case .recordIncome(let income):
            return try recordIncome(income)
        case .createPlan(let plan, let draftedOn, let note):
            return try createPlan(plan, draftedOn, note)
        case .advancePlan(let id, let target, let date, let note, let assembly, let approver, let expectedVersion):
            return try advancePlan(id, target, date, note, assembly, approver, expectedVersion)
        case .openStockTake(let adminCode, let year, let date):
            return try openStockTake(adminCode, year, date)
        case .recordCount(let id, let lines, let surplus, let expectedVersion):
            return try recordCount(id, lines, surplus, expectedVersion)
        case .closeStockTake(let id, let date, let expectedVersion):
            return try closeStockTake(id, date, expectedVersion)
        case .dispose(let assetId, let record, let stockTakeId, let policy, let expectedVersion, let drafter):
            return try dispose(assetId, record, stockTakeId, policy, expectedVersion, drafter)
        case .decideDisposal(let id, let decision, let date, let note, let decider, let expectedVersion):
            return try decideDisposal(id, decision, date, note, decider, expectedVersion)
        case .recordRevitalisingPlan(let plan):
            return try recordRevitalisingPlan(plan)
        }
    }

    // MARK: The ledger as the group sees it

    func adminUnit(_ code: String) -> AdminUnit? { overlay.adminUnits[code] ?? store.state.withLock { $0.adminUnits[code] } }
    func lookupProject(_ id: String) -> Project? { overlay.projects[id] ?? store.state.withLock { $0.projects[id] } }
    func lookupAsset(_ id: String) -> Asset? { overlay.assets[id] ?? store.state.withLock { $0.assets[id] } }
    func holder(ofCode code: String) -> String? {
        if let id = overlay.assetIdsByCode[code] { return id.isEmpty ? nil : id }
        return store.state.withLock { $0.assetIdsByCode[code] }
    }
    /// The holder of an asset number as the caller may see it: numbers
    /// are unique county-wide, but an asset outside the scope stays unnamed.
    func shown(_ holder: String) -> String {
        guard let scope = context.scope, let code = lookupAsset(holder)?.adminCode, !scope.contains(code) else { return holder }
        return "an asset outside \(context.scopeHolder)"
    }

    func lookupEntity(_ id: String) -> OperatingEntity? { overlay.entities[id] ?? store.state.withLock { $0.operations.entities[id] } }
    func lookupContract(_ id: String) -> OperationContract? { overlay.contracts[id] ?? store.state.withLock { $0.operations.contracts[id] } }
    func holder(ofCreditCode code: String) -> String? {
        if let id = overlay.entityIdsByCreditCode[code] { return id.isEmpty ? nil : id }
        return store.state.withLock { $0.entityIdsByCreditCode[code] }
    }
    /// The entity holding a credit code as the caller may see it.
    func shownEntity(_ holder: String) -> String {
        guard let scope = context.scope, let code = lookupEntity(holder)?.adminCode, !scope.contains(code) else { return holder }
        return "an entity outside \(context.scopeHolder)"
    }
    func assetContracts(_ assetId: String) -> [OperationContract] {
        let committed = store.state.withLock { $0.operations.contracts(ofAsset: assetId) }
        var byId: [String: OperationContract] = [:]
        for contract in committed { byId[contract.id] = contract }
        for contract in overlay.contracts.values where contract.assetId == assetId { byId[contract.id] = contract }
        return byId.values.sorted { $0.id < $1.id }
    }
    func checkParties(_ contract: OperationContract) throws {
        var bad: [FieldViolation] = []
        if let asset = lookupAsset(contract.assetId), asset.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of (已处置 on \(asset.lifecycle.disposedOn?.description ?? "?")); it can be under no contract",
                              violations: [.init(field: "contract.asset_id", description: "disposed of")])
        }
        if lookupAsset(contract.assetId) == nil { bad.append(.init(field: "contract.asset_id", description: "no asset \(contract.assetId) exists")) }
        if lookupEntity(contract.entityId) == nil { bad.append(.init(field: "contract.entity_id", description: "no operating entity \(contract.entityId) exists")) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "contract") }
    }
    /// Another contract of the asset sharing a day with this one's term.
    func overlapping(_ contract: OperationContract) -> OperationContract? {
        assetContracts(contract.assetId).first { other in
            other.id != contract.id && other.start <= contract.lastDay && contract.start <= other.lastDay
        }
    }

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
    mutating func nextId(_ kind: StewardshipKind) -> String {
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
}
