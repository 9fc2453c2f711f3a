// A focused run of the risk monitor: after commits, only the entities,
// assets, contracts and units they touched (and what hangs on them) are
// looked at again, and only their alerts can change. The run over the whole
// ledger (at start, on schedule, on request, after a reload) stays the
// reference: a focused run must leave the alerts as it would.

import TaizhangCore

/// What the commits since the last run touched that can change an alert.
struct RiskFocus: Sendable {
    /// The kinds of record that can change a score or an alert.
    static let kinds: Set<String> = ["asset", "entity", "contract", "report", "income", "distribution_plan", "stock_take",
                                     "revitalising_plan", "project_progress", "responsible_unit", "visit", "upkeep"]
    /// Beyond this many records and units touched, the run looks at
    /// everything. A focused run reads each touched asset's columns by key
    /// (its record only when the rules read it); an import of 5,000 assets
    /// in one call stays focused.
    static let limit = 65_536

    var touched = TouchedRecords()
    /// Too much was touched: run over the whole ledger.
    var everything = false

    mutating func add(_ more: TouchedRecords) {
        guard !everything else { return }
        touched.kinds.formUnion(more.kinds)
        touched.units.formUnion(more.units)
        touched.assets.formUnion(more.assets)
        touched.entities.formUnion(more.entities)
        touched.contracts.formUnion(more.contracts)
        touched.responsibleUnits.formUnion(more.responsibleUnits)
        touched.projects.formUnion(more.projects)
        if touched.count > RiskFocus.limit {
            everything = true
            touched = TouchedRecords()
        }
    }
}

extension RiskScan {
    /// The operations records a focused run reads, from the file in three
    /// steps, each reading what the one before named: the touched contracts
    /// (for their operators and assets), the entities with their contracts
    /// (for the assets they operate), and the assets' contracts with their
    /// operators. (Three read transactions: a commit between them is
    /// touched itself, and the focused run after it looks again.) With the
    /// entities and assets to score and the contracts of those entities.
    static func operations(store: any LedgerStore, touched: TouchedRecords) throws
        -> (OperationsSnapshot, entityIds: Set<String>, assetIds: Set<String>, contractsOfEntities: Set<String>) {
        var entityIds = touched.entities
        var assetIds = touched.assets
        var snapshot = try store.operations(entities: [], contracts: touched.contracts, assets: [])
        for id in touched.contracts {
            guard let contract = snapshot.contracts[id] else { continue }
            entityIds.insert(contract.entityId)
            assetIds.insert(contract.assetId)
        }
        snapshot.merge(try store.operations(entities: entityIds, contracts: [], assets: []))
        var contractsOfEntities: Set<String> = []
        for id in entityIds {
            for contract in snapshot.contracts(ofEntity: id) {
                assetIds.insert(contract.assetId)
                contractsOfEntities.insert(contract.id)
            }
        }
        snapshot.merge(try store.operations(entities: [], contracts: [], assets: assetIds))
        return (snapshot, entityIds, assetIds, contractsOfEntities)
    }

    /// The conditions of what `focus` touched and of what hangs on it: the
    /// operators of touched contracts, the assets an entity operates (their
    /// loss and decline alerts read its reports), the contracts of the
    /// assets (their expiry), the count backlog of the units touched (of
    /// every unit after a count), and the distribution alerts after income
    /// or a plan changed. `covers` names the open alerts the run answers for.
    static func conditions(store: any LedgerStore, rules: RiskRules, focus: RiskFocus) throws -> Result {
        let touched = focus.touched
        let (snapshot, entityIds, assetIds, contractsOfEntities) = try Self.operations(store: store, touched: touched)
        var contractIds = touched.contracts
        for id in assetIds { for contract in snapshot.contracts(ofAsset: id) { contractIds.insert(contract.id) } }
        let received = try store.receipts(ofContracts: contractsOfEntities.sorted())
        let revitalising = try store.revitalisingPlans(after: nil, through: nil, ids: assetIds.sorted())

        // The reports of the entities scored and of the assets' operators,
        // read from the file together.
        var reportsOf = entityIds
        for id in assetIds { for contract in snapshot.contracts(ofAsset: id) { reportsOf.insert(contract.entityId) } }
        let reports = try store.reports(ofEntities: reportsOf.sorted())
        var conditions: [AlertCondition] = []
        for id in entityIds.sorted() {
            guard let entity = snapshot.entities[id] else { continue }
            conditions += rules.conditions(entity: entity, contracts: snapshot.contracts(ofEntity: id), reports: reports[id] ?? [:],
                                           received: received)
        }
        // The assets' facts from their rows' columns; a record decoded only
        // when the rules read it (as in the run over the whole ledger): an
        // import's thousands of new assets cost a read by key each.
        try store.scanAssets(ids: assetIds.sorted(), wanted: RiskRules.needsRecord) { facts, record in
            let contracts = snapshot.contracts(ofAsset: facts.id)
            guard record != nil || RiskRules.mayFlag(facts, contracted: !contracts.isEmpty) else { return }
            let plan = RevitalisingPlan.inEffect(revitalising[facts.id] ?? [], on: rules.today)
            let operatorView = { (contract: OperationContract) in
                snapshot.entities[contract.entityId].flatMap { rules.operatorView(contract: contract, entity: $0, reports: reports[contract.entityId] ?? [:]) }
            }
            if let record {
                conditions += rules.conditions(asset: record, contracts: contracts, revitalising: plan, operatorView: operatorView)
            } else {
                conditions += rules.operationConditions(asset: facts, contracts: contracts, revitalising: plan, operatorView: operatorView)
            }
        }
        let recountAll = touched.kinds.contains("stock_take")
        let recount = touched.units
        if recountAll || !recount.isEmpty {
            var backlogs = UnitBacklogs()
            if recountAll {
                backlogs = try Self.unitBacklogs(store: store, rules: rules)
            } else {
                // Each unit's own assets, from its range of the file (its
                // subtree's, of which those located in it are kept), from
                // the rows' columns (no record is decoded), with the day
                // each was last counted.
                for code in recount.sorted() {
                    var facts: [AssetFacts] = []
                    try store.scanAssets(filter: AssetFilter(adminCode: code), wanted: { _ in false }) { asset, _ in if asset.adminCode == code { facts.append(asset) } }
                    let counted = try store.lastCounted(after: nil, through: nil, ids: facts.map(\.id))
                    let upkept = try store.lastUpkept(after: nil, through: nil, ids: facts.map(\.id))
                    for asset in facts { backlogs.add(asset, counted: counted[asset.id], upkept: upkept[asset.id], rules: rules) }
                }
            }
            conditions += backlogs.conditions(rules) { store.adminUnit(code: $0)?.name ?? $0 }
        }
        let distribution = !touched.kinds.isDisjoint(with: ["income", "distribution_plan", "visit"])
        if distribution {
            conditions += try Self.distributionConditions(store: store, rules: rules)
        }
        // The touched units' lights and projects' books (a change to an
        // asset reaches the books on the next full run).
        if !touched.responsibleUnits.isEmpty {
            conditions += try Self.supervisionConditions(store: store, rules: rules, only: (touched.responsibleUnits, touched.projects))
        }
        let answered = Answered(entities: entityIds, assets: assetIds, contracts: contractIds, units: recount, everyUnit: recountAll,
                                distribution: distribution, responsibleUnits: touched.responsibleUnits, projects: touched.projects)
        return Result(conditions: conditions, covers: answered.covers, candidates: answered.candidates,
                      entities: entityIds.count, assets: assetIds.count)
    }

    /// The open alerts a focused run answers for: those of the entities,
    /// assets, contracts and units it looked at, and the distribution
    /// alerts when it recomputed them.
    struct Answered: Sendable {
        let entities: Set<String>
        let assets: Set<String>
        let contracts: Set<String>
        let units: Set<String>
        let everyUnit: Bool
        let distribution: Bool
        let responsibleUnits: Set<String>
        let projects: Set<String>

        var covers: @Sendable (AlertRecord) -> Bool {
            { [self] record in
                switch record.kind.subjectKind {
                case "entity": return entities.contains(record.subjectId)
                case "asset": return assets.contains(record.subjectId)
                case "contract": return contracts.contains(record.subjectId)
                case "unit": return everyUnit || units.contains(record.subjectId)
                case "distribution": return distribution
                // A unit's light is about "DW00000001-2026Q2".
                case "responsible_unit": return responsibleUnits.contains(String(record.subjectId.prefix { $0 != "-" }))
                case "project": return projects.contains(record.subjectId)
                default: return false
                }
            }
        }

        /// Their keys, unless the distribution alerts or every unit's are
        /// among them (subjects not named here: walked instead).
        var candidates: [String]? {
            guard !distribution, !everyUnit, responsibleUnits.isEmpty else { return nil }
            var keys: [String] = []
            for kind in AlertKind.allCases {
                let ids: Set<String>
                switch kind.subjectKind {
                case "entity": ids = entities
                case "asset": ids = assets
                case "contract": ids = contracts
                case "unit": ids = units
                default: continue
                }
                for id in ids { keys.append(kind.key(of: id)) }
            }
            return keys
        }
    }
}
