// The decisions of the upkeep log and of household assets (issue 23):
// entries of an asset's upkeep log, household owners naming households of
// the register, and the village's registration of a household asset's
// disposal (004 §27).

extension Decider {
    /// An entry of an asset's upkeep log: the asset in the caller's scope and
    /// in the active ledger, the day between its acquisition and today, a
    /// supervision only of a household asset.
    mutating func recordUpkeep(_ record: UpkeepRecord) throws -> LedgerChange {
        try reveal(assetCode(record.assetId), "asset", record.assetId)
        guard let asset = view.asset(record.assetId) else {
            throw LedgerError(.notFound, "no asset \(record.assetId) exists", violations: [.init(field: "upkeep.asset_id", description: "not found")])
        }
        if asset.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of (\(asset.lifecycle.disposalId)); it is no longer upkept")
        }
        var bad = UpkeepRules.violations(record, today: today)
        if record.date < asset.acquiredDate {
            bad.append(.init(field: "upkeep.date", description: "is \(record.date), before the asset was acquired (\(asset.acquiredDate))"))
        }
        if record.kind == .supervision, asset.category != .household {
            bad.append(.init(field: "upkeep.kind", description: "supervision is the village's record of a household asset's use (004 §21); \(asset.id) is \(asset.category.rawValue)"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "upkeep record") }
        var next = record
        next.id = nextId(.upkeep)
        next.adminCode = asset.adminCode
        next.householdId = asset.owners.first { $0.kind == .household && !$0.householdId.isEmpty }?.householdId ?? ""
        (next.performedBy, next.description) = (record.performedBy.trimmingSpaces, record.description.trimmingSpaces)
        (next.version, next.createdAt) = (1, now)
        return LedgerChange(stewardship: [(.upkeep(next), nil)], outcome: .stewardship(.upkeep(next)))
    }

    /// The problems of owners that name households of the register: each
    /// such owner is of kind household, and its household exists, in the
    /// asset's village, in the caller's scope.
    func householdOwnerProblems(_ owners: [Owner], village: String) -> [FieldViolation] {
        var bad: [FieldViolation] = []
        for (index, owner) in owners.enumerated() where !owner.householdId.isEmpty {
            let field = "owners[\(index)].household_id"
            if owner.kind != .household {
                bad.append(.init(field: field, description: "names a household of the register: the owner's kind must be household"))
            }
            guard case .household(let household)? = view.record(.household, owner.householdId),
                  context.scope.map({ $0.contains(household.villageCode) }) ?? true else {
                bad.append(.init(field: field, description: "no household \(owner.householdId) exists in the register"))
                continue
            }
            if household.villageCode != village {
                bad.append(.init(field: field, description: "\(household.id) is a household of village \(household.villageCode); the asset lies in \(village)"))
            }
        }
        return bad
    }

    /// The village registers the disposal of a household asset (004 §27):
    /// the household disposed of it; no appraisal, no approvals; the asset
    /// leaves the active ledger at once and the entry is in the write-off
    /// ledger. A loss a closed count found names the count.
    mutating func registerHouseholdDisposal(_ assetId: String, _ record: DisposalRecord, _ registration: HouseholdDisposalRegistration, _ stockTakeId: String,
                                            _ policy: DepreciationPolicy, _ expectedVersion: Int64) throws -> LedgerChange {
        try reveal(assetCode(assetId), "asset", assetId)
        guard let current = view.asset(assetId) else {
            throw LedgerError(.notFound, "no asset \(assetId) exists", violations: [.init(field: "asset_id", description: "not found")])
        }
        if let error = stale("asset", assetId, current.version, expectedVersion) { throw error }
        if current.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "the asset is already disposed of; its history stays in the write-off ledger")
        }
        if current.category != .household {
            throw LedgerError(.failedPrecondition, "asset \(assetId) is \(current.category.rawValue), not a household asset 到户类资产: its disposal takes the appraisal and approvals of DisposeAsset (004 §25–26)")
        }
        if !current.encumbrance.isBlank {
            throw LedgerError(.failedPrecondition, "the asset is pledged or mortgaged, which 000 (九)1 and (十一)2 forbid: release it before any disposal")
        }
        if current.lifecycle.ownership?.awaitsDecision == true {
            throw LedgerError(.failedPrecondition, "asset \(assetId) has owners drafted that await approval (ApproveOwnership); its disposal waits until they are approved or rejected")
        }
        if let notice = current.lifecycle.openPublication {
            throw LedgerError(.failedPrecondition, "asset \(assetId) has a \(notice.kind.rawValue) notice up since \(notice.start); close it first (ClosePublication)")
        }
        var bad = HouseholdDisposalRules.violations(record, registration, stockTakeId: stockTakeId, today: today)
        if record.date < current.acquiredDate {
            bad.append(.init(field: "date", description: "is \(record.date), before the asset was acquired (\(current.acquiredDate))"))
        }
        if record.reason == .stockTakeLoss, !stockTakeId.isEmpty {
            if case .stockTake(let count)? = view.record(.stockTake, stockTakeId) {
                if !(count.report?.lost.contains(assetId) ?? false) {
                    bad.append(.init(field: "stock_take_id", description: "\(stockTakeId) did not record \(assetId) as lost\(count.isOpen ? " (it is still open)" : "")"))
                }
            } else {
                bad.append(.init(field: "stock_take_id", description: "no stock-take \(stockTakeId) exists"))
            }
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "household disposal") }
        if let running = view.contracts(ofAsset: assetId).first(where: { $0.lastDay >= record.date }) {
            throw LedgerError(.failedPrecondition, "asset \(assetId) is under contract \(running.id) until \(running.lastDay); end it first (AmendContract with terminated_on)")
        }
        let (_, net) = Depreciation.asOf(record.date, asset: current, policy: policy)
        var entry = DisposalEntry(assetId: current.id, assetCode: current.code, assetName: current.name, adminCode: current.adminCode,
                                  category: current.category, originalValueFen: current.originalValueFen, netValueFen: net, record: record,
                                  stockTakeId: stockTakeId)
        entry.householdRegistration = HouseholdDisposalRegistration(reportedBy: registration.reportedBy.trimmingSpaces,
                                                                    registeredBy: registration.registeredBy.trimmingSpaces,
                                                                    circumstances: registration.circumstances.trimmingSpaces)
        entry.id = nextId(.disposal)
        (entry.version, entry.createdAt) = (1, now)
        return LedgerChange(assets: [(disposed(current, by: entry), current)], stewardship: [(.disposal(entry), nil)],
                            outcome: .stewardship(.disposal(entry)))
    }
}
