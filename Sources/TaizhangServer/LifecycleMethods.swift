// The life-cycle methods of taizhang.ledger.v1.Ledger (DOMAIN.md steps 2–8):
// each decodes its request into a `LifecycleAction`, which the store checks
// with `LifecycleRules` against the committed asset at commit time; and the
// reads over the life cycle: ProposeOwnership, GetDepreciation, GetLedgerSummary.

import TaizhangCore
import TaizhangProto
import TaizhangRecords
import SwiftProtobuf

extension LedgerService {
    /// What a life-cycle request asks for.
    struct LifecycleRequest {
        var assetId: String
        var expectedVersion: Int64
        var action: LifecycleAction?
        var contributions: [ContributionReference] = []
    }

    static func lifecycleMethods(store: any LedgerStore, context: LedgerContext) -> [MethodSpec] {
        let handlers = LifecycleHandlers(store: store, context: context)
        return [
            handlers.proposeOwnership,
            handlers.confirmOwnership,
            handlers.approveOwnership,
            handlers.openPublication,
            handlers.fileObjection,
            handlers.resolveObjection,
            handlers.closePublication,
            handlers.recordHandover,
            handlers.handOffOperation,
            handlers.putInUse,
            handlers.recordValuation,
            handlers.getDepreciation,
            handlers.getLedgerSummary,
        ]
    }
}

extension Decode {
    static func owners(_ owners: [Taizhang_Ledger_V1_Owner], field: String, into bad: inout [FieldViolation]) -> [Owner] {
        owners.enumerated().map { index, owner in
            let kind: OwnerKind? = EnumMapping.decode(owner.kind.rawValue, field: "\(field)[\(index)].kind", what: "owner kind", into: &bad)
            return Owner(name: owner.name, kind: kind ?? .other, adminCode: owner.adminCode, shareBasisPoints: Int(clamping: owner.shareBp),
                         householdId: owner.householdID)
        }
    }

    static func contributions(_ items: [Taizhang_Ledger_V1_VillageContribution]) -> [ContributionReference] {
        items.map { ContributionReference(adminCode: $0.adminCode, amountFen: $0.amountFen) }
    }

    static func operation(_ op: Taizhang_Ledger_V1_Operation, into bad: inout [FieldViolation]) -> Operation {
        let mode: OperationMode? = EnumMapping.decode(op.mode.rawValue, field: "operation.mode", what: "operation mode", into: &bad)
        return Operation(mode: mode ?? .selfOperated, counterparty: op.counterparty, annualFeeFen: op.annualFeeFen,
                         termStart: date(op.termStart, field: "operation.term_start", required: false, into: &bad),
                         termEnd: date(op.termEnd, field: "operation.term_end", required: false, into: &bad))
    }
}

extension Encode {
    static func totals(_ totals: LedgerTotals) -> Taizhang_Ledger_V1_LedgerTotals {
        var out = Taizhang_Ledger_V1_LedgerTotals()
        out.count = UInt64(totals.count)
        out.originalValueFen = totals.originalValueFen
        out.accumulatedDepreciationFen = totals.accumulatedDepreciationFen
        out.netValueFen = totals.netValueFen
        return out
    }

    static func summary(_ summary: LedgerSummary, adminCode: String) -> Taizhang_Ledger_V1_LedgerSummary {
        var out = Taizhang_Ledger_V1_LedgerSummary()
        out.adminCode = adminCode
        out.asOf = summary.asOf.description
        out.total = totals(summary.total)
        out.byCategory = AssetCategory.allCases.map { category in
            var item = Taizhang_Ledger_V1_CategoryTotals()
            item.category = .init(rawValue: EnumMapping.encode(category)) ?? .unspecified
            item.totals = totals(summary.byCategory[category] ?? LedgerTotals())
            return item
        }
        out.byStage = AssetStage.allCases.compactMap { stage in
            guard let count = summary.byStage[stage] else { return nil }
            var item = Taizhang_Ledger_V1_StageCount()
            item.stage = .init(rawValue: EnumMapping.encode(stage)) ?? .unspecified
            item.count = UInt64(count)
            return item
        }
        out.withoutCustodian = UInt64(summary.withoutCustodian)
        out.handoverOverdue = UInt64(summary.handoverOverdue)
        return out
    }
}

extension LedgerService {
    /// The life-cycle methods (DOMAIN.md steps 2–8), each a MethodSpec bound to the store.
    struct LifecycleHandlers: Sendable {
        let store: any LedgerStore
        let context: LedgerContext

        /// A life-cycle mutation answering with the changed asset.
        func step<Request: SwiftProtobuf.Message>(_ method: RPCMethod<Request, Taizhang_Ledger_V1_Asset>,
                                                  decode: @escaping @Sendable (Request, inout [FieldViolation]) -> LifecycleRequest) -> MethodSpec {
            Method.mutation(method, store: store,
                            plan: { call, request in
                                var bad: [FieldViolation] = []
                                let decoded = decode(request, &bad)
                                if decoded.assetId.isEmpty {
                                    bad.insert(.init(field: "asset_id", description: "is required: the id of the asset, e.g. ZC00000001"), at: 0)
                                } else if store.asset(id: decoded.assetId) == nil {
                                    throw LedgerError(.notFound, "no asset \"\(decoded.assetId)\" exists; asset ids look like ZC00000001 (ListAssets shows them)",
                                                      violations: [.init(field: "asset_id", description: "not found")])
                                }
                                if decoded.expectedVersion < 0 {
                                    bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the version you read"))
                                }
                                guard bad.isEmpty, var action = decoded.action else { throw LedgerError.invalid(bad, what: method.name) }
                                action.sign(Decode.signer(call))
                                return .lifecycle(assetId: decoded.assetId, action: action, calendar: context.calendar, policy: context.policy,
                                                  contributions: decoded.contributions, expectedVersion: decoded.expectedVersion)
                            },
                            respond: { outcome in
                                guard case .assets(let assets) = outcome, let asset = assets.first else { return .init() }
                                return Encode.asset(asset, context: context)
                            })
        }
        func required(_ text: String, _ field: String, _ bad: inout [FieldViolation]) -> CivilDate? {
            Decode.date(text, field: field, required: true, into: &bad)
        }
        func optional(_ text: String, _ field: String, _ bad: inout [FieldViolation]) -> CivilDate? {
            Decode.date(text, field: field, required: false, into: &bad)
        }

        var proposeOwnership: MethodSpec {
            Method.pointRead(RPC.Ledger.proposeOwnership, inMemory: { store.cachedAsset(id: $0.assetID) != nil }) { _, request in
                guard let asset = store.asset(id: request.assetID) else {
                    throw LedgerError(.notFound, "no asset \"\(request.assetID)\" exists", violations: [.init(field: "asset_id", description: "not found")])
                }
                let proposal = try OwnershipRules.propose(for: asset, contributions: Decode.contributions(request.contributions),
                                                          unit: { store.adminUnit(code: $0) })
                var response = Taizhang_Ledger_V1_OwnershipProposal()
                response.owners = proposal.owners.map(RecordMessage.owner)
                response.rule = proposal.rule
                response.explanation = proposal.explanation
                return try response.serializedBytes()
            }
        }

        var confirmOwnership: MethodSpec {
            step(RPC.Ledger.confirmOwnership) { request, bad in
                let owners = Decode.owners(request.owners, field: "owners", into: &bad)
                let date = required(request.date, "date", &bad)
                let placeholder = OwnershipProposal(owners: [], rule: "", explanation: "")
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion,
                                        action: date.map { .confirmOwnership(owners: owners, date: $0, overrideReason: request.overrideReason, proposal: placeholder) },
                                        contributions: Decode.contributions(request.contributions))
            }
        }

        var approveOwnership: MethodSpec {
            step(RPC.Ledger.approveOwnership) { request, bad in
                let date = required(request.date, "date", &bad)
                let decision = Decode.decision(request.decision, into: &bad)
                var action: LifecycleAction?
                if let date, let decision {
                    // The decider is filled in from the caller (step's sign).
                    action = .decideOwnership(decision: decision, date: date, note: request.note, decider: .init(name: "", separated: true))
                }
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion, action: action)
            }
        }

        var openPublication: MethodSpec {
            step(RPC.Ledger.openPublication) { request, bad in
                let start = required(request.start, "start", &bad)
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion,
                                        action: start.map { .openPublication(start: $0) })
            }
        }

        var fileObjection: MethodSpec {
            step(RPC.Ledger.fileObjection) { request, bad in
                let filed = required(request.filed, "filed", &bad)
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion,
                                        action: filed.map { .fileObjection(filed: $0, filer: request.filer, content: request.content) })
            }
        }

        var resolveObjection: MethodSpec {
            step(RPC.Ledger.resolveObjection) { request, bad in
                let date = required(request.date, "date", &bad)
                let restart = optional(request.restart, "restart", &bad)
                let outcome: ObjectionOutcome? = EnumMapping.decode(request.outcome.rawValue, field: "outcome", what: "objection outcome", into: &bad)
                if request.number == 0 { bad.append(.init(field: "number", description: "is required: the objection's number (from GetAsset)")) }
                let corrected = Decode.owners(request.correctedOwners, field: "corrected_owners", into: &bad)
                var action: LifecycleAction?
                if let date, let outcome {
                    action = .resolveObjection(number: Int(request.number), outcome: outcome, date: date, resolution: request.resolution,
                                               correctedOwners: corrected, restart: restart)
                }
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion, action: action)
            }
        }

        var closePublication: MethodSpec {
            step(RPC.Ledger.closePublication) { request, bad in
                let date = required(request.date, "date", &bad)
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion,
                                        action: date.map { .closePublication(date: $0) })
            }
        }

        var recordHandover: MethodSpec {
            step(RPC.Ledger.recordHandover) { request, bad in
                let date = required(request.date, "date", &bad)
                let start = optional(request.noticeStart, "notice_start", &bad)
                let documents = request.documents.map { Document(name: $0.name, kind: $0.kind, sha256: $0.sha256) }
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion,
                                        action: date.map { .recordHandover(date: $0, fromParty: request.fromParty, toParty: request.toParty,
                                                                           documents: documents, upkeepDuties: request.upkeepDuties, noticeStart: start) })
            }
        }

        var handOffOperation: MethodSpec {
            step(RPC.Ledger.handOffOperation) { request, bad in
                let date = required(request.date, "date", &bad)
                var operation: Operation?
                if !request.hasOperation {
                    bad.append(.init(field: "operation", description: "is required: mode, counterparty, annual fee and term of the contract"))
                } else {
                    operation = Decode.operation(request.operation, into: &bad)
                }
                var action: LifecycleAction?
                if let date, let operation { action = .handOffOperation(operation: operation, date: date) }
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion, action: action)
            }
        }

        var putInUse: MethodSpec {
            step(RPC.Ledger.putInUse) { request, bad in
                let date = required(request.date, "date", &bad)
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion,
                                        action: date.map { .putInUse(date: $0) })
            }
        }

        var recordValuation: MethodSpec {
            step(RPC.Ledger.recordValuation) { request, bad in
                let date = required(request.date, "date", &bad)
                let kind: ValuationKind? = EnumMapping.decode(request.kind.rawValue, field: "kind", what: "valuation kind", into: &bad)
                let funding = Decode.funding(request.funding, field: "funding", into: &bad)
                var action: LifecycleAction?
                if let date, let kind {
                    action = .recordValuation(kind: kind, date: date, valueFen: request.valueFen, spendFen: request.spendFen,
                                              replacedFen: request.replacedFen, basis: request.basis, funding: funding)
                }
                return LifecycleRequest(assetId: request.assetID, expectedVersion: request.expectedVersion, action: action)
            }
        }

        var getDepreciation: MethodSpec {
            Method.pointRead(RPC.Ledger.getDepreciation, inMemory: { store.cachedAsset(id: $0.assetID) != nil }) { _, request in
                var bad: [FieldViolation] = []
                let asOf = Decode.date(request.asOf, field: "as_of", required: false, into: &bad) ?? context.today
                if !bad.isEmpty { throw LedgerError.invalid(bad) }
                guard let asset = store.asset(id: request.assetID) else {
                    throw LedgerError(.notFound, "no asset \"\(request.assetID)\" exists", violations: [.init(field: "asset_id", description: "not found")])
                }
                let basis = Depreciation.basis(of: asset, policy: context.policy)
                let (accumulated, net) = Depreciation.asOf(asOf, asset: asset, policy: context.policy)
                var report = Taizhang_Ledger_V1_DepreciationReport()
                report.assetID = asset.id
                report.depreciated = basis.depreciated
                report.reason = basis.reason
                report.lifeYears = UInt32(clamping: basis.lifeYears)
                report.declaredLifeYears = UInt32(clamping: basis.declaredLifeYears)
                report.classCode = basis.depreciationClass?.code ?? ""
                report.className = basis.depreciationClass?.name ?? ""
                report.startConvention = basis.start.rawValue
                report.asOf = asOf.description
                report.valueFen = accumulated + net
                report.accumulatedFen = accumulated
                report.netValueFen = net
                report.schedule = Depreciation.schedule(of: asset, policy: context.policy).map { charge in
                    var month = Taizhang_Ledger_V1_MonthlyCharge()
                    month.year = Int32(charge.year)
                    month.month = Int32(charge.month)
                    month.chargeFen = charge.chargeFen
                    month.accumulatedFen = charge.accumulatedFen
                    month.netValueFen = charge.netValueFen
                    return month
                }
                return try report.serializedBytes()
            }
        }

        var getLedgerSummary: MethodSpec {
            // From the totals the store keeps (a few rows, whatever the
            // ledger's size), read off the event loop.
            Method.fileRead(RPC.Ledger.getLedgerSummary) { _, request in
                var bad: [FieldViolation] = []
                let asOf = Decode.date(request.asOf, field: "as_of", required: false, into: &bad) ?? context.today
                if !request.adminCode.isEmpty, store.adminUnit(code: request.adminCode) == nil {
                    bad.append(.init(field: "admin_code", description: "no admin unit \(request.adminCode) exists"))
                }
                if request.year != 0, !(1900...9999).contains(request.year) {
                    bad.append(.init(field: "year", description: "must be a four-digit year or 0 for all"))
                }
                if !bad.isEmpty { throw LedgerError.invalid(bad) }
                let summary = try store.assetSummary(ledgerCode: request.adminCode.isEmpty ? nil : request.adminCode,
                                                     year: request.year == 0 ? nil : Int(request.year), asOf: asOf)
                var out = Encode.summary(summary, adminCode: request.adminCode)
                // The year's upkeep: a count and a sum from the unit's range of the index, no record read.
                let upkeep = try store.stewardshipRecords(StewardshipFilter(.upkeep, adminCode: request.adminCode, year: asOf.year), after: nil, limit: 0)
                (out.upkeepRecords, out.upkeepCostFen) = (UInt64(upkeep.total), upkeep.amountFen)
                return try out.serializedBytes()
            }
        }
    }
}
