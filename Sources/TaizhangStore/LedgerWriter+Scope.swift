// The caller's scope, checked again at commit time against what a change
// actually touches (the server checks it when the call arrives too; a record
// moved out of the scope in between is caught here). A record outside the
// scope is NOT_FOUND, as if it did not exist; a unit outside that the change
// would put something in is PERMISSION_DENIED.

import TaizhangCore

extension Mutation {
    /// Whether the caller names an asset's owners (registration, update):
    /// owners a life-cycle step takes from the rules' proposal or from an
    /// upheld objection are not the caller's to place, so not its scope's.
    var namesOwners: Bool {
        switch self {
        case .registerAssets, .updateAsset: return true
        case .lifecycle(_, .confirmOwnership(let owners, _, _, _, _), _, _, _, _): return !owners.isEmpty
        case .lifecycle(_, .resolveObjection(_, _, _, _, let corrected, _, _), _, _, _, _): return !corrected.isEmpty
        default: return false
        }
    }
}

extension LedgerWriter {
    /// Before planning: the record a change names by id, outside the scope,
    /// is NOT_FOUND before anything about it (its version, its stage) is told.
    func namedRecordRefusal(_ mutation: Mutation, scope: Set<String>, overlay: Overlay, store: SQLiteLedgerStore) -> LedgerError? {
        func assetCode(_ id: String) -> String? { (overlay.assets[id] ?? store.state.withLock { $0.assets[id] })?.adminCode }
        func stewardship(_ kind: StewardshipKind, _ id: String) -> StewardshipRecord? {
            overlay.stewardship[kind.rawValue + "/" + id] ?? store.state.withLock { $0.stewardship.record(kind, id: id) }
        }
        func check(_ code: String?, _ what: String, _ id: String) -> LedgerError? {
            guard let code, !scope.contains(code) else { return nil }
            return LedgerError(.notFound, "no \(what) \"\(id)\" exists")
        }
        switch mutation {
        case .updateAsset(let asset, _): return check(assetCode(asset.id), "asset", asset.id)
        case .lifecycle(let id, _, _, _, _, _): return check(assetCode(id), "asset", id)
        case .updateEntity(let entity, _):
            return check((overlay.entities[entity.id] ?? store.state.withLock { $0.operations.entities[entity.id] })?.adminCode, "operating entity", entity.id)
        case .amendContract(let contract, _, _):
            let current = overlay.contracts[contract.id] ?? store.state.withLock { $0.operations.contracts[contract.id] }
            return check(current.flatMap { assetCode($0.assetId) }, "contract", contract.id)
        case .stewardship(let change):
            switch change {
            case .recordIncome(let income): return check(assetCode(income.assetId), "asset", income.assetId)
            case .dispose(let id, _, _, _, _, _): return check(assetCode(id), "asset", id)
            case .recordRevitalisingPlan(let plan): return check(assetCode(plan.assetId), "asset", plan.assetId)
            case .advancePlan(let id, _, _, _, _, _, _):
                guard case .plan(let plan)? = stewardship(.distributionPlan, id) else { return nil }
                return check(plan.ownerCode, "distribution plan", id)
            case .recordCount(let id, _, _, _), .closeStockTake(let id, _, _):
                guard case .stockTake(let count)? = stewardship(.stockTake, id) else { return nil }
                return check(count.adminCode, "stock-take", id)
            case .decideDisposal(let id, _, _, _, _, _):
                guard case .disposal(let entry)? = stewardship(.disposal, id) else { return nil }
                return check(assetCode(entry.assetId), "disposal", id)
            default: return nil
            }
        default: return nil
        }
    }

    func scopeRefusal(_ plan: Plan, scope: Set<String>, holder: String, overlay: Overlay, store: SQLiteLedgerStore,
                      checkOwners: Bool) -> LedgerError? {
        func assetCode(_ id: String) -> String? { (overlay.assets[id] ?? store.state.withLock { $0.assets[id] })?.adminCode }
        func entityCode(_ id: String) -> String? {
            (overlay.entities[id] ?? store.state.withLock { $0.operations.entities[id] })?.adminCode
        }
        func hidden(_ code: String?, _ what: String, _ id: String) -> LedgerError? {
            guard let code, scope.contains(code) else { return LedgerError(.notFound, "no \(what) \"\(id)\" exists") }
            return nil
        }
        func outside(_ code: String, _ what: String) -> LedgerError? {
            scope.contains(code) ? nil : LedgerError(.permissionDenied, "\(holder) may change only what lies in its scope and below; \(what) names \(code)")
        }
        for unit in plan.adminUnits {
            if let refusal = outside(unit.parentCode.isEmpty ? unit.code : unit.parentCode, "the new unit's parent") { return refusal }
        }
        for project in plan.projects {
            if let refusal = outside(project.adminCode, "the project's admin_code") { return refusal }
        }
        for (after, before) in plan.assets {
            if let before, let refusal = hidden(before.adminCode, "asset", before.id) { return refusal }
            if let refusal = outside(after.adminCode, "asset \(after.id)'s admin_code") { return refusal }
            if checkOwners {
                // The asset's owners, and owners drafted for approval, when the change sets them.
                let confirmation = after.lifecycle.ownership
                let previous = before?.lifecycle.ownership
                var named: [Owner] = before.map { $0.owners != after.owners } ?? true ? after.owners : []
                if confirmation?.owners != previous?.owners { named += confirmation?.owners ?? [] }
                if confirmation?.correction != previous?.correction { named += confirmation?.correction?.owners ?? [] }
                for owner in named where !owner.adminCode.isEmpty {
                    if let refusal = outside(owner.adminCode, "asset \(after.id)'s owner \(owner.name)") { return refusal }
                }
            }
        }
        for (after, before) in plan.entities {
            if let before, let refusal = hidden(before.adminCode, "operating entity", before.id) { return refusal }
            if let refusal = outside(after.adminCode, "operating entity \(after.id)'s admin_code") { return refusal }
        }
        for (after, _) in plan.contracts {
            if let refusal = hidden(assetCode(after.assetId), "asset", after.assetId) ?? hidden(entityCode(after.entityId), "operating entity", after.entityId) {
                return refusal
            }
        }
        for (after, _) in plan.reports {
            if let refusal = hidden(entityCode(after.entityId), "operating entity", after.entityId) { return refusal }
        }
        for (after, before) in plan.stewardship {
            let keys = StewardshipJSON.keys(after)
            let code = keys.adminCode.isEmpty ? assetCode(keys.assetId) : keys.adminCode
            if before != nil || !keys.assetId.isEmpty {
                if let refusal = hidden(code, after.kind.rawValue.replacingOccurrences(of: "_", with: " "), before != nil ? after.id : keys.assetId) {
                    return refusal
                }
            } else if let code, let refusal = outside(code, "the \(after.kind.rawValue.replacingOccurrences(of: "_", with: " "))") {
                return refusal
            }
        }
        return nil
    }
}
