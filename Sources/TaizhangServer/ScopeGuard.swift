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

/// A request whose record is an asset named by `asset_id`.
protocol NamesAsset { var assetID: String { get } }
extension Taizhang_Ledger_V1_ConfirmOwnershipRequest: NamesAsset {}
extension Taizhang_Ledger_V1_ApproveOwnershipRequest: NamesAsset {}
extension Taizhang_Ledger_V1_OpenPublicationRequest: NamesAsset {}
extension Taizhang_Ledger_V1_FileObjectionRequest: NamesAsset {}
extension Taizhang_Ledger_V1_ResolveObjectionRequest: NamesAsset {}
extension Taizhang_Ledger_V1_ClosePublicationRequest: NamesAsset {}
extension Taizhang_Ledger_V1_RecordHandoverRequest: NamesAsset {}
extension Taizhang_Ledger_V1_HandOffOperationRequest: NamesAsset {}
extension Taizhang_Ledger_V1_PutInUseRequest: NamesAsset {}
extension Taizhang_Ledger_V1_RecordValuationRequest: NamesAsset {}

enum ScopeGuard {
    /// Before a change's request is validated: a record it names by id that
    /// lies outside the caller's scope is NOT_FOUND, whatever else is wrong
    /// with the request (a validation error would tell that it exists).
    /// An unknown id is NOT_FOUND too, so an unknown and a hidden record
    /// answer alike; an empty one is left to the method's validation.
    static func preflight(_ request: some SwiftProtobuf.Message, call: CallContext, store: any LedgerStore) throws {
        guard let scope = codes(call, store) else { return }
        func hidden(_ code: String?, _ what: String, _ id: String) throws {
            guard !id.isEmpty else { return }
            if code.map({ !scope.contains($0) }) ?? true { throw LedgerError(.notFound, "no \(what) \"\(id)\" exists") }
        }
        func asset(_ id: String) throws { try hidden(store.asset(id: id)?.adminCode, "asset", id) }
        func entity(_ id: String) throws { try hidden(store.entity(id: id)?.adminCode, "operating entity", id) }
        let records = store.stewardship()
        switch request {
        case let r as any NamesAsset: try asset(r.assetID)
        case let r as Taizhang_Ledger_V1_UpdateAssetRequest: try asset(r.asset.id)
        case let r as Taizhang_Ledger_V1_UpdateEntityRequest: try entity(r.entity.id)
        case let r as Taizhang_Ledger_V1_CreateContractRequest: try asset(r.contract.assetID); try entity(r.contract.entityID)
        case let r as Taizhang_Ledger_V1_AmendContractRequest:
            try hidden(store.contract(id: r.contract.id).flatMap { store.asset(id: $0.assetId)?.adminCode }, "contract", r.contract.id)
        case let r as Taizhang_Ledger_V1_SubmitReportRequest: try entity(r.report.entityID)
        case let r as Taizhang_Ledger_V1_RecordIncomeRequest:
            try asset(r.income.assetID)
            try hidden(store.contract(id: r.income.contractID).flatMap { store.asset(id: $0.assetId)?.adminCode }, "contract", r.income.contractID)
        case let r as Taizhang_Ledger_V1_CreateDistributionPlanRequest:
            for id in r.plan.incomeIds { try hidden(records.income[id]?.ownerCode, "income", id) }
        case let r as Taizhang_Ledger_V1_AdvanceDistributionPlanRequest: try hidden(records.plans[r.planID]?.ownerCode, "distribution plan", r.planID)
        case let r as Taizhang_Ledger_V1_RecordCountRequest: try hidden(records.stockTakes[r.stockTakeID]?.adminCode, "stock-take", r.stockTakeID)
        case let r as Taizhang_Ledger_V1_CloseStockTakeRequest: try hidden(records.stockTakes[r.stockTakeID]?.adminCode, "stock-take", r.stockTakeID)
        case let r as Taizhang_Ledger_V1_DisposeAssetRequest:
            try asset(r.disposal.assetID)
            try hidden(records.stockTakes[r.disposal.stockTakeID]?.adminCode, "stock-take", r.disposal.stockTakeID)
        case let r as Taizhang_Ledger_V1_ApproveDisposalRequest:
            try hidden(records.disposals[r.disposalID].flatMap { store.asset(id: $0.assetId)?.adminCode }, "disposal", r.disposalID)
        case let r as Taizhang_Ledger_V1_RecordRevitalisingPlanRequest: try asset(r.plan.assetID)
        default: break
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

    /// Narrows a read's request to the caller's scope. Returns false when
    /// nothing it asks for is visible (the answer is then the empty
    /// response); throws NOT_FOUND for a record outside the scope.
    static func narrow<Request: SwiftProtobuf.Message>(_ request: inout Request, call: CallContext, store: any LedgerStore) throws -> Bool {
        guard let scope = codes(call, store), let principal = call.principal else { return true }
        /// The filter to use for a requested unit filter: the scope when
        /// none or a unit above it was asked for; nil when disjoint.
        func filter(_ requested: String) -> String? {
            if requested.isEmpty { return principal.scope }
            if scope.contains(requested) { return requested }
            return store.adminSubtree(code: requested).contains(principal.scope) ? principal.scope : nil
        }
        func visible(_ code: String?, _ what: String, _ id: String) throws {
            if let code, !scope.contains(code) { throw LedgerError(.notFound, "no \(what) \"\(id)\" exists") }
        }
        func assetCode(_ id: String) -> String? { store.asset(id: id)?.adminCode }
        func narrowed<R>(_ value: R, _ body: (inout R) -> Bool) -> Bool {
            var copy = value
            let keep = body(&copy)
            request = copy as! Request
            return keep
        }
        switch request {
        case let r as Taizhang_Ledger_V1_ListAssetsRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListProjectsRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_GetLedgerSummaryRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListEntitiesRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListIncomeRequest:
            return narrowed(r) { r in filter(r.ownerCode).map { r.ownerCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListDistributionPlansRequest:
            return narrowed(r) { r in filter(r.ownerCode).map { r.ownerCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListStockTakesRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListDisposalsRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListRevitalisingPlansRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Risk_V1_ListAlertsRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Risk_V1_WatchAlertsRequest:
            return narrowed(r) { r in filter(r.adminCode).map { r.adminCode = $0 } != nil }
        case let r as Taizhang_Ledger_V1_ListContractsRequest:
            // Contracts are listed by entity or asset: the one named must be visible, and one must be named.
            if !r.assetID.isEmpty { try visible(assetCode(r.assetID), "asset", r.assetID) }
            if !r.entityID.isEmpty { try visible(store.entity(id: r.entityID)?.adminCode, "operating entity", r.entityID) }
            if r.assetID.isEmpty, r.entityID.isEmpty {
                throw LedgerError.invalid([.init(field: "asset_id", description: "name an asset or an entity: \(principal.name) lists the contracts of \(principal.scope) one asset or entity at a time")], what: "filter")
            }
        case let r as Taizhang_Ledger_V1_GetAssetRequest: try visible(assetCode(r.id), "asset", r.id)
        case let r as Taizhang_Ledger_V1_GetProjectRequest: try visible(store.project(id: r.id)?.adminCode, "project", r.id)
        case let r as Taizhang_Ledger_V1_GetEntityRequest: try visible(store.entity(id: r.id)?.adminCode, "operating entity", r.id)
        case let r as Taizhang_Ledger_V1_GetContractRequest: try visible(store.contract(id: r.id).flatMap { assetCode($0.assetId) }, "contract", r.id)
        case let r as Taizhang_Ledger_V1_GetDepreciationRequest: try visible(assetCode(r.assetID), "asset", r.assetID)
        case let r as Taizhang_Ledger_V1_ProposeOwnershipRequest: try visible(assetCode(r.assetID), "asset", r.assetID)
        case let r as Taizhang_Ledger_V1_ListReportsRequest: try visible(store.entity(id: r.entityID)?.adminCode, "operating entity", r.entityID)
        case let r as Taizhang_Ledger_V1_GetArrearsRequest: try visible(store.contract(id: r.contractID).flatMap { assetCode($0.assetId) }, "contract", r.contractID)
        case let r as Taizhang_Ledger_V1_GetDistributionPlanRequest: try visible(store.stewardship().plans[r.id]?.ownerCode, "distribution plan", r.id)
        case let r as Taizhang_Ledger_V1_GetStockTakeRequest: try visible(store.stewardship().stockTakes[r.id]?.adminCode, "stock-take", r.id)
        case let r as Taizhang_Risk_V1_GetRiskScoreRequest: try visible(store.entity(id: r.entityID)?.adminCode, "operating entity", r.entityID)
        case is Taizhang_Ledger_V1_VerifyAuditChainRequest, is Taizhang_Ledger_V1_ListAuditEntriesRequest:
            throw LedgerError(.permissionDenied, "the audit journal spans the whole ledger: reading it needs an identity without a scope (\(principal.name) is limited to \(principal.scope))")
        case is Taizhang_System_V1_CreateBackupRequest, is Taizhang_System_V1_ReadBackupRequest:
            throw LedgerError(.permissionDenied, "a backup holds the whole ledger: taking or reading one needs an identity without a scope (\(principal.name) is limited to \(principal.scope))")
        default:
            break
        }
        return true
    }
}
