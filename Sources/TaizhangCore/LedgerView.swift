// What the rules read of the ledger. A Decider reads a LedgerView and
// never the store: the store's committed state is one view; a group's own
// earlier changes over it (LayeredView) are another; a table test's ledger,
// built by deciding mutations on an empty view, is a third.

/// The records a rule may consult.
public protocol LedgerView {
    func adminUnit(_ code: String) -> AdminUnit?
    /// The code and every code below it.
    func subtree(of code: String) -> Set<String>
    func project(_ id: String) -> Project?
    func asset(_ id: String) -> Asset?
    /// The assets whose admin code is one of `codes`, by id.
    func assets(inUnits codes: Set<String>) -> [String: Asset]
    /// The asset holding an asset number.
    func assetHolder(ofCode code: String) -> String?
    func entity(_ id: String) -> OperatingEntity?
    /// The entity holding a credit code.
    func entityHolder(ofCreditCode code: String) -> String?
    /// The household whose head has the ID number of this keyed digest.
    func householdHolder(ofDigest digest: String) -> String?
    /// The households registered in the unit and below.
    func households(inUnit code: String) -> [Household]
    func contract(_ id: String) -> OperationContract?
    /// The asset's contracts, by id.
    func contracts(ofAsset id: String) -> [OperationContract]
    func report(of entityId: String, _ quarter: Quarter) -> QuarterReport?
    /// The entity's reports, by quarter.
    func reports(of entityId: String) -> ReportsByQuarter
    func record(_ kind: StewardshipKind, _ id: String) -> StewardshipRecord?
    /// The plan that distributes an income, if one does.
    func plan(distributing incomeId: String) -> String?
    /// The unit's counts (of the unit itself, not those below it), by id.
    func stockTakes(ofUnit code: String) -> [StockTake]
    /// The asset's disposals, drafts and rejected ones included, by id.
    func disposals(ofAsset id: String) -> [DisposalEntry]
}

/// A ledger with nothing in it: the base of a ledger built by rules alone.
public struct EmptyLedgerView: LedgerView {
    public init() {}
    public func adminUnit(_ code: String) -> AdminUnit? { nil }
    public func subtree(of code: String) -> Set<String> { [code] }
    public func project(_ id: String) -> Project? { nil }
    public func asset(_ id: String) -> Asset? { nil }
    public func assets(inUnits codes: Set<String>) -> [String: Asset] { [:] }
    public func assetHolder(ofCode code: String) -> String? { nil }
    public func entity(_ id: String) -> OperatingEntity? { nil }
    public func entityHolder(ofCreditCode code: String) -> String? { nil }
    public func householdHolder(ofDigest digest: String) -> String? { nil }
    public func households(inUnit code: String) -> [Household] { [] }
    public func contract(_ id: String) -> OperationContract? { nil }
    public func contracts(ofAsset id: String) -> [OperationContract] { [] }
    public func report(of entityId: String, _ quarter: Quarter) -> QuarterReport? { nil }
    public func reports(of entityId: String) -> ReportsByQuarter { [:] }
    public func record(_ kind: StewardshipKind, _ id: String) -> StewardshipRecord? { nil }
    public func plan(distributing incomeId: String) -> String? { nil }
    public func stockTakes(ofUnit code: String) -> [StockTake] { [] }
    public func disposals(ofAsset id: String) -> [DisposalEntry] { [] }
}

/// A group's changes over a base view: what the group changed wins.
public struct LayeredView: LedgerView {
    public let changes: GroupChanges
    public let base: any LedgerView

    public init(_ changes: GroupChanges, over base: any LedgerView) {
        self.changes = changes
        self.base = base
    }

    public func adminUnit(_ code: String) -> AdminUnit? { changes.adminUnits[code] ?? base.adminUnit(code) }
    public func subtree(of code: String) -> Set<String> {
        var codes = base.subtree(of: code)
        // Parents sort before children, so one pass finds new grandchildren too.
        for unit in changes.adminUnits.values.sorted(by: { $0.code < $1.code }) where codes.contains(unit.parentCode) { codes.insert(unit.code) }
        return codes
    }
    public func project(_ id: String) -> Project? { changes.projects[id] ?? base.project(id) }
    public func asset(_ id: String) -> Asset? { changes.assets[id] ?? base.asset(id) }
    public func assets(inUnits codes: Set<String>) -> [String: Asset] {
        var byId = base.assets(inUnits: codes)
        for asset in changes.assets.values {
            byId[asset.id] = codes.contains(asset.adminCode) ? asset : nil
        }
        return byId
    }
    public func assetHolder(ofCode code: String) -> String? {
        if let id = changes.assetIdsByCode[code] { return id.isEmpty ? nil : id }
        return base.assetHolder(ofCode: code)
    }
    public func entity(_ id: String) -> OperatingEntity? { changes.entities[id] ?? base.entity(id) }
    public func entityHolder(ofCreditCode code: String) -> String? {
        if let id = changes.entityIdsByCreditCode[code] { return id.isEmpty ? nil : id }
        return base.entityHolder(ofCreditCode: code)
    }
    public func householdHolder(ofDigest digest: String) -> String? {
        // A household's digest changes only with its ID number: the group's
        // own households first, then the file's (unless the group moved it).
        if let inGroup = changes.householdIdsByDigest[digest], !inGroup.isEmpty { return inGroup }
        guard let committed = base.householdHolder(ofDigest: digest) else { return nil }
        if case .household(let now)? = changes.stewardship[GroupChanges.key(.household, committed)], now.idDigest != digest { return nil }
        return committed
    }
    public func households(inUnit code: String) -> [Household] {
        let codes = subtree(of: code)
        var byId: [String: Household] = [:]
        for household in base.households(inUnit: code) { byId[household.id] = household }
        for record in changes.stewardship.values {
            if case .household(let household) = record, codes.contains(household.villageCode) { byId[household.id] = household }
        }
        return byId.values.sorted { $0.id < $1.id }
    }
    public func contract(_ id: String) -> OperationContract? { changes.contracts[id] ?? base.contract(id) }
    public func contracts(ofAsset id: String) -> [OperationContract] {
        var byId: [String: OperationContract] = [:]
        for contract in base.contracts(ofAsset: id) { byId[contract.id] = contract }
        for contract in changes.contracts.values where contract.assetId == id { byId[contract.id] = contract }
        return byId.values.sorted { $0.id < $1.id }
    }
    public func report(of entityId: String, _ quarter: Quarter) -> QuarterReport? {
        changes.reports[QuarterReport.key(entityId: entityId, quarter: quarter)] ?? base.report(of: entityId, quarter)
    }
    public func reports(of entityId: String) -> ReportsByQuarter {
        var reports = base.reports(of: entityId)
        for report in changes.reports.values where report.entityId == entityId { reports[report.quarter] = report }
        return reports
    }
    public func record(_ kind: StewardshipKind, _ id: String) -> StewardshipRecord? {
        changes.stewardship[GroupChanges.key(kind, id)] ?? base.record(kind, id)
    }
    public func plan(distributing incomeId: String) -> String? {
        // A plan's income is named when it is created and never changes.
        let planned = changes.stewardship.values.compactMap { record -> String? in
            guard case .plan(let plan) = record, plan.incomeIds.contains(incomeId) else { return nil }
            return plan.id
        }
        return base.plan(distributing: incomeId) ?? planned.min()
    }
    public func stockTakes(ofUnit code: String) -> [StockTake] {
        var byId: [String: StockTake] = [:]
        for count in base.stockTakes(ofUnit: code) { byId[count.id] = count }
        for record in changes.stewardship.values {
            if case .stockTake(let count) = record, count.adminCode == code { byId[count.id] = count }
        }
        return byId.values.sorted { $0.id < $1.id }
    }
    public func disposals(ofAsset id: String) -> [DisposalEntry] {
        var byId: [String: DisposalEntry] = [:]
        for entry in base.disposals(ofAsset: id) { byId[entry.id] = entry }
        for record in changes.stewardship.values {
            if case .disposal(let entry) = record, entry.assetId == id { byId[entry.id] = entry }
        }
        return byId.values.sorted { $0.id < $1.id }
    }
}
