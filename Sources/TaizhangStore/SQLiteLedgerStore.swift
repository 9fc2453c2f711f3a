// The ledger store on an embedded SQLite file in WAL mode. Mutations are
// group-committed by one writer thread: every queued mutation runs in its own
// savepoint inside one transaction, so one call's failure leaves the others
// untouched, and the whole group becomes durable with one sync. A mutation is
// acknowledged only after COMMIT returned. Reads come from the file through
// a pool of read connections (assets and projects through bounded caches;
// admin units and the counts from the committed in-memory state) and never
// wait for the writer.

import Foundation
import Synchronization
import TaizhangCore

/// Settings of the SQLite store.
public struct SQLiteStoreConfiguration: Sendable {
    /// The folder holding `taizhang.db` and its write-ahead log.
    public var dataDirectory: String
    /// How long an idempotency key is remembered, in milliseconds (24 h).
    public var idempotencyRetentionMillis: Int64
    /// Most mutations committed in one group.
    public var groupCommitMaxMutations: Int
    /// Most mutations waiting for the writer; past it submit fails with RESOURCE_EXHAUSTED.
    public var queueMaxMutations: Int
    /// Fault injection for tests: the writer waits this long after waking
    /// before it takes a group, so tests can hold mutations in the queue.
    public var faultCommitDelayMillis: Int = 0
    /// Largest size of the database file, in bytes (0: no limit beyond the
    /// disk). Past it mutations fail with RESOURCE_EXHAUSTED and change nothing.
    public var databaseMaxBytes: Int64 = 0
    /// Bytes of decoded assets kept in memory (`AssetCache`); 0 keeps none.
    public var cacheBytes = 64 << 20
    /// The depreciation policy the summary's totals are kept under (the
    /// server's: a summary must depreciate as the server's reads do).
    public var depreciationPolicy = DepreciationPolicy()
    /// Signs the heads of the journal's Merkle tree (issue 24); nil signs
    /// none (the daemon always gives its key).
    public var treeHeadKey: Ed25519SigningKey?
    /// Keys the daemon signed heads with before its present one (a key
    /// rotated): `taizhang audit verify` names a head signed by any key
    /// that is neither these nor the present one.
    public var retiredTreeHeadKeys: [Ed25519PublicKey] = []

    /// Defaults for `dataDirectory`.
    public init(dataDirectory: String, idempotencyRetentionMillis: Int64 = 24 * 3_600_000,
                groupCommitMaxMutations: Int = 1024, queueMaxMutations: Int = 65_536) {
        self.dataDirectory = dataDirectory
        self.idempotencyRetentionMillis = idempotencyRetentionMillis
        self.groupCommitMaxMutations = groupCommitMaxMutations
        self.queueMaxMutations = queueMaxMutations
    }

    /// The database the store keeps its rows in; nil: the SQLite file
    /// `databasePath`.
    public var engine: (any StoreEngine)?

    /// The database file's path.
    public var databasePath: String { dataDirectory + "/taizhang.db" }

    /// `engine`, or the SQLite file in `dataDirectory`.
    var resolvedEngine: any StoreEngine { engine ?? SQLiteEngine(path: databasePath, maxBytes: databaseMaxBytes) }
}

/// A queued mutation's ticket.
final class WriteTicket: MutationTicket {
    enum State { case queued, started, withdrawn }
    let state = Mutex(State.queued)

    func withdraw() -> Bool {
        state.withLock { state in
            switch state {
            case .queued: state = .withdrawn; return true
            case .withdrawn: return true
            case .started: return false
            }
        }
    }

    /// Marks the mutation started; false when it was withdrawn.
    func start() -> Bool {
        state.withLock { state in
            if state == .withdrawn { return false }
            state = .started
            return true
        }
    }
}

/// A mutation waiting for the writer.
struct PendingMutation: Sendable {
    let mutation: Mutation
    let context: CallerContext
    let encode: ResponseEncoder
    let completion: @Sendable (MutationReply) -> Void
    let ticket: WriteTicket
}

/// The ledger store on SQLite.
public final class SQLiteLedgerStore: LedgerStore {
    let configuration: SQLiteStoreConfiguration
    /// The database the rows are kept in.
    let engine: any StoreEngine
    let clock: any WallClock
    let state: Mutex<LedgerState>
    private let queue = Mutex(WriterQueue())
    private let wakeWriter = DispatchSemaphore(value: 0)
    private let writerStopped = DispatchSemaphore(value: 0)
    /// The writer, used by its thread alone until that stops.
    private let writerSlot: WriterSlot
    /// nil once the store is closed.
    private let reader: Mutex<SQLiteReader?>
    /// One ledger check at a time, each on a connection of its own.
    private let checking = Mutex<Int>(0)
    /// Set when the daemon stops: a check in progress ends at once.
    private let checksStopped = StopFlag()
    /// Connections for the reads that go to the file.
    let pool: ReadPool
    /// The assets read or written lately.
    let assetCache: AssetCache
    /// The projects read or written lately.
    let projectCache = ProjectCache()
    private let counters = Mutex(Counters())
    private let observers = Mutex<[@Sendable (TouchedRecords) -> Void]>([])
    private let groupObservers = Mutex<[@Sendable (GroupCommit) -> Void]>([])
    public let ledgerId: String
    private let held = Mutex<String?>(nil)
    /// The writer's id in the notices it sends other daemons.
    private let writerSlotId: String
    /// Hears the other daemons' notices (PostgreSQL); nil with SQLite.
    private let follower = Mutex<(any StoreFollower)?>(nil)
    /// Whether a probe that takes in other daemons' commits is queued.
    private let followProbeQueued = Atomic<Bool>(false)
    /// The highest head another daemon's notice named.
    private let heardHead = Atomic<UInt64>(0)

    /// @unchecked: the writer thread reads `writer` once at its start, and
    /// `close` empties it after that thread has stopped.
    final class WriterSlot: @unchecked Sendable {
        var writer: LedgerWriter?
        init(_ writer: LedgerWriter) { self.writer = writer }
    }

    struct WriterQueue {
        var pending: [PendingMutation] = []
        var writerWaiting = false
        var closing = false
    }

    struct Counters {
        var commitBatches: UInt64 = 0
        var committedMutations: UInt64 = 0
        var writable = true
    }

    /// Opens (creating and migrating when needed) the store in `configuration.dataDirectory`.
    public init(configuration: SQLiteStoreConfiguration, clock: any WallClock = SystemWallClock()) throws {
        self.configuration = configuration
        self.clock = clock
        let engine = configuration.resolvedEngine
        self.engine = engine
        let db = try engine.openWriter(nowUnixMillis: clock.nowUnixMillis())
        try AssetTotals.ensure(db, policy: configuration.depreciationPolicy, clock: clock)
        try engine.finishOpening(db)
        var ledgerId = ""
        try db.prepare("SELECT id FROM ledger_identity").query([]) { ledgerId = $0.text(0) }
        self.ledgerId = ledgerId
        // In one transaction that holds the journal (its lock, with other
        // daemons on it): the numbers and the head read together.
        try db.execute("BEGIN IMMEDIATE")
        let loaded: LedgerState
        do {
            loaded = try SQLiteLedgerStore.load(db, clock: clock, retentionMillis: configuration.idempotencyRetentionMillis)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        state = Mutex(loaded)
        reader = Mutex(SQLiteReader(connection: try engine.openReader(),
                                    policy: configuration.depreciationPolicy))
        pool = ReadPool(engine: engine)
        assetCache = AssetCache(limitBytes: configuration.cacheBytes)
        let writer = try LedgerWriter(connection: db, clock: clock, retentionMillis: configuration.idempotencyRetentionMillis,
                                      policy: configuration.depreciationPolicy, treeSize: loaded.auditHeadSeq,
                                      treeHeadKey: configuration.treeHeadKey, origin: "taizhang/" + ledgerId)
        writerSlot = WriterSlot(writer)
        writerSlotId = writer.writerId
        let thread = Thread { [self] in
            // The writer owns `db` from here on; no other thread touches it.
            // Once the loop stops, `close` releases it from the slot.
            do { let owned = self.writerSlot.writer!; self.writerLoop(owned) }
            self.writerStopped.signal()
        }
        thread.name = "taizhang-store-writer"
        thread.start()
        let started = engine.follow { [weak self] seq, writerId in self?.heardOfHead(seq, from: writerId) }
        follower.withLock { $0 = started }
    }

    /// Where the rows are kept, for logs ("SQLite /var/lib/taizhang/taizhang.db").
    public var engineDescription: String { engine.description }

    /// The schema version this build writes.
    public static var schemaVersion: Int { Migrations.newest }

    /// How many signed tree heads the ledger in `dataDirectory` holds (0:
    /// none, or no ledger yet): a daemon that lost its key must not sign
    /// with a new one unawares.
    public static func treeHeadCount(dataDirectory: String) throws -> Int {
        let path = SQLiteStoreConfiguration(dataDirectory: dataDirectory).databasePath
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let db = try SQLiteConnection(path: path, readOnly: true)
        var exists = false
        try db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'tree_heads'").query([]) { _ in exists = true }
        guard exists else { return 0 }
        var count: Int64 = 0
        try db.prepare("SELECT COUNT(*) FROM tree_heads").query([]) { count = $0.int(0) }
        return Int(count)
    }

    /// The schema version of the ledger in `dataDirectory`; 0 when there is none yet.
    public static func schemaVersion(dataDirectory: String) throws -> Int {
        let path = SQLiteStoreConfiguration(dataDirectory: dataDirectory).databasePath
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let db = try SQLiteConnection(path: path, readOnly: true)
        var version: Int64 = 0
        var exists = false
        try db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").query([]) { _ in exists = true }
        if exists { try db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").query([]) { version = $0.int(0) } }
        return Int(version)
    }

    // MARK: Reads

    public func adminUnit(code: String) -> AdminUnit? {
        state.withLock { $0.adminUnits[code] }
    }

    public func adminUnits(parentCode: String?, after: String?, limit: Int) -> Page<AdminUnit> {
        state.withLock { state in
            let keys: [String]
            if let parentCode {
                keys = (state.childCodes[parentCode] ?? []).sorted()
            } else {
                keys = state.adminOrder
            }
            return SQLiteLedgerStore.page(keys: keys, after: after, limit: limit) { state.adminUnits[$0] }
        }
    }

    public func adminSubtree(code: String) -> Set<String> {
        state.withLock { $0.subtree(of: code) }
    }

    public func project(id: String) -> Project? {
        do {
            return try loadProject(id)
        } catch {
            StoreLog.error("reading project \(id) from the ledger file failed: \(error)")
            return nil
        }
    }

    public func cachedProject(id: String) -> Project? {
        projectCache.get(id)
    }

    /// The project from the cache, else from the file (then kept: a
    /// committed project never changes).
    func loadProject(_ id: String) throws -> Project? {
        if let project = projectCache.get(id) { return project }
        let project: Project? = try pool.point { db in
            var project: Project?
            try db.cached("SELECT \(StoredRows.projectColumns) FROM projects WHERE id = ?").query([.text(id)]) { project = try StoredRows.project($0) }
            return project
        }
        if let project { projectCache.put(project) }
        return project
    }

    public func projects(adminCode: String?, year: Int?, after: String?, limit: Int) throws -> Page<Project> {
        var filter = RowConditions(inSubtreeOf: adminCode)
        if let year { filter.add("year = ?", .int(Int64(year))) }
        return try readOperations(of: "a page of projects") { db in
            try Self.page(db, table: StoredRows.projects, conditions: filter.conditions, values: filter.values, after: after, limit: limit,
                          countTotal: false, record: StoredRows.project)
        }
    }

    public func asset(id: String) -> Asset? {
        do {
            return try loadAsset(id)
        } catch {
            StoreLog.error("reading asset \(id) from the ledger file failed: \(error)")
            return nil
        }
    }

    public func cachedAsset(id: String) -> Asset? {
        assetCache.get(id)
    }

    public func assetLocations(_ ids: [String]) -> [String: String] {
        var located: [String: String] = [:]
        var unknown: [String] = []
        for id in ids {
            if let asset = assetCache.peek(id) { located[id] = asset.adminCode } else { unknown.append(id) }
        }
        guard !unknown.isEmpty else { return located }
        do {
            try pool.read { db in
                let statement = try db.cached("SELECT admin_code FROM assets WHERE id = ?")
                for id in unknown {
                    try statement.query([.text(id)]) { located[id] = $0.text(0) }
                }
            }
        } catch {
            StoreLog.error("reading where \(unknown.count) asset(s) lie from the ledger file failed: \(error)")
        }
        return located
    }

    /// The asset from the cache, else from the file (offered to the cache).
    func loadAsset(_ id: String) throws -> Asset? {
        if let asset = assetCache.get(id) { return asset }
        let stamp = assetCache.stamp(id)
        let body: AssetQuery.StoredBody? = try pool.point { db in
            var body: AssetQuery.StoredBody?
            try db.cached("SELECT body FROM assets WHERE id = ?").query([.text(id)]) { body = AssetQuery.StoredBody(id: id, bytes: $0.blob(0)) }
            return body
        }
        guard let body else { return nil }
        let asset = try body.asset()
        assetCache.offer(asset, cost: AssetCache.cost(bodyBytes: body.bytes.count), stamp: stamp)
        return asset
    }

    public func assetId(code: String) -> String? {
        do {
            return try loadAssetId(code: code)
        } catch {
            StoreLog.error("reading the ledger file for asset number \(code) failed: \(error)")
            return nil
        }
    }

    /// The id holding asset number `code`, from the file's index.
    func loadAssetId(code: String) throws -> String? {
        try pool.point { db in
            var id: String?
            try db.cached("SELECT id FROM assets WHERE code = ?").query([.text(code)]) { id = $0.text(0) }
            return id
        }
    }

    /// The assets located in `codes` (the writer's view, for a count's
    /// scope), read in one transaction and not offered to the cache.
    func loadAssets(inUnits codes: Set<String>) throws -> [String: Asset] {
        try pool.read { db in
            var byId: [String: Asset] = [:]
            let statement = try db.cached("SELECT id, body FROM assets WHERE admin_code = ?")
            for code in codes {
                var bodies: [AssetQuery.StoredBody] = []
                try statement.query([.text(code)]) { bodies.append(AssetQuery.StoredBody(id: $0.text(0), bytes: $0.blob(1))) }
                for asset in try AssetQuery.decode(bodies) { byId[asset.id] = asset }
            }
            return byId
        }
    }

    public func assets(filter: AssetFilter, after: String?, limit: Int, countTotal: Bool) throws -> Page<Asset> {
        do {
            // The page's ids come from the file; its records from the cache
            // when it holds the version the read matched, else from the file.
            return try pool.read { db in
                try AssetQuery(filter).page(db, after: after, limit: limit, countTotal: countTotal) { self.assetCache.get($0) }
            }
        } catch let error as SQLiteError {
            StoreLog.error("listing assets failed: \(error)")
            throw LedgerError(.unavailable, "the ledger file could not be read (\(error.message)); retry, and report it if it persists")
        }
    }

    public func visitAssets(filter: AssetFilter, _ body: (Asset) throws -> Void) throws {
        // Page by page, each in its own read transaction (the writer's
        // checkpoints are not held back by a long scan); what a scan reads
        // is not offered to the cache, so a scan does not evict what is hot.
        let query = AssetQuery(filter)
        var after: String?
        repeat {
            let page: Page<Asset>
            do {
                page = try pool.read { db in
                    try query.page(db, after: after, limit: SQLiteLedgerStore.visitPage, countTotal: false, inline: true)
                }
            } catch let error as SQLiteError {
                StoreLog.error("reading assets from the ledger file failed: \(error)")
                throw LedgerError(.unavailable, "the ledger file could not be read (\(error.message)); retry, and report it if it persists")
            }
            for asset in page.records { try body(asset) }
            after = page.nextAfter
        } while after != nil
    }

    public func scanAssets(filter: AssetFilter, wanted: (AssetFacts) -> Bool, _ body: (AssetFacts, Asset?) throws -> Void) throws {
        try scanAssets(filter: filter, after: nil, through: nil, wanted: wanted, body)
    }

    public func scanAssets(filter: AssetFilter, after start: String?, through: String?, wanted: (AssetFacts) -> Bool,
                           _ body: (AssetFacts, Asset?) throws -> Void) throws {
        let query = AssetQuery(filter)
        var after = start
        repeat {
            let page: AssetQuery.FactsPage
            do {
                page = try pool.read { db in
                    try query.facts(db, after: after, through: through, limit: SQLiteLedgerStore.visitPage, wanted: wanted)
                }
            } catch let error as SQLiteError {
                StoreLog.error("reading assets from the ledger file failed: \(error)")
                throw LedgerError(.unavailable, "the ledger file could not be read (\(error.message)); retry, and report it if it persists")
            }
            for (facts, record) in zip(page.facts, page.records) { try body(facts, record) }
            after = page.nextAfter
        } while after != nil
    }

    public func scanAssets(ids: [String], wanted: (AssetFacts) -> Bool, _ body: (AssetFacts, Asset?) throws -> Void) throws {
        // In pages, so that a long list does not hold one read transaction
        // (and the log's checkpoint) for long.
        for start in stride(from: 0, to: ids.count, by: SQLiteLedgerStore.visitPage) {
            let chunk = ids[start..<min(ids.count, start + SQLiteLedgerStore.visitPage)]
            // The records the cache holds are the committed ones (the writer
            // puts what it commits): only the others are read. A run focused
            // on what a group just wrote reads nothing.
            var cached: [String: Asset] = [:]
            for id in chunk { if let asset = assetCache.get(id) { cached[id] = asset } }
            let missing = chunk.filter { cached[$0] == nil }
            var read: [String: (facts: AssetFacts, record: Asset?)] = [:]
            if !missing.isEmpty {
                do {
                    let page = try pool.read { db in try AssetQuery.facts(db, ids: missing, wanted: wanted) }
                    for (facts, record) in zip(page.facts, page.records) { read[facts.id] = (facts, record) }
                } catch let error as SQLiteError {
                    StoreLog.error("reading assets from the ledger file failed: \(error)")
                    throw LedgerError(.unavailable, "the ledger file could not be read (\(error.message)); retry, and report it if it persists")
                }
            }
            for id in chunk {
                if let asset = cached[id] {
                    let facts = AssetFacts(asset)
                    try body(facts, wanted(facts) ? asset : nil)
                } else if let (facts, record) = read[id] {
                    try body(facts, record)
                }
            }
        }
    }

    public func assetRunEnds(every: Int) throws -> [String] {
        precondition(every > 0)
        do {
            return try pool.read { db in
                // The primary key's own index: ids only, no row read.
                let statement = try db.cached("SELECT id FROM assets ORDER BY id")
                try statement.start([])
                defer { statement.reset() }
                var ends: [String] = []
                var position = 0
                var last = ""
                while try statement.step() {
                    position += 1
                    if position % every == 0 { last = statement.text(0); ends.append(last) }
                }
                // A last run that would be empty is none.
                if position % every == 0, !ends.isEmpty { ends.removeLast() }
                return ends
            }
        } catch let error as SQLiteError {
            StoreLog.error("reading the asset ids from the ledger file failed: \(error)")
            throw LedgerError(.unavailable, "the ledger file could not be read (\(error.message)); retry, and report it if it persists")
        }
    }

    public func assetSummary(ledgerCode: String?, year: Int?, asOf: CivilDate) throws -> LedgerSummary {
        do {
            return try pool.read { db in
                try AssetTotals.summary(db, ledger: ledgerCode, year: year, asOf: asOf, policy: configuration.depreciationPolicy)
            }
        } catch let error as SQLiteError {
            StoreLog.error("reading the ledger's totals failed: \(error)")
            throw LedgerError(.unavailable, "the ledger file could not be read (\(error.message)); retry, and report it if it persists")
        }
    }

    /// Assets read in one read transaction of a scan.
    static let visitPage = 2_048

    /// A page of the records whose keys follow `after`, and the total matching.
    static func page<Record>(keys: [String], after: String?, limit: Int, match: (String) -> Record?) -> Page<Record> {
        var records: [Record] = []
        var total = 0
        var lastKey: String?
        var more = false
        let start = LedgerState.start(after: after, in: keys)
        // The total counts every match, before and after the page; keys before
        // the page need only be counted.
        for (index, key) in keys.enumerated() {
            guard let record = match(key) else { continue }
            total += 1
            if index >= start {
                if records.count < limit {
                    records.append(record)
                    lastKey = key
                } else {
                    more = true
                }
            }
        }
        return Page(records: records, nextAfter: more ? lastKey : nil, total: total)
    }

    public func statistics() -> StoreStatistics {
        let (counts, seq, hash) = state.withLock { state in
            ([
                "admin_unit": UInt64(state.adminUnits.count),
                "project": UInt64(state.projectCount),
                "asset": UInt64(state.assetCount),
                "entity": UInt64(state.entityCount),
                "contract": UInt64(state.contractCount),
                "report": UInt64(state.reportCount),
                "audit_entry": state.auditHeadSeq,
            ].merging(StewardshipKind.allCases.map { ($0.rawValue, UInt64(state.stewardshipCounts[$0] ?? 0)) }) { first, _ in first },
             state.auditHeadSeq, state.auditHeadHash)
        }
        let counters = self.counters.withLock { $0 }
        let bytes = engine.storageBytes()
        return StoreStatistics(recordCounts: counts, storageBytes: bytes, commitBatches: counters.commitBatches,
                               committedMutations: counters.committedMutations, auditHeadSeq: seq,
                               auditHeadHash: hash, writable: counters.writable)
    }

    // MARK: Audit

    public func snapshot(to path: String) throws -> (auditHeadSeq: UInt64, auditHeadHash: String) {
        // VACUUM INTO reads one consistent snapshot (a read transaction in WAL
        // mode: the writer is not blocked) into a new, compact file.
        try reader.withLock { reader in
            guard let reader else { throw LedgerError(.unavailable, "the store is closed") }
            guard reader.connection.dialect == .sqlite else {
                throw LedgerError(.failedPrecondition, "the ledger is kept in PostgreSQL: back it up with pg_basebackup and WAL archiving (docs/scaling.md), not with taizhang backup")
            }
            let statement = try reader.connection.prepare("VACUUM INTO ?")
            try statement.run([.text(path)])
        }
        let copy = try SQLiteConnection(path: path, readOnly: true)
        var head: (UInt64, String) = (0, AuditChain.genesisHash)
        try copy.prepare("SELECT seq, hash FROM audit_journal ORDER BY seq DESC LIMIT 1").query([]) { row in
            head = (UInt64(row.int(0)), row.text(1))
        }
        return head
    }

    public func verifyAuditChain(expectedHead: AuditHead?) throws -> AuditVerification {
        try checking.withLock { _ in
            guard !checksStopped.isSet else { throw SQLiteLedgerStore.checkStopped }
            let (headSeq, headHash) = state.withLock { ($0.auditHeadSeq, $0.auditHeadHash) }
            let connection = try engine.openReader()
            connection.stop(when: checksStopped)
            do {
                let trusted = Set(([configuration.treeHeadKey?.publicKey].compactMap { $0 } + configuration.retiredTreeHeadKeys).map(\.bytes))
                return try SQLiteReader(connection: connection, policy: configuration.depreciationPolicy, trustedTreeHeadKeys: trusted)
                    .verify(knownHeadSeq: headSeq, knownHeadHash: headHash, expectedHead: expectedHead)
            } catch let error as SQLiteError where error.code == 9 { // SQLITE_INTERRUPT
                throw SQLiteLedgerStore.checkStopped
            }
        }
    }

    public func stopChecking() {
        checksStopped.set()
    }

    static let checkStopped = LedgerError(.unavailable, "the ledger check was stopped: the daemon is stopping")

    // MARK: Entities and contracts, from the file

    public func entity(id: String) throws -> OperatingEntity? {
        try readOperations(of: "the entity \(id)", point: true) { db in
            var entity: OperatingEntity?
            try db.cached("SELECT \(StoredRows.entityColumns) FROM entities WHERE id = ?").query([.text(id)]) { entity = try StoredRows.entity($0) }
            return entity
        }
    }

    public func entities(adminCode: String?, kind: EntityKind?, after: String?, limit: Int) throws -> Page<OperatingEntity> {
        var filter = RowConditions(inSubtreeOf: adminCode)
        if let kind { filter.add("kind = ?", .text(kind.rawValue)) }
        return try readOperations(of: "a page of entities") { db in
            try Self.page(db, table: StoredRows.entities, conditions: filter.conditions, values: filter.values, after: after, limit: limit, countTotal: true,
                          record: StoredRows.entity)
        }
    }

    public func contract(id: String) throws -> OperationContract? {
        try readOperations(of: "the contract \(id)", point: true) { db in
            var contract: OperationContract?
            try db.cached("SELECT \(StoredRows.contractColumns) FROM contracts WHERE id = ?").query([.text(id)]) { contract = try StoredRows.contract($0) }
            return contract
        }
    }

    public func contracts(entityId: String?, assetId: String?, after: String?, limit: Int) throws -> Page<OperationContract> {
        try contracts(entityId: entityId, assetId: assetId, after: after, limit: limit, countTotal: true)
    }

    /// Contracts as `contracts(entityId:assetId:after:limit:)`; with
    /// `countTotal` false the page's total is 0 (the writer's reads).
    func contracts(entityId: String?, assetId: String?, after: String?, limit: Int, countTotal: Bool) throws -> Page<OperationContract> {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let entityId {
            conditions.append("entity_id = ?")
            values.append(.text(entityId))
        }
        if let assetId {
            conditions.append("asset_id = ?")
            values.append(.text(assetId))
        }
        return try readOperations(of: "a page of contracts", point: !countTotal) { db in
            try Self.page(db, table: StoredRows.contracts, conditions: conditions, values: values, after: after, limit: limit, countTotal: countTotal,
                          record: StoredRows.contract)
        }
    }

    public func entityIds() throws -> [String] {
        try readOperations(of: "the entity ids") { db in
            var ids: [String] = []
            ids.reserveCapacity(state.withLock { $0.entityCount })
            try db.cached("SELECT id FROM entities ORDER BY id").query([]) { ids.append($0.text(0)) }
            return ids
        }
    }

    public func operations(ofEntitiesIn ids: ClosedRange<String>) throws -> OperationsSnapshot {
        try readOperations(of: "the entities \(ids.lowerBound)…\(ids.upperBound)") { db in
            var snapshot = OperationsSnapshot()
            let range: [SQLValue] = [.text(ids.lowerBound), .text(ids.upperBound)]
            try db.cached("SELECT \(StoredRows.entityColumns) FROM entities WHERE id >= ? AND id <= ? ORDER BY id").query(range) { snapshot.put(try StoredRows.entity($0)) }
            var contracts: [OperationContract] = []
            try db.cached("SELECT \(StoredRows.contractColumns) FROM contracts WHERE entity_id >= ? AND entity_id <= ?").query(range) {
                contracts.append(try StoredRows.contract($0))
            }
            for contract in contracts.sorted(by: { $0.id < $1.id }) { snapshot.put(contract) }
            return snapshot
        }
    }

    public func operations(entities: Set<String>, contracts: Set<String>, assets: Set<String>) throws -> OperationsSnapshot {
        try readOperations(of: "\(entities.count) entities, \(contracts.count) contracts and \(assets.count) assets' contracts") { db in
            var found: [String: OperationContract] = [:]
            func read(_ sql: String, _ keys: Set<String>) throws {
                try db.eachKey(sql, keys.sorted()) { row in
                    let contract = try StoredRows.contract(row)
                    found[contract.id] = contract
                }
            }
            try read("SELECT \(StoredRows.contractColumns) FROM contracts WHERE id", contracts)
            try read("SELECT \(StoredRows.contractColumns) FROM contracts WHERE entity_id", entities)
            try read("SELECT \(StoredRows.contractColumns) FROM contracts WHERE asset_id", assets)
            var snapshot = OperationsSnapshot()
            try db.eachKey("SELECT \(StoredRows.entityColumns) FROM entities WHERE id", entities.union(found.values.map(\.entityId)).sorted()) {
                snapshot.put(try StoredRows.entity($0))
            }
            for id in found.keys.sorted() { snapshot.put(found[id]!) }
            return snapshot
        }
    }

    /// The id of the entity with `creditCode`, from its unique index (the writer's view).
    func loadEntityId(creditCode: String) throws -> String? {
        try pool.point { db in
            var id: String?
            try db.cached("SELECT id FROM entities WHERE credit_code = ?").query([.text(creditCode)]) { id = $0.text(0) }
            return id
        }
    }

    /// The household whose head's ID number has this keyed digest.
    func loadHouseholdId(digest: String) throws -> String? {
        try pool.point { db in
            var id: String?
            // "<> ''" lets SQLite use the partial index of contract_id (without
            // it, each lookup walked every household: an import was quadratic).
            try db.cached("SELECT id FROM stewardship_records WHERE contract_id = ? AND contract_id <> '' AND kind = 'household' ORDER BY id LIMIT 1")
                .query([.text(digest)]) { id = $0.text(0) }
            return id
        }
    }

    /// A page of `table`'s records (by `id`, its first column) that meet
    /// every one of `conditions`, in id order after `after`; with
    /// `countTotal`, how many meet them in all.
    static func page<Record>(_ db: any SQLConnection, table: StoredTable, conditions: [String], values: [SQLValue],
                             after: String?, limit: Int, countTotal: Bool, record: (any SQLStatement) throws -> Record) throws -> Page<Record> {
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        var total = 0
        if countTotal {
            try db.cached("SELECT COUNT(*) FROM \(table.name)\(filter)").query(values) { total = Int($0.int(0)) }
        }
        let paged = (conditions + (after == nil ? [] : ["id > ?"])).joined(separator: " AND ")
        let sql = "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name)\(paged.isEmpty ? "" : " WHERE " + paged) ORDER BY id LIMIT ?"
        var records: [Record] = []
        var lastKey: String?
        var more = false
        // One row past the page tells whether more follow.
        let fetch = limit == .max ? Int64.max : Int64(limit) + 1
        try db.cached(sql).query(values + (after.map { [.text($0)] } ?? []) + [.int(fetch)]) { row in
            guard records.count < limit else {
                more = true
                return
            }
            records.append(try record(row))
            lastKey = row.text(0)
        }
        return Page(records: records, nextAfter: more ? lastKey : nil, total: total)
    }

    public func reports(ofEntities entityIds: [String]) throws -> [String: ReportsByQuarter] {
        try readOperations(of: "the reports of \(entityIds.count) entities") { db in
            let statement = try db.cached("SELECT \(StoredRows.reportColumns) FROM reports WHERE entity_id = ? ORDER BY quarter")
            var byEntity: [String: ReportsByQuarter] = Dictionary(minimumCapacity: entityIds.count)
            for id in entityIds {
                // Room for two years' reports before the storage grows.
                var reports = ReportsByQuarter(minimumCapacity: 8)
                try statement.query([.text(id)]) { row in
                    let report = try StoredRows.report(row)
                    reports[report.quarter] = report
                }
                if !reports.isEmpty { byEntity[id] = reports }
            }
            return byEntity
        }
    }

    public func scoringRecords(ofEntitiesIn ids: ClosedRange<String>) throws -> [ScoringRecords] {
        try readOperations(of: "the entities \(ids.lowerBound)…\(ids.upperBound) with their contracts and reports") { db in
            let range: [SQLValue] = [.text(ids.lowerBound), .text(ids.upperBound)]
            var found: [ScoringRecords] = []
            try db.cached("SELECT \(StoredRows.entityColumns) FROM entities WHERE id >= ? AND id <= ? ORDER BY id").query(range) {
                found.append(ScoringRecords(entity: try StoredRows.entity($0)))
            }
            // Contracts and reports come in entity order too: each joins
            // the entity at or after the last one joined.
            var next = 0
            func position(of entityId: String) -> Int? {
                while next < found.count, found[next].entity.id < entityId { next += 1 }
                return next < found.count && found[next].entity.id == entityId ? next : nil
            }
            try db.cached("SELECT \(StoredRows.contractColumns) FROM contracts WHERE entity_id >= ? AND entity_id <= ? ORDER BY entity_id, id")
                .query(range) { row in
                    let contract = try StoredRows.contract(row)
                    if let index = position(of: contract.entityId) { found[index].contracts.append(contract) }
                }
            next = 0
            var lists = StoredList.Interner()
            try db.cached("SELECT \(StoredRows.scoredReportColumns) FROM reports WHERE entity_id >= ? AND entity_id <= ? ORDER BY entity_id, quarter")
                .query(range) { row in
                    let report = try StoredRows.report(row, bookkeeping: false, lists: &lists)
                    guard let index = position(of: report.entityId) else { return }
                    // Room for two years' reports before the storage grows.
                    if found[index].reports.isEmpty { found[index].reports = ReportsByQuarter(minimumCapacity: 8) }
                    found[index].reports.put(report)
                }
            return found
        }
    }

    /// `body` in a read transaction (or, `point`, on a connection with
    /// none: one statement), its failures as the calls report them.
    func readOperations<T>(of what: @autoclosure () -> String, point: Bool = false,
                                   _ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try point ? pool.point(body) : pool.read(body)
        } catch let error as LedgerError {
            // The body's own answer (a size past the journal, a tree that lacks a hash).
            if error.code == .dataLoss { StoreLog.error("reading \(what()) from the ledger file failed: \(error)") }
            throw error
        } catch let error as StoredRowError {
            // A row no record can give: changed behind the daemon's back (retrying will not help).
            StoreLog.error("reading \(what()) from the ledger file failed: \(error)")
            throw LedgerError(.dataLoss, "\(error); run `taizhang audit verify` to see what changed in the ledger file")
        } catch {
            StoreLog.error("reading \(what()) from the ledger file failed: \(error)")
            throw LedgerError(.unavailable, "\(what()) could not be read from the ledger file; retry, and report it if it persists")
        }
    }

    /// One report, from the file (the writer's view).
    func loadReport(of entityId: String, _ quarter: Quarter) throws -> QuarterReport? {
        try pool.point { db in
            var report: QuarterReport?
            try db.cached("SELECT \(StoredRows.reportColumns) FROM reports WHERE entity_id = ? AND quarter = ?")
                .query([.text(entityId), .text(quarter.description)]) { report = try StoredRows.report($0) }
            return report
        }
    }


    public func observeCommits(_ observer: @escaping @Sendable (TouchedRecords) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    public func observeGroupCommits(_ observer: @escaping @Sendable (GroupCommit) -> Void) {
        groupObservers.withLock { $0.append(observer) }
    }

    public func auditEntries(recordId: String?, afterSeq: UInt64, limit: Int) throws -> [AuditEntry] {
        try reader.withLock { reader in
            guard let reader else { throw LedgerError(.unavailable, "the store is closed") }
            return try reader.entries(recordId: recordId, afterSeq: afterSeq, limit: limit)
        }
    }

    public func latestAuditEntry(recordId: String) throws -> AuditEntry? {
        try reader.withLock { reader in
            guard let reader else { throw LedgerError(.unavailable, "the store is closed") }
            var entry: AuditEntry?
            // The index on (record_id, seq), walked from its end.
            try reader.connection.cached("""
                SELECT seq, time, identity, actor, method, request_id, request_sha256, record_kind, record_id,
                       before_json, after_json, prev_hash, hash, idempotency_key FROM audit_journal
                WHERE record_id = ? ORDER BY seq DESC LIMIT 1
                """).query([.text(recordId)]) { entry = SQLiteReader.entry($0) }
            return entry
        }
    }

    // MARK: Mutations

    public func submit(_ mutation: Mutation, context: CallerContext, encode: @escaping ResponseEncoder,
                       completion: @escaping @Sendable (MutationReply) -> Void) -> any MutationTicket {
        let ticket = WriteTicket()
        if let reason = held.withLock({ $0 }) {
            switch mutation {
            case .probe, .acceptHead: break
            default:
                completion(.failure(LedgerError(.failedPrecondition, reason)))
                return ticket
            }
        }
        let pending = PendingMutation(mutation: mutation, context: context, encode: encode, completion: completion, ticket: ticket)
        enum Admission { case queued(wake: Bool), full, closing }
        let admission: Admission = queue.withLock { queue in
            if queue.closing { return .closing }
            if queue.pending.count >= configuration.queueMaxMutations { return .full }
            queue.pending.append(pending)
            if queue.writerWaiting {
                queue.writerWaiting = false
                return .queued(wake: true)
            }
            return .queued(wake: false)
        }
        switch admission {
        case .queued(let wake):
            if wake { wakeWriter.signal() }
        case .full:
            completion(.failure(LedgerError(.resourceExhausted, "the store has \(configuration.queueMaxMutations) mutations waiting to be written; retry shortly")))
        case .closing:
            completion(.failure(LedgerError(.unavailable, "the store is closing; retry against the restarted daemon")))
        }
        return ticket
    }

    public var heldReason: String? { held.withLock { $0 } }

    public func hold(_ reason: String?) {
        held.withLock { $0 = reason }
    }

    public func close() {
        let alreadyClosing = queue.withLock { queue in
            let was = queue.closing
            queue.closing = true
            if queue.writerWaiting { queue.writerWaiting = false; return (was, true) }
            return (was, false)
        }
        if alreadyClosing.0 { return }
        follower.withLock { $0?.stop(); $0 = nil }
        if alreadyClosing.1 { wakeWriter.signal() }
        writerStopped.wait()
        // Every connection is closed before `close` returns, the readers
        // first: the writer's, closed last, checkpoints the write-ahead log
        // into the file and removes it, and another process may then lock
        // the file at once (a backup, an operator's sqlite3).
        reader.withLock { $0 = nil }
        pool.closeAll()
        writerSlot.writer = nil
    }

    private func writerLoop(_ writer: LedgerWriter) {
        while true {
            let (batch, closing): ([PendingMutation], Bool) = queue.withLock { queue in
                if queue.pending.isEmpty {
                    if !queue.closing { queue.writerWaiting = true }
                    return ([], queue.closing)
                }
                let count = min(queue.pending.count, configuration.groupCommitMaxMutations)
                let batch = Array(queue.pending.prefix(count))
                queue.pending.removeFirst(count)
                return (batch, false)
            }
            if batch.isEmpty {
                if closing { break }
                wakeWriter.wait()
                if configuration.faultCommitDelayMillis > 0 {
                    usleep(UInt32(configuration.faultCommitDelayMillis) * 1000)
                }
                continue
            }
            let started = batch.filter { $0.ticket.start() }
            if started.isEmpty { continue }
            let commitStarted = clock.monotonicNanos()
            let result = writer.commit(started, committed: self)
            defer { writer.assetBytes.removeAll(keepingCapacity: true) }
            let group = GroupCommit(mutations: started.count, durable: result.durable,
                                    nanos: clock.monotonicNanos() &- commitStarted)
            if result.durable {
                state.withLock { result.overlay.apply(to: &$0) }
                for project in result.overlay.records.projects.values { projectCache.put(project) }
                let written = result.overlay.records.assets
                if written.count <= AssetCache.groupPutMax {
                    for (id, asset) in written {
                        assetCache.put(asset, cost: AssetCache.cost(bodyBytes: writer.assetBytes[id] ?? 1_024))
                    }
                } else {
                    assetCache.forget(written.keys)
                }
                counters.withLock {
                    $0.commitBatches += 1
                    $0.committedMutations += UInt64(result.appliedCount)
                    $0.writable = true
                }
                // An accepted hold is released before anyone hears of it; a
                // hold raised after the operator looked stays.
                held.withLock { reason in
                    if let current = reason, result.overlay.acceptedHolds.contains(current) { reason = nil }
                }
            } else {
                counters.withLock { $0.writable = false }
            }
            // Those keeping something derived hear of the change before the
            // callers do, so a caller's next call finds it already known;
            // of what other daemons committed too.
            if let foreign = result.foreign, !foreign.kinds.isEmpty {
                for observer in observers.withLock({ $0 }) { observer(foreign) }
            }
            if result.durable, !result.overlay.records.kinds.isEmpty {
                for observer in observers.withLock({ $0 }) { observer(result.overlay.records.touched) }
            }
            for (pending, reply) in zip(started, result.replies) {
                pending.completion(reply)
            }
            // Metrics, after the callers have their answers; the watchdog's
            // probes alone are not a commit anyone waited for.
            if !started.allSatisfy({ if case .probe = $0.mutation { return true } else { return false } }) {
                for observer in groupObservers.withLock({ $0 }) { observer(group) }
            }
        }
    }

    // MARK: Several daemons

    /// With several daemons on one ledger (PostgreSQL), called by the
    /// writer once it holds the journal's lock: when the journal grew past
    /// `known` (the head the writer's frontier stands at), the in-memory
    /// state is read again and the records the new entries name leave the
    /// caches. Returns the state to publish (the writer publishes it once
    /// its frontier is read too), what changed, and whether all of it was
    /// read again (a journal that went back, or forked); nil when nothing changed.
    func takeInForeignCommits(_ db: any SQLConnection, known: UInt64) throws -> (state: LedgerState, touched: TouchedRecords, reloaded: Bool)? {
        var head: UInt64 = 0
        try db.cached("SELECT COALESCE(MAX(seq), 0) FROM audit_journal").query([]) { head = UInt64($0.int(0)) }
        guard head != known else { return nil }
        var touched = TouchedRecords()
        // Bounded, and with its count: PostgreSQL plans a prepared statement
        // once for any value, and `seq > ?` alone is planned as a third of
        // the journal, read and sorted; this, as a walk of the key's index.
        try db.cached("SELECT record_kind, record_id FROM audit_journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?")
            .query([.int(Int64(known)), .int(Int64(head)), .int(max(0, Int64(head) - Int64(known)))]) { row in
            let (kind, id) = (row.text(0), row.text(1))
            touched.kinds.insert(kind)
            switch kind {
            case "asset": touched.assets.insert(id)
            case "entity": touched.entities.insert(id)
            case "contract": touched.contracts.insert(id)
            case "project": touched.projects.insert(id)
            case "admin_unit": touched.units.insert(id)
            default: break
            }
        }
        assetCache.forget(touched.assets)
        // Only what the kinds of the new entries can have changed is read
        // again, when they extend the journal this state was made from
        // (not after a journal that went back, or forked: everything then).
        let base = state.withLock { $0 }
        var extends = head > known && base.auditHeadSeq == known
        if extends, known > 0 {
            var hash = ""
            try db.cached("SELECT hash FROM audit_journal WHERE seq = ?").query([.int(Int64(known))]) { hash = $0.text(0) }
            extends = hash == base.auditHeadHash
        }
        let loaded = try SQLiteLedgerStore.load(db, clock: clock, retentionMillis: configuration.idempotencyRetentionMillis,
                                                refreshing: extends ? touched.kinds : nil, of: base, newAssets: touched.assets)
        // A journal that went back or forked may have changed any record:
        // none cached stands.
        if !extends { assetCache.forgetAll() }
        StoreLog.debug("took in entries \(known + 1)…\(head) of other daemons")
        return (loaded, touched, !extends)
    }

    /// A daemon on the same ledger committed up to `seq` (its notice): the
    /// writer takes it in with a probe, one at a time, unless it knows it.
    /// A notice heard while the probe was queued is kept (the highest
    /// head): when the probe ends short of it, another is queued. Head 0:
    /// the follower connected again and may have missed notices; one
    /// probe looks.
    func heardOfHead(_ seq: UInt64, from writerId: String) {
        guard writerId != writerSlotId else { return }
        if seq > 0 {
            heardHead.max(seq, ordering: .relaxed)
            guard heardHead.load(ordering: .relaxed) > state.withLock({ $0.auditHeadSeq }) else { return }
        }
        guard !followProbeQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let context = CallerContext(identity: "taizhangd", actor: "", method: "follow", requestId: "follow-\(seq)", requestSHA256: "",
                                    idempotencyKey: nil)
        _ = submit(.probe, context: context, encode: { _ in [] }) { [weak self] reply in
            guard let self else { return }
            self.followProbeQueued.store(false, ordering: .releasing)
            // A failed probe (the database away) is retried by the next notice, or the follower's reconnection.
            if case .success = reply, self.heardHead.load(ordering: .relaxed) > self.state.withLock({ $0.auditHeadSeq }) {
                self.heardOfHead(self.heardHead.load(ordering: .relaxed), from: "")
            }
        }
    }

    // MARK: Loading

    /// The committed state (statements kept with the connection: the
    /// writer of a shared ledger loads it again at each take-in).
    /// With `kinds` (a take-in of other daemons' entries), only the parts
    /// of `base` that records of those kinds change are read again; an
    /// unknown kind reads everything.
    static func load(_ db: any SQLConnection, clock: any WallClock, retentionMillis: Int64,
                     refreshing kinds: Set<String>? = nil, of base: LedgerState? = nil, newAssets: Set<String> = []) throws -> LedgerState {
        let stewardshipKinds = Set(StewardshipKind.allCases.map(\.rawValue))
        let partial = kinds.map { $0.isSubset(of: Set(["asset", "entity", "contract", "report", "project", "admin_unit", LedgerNotes.personalDataRead]).union(stewardshipKinds)) } ?? false
        var state = partial ? (base ?? LedgerState()) : LedgerState()
        func reads(_ kind: String) -> Bool { !partial || kinds?.contains(kind) == true }
        if reads("admin_unit") {
            var units = LedgerState()
            try db.cached("SELECT record_json FROM admin_units ORDER BY code").query([]) { row in
                units.put(try AdminUnit(recordJSON: row.text(0)))
            }
            (state.adminUnits, state.childCodes, state.adminOrder) = (units.adminUnits, units.childCodes, units.adminOrder)
        }
        try loadCounts(db, into: &state, reads: reads, stewardship: !partial || kinds?.isDisjoint(with: stewardshipKinds) == false,
                       newAssets: partial ? newAssets : nil)
        // Answers kept for idempotency keys stay in the file (the writer
        // reads them by key); expired ones go now, through their index.
        if !partial {
            let oldest = clock.nowUnixMillis() - retentionMillis
            try db.cached("DELETE FROM idempotency WHERE created_unix_ms < ?").run([.int(oldest)])
        }
        try db.cached("SELECT seq, hash FROM audit_journal ORDER BY seq DESC LIMIT 1").query([]) { row in
            state.auditHeadSeq = UInt64(row.int(0))
            state.auditHeadHash = row.text(1)
        }
        // The newest head the journal holds (one past its end, after a cut, is not the tree's).
        state.treeHead = nil
        try db.cached("SELECT \(MerkleRows.headColumns) FROM tree_heads WHERE size <= ? ORDER BY size DESC LIMIT 1")
            .query([.int(Int64(state.auditHeadSeq))]) { row in
                let (head, key) = MerkleRows.head(row)
                state.treeHead = (try? Ed25519PublicKey(bytes: key)).map { (head, $0) }
            }
        return state
    }

    /// The counts and highest numbers of the records `reads` names by kind.
    /// `newAssets`: on a take-in, the ids the new entries name, whose
    /// highest number is the last one given (ids only grow), so the key's
    /// end is not read (a statement PostgreSQL planned while the table
    /// was small may walk it all).
    private static func loadCounts(_ db: any SQLConnection, into state: inout LedgerState, reads: (String) -> Bool,
                                   stewardship: Bool, newAssets: Set<String>?) throws {
        // Projects stay in the file (read by id through `ProjectCache`): only their count.
        if reads("project") { try db.cached("SELECT COUNT(*) FROM projects").query([]) { state.projectCount = Int($0.int(0)) } }
        // Assets stay in the file: only their count, from the whole
        // ledger's rows of `unit_counts` (a few rows, where counting the
        // table walks an index of every asset: 0.1–0.2 s at a million), and
        // the highest number (the end of the key).
        if reads("asset") {
            try db.cached("SELECT COALESCE(SUM(assets), 0) FROM unit_counts WHERE unit_code = ''").query([]) { state.assetCount = Int($0.int(0)) }
            if let newAssets {
                state.lastAssetNumber = max(state.lastAssetNumber, newAssets.compactMap { AssetIdentifiers.number(of: $0) }.max() ?? 0)
            } else {
                try db.cached("SELECT MAX(id) FROM assets WHERE id >= 'ZC' AND id < 'ZD'").query([]) { row in
                    state.lastAssetNumber = AssetIdentifiers.number(of: row.text(0)) ?? 0
                }
            }
        }
        // Entities and contracts stay in the file: only their counts and
        // highest numbers (ids are a prefix and eight digits: the highest
        // sorts last).
        if reads("entity") {
            try db.cached("SELECT COUNT(*) FROM entities").query([]) { state.entityCount = Int($0.int(0)) }
            try db.cached("SELECT MAX(id) FROM entities WHERE id >= 'ZT' AND id < 'ZU'").query([]) { row in
                state.lastEntityNumber = OperationsIdentifiers.number(of: row.text(0), prefix: "ZT") ?? 0
            }
        }
        if reads("contract") {
            try db.cached("SELECT COUNT(*) FROM contracts").query([]) { state.contractCount = Int($0.int(0)) }
            try db.cached("SELECT MAX(id) FROM contracts WHERE id >= 'HT' AND id < 'HU'").query([]) { row in
                state.lastContractNumber = OperationsIdentifiers.number(of: row.text(0), prefix: "HT") ?? 0
            }
        }
        // Reports stay in the file: only their number.
        if reads("report") { try db.cached("SELECT COUNT(*) FROM reports").query([]) { state.reportCount = Int($0.int(0)) } }
        // Stewardship records stay in the file: only their counts and
        // highest numbers (a prefix and eight digits: the highest sorts last).
        guard stewardship else { return }
        state.stewardshipCounts = [:]
        state.stewardshipNumbers = [:]
        try db.cached("SELECT kind, COUNT(*), MAX(id) FROM stewardship_records GROUP BY kind").query([]) { row in
            guard let kind = StewardshipKind(rawValue: row.text(0)) else {
                throw SQLiteError(code: 0, message: "stewardship_records holds an unknown kind \"\(row.text(0))\"; use a newer taizhangd")
            }
            state.stewardshipCounts[kind] = Int(row.int(1))
            state.stewardshipNumbers[kind] = OperationsIdentifiers.number(of: row.text(2), prefix: kind.idPrefix) ?? 0
        }
    }
}

/// The read-only connection for audit queries.
struct SQLiteReader: @unchecked Sendable {
    // @unchecked: the connection is only used inside the store's Mutex.
    let connection: any SQLConnection
    /// The policy the summary's totals are kept under.
    let policy: DepreciationPolicy
    /// The keys tree heads may be signed with (empty: any stored beside them).
    var trustedTreeHeadKeys: Set<[UInt8]> = []

    func verify(knownHeadSeq: UInt64, knownHeadHash: String, expectedHead: AuditHead? = nil) throws -> AuditVerification {
        var previous: (seq: UInt64, hash: String)?
        var checked: UInt64 = 0
        var broken: (UInt64, String)?
        var expectedFound: String?
        let statement = try connection.prepare("""
            SELECT seq, time, identity, actor, method, request_id, request_sha256, record_kind, record_id,
                   before_json, after_json, prev_hash, hash, idempotency_key FROM audit_journal ORDER BY seq
            """)
        try connection.execute("BEGIN")
        defer { try? connection.execute("COMMIT") }
        var merkle = try MerkleCheck(connection, trusted: trustedTreeHeadKeys)
        try statement.query([]) { row in
            let entry = SQLiteReader.entry(row)
            // The tree is checked over every row, past a broken link too.
            try merkle.add(entry)
            guard broken == nil else { return }
            checked += 1
            if let problem = AuditChain.problem(with: entry, after: previous) {
                broken = (previous.map { $0.seq + 1 } ?? 1, problem)
                return
            }
            previous = (entry.seq, entry.hash)
            if entry.seq == expectedHead?.seq { expectedFound = entry.hash }
        }
        if broken == nil, let expectedHead, expectedFound != expectedHead.hash {
            broken = (expectedHead.seq, expectedFound.map { "the journal does not extend the head given: entry \(expectedHead.seq) has hash \($0), not \(expectedHead.hash)" }
                ?? "the journal does not extend the head given: it ends at entry \(previous?.seq ?? 0), before entry \(expectedHead.seq) (cut short?)")
        }
        if broken == nil {
            let lastSeq = previous?.seq ?? 0
            if lastSeq < knownHeadSeq {
                broken = (lastSeq + 1, "entries \(lastSeq + 1)…\(knownHeadSeq) are missing (deleted from the end?)")
            } else if lastSeq == knownHeadSeq, lastSeq > 0, previous?.hash != knownHeadHash {
                broken = (lastSeq, "the newest entry's hash differs from the one this daemon wrote")
            }
        }
        var result = AuditVerification(intact: broken == nil, entriesChecked: checked, firstBrokenSeq: broken?.0 ?? 0,
                                       problem: broken?.1 ?? "", headSeq: previous?.seq ?? 0,
                                       headHash: previous?.hash ?? AuditChain.genesisHash)
        // The rows against the journal, in the same read transaction.
        var check = LedgerCheck(policy: policy)
        try check.run(connection)
        try merkle.finish()
        result.rowsChecked = check.rowsChecked
        result.mismatchCount = check.mismatchCount + merkle.problemCount
        result.mismatches = merkle.problems + check.mismatches.prefix(LedgerCheck.listedMax - merkle.problems.count)
        return result
    }

    func entries(recordId: String?, afterSeq: UInt64, limit: Int) throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        let columns = """
            SELECT seq, time, identity, actor, method, request_id, request_sha256, record_kind, record_id,
                   before_json, after_json, prev_hash, hash, idempotency_key FROM audit_journal
            """
        if let recordId {
            try connection.prepare(columns + " WHERE record_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .query([.text(recordId), .int(Int64(clamping: afterSeq)), .int(Int64(limit))]) { entries.append(SQLiteReader.entry($0)) }
        } else {
            try connection.prepare(columns + " WHERE seq > ? ORDER BY seq LIMIT ?")
                .query([.int(Int64(clamping: afterSeq)), .int(Int64(limit))]) { entries.append(SQLiteReader.entry($0)) }
        }
        return entries
    }

    static func entry(_ row: any SQLStatement) -> AuditEntry {
        AuditEntry(seq: UInt64(row.int(0)), time: row.text(1), identity: row.text(2), actor: row.text(3),
                   method: row.text(4), requestId: row.text(5), requestSHA256: row.text(6), recordKind: row.text(7),
                   recordId: row.text(8), beforeJSON: row.text(9), afterJSON: row.text(10), prevHash: row.text(11),
                   hash: row.text(12), idempotencyKey: row.text(13))
    }
}
