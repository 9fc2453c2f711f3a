// The rules of every mutation as one pure function: decide(view, mutation,
// time) is the change to write, or a refusal citing the rule. A Decider
// reads a LedgerView (the committed ledger with what earlier mutations of
// the same group changed over it) and never writes; the store applies the
// change it returns, in one savepoint, with its audit entries. One method
// per kind of change: Decider+Registry (admin units, projects, assets, the
// life cycle), Decider+Operations (entities, contracts, reports),
// Decider+Stewardship (income, plans, stock-takes, disposals, revitalising
// plans). The caller's scope is checked in each rule where it names a
// record or a unit (Decider+Scope), and on the whole change at the end.

/// Decides the mutations of one group for one caller, at one time.
public struct Decider {
    /// The ledger as the group sees it.
    public let view: any LedgerView
    public let context: CallerContext
    /// The group's time, RFC 3339, and its civil date in China Standard Time.
    public let now: String
    public let today: CivilDate
    /// The last numbers given out; ids a decision uses stay used, even when
    /// the mutation is refused.
    public var numbers: IdentifierNumbers

    public init(view: any LedgerView, context: CallerContext, now: String, today: CivilDate, numbers: IdentifierNumbers) {
        self.view = view
        self.context = context
        self.now = now
        self.today = today
        self.numbers = numbers
    }

    /// The change `mutation` makes, or the reason it is refused.
    public mutating func decide(_ mutation: Mutation) throws -> LedgerChange {
        let change = try rule(mutation)
        if let refusal = scopeRefusal(change) { throw refusal }
        return change
    }

    /// The rule of `mutation`.
    mutating func rule(_ mutation: Mutation) throws -> LedgerChange {
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
        case .probe, .signTreeHead:
            return LedgerChange(outcome: .assets([]))
        case .acceptHead(let accepted):
            var change = LedgerChange(outcome: .journaled(AuditHead(seq: 0, hash: "")))
            change.notes = [(LedgerNotes.kind, accepted.ledgerId, LedgerNotes.json(accepted))]
            return change
        case .notePersonalDataRead(let ids, let fields, let reason):
            return notePersonalDataRead(ids, fields: fields, reason: reason)
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
            return try rule(change)
        }
    }

    /// The rule of a change of life-cycle steps 9–12.
    mutating func rule(_ change: StewardshipChange) throws -> LedgerChange {
        switch change {
        case .recordIncome(let income):
            return try recordIncome(income)
        case .createPlan(let plan, let draftedOn, let note):
            return try createPlan(plan, draftedOn, note)
        case .advancePlan(let id, let target, let date, let note, let assembly, let approver, let expectedVersion, let payments):
            return try advancePlan(id, target, date, note, assembly, approver, expectedVersion, payments)
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
        case .observeAlerts(let events):
            return try observeAlerts(events)
        case .followUp(let id, let command, let expectedVersion):
            return try followUp(id, command, expectedVersion)
        case .escalateAlerts(let orders):
            return try escalateAlerts(orders)
        case .registerUnit(let unit, let expectedVersion):
            return try registerUnit(unit, expectedVersion)
        case .setTargets(let unitId, let year, let quarters, let date, let reason, let expectedVersion):
            return try setTargets(unitId, year, quarters, date, reason, expectedVersion)
        case .recordMilestone(let projectId, let entry, let unitId):
            return try recordMilestone(projectId, entry, unitId)
        case .recordAllocation(let projectId, let allocation):
            return try recordAllocation(projectId, allocation)
        case .recordDisbursement(let projectId, let payment):
            return try recordDisbursement(projectId, payment)
        case .judgeQuarters(let judgements):
            return try judgeQuarters(judgements)
        case .assessProject(let assessment, let weakBelow):
            return try assessProject(assessment, weakBelow)
        case .registerHousehold(let entry, let key):
            return try registerHousehold(entry, key)
        case .updateHousehold(let entry, let key, let expectedVersion):
            return try updateHousehold(entry, key, expectedVersion)
        case .recordVisit(let visit):
            return try recordVisit(visit)
        case .recordUpkeep(let record):
            return try recordUpkeep(record)
        case .registerHouseholdDisposal(let assetId, let record, let registration, let stockTakeId, let policy, let expectedVersion):
            return try registerHouseholdDisposal(assetId, record, registration, stockTakeId, policy, expectedVersion)
        case .registerHouseholds(let entries, let key, let validateOnly):
            return try registerHouseholds(entries, key, validateOnly: validateOnly)
        }
    }

    // MARK: The ledger as the group sees it

    /// The holder of an asset number as the caller may see it: numbers
    /// are unique county-wide, but an asset outside the scope stays unnamed.
    func shown(_ holder: String) -> String {
        guard let scope = context.scope, let code = view.asset(holder)?.adminCode, !scope.contains(code) else { return holder }
        return "an asset outside \(context.scopeHolder)"
    }
    /// The entity holding a credit code as the caller may see it.
    func shownEntity(_ holder: String) -> String {
        guard let scope = context.scope, let code = view.entity(holder)?.adminCode, !scope.contains(code) else { return holder }
        return "an entity outside \(context.scopeHolder)"
    }
    func checkParties(_ contract: OperationContract) throws {
        var bad: [FieldViolation] = []
        if let asset = view.asset(contract.assetId), asset.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of (已处置 on \(asset.lifecycle.disposedOn?.description ?? "?")); it can be under no contract",
                              violations: [.init(field: "contract.asset_id", description: "disposed of")])
        }
        if view.asset(contract.assetId) == nil { bad.append(.init(field: "contract.asset_id", description: "no asset \(contract.assetId) exists")) }
        if view.entity(contract.entityId) == nil { bad.append(.init(field: "contract.entity_id", description: "no operating entity \(contract.entityId) exists")) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "contract") }
    }
    /// Another contract of the asset sharing a day with this one's term.
    func overlapping(_ contract: OperationContract) -> OperationContract? {
        view.contracts(ofAsset: contract.assetId).first { other in
            other.id != contract.id && other.start <= contract.lastDay && contract.start <= other.lastDay
        }
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
        if let pending = view.disposals(ofAsset: assetId).first(where: { $0.signOff?.state == .pending && $0.id != draft }) {
            throw LedgerError(.failedPrecondition, "asset \(assetId) already has a disposal drafted (\(pending.id)) that awaits approval; approve or reject it first (ApproveDisposal)")
        }
        if let notice = current.lifecycle.openPublication {
            throw LedgerError(.failedPrecondition, "asset \(assetId) has a \(notice.kind.rawValue) notice up since \(notice.start); close it first (ClosePublication)")
        }
        if let running = view.contracts(ofAsset: assetId).first(where: { $0.lastDay >= record.date }) {
            throw LedgerError(.failedPrecondition, "asset \(assetId) is under contract \(running.id) until \(running.lastDay); end it first (AmendContract with terminated_on, with the owner's consent) and settle what is owed",
                              violations: [.init(field: "disposal.date", description: "contract \(running.id) runs on \(record.date)")])
        }
        if record.date < current.acquiredDate {
            throw LedgerError.invalid([.init(field: "disposal.date", description: "is \(record.date), before the asset was acquired (\(current.acquiredDate))")], what: "disposal")
        }
        if record.reason == .stockTakeLoss {
            guard case .stockTake(let count)? = view.record(.stockTake, stockTakeId) else {
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
    func pendingDisposal(of assetId: String) -> String? {
        view.disposals(ofAsset: assetId).filter { $0.signOff?.state == .pending }.map(\.id).min()
    }
}
