// The writer side of the SQLite store: plans each mutation against the
// committed state plus what earlier mutations of the same group changed,
// writes it and its audit entries inside a savepoint, and commits the group.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangRecords

/// What a group did, applied to the in-memory state after COMMIT: its
/// records and the audit head. (Answers kept for idempotency keys stay in
/// the file: the writer reads them by key.)
struct Overlay {
    var records = GroupChanges()
    var auditHeadSeq: UInt64?
    var auditHeadHash: String?
    /// The holds operators accepted in this group (their reasons): the
    /// store releases its hold if it is one of them.
    var acceptedHolds: [String] = []
    /// The tree head signed in this group, if one was.
    var treeHead: (head: SignedTreeHead, key: Ed25519PublicKey)?

    func apply(to state: inout LedgerState) {
        // Parents before children: codes sort that way.
        for code in records.adminUnits.keys.sorted() { state.put(records.adminUnits[code]!) }
        // Projects are only ever created (no method changes one): each in the group is new.
        state.projectCount += records.projects.count
        state.took(records.assets.values, added: records.assetsAdded)
        state.took(entities: records.entities.values, added: records.entitiesAdded)
        state.took(contracts: records.contracts.values, added: records.contractsAdded)
        state.reportCount += records.reportsAdded
        state.took(stewardship: records.stewardship.values, added: records.stewardshipAdded)
        if let seq = auditHeadSeq, let hash = auditHeadHash {
            state.auditHeadSeq = seq
            state.auditHeadHash = hash
        }
        if let treeHead { state.treeHead = treeHead }
    }
}

/// A row of `unit_counts`: a unit ('' the whole ledger) and a stage.
struct UnitCount: Hashable {
    var unit: String
    var stage: String
}

/// The first read of the file a decision could not make.
final class ReadFailure: Sendable {
    let error = Mutex<(any Error)?>(nil)

    /// `body`'s value, or `fallback` after noting the error.
    func value<T>(_ fallback: T, _ body: () throws -> T) -> T {
        do {
            return try body()
        } catch {
            StoreLog.error("the writer could not read the ledger file: \(error)")
            self.error.withLock { if $0 == nil { $0 = error } }
            return fallback
        }
    }
}

/// The committed ledger as the rules read it. A read of the file that
/// fails is noted in `failure`: the decision made on it is refused.
struct CommittedView: LedgerView {
    let store: SQLiteLedgerStore
    var failure = ReadFailure()

    func adminUnit(_ code: String) -> AdminUnit? { store.state.withLock { $0.adminUnits[code] } }
    func subtree(of code: String) -> Set<String> { store.state.withLock { $0.subtree(of: code) } }
    func project(_ id: String) -> Project? { failure.value(nil) { try store.loadProject(id) } }
    func asset(_ id: String) -> Asset? { failure.value(nil) { try store.loadAsset(id) } }
    func assets(inUnits codes: Set<String>) -> [String: Asset] { failure.value([:]) { try store.loadAssets(inUnits: codes) } }
    func assetHolder(ofCode code: String) -> String? { failure.value(nil) { try store.loadAssetId(code: code) } }
    func entity(_ id: String) -> OperatingEntity? { failure.value(nil) { try store.entity(id: id) } }
    func entityHolder(ofCreditCode code: String) -> String? { failure.value(nil) { try store.loadEntityId(creditCode: code) } }
    func householdHolder(ofDigest digest: String) -> String? { failure.value(nil) { try store.loadHouseholdId(digest: digest) } }
    func households(inUnit code: String) -> [Household] {
        failure.value([]) {
            try store.stewardshipRecords(StewardshipFilter(.household, adminCode: code), after: nil, limit: .max).records.compactMap { record in
                if case .household(let household) = record { return household } else { return nil }
            }
        }
    }
    func contract(_ id: String) -> OperationContract? { failure.value(nil) { try store.contract(id: id) } }
    func contracts(ofAsset id: String) -> [OperationContract] {
        failure.value([]) { try store.contracts(entityId: nil, assetId: id, after: nil, limit: .max, countTotal: false).records }
    }
    func report(of entityId: String, _ quarter: Quarter) -> QuarterReport? {
        failure.value(nil) { try store.loadReport(of: entityId, quarter) }
    }
    func reports(of entityId: String) -> ReportsByQuarter { failure.value([:]) { try store.reports(of: entityId) } }
    func record(_ kind: StewardshipKind, _ id: String) -> StewardshipRecord? { failure.value(nil) { try store.stewardshipRecord(kind, id: id) } }
    func plan(distributing incomeId: String) -> String? { failure.value(nil) { try store.plans(distributing: [incomeId])[incomeId] } }
    func stockTakes(ofUnit code: String) -> [StockTake] {
        failure.value([]) {
            // A unit's own counts, not those of the units under it.
            var filter = StewardshipFilter(.stockTake, adminCode: code)
            filter.unitOnly = true
            return try store.stewardshipRecords(filter, after: nil, limit: .max).records.compactMap { record in
                if case .stockTake(let count) = record { return count } else { return nil }
            }
        }
    }
    func disposals(ofAsset id: String) -> [DisposalEntry] {
        failure.value([]) {
            try store.stewardshipRecords(StewardshipFilter(.disposal, assetId: id), after: nil, limit: .max).records.compactMap { record in
                if case .disposal(let entry) = record { return entry } else { return nil }
            }
        }
    }
}

/// What committing a group produced.
struct CommitResult {
    /// Whether COMMIT succeeded (false: nothing of the group was applied).
    var durable: Bool
    var overlay: Overlay
    /// One reply per mutation, in order.
    var replies: [MutationReply]
    var appliedCount: Int
    /// What other daemons committed, taken in before the group (several
    /// daemons on one PostgreSQL ledger).
    var foreign: TouchedRecords?
}

extension CommitResult {
    /// Nothing of `batch` applied: the ledger could not be written.
    init(failing batch: [PendingMutation], foreign: TouchedRecords? = nil) {
        self.init(durable: false, overlay: Overlay(), replies: batch.map { _ in .failure(LedgerWriter.storageFailure) }, appliedCount: 0, foreign: foreign)
    }
}

/// Idempotency keys as the ledger held them when a group began.
struct GroupKeys {
    typealias Answer = (method: String, requestSHA256: String, response: [UInt8], createdUnixMillis: Int64)
    typealias Entry = (method: String, sha: String, kind: String, id: String, after: String)
    /// Stored answers, by key.
    var answers: [String: Answer] = [:]
    /// The journal's entries recorded under each key within the retention, in order.
    var journaled: [String: [Entry]] = [:]
}

/// Writes groups of mutations on the writer thread.
/// @unchecked Sendable: it is handed to the writer thread once, at start, and
/// used only there.
final class LedgerWriter: @unchecked Sendable {
    private let db: any SQLConnection
    private let clock: any WallClock
    private let retentionMillis: Int64
    private let insertAdminUnit: any SQLStatement
    private let findPath: any SQLStatement
    /// Plain inserts, in a group sent whole; upserts, with savepoints.
    private let placeAsset: (plain: RowsInsert, upsert: RowsInsert)
    private let unplaceAsset: any SQLStatement
    private let insertProject: any SQLStatement
    private let insertAsset: any SQLStatement
    private let updateAsset: any SQLStatement
    private let insertAudit: any SQLStatement
    private let insertMerkle: (plain: RowsInsert, upsert: RowsInsert)
    private let insertTreeHead: any SQLStatement
    /// The right edge of the journal's Merkle tree as written so far (the
    /// group's appends included), and as it was when the group and the
    /// mutation began (restored when they are rolled back).
    private var frontier: MerkleFrontier
    /// Whether every stored hash the frontier needed was there at open: a
    /// frontier made with a missing one signs no head (its roots would be wrong).
    private var frontierComplete: Bool
    /// Whether other daemons append to the same journal (PostgreSQL): each
    /// group first takes in what they committed since this writer's last.
    private let sharesJournal: Bool
    /// Sent with each group's notice to the other daemons, so this one's
    /// follower knows its own.
    let writerId = String(UInt64.random(in: 1...UInt64.max), radix: 36)
    private var frontierAtGroup = MerkleFrontier()
    /// Signs the tree heads; nil: none are signed.
    private let treeHeadKey: Ed25519SigningKey?
    private let origin: String
    private let findKeyed: any SQLStatement
    private let findIdempotency: any SQLStatement
    private let upsertIdempotency: any SQLStatement
    private let pruneIdempotency: any SQLStatement
    private let upsertEntity: any SQLStatement
    private let upsertContract: any SQLStatement
    private let upsertReport: any SQLStatement
    private let upsertStewardship: any SQLStatement
    private let stewardshipIndexes: StewardshipIndexes
    private let addTotals: any SQLStatement
    private let dropEmptyTotals: any SQLStatement
    private let policy: DepreciationPolicy
    private var groupsSincePrune = 0
    /// When expired answers were last pruned (Unix ms).
    private var prunedAtMillis: Int64
    /// What the group's applied mutations change in `asset_totals`, written
    /// once before COMMIT (fifteen registrations in one village touch the
    /// same four rows: one update each, not sixty).
    private var groupTotals: [AssetTotals.Key: AssetTotals.Sums] = [:]
    /// The same for the mutation being written; taken into the group's
    /// when its savepoint is released, dropped when it is rolled back.
    private var mutationTotals: [AssetTotals.Key: AssetTotals.Sums] = [:]
    /// The same for `unit_counts`, by unit and stage.
    private var groupCounts: [UnitCount: Int64] = [:]
    private var mutationCounts: [UnitCount: Int64] = [:]
    /// Paths read during the group (`path(of:)`), and those of committed
    /// units (a unit's path never changes once it is written), kept
    /// across groups up to `committedPathsMax`, and dropped when a take-in
    /// of other daemons' commits reads everything again (a journal
    /// restored behind the daemon may have put a unit elsewhere).
    private var groupPaths: [String: String] = [:]
    private var committedPaths: [String: String] = [:]
    static let committedPathsMax = 65_536
    /// The idempotency keys whose answers the group wrote, and the replies
    /// that replayed one of them: those replies depend on the group.
    private var keysOfGroup: Set<String> = []
    private var repliesOfGroup: Set<Int> = []
    private let addCount: any SQLStatement
    private let dropEmptyCount: any SQLStatement
    /// The group's keys, read at its start (`readGroupKeys`).
    private var groupKeys: GroupKeys?
    /// Whether the group is sent whole, without savepoints: its unit rows
    /// and tree hashes are then plain inserts (no row can be there before
    /// them; one that is fails the group, which is written again with
    /// savepoints, and with upserts that replace such a row).
    private var sendsWhole = false
    /// The stored length of each asset written since the store last took
    /// them (what a record costs the cache).
    var assetBytes: [String: Int] = [:]

    init(connection db: any SQLConnection, clock: any WallClock, retentionMillis: Int64, policy: DepreciationPolicy,
         treeSize: UInt64, treeHeadKey: Ed25519SigningKey?, origin: String) throws {
        self.db = db
        self.policy = policy
        self.treeHeadKey = treeHeadKey
        self.origin = origin
        (frontier, frontierComplete) = try MerkleRows.frontier(db, size: Int(treeSize))
        sharesJournal = db.dialect == .postgresql
        insertMerkle = (RowsInsert(db, MerkleRows.hashInsertHead, width: 2, tail: ""),
                        RowsInsert(db, MerkleRows.hashInsertHead, width: 2, tail: MerkleRows.hashUpsertTail))
        insertTreeHead = try db.prepare(MerkleRows.insertHead)
        addTotals = try db.prepare(AssetTotals.add)
        addCount = try db.prepare("INSERT INTO unit_counts(unit_code, stage, assets) VALUES (?, ?, ?) "
            + "ON CONFLICT(unit_code, stage) DO UPDATE SET assets = unit_counts.assets + excluded.assets")
        dropEmptyCount = try db.prepare("DELETE FROM unit_counts WHERE unit_code = ? AND stage = ? AND assets = 0")
        dropEmptyTotals = try db.prepare(AssetTotals.dropEmpty)
        self.clock = clock
        self.retentionMillis = retentionMillis
        prunedAtMillis = clock.nowUnixMillis()  // the store pruned at start
        insertAdminUnit = try db.prepare(StoredRows.adminUnits.insert)
        findPath = try db.prepare("SELECT path FROM admin_units WHERE code = ?")
        let placeHead = "INSERT INTO asset_units(unit_code, asset_id)"
        placeAsset = (RowsInsert(db, placeHead, width: 2, tail: ""), RowsInsert(db, placeHead, width: 2, tail: "ON CONFLICT DO NOTHING"))
        unplaceAsset = try db.prepare("DELETE FROM asset_units WHERE unit_code = ? AND asset_id = ?")
        insertProject = try db.prepare(StoredRows.projects.insert)
        insertAsset = try db.prepare(StoredRows.assets.insert)
        updateAsset = try db.prepare("UPDATE assets SET "
            + StoredRows.assets.columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ?")
        insertAudit = try db.prepare("""
            INSERT INTO audit_journal(seq, time, identity, actor, method, request_id, request_sha256, record_kind,
                record_id, before_json, after_json, prev_hash, hash, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        findKeyed = try db.prepare("""
            SELECT method, request_sha256, record_kind, record_id, after_json FROM audit_journal
            WHERE idempotency_key = ? AND idempotency_key <> '' AND time >= ? ORDER BY seq
            """)
        findIdempotency = try db.prepare("SELECT method, request_sha256, response, created_unix_ms FROM idempotency WHERE key = ?")
        upsertIdempotency = try db.prepare("""
            INSERT INTO idempotency(key, method, request_sha256, response, created_unix_ms) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET method = excluded.method, request_sha256 = excluded.request_sha256,
                response = excluded.response, created_unix_ms = excluded.created_unix_ms
            """)
        pruneIdempotency = try db.prepare("DELETE FROM idempotency WHERE created_unix_ms < ?")
        upsertEntity = try db.prepare(StoredRows.entities.upsert(key: ["id"]))
        upsertContract = try db.prepare(StoredRows.contracts.upsert(key: ["id"]))
        upsertReport = try db.prepare(StoredRows.reports.upsert(key: ["entity_id", "quarter"]))
        upsertStewardship = try db.prepare(StoredRows.stewardship(.income).upsert(key: ["kind", "id"]))
        stewardshipIndexes = try StewardshipIndexes(db)
    }

    /// Opens the group's transaction (the group's bookkeeping emptied);
    /// with other daemons on the journal,
    /// takes in what they committed first (returned), the frontier too.
    /// Throws (the error logged, nothing left open) when it cannot.
    private func begin(_ store: SQLiteLedgerStore) throws -> TouchedRecords? {
        groupPaths.removeAll(keepingCapacity: true)
        keysOfGroup.removeAll(keepingCapacity: true)
        repliesOfGroup.removeAll(keepingCapacity: true)
        frontierAtGroup = frontier
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            StoreLog.error("BEGIN failed: \(error)")
            throw error
        }
        guard sharesJournal else { return nil }
        do {
            // Known: where this writer's frontier stands (a take-in that
            // failed halfway leaves it behind the state; it is taken in again).
            guard let taken = try store.takeInForeignCommits(db, known: UInt64(frontier.size)) else { return nil }
            if taken.reloaded { committedPaths.removeAll(keepingCapacity: true) }
            (frontier, frontierComplete) = try MerkleRows.frontier(db, size: Int(taken.state.auditHeadSeq))
            frontierAtGroup = frontier
            store.state.withLock { $0 = taken.state }
            return taken.touched
        } catch {
            StoreLog.error("what other daemons committed could not be read: \(error)")
            frontier = frontierAtGroup
            if !db.isAutocommit { try? db.execute("ROLLBACK") }
            throw error
        }
    }

    /// Applies `batch` in one transaction. On a server that takes writes
    /// without waiting for each (PostgreSQL's pipeline), the whole group is
    /// sent at once with no savepoints: one round trip, not one per
    /// mutation. When anything in it fails, it is rolled back and written
    /// again, each mutation in its own savepoint, so that the failing one
    /// alone is refused (as it always is on SQLite).
    /// What other daemons committed, taken in first, goes with the result
    /// whether the group committed or not.
    func commit(_ batch: [PendingMutation], committed store: SQLiteLedgerStore) -> CommitResult {
        var foreign: TouchedRecords?
        do {
            foreign = try begin(store)
        } catch {
            return CommitResult(failing: batch)
        }
        if db.defersWrites {
            if var result = apply(batch, store: store, savepoints: false) {
                result.foreign = foreign
                return result
            }
            do {
                if let again = try restart(store) {
                    var both = foreign ?? TouchedRecords()
                    both.formUnion(again)
                    foreign = both
                }
            } catch {
                return CommitResult(failing: batch, foreign: foreign)
            }
        }
        var result = apply(batch, store: store, savepoints: true) ?? abandon(batch, replies: [], reason: "the group could not be written")
        result.foreign = foreign
        return result
    }

    /// Rolls back a group sent whole in which something failed, and opens
    /// the group's transaction again (taking in what other daemons
    /// committed meanwhile, returned).
    private func restart(_ store: SQLiteLedgerStore) throws -> TouchedRecords? {
        StoreLog.notice("a statement of a group sent whole failed: the group is written again, each mutation in its own savepoint")
        frontier = frontierAtGroup
        groupTotals.removeAll(keepingCapacity: true)
        groupCounts.removeAll(keepingCapacity: true)
        if !db.isAutocommit { try? db.execute("ROLLBACK") }
        return try begin(store)
    }

    /// The group's mutations in the open transaction, then COMMIT.
    /// `savepoints`: each mutation in its own, so that a failed write
    /// refuses it alone; without them, nil when anything failed (the
    /// caller writes the group again with them).
    private func apply(_ batch: [PendingMutation], store: SQLiteLedgerStore, savepoints: Bool) -> CommitResult? {
        var overlay = Overlay()
        var replies: [MutationReply] = []
        var applied = 0
        sendsWhole = !savepoints
        let nowMillis = clock.nowUnixMillis()
        let now = Timestamp.rfc3339(unixMillis: nowMillis)
        // A read that fails ends a PostgreSQL transaction: the group with it.
        do {
            groupKeys = savepoints ? nil : try readGroupKeys(batch, since: nowMillis - retentionMillis)
        } catch {
            StoreLog.error("reading the group's idempotency-keys failed: \(error)")
            return nil
        }
        var (headSeq, headHash, numbers) = store.state.withLock {
            ($0.auditHeadSeq, $0.auditHeadHash, IdentifierNumbers(asset: $0.lastAssetNumber, entity: $0.lastEntityNumber, contract: $0.lastContractNumber,
                                                                     stewardship: $0.stewardshipNumbers))
        }
        for pending in batch {
            // A read that failed may have ended the transaction (SQLite rolls
            // back by itself on I/O errors): nothing more may be written in it.
            // (Without savepoints, the writes' errors are read at the end.)
            if savepoints, db.isAutocommit {
                return abandon(batch, replies: replies, reason: "the transaction ended before the group was written")
            }
            let context = pending.context
            // Keys are scoped to the caller: two identities never share one.
            let idempotencyKey = context.idempotencyKey.map { context.idempotencyOwner + "\n" + $0 }
            if let reply = answer(pending, key: idempotencyKey, store: store, nowMillis: nowMillis,
                                  head: AuditHead(seq: headSeq, hash: headHash), index: replies.count) {
                // A read that failed may be an earlier write's error, read late.
                if !savepoints, case .failure(let error) = reply, error.code == .unavailable { return nil }
                replies.append(reply)
                continue
            }
            do {
                var plan = try LedgerWriter.decide(pending, over: overlay, store: store, now: now, nowMillis: nowMillis, numbers: &numbers)
                let frontierAtMutation = frontier
                if savepoints { try db.execute("SAVEPOINT m") }
                do {
                    var seq = headSeq
                    var hash = headHash
                    if case .acceptHead = pending.mutation {
                        try MerkleRows.dropBeyond(db, size: frontier.size)
                    }
                    try write(plan, context: context, key: idempotencyKey ?? "", now: now, seq: &seq, hash: &hash)
                    if case .journaled = plan.outcome { plan.outcome = .journaled(AuditHead(seq: seq, hash: hash)) }
                    if case .acceptHead(let accepted) = pending.mutation { overlay.acceptedHolds.append(accepted.heldBecause) }
                    let response = try idempotencyKey.map { try remember($0, pending, plan.outcome, nowMillis: nowMillis) }
                    if let key = idempotencyKey { keysOfGroup.insert(key) }
                    if savepoints { try db.execute("RELEASE m") }
                    for (key, sums) in mutationTotals { groupTotals[key, default: AssetTotals.Sums()].add(sums) }
                    for (key, change) in mutationCounts { groupCounts[key, default: 0] += change }
                    headSeq = seq
                    headHash = hash
                    overlay.records.absorb(plan)
                    replies.append(.success(.applied(plan.outcome, encoded: response)))
                    applied += 1
                } catch {
                    guard savepoints else { return nil }
                    guard rollBack(context, failedWith: error, frontier: frontierAtMutation) else {
                        return abandon(batch, replies: replies, reason: "savepoint rollback failed or the transaction ended", cause: error)
                    }
                    replies.append(.failure(LedgerWriter.isFull(error) ? LedgerWriter.fullFailure : LedgerWriter.writeFailure))
                }
            } catch let error as LedgerError {
                // The rules never answer UNAVAILABLE: a read failed (maybe an earlier write's error).
                if !savepoints, error.code == .unavailable { return nil }
                replies.append(.failure(error))
            } catch {
                if !savepoints { return nil }
                replies.append(.failure(LedgerError(.internal, "the change could not be planned; nothing was applied")))
            }
        }
        overlay.treeHead = signHead(ifAskedIn: batch, store: store, time: now)
        if !savepoints {
            do { try db.awaitWrites() } catch { return nil }
        }
        return finish(batch, overlay: overlay, replies: replies, applied: applied, head: (headSeq, headHash), nowMillis: nowMillis)
    }

    /// Rolls back the savepoint of a mutation whose write failed (its
    /// frontier as before it); false when the transaction did not survive:
    /// SQLite may have rolled it back whole by itself (disk full, I/O
    /// error), and nothing of the group may go on.
    private func rollBack(_ context: CallerContext, failedWith error: any Error, frontier before: MerkleFrontier) -> Bool {
        StoreLog.error("writing \(context.method) failed (request-id \(context.requestId)): \(error)",
                       metadata: ["request-id": "\(context.requestId)", "method": "\(context.method)"])
        frontier = before
        guard (try? db.execute("ROLLBACK TO m")) != nil, !db.isAutocommit else { return false }
        try? db.execute("RELEASE m")
        return true
    }

    /// The group's idempotency keys as the ledger held them when the group
    /// began: their stored answers and the requests the journal recorded
    /// under them, read in two queries for the group (on a server, where a
    /// read per call costs a round trip each) when it has several keys;
    /// nil when it has not (each key is then read alone). The journal is
    /// read only for keys with no stored answer (one deleted behind the
    /// daemon's back).
    private func readGroupKeys(_ batch: [PendingMutation], since oldest: Int64) throws -> GroupKeys? {
        let keys = Set(batch.compactMap { pending in pending.context.idempotencyKey.map { pending.context.idempotencyOwner + "\n" + $0 } })
        guard db.defersWrites, keys.count > 1 else { return nil }
        var known = GroupKeys()
        try db.eachKey("SELECT key, method, request_sha256, response, created_unix_ms FROM idempotency WHERE key", keys) { row in
            known.answers[row.text(0)] = (row.text(1), row.text(2), row.blob(3), row.int(4))
        }
        let unanswered = keys.filter { known.answers[$0] == nil }
        guard !unanswered.isEmpty else { return known }
        try db.eachKey("SELECT idempotency_key, method, request_sha256, record_kind, record_id, after_json FROM audit_journal "
                       + "WHERE time >= ? AND idempotency_key <> '' AND idempotency_key", unanswered,
                       bound: [.text(Timestamp.rfc3339(unixMillis: oldest))], suffix: " ORDER BY seq") { row in
            known.journaled[row.text(0), default: []].append((row.text(1), row.text(2), row.text(3), row.text(4), row.text(5)))
        }
        return known
    }

    /// The answer to a mutation that needs nothing written: its key's first
    /// answer again (or a refusal of the key), or the refusal of a stale
    /// acceptance. `index`: where the answer goes among the group's.
    private func answer(_ pending: PendingMutation, key: String?, store: SQLiteLedgerStore, nowMillis: Int64,
                        head: AuditHead, index: Int) -> MutationReply? {
        if let key, let reply = replay(key, pending, store: store, nowMillis: nowMillis) {
            // The answer of a call earlier in this group stands or falls with the group.
            if keysOfGroup.contains(key) { repliesOfGroup.insert(index) }
            return reply
        }
        return LedgerWriter.staleAcceptance(pending.mutation, head: head).map { .failure($0) }
    }

    /// The change `pending` makes over the committed ledger and the group's
    /// overlay. The decider, and its view holding the overlay's records,
    /// end here: the overlay then absorbs the change in place instead of
    /// copying every record of the group first (a copy per mutation).
    private static func decide(_ pending: PendingMutation, over overlay: Overlay, store: SQLiteLedgerStore, now: String, nowMillis: Int64,
                               numbers: inout IdentifierNumbers) throws -> LedgerChange {
        let committed = CommittedView(store: store)
        var decider = Decider(view: LayeredView(overlay.records, over: committed), context: pending.context,
                              now: now, today: Timestamp.chinaDate(unixMillis: nowMillis), numbers: numbers)
        // Ids a decision uses stay used, even when it is refused.
        defer { numbers = decider.numbers }
        // A decision made on a read that failed is no decision (a record
        // taken for absent, a count's scope short of its assets).
        let unread = { committed.failure.error.withLock { $0 }.map { error in
            LedgerError(.unavailable, "the ledger file could not be read (\(error)); nothing was applied; retry, and report it if it persists")
        } }
        do {
            let change = try decider.decide(pending.mutation)
            if let refusal = unread() { throw refusal }
            return change
        } catch {
            throw unread() ?? error
        }
    }

    /// An accepted head must still be the journal's head when it commits:
    /// two acceptances queued together, or a change between the call and
    /// the commit, leave the later one stale.
    static func staleAcceptance(_ mutation: Mutation, head: AuditHead) -> LedgerError? {
        guard case .acceptHead(let accepted) = mutation, accepted.accepted != head.text else { return nil }
        return LedgerError(.failedPrecondition, "the journal's head is now \(head.text), not \(accepted.accepted): check it again and accept the head it has now")
    }

    /// The answer to a mutation whose idempotency key is known: the first
    /// answer again, or a refusal when the key came with another request.
    /// A key whose stored answer is gone (deleted behind the daemon's back)
    /// is found in the journal: the change is not applied twice, and the
    /// answer is rebuilt from what the journal recorded. The answers are
    /// read from the file (by key, in the group's transaction, so a key
    /// used earlier in the same group is found too): they are never held
    /// in memory, which would grow with the day's writes.
    private func replay(_ key: String, _ pending: PendingMutation, store: SQLiteLedgerStore, nowMillis: Int64) -> MutationReply? {
        let context = pending.context
        let oldest = nowMillis - retentionMillis
        var first: (method: String, requestSHA256: String, response: () -> [UInt8])?
        do {
            // A key this group wrote is read in the group's transaction.
            let prefetched = keysOfGroup.contains(key) ? nil : groupKeys
            var known: GroupKeys.Answer?
            if let prefetched {
                known = prefetched.answers[key]
            } else {
                try findIdempotency.query([.text(key)]) { row in known = (row.text(0), row.text(1), row.blob(2), row.int(3)) }
            }
            if let known {
                guard known.createdUnixMillis >= oldest else { return nil }
                first = (known.method, known.requestSHA256, { known.response })
            } else if let journaled = try journaled(key, since: oldest, store: store, prefetched: prefetched) {
                first = (journaled.method, journaled.requestSHA256, { pending.encode(journaled.outcome) })
            }
        } catch {
            // Unknown is not "new": applying it could apply a retry twice.
            StoreLog.error("reading the stored answers or the journal for an idempotency-key failed: \(error)")
            return .failure(LedgerError(.unavailable, "the ledger file could not be read to check the idempotency-key; nothing was applied; retry"))
        }
        guard let first else { return nil }
        if first.method == context.method, first.requestSHA256 == context.requestSHA256 {
            return .success(.replayed(first.response()))
        }
        return .failure(LedgerError(.failedPrecondition,
            "idempotency-key \"\(context.idempotencyKey ?? "")\" was already used for a different request (\(first.method)); use a new key for a new request"))
    }

    /// The request the journal recorded under `key` since `oldest` (Unix
    /// ms), and its outcome rebuilt from the entries' after-images.
    private func journaled(_ key: String, since oldest: Int64, store: SQLiteLedgerStore, prefetched: GroupKeys?) throws
        -> (method: String, requestSHA256: String, outcome: MutationOutcome)? {
        var rows: [GroupKeys.Entry] = []
        if let prefetched {
            rows = prefetched.journaled[key] ?? []
        } else {
            try findKeyed.query([.text(key), .text(Timestamp.rfc3339(unixMillis: oldest))]) { row in
                rows.append((row.text(0), row.text(1), row.text(2), row.text(3), row.text(4)))
            }
        }
        guard let head = rows.first, let outcome = LedgerWriter.outcome(rows.map { ($0.kind, $0.id, $0.after) }, store: store) else { return nil }
        return (head.method, head.sha, outcome)
    }

    /// What a mutation answered, from the records it wrote: its stewardship
    /// record, else its assets, else its one record.
    static func outcome(_ entries: [(kind: String, id: String, after: String)], store: SQLiteLedgerStore) -> MutationOutcome? {
        if let entry = entries.last(where: { StewardshipKind(rawValue: $0.kind) != nil }), let kind = StewardshipKind(rawValue: entry.kind) {
            // A count's entries hold what a call changed: the count itself is read as it is now.
            let record = kind == .stockTake ? CommittedView(store: store).record(kind, entry.id) : try? StewardshipJSON.record(kind: kind, text: entry.after)
            return record.map(MutationOutcome.stewardship)
        }
        let assets = entries.filter { $0.kind == "asset" }.compactMap { try? Asset(recordJSON: $0.after) }
        if !assets.isEmpty { return .assets(assets) }
        guard let entry = entries.last else { return nil }
        switch entry.kind {
        case "admin_unit": return (try? AdminUnit(recordJSON: entry.after)).map(MutationOutcome.adminUnit)
        case "project": return (try? Project(recordJSON: entry.after)).map(MutationOutcome.project)
        case "entity": return (try? OperatingEntity(recordJSON: entry.after)).map(MutationOutcome.entity)
        case "contract": return (try? OperationContract(recordJSON: entry.after)).map(MutationOutcome.contract)
        case "report": return (try? QuarterReport(recordJSON: entry.after)).map(MutationOutcome.report)
        default: return nil
        }
    }

    /// Writes the answer to a mutation under its idempotency key, for retries.
    private func remember(_ key: String, _ pending: PendingMutation, _ outcome: MutationOutcome, nowMillis: Int64) throws -> [UInt8] {
        let encoded = pending.encode(outcome)
        try upsertIdempotency.run([.text(key), .text(pending.context.method), .text(pending.context.requestSHA256), .blob(encoded), .int(nowMillis)])
        return encoded
    }

    /// Commits the group and notes its audit head; prunes answers kept
    /// past their retention every 10,000 groups or every hour (through
    /// their index: the work is what expired, not what is kept).
    private func finish(_ batch: [PendingMutation], overlay: Overlay, replies: [MutationReply], applied: Int,
                        head: (seq: UInt64, hash: String), nowMillis: Int64) -> CommitResult {
        var overlay = overlay
        if db.isAutocommit {
            return abandon(batch, replies: replies, reason: "the transaction ended before COMMIT")
        }
        do {
            try flushTotals()
            // The other daemons hear of the new head once it is committed
            // (PostgreSQL delivers a notice at COMMIT, or never).
            if sharesJournal, applied > 0 { try db.execute("NOTIFY taizhang_journal, '\(head.seq) \(writerId)'") }
        } catch {
            return abandon(batch, replies: replies, reason: "the summary's totals could not be written: \(error)", cause: error)
        }
        do {
            try db.execute("COMMIT")
        } catch {
            // The server's connection lost at COMMIT: the group may have
            // been committed or not; a retry with the same key finds out.
            let lost = db.isBroken || (error as? any ConnectionError)?.connectionLost == true
            return abandon(batch, replies: replies, reason: "COMMIT failed: \(error)", cause: error,
                           failure: lost ? LedgerWriter.inDoubtFailure : nil)
        }
        overlay.auditHeadSeq = head.seq
        overlay.auditHeadHash = head.hash
        if committedPaths.count + groupPaths.count > LedgerWriter.committedPathsMax { committedPaths.removeAll(keepingCapacity: true) }
        committedPaths.merge(groupPaths) { _, read in read }
        groupsSincePrune += 1
        if groupsSincePrune >= 10_000 || nowMillis - prunedAtMillis >= 3_600_000 {
            groupsSincePrune = 0
            prunedAtMillis = nowMillis
            // Outside the group's transaction: a failure here loses nothing
            // (an expired answer is never used; the next prune retries).
            do {
                try pruneIdempotency.run([.int(nowMillis - retentionMillis)])
            } catch {
                StoreLog.error("pruning expired idempotency answers failed: \(error)")
            }
        }
        return CommitResult(durable: true, overlay: overlay, replies: replies, appliedCount: applied)
    }

    /// The head of the tree as the group leaves it, signed and written in
    /// the group's transaction, when one of the group's mutations asked for
    /// it and the tree grew since the last head; nil otherwise, or (logged)
    /// when it could not be.
    private func signHead(ifAskedIn batch: [PendingMutation], store: SQLiteLedgerStore, time: String) -> (head: SignedTreeHead, key: Ed25519PublicKey)? {
        let asked = batch.contains { if case .signTreeHead = $0.mutation { return true } else { return false } }
        let signedSize = store.state.withLock { $0.treeHead?.head.head.size } ?? 0
        guard asked, let key = treeHeadKey, frontier.size > 0, UInt64(frontier.size) > signedSize else { return nil }
        guard frontierComplete else {
            StoreLog.error("no tree head is signed: the journal's Merkle tree lacked stored hashes when the ledger was opened (see `taizhang audit verify`)")
            return nil
        }
        do {
            let signed = try SignedTreeHead(head: TreeHead(origin: origin, size: UInt64(frontier.size), rootHash: frontier.root, time: time), key: key)
            try insertTreeHead.run(MerkleRows.values(signed, key: key.publicKey))
            return (signed, key.publicKey)
        } catch {
            StoreLog.error("signing the journal's tree head at size \(frontier.size) failed: \(error)")
            return nil
        }
    }

    /// Rolls the whole group back: nothing of it reaches the disk or the
    /// in-memory state. Calls it would have applied fail, and so do replays
    /// of answers it wrote; answers that did not depend on it (replays of
    /// earlier groups' answers, refusals) stand.
    private func abandon(_ batch: [PendingMutation], replies: [MutationReply], reason: String,
                         cause: (any Error)? = nil, failure given: LedgerError? = nil) -> CommitResult {
        StoreLog.error("group of \(batch.count) mutations abandoned: \(reason)")
        frontier = frontierAtGroup
        groupTotals.removeAll(keepingCapacity: true)
        groupCounts.removeAll(keepingCapacity: true)
        if !db.isAutocommit { try? db.execute("ROLLBACK") }
        let failure = given ?? (cause.map(LedgerWriter.isFull) == true ? LedgerWriter.fullFailure : LedgerWriter.storageFailure)
        let kept: [MutationReply] = batch.indices.map { index in
            guard index < replies.count, !repliesOfGroup.contains(index) else { return .failure(failure) }
            if case .success(.applied) = replies[index] { return .failure(failure) }
            return replies[index]
        }
        return CommitResult(durable: false, overlay: Overlay(), replies: kept, appliedCount: 0)
    }

    static func isFull(_ error: any Error) -> Bool {
        (error as? SQLiteError)?.code == 13 // SQLITE_FULL
    }

    static let fullFailure = LedgerError(.resourceExhausted, "the ledger database is full (its size limit, --store-max-bytes, or the disk); nothing was applied; tell the operator to free space or raise the limit")

    static let writeFailure = LedgerError(.internal, "the change could not be written; nothing was applied; retry, and report the request-id if it persists")

    static let inDoubtFailure = LedgerError(.unavailable, "the connection to the database was lost as the change was committed: it may or may not have been applied; retry with the same idempotency-key to learn which (without one, look before you retry)")

    static let storageFailure = LedgerError(.unavailable, "the ledger could not be written to disk; nothing was applied; retry later and tell the operator (see the daemon's log)")

    // MARK: Writing


    private func write(_ plan: LedgerChange, context: CallerContext, key: String, now: String, seq: inout UInt64, hash: inout String) throws {
        mutationTotals.removeAll(keepingCapacity: true)
        mutationCounts.removeAll(keepingCapacity: true)
        func audit(kind: String, id: String, before: String, after: String) throws {
            seq += 1
            let (entry, leaf) = AuditChain.sealAndLeaf(AuditEntry(
                seq: seq, time: now, identity: context.identity, actor: context.actor, method: context.method,
                requestId: context.requestId, requestSHA256: context.requestSHA256, recordKind: kind, recordId: id,
                beforeJSON: before, afterJSON: after, prevHash: hash, idempotencyKey: key))
            try insertAudit.run([
                .int(Int64(entry.seq)), .text(entry.time), .text(entry.identity), .text(entry.actor), .text(entry.method),
                .text(entry.requestId), .text(entry.requestSHA256), .text(entry.recordKind), .text(entry.recordId),
                .text(entry.beforeJSON), .text(entry.afterJSON), .text(entry.prevHash), .text(entry.hash), .text(entry.idempotencyKey),
            ])
            // The entry's leaf, and every subtree it completes, in the Merkle tree.
            var nodes: [SQLValue] = []
            frontier.append(leaf) { level, index, node in
                nodes += [.int(Int64(MerkleStoredIndex.of(level: level, index: index))), .blob(node)]
            }
            try (sendsWhole ? insertMerkle.plain : insertMerkle.upsert).run(nodes)
            hash = entry.hash
        }
        for unit in plan.adminUnits {
            let record = unit.jsonText
            // The parent's row is committed, or written earlier in this group.
            var parentPath = ""
            if !unit.parentCode.isEmpty { try findPath.query([.text(unit.parentCode)]) { parentPath = $0.text(0) } }
            try insertAdminUnit.run(StoredRows.values(unit, json: record) + [.text(StoredRows.path(of: unit.code, parentPath: parentPath))])
            try audit(kind: "admin_unit", id: unit.code, before: "", after: record)
        }
        for project in plan.projects {
            let record = project.jsonText
            try insertProject.run(StoredRows.values(project, json: record))
            try audit(kind: "project", id: project.id, before: "", after: record)
        }
        for (entity, before) in plan.entities {
            let record = entity.jsonText
            try upsertEntity.run(StoredRows.values(entity))
            try audit(kind: "entity", id: entity.id, before: before?.jsonText ?? "", after: record)
        }
        for (contract, before) in plan.contracts {
            let record = contract.jsonText
            try upsertContract.run(StoredRows.values(contract))
            try audit(kind: "contract", id: contract.id, before: before?.jsonText ?? "", after: record)
        }
        for (report, before) in plan.reports {
            let record = report.jsonText
            try upsertReport.run(StoredRows.values(report))
            try audit(kind: "report", id: report.key, before: before?.jsonText ?? "", after: record)
        }
        for (record, before) in plan.stewardship {
            let text = StewardshipJSON.text(record)
            try upsertStewardship.run(StoredRows.values(record, json: text))
            try stewardshipIndexes.write(record)
            if case .stockTake = record, let change = plan.countAudit[record.id] {
                try audit(kind: record.kind.rawValue, id: record.id, before: StewardshipJSON.text(change.before), after: StewardshipJSON.text(change.after))
            } else {
                try audit(kind: record.kind.rawValue, id: record.id, before: before.map(StewardshipJSON.text) ?? "", after: text)
            }
        }
        for note in plan.notes {
            try audit(kind: note.kind, id: note.id, before: "", after: note.after)
        }
        let encoded = LedgerWriter.encoded(plan.assets.map(\.after))
        for ((asset, before), (record, body)) in zip(plan.assets, encoded) {
            assetBytes[asset.id] = body.count
            let values = StoredRows.values(asset, body: body)
            if let before {
                try updateAsset.run(Array(values.dropFirst()) + [values[0]])
                try place(asset, from: before)
                try total(asset, before: before)
                try audit(kind: "asset", id: asset.id, before: before.jsonText, after: record)
            } else {
                try insertAsset.run(values)
                try place(asset, from: nil)
                try total(asset, before: nil)
                try audit(kind: "asset", id: asset.id, before: "", after: record)
            }
        }
    }

    /// The records' JSON (the journal's after-images) and stored bytes, in
    /// order; an import's many are encoded on every core while this thread
    /// would otherwise do it alone.
    static func encoded(_ assets: [Asset]) -> [(json: String, body: [UInt8])] {
        let chunk = 256
        let encode: @Sendable (Asset) -> (json: String, body: [UInt8]) = { ($0.jsonText, StoredAsset.bytes($0)) }
        guard assets.count > 2 * chunk else { return assets.map(encode) }
        let chunks = (assets.count + chunk - 1) / chunk
        let results = Mutex([[(json: String, body: [UInt8])]](repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            let texts = assets[index * chunk..<min(assets.count, (index + 1) * chunk)].map(encode)
            results.withLock { $0[index] = texts }
        }
        return results.withLock { $0.flatMap { $0 } }
    }

    /// Puts `asset` under every unit it lies in or under (`asset_units`),
    /// from its location's path, and counts it there by stage
    /// (`unit_counts`, and the whole ledger's ''); a moved asset leaves its
    /// old units first. Nothing when neither its place nor its stage changed.
    private func place(_ asset: Asset, from before: Asset?) throws {
        if let before, before.adminCode == asset.adminCode, before.lifecycle.stage == asset.lifecycle.stage { return }
        let now = try units(of: asset.adminCode)
        let moved = before.map { $0.adminCode != asset.adminCode } ?? true
        if let before {
            let was = try units(of: before.adminCode)
            if moved { for code in was { try unplaceAsset.run([.text(code), .text(asset.id)]) } }
            for code in [""] + was { mutationCounts[UnitCount(unit: code, stage: before.lifecycle.stage.rawValue), default: 0] -= 1 }
        }
        if moved { try (sendsWhole ? placeAsset.plain : placeAsset.upsert).run(now.flatMap { [SQLValue.text($0), .text(asset.id)] }) }
        for code in [""] + now { mutationCounts[UnitCount(unit: code, stage: asset.lifecycle.stage.rawValue), default: 0] += 1 }
    }

    /// Moves `asset` in the summary's totals (`AssetTotals`) from the rows
    /// of what it was to those of what it is; nothing when they are the same.
    private func total(_ asset: Asset, before: Asset?) throws {
        let now = AssetTotals.rows(asset, ledgers: try AssetTotals.ledgers(of: asset, path: path(of:)), policy: policy)
        let was = try before.map { AssetTotals.rows($0, ledgers: try AssetTotals.ledgers(of: $0, path: path(of:)), policy: policy) } ?? []
        guard !now.elementsEqual(was, by: { $0.key == $1.key && $0.sums == $1.sums }) else { return }
        for (key, sums) in now { mutationTotals[key, default: AssetTotals.Sums()].add(sums) }
        for (key, sums) in was { mutationTotals[key, default: AssetTotals.Sums()].add(sums, sign: -1) }
    }

    /// Writes the group's changes of the totals (rows left with no asset
    /// are dropped).
    private func flushTotals() throws {
        defer {
            groupTotals.removeAll(keepingCapacity: true)
            groupCounts.removeAll(keepingCapacity: true)
        }
        for (key, change) in groupCounts where change != 0 {
            try addCount.run([.text(key.unit), .text(key.stage), .int(change)])
            if change < 0 { try dropEmptyCount.run([.text(key.unit), .text(key.stage)]) }
        }
        for (key, sums) in groupTotals where sums != AssetTotals.Sums() {
            try addTotals.run(key.values + sums.values)
            if sums.assets < 0 { try dropEmptyTotals.run(key.values) }
        }
    }

    /// A unit's path ("" when the ledger does not hold the unit), read once
    /// per group (a unit's path never changes; one created later in the
    /// group is not remembered as absent).
    private func path(of code: String) throws -> String {
        if let known = committedPaths[code] ?? groupPaths[code] { return known }
        var path = ""
        try findPath.query([.text(code)]) { path = $0.text(0) }
        if !path.isEmpty { groupPaths[code] = path }
        return path
    }

    /// The units a location lies in or under, from the top.
    private func units(of location: String) throws -> [String] {
        StoredRows.units(onPath: try path(of: location), location: location)
    }
}
