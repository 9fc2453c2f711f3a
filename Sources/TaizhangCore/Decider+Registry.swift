// Plans for admin units, projects, assets and the life cycle (steps 1–8).



extension Decider {
    mutating func createAdminUnit(_ unit: AdminUnit) throws -> LedgerChange {
        try permit(unit.parentCode.isEmpty ? unit.code : unit.parentCode, "the new unit's parent")
        var unit = unit
        var bad = AdminUnitRules.validate(unit).map { $0.prefixed("unit") }
        if view.adminUnit(unit.code) != nil {
            throw LedgerError(.alreadyExists, "admin unit \(unit.code) already exists", violations: [.init(field: "unit.code", description: "already exists")])
        }
        if bad.isEmpty {
            bad += AdminUnitRules.validateParent(unit, parent: view.adminUnit(unit.parentCode)).map { $0.prefixed("unit") }
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "admin unit") }
        unit.version = 1
        return LedgerChange(adminUnits: [unit], outcome: .adminUnit(unit))
    }

    mutating func createProject(_ project: Project) throws -> LedgerChange {
        try permit(project.adminCode, "the project's admin_code")
        var project = project
        var bad = ProjectRules.validate(project).map { $0.prefixed("project") }
        if view.project(project.id) != nil {
            throw LedgerError(.alreadyExists, "project \(project.id) already exists", violations: [.init(field: "project.id", description: "already exists")])
        }
        if AdminUnitRules.isDivisionCode(project.adminCode), view.adminUnit(project.adminCode) == nil {
            bad.append(.init(field: "project.admin_code", description: "no admin unit \(project.adminCode) exists"))
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "project") }
        project.version = 1
        return LedgerChange(projects: [project], outcome: .project(project))
    }

    mutating func registerAssets(_ assets: [Asset], _ batch: Bool) throws -> LedgerChange {
        for asset in assets {
            let what = "asset \(asset.code.isEmpty ? asset.name : asset.code)"
            try permit(asset.adminCode, what + "'s admin_code")
            try permitOwners(asset.owners, what)
        }
        var bad: [FieldViolation] = []
        var codesInRequest: [String: Int] = [:]
        var duplicate = false
        for (index, asset) in assets.enumerated() {
            let prefix = batch ? "assets[\(index)]" : "asset"
            // The asset's own fields were checked by the caller (see LedgerStore.submit).
            var own = AssetRules.validateReferences(asset, adminUnit: view.adminUnit(asset.adminCode), project: view.project(asset.projectId))
                + unknownOwnerUnits(asset.owners) + householdOwnerProblems(asset.owners, village: asset.adminCode)
            if !asset.code.isEmpty {
                if let holder = view.assetHolder(ofCode: asset.code) {
                    own.append(.init(field: "code", description: "asset number \(asset.code) is already used by \(shown(holder))"))
                    duplicate = true
                } else if let earlier = codesInRequest[asset.code] {
                    own.append(.init(field: "code", description: "asset number \(asset.code) is also used by assets[\(earlier)] of this request"))
                    duplicate = true
                } else {
                    codesInRequest[asset.code] = index
                }
            }
            bad += own.map { $0.prefixed(prefix) }
        }
        if !bad.isEmpty {
            if !batch, duplicate, bad.count == 1 {
                throw LedgerError(.alreadyExists, bad[0].description, violations: bad)
            }
            throw LedgerError.invalid(bad, what: batch ? "batch (nothing was registered)" : "asset")
        }
        var plan = LedgerChange(outcome: .assets([]))
        plan.namesOwners = true
        var created: [Asset] = []
        for var asset in assets {
            numbers.asset += 1
            asset.id = AssetIdentifiers.make(numbers.asset)
            // Every asset starts registered, with its registered value as its first valuation.
            let basis = asset.lifecycle.valuations.first?.kind ?? .finalAccounts
            asset.lifecycle = Lifecycle(valuations: [LifecycleRules.initialValuation(of: asset, kind: basis)])
            asset.version = 1
            asset.createdAt = now
            asset.updatedAt = now
            plan.assets.append((asset, nil))
            created.append(asset)
        }
        plan.outcome = .assets(created)
        return plan
    }

    mutating func updateAsset(_ asset: Asset, _ expectedVersion: Int64) throws -> LedgerChange {
        try reveal(assetCode(asset.id), "asset", asset.id)
        try permit(asset.adminCode, "the asset's new admin_code")
        try permitOwners(asset.owners, "the asset")
        var asset = asset
        guard let current = view.asset(asset.id) else {
            throw LedgerError(.notFound, "no asset \(asset.id) exists", violations: [.init(field: "asset.id", description: "not found")])
        }
        if expectedVersion != 0, expectedVersion != current.version {
            throw LedgerError(.aborted, "asset \(asset.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
        }
        if current.lifecycle.stage == .disposed {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of (已处置, \(current.lifecycle.disposalId)); it is out of the active ledger and its record no longer changes")
        }
        if let draft = pendingDisposal(of: asset.id) {
            throw LedgerError(.failedPrecondition, "asset \(asset.id) has a disposal drafted (\(draft)) that awaits approval; its record does not change until the disposal is approved or rejected (ApproveDisposal)")
        }
        var bad = AssetRules.validateReferences(asset, adminUnit: view.adminUnit(asset.adminCode), project: view.project(asset.projectId))
        if asset.owners != current.owners || asset.adminCode != current.adminCode {
            bad += unknownOwnerUnits(asset.owners) + householdOwnerProblems(asset.owners, village: asset.adminCode)
        }
        if !asset.code.isEmpty, let holder = view.assetHolder(ofCode: asset.code), holder != asset.id {
            bad.append(.init(field: "code", description: "asset number \(asset.code) is already used by \(shown(holder))"))
        }
        // What the life cycle owns is not UpdateAsset's to change.
        var life = current.lifecycle
        if life.stage != .registered, !OwnershipRules.sameOwners(asset.owners, current.owners) {
            bad.append(.init(field: "owners", description: "the owners were confirmed (stage \(life.stage.rawValue)); they change only through an upheld objection (ResolveObjection)"))
        }
        if life.valuations.count > 1 {
            if asset.originalValueFen != current.originalValueFen {
                bad.append(.init(field: "original_value_fen", description: "the value has later valuations; change it with RecordValuation (004 §16)"))
            }
            if asset.acquiredDate != current.acquiredDate {
                bad.append(.init(field: "acquired_date", description: "the value has later valuations, which date from it; it can no longer change"))
            }
        } else {
            // Corrections during inventory rewrite the registered value.
            let basis = asset.lifecycle.valuations.first?.kind ?? life.valueBasis
            life.valuations = [LifecycleRules.initialValuation(of: asset, kind: basis)]
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad.map { $0.prefixed("asset") }, what: "asset") }
        asset.lifecycle = life
        asset.version = current.version + 1
        asset.createdAt = current.createdAt
        asset.updatedAt = now
        var change = LedgerChange(assets: [(asset, current)], outcome: .assets([asset]))
        change.namesOwners = true
        return change
    }

    mutating func lifecycle(_ id: String, _ action: LifecycleAction, _ calendar: WorkingDayCalendar, _ policy: DepreciationPolicy, _ contributions: [ContributionReference], _ expectedVersion: Int64) throws -> LedgerChange {
        try reveal(assetCode(id), "asset", id)
        let given = action.ownersGiven
        try permitOwners(given, "the asset")
        var action = action
        guard let current = view.asset(id) else {
            throw LedgerError(.notFound, "no asset \(id) exists", violations: [.init(field: "asset_id", description: "not found")])
        }
        if expectedVersion != 0, expectedVersion != current.version {
            throw LedgerError(.aborted, "asset \(id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
        }
        let households = householdOwnerProblems(given, village: current.adminCode)
        if !households.isEmpty { throw LedgerError.invalid(households, what: "owners") }
        if action.changesValueOrOwners, let draft = pendingDisposal(of: id) {
            throw LedgerError(.failedPrecondition, "asset \(id) has a disposal drafted (\(draft)) that awaits approval; its value and owners do not change until the disposal is approved or rejected (ApproveDisposal)")
        }
        if case .confirmOwnership(let owners, let date, let reason, _, let drafter) = action {
            let proposal = try OwnershipRules.propose(for: current, contributions: contributions, unit: { view.adminUnit($0) })
            action = .confirmOwnership(owners: owners, date: date, overrideReason: reason, proposal: proposal, drafter: drafter)
        }
        var asset = try LifecycleRules.apply(action, to: current, calendar: calendar, today: today, policy: policy)
        // Owners that name an admin unit must name one that exists: the
        // asset's new owners, or the owners a draft holds for approval.
        let confirmation = asset.lifecycle.ownership
        let drafted = (confirmation?.correction?.signOff.state == .pending ? confirmation?.correction?.owners : nil)
            ?? (confirmation?.signOff?.state == .pending ? confirmation?.owners : nil) ?? []
        let changesOwners = asset.owners != current.owners || confirmation != current.lifecycle.ownership
        let named = asset.owners != current.owners ? asset.owners : drafted
        let unknown = named.enumerated().filter { !$0.element.adminCode.isEmpty && view.adminUnit($0.element.adminCode) == nil }
        if changesOwners, !unknown.isEmpty {
            let field = if case .resolveObjection = action { "corrected_owners" } else { "owners" }
            throw LedgerError.invalid(unknown.map { .init(field: "\(field)[\($0.offset)].admin_code", description: "no admin unit \($0.element.adminCode) exists") }, what: action.name)
        }
        asset.version = current.version + 1
        asset.updatedAt = now
        var change = LedgerChange(assets: [(asset, current)], outcome: .assets([asset]))
        change.namesOwners = !given.isEmpty
        return change
    }

    /// The owners naming a unit the ledger does not hold: a unit's ledger
    /// (and the totals kept for it) follows its owners' units up the
    /// hierarchy, which an unknown unit does not place.
    func unknownOwnerUnits(_ owners: [Owner]) -> [FieldViolation] {
        owners.enumerated().filter { !$0.element.adminCode.isEmpty && view.adminUnit($0.element.adminCode) == nil }.map {
            .init(field: "owners[\($0.offset)].admin_code", description: "no admin unit \($0.element.adminCode) exists; create it first or correct the code")
        }
    }
}

extension LifecycleAction {
    /// The owners the caller names in a step (confirmed, or corrected by an
    /// upheld objection); owners taken from the rules' proposal are not its.
    var ownersGiven: [Owner] {
        switch self {
        case .confirmOwnership(let owners, _, _, _, _): return owners
        case .resolveObjection(_, _, _, _, let corrected, _, _): return corrected
        default: return []
        }
    }
}
