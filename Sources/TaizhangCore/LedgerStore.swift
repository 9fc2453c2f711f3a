// The storage contract the services use. Nothing backend-specific appears
// here: the SQLite store implements it today; another backend can later.

/// Who is calling and why, recorded in the audit journal with each change.
public struct CallerContext: Sendable {
    /// The authenticated identity (e.g. "uid:1000" on the Unix socket).
    public var identity: String
    /// The person named in the call's `actor` metadata; may be empty.
    public var actor: String
    /// The full method name, e.g. "/taizhang.ledger.v1.Ledger/RegisterAsset".
    public var method: String
    /// The call's request-id.
    public var requestId: String
    /// SHA-256 (hex) of the serialized request payload.
    public var requestSHA256: String
    /// The call's idempotency-key, when given.
    public var idempotencyKey: String?
    /// Whose keys it is among: the identity's name, so a retry with a new
    /// token of the same identity finds the first answer.
    public var idempotencyOwner: String
    /// The admin codes the caller may change (its scope's subtree); nil: all.
    /// The store checks every record a change touches against it at commit
    /// time, so a record moved out of the scope meanwhile is not changed.
    public var scope: Set<String>?
    /// Who is limited, for messages: "shagang-clerk (scope 421024102000)".
    public var scopeHolder: String = ""
    /// The person taking a follow-up step: the identity's immutable id and
    /// name, or in local mode the `actor` (nil when local mode names none).
    public var person: FollowUpPerson?
    /// The caller's identity's immutable id with an access file (nil in local mode).
    public var identityId: String?

    /// A caller context.
    public init(identity: String, actor: String, method: String, requestId: String, requestSHA256: String, idempotencyKey: String?) {
        self.identity = identity
        self.actor = actor
        self.method = method
        self.requestId = requestId
        self.requestSHA256 = requestSHA256
        self.idempotencyKey = idempotencyKey
        self.idempotencyOwner = identity
    }
}

/// A change to the ledger. Each is applied wholly or not at all.
public enum Mutation: Sendable {
    case createAdminUnit(AdminUnit)
    case createProject(Project)
    /// One asset (`batch` false: violations under "asset.") or many
    /// (`batch` true: violations under "assets[i].", all or nothing).
    case registerAssets([Asset], batch: Bool)
    /// Replaces the writable fields of an existing asset.
    case updateAsset(Asset, expectedVersion: Int64)
    /// A life-cycle step of asset `assetId`, checked by `LifecycleRules`
    /// against the committed asset. For ConfirmOwnership the store works out
    /// the rules' proposal itself, from `contributions` (village code, fen).
    case lifecycle(assetId: String, action: LifecycleAction, calendar: WorkingDayCalendar, policy: DepreciationPolicy,
                   contributions: [ContributionReference], expectedVersion: Int64)
    /// A new operating entity; the store gives its id and checks the credit
    /// code is not already registered.
    case createEntity(OperatingEntity)
    /// Replaces an entity's writable fields.
    case updateEntity(OperatingEntity, expectedVersion: Int64)
    /// A new operation contract; the asset and the entity must exist and the
    /// asset must not be under another contract for any day of the term.
    case createContract(OperationContract)
    /// Changes a contract (operator, mode, term, payments, commitments,
    /// termination); a running contract's operator or mode changes only with
    /// the owner's consent (001 (六)).
    case amendContract(OperationContract, consent: OwnerConsent?, expectedVersion: Int64)
    /// A quarterly report, or a correction of one (`expectedRevision`, when
    /// not 0, must match the stored revision).
    case submitReport(QuarterReport, expectedRevision: Int)
    /// Income, distribution plans, stock-takes, disposals and revitalising
    /// plans (life-cycle steps 9–12).
    case stewardship(StewardshipChange)
    /// Changes nothing: goes through the writer and a commit, so the caller
    /// learns the store can still commit (the systemd watchdog asks).
    case probe
    /// An operator accepts the journal's head as it stands after the daemon
    /// held the ledger read-only (the head anchored outside the database
    /// was not extended, or the ledger differed from its journal): journaled
    /// as a `ledger` entry, it changes no record.
    case acceptHead(AcceptedHead)
    /// Personal data read in clear (a household's ID or phone number,
    /// issue 23): journaled as one `personal_data_read` entry per household,
    /// it changes no record.
    case notePersonalDataRead(householdIds: [String], fields: [String], reason: String)
    /// Changes nothing: the group it commits in signs a new head of the
    /// journal's Merkle tree, if the tree grew since the last (issue 24).
    case signTreeHead
}

/// What an operator accepted, and why: the head the journal has now, the
/// head anchored earlier that it does not extend (if any), and the reason
/// the ledger was held.
public struct AcceptedHead: Sendable, Hashable, Codable {
    public var ledgerId: String
    public var accepted: String
    public var anchored: String
    public var heldBecause: String
    public var reason: String

    public init(ledgerId: String, accepted: AuditHead, anchored: AuditHead?, heldBecause: String, reason: String) {
        self.ledgerId = ledgerId
        self.accepted = accepted.text
        self.anchored = anchored?.text ?? ""
        self.heldBecause = heldBecause
        self.reason = reason
    }
}

/// A village's contribution to a cross-village project, by admin code.
public struct ContributionReference: Sendable, Hashable {
    public var adminCode: String
    public var amountFen: Int64

    /// A contribution.
    public init(adminCode: String, amountFen: Int64) {
        self.adminCode = adminCode
        self.amountFen = amountFen
    }
}

/// What a mutation produced.
public enum MutationOutcome: Sendable {
    case adminUnit(AdminUnit)
    case project(Project)
    case assets([Asset])
    case entity(OperatingEntity)
    case contract(OperationContract)
    case report(QuarterReport)
    case stewardship(StewardshipRecord)
    /// Several records of one change (the monitor's events, escalations).
    case stewardships([StewardshipRecord])
    /// Only journal entries were written (an accepted head): the head after them.
    case journaled(AuditHead)
}

/// An entity with its contracts and its reports as the risk rules read
/// them (`LedgerStore.scoringRecords(ofEntitiesIn:)`).
public struct ScoringRecords: Sendable {
    public var entity: OperatingEntity
    /// In id order.
    public var contracts: [OperationContract] = []
    public var reports = ReportsByQuarter()

    /// An entity, its contracts and reports to come.
    public init(entity: OperatingEntity) {
        self.entity = entity
    }
}

/// Some of the operations records, read together from the store's file:
/// what the risk monitor scores (a full run reads one such piece per slice
/// of entities, a focused run the pieces its commits touched). Entities and
/// contracts are not held in memory: they grow with the ledger.
public struct OperationsSnapshot: Sendable {
    public var entities: [String: OperatingEntity] = [:]
    /// The ids of `entities`, in order.
    public var entityOrder: [String] = []
    public var contracts: [String: OperationContract] = [:]
    public var contractsByEntity: [String: [String]] = [:]
    public var contractsByAsset: [String: [String]] = [:]

    /// An empty snapshot.
    public init() {}

    /// The entity's contracts (those the snapshot holds), in id order.
    public func contracts(ofEntity id: String) -> [OperationContract] {
        (contractsByEntity[id] ?? []).compactMap { contracts[$0] }
    }

    /// The asset's contracts (those the snapshot holds), in id order.
    public func contracts(ofAsset id: String) -> [OperationContract] {
        (contractsByAsset[id] ?? []).compactMap { contracts[$0] }
    }

    /// Adds an entity (read in id order: ids are appended).
    public mutating func put(_ entity: OperatingEntity) {
        if entities.updateValue(entity, forKey: entity.id) == nil { entityOrder.append(entity.id) }
    }

    /// Adds a contract (read in id order: each list stays in order).
    public mutating func put(_ contract: OperationContract) {
        guard contracts.updateValue(contract, forKey: contract.id) == nil else { return }
        contractsByEntity[contract.entityId, default: []].append(contract.id)
        contractsByAsset[contract.assetId, default: []].append(contract.id)
    }

    /// Adds what `other` holds that this one does not (the entity order
    /// sorted again; the contracts' lists too).
    public mutating func merge(_ other: OperationsSnapshot) {
        var added = false
        for id in other.entityOrder where entities[id] == nil {
            entities[id] = other.entities[id]
            entityOrder.append(id)
            added = true
        }
        if added { entityOrder.sort() }
        var ofEntities: Set<String> = []
        var ofAssets: Set<String> = []
        for (id, contract) in other.contracts where contracts[id] == nil {
            contracts[id] = contract
            contractsByEntity[contract.entityId, default: []].append(id)
            contractsByAsset[contract.assetId, default: []].append(id)
            ofEntities.insert(contract.entityId)
            ofAssets.insert(contract.assetId)
        }
        for id in ofEntities { contractsByEntity[id]?.sort() }
        for id in ofAssets { contractsByAsset[id]?.sort() }
    }
}

/// A mutation that succeeded.
public enum MutationSuccess: Sendable {
    /// Applied now. `encoded` holds the response bytes when the store had to
    /// keep them (an idempotency key was given); otherwise the caller encodes
    /// `outcome` itself, off the writer's thread.
    case applied(MutationOutcome, encoded: [UInt8]?)
    /// An idempotent retry: the first call's response, unchanged.
    case replayed([UInt8])
}

/// The durable reply of a mutation.
public typealias MutationReply = Result<MutationSuccess, LedgerError>

/// Turns a mutation's outcome into the response bytes kept for idempotent
/// replay; the store calls it only for calls with an idempotency key.
public typealias ResponseEncoder = @Sendable (MutationOutcome) -> [UInt8]

/// Filters of an asset listing; nil fields do not filter.
public struct AssetFilter: Sendable, Hashable {
    /// The admin-unit subtree.
    public var adminCode: String?
    public var category: AssetCategory?
    public var usageStatus: UsageStatus?
    /// Year of the acquisition date.
    public var year: Int?
    /// The ledger of this unit (004 §18): owned by it or below (`LedgerMembership`).
    public var ledgerCode: String?
    public var stage: AssetStage?
    /// Only assets with no custodian.
    public var withoutCustodian = false
    /// Only published assets whose handover deadline is before this date.
    public var handoverOverdueOn: CivilDate?

    /// A filter.
    public init(adminCode: String? = nil, category: AssetCategory? = nil, usageStatus: UsageStatus? = nil, year: Int? = nil,
                ledgerCode: String? = nil, stage: AssetStage? = nil, withoutCustodian: Bool = false, handoverOverdueOn: CivilDate? = nil) {
        self.adminCode = adminCode
        self.category = category
        self.usageStatus = usageStatus
        self.year = year
        self.ledgerCode = ledgerCode
        self.stage = stage
        self.withoutCustodian = withoutCustodian
        self.handoverOverdueOn = handoverOverdueOn
    }

    /// Whether `asset` passes the filters other than the two subtrees
    /// (`location`: the subtree of `adminCode`; `ledger`: of `ledgerCode`).
    /// Disposed assets are out of the active ledger: they match only a
    /// filter on stage `disposed`.
    public func matches(_ asset: Asset, location: Set<String>?, ledger: Set<String>?) -> Bool {
        if asset.lifecycle.stage == .disposed, stage != .disposed { return false }
        if let location, !location.contains(asset.adminCode) { return false }
        if let ledger, !LedgerMembership.includes(asset, subtree: ledger) { return false }
        if let category, asset.category != category { return false }
        if let usageStatus, asset.usageStatus != usageStatus { return false }
        if let year, asset.acquiredDate.year != year { return false }
        if let stage, asset.lifecycle.stage != stage { return false }
        if withoutCustodian, !asset.custody.custodian.isEmpty { return false }
        if let day = handoverOverdueOn {
            guard asset.lifecycle.stage == .published, let due = asset.lifecycle.handoverDue, day > due else { return false }
        }
        return true
    }
}

/// One page of a listing.
public struct Page<Record: Sendable>: Sendable {
    /// The records, in key order.
    public var records: [Record]
    /// The key of the last record when more follow; nil on the last page.
    public var nextAfter: String?
    /// How many records match the filter in all.
    public var total: Int

    /// A page.
    public init(records: [Record], nextAfter: String?, total: Int) {
        self.records = records
        self.nextAfter = nextAfter
        self.total = total
    }
}

/// The state of a queued mutation, so a deadline or cancel can withdraw it
/// before the store starts applying it, and never after.
public protocol MutationTicket: Sendable {
    /// Withdraws the mutation; true when it had not started (it will not be
    /// applied), false when it already started (its real outcome will follow).
    func withdraw() -> Bool
}

extension LedgerStore {
    /// Assets ordered by id, with the total matching.
    public func assets(filter: AssetFilter, after: String?, limit: Int) throws -> Page<Asset> {
        try assets(filter: filter, after: after, limit: limit, countTotal: true)
    }

    /// One entity's reports, by quarter (read from the store's file).
    public func reports(of entityId: String) throws -> ReportsByQuarter {
        try reports(ofEntities: [entityId])[entityId] ?? [:]
    }
}

/// The result of walking the audit chain.
public struct AuditVerification: Sendable, Hashable {
    /// The chain holds and every stored row is what the journal produced.
    public var intact: Bool { chainIntact && mismatchCount == 0 }
    /// The hash chain holds, to the head the daemon wrote.
    public var chainIntact: Bool
    public var entriesChecked: UInt64
    /// The first entry that does not verify; 0 when intact.
    public var firstBrokenSeq: UInt64
    public var problem: String
    public var headSeq: UInt64
    public var headHash: String
    /// Rows compared with the journal.
    public var rowsChecked: UInt64 = 0
    /// Every difference between the stored rows and the journal; the
    /// first `mismatches` are named.
    public var mismatchCount: UInt64 = 0
    public var mismatches: [LedgerMismatch] = []

    /// A verification result.
    public init(intact: Bool, entriesChecked: UInt64, firstBrokenSeq: UInt64, problem: String, headSeq: UInt64, headHash: String) {
        self.chainIntact = intact
        self.entriesChecked = entriesChecked
        self.firstBrokenSeq = firstBrokenSeq
        self.problem = problem
        self.headSeq = headSeq
        self.headHash = headHash
    }
}

/// A stored row that is not what the journal's entries produce.
public struct LedgerMismatch: Sendable, Hashable {
    /// The table ("assets"), the record's id, and the column ("" for the whole row).
    public var table: String
    public var id: String
    public var column: String
    public var problem: String

    public init(table: String, id: String, column: String, problem: String) {
        self.table = table
        self.id = id
        self.column = column
        self.problem = problem
    }
}

/// Counters of the store's work since it opened.
public struct StoreStatistics: Sendable, Hashable {
    public var recordCounts: [String: UInt64]
    public var storageBytes: UInt64
    public var commitBatches: UInt64
    public var committedMutations: UInt64
    public var auditHeadSeq: UInt64
    public var auditHeadHash: String
    public var writable: Bool

    /// Statistics.
    public init(recordCounts: [String: UInt64], storageBytes: UInt64, commitBatches: UInt64, committedMutations: UInt64,
                auditHeadSeq: UInt64, auditHeadHash: String, writable: Bool) {
        self.recordCounts = recordCounts
        self.storageBytes = storageBytes
        self.commitBatches = commitBatches
        self.committedMutations = committedMutations
        self.auditHeadSeq = auditHeadSeq
        self.auditHeadHash = auditHeadHash
        self.writable = writable
    }
}

/// One group commit of the store's writer: how many mutations it held,
/// whether it became durable, and how long BEGIN…COMMIT took.
public struct GroupCommit: Sendable, Hashable {
    /// Mutations in the group.
    public var mutations: Int
    /// Whether COMMIT succeeded.
    public var durable: Bool
    /// Time from BEGIN to the end of COMMIT (fsync included), in nanoseconds.
    public var nanos: UInt64

    /// A group commit.
    public init(mutations: Int, durable: Bool, nanos: UInt64) {
        self.mutations = mutations
        self.durable = durable
        self.nanos = nanos
    }
}

/// The ledger's storage. Reads return committed (durable) state only and do
/// not block on writes: they are cheap enough to answer on an event loop.
/// Mutations are queued and acknowledged through `completion` only once
/// durable; the completion runs on a thread of the store's choosing.
/// What a scan reads of an asset without its record (`LedgerStore.scanAssets`):
/// its row's columns that say whether it is in use, on notice or overdue
/// for a count.
public struct AssetFacts: Sendable, Hashable {
    public var id: String
    public var name: String
    public var adminCode: String
    public var stage: AssetStage
    public var usageStatus: UsageStatus
    /// When it was registered (RFC 3339, as `Asset.createdAt`).
    public var createdAt: String
    public var acquiredDate: CivilDate

    public init(id: String, name: String, adminCode: String, stage: AssetStage, usageStatus: UsageStatus, createdAt: String,
                acquiredDate: CivilDate) {
        self.id = id
        self.name = name
        self.adminCode = adminCode
        self.stage = stage
        self.usageStatus = usageStatus
        self.createdAt = createdAt
        self.acquiredDate = acquiredDate
    }

    public init(_ asset: Asset) {
        self.init(id: asset.id, name: asset.name, adminCode: asset.adminCode, stage: asset.lifecycle.stage, usageStatus: asset.usageStatus,
                  createdAt: asset.createdAt, acquiredDate: asset.acquiredDate)
    }
}

public protocol LedgerStore: Sendable {
    /// The ledger's id, random, given when its store was created; copies
    /// (backups, restores) keep it. Heads are anchored outside under it.
    var ledgerId: String { get }
    /// Why the ledger is held read-only, or nil when it takes changes.
    var heldReason: String? { get }
    /// Holds the ledger read-only (every mutation but an accepted head and
    /// the watchdog's probe is refused FAILED_PRECONDITION with `reason`),
    /// or, with nil, lets it take changes again.
    func hold(_ reason: String?)
    func adminUnit(code: String) -> AdminUnit?
    /// Admin units ordered by code; `parentCode` nil lists all.
    func adminUnits(parentCode: String?, after: String?, limit: Int) -> Page<AdminUnit>
    /// The code and every code below it.
    func adminSubtree(code: String) -> Set<String>
    /// The project, from memory or read from the store's file (a read that
    /// may wait on the disk when the project is not held in memory).
    func project(id: String) -> Project?
    /// The project if the store holds it in memory now (never waits on the
    /// disk); nil says only that it must be read with `project(id:)`.
    func cachedProject(id: String) -> Project?
    /// Projects ordered by id, optionally within an admin subtree and year,
    /// read from the store's file (the page's total is not counted: 0).
    func projects(adminCode: String?, year: Int?, after: String?, limit: Int) throws -> Page<Project>
    /// The asset, from memory or read from the store's file (a read that
    /// may wait on the disk: keep it off an event loop when it can miss).
    func asset(id: String) -> Asset?
    /// The asset if the store holds it in memory now (never waits on the
    /// disk); nil says only that it must be read with `asset(id:)`.
    func cachedAsset(id: String) -> Asset?
    /// The units the assets `ids` lie in (their `adminCode`), by id; ids
    /// with no asset are left out. Reads only that column (for scope checks
    /// and filters over many records).
    func assetLocations(_ ids: [String]) -> [String: String]
    /// The id of the asset with the county's asset number `code`, if any.
    func assetId(code: String) -> String?
    /// Assets ordered by id. With `countTotal` false the page's `total` is 0
    /// and the store walks only as far as the page needs.
    func assets(filter: AssetFilter, after: String?, limit: Int, countTotal: Bool) throws -> Page<Asset>
    /// Calls `body` with every asset matching `filter`, in id order, read
    /// from the store's file a page at a time (for summaries over the whole
    /// ledger: it waits on the disk). Changes committed meanwhile may or may
    /// not be seen.
    /// - Throws: UNAVAILABLE when the file cannot be read; what `body` throws.
    func visitAssets(filter: AssetFilter, _ body: (Asset) throws -> Void) throws
    /// Calls `body` with the facts of every asset matching `filter`, in id
    /// order, read from the rows' columns, and with the record of those
    /// `wanted` picks (nil for the others): a scan that needs the records
    /// of a few assets, and a few facts of every one, decodes only those
    /// few. Pages and consistency as `visitAssets`.
    /// - Throws: UNAVAILABLE when the file cannot be read; what `body` throws.
    func scanAssets(filter: AssetFilter, wanted: (AssetFacts) -> Bool, _ body: (AssetFacts, Asset?) throws -> Void) throws
    /// `scanAssets` over the assets whose ids follow `after` (all when nil)
    /// up to and including `through` (to the last when nil): one run of a
    /// scan in parallel (`assetRunEnds`).
    func scanAssets(filter: AssetFilter, after: String?, through: String?, wanted: (AssetFacts) -> Bool,
                    _ body: (AssetFacts, Asset?) throws -> Void) throws
    /// `scanAssets` over the assets named by `ids` (in that order; an id the
    /// ledger does not hold is skipped), each read by key in one read
    /// transaction: a focused risk run's few among many.
    /// - Throws: UNAVAILABLE when the file cannot be read; what `body` throws.
    func scanAssets(ids: [String], wanted: (AssetFacts) -> Bool, _ body: (AssetFacts, Asset?) throws -> Void) throws
    /// The ids that cut the ledger's assets, in id order, into runs of
    /// `every` assets: the last id of each full run (none when there are
    /// `every` or fewer), read from the primary key's index alone. The
    /// runs are (nil, ends[0]], (ends[0], ends[1]], … (ends.last, nil):
    /// assets added meanwhile fall into one of them.
    /// - Throws: UNAVAILABLE when the file cannot be read.
    func assetRunEnds(every: Int) throws -> [String]
    /// The summary as of `asOf` of a unit's ledger (`ledgerCode`, as
    /// `AssetFilter.ledgerCode`; nil: the whole ledger), optionally of the
    /// assets acquired in `year`, from totals the store keeps (not a scan).
    /// - Throws: UNAVAILABLE when the file cannot be read; OUT_OF_RANGE
    ///   when a total does not fit in 64 bits.
    func assetSummary(ledgerCode: String?, year: Int?, asOf: CivilDate) throws -> LedgerSummary
    /// Queues a mutation. Returns a ticket for withdrawing it. The caller has
    /// checked the records' own fields with the rules in this module
    /// (`AssetRules.validate`, …); the store checks, at commit time, what
    /// depends on other records: existence, references, uniqueness, versions.
    func submit(_ mutation: Mutation, context: CallerContext, encode: @escaping ResponseEncoder,
                completion: @escaping @Sendable (MutationReply) -> Void) -> any MutationTicket
    /// The entity, read from the store's file (entities are not held in
    /// memory). Like every read of operations records below it:
    /// - Throws: UNAVAILABLE when the file cannot be read; DATA_LOSS when
    ///   a stored row does not read.
    func entity(id: String) throws -> OperatingEntity?
    /// Entities ordered by id, optionally within an admin subtree and of one kind.
    func entities(adminCode: String?, kind: EntityKind?, after: String?, limit: Int) throws -> Page<OperatingEntity>
    func contract(id: String) throws -> OperationContract?
    /// Contracts ordered by id, optionally of one entity or one asset.
    func contracts(entityId: String?, assetId: String?, after: String?, limit: Int) throws -> Page<OperationContract>
    /// Every entity id, in order (for a run over all entities, which reads
    /// them in slices with `scoringRecords(ofEntitiesIn:)`).
    func entityIds() throws -> [String]
    /// The entities whose id lies in `ids` and their contracts, read in one
    /// read transaction, one range of each table (what a full run now reads with `scoringRecords`).
    func operations(ofEntitiesIn ids: ClosedRange<String>) throws -> OperationsSnapshot
    /// In one read transaction: the entities `entities` names and their
    /// contracts, the contracts `contracts` names, the contracts of the
    /// assets `assets` names, and the entity of every contract read (a
    /// focused run's records).
    func operations(entities: Set<String>, contracts: Set<String>, assets: Set<String>) throws -> OperationsSnapshot
    /// The reports of each of `entityIds` (by id; an entity with none is
    /// left out), read from the store's file in one read transaction (it
    /// waits on the disk). The reports grow with the ledger's history and
    /// are not kept in memory.
    /// - Throws: UNAVAILABLE when the file cannot be read or a stored
    ///   report does not read.
    func reports(ofEntities entityIds: [String]) throws -> [String: ReportsByQuarter]
    /// Every entity whose id lies in `ids`, in id order, with its
    /// contracts (in id order) and its reports, read in one read
    /// transaction as one pass over that range of each table: what a full
    /// risk run scores of one slice of entities, where a lookup per entity
    /// costs more than its rows. (Entity ids are the store's ASCII `ZT…`
    /// keys: their order is the same in Swift and in the file.) The
    /// reports are as the risk rules read them: their figures, quarter and
    /// submission date, without their bookkeeping (revision 0, no
    /// correction reason, no created or updated time): a full run reads
    /// every report of the ledger, and those texts were a tenth of its
    /// allocations.
    /// - Throws: as `reports(ofEntities:)`.
    func scoringRecords(ofEntitiesIn ids: ClosedRange<String>) throws -> [ScoringRecords]
    /// A stewardship record (income, plan, count, disposal, revitalising
    /// plan) by kind and id, read from the file: they grow with the
    /// ledger's history and are not kept in memory.
    /// - Throws: UNAVAILABLE when the file cannot be read, DATA_LOSS when
    ///   the stored record does not read.
    func stewardshipRecord(_ kind: StewardshipKind, id: String) throws -> StewardshipRecord?
    /// The newest event of the risk monitor the alerts' ledger records
    /// have taken in (0 when none): where the monitor catches up from.
    func lastObservedAlertEvent() throws -> Int64
    /// What the escalation rules read of the alerts' records whose state
    /// column is one of `states`, in id order after `after`, at most `limit`.
    func followUpFacts(states: [String], after: String?, limit: Int) throws -> [FollowUpFacts]
    /// The records of one kind that `filter` admits, in id order after
    /// `after`, at most `limit`; with the number of them all and the sum of
    /// their amounts (income's fen, a disposal's proceeds).
    func stewardshipRecords(_ filter: StewardshipFilter, after: String?, limit: Int) throws -> StewardshipPage
    /// What the lights read of the payments of `unitId`'s projects, by
    /// project, from the rows' columns (no record decoded), at most `limit`
    /// (past it: RESOURCE_EXHAUSTED).
    func paymentFacts(ofUnit unitId: String, limit: Int) throws -> [String: [PaymentFact]]
    /// The assets `projectId` produced (disposed of ones too), in id order,
    /// at most `limit`: what the books comparison (账账相符) reads.
    func projectAssets(_ projectId: String, limit: Int) throws -> [ProjectAssetValue]
    /// The plan distributing each of `incomeIds` that one distributes.
    func plans(distributing incomeIds: [String]) throws -> [String: String]
    /// The income received under each of `contractIds` that has any, as
    /// the risk rules read it: the day and the amount (no payer, account
    /// or kind), in id order.
    func receipts(ofContracts contractIds: [String]) throws -> [String: [IncomeReceipt]]
    /// The day each asset was last found by a closed count, for the assets
    /// with ids after `after` up to `through` (nil: no bound), or for the
    /// assets `ids` names when it is given.
    func lastCounted(after: String?, through: String?, ids: [String]?) throws -> [String: CivilDate]
    /// A year's upkeep under `adminCode`'s subtree ("": the whole ledger),
    /// per unit and per asset, from the rows' columns.
    func upkeepCosts(adminCode: String, year: Int) throws -> UpkeepCosts
    /// The day of each asset's latest upkeep record, for the assets with
    /// ids after `after` up to `through` (nil: no bound), or for those `ids` names.
    func lastUpkept(after: String?, through: String?, ids: [String]?) throws -> [String: CivilDate]
    /// The revitalising plans of the assets with ids after `after` up to
    /// `through` (nil: no bound), or of those `ids` names, oldest first.
    func revitalisingPlans(after: String?, through: String?, ids: [String]?) throws -> [String: [RevitalisingPlan]]
    /// Calls `observer` after each durable group with what it touched (the
    /// kinds of record it changed, "asset", "entity", "contract", "report",
    /// …, and the records and units), on the writer's thread: it must be quick.
    func observeCommits(_ observer: @escaping @Sendable (TouchedRecords) -> Void)
    /// Calls `observer` on the writer's thread after each group commit
    /// (for metrics: keep it short).
    func observeGroupCommits(_ observer: @escaping @Sendable (GroupCommit) -> Void)
    /// Walks the audit chain from the first entry and reports the first
    /// broken link; with `expectedHead`, the chain must also hold that entry
    /// with that hash (a head published earlier).
    /// The check runs on a connection of its own (other reads of the
    /// journal do not wait for it), one check at a time.
    /// - Throws: UNAVAILABLE once `stopChecking` was called.
    func verifyAuditChain(expectedHead: AuditHead?) throws -> AuditVerification
    /// Stops the check in progress, and every later one, at once (the
    /// daemon is stopping: a check of a large ledger takes minutes).
    func stopChecking()
    /// Writes a consistent snapshot of the whole store to `path` (which must
    /// not exist) while writes go on; returns its last audit entry (seq, hash).
    func snapshot(to path: String) throws -> (auditHeadSeq: UInt64, auditHeadHash: String)
    /// Audit entries after `afterSeq`, optionally for one record, oldest first.
    func auditEntries(recordId: String?, afterSeq: UInt64, limit: Int) throws -> [AuditEntry]
    /// A record's newest audit entry, if the journal holds one (one index probe).
    func latestAuditEntry(recordId: String) throws -> AuditEntry?
    /// The newest signed head of the journal's Merkle tree, if any, and
    /// the key it was signed with (issue 24).
    var latestTreeHead: (head: SignedTreeHead, key: Ed25519PublicKey)? { get }
    /// The public key of the daemon's head-signing key; nil when it signs none.
    var treeHeadPublicKey: Ed25519PublicKey? { get }
    /// The signed head of the tree of `size` leaves and the key it was
    /// signed with, if one was signed at that size.
    func treeHead(size: UInt64) throws -> (head: SignedTreeHead, key: Ed25519PublicKey)?
    /// The root of the tree of the journal's first `size` entries.
    /// - Throws: NOT_FOUND when the journal holds fewer entries.
    func treeRoot(size: UInt64) throws -> [UInt8]
    /// The audit path of leaf `index` (entry index + 1) in the tree of `size` leaves.
    /// - Throws: INVALID_ARGUMENT for a leaf outside the tree; NOT_FOUND past the journal.
    func inclusionProof(index: UInt64, size: UInt64) throws -> [[UInt8]]
    /// That the tree of `second` leaves extends the tree of `first`.
    /// - Throws: INVALID_ARGUMENT when `first` > `second`; NOT_FOUND past the journal.
    func consistencyProof(from first: UInt64, to second: UInt64) throws -> [[UInt8]]
    func statistics() -> StoreStatistics
    /// Finishes queued mutations and closes the store.
    func close()
}

/// An audit journal head: the seq and hash of an entry.
public struct AuditHead: Sendable, Hashable, Codable {
    public var seq: UInt64
    public var hash: String

    public init(seq: UInt64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// "SEQ:HASH".
    public var text: String { "\(seq):\(hash)" }

    /// "SEQ:HASH", as `taizhang audit verify --head` takes it and Status shows it.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = UInt64(parts[0]), seq > 0, AuditHead.isHash(String(parts[1])) else { return nil }
        self.init(seq: seq, hash: String(parts[1]))
    }

    /// Whether `text` is a SHA-256 in 64 lowercase hex digits.
    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension LedgerStore {
    /// The chain walk with no head given.
    public func verifyAuditChain() throws -> AuditVerification {
        try verifyAuditChain(expectedHead: nil)
    }
}
