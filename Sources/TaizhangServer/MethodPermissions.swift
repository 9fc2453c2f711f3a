// The one table of what each method needs (issue 8). A method missing
// here is refused to everyone (and a test fails): nothing is served by
// accident. Roles and their permissions are in TaizhangCore/Access.swift.

import TaizhangCore

enum MethodPermissions {
    /// Method name → the permissions that let a caller in (any one of
    /// them); empty: anyone, unauthenticated.
    static let table: [String: [Permission]] = {
        var table: [String: [Permission]] = [:]
        func add(_ service: String, _ permissions: [Permission], _ names: [String]) {
            for name in names { table["/\(service)/\(name)"] = permissions }
        }
        func add(_ service: String, _ permission: Permission, _ names: [String]) { add(service, [permission], names) }
        let system = "taizhang.system.v1.System"
        let ledger = "taizhang.ledger.v1.Ledger"
        let risk = "taizhang.risk.v1.Risk"
        add(system, [], ["Health"])
        add(system, .systemRead, ["Status", "ListMethods"])
        add(system, .systemBackup, ["CreateBackup", "ReadBackup"])
        add(ledger, .ledgerRead, [
            "ListAdminUnits", "GetProject", "ListProjects", "GetAsset", "ListAssets", "ProposeOwnership", "GetDepreciation",
            "GetLedgerSummary", "GetEntity", "ListEntities", "GetContract", "ListContracts", "ListReports", "ListIncome", "GetArrears",
            "GetDistributionPlan", "ListDistributionPlans", "GetStockTake", "ListStockTakes", "ListDisposals", "ListRevitalisingPlans",
        ])
        add(ledger, .structureWrite, ["CreateAdminUnit", "CreateProject"])
        add(ledger, .assetWrite, [
            "RegisterAsset", "UpdateAsset", "BatchRegisterAssets", "ImportAssets", "ConfirmOwnership", "OpenPublication",
            "FileObjection", "ResolveObjection", "ClosePublication", "RecordHandover", "HandOffOperation", "PutInUse", "RecordValuation",
        ])
        add(ledger, .operationsWrite, ["CreateEntity", "UpdateEntity", "CreateContract", "AmendContract", "SubmitReport"])
        add(ledger, .incomeWrite, ["RecordIncome"])
        add(ledger, .planDraft, ["CreateDistributionPlan"])
        // The village's steps need plan.draft, the approval steps
        // (TOWNSHIP_APPROVED, FILED) plan.approve: the method checks which.
        add(ledger, [.planDraft, .planApprove], ["AdvanceDistributionPlan"])
        add(ledger, .countWrite, ["OpenStockTake", "RecordCount", "CloseStockTake"])
        add(ledger, .disposalWrite, ["DisposeAsset", "RecordRevitalisingPlan"])
        // Separation of duties: the drafter of either cannot decide it (the store checks).
        add(ledger, .ownershipApprove, ["ApproveOwnership"])
        add(ledger, .disposalApprove, ["ApproveDisposal"])
        add(ledger, .auditRead, ["VerifyAuditChain", "ListAuditEntries"])
        add(risk, .riskRead, ["ListAlerts", "GetRiskScore", "WatchAlerts"])
        add(risk, .riskRun, ["RunMonitor"])
        return table
    }()


    /// Why `principal` may not call `method`, or nil when it may. A method
    /// not in the table is refused to everyone.
    static func refusal(method: String, principal: Principal?) -> Taizhang_Rpc_V1_Status? {
        guard let needed = table[method] else {
            return .init(code: .permissionDenied, message: "\(method) has no entry in the permission table; nobody may call it")
        }
        if needed.isEmpty { return nil }
        guard let principal else {
            return .init(code: .unauthenticated, message: "authentication required: connect as a Unix user the access file names, or send a valid token as \"authorization: Bearer …\"")
        }
        if needed.contains(where: principal.may) { return nil }
        return .init(code: .permissionDenied,
                     message: "\(method) needs the permission \(needed.map(\.rawValue).joined(separator: " or ")); \(principal.name) (role \(principal.roleNames)) does not have it")
    }
}

import TaizhangProto
