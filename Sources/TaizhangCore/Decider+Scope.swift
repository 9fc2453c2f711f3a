// The caller's scope in the rules. Each rule checks, before anything else,
// the records its request names by id (outside the scope: NOT_FOUND, as if
// they did not exist, so nothing is learnt of them) and the units it would
// put something in (outside: PERMISSION_DENIED). The server checks the ids
// a declaration lists when the call arrives; these checks run at commit
// time, against the ledger as it is then, so a record moved out of the
// scope in between is not changed. At the end, the whole change is checked
// once more (scopeRefusal): every record it writes lies in the scope.

extension Decider {
    /// A record the caller named by id, in the unit `code`: outside the
    /// scope, or unknown, it does not exist for a scoped caller (a record
    /// created meanwhile is not its to change before it could see it).
    func reveal(_ code: String?, _ what: String, _ id: String) throws {
        guard let scope = context.scope else { return }
        guard let code, scope.contains(code) else { throw LedgerError(.notFound, "no \(what) \"\(id)\" exists") }
    }

    /// A unit the caller names for something: outside its scope, refused by name.
    func permit(_ code: String, _ what: String) throws {
        guard let scope = context.scope, !scope.contains(code) else { return }
        throw LedgerError(.permissionDenied, "\(context.scopeHolder) may change only what lies in its scope and below; \(what) names \(code)")
    }

    /// Owners named by their unit: a clerk does not assign assets to units outside its scope.
    func permitOwners(_ owners: [Owner], _ what: String) throws {
        for owner in owners where !owner.adminCode.isEmpty { try permit(owner.adminCode, "\(what)'s owner \(owner.name)") }
    }

    /// The unit an asset lies in now.
    func assetCode(_ id: String) -> String? { view.asset(id)?.adminCode }

    /// Whether every record `change` writes lies in the caller's scope:
    /// the records before (NOT_FOUND when outside) and after
    /// (PERMISSION_DENIED when the change would put them outside).
    func scopeRefusal(_ change: LedgerChange) -> LedgerError? {
        guard let scope = context.scope else { return nil }
        func hidden(_ code: String?, _ what: String, _ id: String) -> LedgerError? {
            guard let code, scope.contains(code) else { return LedgerError(.notFound, "no \(what) \"\(id)\" exists") }
            return nil
        }
        func outside(_ code: String, _ what: String) -> LedgerError? {
            scope.contains(code) ? nil : LedgerError(.permissionDenied, "\(context.scopeHolder) may change only what lies in its scope and below; \(what) names \(code)")
        }
        for unit in change.adminUnits {
            if let refusal = outside(unit.parentCode.isEmpty ? unit.code : unit.parentCode, "the new unit's parent") { return refusal }
        }
        for project in change.projects {
            if let refusal = outside(project.adminCode, "the project's admin_code") { return refusal }
        }
        for (after, before) in change.assets {
            if let before, let refusal = hidden(before.adminCode, "asset", before.id) { return refusal }
            if let refusal = outside(after.adminCode, "asset \(after.id)'s admin_code") { return refusal }
            if change.namesOwners {
                for owner in Decider.ownersNamed(after, before) where !owner.adminCode.isEmpty {
                    if let refusal = outside(owner.adminCode, "asset \(after.id)'s owner \(owner.name)") { return refusal }
                }
            }
        }
        for (after, before) in change.entities {
            if let before, let refusal = hidden(before.adminCode, "operating entity", before.id) { return refusal }
            if let refusal = outside(after.adminCode, "operating entity \(after.id)'s admin_code") { return refusal }
        }
        for (after, _) in change.contracts {
            if let refusal = hidden(assetCode(after.assetId), "asset", after.assetId) ?? hidden(view.entity(after.entityId)?.adminCode, "operating entity", after.entityId) {
                return refusal
            }
        }
        for (after, _) in change.reports {
            if let refusal = hidden(view.entity(after.entityId)?.adminCode, "operating entity", after.entityId) { return refusal }
        }
        for (after, before) in change.stewardship {
            let keys = after.scopeKeys
            let code = keys.adminCode.isEmpty ? assetCode(keys.assetId) : keys.adminCode
            let what = String(after.kind.rawValue.map { $0 == "_" ? " " : $0 })
            if before != nil || !keys.assetId.isEmpty {
                if let refusal = hidden(code, what, before != nil ? after.id : keys.assetId) { return refusal }
            } else if let code, let refusal = outside(code, "the \(what)") {
                return refusal
            }
        }
        return nil
    }

    /// The owners a change of `before` into `after` sets: the asset's
    /// owners when they change, and owners drafted for approval.
    static func ownersNamed(_ after: Asset, _ before: Asset?) -> [Owner] {
        let confirmation = after.lifecycle.ownership
        let previous = before?.lifecycle.ownership
        var named: [Owner] = before.map { $0.owners != after.owners } ?? true ? after.owners : []
        if confirmation?.owners != previous?.owners { named += confirmation?.owners ?? [] }
        if confirmation?.correction != previous?.correction { named += confirmation?.correction?.owners ?? [] }
        return named
    }
}
