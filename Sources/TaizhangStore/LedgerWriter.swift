// The writer side of the SQLite store: plans each mutation against the
// committed state plus what earlier mutations of the same group changed,
// writes it and its audit entries inside a savepoint, and commits the group.

import Foundation
import TaizhangCore

/// Changes made by a group, applied to the in-memory state after COMMIT.
struct Overlay {
    var adminUnits: [String: AdminUnit] = [:]
    var projects: [String: Project] = [:]
    var assets: [String: Asset] = [:]
    var assetOrder: [String] = []
    var assetIdsByCode: [String: String] = [:]
    var entities: [String: OperatingEntity] = [:]
    var entityOrder: [String] = []
    var contracts: [String: OperationContract] = [:]
    var contractOrder: [String] = []
    var reports: [String: QuarterReport] = [:]
    /// Stewardship records by "kind/id", and the keys in the order first changed.
    var stewardship: [String: StewardshipRecord] = [:]
    var stewardshipOrder: [String] = []
    /// Credit code → entity id ("" when freed by this group).
    var entityIdsByCreditCode: [String: String] = [:]
    /// The kinds of record the group changed.
    var kinds: Set<String> = []
    var idempotency: [String: IdempotencyRecord] = [:]
    var auditHeadSeq: UInt64?
    var auditHeadHash: String?
    /// Forget idempotency records created before this time (Unix ms).
    var pruneIdempotencyBefore: Int64?

    func apply(to state: inout LedgerState) {
        // Parents before children: codes sort that way.
        for code in adminUnits.keys.sorted() { state.put(adminUnits[code]!) }
        for project in projects.values { state.put(project) }
        for id in assetOrder { state.put(assets[id]!) }
        for id in entityOrder { state.put(entities[id]!) }
        for id in contractOrder { state.put(contracts[id]!) }
        for report in reports.values { state.put(report) }
        for key in stewardshipOrder { state.stewardship.put(stewardship[key]!) }
        if let oldest = pruneIdempotencyBefore {
            state.idempotency = state.idempotency.filter { $0.value.createdUnixMillis >= oldest }
        }
        for (key, record) in idempotency { state.idempotency[key] = record }
        if let seq = auditHeadSeq, let hash = auditHeadHash {
            state.auditHeadSeq = seq
            state.auditHeadHash = hash
        }
    }
}

extension Overlay {
    /// Takes in what `plan` changed, for the group's later mutations and
    /// for the state after COMMIT.
    mutating func absorb(_ plan: Plan) {
        for unit in plan.adminUnits { adminUnits[unit.code] = unit }
        for project in plan.projects { projects[project.id] = project }
        for (asset, before) in plan.assets {
            if assets.updateValue(asset, forKey: asset.id) == nil { assetOrder.append(asset.id) }
            if let before, !before.code.isEmpty, before.code != asset.code { assetIdsByCode[before.code] = "" }
            if !asset.code.isEmpty { assetIdsByCode[asset.code] = asset.id }
        }
        if !plan.assets.isEmpty { kinds.insert("asset") }
        for (entity, before) in plan.entities {
            if entities.updateValue(entity, forKey: entity.id) == nil { entityOrder.append(entity.id) }
            if let before, !before.creditCode.isEmpty, before.creditCode != entity.creditCode { entityIdsByCreditCode[before.creditCode] = "" }
            if !entity.creditCode.isEmpty { entityIdsByCreditCode[entity.creditCode] = entity.id }
            kinds.insert("entity")
        }
        for (contract, _) in plan.contracts {
            if contracts.updateValue(contract, forKey: contract.id) == nil { contractOrder.append(contract.id) }
            kinds.insert("contract")
        }
        for (report, _) in plan.reports {
            reports[report.key] = report
            kinds.insert("report")
        }
        for (record, _) in plan.stewardship {
            let key = record.kind.rawValue + "/" + record.id
            if stewardship.updateValue(record, forKey: key) == nil { stewardshipOrder.append(key) }
            kinds.insert(record.kind.rawValue)
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
}

/// The planned effect of one mutation: records to write and the outcome.
struct Plan {
    var adminUnits: [AdminUnit] = []
    var projects: [Project] = []
    /// The asset and its state before (nil when new).
    var assets: [(after: Asset, before: Asset?)] = []
    var entities: [(after: OperatingEntity, before: OperatingEntity?)] = []
    var contracts: [(after: OperationContract, before: OperationContract?)] = []
    var reports: [(after: QuarterReport, before: QuarterReport?)] = []
    var stewardship: [(after: StewardshipRecord, before: StewardshipRecord?)] = []
    /// What the audit journal records for a stewardship change instead of
    /// the whole record before and after ("kind/id" → texts): the lines a
    /// count call changed, not the count's every line again.
    var auditOverrides: [String: (before: String, after: String)] = [:]
    var outcome: MutationOutcome
}

/// The last numbers given out, for the next ids.
struct IdentifierNumbers {
    var asset: Int
    var entity: Int
    var contract: Int
    var stewardship: [StewardshipKind: Int]
}

/// Writes groups of mutations on the writer thread.
/// @unchecked Sendable: it is handed to the writer thread once, at start, and
/// used only there.
final class LedgerWriter: @unchecked Sendable {
    private let db: SQLiteConnection
    private let clock: any WallClock
    private let retentionMillis: Int64
    private let insertAdminUnit: SQLiteStatement
    private let insertProject: SQLiteStatement
    private let insertAsset: SQLiteStatement
    private let updateAsset: SQLiteStatement
    private let insertAudit: SQLiteStatement
    private let upsertIdempotency: SQLiteStatement
    private let pruneIdempotency: SQLiteStatement
    private let upsertEntity: SQLiteStatement
    private let upsertContract: SQLiteStatement
    private let upsertReport: SQLiteStatement
    private let upsertStewardship: SQLiteStatement
    private var groupsSincePrune = 0

    init(connection db: SQLiteConnection, clock: any WallClock, retentionMillis: Int64) throws {
        self.db = db
        self.clock = clock
        self.retentionMillis = retentionMillis
        insertAdminUnit = try db.prepare("INSERT INTO admin_units(code, name, level, parent_code, version, record_json) VALUES (?, ?, ?, ?, ?, ?)")
        insertProject = try db.prepare("INSERT INTO projects(id, name, year, admin_code, version, record_json) VALUES (?, ?, ?, ?, ?, ?)")
        insertAsset = try db.prepare("""
            INSERT INTO assets(id, code, name, category, usage_status, admin_code, project_id, acquired_date,
                original_value_fen, accumulated_depreciation_fen, version, created_at, updated_at, record_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        updateAsset = try db.prepare("""
            UPDATE assets SET code = ?, name = ?, category = ?, usage_status = ?, admin_code = ?, project_id = ?,
                acquired_date = ?, original_value_fen = ?, accumulated_depreciation_fen = ?, version = ?,
                updated_at = ?, record_json = ? WHERE id = ?
            """)
        insertAudit = try db.prepare("""
            INSERT INTO audit_journal(seq, time, identity, actor, method, request_id, request_sha256, record_kind,
                record_id, before_json, after_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        upsertIdempotency = try db.prepare("INSERT OR REPLACE INTO idempotency(key, method, request_sha256, response, created_unix_ms) VALUES (?, ?, ?, ?, ?)")
        pruneIdempotency = try db.prepare("DELETE FROM idempotency WHERE created_unix_ms < ?")
        upsertEntity = try db.prepare("""
            INSERT INTO entities(id, name, kind, admin_code, credit_code, version, record_json) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, admin_code = excluded.admin_code,
                credit_code = excluded.credit_code, version = excluded.version, record_json = excluded.record_json
            """)
        upsertContract = try db.prepare("""
            INSERT INTO contracts(id, asset_id, entity_id, mode, start_date, end_date, version, record_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET entity_id = excluded.entity_id, mode = excluded.mode, start_date = excluded.start_date,
                end_date = excluded.end_date, version = excluded.version, record_json = excluded.record_json
            """)
        upsertReport = try db.prepare("""
            INSERT INTO reports(entity_id, quarter, revision, record_json) VALUES (?, ?, ?, ?)
            ON CONFLICT(entity_id, quarter) DO UPDATE SET revision = excluded.revision, record_json = excluded.record_json
            """)
        upsertStewardship = try db.prepare("""
            INSERT INTO stewardship_records(kind, id, asset_id, admin_code, version, record_json) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(kind, id) DO UPDATE SET version = excluded.version, record_json = excluded.record_json
            """)
    }

    /// Applies `batch` in one transaction; each mutation in its own savepoint.
    func commit(_ batch: [PendingMutation], committed store: SQLiteLedgerStore) -> CommitResult {
        var overlay = Overlay()
        var replies: [MutationReply] = []
        var applied = 0
        let nowMillis = clock.nowUnixMillis()
        let now = Timestamp.rfc3339(unixMillis: nowMillis)
        var (headSeq, headHash, numbers) = store.state.withLock {
            ($0.auditHeadSeq, $0.auditHeadHash, IdentifierNumbers(asset: $0.lastAssetNumber, entity: $0.lastEntityNumber, contract: $0.lastContractNumber,
                                                                     stewardship: $0.stewardship.lastNumbers))
        }
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            StoreLog.error("BEGIN failed: \(error)")
            return CommitResult(durable: false, overlay: overlay, replies: batch.map { _ in .failure(LedgerWriter.storageFailure) }, appliedCount: 0)
        }
        for pending in batch {
            let context = pending.context
            // Keys are scoped to the caller: two identities never share one.
            let idempotencyKey = context.idempotencyKey.map { context.idempotencyOwner + "\n" + $0 }
            if let key = idempotencyKey, let reply = replay(key, context: context, overlay: overlay, store: store, nowMillis: nowMillis) {
                replies.append(reply)
                continue
            }
            do {
                if let scope = context.scope, let refusal = namedRecordRefusal(pending.mutation, scope: scope, overlay: overlay, store: store) {
                    throw refusal
                }
                let plan = try self.plan(pending.mutation, context: context, overlay: overlay, store: store, now: now,
                                         today: Timestamp.chinaDate(unixMillis: nowMillis), numbers: &numbers)
                if let scope = context.scope, let refusal = scopeRefusal(plan, scope: scope, holder: context.scopeHolder, overlay: overlay, store: store,
                                                                          checkOwners: pending.mutation.namesOwners) {
                    throw refusal
                }
                try db.execute("SAVEPOINT m")
                do {
                    var seq = headSeq
                    var hash = headHash
                    try write(plan, context: context, now: now, seq: &seq, hash: &hash)
                    let remembered = try idempotencyKey.map { try remember($0, pending, plan.outcome, nowMillis: nowMillis) }
                    let response = remembered?.record.response
                    try db.execute("RELEASE m")
                    if let (key, record) = remembered { overlay.idempotency[key] = record }
                    headSeq = seq
                    headHash = hash
                    overlay.absorb(plan)
                    replies.append(.success(.applied(plan.outcome, encoded: response)))
                    applied += 1
                } catch {
                    StoreLog.error("writing \(context.method) failed (request-id \(context.requestId)): \(error)",
                                   metadata: ["request-id": "\(context.requestId)", "method": "\(context.method)"])
                    // SQLite may have rolled back the whole transaction by itself
                    // (disk full, I/O error): then nothing of this group may go on.
                    let rolledBack = (try? db.execute("ROLLBACK TO m")) != nil
                    if !rolledBack || db.isAutocommit {
                        return abandon(batch, replies: replies, reason: "savepoint rollback failed or the transaction ended", cause: error)
                    }
                    try? db.execute("RELEASE m")
                    if LedgerWriter.isFull(error) {
                        replies.append(.failure(LedgerWriter.fullFailure))
                    } else {
                        replies.append(.failure(LedgerError(.internal, "the change could not be written; nothing was applied; retry, and report the request-id if it persists")))
                    }
                }
            } catch let error as LedgerError {
                replies.append(.failure(error))
            } catch {
                replies.append(.failure(LedgerError(.internal, "the change could not be planned; nothing was applied")))
            }
        }
        return finish(batch, overlay: overlay, replies: replies, applied: applied, head: (headSeq, headHash), nowMillis: nowMillis)
    }

    /// The answer to a mutation whose idempotency key is known: the first
    /// answer again, or a refusal when the key came with another request.
    private func replay(_ key: String, context: CallerContext, overlay: Overlay, store: SQLiteLedgerStore, nowMillis: Int64) -> MutationReply? {
        let known = overlay.idempotency[key] ?? store.state.withLock { $0.idempotency[key] }
        guard let known, known.createdUnixMillis >= nowMillis - retentionMillis else { return nil }
        if known.method == context.method, known.requestSHA256 == context.requestSHA256 {
            return .success(.replayed(known.response))
        }
        return .failure(LedgerError(.failedPrecondition,
            "idempotency-key \"\(context.idempotencyKey ?? "")\" was already used for a different request (\(known.method)); use a new key for a new request"))
    }

    /// Writes the answer to a mutation under its idempotency key, for retries.
    private func remember(_ key: String, _ pending: PendingMutation, _ outcome: MutationOutcome,
                          nowMillis: Int64) throws -> (key: String, record: IdempotencyRecord) {
        let encoded = pending.encode(outcome)
        let record = IdempotencyRecord(method: pending.context.method, requestSHA256: pending.context.requestSHA256,
                                       response: encoded, createdUnixMillis: nowMillis)
        try upsertIdempotency.run([.text(key), .text(record.method), .text(record.requestSHA256), .blob(encoded), .int(nowMillis)])
        return (key, record)
    }

    /// Commits the group and notes its audit head; prunes old idempotency
    /// records every 10,000 groups.
    private func finish(_ batch: [PendingMutation], overlay: Overlay, replies: [MutationReply], applied: Int,
                        head: (seq: UInt64, hash: String), nowMillis: Int64) -> CommitResult {
        var overlay = overlay
        if db.isAutocommit {
            return abandon(batch, replies: replies, reason: "the transaction ended before COMMIT")
        }
        do {
            try db.execute("COMMIT")
        } catch {
            return abandon(batch, replies: replies, reason: "COMMIT failed: \(error)", cause: error)
        }
        overlay.auditHeadSeq = head.seq
        overlay.auditHeadHash = head.hash
        groupsSincePrune += 1
        if groupsSincePrune >= 10_000 {
            groupsSincePrune = 0
            try? pruneIdempotency.run([.int(nowMillis - retentionMillis)])
            overlay.pruneIdempotencyBefore = nowMillis - retentionMillis
        }
        return CommitResult(durable: true, overlay: overlay, replies: replies, appliedCount: applied)
    }

    /// Rolls the whole group back: nothing of it reaches the disk or the
    /// in-memory state. Calls it would have applied fail; answers that did
    /// not depend on it (idempotent replays, refusals) stand.
    private func abandon(_ batch: [PendingMutation], replies: [MutationReply], reason: String,
                         cause: (any Error)? = nil) -> CommitResult {
        StoreLog.error("group of \(batch.count) mutations abandoned: \(reason)")
        if !db.isAutocommit { try? db.execute("ROLLBACK") }
        let failure = cause.map(LedgerWriter.isFull) == true ? LedgerWriter.fullFailure : LedgerWriter.storageFailure
        let kept: [MutationReply] = batch.indices.map { index in
            guard index < replies.count else { return .failure(failure) }
            if case .success(.applied) = replies[index] { return .failure(failure) }
            return replies[index]
        }
        return CommitResult(durable: false, overlay: Overlay(), replies: kept, appliedCount: 0)
    }

    static func isFull(_ error: any Error) -> Bool {
        (error as? SQLiteError)?.code == 13 // SQLITE_FULL
    }

    static let fullFailure = LedgerError(.resourceExhausted, "the ledger database is full (its size limit, --store-max-bytes, or the disk); nothing was applied; tell the operator to free space or raise the limit")

    static let storageFailure = LedgerError(.unavailable, "the ledger could not be written to disk; nothing was applied; retry later and tell the operator (see the daemon's log)")

    // MARK: Planning

    /// The plan of `mutation` (Planner); the ids it gives out stay used even
    /// when it is refused.
    private func plan(_ mutation: Mutation, context: CallerContext, overlay: Overlay, store: SQLiteLedgerStore, now: String, today: CivilDate,
                      numbers: inout IdentifierNumbers) throws -> Plan {
        var planner = Planner(overlay: overlay, store: store, context: context, now: now, today: today, numbers: numbers)
        defer { numbers = planner.numbers }
        return try planner.plan(mutation)
    }

    // MARK: Writing


    private func write(_ plan: Plan, context: CallerContext, now: String, seq: inout UInt64, hash: inout String) throws {
        func audit(kind: String, id: String, before: String, after: String) throws {
            seq += 1
            let entry = AuditChain.seal(AuditEntry(
                seq: seq, time: now, identity: context.identity, actor: context.actor, method: context.method,
                requestId: context.requestId, requestSHA256: context.requestSHA256, recordKind: kind, recordId: id,
                beforeJSON: before, afterJSON: after, prevHash: hash))
            try insertAudit.run([
                .int(Int64(entry.seq)), .text(entry.time), .text(entry.identity), .text(entry.actor), .text(entry.method),
                .text(entry.requestId), .text(entry.requestSHA256), .text(entry.recordKind), .text(entry.recordId),
                .text(entry.beforeJSON), .text(entry.afterJSON), .text(entry.prevHash), .text(entry.hash),
            ])
            hash = entry.hash
        }
        for unit in plan.adminUnits {
            let record = unit.jsonText
            try insertAdminUnit.run([.text(unit.code), .text(unit.name), .text(unit.level.rawValue), .text(unit.parentCode),
                                     .int(unit.version), .text(record)])
            try audit(kind: "admin_unit", id: unit.code, before: "", after: record)
        }
        for project in plan.projects {
            let record = project.jsonText
            try insertProject.run([.text(project.id), .text(project.name), .int(Int64(project.year)), .text(project.adminCode),
                                   .int(project.version), .text(record)])
            try audit(kind: "project", id: project.id, before: "", after: record)
        }
        for (entity, before) in plan.entities {
            let record = entity.jsonText
            try upsertEntity.run([.text(entity.id), .text(entity.name), .text(entity.kind.rawValue), .text(entity.adminCode),
                                  .text(entity.creditCode), .int(entity.version), .text(record)])
            try audit(kind: "entity", id: entity.id, before: before?.jsonText ?? "", after: record)
        }
        for (contract, before) in plan.contracts {
            let record = contract.jsonText
            try upsertContract.run([.text(contract.id), .text(contract.assetId), .text(contract.entityId), .text(contract.mode.rawValue),
                                    .text(contract.start.description), .text(contract.end.description), .int(contract.version), .text(record)])
            try audit(kind: "contract", id: contract.id, before: before?.jsonText ?? "", after: record)
        }
        for (report, before) in plan.reports {
            let record = report.jsonText
            try upsertReport.run([.text(report.entityId), .text(report.quarter.description), .int(Int64(report.revision)), .text(record)])
            try audit(kind: "report", id: report.key, before: before?.jsonText ?? "", after: record)
        }
        for (record, before) in plan.stewardship {
            let text = StewardshipJSON.text(record)
            let keys = StewardshipJSON.keys(record)
            try upsertStewardship.run([.text(record.kind.rawValue), .text(record.id), .text(keys.assetId), .text(keys.adminCode),
                                       .int(record.version), .text(text)])
            if let change = plan.auditOverrides[record.kind.rawValue + "/" + record.id] {
                try audit(kind: record.kind.rawValue, id: record.id, before: change.before, after: change.after)
            } else {
                try audit(kind: record.kind.rawValue, id: record.id, before: before.map(StewardshipJSON.text) ?? "", after: text)
            }
        }
        for (asset, before) in plan.assets {
            let record = asset.jsonText
            let code: SQLiteStatement.Value = asset.code.isEmpty ? .null : .text(asset.code)
            if let before {
                try updateAsset.run([code, .text(asset.name), .text(asset.category.rawValue), .text(asset.usageStatus.rawValue),
                                     .text(asset.adminCode), .text(asset.projectId), .text(asset.acquiredDate.description),
                                     .int(asset.originalValueFen), .int(asset.accumulatedDepreciationFen), .int(asset.version),
                                     .text(asset.updatedAt), .text(record), .text(asset.id)])
                try audit(kind: "asset", id: asset.id, before: before.jsonText, after: record)
            } else {
                try insertAsset.run([.text(asset.id), code, .text(asset.name), .text(asset.category.rawValue),
                                     .text(asset.usageStatus.rawValue), .text(asset.adminCode), .text(asset.projectId),
                                     .text(asset.acquiredDate.description), .int(asset.originalValueFen),
                                     .int(asset.accumulatedDepreciationFen), .int(asset.version), .text(asset.createdAt),
                                     .text(asset.updatedAt), .text(record)])
                try audit(kind: "asset", id: asset.id, before: "", after: record)
            }
        }
    }
}
