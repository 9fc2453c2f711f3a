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
private struct Plan {
    var adminUnits: [AdminUnit] = []
    var projects: [Project] = []
    /// The asset and its state before (nil when new).
    var assets: [(after: Asset, before: Asset?)] = []
    var outcome: MutationOutcome
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
    }

    /// Applies `batch` in one transaction; each mutation in its own savepoint.
    func commit(_ batch: [PendingMutation], committed store: SQLiteLedgerStore) -> CommitResult {
        var overlay = Overlay()
        var replies: [MutationReply] = []
        var applied = 0
        let nowMillis = clock.nowUnixMillis()
        let now = Timestamp.rfc3339(unixMillis: nowMillis)
        var (headSeq, headHash, lastNumber) = store.state.withLock { ($0.auditHeadSeq, $0.auditHeadHash, $0.lastAssetNumber) }
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            StoreLog.error("BEGIN failed: \(error)")
            return CommitResult(durable: false, overlay: overlay, replies: batch.map { _ in .failure(LedgerWriter.storageFailure) }, appliedCount: 0)
        }
        for pending in batch {
            let context = pending.context
            // Keys are scoped to the caller: two identities never share one.
            let idempotencyKey = context.idempotencyKey.map { context.identity + "\n" + $0 }
            if let key = idempotencyKey {
                let known = overlay.idempotency[key] ?? store.state.withLock { $0.idempotency[key] }
                if let known, known.createdUnixMillis >= nowMillis - retentionMillis {
                    if known.method == context.method, known.requestSHA256 == context.requestSHA256 {
                        replies.append(.success(.replayed(known.response)))
                    } else {
                        replies.append(.failure(LedgerError(.failedPrecondition,
                            "idempotency-key \"\(context.idempotencyKey ?? "")\" was already used for a different request (\(known.method)); use a new key for a new request")))
                    }
                    continue
                }
            }
            do {
                let plan = try self.plan(pending.mutation, overlay: overlay, store: store, now: now,
                                         today: Timestamp.chinaDate(unixMillis: nowMillis), lastNumber: &lastNumber)
                try db.execute("SAVEPOINT m")
                do {
                    var seq = headSeq
                    var hash = headHash
                    try write(plan, context: context, now: now, seq: &seq, hash: &hash)
                    var response: [UInt8]?
                    var remembered: (String, IdempotencyRecord)?
                    if let key = idempotencyKey {
                        let encoded = pending.encode(plan.outcome)
                        response = encoded
                        let record = IdempotencyRecord(method: context.method, requestSHA256: context.requestSHA256,
                                                       response: encoded, createdUnixMillis: nowMillis)
                        try upsertIdempotency.run([.text(key), .text(record.method), .text(record.requestSHA256),
                                                   .blob(encoded), .int(nowMillis)])
                        remembered = (key, record)
                    }
                    try db.execute("RELEASE m")
                    if let (key, record) = remembered { overlay.idempotency[key] = record }
                    headSeq = seq
                    headHash = hash
                    for unit in plan.adminUnits { overlay.adminUnits[unit.code] = unit }
                    for project in plan.projects { overlay.projects[project.id] = project }
                    for (asset, before) in plan.assets {
                        if overlay.assets.updateValue(asset, forKey: asset.id) == nil { overlay.assetOrder.append(asset.id) }
                        if let before, !before.code.isEmpty, before.code != asset.code { overlay.assetIdsByCode[before.code] = "" }
                        if !asset.code.isEmpty { overlay.assetIdsByCode[asset.code] = asset.id }
                    }
                    replies.append(.success(.applied(plan.outcome, encoded: response)))
                    applied += 1
                } catch {
                    StoreLog.error("writing \(context.method) failed (request-id \(context.requestId)): \(error)")
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
        if db.isAutocommit {
            return abandon(batch, replies: replies, reason: "the transaction ended before COMMIT")
        }
        do {
            try db.execute("COMMIT")
        } catch {
            return abandon(batch, replies: replies, reason: "COMMIT failed: \(error)", cause: error)
        }
        overlay.auditHeadSeq = headSeq
        overlay.auditHeadHash = headHash
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

    private func plan(_ mutation: Mutation, overlay: Overlay, store: SQLiteLedgerStore, now: String, today: CivilDate,
                      lastNumber: inout Int) throws -> Plan {
        func adminUnit(_ code: String) -> AdminUnit? { overlay.adminUnits[code] ?? store.state.withLock { $0.adminUnits[code] } }
        func lookupProject(_ id: String) -> Project? { overlay.projects[id] ?? store.state.withLock { $0.projects[id] } }
        func lookupAsset(_ id: String) -> Asset? { overlay.assets[id] ?? store.state.withLock { $0.assets[id] } }
        func holder(ofCode code: String) -> String? {
            if let id = overlay.assetIdsByCode[code] { return id.isEmpty ? nil : id }
            return store.state.withLock { $0.assetIdsByCode[code] }
        }

        switch mutation {
        case .createAdminUnit(var unit):
            var bad = AdminUnitRules.validate(unit).map { $0.prefixed("unit") }
            if adminUnit(unit.code) != nil {
                throw LedgerError(.alreadyExists, "admin unit \(unit.code) already exists", violations: [.init(field: "unit.code", description: "already exists")])
            }
            if bad.isEmpty {
                bad += AdminUnitRules.validateParent(unit, parent: adminUnit(unit.parentCode)).map { $0.prefixed("unit") }
            }
            if !bad.isEmpty { throw LedgerError.invalid(bad, what: "admin unit") }
            unit.version = 1
            return Plan(adminUnits: [unit], outcome: .adminUnit(unit))

        case .createProject(var project):
            var bad = ProjectRules.validate(project).map { $0.prefixed("project") }
            if lookupProject(project.id) != nil {
                throw LedgerError(.alreadyExists, "project \(project.id) already exists", violations: [.init(field: "project.id", description: "already exists")])
            }
            if AdminUnitRules.isDivisionCode(project.adminCode), adminUnit(project.adminCode) == nil {
                bad.append(.init(field: "project.admin_code", description: "no admin unit \(project.adminCode) exists"))
            }
            if !bad.isEmpty { throw LedgerError.invalid(bad, what: "project") }
            project.version = 1
            return Plan(projects: [project], outcome: .project(project))

        case .registerAssets(let assets, let batch):
            var bad: [FieldViolation] = []
            var codesInRequest: [String: Int] = [:]
            var duplicate = false
            for (index, asset) in assets.enumerated() {
                let prefix = batch ? "assets[\(index)]" : "asset"
                // The asset's own fields were checked by the caller (see LedgerStore.submit).
                var own = AssetRules.validateReferences(asset, adminUnit: adminUnit(asset.adminCode), project: lookupProject(asset.projectId))
                if !asset.code.isEmpty {
                    if let holder = holder(ofCode: asset.code) {
                        own.append(.init(field: "code", description: "asset number \(asset.code) is already used by \(holder)"))
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
            var plan = Plan(outcome: .assets([]))
            var created: [Asset] = []
            for var asset in assets {
                lastNumber += 1
                asset.id = AssetIdentifiers.make(lastNumber)
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

        case .updateAsset(var asset, let expectedVersion):
            guard let current = lookupAsset(asset.id) else {
                throw LedgerError(.notFound, "no asset \(asset.id) exists", violations: [.init(field: "asset.id", description: "not found")])
            }
            if expectedVersion != 0, expectedVersion != current.version {
                throw LedgerError(.aborted, "asset \(asset.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
            }
            var bad = AssetRules.validateReferences(asset, adminUnit: adminUnit(asset.adminCode), project: lookupProject(asset.projectId))
            if !asset.code.isEmpty, let holder = holder(ofCode: asset.code), holder != asset.id {
                bad.append(.init(field: "code", description: "asset number \(asset.code) is already used by \(holder)"))
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
            return Plan(assets: [(asset, current)], outcome: .assets([asset]))

        case .lifecycle(let id, var action, let calendar, let policy, let contributions, let expectedVersion):
            guard let current = lookupAsset(id) else {
                throw LedgerError(.notFound, "no asset \(id) exists", violations: [.init(field: "asset_id", description: "not found")])
            }
            if expectedVersion != 0, expectedVersion != current.version {
                throw LedgerError(.aborted, "asset \(id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
            }
            if case .confirmOwnership(let owners, let date, let reason, _) = action {
                let proposal = try OwnershipRules.propose(for: current, contributions: contributions, unit: adminUnit)
                action = .confirmOwnership(owners: owners, date: date, overrideReason: reason, proposal: proposal)
            }
            var asset = try LifecycleRules.apply(action, to: current, calendar: calendar, today: today, policy: policy)
            // Owners that name an admin unit must name one that exists.
            let changesOwners = asset.owners != current.owners
            let unknown = asset.owners.enumerated().filter { !$0.element.adminCode.isEmpty && adminUnit($0.element.adminCode) == nil }
            if changesOwners, !unknown.isEmpty {
                let field = if case .resolveObjection = action { "corrected_owners" } else { "owners" }
                throw LedgerError.invalid(unknown.map { .init(field: "\(field)[\($0.offset)].admin_code", description: "no admin unit \($0.element.adminCode) exists") }, what: action.name)
            }
            asset.version = current.version + 1
            asset.updatedAt = now
            return Plan(assets: [(asset, current)], outcome: .assets([asset]))
        }
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
