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
                    if !plan.assets.isEmpty { overlay.kinds.insert("asset") }
                    for (entity, before) in plan.entities {
                        if overlay.entities.updateValue(entity, forKey: entity.id) == nil { overlay.entityOrder.append(entity.id) }
                        if let before, !before.creditCode.isEmpty, before.creditCode != entity.creditCode { overlay.entityIdsByCreditCode[before.creditCode] = "" }
                        if !entity.creditCode.isEmpty { overlay.entityIdsByCreditCode[entity.creditCode] = entity.id }
                        overlay.kinds.insert("entity")
                    }
                    for (contract, _) in plan.contracts {
                        if overlay.contracts.updateValue(contract, forKey: contract.id) == nil { overlay.contractOrder.append(contract.id) }
                        overlay.kinds.insert("contract")
                    }
                    for (report, _) in plan.reports {
                        overlay.reports[report.key] = report
                        overlay.kinds.insert("report")
                    }
                    for (record, _) in plan.stewardship {
                        let key = record.kind.rawValue + "/" + record.id
                        if overlay.stewardship.updateValue(record, forKey: key) == nil { overlay.stewardshipOrder.append(key) }
                        overlay.kinds.insert(record.kind.rawValue)
                    }
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

    private func plan(_ mutation: Mutation, context: CallerContext, overlay: Overlay, store: SQLiteLedgerStore, now: String, today: CivilDate,
                      numbers: inout IdentifierNumbers) throws -> Plan {
        func adminUnit(_ code: String) -> AdminUnit? { overlay.adminUnits[code] ?? store.state.withLock { $0.adminUnits[code] } }
        func lookupProject(_ id: String) -> Project? { overlay.projects[id] ?? store.state.withLock { $0.projects[id] } }
        func lookupAsset(_ id: String) -> Asset? { overlay.assets[id] ?? store.state.withLock { $0.assets[id] } }
        func holder(ofCode code: String) -> String? {
            if let id = overlay.assetIdsByCode[code] { return id.isEmpty ? nil : id }
            return store.state.withLock { $0.assetIdsByCode[code] }
        }
        /// The holder of an asset number as the caller may see it: numbers
        /// are unique county-wide, but an asset outside the scope stays unnamed.
        func shown(_ holder: String) -> String {
            guard let scope = context.scope, let code = lookupAsset(holder)?.adminCode, !scope.contains(code) else { return holder }
            return "an asset outside \(context.scopeHolder)"
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
            var plan = Plan(outcome: .assets([]))
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

        case .updateAsset(var asset, let expectedVersion):
            guard let current = lookupAsset(asset.id) else {
                throw LedgerError(.notFound, "no asset \(asset.id) exists", violations: [.init(field: "asset.id", description: "not found")])
            }
            if expectedVersion != 0, expectedVersion != current.version {
                throw LedgerError(.aborted, "asset \(asset.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
            }
            if current.lifecycle.stage == .disposed {
                throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of (已处置, \(current.lifecycle.disposalId)); it is out of the active ledger and its record no longer changes")
            }
            if let draft = pendingDisposal(of: asset.id, overlay: overlay, store: store) {
                throw LedgerError(.failedPrecondition, "asset \(asset.id) has a disposal drafted (\(draft)) that awaits approval; its record does not change until the disposal is approved or rejected (ApproveDisposal)")
            }
            var bad = AssetRules.validateReferences(asset, adminUnit: adminUnit(asset.adminCode), project: lookupProject(asset.projectId))
            if !asset.code.isEmpty, let holder = holder(ofCode: asset.code), holder != asset.id {
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
            return Plan(assets: [(asset, current)], outcome: .assets([asset]))

        case .lifecycle(let id, var action, let calendar, let policy, let contributions, let expectedVersion):
            guard let current = lookupAsset(id) else {
                throw LedgerError(.notFound, "no asset \(id) exists", violations: [.init(field: "asset_id", description: "not found")])
            }
            if expectedVersion != 0, expectedVersion != current.version {
                throw LedgerError(.aborted, "asset \(id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
            }
            if action.changesValueOrOwners, let draft = pendingDisposal(of: id, overlay: overlay, store: store) {
                throw LedgerError(.failedPrecondition, "asset \(id) has a disposal drafted (\(draft)) that awaits approval; its value and owners do not change until the disposal is approved or rejected (ApproveDisposal)")
            }
            if case .confirmOwnership(let owners, let date, let reason, _, let drafter) = action {
                let proposal = try OwnershipRules.propose(for: current, contributions: contributions, unit: adminUnit)
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
            let unknown = named.enumerated().filter { !$0.element.adminCode.isEmpty && adminUnit($0.element.adminCode) == nil }
            if changesOwners, !unknown.isEmpty {
                let field = if case .resolveObjection = action { "corrected_owners" } else { "owners" }
                throw LedgerError.invalid(unknown.map { .init(field: "\(field)[\($0.offset)].admin_code", description: "no admin unit \($0.element.adminCode) exists") }, what: action.name)
            }
            asset.version = current.version + 1
            asset.updatedAt = now
            return Plan(assets: [(asset, current)], outcome: .assets([asset]))

        case .probe:
            return Plan(outcome: .assets([]))

        case .createEntity, .updateEntity, .createContract, .amendContract, .submitReport:
            return try planOperations(mutation, context: context, overlay: overlay, store: store, now: now, today: today, numbers: &numbers)

        case .stewardship(let change):
            return try planStewardship(change, context: context, overlay: overlay, store: store, now: now, today: today, numbers: &numbers)
        }
    }

    private func planOperations(_ mutation: Mutation, context: CallerContext, overlay: Overlay, store: SQLiteLedgerStore, now: String, today: CivilDate,
                                numbers: inout IdentifierNumbers) throws -> Plan {
        func adminUnit(_ code: String) -> AdminUnit? { overlay.adminUnits[code] ?? store.state.withLock { $0.adminUnits[code] } }
        func lookupAsset(_ id: String) -> Asset? { overlay.assets[id] ?? store.state.withLock { $0.assets[id] } }
        func lookupEntity(_ id: String) -> OperatingEntity? { overlay.entities[id] ?? store.state.withLock { $0.operations.entities[id] } }
        func lookupContract(_ id: String) -> OperationContract? { overlay.contracts[id] ?? store.state.withLock { $0.operations.contracts[id] } }
        func holder(ofCreditCode code: String) -> String? {
            if let id = overlay.entityIdsByCreditCode[code] { return id.isEmpty ? nil : id }
            return store.state.withLock { $0.entityIdsByCreditCode[code] }
        }
        /// The entity holding a credit code as the caller may see it.
        func shownEntity(_ holder: String) -> String {
            guard let scope = context.scope, let code = lookupEntity(holder)?.adminCode, !scope.contains(code) else { return holder }
            return "an entity outside \(context.scopeHolder)"
        }
        func assetContracts(_ assetId: String) -> [OperationContract] {
            let committed = store.state.withLock { $0.operations.contracts(ofAsset: assetId) }
            var byId: [String: OperationContract] = [:]
            for contract in committed { byId[contract.id] = contract }
            for contract in overlay.contracts.values where contract.assetId == assetId { byId[contract.id] = contract }
            return byId.values.sorted { $0.id < $1.id }
        }
        func checkParties(_ contract: OperationContract) throws {
            var bad: [FieldViolation] = []
            if let asset = lookupAsset(contract.assetId), asset.lifecycle.stage == .disposed {
                throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of (已处置 on \(asset.lifecycle.disposedOn?.description ?? "?")); it can be under no contract",
                                  violations: [.init(field: "contract.asset_id", description: "disposed of")])
            }
            if lookupAsset(contract.assetId) == nil { bad.append(.init(field: "contract.asset_id", description: "no asset \(contract.assetId) exists")) }
            if lookupEntity(contract.entityId) == nil { bad.append(.init(field: "contract.entity_id", description: "no operating entity \(contract.entityId) exists")) }
            if !bad.isEmpty { throw LedgerError.invalid(bad, what: "contract") }
        }
        /// Another contract of the asset sharing a day with this one's term.
        func overlapping(_ contract: OperationContract) -> OperationContract? {
            assetContracts(contract.assetId).first { other in
                other.id != contract.id && other.start <= contract.lastDay && contract.start <= other.lastDay
            }
        }

        switch mutation {
        case .createEntity(var entity):
            var bad: [FieldViolation] = []
            if adminUnit(entity.adminCode) == nil {
                bad.append(.init(field: "entity.admin_code", description: "no admin unit \(entity.adminCode) exists"))
            }
            if !entity.creditCode.isEmpty, let holder = holder(ofCreditCode: entity.creditCode) {
                throw LedgerError(.alreadyExists, "credit code \(entity.creditCode) is already registered as \(shownEntity(holder))",
                                  violations: [.init(field: "entity.credit_code", description: "already registered as \(shownEntity(holder))")])
            }
            if !bad.isEmpty { throw LedgerError.invalid(bad, what: "entity") }
            numbers.entity += 1
            entity.id = OperationsIdentifiers.entity(numbers.entity)
            entity.version = 1
            entity.createdAt = now
            entity.updatedAt = now
            return Plan(entities: [(entity, nil)], outcome: .entity(entity))

        case .updateEntity(var entity, let expectedVersion):
            guard let current = lookupEntity(entity.id) else {
                throw LedgerError(.notFound, "no operating entity \(entity.id) exists", violations: [.init(field: "entity.id", description: "not found")])
            }
            if expectedVersion != 0, expectedVersion != current.version {
                throw LedgerError(.aborted, "entity \(entity.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
            }
            var bad: [FieldViolation] = []
            if adminUnit(entity.adminCode) == nil {
                bad.append(.init(field: "entity.admin_code", description: "no admin unit \(entity.adminCode) exists"))
            }
            if !entity.creditCode.isEmpty, let holder = holder(ofCreditCode: entity.creditCode), holder != entity.id {
                throw LedgerError(.alreadyExists, "credit code \(entity.creditCode) is already registered as \(shownEntity(holder))",
                                  violations: bad + [.init(field: "entity.credit_code", description: "already registered as \(shownEntity(holder))")])
            }
            if !bad.isEmpty { throw LedgerError.invalid(bad, what: "entity") }
            entity.version = current.version + 1
            entity.createdAt = current.createdAt
            entity.updatedAt = now
            return Plan(entities: [(entity, current)], outcome: .entity(entity))

        case .createContract(var contract):
            try checkParties(contract)
            if let other = overlapping(contract) {
                throw LedgerError(.failedPrecondition, "asset \(contract.assetId) is already under contract \(other.id) from \(other.start) to \(other.lastDay); terminate or shorten it first (AmendContract)",
                                  violations: [.init(field: "contract.start", description: "overlaps contract \(other.id) (\(other.start)–\(other.lastDay))")])
            }
            numbers.contract += 1
            contract.id = OperationsIdentifiers.contract(numbers.contract)
            contract.terminatedOn = nil
            contract.operatorSince = nil
            contract.amendments = []
            contract.version = 1
            contract.createdAt = now
            contract.updatedAt = now
            return Plan(contracts: [(contract, nil)], outcome: .contract(contract))

        case .amendContract(var contract, let consent, let expectedVersion):
            guard let current = lookupContract(contract.id) else {
                throw LedgerError(.notFound, "no contract \(contract.id) exists", violations: [.init(field: "contract_id", description: "not found")])
            }
            if expectedVersion != 0, expectedVersion != current.version {
                throw LedgerError(.aborted, "contract \(contract.id) is at version \(current.version), not \(expectedVersion): someone changed it since you read it; read it again and reapply your change")
            }
            contract.assetId = current.assetId
            let rules = OperationsRules.validateChange(from: current, to: contract, consent: consent, today: today)
            let changeStatus: ErrorCode = rules.contains { $0.field == "owner_consent" || $0.field == "contract_id" } ? .failedPrecondition : .invalidArgument
            if !rules.isEmpty {
                if changeStatus == .failedPrecondition {
                    throw LedgerError(.failedPrecondition, rules[0].description, violations: rules)
                }
                throw LedgerError.invalid(rules, what: "contract change")
            }
            if lookupEntity(contract.entityId) == nil {
                throw LedgerError.invalid([.init(field: "contract.entity_id", description: "no operating entity \(contract.entityId) exists")], what: "contract change")
            }
            if let asset = lookupAsset(contract.assetId), asset.lifecycle.stage == .disposed, contract.terminatedOn == nil || contract.lastDay > (asset.lifecycle.disposedOn ?? today) {
                throw LedgerError(.failedPrecondition, "asset \(asset.id) is disposed of; its contract can only be ended by the disposal day (\(asset.lifecycle.disposedOn?.description ?? "?"))")
            }
            if let other = overlapping(contract) {
                throw LedgerError(.failedPrecondition, "the new term overlaps contract \(other.id) of the same asset (\(other.start)–\(other.lastDay))",
                                  violations: [.init(field: "contract.end", description: "overlaps contract \(other.id)")])
            }
            var summary: [String] = []
            if contract.entityId != current.entityId { summary.append("operator \(current.entityId) → \(contract.entityId)") }
            if contract.mode != current.mode { summary.append("mode \(current.mode.rawValue) → \(contract.mode.rawValue)") }
            if contract.start != current.start || contract.end != current.end { summary.append("term \(current.start)–\(current.end) → \(contract.start)–\(contract.end)") }
            if contract.payments != current.payments { summary.append("payments \(current.payments.count) → \(contract.payments.count) items") }
            if contract.committedPoorLabourers != current.committedPoorLabourers || contract.committedHouseholds != current.committedHouseholds {
                summary.append("commitments \(current.committedPoorLabourers)/\(current.committedHouseholds) → \(contract.committedPoorLabourers)/\(contract.committedHouseholds) (labourers/households)")
            }
            if contract.terminatedOn != current.terminatedOn, let day = contract.terminatedOn { summary.append("terminated on \(day)") }
            if summary.isEmpty {
                throw LedgerError.invalid([.init(field: "contract", description: "changes nothing; send the fields to change")], what: "contract change")
            }
            // A new operator answers from today for quarters and payments; before the
            // term began, the whole term is its own.
            contract.operatorSince = contract.entityId != current.entityId && today > current.start ? today : current.operatorSince
            contract.amendments = current.amendments + [ContractAmendment(date: today, summary: summary.joined(separator: "; "), consent: consent)]
            contract.version = current.version + 1
            contract.createdAt = current.createdAt
            contract.updatedAt = now
            return Plan(contracts: [(contract, current)], outcome: .contract(contract))

        case .submitReport(var report, let expectedRevision):
            guard lookupEntity(report.entityId) != nil else {
                throw LedgerError(.notFound, "no operating entity \(report.entityId) exists", violations: [.init(field: "report.entity_id", description: "not found")])
            }
            let current = overlay.reports[report.key] ?? store.state.withLock { $0.operations.reports[report.entityId]?[report.quarter] }
            if let current {
                if expectedRevision != 0, expectedRevision != current.revision {
                    throw LedgerError(.aborted, "the \(report.quarter) report of \(report.entityId) is at revision \(current.revision), not \(expectedRevision); read it again")
                }
                if report.correctionReason.trimmingCharacters(in: .whitespaces).isEmpty {
                    throw LedgerError.invalid([.init(field: "report.correction_reason", description: "the \(report.quarter) report exists (revision \(current.revision)); a correction must say why it corrects it")], what: "report correction")
                }
                report.revision = current.revision + 1
                report.createdAt = current.createdAt
                // Lateness is judged on the first report; a correction does not make it late.
                report.submittedOn = current.submittedOn
            } else {
                if expectedRevision != 0 {
                    throw LedgerError(.aborted, "no \(report.quarter) report of \(report.entityId) exists to correct (expected revision \(expectedRevision))")
                }
                report.revision = 1
                report.createdAt = now
            }
            report.updatedAt = now
            return Plan(reports: [(report, current)], outcome: .report(report))

        default:
            throw LedgerError(.internal, "not an operations mutation")
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
