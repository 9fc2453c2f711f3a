// What a decided mutation changes: the records to write (each with its state
// before, for the audit journal) and the answer. A store applies a change;
// it decides nothing.

/// The effect of one mutation.
public struct LedgerChange: Sendable {
    public var adminUnits: [AdminUnit] = []
    public var projects: [Project] = []
    /// The asset and its state before (nil when new).
    public var assets: [(after: Asset, before: Asset?)] = []
    public var entities: [(after: OperatingEntity, before: OperatingEntity?)] = []
    public var contracts: [(after: OperationContract, before: OperationContract?)] = []
    public var reports: [(after: QuarterReport, before: QuarterReport?)] = []
    public var stewardship: [(after: StewardshipRecord, before: StewardshipRecord?)] = []
    /// What the audit journal records for a count instead of the whole
    /// record before and after (by stock-take id): the lines a count call
    /// changed, not the count's every line again.
    public var countAudit: [String: (before: StockTakeChange, after: StockTakeChange)] = [:]
    /// Whether the caller named the asset owners the change sets (their
    /// units must lie in its scope); owners from the rules' proposal are not
    /// the caller's to place.
    public var namesOwners = false
    /// Journal entries that belong to no record table (kind, id, after-image):
    /// an accepted head.
    public var notes: [(kind: String, id: String, after: String)] = []
    public var outcome: MutationOutcome

    public init(adminUnits: [AdminUnit] = [], projects: [Project] = [], assets: [(after: Asset, before: Asset?)] = [],
                entities: [(after: OperatingEntity, before: OperatingEntity?)] = [],
                contracts: [(after: OperationContract, before: OperationContract?)] = [],
                reports: [(after: QuarterReport, before: QuarterReport?)] = [],
                stewardship: [(after: StewardshipRecord, before: StewardshipRecord?)] = [],
                countAudit: [String: (before: StockTakeChange, after: StockTakeChange)] = [:], outcome: MutationOutcome) {
        self.adminUnits = adminUnits
        self.projects = projects
        self.assets = assets
        self.entities = entities
        self.contracts = contracts
        self.reports = reports
        self.stewardship = stewardship
        self.countAudit = countAudit
        self.outcome = outcome
    }
}

/// What a count call changed, for the audit journal: a count of 20,000
/// assets would otherwise put every line into the journal twice per call.
public struct StockTakeChange: Sendable, Codable {
    public var id: String
    public var version: Int64
    public var updatedAt: String
    public var lines: [CountLine]?
    public var surplus: [SurplusLine]?
    public var closedOn: CivilDate?
    public var report: StockTakeReport?

    public init(id: String, version: Int64, updatedAt: String, lines: [CountLine]? = nil, surplus: [SurplusLine]? = nil,
                closedOn: CivilDate? = nil, report: StockTakeReport? = nil) {
        self.id = id
        self.version = version
        self.updatedAt = updatedAt
        self.lines = lines
        self.surplus = surplus
        self.closedOn = closedOn
        self.report = report
    }
}

/// The last numbers given out, for the next ids.
public struct IdentifierNumbers: Sendable, Equatable {
    public var asset: Int
    public var entity: Int
    public var contract: Int
    public var stewardship: [StewardshipKind: Int]

    public init(asset: Int = 0, entity: Int = 0, contract: Int = 0, stewardship: [StewardshipKind: Int] = [:]) {
        self.asset = asset
        self.entity = entity
        self.contract = contract
        self.stewardship = stewardship
    }
}

/// What the changes of a group so far did, by record, for the group's
/// later mutations (through a LayeredView) and for the state after COMMIT.
public struct GroupChanges: Sendable {
    public var adminUnits: [String: AdminUnit] = [:]
    public var projects: [String: Project] = [:]
    public var assets: [String: Asset] = [:]
    public var assetOrder: [String] = []
    /// How many of `assets` the group added to the ledger.
    public var assetsAdded = 0
    /// Asset number → asset id ("" when freed by this group).
    public var assetIdsByCode: [String: String] = [:]
    public var entities: [String: OperatingEntity] = [:]
    public var entityOrder: [String] = []
    /// How many of `entities` the group added.
    public var entitiesAdded = 0
    public var contracts: [String: OperationContract] = [:]
    public var contractOrder: [String] = []
    /// How many of `contracts` the group added.
    public var contractsAdded = 0
    /// Reports by QuarterReport.key.
    public var reports: [String: QuarterReport] = [:]
    /// How many of `reports` the group added (the others corrected one).
    public var reportsAdded = 0
    /// Stewardship records by "kind/id", and the keys in the order first changed.
    public var stewardship: [String: StewardshipRecord] = [:]
    public var stewardshipOrder: [String] = []
    /// How many of `stewardship` the group added, by kind.
    public var stewardshipAdded: [StewardshipKind: Int] = [:]
    /// Credit code → entity id ("" when freed by this group).
    public var entityIdsByCreditCode: [String: String] = [:]
    /// A household's ID-number digest → the group's household with it, the
    /// lowest id ("" when freed by this group): an import of 10,000 looks
    /// each up by key, not by walking the group.
    public var householdIdsByDigest: [String: String] = [:]
    /// What the group touched, for those who keep something derived.
    public var touched = TouchedRecords()
    /// The kinds of record the group changed ("asset", "entity", …).
    public var kinds: Set<String> { touched.kinds }

    public init() {}

    public static func key(_ kind: StewardshipKind, _ id: String) -> String { kind.rawValue + "/" + id }

    /// Takes in what `change` did.
    public mutating func absorb(_ change: LedgerChange) {
        for unit in change.adminUnits { adminUnits[unit.code] = unit }
        for project in change.projects { projects[project.id] = project }
        for (asset, before) in change.assets {
            if assets.updateValue(asset, forKey: asset.id) == nil { assetOrder.append(asset.id) }
            if before == nil { assetsAdded += 1 }
            if let before, !before.code.isEmpty, before.code != asset.code { assetIdsByCode[before.code] = "" }
            if !asset.code.isEmpty { assetIdsByCode[asset.code] = asset.id }
        }
        touched.absorb(change)
        for (entity, before) in change.entities {
            if entities.updateValue(entity, forKey: entity.id) == nil { entityOrder.append(entity.id) }
            if before == nil { entitiesAdded += 1 }
            if let before, !before.creditCode.isEmpty, before.creditCode != entity.creditCode { entityIdsByCreditCode[before.creditCode] = "" }
            if !entity.creditCode.isEmpty { entityIdsByCreditCode[entity.creditCode] = entity.id }
        }
        for (contract, before) in change.contracts {
            if contracts.updateValue(contract, forKey: contract.id) == nil { contractOrder.append(contract.id) }
            if before == nil { contractsAdded += 1 }
        }
        for (report, before) in change.reports {
            reports[report.key] = report
            if before == nil { reportsAdded += 1 }
        }
        for (record, before) in change.stewardship {
            let key = GroupChanges.key(record.kind, record.id)
            if before == nil { stewardshipAdded[record.kind, default: 0] += 1 }
            if stewardship.updateValue(record, forKey: key) == nil { stewardshipOrder.append(key) }
            if case .household(let household) = record {
                if case .household(let old)? = before, old.idDigest != household.idDigest, householdIdsByDigest[old.idDigest] == old.id {
                    householdIdsByDigest[old.idDigest] = ""
                }
                let holder = householdIdsByDigest[household.idDigest] ?? ""
                householdIdsByDigest[household.idDigest] = holder.isEmpty ? household.id : min(holder, household.id)
            }
        }
    }
}

/// The records and units a group's changes touched, before and after the
/// change (a contract handed to another operator touches both entities):
/// what a reader that keeps something derived from the ledger, as the risk
/// monitor's alerts, must look at again. Stewardship records count by what
/// they are about. An asset touches its units only when it moves or changes
/// stage (a new asset's unit is not touched: what is kept per unit, the
/// count backlog, takes in an asset only after a year).
public struct TouchedRecords: Sendable, Equatable {
    /// The kinds of record changed ("asset", "entity", "contract", "report",
    /// a stewardship kind, or `LedgerNotes.kind`).
    public var kinds: Set<String> = []
    public var units: Set<String> = []
    public var assets: Set<String> = []
    public var entities: Set<String> = []
    public var contracts: Set<String> = []
    /// Responsible units (`DW…`) and projects whose progress, payments or
    /// targets changed (issue 21).
    public var responsibleUnits: Set<String> = []
    public var projects: Set<String> = []

    public init() {}

    /// How many records and units in all.
    public var count: Int { units.count + assets.count + entities.count + contracts.count + responsibleUnits.count + projects.count }

    /// Takes in what one mutation changed.
    public mutating func absorb(_ change: LedgerChange) {
        for unit in change.adminUnits { units.insert(unit.code) }
        for (asset, before) in change.assets {
            assets.insert(asset.id)
            // The unit's count and upkeep backlogs read the unit, the stage and the usage status.
            if let before, before.adminCode != asset.adminCode || before.lifecycle.stage != asset.lifecycle.stage
                || before.usageStatus != asset.usageStatus {
                units.insert(before.adminCode)
                units.insert(asset.adminCode)
            }
        }
        for (entity, _) in change.entities { entities.insert(entity.id) }
        for (contract, before) in change.contracts {
            contracts.insert(contract.id)
            for linked in [Optional(contract), before].compactMap({ $0 }) {
                entities.insert(linked.entityId)
                assets.insert(linked.assetId)
            }
        }
        for (report, _) in change.reports { entities.insert(report.entityId) }
        for (record, before) in change.stewardship {
            kinds.insert(record.kind.rawValue)
            for keys in [Optional(record.scopeKeys), before?.scopeKeys].compactMap({ $0 }) {
                if !keys.assetId.isEmpty { assets.insert(keys.assetId) }
                if !keys.adminCode.isEmpty { units.insert(keys.adminCode) }
            }
            if case .income(let income) = record, !income.contractId.isEmpty { contracts.insert(income.contractId) }
            absorbSupervised(record)
        }
        if !change.adminUnits.isEmpty { kinds.insert("admin_unit") }
        if !change.projects.isEmpty { kinds.insert("project") }
        if !change.assets.isEmpty { kinds.insert("asset") }
        if !change.entities.isEmpty { kinds.insert("entity") }
        if !change.contracts.isEmpty { kinds.insert("contract") }
        if !change.reports.isEmpty { kinds.insert("report") }
        for note in change.notes { kinds.insert(note.kind) }
    }
}

extension TouchedRecords {
    /// Takes in what `other` names too.
    public mutating func formUnion(_ other: TouchedRecords) {
        kinds.formUnion(other.kinds)
        units.formUnion(other.units)
        assets.formUnion(other.assets)
        entities.formUnion(other.entities)
        contracts.formUnion(other.contracts)
        responsibleUnits.formUnion(other.responsibleUnits)
        projects.formUnion(other.projects)
    }

    /// The unit and project a supervision record is about.
    mutating func absorbSupervised(_ record: StewardshipRecord) {
        switch record {
        case .progress(let value):
            responsibleUnits.insert(value.unitId)
            projects.insert(value.id)
        case .disbursement(let value):
            responsibleUnits.insert(value.unitId)
            projects.insert(value.projectId)
        case .unit(let value):
            responsibleUnits.insert(value.id)
        case .income, .plan, .stockTake, .disposal, .revitalising, .alert, .assessment, .household, .visit, .upkeep:
            break
        }
    }
}

extension StewardshipRecord {
    /// The asset a record is about and the unit whose scope holds it
    /// (either may be empty: a plan or a count is about a unit only).
    public var scopeKeys: (assetId: String, adminCode: String) {
        switch self {
        case .income(let value): return (value.assetId, value.ownerCode)
        case .plan(let value): return ("", value.ownerCode)
        case .stockTake(let value): return ("", value.adminCode)
        case .disposal(let value): return (value.assetId, value.adminCode)
        case .revitalising(let value): return (value.assetId, "")
        case .alert(let value): return ("", value.adminCode)
        case .progress(let value): return ("", value.adminCode)
        case .unit(let value): return ("", value.adminCode)
        case .assessment(let value): return ("", value.adminCode)
        case .disbursement(let value): return ("", value.adminCode)
        case .household(let value): return ("", value.villageCode)
        case .visit(let value): return ("", value.villageCode)
        case .upkeep(let value): return (value.assetId, value.adminCode)
        }
    }
}

extension StockTake {
    /// The count with `lines` and `surplus` recorded: a line for an asset
    /// already counted replaces it, and a surplus line with the description
    /// of an earlier one replaces that (a resent call adds nothing).
    public func recording(lines: [CountLine], surplus: [SurplusLine]) -> StockTake {
        var count = self
        let counted = Set(lines.map(\.assetId))
        let described = Set(surplus.map(\.description))
        count.lines = self.lines.filter { !counted.contains($0.assetId) } + lines
        count.surplus = self.surplus.filter { !described.contains($0.description) } + surplus
        return count
    }

    /// The count after a change the journal recorded (what a count call
    /// recorded, or the close): how the ledger check rebuilds a count.
    public func applying(_ change: StockTakeChange) -> StockTake {
        var count = self
        if change.lines != nil || change.surplus != nil {
            count = count.recording(lines: change.lines ?? [], surplus: change.surplus ?? [])
        }
        if let closed = change.closedOn {
            count.closedOn = closed
            count.report = change.report
        }
        count.version = change.version
        count.updatedAt = change.updatedAt
        return count
    }
}

/// Journal entries that belong to no record table (the ledger check knows
/// them): `ledger`, about the ledger as a whole; `personal_data_read`, a
/// household's personal data read in clear (issue 23).
public enum LedgerNotes {
    public static let kind = "ledger"
    public static let personalDataRead = "personal_data_read"
    /// Every kind of note.
    public static let kinds: Set<String> = [kind, personalDataRead]

    /// The after-image of a read of personal data: which fields, and why.
    public static func personalDataJSON(fields: [String], reason: String) -> String {
        var json = JSONObjectWriter()
        json.string("fields", fields.joined(separator: ","))
        json.string("reason", reason)
        return json.text
    }

    /// The after-image of an accepted head, as the journal keeps it (keys sorted).
    public static func json(_ accepted: AcceptedHead) -> String {
        var json = JSONObjectWriter()
        json.string("accepted", accepted.accepted)
        json.string("anchored", accepted.anchored)
        json.string("heldBecause", accepted.heldBecause)
        json.string("ledgerId", accepted.ledgerId)
        json.string("reason", accepted.reason)
        return json.text
    }
}
