// taizhang.ledger.v1.Ledger: admin units, projects, assets, the audit journal.
// Reads answer from the store's committed state on the event loop; mutations
// are validated here (every bad field at once) and then queued to the store.

import Foundation
import TaizhangCore
import TaizhangProto

/// The ledger service's methods.
public enum LedgerService {
    /// Largest page of any listing.
    public static let pageSizeMax = 1000
    /// Default page size.
    public static let pageSizeDefault = 100
    /// Most assets in one BatchRegisterAssets.
    public static let batchMaxAssets = 10_000

    /// The method specs, bound to `store`.
    static func methods(store: any LedgerStore, context: LedgerContext, ledgerGuard: LedgerGuard) -> [MethodSpec] {
        let handlers = LedgerHandlers(store: store, context: context, ledgerGuard: ledgerGuard)
        return [
            handlers.createAdminUnit,
            handlers.listAdminUnits,
            handlers.createProject,
            handlers.getProject,
            handlers.listProjects,
            handlers.registerAsset,
            handlers.getAsset,
            handlers.listAssets,
            handlers.updateAsset,
            handlers.batchRegisterAssets,
            handlers.importAssets,
            handlers.verifyAuditChain,
            handlers.listAuditEntries,
            handlers.getAuditEntry,
            handlers.acceptAuditHead,
        ] + handlers.transparencyMethods + lifecycleMethods(store: store, context: context)
    }

    /// Decodes and validates an asset, with references; every violation at once.
    static func checkedAsset(_ proto: Taizhang_Ledger_V1_Asset, prefix: String, store: any LedgerStore) throws -> Asset {
        var bad: [FieldViolation] = []
        let asset = Decode.asset(proto, prefix: prefix, into: &bad)
        var own = AssetRules.validate(asset)
        own += AssetRules.validateReferences(asset, adminUnit: store.adminUnit(code: asset.adminCode),
                                             project: store.project(id: asset.projectId))
        // A field that could not be read is reported once, not again by the rules.
        let unreadable = Set(bad.map(\.field))
        bad += own.map { $0.prefixed(prefix) }.filter { !unreadable.contains($0.field) }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "asset") }
        return asset
    }

    /// One asset of a batch or an import: decoded and checked with its
    /// references; the violations are relative to the asset. `projects`
    /// keeps the projects the request's rows named (nil: none has that
    /// id), so a project missing from the store's cache is read from the
    /// file once per request, not once per row.
    static func checkedRow(_ item: Taizhang_Ledger_V1_Asset, store: any LedgerStore,
                           projects: inout [String: Project?]) -> (Asset, [FieldViolation]) {
        var local: [FieldViolation] = []
        let asset = Decode.asset(item, prefix: "", into: &local)
        if local.isEmpty {
            let project: Project?
            if let known = projects[asset.projectId] {
                project = known
            } else {
                project = store.project(id: asset.projectId)
                projects[asset.projectId] = project
            }
            local += AssetRules.validate(asset)
            local += AssetRules.validateReferences(asset, adminUnit: store.adminUnit(code: asset.adminCode), project: project)
        }
        return (asset, local)
    }

    /// A page of stewardship records from a request's `page_size` and `page_token`.
    static func stewardshipPage(_ store: any LedgerStore, _ filter: StewardshipFilter, size: Int32, token: String) throws -> StewardshipPage {
        try store.stewardshipRecords(filter, after: try PageToken.decode(token), limit: try pageSize(size))
    }

    static func pageSize(_ requested: Int32) throws -> Int {
        if requested < 0 {
            throw LedgerError.invalid([.init(field: "page_size", description: "must not be negative")], what: "request")
        }
        if requested == 0 { return pageSizeDefault }
        return min(Int(requested), pageSizeMax)
    }
}

/// Opaque page tokens: the last key of the previous page, base64url.
enum PageToken {
    static func encode(_ key: String) -> String {
        Data(("v1:" + key).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) throws -> String? {
        if token.isEmpty { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard token.count <= 512, let data = Data(base64Encoded: base64),
              let text = String(data: data, encoding: .utf8), text.hasPrefix("v1:") else {
            throw LedgerError.invalid([.init(field: "page_token", description: "is not a token this server issued; pass next_page_token from the previous page unchanged, or empty for the first page")], what: "request")
        }
        return String(text.dropFirst(3))
    }
}

extension LedgerService {
    /// The ledger's methods for admin units, projects, assets and the audit journal, each a MethodSpec bound to the store.
    struct LedgerHandlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext

        let ledgerGuard: LedgerGuard
        let cache: AssetWireCache
        let imports: ImportSessions

        init(store: any LedgerStore, context: LedgerContext, ledgerGuard: LedgerGuard) {
            self.store = store
            self.context = context
            self.ledgerGuard = ledgerGuard
            cache = AssetWireCache(context: context)
            imports = ImportSessions(clock: context.clock)
        }

        var createAdminUnit: MethodSpec {
            Method.mutation(RPC.Ledger.createAdminUnit, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                let unit = Decode.adminUnit(request.unit, into: &bad)
                                bad += AdminUnitRules.validate(unit).map { $0.prefixed("unit") }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "admin unit") }
                                return .createAdminUnit(unit)
                            },
                            respond: { outcome in
                                guard case .adminUnit(let unit) = outcome else { return .init() }
                                return Encode.adminUnit(unit)
                            })
        }

        var listAdminUnits: MethodSpec {
            Method.unary(RPC.Ledger.listAdminUnits) { _, request in
                let limit = try pageSize(request.pageSize)
                let after = try PageToken.decode(request.pageToken)
                let page = store.adminUnits(parentCode: request.parentCode.isEmpty ? nil : request.parentCode, after: after, limit: limit)
                var response = Taizhang_Ledger_V1_ListAdminUnitsResponse()
                response.units = page.records.map(Encode.adminUnit)
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                return response
            }
        }

        var createProject: MethodSpec {
            Method.mutation(RPC.Ledger.createProject, store: store,
                            plan: { _, request in
                                var bad: [FieldViolation] = []
                                let project = Decode.project(request.project, into: &bad)
                                bad += ProjectRules.validate(project).map { $0.prefixed("project") }
                                if AdminUnitRules.isDivisionCode(project.adminCode), store.adminUnit(code: project.adminCode) == nil {
                                    bad.append(.init(field: "project.admin_code", description: "no admin unit \(project.adminCode) exists"))
                                }
                                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "project") }
                                return .createProject(project)
                            },
                            respond: { outcome in
                                guard case .project(let project) = outcome else { return .init() }
                                return Encode.project(project)
                            })
        }

        var getProject: MethodSpec {
            // Projects are read from the ledger file unless held in memory.
            Method.pointRead(RPC.Ledger.getProject, inMemory: { store.cachedProject(id: $0.id) != nil }) { _, request in
                guard let project = store.project(id: request.id) else {
                    throw LedgerError(.notFound, "no project \"\(request.id)\" exists; ListProjects shows the projects")
                }
                return try Encode.project(project).serializedBytes()
            }
        }

        var listProjects: MethodSpec {
            Method.fileRead(RPC.Ledger.listProjects) { _, request in
                let limit = try pageSize(request.pageSize)
                let after = try PageToken.decode(request.pageToken)
                let page = try store.projects(adminCode: request.adminCode.isEmpty ? nil : request.adminCode,
                                              year: request.year == 0 ? nil : Int(request.year), after: after, limit: limit)
                var response = Taizhang_Ledger_V1_ListProjectsResponse()
                response.projects = page.records.map(Encode.project)
                response.nextPageToken = page.nextAfter.map(PageToken.encode) ?? ""
                return try response.serializedBytes()
            }
        }

        var registerAsset: MethodSpec {
            Method.mutation(RPC.Ledger.registerAsset, store: store,
                            plan: { _, request in
                                let asset = try checkedAsset(request.asset, prefix: "asset", store: store)
                                return .registerAssets([asset], batch: false)
                            },
                            respond: { outcome in
                                guard case .assets(let assets) = outcome, let asset = assets.first else { return .init() }
                                return Encode.asset(asset, context: context)
                            })
        }

        var getAsset: MethodSpec {
            Method.pointRead(RPC.Ledger.getAsset, inMemory: { store.cachedAsset(id: $0.id) != nil }) { _, request in
                guard let asset = store.asset(id: request.id) else {
                    throw LedgerError(.notFound, "no asset \"\(request.id)\" exists; asset ids look like ZC00000001 (ListAssets shows them)")
                }
                return cache.bytes(for: asset)
            }
        }

        var listAssets: MethodSpec {
            Method.fileRead(RPC.Ledger.listAssets) { _, request in
                var bad: [FieldViolation] = []
                let limit = try pageSize(request.pageSize)
                let after = try PageToken.decode(request.pageToken)
                var filter = AssetFilter()
                if !request.adminCode.isEmpty {
                    if store.adminUnit(code: request.adminCode) == nil {
                        bad.append(.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists"))
                    }
                    filter.adminCode = request.adminCode
                }
                if request.category != .unspecified {
                    filter.category = EnumMapping.decode(request.category.rawValue, field: "category", what: "asset category", into: &bad)
                }
                if request.usageStatus != .unspecified {
                    filter.usageStatus = EnumMapping.decode(request.usageStatus.rawValue, field: "usage_status", what: "usage status", into: &bad)
                }
                if request.year != 0 {
                    if !(1900...9999).contains(request.year) {
                        bad.append(.init(field: "year", description: "must be a four-digit year or 0 for all"))
                    }
                    filter.year = Int(request.year)
                }
                if !request.ledgerCode.isEmpty {
                    if store.adminUnit(code: request.ledgerCode) == nil {
                        bad.append(.init(field: "ledger_code", description: "no admin unit \(request.ledgerCode) exists"))
                    }
                    filter.ledgerCode = request.ledgerCode
                }
                if request.stage != .unspecified {
                    filter.stage = EnumMapping.decode(request.stage.rawValue, field: "stage", what: "asset stage", into: &bad)
                }
                filter.withoutCustodian = request.withoutCustodian
                if request.handoverOverdue { filter.handoverOverdueOn = context.today }
                if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
                let page = try store.assets(filter: filter, after: after, limit: limit, countTotal: !request.skipTotal)
                // ListAssetsResponse written field by field around cached asset encodings.
                var writer = ProtoWriter()
                for asset in page.records { writer.lengthDelimited(1, cache.bytes(for: asset)) }
                if let next = page.nextAfter { writer.lengthDelimited(2, Array(PageToken.encode(next).utf8)) }
                writer.varintField(3, UInt64(page.total))
                return writer.bytes
            }
        }

        var updateAsset: MethodSpec {
            Method.mutation(RPC.Ledger.updateAsset, store: store,
                            plan: { _, request in
                                if request.asset.id.isEmpty {
                                    throw LedgerError.invalid([.init(field: "asset.id", description: "is required: the id of the asset to change")], what: "update")
                                }
                                if request.expectedVersion < 0 {
                                    throw LedgerError.invalid([.init(field: "expected_version", description: "must be 0 (no check) or the version you read")], what: "update")
                                }
                                guard store.asset(id: request.asset.id) != nil else {
                                    throw LedgerError(.notFound, "no asset \"\(request.asset.id)\" exists", violations: [.init(field: "asset.id", description: "not found")])
                                }
                                var asset = try checkedAsset(request.asset, prefix: "asset", store: store)
                                asset.id = request.asset.id
                                return .updateAsset(asset, expectedVersion: request.expectedVersion)
                            },
                            respond: { outcome in
                                guard case .assets(let assets) = outcome, let asset = assets.first else { return .init() }
                                return Encode.asset(asset, context: context)
                            })
        }

        var batchRegisterAssets: MethodSpec {
            Method.mutation(RPC.Ledger.batchRegisterAssets, store: store,
                            plan: { _, request in
                                if request.assets.isEmpty {
                                    throw LedgerError.invalid([.init(field: "assets", description: "is empty; send at least one asset")], what: "batch")
                                }
                                if request.assets.count > batchMaxAssets {
                                    throw LedgerError(.invalidArgument, "a batch holds at most \(batchMaxAssets) assets (got \(request.assets.count)); split it into several calls",
                                                      violations: [.init(field: "assets", description: "has \(request.assets.count) items; at most \(batchMaxAssets)")])
                                }
                                var bad: [FieldViolation] = []
                                var assets: [Asset] = []
                                assets.reserveCapacity(request.assets.count)
                                var projects: [String: Project?] = [:]
                                for (index, item) in request.assets.enumerated() {
                                    let (asset, local) = checkedRow(item, store: store, projects: &projects)
                                    bad += local.map { $0.prefixed("assets[\(index)]") }
                                    assets.append(asset)
                                }
                                if !bad.isEmpty {
                                    let items = Set(bad.map { $0.field.prefix { $0 != "." } }).count
                                    throw LedgerError(.invalidArgument, "\(items) of \(assets.count) assets are invalid; nothing was registered; see violations", violations: bad)
                                }
                                return .registerAssets(assets, batch: true)
                            },
                            respond: { outcome in
                                var response = Taizhang_Ledger_V1_BatchRegisterAssetsResponse()
                                if case .assets(let assets) = outcome { response.ids = assets.map(\.id) }
                                return response
                            })
        }

        var importAssets: MethodSpec {
            Method.staged(RPC.Ledger.importAssets, store: store,
                          plan: { call, request in
                              let scope = ScopeGuard.codes(call, store)
                              if let scope, let principal = call.principal {
                                  // Each chunk's rows are checked against the scope as they arrive.
                                  var bad: [FieldViolation] = []
                                  for (index, row) in request.assets.enumerated() {
                                      let at = "assets[\(Int(clamping: request.firstRow) &+ index)]"
                                      if !scope.contains(row.adminCode) {
                                          bad.append(.init(field: at + ".admin_code", description: "\(row.adminCode) lies outside \(principal.scope)"))
                                      }
                                      for (number, owner) in row.owners.enumerated() where !owner.adminCode.isEmpty && !scope.contains(owner.adminCode) {
                                          bad.append(.init(field: at + ".owners[\(number)].admin_code", description: "\(owner.adminCode) lies outside \(principal.scope)"))
                                      }
                                  }
                                  if !bad.isEmpty {
                                      throw LedgerError(.permissionDenied, "\(principal.name) may import only assets of \(principal.scope) and below; \(bad.count) fields name units outside; nothing of this chunk was kept",
                                                        violations: Array(bad.prefix(ImportSessions.violationsListedMax)))
                                  }
                              }
                              return try imports.chunk(request, identity: call.principal?.name ?? call.identity,
                                                       digest: SHA256.hex(try request.serializedBytes() as [UInt8]),
                                                       idempotencyKey: call.idempotencyKey, store: store, scope: scope)
                          },
                          respond: { outcome in
                              var response = Taizhang_Ledger_V1_ImportAssetsResponse()
                              if case .assets(let assets) = outcome {
                                  response.ids = assets.map(\.id)
                                  response.rowsReceived = UInt64(assets.count)
                                  response.committed = true
                              }
                              return response
                          })
        }

        var verifyAuditChain: MethodSpec {
            Method.blocking(RPC.Ledger.verifyAuditChain) { _, request in
                let result = try store.verifyAuditChain(expectedHead: try Self.expectedHead(request))
                var response = Taizhang_Ledger_V1_VerifyAuditChainResponse()
                response.intact = result.intact
                response.entriesChecked = result.entriesChecked
                response.firstBrokenSeq = result.firstBrokenSeq
                response.problem = result.problem
                response.headSeq = result.headSeq
                response.headHash = result.headHash
                response.chainIntact = result.chainIntact
                response.rowsChecked = result.rowsChecked
                response.mismatchCount = result.mismatchCount
                response.mismatches = result.mismatches.map { mismatch in
                    var wire = Taizhang_Ledger_V1_LedgerMismatch()
                    wire.table = mismatch.table
                    wire.id = mismatch.id
                    wire.column = mismatch.column
                    wire.problem = mismatch.problem
                    return wire
                }
                return response
            }
        }

        var listAuditEntries: MethodSpec {
            Method.blocking(RPC.Ledger.listAuditEntries) { _, request in
                let limit = try pageSize(request.pageSize)
                // One more than the page tells whether another page follows.
                var entries = try store.auditEntries(recordId: request.recordID.isEmpty ? nil : request.recordID,
                                                     afterSeq: request.afterSeq, limit: limit + 1)
                let more = entries.count > limit
                if more { entries.removeLast() }
                var response = Taizhang_Ledger_V1_ListAuditEntriesResponse()
                response.entries = entries.map(Encode.auditEntry)
                response.nextAfterSeq = more ? (entries.last?.seq ?? 0) : 0
                return response
            }
        }

        var getAuditEntry: MethodSpec {
            Method.blocking(RPC.Ledger.getAuditEntry) { _, request in
                guard request.seq > 0 else {
                    throw LedgerError.invalid([.init(field: "seq", description: "is required: the entry's sequence number, from 1")], what: "request")
                }
                guard let entry = try store.auditEntries(recordId: nil, afterSeq: request.seq - 1, limit: 1).first, entry.seq == request.seq else {
                    throw LedgerError(.notFound, "no audit entry #\(request.seq) exists; the journal's head is #\(store.statistics().auditHeadSeq)")
                }
                return Encode.auditEntry(entry)
            }
        }
    }
}

extension LedgerService.LedgerHandlers {
    /// The head a VerifyAuditChain call names, if any; both fields or neither.
    static func expectedHead(_ request: Taizhang_Ledger_V1_VerifyAuditChainRequest) throws -> AuditHead? {
        if request.expectedHeadSeq == 0, request.expectedHeadHash.isEmpty { return nil }
        var bad: [FieldViolation] = []
        if request.expectedHeadSeq == 0 {
            bad.append(FieldViolation(field: "expected_head_seq", description: "give the head's seq (1 or more) with its hash"))
        }
        if !AuditHead.isHash(request.expectedHeadHash) {
            bad.append(FieldViolation(field: "expected_head_hash", description: "give the head's hash: 64 lowercase hex digits (as Status or a backup printed it)"))
        }
        guard bad.isEmpty else { throw LedgerError.invalid(bad) }
        return AuditHead(seq: request.expectedHeadSeq, hash: request.expectedHeadHash)
    }
}

extension LedgerService.LedgerHandlers {
    var acceptAuditHead: MethodSpec {
        Method.mutation(RPC.Ledger.acceptAuditHead, store: store,
                        plan: { [ledgerGuard] call, request in
                            var bad: [FieldViolation] = []
                            // Accepted once, for the head it names: a retry is answered by Status, not replayed.
                            if call.idempotencyKey != nil {
                                bad.append(FieldViolation(field: "idempotency-key", description: "AcceptAuditHead takes no idempotency-key; after a lost answer, read the head and the hold in Status"))
                            }
                            if request.headSeq == 0 {
                                bad.append(FieldViolation(field: "head_seq", description: "give the journal's head seq, as `taizhang audit verify` printed it"))
                            }
                            if !AuditHead.isHash(request.headHash) {
                                bad.append(FieldViolation(field: "head_hash", description: "give the journal's head hash: 64 lowercase hex digits"))
                            }
                            let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
                            if reason.isEmpty || reason.count > 500 {
                                bad.append(FieldViolation(field: "reason", description: "say what you found and decided: 1 to 500 characters"))
                            }
                            if !bad.isEmpty { throw LedgerError.invalid(bad) }
                            return .acceptHead(try ledgerGuard.acceptance(head: AuditHead(seq: request.headSeq, hash: request.headHash), reason: reason))
                        },
                        respond: { outcome in
                            var response = Taizhang_Ledger_V1_AcceptAuditHeadResponse()
                            if case .journaled(let head) = outcome {
                                response.headSeq = head.seq
                                response.headHash = head.hash
                            }
                            return response
                        })
    }
}
