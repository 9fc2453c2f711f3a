// An identity's scope (issue 8): the admin-unit subtree it may read and
// change. A change to anything outside is refused (PERMISSION_DENIED when
// the caller named the unit, NOT_FOUND when it named a record it may not
// see, so nothing is learnt of it); a read of a record outside is NOT_FOUND;
// a listing is narrowed to the scope, never refused. Identities without a
// scope (and local mode) see the whole ledger. Admin units themselves (the
// county's structure) are visible to everyone who may read.

import Foundation
import TaizhangCore
import TaizhangProto
import SwiftProtobuf

enum ScopeGuard {
    /// Before a change's request is validated: a record it names by id
    /// (as its declaration lists) that lies outside the caller's scope is
    /// NOT_FOUND, whatever else is wrong with the request (a validation
    /// error would tell that it exists). An unknown id is NOT_FOUND too, so
    /// an unknown and a hidden record answer alike; an empty one is left to
    /// the method's validation.
    static func preflight(_ request: some SwiftProtobuf.Message, call: CallContext, store: any LedgerStore) throws {
        guard let scope = codes(call, store), let declaration = call.declaration else { return }
        let lookup = RecordLookup(store: store)
        for record in declaration.scope.records {
            for id in try FieldStrings.values(at: record.numbers, in: request) where !id.isEmpty {
                if lookup.adminCode(record.kind, id).map({ !scope.contains($0) }) ?? true {
                    throw LedgerError(.notFound, "no \(RecordLookup.noun(record.kind)) \"\(id)\" exists")
                }
            }
        }
    }

    /// The codes a caller may reach; nil: the whole ledger.
    static func codes(_ call: CallContext, _ store: any LedgerStore) -> Set<String>? {
        guard let scope = call.principal?.scope, !scope.isEmpty else { return nil }
        return store.adminSubtree(code: scope)
    }

    /// The admin code of each record a mutation changes (the unit it lies
    /// in now, and where a change would move it), or a refusal when a record
    /// it names lies outside the caller's scope.
    static func refusal(_ mutation: Mutation, call: CallContext, store: any LedgerStore) -> LedgerError? {
        guard let scope = codes(call, store), let principal = call.principal else { return nil }
        /// A unit the caller named: refused by name.
        func named(_ code: String, _ what: String) -> LedgerError? {
            scope.contains(code) ? nil : LedgerError(.permissionDenied,
                "\(principal.name) may change only what lies in \(principal.scope) and below; \(what) names \(code)")
        }
        /// A record the caller named by id: outside the scope it does not exist for them.
        func record(_ code: String?, _ what: String, _ id: String) -> LedgerError? {
            // Unknown now is NOT_FOUND too: a record created meanwhile (ids are
            // sequential) is not the caller's to change before it could see it.
            guard let code, scope.contains(code) else { return LedgerError(.notFound, "no \(what) \"\(id)\" exists") }
            return nil
        }
        /// Owners named by their unit: a clerk does not assign assets to units outside its scope.
        func owners(_ asset: Asset, _ what: String) -> LedgerError? {
            for owner in asset.owners where !owner.adminCode.isEmpty {
                if let refusal = named(owner.adminCode, "\(what)'s owner \(owner.name)") { return refusal }
            }
            return nil
        }
        func assetCode(_ id: String) -> String? { store.asset(id: id)?.adminCode }
        func contractCode(_ id: String) -> String? { store.contract(id: id).flatMap { assetCode($0.assetId) } }
        switch mutation {
        case .createAdminUnit(let unit):
            return named(unit.parentCode.isEmpty ? unit.code : unit.parentCode, "the new unit's parent")
        case .createProject(let project):
            return named(project.adminCode, "the project's admin_code")
        case .registerAssets(let assets, _):
            for asset in assets {
                let what = "asset \(asset.code.isEmpty ? asset.name : asset.code)"
                if let refusal = named(asset.adminCode, what + "'s admin_code") ?? owners(asset, what) { return refusal }
            }
            return nil
        case .updateAsset(let asset, _):
            return record(assetCode(asset.id), "asset", asset.id) ?? named(asset.adminCode, "the asset's new admin_code") ?? owners(asset, "the asset")
        case .lifecycle(let id, let action, _, _, _, _):
            if let refusal = record(assetCode(id), "asset", id) { return refusal }
            var given: [Owner] = []
            if case .confirmOwnership(let confirmed, _, _, _, _) = action { given = confirmed }
            if case .resolveObjection(_, _, _, _, let corrected, _, _) = action { given = corrected }
            for owner in given where !owner.adminCode.isEmpty {
                if let refusal = named(owner.adminCode, "owner \(owner.name)") { return refusal }
            }
            return nil
        case .createEntity(let entity):
            return named(entity.adminCode, "the entity's admin_code")
        case .updateEntity(let entity, _):
            return record(store.entity(id: entity.id)?.adminCode, "operating entity", entity.id) ?? named(entity.adminCode, "the entity's new admin_code")
        case .createContract(let contract):
            return record(assetCode(contract.assetId), "asset", contract.assetId)
                ?? record(store.entity(id: contract.entityId)?.adminCode, "operating entity", contract.entityId)
        case .amendContract(let contract, _, _):
            return record(contractCode(contract.id), "contract", contract.id)
                ?? record(store.entity(id: contract.entityId)?.adminCode, "operating entity", contract.entityId)
        case .submitReport(let report, _):
            return record(store.entity(id: report.entityId)?.adminCode, "operating entity", report.entityId)
        case .stewardship(let change):
            let records = store.stewardship()
            switch change {
            case .recordIncome(let income): return record(assetCode(income.assetId), "asset", income.assetId)
            case .createPlan(let plan, _, _): return named(plan.ownerCode, "the plan's owner_code")
            case .advancePlan(let id, _, _, _, _, _, _): return record(records.plans[id]?.ownerCode, "distribution plan", id)
            case .openStockTake(let code, _, _): return named(code, "the count's admin_code")
            case .recordCount(let id, _, _, _), .closeStockTake(let id, _, _): return record(records.stockTakes[id]?.adminCode, "stock-take", id)
            case .dispose(let id, _, _, _, _, _): return record(assetCode(id), "asset", id)
            case .decideDisposal(let id, _, _, _, _, _): return record(records.disposals[id].flatMap { assetCode($0.assetId) }, "disposal", id)
            case .recordRevitalisingPlan(let plan): return record(assetCode(plan.assetId), "asset", plan.assetId)
            }
        case .probe:
            return nil
        }
    }

    /// Narrows a read's request to the caller's scope, as its declaration
    /// says. Returns false when nothing it asks for is visible (the answer
    /// is then the empty response); throws NOT_FOUND for a record outside
    /// the scope, PERMISSION_DENIED for a method spanning the whole ledger.
    static func narrow<Request: SwiftProtobuf.Message>(_ request: inout Request, call: CallContext, store: any LedgerStore) throws -> Bool {
        guard let scope = codes(call, store), let principal = call.principal, let declaration = call.declaration?.scope else { return true }
        if let what = declaration.wholeLedger {
            throw LedgerError(.permissionDenied, "\(what) needs an identity without a scope (\(principal.name) is limited to \(principal.scope))")
        }
        let lookup = RecordLookup(store: store)
        var named = false
        for record in declaration.records {
            for id in try FieldStrings.values(at: record.numbers, in: request) where !id.isEmpty {
                named = true
                if let code = lookup.adminCode(record.kind, id), !scope.contains(code) {
                    throw LedgerError(.notFound, "no \(RecordLookup.noun(record.kind)) \"\(id)\" exists")
                }
            }
        }
        if declaration.requireRecord, !named, let first = declaration.records.first {
            let fields = declaration.records.map(\.name).joined(separator: " or ")
            throw LedgerError.invalid([.init(field: first.name, description: "name one by \(fields): \(principal.name) reads what lies in \(principal.scope) one record at a time here")], what: "filter")
        }
        guard let (_, number) = declaration.narrow else { return true }
        let requested = try FieldStrings.values(at: [number], in: request).first ?? ""
        // The scope when no unit or one above it was asked for; nothing when disjoint.
        let filter: String
        if requested.isEmpty || !scope.contains(requested) && store.adminSubtree(code: requested).contains(principal.scope) {
            filter = principal.scope
        } else if scope.contains(requested) {
            return true
        } else {
            return false
        }
        request = try FieldStrings.setting(filter, at: number, in: request)
        return true
    }
}

/// The admin unit a record lies in, by kind, from the committed ledger.
struct RecordLookup {
    let store: any LedgerStore

    func adminCode(_ kind: Taizhang_Rpc_V1_RecordKind, _ id: String) -> String? {
        func assetCode(_ id: String) -> String? { store.asset(id: id)?.adminCode }
        switch kind {
        case .asset: return assetCode(id)
        case .project: return store.project(id: id)?.adminCode
        case .entity: return store.entity(id: id)?.adminCode
        case .contract: return store.contract(id: id).flatMap { assetCode($0.assetId) }
        case .income: return store.stewardship().income[id]?.ownerCode
        case .distributionPlan: return store.stewardship().plans[id]?.ownerCode
        case .stockTake: return store.stewardship().stockTakes[id]?.adminCode
        case .disposal: return store.stewardship().disposals[id].flatMap { assetCode($0.assetId) }
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }

    /// What a person calls a record of `kind`.
    static func noun(_ kind: Taizhang_Rpc_V1_RecordKind) -> String {
        switch kind {
        case .asset: return "asset"
        case .project: return "project"
        case .entity: return "operating entity"
        case .contract: return "contract"
        case .income: return "income"
        case .distributionPlan: return "distribution plan"
        case .stockTake: return "stock-take"
        case .disposal: return "disposal"
        case .unspecified, .UNRECOGNIZED: return "record"
        }
    }
}
