// An identity's scope (issue 8): the admin-unit subtree it may read and
// change. A change to anything outside is refused (PERMISSION_DENIED when
// the caller named the unit, NOT_FOUND when it named a record it may not
// see, so nothing is learnt of it); a read of a record outside is NOT_FOUND;
// a listing is narrowed to the scope, never refused. Identities without a
// scope (and local mode) see the whole ledger. Admin units themselves (the
// county's structure) are visible to everyone who may read. Here: what a
// method's declaration says of its request when the call arrives; what a
// change writes is checked again by its rule at commit time (TaizhangCore's
// Decider+Scope).

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
    /// the method's validation. A change spanning the whole ledger (an
    /// accepted journal head) needs an identity without a scope.
    static func preflight(_ request: some SwiftProtobuf.Message, call: CallContext, store: any LedgerStore) throws {
        guard let scope = codes(call, store), let declaration = call.declaration else { return }
        if let what = declaration.scope.wholeLedger, let principal = call.principal {
            throw LedgerError(.permissionDenied, "\(what) needs an identity without a scope (\(principal.name) is limited to \(principal.scope))")
        }
        let lookup = RecordLookup(store: store)
        for record in declaration.scope.records {
            for id in try FieldStrings.values(at: record.numbers, in: request) where !id.isEmpty {
                if try lookup.adminCode(record.kind, id).map({ !scope.contains($0) }) ?? true {
                    throw LedgerError(.notFound, "no \(RecordLookup.noun(record.kind)) \"\(id)\" exists")
                }
            }
        }
    }

    /// Whether `preflight` reads the ledger file for this call: the caller
    /// is scoped and the method names records other than assets and
    /// projects (whose units are read by key, often from memory; an
    /// entity's, contract's or stewardship record's means reading it).
    static func readsFile(_ call: CallContext, _ store: any LedgerStore) -> Bool {
        guard let records = call.declaration?.scope.records, records.contains(where: { $0.kind != .asset && $0.kind != .project }) else {
            return false
        }
        return codes(call, store) != nil
    }

    /// The codes a caller may reach; nil: the whole ledger.
    static func codes(_ call: CallContext, _ store: any LedgerStore) -> Set<String>? {
        guard let scope = call.principal?.scope, !scope.isEmpty else { return nil }
        return store.adminSubtree(code: scope)
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
                // Unknown answers as hidden does, byte for byte: no existence oracle.
                if try lookup.adminCode(record.kind, id).map({ !scope.contains($0) }) ?? true {
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

    /// - Throws: UNAVAILABLE or DATA_LOSS when the ledger file cannot be read
    ///   for an entity, a contract or a stewardship record (an asset's or
    ///   project's unit that cannot be read is logged and taken as none:
    ///   the record is then not found).
    func adminCode(_ kind: Taizhang_Rpc_V1_RecordKind, _ id: String) throws -> String? {
        func assetCode(_ id: String) -> String? { store.assetLocations([id])[id] }
        switch kind {
        case .asset: return assetCode(id)
        case .project: return store.project(id: id)?.adminCode
        case .entity: return try store.entity(id: id)?.adminCode
        case .contract: return try store.contract(id: id).flatMap { assetCode($0.assetId) }
        case .income, .distributionPlan, .stockTake:
            return try store.stewardshipRecord(kind == .income ? .income : kind == .stockTake ? .stockTake : .distributionPlan, id: id)?.scopeKeys.adminCode
        case .disposal:
            guard case .disposal(let entry)? = try store.stewardshipRecord(.disposal, id: id) else { return nil }
            return assetCode(entry.assetId)
        case .alert:
            guard let number = AlertCase.alertNumber(id) else { return nil }
            return try store.stewardshipRecord(.alert, id: AlertCase.id(ofAlert: number))?.scopeKeys.adminCode
        case .unit:
            return try store.stewardshipRecord(.responsibleUnit, id: id)?.scopeKeys.adminCode
        case .household:
            return try store.stewardshipRecord(.household, id: id)?.scopeKeys.adminCode
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
        case .alert: return "alert"
        case .unit: return "responsible unit"
        case .household: return "household"
        case .unspecified, .UNRECOGNIZED: return "record"
        }
    }
}
