// Who may do what, against the real daemon with an access file: every
// method × every role follows the permission table of docs/security.md;
// tokens (made by `taizhang token create`) and Unix users are the
// identities; whatever is wrong with a credential gives the same
// UNAUTHENTICATED; an unknown Unix user may only ask for Health; the
// drafter of a plan cannot approve it.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct AccessTests {
    static let ledger = "/taizhang.ledger.v1.Ledger/"

    /// The roles of docs/security.md and what each may do.
    static let roles: [String: Set<String>] = {
        let read: Set<String> = ["ledger.read", "risk.read", "system.read"]
        let village = read.union(["income.write", "plan.draft", "count.write", "operations.write", "alert.follow", "household.write", "upkeep.write"])
        let township = village.union(["asset.write", "progress.write", "household.visit"])
        return [
            "viewer": read, "village_clerk": village, "township_clerk": township,
            "county_clerk": township.union(["structure.write", "disposal.write", "targets.write"]),
            "approver": read.union(["plan.approve", "ownership.approve", "disposal.approve", "alert.follow", "alert.close", "household.visit"]), "auditor": read.union(["audit.read"]),
            "administrator": ["system.read", "system.backup", "risk.read", "risk.run", "audit.accept"],
            "monitoring": ["monitor.read"],
            "personal_data": ["household.reveal"],
        ]
    }()

    /// The permission table of docs/security.md, written out again: a method
    /// added to the daemon and not here fails the walk below.
    static let table: [String: String?] = {
        var table: [String: String?] = ["/taizhang.system.v1.System/Health": String?.none]
        func add(_ permission: String, _ methods: String) {
            for name in methods.split(separator: " ") {
                let full = name.contains("/") ? "/taizhang.\(name)" : ledger + name
                table[full] = .some(permission)
            }
        }
        add("system.read", "system.v1.System/ListMethods")
        // What a monitoring agent reads (issue 22), besides Health.
        add("system.read|monitor.read", "system.v1.System/Status")
        add("risk.read|monitor.read", "risk.v1.Risk/ListAlerts risk.v1.Risk/WatchAlerts")
        add("audit.read|monitor.read", "VerifyAuditChain")
        add("system.backup", "system.v1.System/CreateBackup system.v1.System/ReadBackup")
        add("ledger.read", """
            ListAdminUnits GetProject ListProjects GetAsset ListAssets ProposeOwnership GetDepreciation GetLedgerSummary \
            GetEntity ListEntities GetContract ListContracts ListReports ListIncome GetArrears GetDistributionPlan \
            ListDistributionPlans GetStockTake ListStockTakes ListDisposals ListRevitalisingPlans
            """)
        add("structure.write", "CreateAdminUnit CreateProject")
        add("asset.write", """
            RegisterAsset UpdateAsset BatchRegisterAssets ImportAssets ConfirmOwnership OpenPublication FileObjection \
            ResolveObjection ClosePublication RecordHandover HandOffOperation PutInUse RecordValuation
            """)
        add("operations.write", "CreateEntity UpdateEntity CreateContract AmendContract SubmitReport")
        add("income.write", "RecordIncome")
        add("plan.draft", "CreateDistributionPlan")
        add("plan.draft|plan.approve", "AdvanceDistributionPlan")
        add("count.write", "OpenStockTake RecordCount CloseStockTake")
        add("disposal.write", "DisposeAsset RecordRevitalisingPlan")
        add("ownership.approve", "ApproveOwnership")
        add("disposal.approve", "ApproveDisposal")
        add("audit.read", "ListAuditEntries GetAuditEntry")
        // The journal as a transparency log (issue 24).
        add("ledger.read|audit.read|monitor.read", "GetTreeHead ProveConsistency")
        add("audit.read|ledger.read", "ProveRecord")
        add("audit.accept", "AcceptAuditHead")
        add("risk.read", "risk.v1.Risk/GetRiskScore")
        add("risk.run", "risk.v1.Risk/RunMonitor")
        add("risk.read", "risk.v1.Risk/GetAlert")
        add("alert.follow", """
            risk.v1.Risk/AcknowledgeAlert risk.v1.Risk/AssignAlert risk.v1.Risk/PlanRectification risk.v1.Risk/RecordRectification \
            risk.v1.Risk/RecordTalk risk.v1.Risk/RecordAccountability
            """)
        add("alert.close", "risk.v1.Risk/CloseAlert risk.v1.Risk/ReopenAlert")
        add("ledger.read", """
            supervision.v1.Supervision/GetProjectProgress supervision.v1.Supervision/GetUnitLights
            """)
        // The lights on the agent's dashboard.
        add("ledger.read|monitor.read", "supervision.v1.Supervision/ListUnits supervision.v1.Supervision/RankUnits")
        add("targets.write", "supervision.v1.Supervision/RegisterUnit supervision.v1.Supervision/SetUnitTargets")
        // The beneficiary register (issue 23): its numbers in clear only with household.reveal.
        add("household.write", "household.v1.Households/RegisterHousehold household.v1.Households/UpdateHousehold household.v1.Households/ImportHouseholds")
        add("household.visit", "household.v1.Households/RecordVisit")
        add("ledger.read", "household.v1.Households/GetHousehold household.v1.Households/ListHouseholds household.v1.Households/ListVisits")
        add("household.reveal", "household.v1.Households/RevealHouseholds")
        // The upkeep log and household assets' disposal (issue 23).
        add("upkeep.write", "RecordUpkeep")
        add("household.write", "RegisterHouseholdDisposal")
        add("ledger.read", "ListUpkeep SummarizeUpkeep")
        add("progress.write", """
            supervision.v1.Supervision/RecordMilestone supervision.v1.Supervision/RecordAllocation supervision.v1.Supervision/RecordDisbursement \
            supervision.v1.Supervision/AssessProject
            """)
        return table
    }()

    /// The status of `method` called with an empty request (a stream is
    /// given 200 ms, then its end is the answer).
    static func status(_ client: TaizhangClient, _ method: String, streaming: Bool, metadata: [String: String]) async throws -> Taizhang_Rpc_V1_Status {
        if streaming {
            let (_, items) = try client.stream(method, payload: Data(), metadata: metadata, timeoutMillis: 200)
            do {
                for try await _ in items {}
                return Taizhang_Rpc_V1_Status()
            } catch let error as RPCError {
                return error.status
            }
        }
        let response = try await client.call(method, payload: Data(), metadata: metadata)
        return response.hasStatus ? response.status : Taizhang_Rpc_V1_Status()
    }

    @Test func everyMethod_byEveryRole_followsThePermissionTable() async throws {
        let access = try AccessFixture.file(Self.roles.keys.sorted().map { (name: "as-\($0)", role: $0, scope: "", uids: []) })
        var tokens: [String: String] = [:]
        for role in Self.roles.keys { tokens[role] = try AccessFixture.token(access, identity: "as-\(role)") }
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let methods = try await client.unary("/taizhang.system.v1.System/ListMethods", Taizhang_System_V1_ListMethodsRequest(),
                                             as: Taizhang_System_V1_ListMethodsResponse.self, metadata: AccessFixture.bearer(tokens["viewer"]!)).methods
        #expect(Set(methods.map(\.name)) == Set(Self.table.keys), "the served methods and the documented table differ")
        var checked = 0
        for method in methods {
            guard let needed = Self.table[method.name] else { continue }
            for (role, permissions) in Self.roles.sorted(by: { $0.key < $1.key }) {
                let status = try await Self.status(client, method.name, streaming: method.serverStreaming, metadata: AccessFixture.bearer(tokens[role]!))
                if let needed, permissions.isDisjoint(with: needed.split(separator: "|").map(String.init)) {
                    #expect(status.code == .permissionDenied, "\(role) called \(method.name): \(status.code)")
                    #expect(status.message.contains("needs the permission \(needed.replacingOccurrences(of: "|", with: " or "))"), "\(status.message)")
                    #expect(status.message.contains("as-\(role)"))
                } else {
                    #expect(status.code != .permissionDenied && status.code != .unauthenticated, "\(role) was refused \(method.name): \(status.message)")
                }
                checked += 1
            }
        }
        #expect(checked == methods.count * Self.roles.count)
        // The audit journal names the identity and its credential.
        var unit = Taizhang_Ledger_V1_CreateAdminUnitRequest()
        unit.unit.code = "421024000000"
        unit.unit.name = "江陵县"
        unit.unit.level = .county
        _ = try await client.unary(Self.ledger + "CreateAdminUnit", unit, as: Taizhang_Ledger_V1_AdminUnit.self, metadata: AccessFixture.bearer(tokens["county_clerk"]!))
        var audit = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        audit.recordID = "421024000000"
        let entries = try await client.unary(Self.ledger + "ListAuditEntries", audit, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self,
                                             metadata: AccessFixture.bearer(tokens["auditor"]!)).entries
        let tokenId = "tk_" + tokens["county_clerk"]!.split(separator: "_")[1]
        #expect(entries.map(\.identity) == ["as-county_clerk (token:\(tokenId))"])
    }

    /// Issue 22: a monitoring identity reads Status, alerts and the journal's
    /// verification, nothing else; scoped, Status counts only its scope.
    @Test func aScopedMonitor_seesStatusCountsOfItsScopeOnly() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk+administrator", scope: "", uids: [0]),
            (name: "xionghe-monitor", role: "monitoring", scope: "421024101000", uids: []),
            (name: "shagang-monitor", role: "monitoring", scope: "421024102000", uids: []),
        ])
        let xionghe = AccessFixture.bearer(try AccessFixture.token(access, identity: "xionghe-monitor"))
        let shagang = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-monitor"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        _ = try await RiskMonitorTests.seedOperations(client)  // an entity of 白马村, 熊河镇, with its alerts
        _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        func status(_ metadata: [String: String]) async throws -> Taizhang_System_V1_StatusResponse {
            try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self,
                                   metadata: metadata)
        }
        let whole = try await status([:])
        #expect(whole.recordCounts["asset"] == 1 && whole.auditHeadSeq > 0 && !whole.methods.isEmpty)
        let open = try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.state = .open },
                                          as: Taizhang_Risk_V1_ListAlertsResponse.self, metadata: xionghe).alerts
        #expect(!open.isEmpty)
        let own = try await status(xionghe)
        #expect(own.recordCounts == ["admin_unit": 2], "熊河镇 and 白马村: \(own.recordCounts)")
        #expect(own.alertsByLevel.values.reduce(0, +) == UInt64(open.count))
        #expect(own.auditHeadSeq == 0 && own.auditHeadHash.isEmpty && own.methods.isEmpty && own.storageBytes == 0 && own.lastRiskRun.scored == 0)
        #expect(own.lastRiskRun.runs > 0 && !own.version.isEmpty, "the daemon's own state is there")
        let other = try await status(shagang)
        #expect(other.alertsByLevel.values.reduce(0, +) == 0 && other.recordCounts == ["admin_unit": 2], "沙岗镇 and 新河村")
        // Nothing else of the ledger.
        let refused = try await client.call("/taizhang.ledger.v1.Ledger/ListAssets", payload: Data(), metadata: xionghe)
        #expect(refused.status.code == .permissionDenied)
        await client.close()
    }

    @Test func everyBadCredential_getsTheSameUnauthenticated() async throws {
        let access = try AccessFixture.file([(name: "viewer", role: "viewer", scope: "", uids: [])])
        let good = try AccessFixture.token(access, identity: "viewer")
        let revoked = try AccessFixture.token(access, identity: "viewer")
        let expired = try AccessFixture.token(access, identity: "viewer")
        let revoke = try CLITests.taizhang(["token", "revoke", "tk_" + revoked.split(separator: "_")[1], "--access-file", access], socket: "")
        #expect(revoke.status == 0, "\(revoke.stderr)")
        // Age one token past its expiry in the file.
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: access))) as! [String: Any]
        var records = object["tokens"] as! [[String: Any]]
        let expiredId = "tk_" + expired.split(separator: "_")[1]
        for index in records.indices where records[index]["id"] as? String == expiredId { records[index]["expires_unix"] = 1_000_000_000 }
        object["tokens"] = records
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: access))
        let list = try CLITests.taizhang(["token", "list", "--access-file", access], socket: "")
        #expect(list.stdout.contains("expired") && !list.stdout.contains(revoked.split(separator: "_")[1]))
        // The file keeps its owner and mode when the CLI rewrites it (the daemon's user must read it).
        chown(access, 65534, 65534)
        chmod(access, 0o640)
        _ = try AccessFixture.token(access, identity: "viewer")
        let attributes = try FileManager.default.attributesOfItem(atPath: access)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 65534)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        // A token file that cannot be read stops the CLI before it calls as someone else.
        let unreadable = try CLITests.taizhang(["health", "--token-file", "/nonexistent/token"], socket: "/nonexistent.sock")
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("cannot read a token"))

        // No access for root on the Unix socket either: the file does not name uid 0.
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let tampered = String(good.dropLast()) + (good.hasSuffix("A") ? "B" : "A")
        var messages: Set<String> = []
        for metadata in [[:], ["authorization": "Bearer " + revoked], ["authorization": "Bearer " + expired], ["authorization": "Bearer " + tampered],
                         ["authorization": "Bearer tz_000000000000_nothing"], ["authorization": "Basic dmlld2VyOg=="], ["authorization": "Bearer"]] {
            let status = try await Self.status(client, Self.ledger + "ListAdminUnits", streaming: false, metadata: metadata)
            #expect(status.code == .unauthenticated, "\(metadata)")
            messages.insert(status.message)
        }
        #expect(messages.count == 1, "the refusals differ: \(messages)")
        // Health needs nothing; the good token reads.
        #expect(try await Self.status(client, "/taizhang.system.v1.System/Health", streaming: false, metadata: [:]).code == .ok)
        #expect(try await Self.status(client, Self.ledger + "ListAdminUnits", streaming: false, metadata: AccessFixture.bearer(good)).code == .ok)
    }

    @Test func unixUsers_areTheirIdentities_andUnknownOnesMayOnlyAskForHealth() async throws {
        let access = try AccessFixture.file([(name: "county-root", role: "county_clerk", scope: "", uids: [0])])
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var audit = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        audit.recordID = "421024000000"
        // county_clerk may not read the journal.
        #expect(try await Self.status(client, Self.ledger + "ListAuditEntries", streaming: false, metadata: [:]).code == .permissionDenied)
        // An unknown user (nobody, through setpriv) reaches Health and nothing else.
        chmod(daemon.socketPath, 0o666)
        func asNobody(_ arguments: [String]) throws -> CLITests.Run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups",
                                 (DaemonProcess.binary as NSString).deletingLastPathComponent + "/taizhang"] + arguments + ["--socket", daemon.socketPath]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return CLITests.Run(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
        let health = try asNobody(["health"])
        #expect(health.status == 0, "\(health.stderr)")
        let list = try asNobody(["admin", "list"])
        #expect(list.status == 26, "\(list.stderr)") // 10 + UNAUTHENTICATED
        #expect(list.stderr.contains("authentication required"))
    }

    @Test func theDrafterOfAPlan_cannotApproveIt() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            // One identity with two roles: clerk and approver.
            (name: "township-both", role: "township_clerk+approver", scope: "", uids: []),
            (name: "township-approver", role: "approver", scope: "", uids: []),
            (name: "county-approver", role: "approver", scope: "", uids: []),
        ])
        let both = AccessFixture.bearer(try AccessFixture.token(access, identity: "township-both"))
        let approver = AccessFixture.bearer(try AccessFixture.token(access, identity: "township-approver"))
        let county = AccessFixture.bearer(try AccessFixture.token(access, identity: "county-approver"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset())
        let income = try await client.unary(Self.ledger + "RecordIncome", StewardshipTests.income(asset: asset.id, on: "2026-09-01", fen: 10_000),
                                            as: Taizhang_Ledger_V1_Income.self, metadata: both)
        var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        create.plan.ownerCode = StewardshipTests.village
        create.plan.incomeIds = [income.id]
        create.plan.allocations = [StewardshipTests.allocation(.noLabourHouseholds, 9_000, households: [("王五", 9_000)]),
                                   StewardshipTests.allocation(.reserve, 1_000)]
        create.draftedOn = "2026-09-05"
        let plan = try await client.unary(Self.ledger + "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self, metadata: both)
        var assembly = StewardshipTests.advance(plan.id, .planAssemblyPassed, "2026-09-10")
        assembly.assembly.date = "2026-09-10"
        assembly.assembly.representativesTotal = 30
        assembly.assembly.representativesPresent = 21
        assembly.assembly.poorHouseholdRepresentatives = 7
        _ = try await client.unary(Self.ledger + "AdvanceDistributionPlan", assembly, as: Taizhang_Ledger_V1_DistributionPlan.self, metadata: both)
        _ = try await client.unary(Self.ledger + "AdvanceDistributionPlan", StewardshipTests.advance(plan.id, .planPublished, "2026-09-20"),
                                   as: Taizhang_Ledger_V1_DistributionPlan.self, metadata: both)
        // A clerk without plan.approve (uid 0: county_clerk) is refused the approval, naming the permission.
        let approve = StewardshipTests.advance(plan.id, .planTownshipApproved, "2026-09-25")
        let clerk = try await Self.status(client, Self.ledger + "AdvanceDistributionPlan", streaming: false, metadata: [:], payload: approve)
        #expect(clerk.code == .permissionDenied)
        #expect(clerk.message.contains("plan.approve"))
        // The drafter holds plan.approve but drafted it.
        let own = try await Self.status(client, Self.ledger + "AdvanceDistributionPlan", streaming: false, metadata: both, payload: approve)
        #expect(own.code == .permissionDenied)
        #expect(own.message.contains("separation of duties"))
        let approved = try await client.unary(Self.ledger + "AdvanceDistributionPlan", approve, as: Taizhang_Ledger_V1_DistributionPlan.self, metadata: approver)
        #expect(approved.stage == .planTownshipApproved)
        #expect(approved.steps.last?.identity.hasPrefix("township-approver (token:tk_") == true)
        #expect(approved.steps.first?.identity.hasPrefix("township-both (token:tk_") == true)
        // The county's filing is another identity's than the township's approval.
        let file = StewardshipTests.advance(plan.id, .planFiled, "2026-09-28")
        let again = try await Self.status(client, Self.ledger + "AdvanceDistributionPlan", streaming: false, metadata: approver, payload: file)
        #expect(again.code == .permissionDenied)
        #expect(again.message.contains("filing"))
        let filed = try await client.unary(Self.ledger + "AdvanceDistributionPlan", file, as: Taizhang_Ledger_V1_DistributionPlan.self, metadata: county)
        #expect(filed.stage == .planFiled)
    }

    /// With an access file an ownership confirmation and a disposal are
    /// drafts until another identity holding the approving permission
    /// decides them; the decision is recorded, survives a restart, and an
    /// approval checks the asset again as it is then.
    @Test func draftedConfirmationsAndDisposals_waitForAnotherIdentitysDecision() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            (name: "clerk-approver", role: "county_clerk+approver", scope: "", uids: []),
            (name: "county-approver", role: "approver", scope: "", uids: []),
        ])
        let both = AccessFixture.bearer(try AccessFixture.token(access, identity: "clerk-approver"))
        let approver = AccessFixture.bearer(try AccessFixture.token(access, identity: "county-approver"))
        var daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        var client = try await daemon.connect()
        try await Fixture.seed(client)
        typealias Asset = Taizhang_Ledger_V1_Asset
        typealias Disposal = Taizhang_Ledger_V1_Disposal
        func call<R: SwiftProtobuf.Message>(_ method: String, _ request: some SwiftProtobuf.Message, _ metadata: [String: String] = [:],
                                            as: R.Type = R.self) async throws -> R {
            try await client.unary(Self.ledger + method, request, as: R.self, metadata: metadata)
        }
        func refusal(_ method: String, _ request: some SwiftProtobuf.Message, _ metadata: [String: String] = [:]) async throws -> Taizhang_Rpc_V1_Status {
            try await Self.status(client, Self.ledger + method, streaming: false, metadata: metadata, payload: request)
        }
        func decide(_ id: String, _ decision: Taizhang_Ledger_V1_Decision, _ date: String, note: String = "") -> Taizhang_Ledger_V1_ApproveOwnershipRequest {
            .with { $0.assetID = id; $0.decision = decision; $0.date = date; $0.note = note }
        }
        func decideDisposal(_ id: String, _ decision: Taizhang_Ledger_V1_Decision, _ date: String, note: String = "",
                            version: Int64 = 0) -> Taizhang_Ledger_V1_ApproveDisposalRequest {
            .with { $0.disposalID = id; $0.decision = decision; $0.date = date; $0.note = note; $0.expectedVersion = version }
        }
        let open = Taizhang_Ledger_V1_OpenPublicationRequest.with { $0.start = "2024-02-05" }

        // Ownership: drafted by an identity that also approves.
        let asset = try await Fixture.register(client, Fixture.asset(code: "SOD-1"))
        // Drafted owners differing from the registration: they wait in the confirmation.
        var split = LifecycleTests.confirm(asset.id)
        split.owners = [asset.owners[0], asset.owners[0]]
        split.owners[0].shareBp = 5_000
        split.owners[1].name = "熊河镇人民政府"
        split.owners[1].kind = .townshipGovernment
        split.owners[1].adminCode = "421024101000"
        split.owners[1].shareBp = 5_000
        split.overrideReason = "按出资协议"
        var confirmed: Asset = try await call("ConfirmOwnership", split, both)
        #expect(confirmed.lifecycle.stage == .ownershipConfirmed)
        #expect(confirmed.lifecycle.ownership.signOff.state == .signOffPending)
        #expect(confirmed.lifecycle.ownership.signOff.draftedBy == "clerk-approver")
        #expect(confirmed.lifecycle.ownership.owners == split.owners)
        #expect(confirmed.owners == asset.owners)
        var notice = open
        notice.assetID = asset.id
        let waiting = try await refusal("OpenPublication", notice)
        #expect(waiting.code == .failedPrecondition)
        #expect(waiting.message.contains("awaits approval"))
        let clerk = try await refusal("ApproveOwnership", decide(asset.id, .approve, "2024-02-01"))
        #expect(clerk.code == .permissionDenied)
        #expect(clerk.message.contains("ownership.approve"))
        let own = try await refusal("ApproveOwnership", decide(asset.id, .approve, "2024-02-01"), both)
        #expect(own.code == .permissionDenied)
        #expect(own.message.contains("separation of duties"))
        let bare = try await refusal("ApproveOwnership", decide(asset.id, .reject, "2024-02-01"), approver)
        #expect(bare.code == .invalidArgument)
        #expect(bare.violations.map(\.field) == ["note"])
        let rejected: Asset = try await call("ApproveOwnership", decide(asset.id, .reject, "2024-02-01", note: "份额与协议不符"), approver)
        #expect(rejected.lifecycle.ownership.signOff.state == .signOffRejected)
        #expect(rejected.lifecycle.ownership.signOff.decidedBy == "county-approver")
        #expect(rejected.owners == asset.owners)
        #expect(try await refusal("OpenPublication", notice).message.contains("rejected"))
        #expect(try await refusal("ApproveOwnership", decide(asset.id, .approve, "2024-02-01"), approver).code == .failedPrecondition)
        // Drafted again, by another clerk; approved by the approver.
        confirmed = try await call("ConfirmOwnership", LifecycleTests.confirm(asset.id, date: "2024-02-02"))
        #expect(confirmed.lifecycle.ownership.signOff.draftedBy == "county-root")
        let early = try await refusal("ApproveOwnership", decide(asset.id, .approve, "2024-02-01"), approver)
        #expect(early.violations.map(\.field) == ["date"])
        let approved: Asset = try await call("ApproveOwnership", decide(asset.id, .approve, "2024-02-03"), both)
        #expect(approved.lifecycle.ownership.signOff.state == .signOffApproved)
        #expect(approved.lifecycle.ownership.signOff.decidedBy == "clerk-approver")
        #expect(approved.lifecycle.ownership.signOff.decidedOn == "2024-02-03")
        let published: Asset = try await call("OpenPublication", notice)
        #expect(published.lifecycle.stage == .underPublication)
        // Owners corrected by an upheld objection are a new draft: the notice
        // cannot close until another identity approves them.
        _ = try await call("FileObjection", Taizhang_Ledger_V1_FileObjectionRequest.with {
            $0.assetID = asset.id; $0.filed = "2024-02-06"; $0.filer = "村民张三"; $0.content = "镇政府出资未计入"
        }, as: Asset.self)
        let corrected: Asset = try await call("ResolveObjection", Taizhang_Ledger_V1_ResolveObjectionRequest.with {
            $0.assetID = asset.id; $0.number = 1; $0.outcome = .upheld; $0.date = "2024-02-07"; $0.resolution = "核实属实"
            $0.correctedOwners = split.owners
        }, as: Asset.self)
        #expect(corrected.lifecycle.ownership.correction.signOff.state == .signOffPending)
        #expect(corrected.lifecycle.ownership.correction.signOff.draftedBy == "county-root")
        #expect(corrected.lifecycle.ownership.correction.owners == split.owners)
        // The confirmation's own approval stays on record.
        #expect(corrected.lifecycle.ownership.signOff == approved.lifecycle.ownership.signOff)
        #expect(corrected.owners == approved.owners)
        let closing = try await refusal("ClosePublication", LifecycleTests.close(asset.id, "2024-03-01"))
        #expect(closing.code == .failedPrecondition)
        #expect(closing.message.contains("ApproveOwnership"))
        // Nor is it disposed of while its owners wait.
        let waitingOwners = try await refusal("DisposeAsset", StewardshipTests.disposal(asset: asset.id))
        #expect(waitingOwners.code == .failedPrecondition)
        #expect(waitingOwners.message.contains("ApproveOwnership"))
        #expect(try await refusal("ApproveOwnership", decide(asset.id, .approve, "2024-02-08")).code == .permissionDenied)
        let correction: Asset = try await call("ApproveOwnership", decide(asset.id, .approve, "2024-02-08"), approver)
        #expect(correction.owners == split.owners)
        #expect(correction.lifecycle.stage == .underPublication)
        #expect(correction.lifecycle.ownership.correction.signOff.state == .signOffApproved)
        // The approved owners are on notice for the full period from the approval.
        #expect(correction.lifecycle.publications.last?.start == "2024-02-08")
        #expect(correction.lifecycle.publications.count == corrected.lifecycle.publications.count + 1)

        // Disposal: a draft leaves the asset in the active ledger.
        let sold = try await Fixture.register(client, Fixture.asset(code: "SOD-2"))
        let draft: Disposal = try await call("DisposeAsset", StewardshipTests.disposal(asset: sold.id), both)
        #expect(draft.signOff.state == .signOffPending)
        #expect(draft.signOff.draftedBy == "clerk-approver")
        #expect(try await LifecycleTests.get(client, sold.id).lifecycle.stage == .registered)
        let ledger: Taizhang_Ledger_V1_ListDisposalsResponse = try await call("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest())
        #expect(ledger.disposals.isEmpty)
        let drafts: Taizhang_Ledger_V1_ListDisposalsResponse = try await call("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest.with { $0.signOff = .signOffPending })
        #expect(drafts.disposals.map(\.id) == [draft.id])
        let twice = try await refusal("DisposeAsset", StewardshipTests.disposal(asset: sold.id))
        #expect(twice.code == .failedPrecondition)
        #expect(twice.message.contains(draft.id))
        #expect(try await refusal("ApproveDisposal", decideDisposal(draft.id, .approve, "2026-09-20"), both).message.contains("separation of duties"))
        #expect(try await refusal("ApproveDisposal", decideDisposal(draft.id, .approve, "2026-09-20", version: 7), approver).code == .aborted)
        let done: Disposal = try await call("ApproveDisposal", decideDisposal(draft.id, .approve, "2026-09-20", version: 1), approver)
        #expect(done.signOff.state == .signOffApproved)
        #expect(done.version == 2)
        let gone = try await LifecycleTests.get(client, sold.id)
        #expect(gone.lifecycle.stage == .disposed)
        #expect(gone.lifecycle.disposalID == draft.id)
        let after: Taizhang_Ledger_V1_ListDisposalsResponse = try await call("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest())
        #expect(after.disposals.map(\.id) == [draft.id])

        // A rejected draft has no effect and may be drafted again.
        let kept = try await Fixture.register(client, Fixture.asset(code: "SOD-3"))
        let second: Disposal = try await call("DisposeAsset", StewardshipTests.disposal(asset: kept.id))
        let refused: Disposal = try await call("ApproveDisposal", decideDisposal(second.id, .reject, "2026-09-20", note: "评估报告过期"), approver)
        #expect(refused.signOff.state == .signOffRejected)
        #expect(refused.signOff.note == "评估报告过期")
        #expect(try await LifecycleTests.get(client, kept.id).lifecycle.stage == .registered)
        let third: Disposal = try await call("DisposeAsset", StewardshipTests.disposal(asset: kept.id))
        #expect(third.signOff.state == .signOffPending)

        // While a draft waits, the asset's record and value do not change.
        var pledged = try await LifecycleTests.get(client, kept.id)
        pledged.encumbrance = "2026年抵押给农商行"
        let frozen = try await refusal("UpdateAsset", Taizhang_Ledger_V1_UpdateAssetRequest.with { $0.asset = pledged })
        #expect(frozen.code == .failedPrecondition)
        #expect(frozen.message.contains(third.id))
        // The approval checks the asset as it is then: under a contract signed meanwhile, refused.
        _ = try await StewardshipTests.contract(client, asset: kept.id)
        let running = try await refusal("ApproveDisposal", decideDisposal(third.id, .approve, "2026-09-21"), approver)
        #expect(running.code == .failedPrecondition)
        #expect(running.message.contains("under contract"))

        // Everything survives a restart.
        await client.close()
        let directory = daemon.dataDirectory
        daemon.stop()
        daemon = try DaemonProcess(dataDirectory: directory, extraArguments: ["--access-file", access])
        client = try await daemon.connect()
        let reread = try await LifecycleTests.get(client, asset.id)
        #expect(reread.lifecycle.ownership == correction.lifecycle.ownership)
        #expect(reread.owners == split.owners)
        let pending: Taizhang_Ledger_V1_ListDisposalsResponse = try await call("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest.with { $0.signOff = .signOffPending })
        #expect(pending.disposals.map(\.id) == [third.id])
        let rejects: Taizhang_Ledger_V1_ListDisposalsResponse = try await call("ListDisposals", Taizhang_Ledger_V1_ListDisposalsRequest.with { $0.signOff = .signOffRejected })
        #expect(rejects.disposals.map(\.signOff) == [refused.signOff])
        await client.close()
    }

    @Test func theCLI_draftsAndDecidesADisposal() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            (name: "county-approver", role: "approver", scope: "", uids: []),
        ])
        let tokenFile = access + ".approver"
        try (try AccessFixture.token(access, identity: "county-approver") + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "CLI-1"))
        await client.close()
        let record = try CLITests.taizhang(["disposal", "record", asset.id, "--reason", "planning", "--method", "auction",
                                            "--appraiser", "荆州信达资产评估事务所", "--appraised", "3000", "--appraised-on", "2026-08-01",
                                            "--approval", "township:熊河镇人民政府:2026-08-10", "--approval", "county_department:县农业农村局:2026-08-20",
                                            "--approval", "county_poverty_office:县乡村振兴局:2026-08-25", "--published-on", "2026-08-26",
                                            "--proceeds", "3200", "--date", "2026-09-15"], socket: daemon.socketPath)
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stdout.contains("CZ00000001 \(asset.id)"))
        #expect(record.stdout.contains("待审批（起草：county-root"))
        let drafts = try CLITests.taizhang(["disposal", "list", "--sign-off", "pending"], socket: daemon.socketPath)
        #expect(drafts.stdout.contains("CZ00000001"))
        #expect(!(try CLITests.taizhang(["disposal", "list"], socket: daemon.socketPath)).stdout.contains("CZ00000001"))
        let own = try CLITests.taizhang(["disposal", "approve", "CZ00000001", "--date", "2026-09-20"], socket: daemon.socketPath)
        #expect(own.status == 17, "\(own.stderr)")
        #expect(own.stderr.contains("disposal.approve"))
        let approved = try CLITests.taizhang(["disposal", "approve", "CZ00000001", "--date", "2026-09-20", "--token-file", tokenFile],
                                             socket: daemon.socketPath)
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(approved.stdout.contains("已审批（county-approver，2026-09-20）"))
        #expect(try CLITests.taizhang(["disposal", "list"], socket: daemon.socketPath).stdout.contains("CZ00000001"))
    }

    /// An import's rows are checked against the scope chunk by chunk; an
    /// identity holds at most two open imports; an asset number used outside
    /// the scope is reported without naming the asset.
    @Test func imports_areScopedChunkByChunk_andLimitedPerIdentity() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            (name: "shagang-clerk", role: "township_clerk", scope: "421024102000", uids: []),
        ])
        let shagang = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-clerk"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let xionghe = try await Fixture.register(client, Fixture.asset(code: "XH-1"))
        func chunk(_ id: String, _ codes: [String], village: String = "421024102201", first: UInt64 = 0, final: Bool = false) -> Taizhang_Ledger_V1_ImportAssetsRequest {
            .with { request in
                request.importID = id
                request.assets = codes.map { Fixture.asset(code: $0, village: village) }
                request.firstRow = first
                request.final = final
            }
        }
        func send(_ request: Taizhang_Ledger_V1_ImportAssetsRequest, _ metadata: [String: String]) async throws -> Taizhang_Rpc_V1_Status {
            try await Self.status(client, Self.ledger + "ImportAssets", streaming: false, metadata: metadata, payload: request)
        }
        // A row of another township, in a first chunk: refused at once, nothing kept.
        var mixed = chunk("s1", ["SG-1", "XH-9"])
        mixed.assets[1] = Fixture.asset(code: "XH-9", village: "421024101201")
        let outside = try await send(mixed, shagang)
        #expect(outside.code == .permissionDenied)
        #expect(outside.violations.map(\.field) == ["assets[1].admin_code", "assets[1].owners[0].admin_code"])
        #expect(try await send(chunk("s1", ["SG-1"]), shagang).code == .ok)
        #expect(try await send(chunk("s2", ["SG-2"]), shagang).code == .ok)
        let third = try await send(chunk("s3", ["SG-3"]), shagang)
        #expect(third.code == .resourceExhausted)
        #expect(third.message.contains("per identity"))
        // Another identity is not held back by it.
        #expect(try await send(chunk("r1", ["RT-1"], village: "421024101201"), [:]).code == .ok)
        // An asset number already used by 熊河镇's asset: reported, its id not named.
        let clash = try await send(chunk("s1", ["XH-1"], first: 1, final: true), shagang)
        #expect(clash.code == .invalidArgument)
        #expect(clash.violations.map(\.field) == ["assets[1].code"])
        #expect(clash.violations.first?.description_p.contains("outside your scope") == true)
        #expect(clash.violations.first?.description_p.contains(xionghe.id) == false)
        // The same for a single registration, checked by the store.
        let single = try await Self.status(client, Self.ledger + "RegisterAsset", streaming: false, metadata: shagang,
                                           payload: Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = Fixture.asset(code: "XH-1", village: "421024102201") })
        #expect(single.code == .alreadyExists)
        #expect(!single.message.contains(xionghe.id))
        #expect(single.violations.first?.description_p.contains(xionghe.id) == false)
        #expect(single.violations.first?.description_p.contains("outside") == true)
    }

    /// Owners a scoped clerk names, whether confirming or correcting them
    /// through an upheld objection, lie in its scope.
    @Test func correctedOwners_outsideTheScope_areRefused() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            (name: "shagang-clerk", role: "township_clerk", scope: "421024102000", uids: []),
            (name: "county-approver", role: "approver", scope: "", uids: []),
        ])
        let shagang = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-clerk"))
        let approver = AccessFixture.bearer(try AccessFixture.token(access, identity: "county-approver"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "SG-1", village: "421024102201"))
        func call(_ method: String, _ request: some SwiftProtobuf.Message, _ metadata: [String: String]) async throws -> Taizhang_Ledger_V1_Asset {
            try await client.unary(Self.ledger + method, request, as: Taizhang_Ledger_V1_Asset.self, metadata: metadata)
        }
        _ = try await call("ConfirmOwnership", LifecycleTests.confirm(asset.id), shagang)
        _ = try await call("ApproveOwnership", Taizhang_Ledger_V1_ApproveOwnershipRequest.with {
            $0.assetID = asset.id; $0.decision = .approve; $0.date = "2024-02-01"
        }, approver)
        _ = try await call("OpenPublication", LifecycleTests.open(asset.id, "2024-02-05"), shagang)
        _ = try await call("FileObjection", Taizhang_Ledger_V1_FileObjectionRequest.with {
            $0.assetID = asset.id; $0.filed = "2024-02-06"; $0.filer = "村民"; $0.content = "权属有误"
        }, shagang)
        var elsewhere = asset.owners[0]
        elsewhere.name = "白马村股份经济合作社"
        elsewhere.adminCode = "421024101201"
        let resolve = Taizhang_Ledger_V1_ResolveObjectionRequest.with {
            $0.assetID = asset.id; $0.number = 1; $0.outcome = .upheld; $0.date = "2024-02-07"; $0.resolution = "核实"
            $0.correctedOwners = [elsewhere]
        }
        let refused = try await Self.status(client, Self.ledger + "ResolveObjection", streaming: false, metadata: shagang, payload: resolve)
        #expect(refused.code == .permissionDenied)
        #expect(refused.message.contains("421024101201"))
        let still = try await LifecycleTests.get(client, asset.id)
        #expect(!still.lifecycle.ownership.hasCorrection)
        #expect(still.lifecycle.publications.last?.objections.first?.outcome == .unspecified)
    }

    /// A township's clerk sees and changes only its township: records of
    /// another are NOT_FOUND, units outside named in a change are
    /// PERMISSION_DENIED, listings are narrowed, the journal needs the whole ledger.
    @Test func aScopedIdentity_readsAndChangesOnlyItsSubtree() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            (name: "xionghe-clerk", role: "county_clerk", scope: "421024101000", uids: []),
            (name: "shagang-clerk", role: "county_clerk", scope: "421024102000", uids: []),
            (name: "shagang-auditor", role: "auditor", scope: "421024102000", uids: []),
        ])
        let xionghe = AccessFixture.bearer(try AccessFixture.token(access, identity: "xionghe-clerk"))
        let shagang = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-clerk"))
        let auditor = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-auditor"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let baima = try await Fixture.register(client, Fixture.asset(code: "BM-1"))                          // 熊河镇白马村
        let xinhe = try await Fixture.register(client, Fixture.asset(code: "XH-1", village: "421024102201"))  // 沙岗镇新河村
        func code(_ method: String, _ request: some SwiftProtobuf.Message, _ metadata: [String: String]) async throws -> Taizhang_Rpc_V1_Code {
            try await Self.status(client, Self.ledger + method, streaming: false, metadata: metadata, payload: request).code
        }
        // Reads: the other township's asset does not exist for them.
        #expect(try await code("GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = baima.id }, shagang) == .notFound)
        #expect(try await code("GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = baima.id }, xionghe) == .ok)
        #expect(try await code("GetDepreciation", Taizhang_Ledger_V1_GetDepreciationRequest.with { $0.assetID = baima.id }, shagang) == .notFound)
        // Listings are narrowed: each sees its own.
        for (metadata, expected) in [(xionghe, [baima.id]), (shagang, [xinhe.id])] {
            let all = try await client.unary(Self.ledger + "ListAssets", Taizhang_Ledger_V1_ListAssetsRequest(), as: Taizhang_Ledger_V1_ListAssetsResponse.self, metadata: metadata)
            #expect(all.assets.map(\.id) == expected)
            #expect(all.totalSize == 1)
        }
        let county = try await client.unary(Self.ledger + "ListAssets", Taizhang_Ledger_V1_ListAssetsRequest.with { $0.adminCode = "421024000000" },
                                            as: Taizhang_Ledger_V1_ListAssetsResponse.self, metadata: shagang)
        #expect(county.assets.map(\.id) == [xinhe.id])
        let other = try await client.unary(Self.ledger + "ListAssets", Taizhang_Ledger_V1_ListAssetsRequest.with { $0.adminCode = "421024101201" },
                                           as: Taizhang_Ledger_V1_ListAssetsResponse.self, metadata: shagang)
        #expect(other.assets.isEmpty)
        let summary = try await client.unary(Self.ledger + "GetLedgerSummary", Taizhang_Ledger_V1_GetLedgerSummaryRequest(),
                                             as: Taizhang_Ledger_V1_LedgerSummary.self, metadata: shagang)
        #expect(summary.total.count == 1)
        // Changes: a record outside is NOT_FOUND, a unit outside named in the request PERMISSION_DENIED.
        var update = Taizhang_Ledger_V1_UpdateAssetRequest()
        update.asset = baima
        update.asset.note = "改"
        #expect(try await code("UpdateAsset", update, shagang) == .notFound)
        var move = Taizhang_Ledger_V1_UpdateAssetRequest()
        move.asset = xinhe
        move.asset.adminCode = "421024101201"
        #expect(try await code("UpdateAsset", move, shagang) == .permissionDenied)
        #expect(try await code("RegisterAsset", Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = Fixture.asset() }, shagang) == .permissionDenied)
        #expect(try await code("RegisterAsset", Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = Fixture.asset(village: "421024102201") }, shagang) == .ok)
        #expect(try await code("RecordIncome", StewardshipTests.income(asset: baima.id, on: "2026-09-01", fen: 100), shagang) == .notFound)
        #expect(try await code("RecordIncome", StewardshipTests.income(asset: xinhe.id, on: "2026-09-01", fen: 100), shagang) == .ok)
        #expect(try await code("OpenStockTake", Taizhang_Ledger_V1_OpenStockTakeRequest.with { $0.adminCode = "421024101201"; $0.year = 2026; $0.date = "2026-10-01" }, shagang) == .permissionDenied)
        #expect(try await code("ConfirmOwnership", Taizhang_Ledger_V1_ConfirmOwnershipRequest.with { $0.assetID = baima.id; $0.date = "2026-01-31" }, shagang) == .notFound)
        let refusal = try await Self.status(client, Self.ledger + "RegisterAsset", streaming: false, metadata: shagang,
                                            payload: Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = Fixture.asset() })
        #expect(refusal.message.contains("421024102000"))
        // Nothing of 白马村 changed.
        #expect(try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = baima.id }, as: Taizhang_Ledger_V1_Asset.self).version == 1)
        // Owners outside the scope are refused too; an entity outside is not there.
        var owned = Fixture.asset(village: "421024102201")
        owned.owners[0].adminCode = "421024101201"
        #expect(try await code("RegisterAsset", Taizhang_Ledger_V1_RegisterAssetRequest.with { $0.asset = owned }, shagang) == .permissionDenied)
        var entity = Taizhang_Ledger_V1_CreateEntityRequest()
        entity.entity.name = "白马村种养大户"
        entity.entity.kind = .entityLargeHousehold
        entity.entity.adminCode = "421024101201"
        let baimaEntity = try await client.unary(Self.ledger + "CreateEntity", entity, as: Taizhang_Ledger_V1_OperatingEntity.self)
        var contract = Taizhang_Ledger_V1_CreateContractRequest()
        contract.contract.assetID = xinhe.id
        contract.contract.entityID = baimaEntity.id
        contract.contract.mode = .lease
        contract.contract.start = "2026-01-01"
        contract.contract.end = "2027-12-31"
        #expect(try await code("CreateContract", contract, shagang) == .notFound)
        // An id not yet created is not the caller's either.
        #expect(try await code("RecordIncome", StewardshipTests.income(asset: "ZC99999999", on: "2026-09-01", fen: 100), shagang) == .notFound)
        // The journal spans the whole ledger: a scoped auditor may not read it.
        #expect(try await code("ListAuditEntries", Taizhang_Ledger_V1_ListAuditEntriesRequest(), auditor) == .permissionDenied)
    }

    /// Idempotency keys belong to the identity, not the token: a retry with a
    /// rotated token finds the first answer; another identity's key is its own.
    @Test func idempotencyKeys_belongToTheIdentity() async throws {
        let access = try AccessFixture.file([(name: "county-clerk", role: "county_clerk", scope: "", uids: []),
                                             (name: "other-clerk", role: "county_clerk", scope: "", uids: [])])
        let first = try AccessFixture.token(access, identity: "county-clerk")
        let rotated = try AccessFixture.token(access, identity: "county-clerk")
        let other = try AccessFixture.token(access, identity: "other-clerk")
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        var unit = Taizhang_Ledger_V1_CreateAdminUnitRequest()
        unit.unit.code = "421024000000"
        unit.unit.name = "江陵县"
        unit.unit.level = .county
        func create(_ token: String) async throws -> Taizhang_Rpc_V1_Response {
            try await client.call(Self.ledger + "CreateAdminUnit", payload: try unit.serializedData(),
                                  metadata: AccessFixture.bearer(token).merging(["idempotency-key": "county-setup-1"]) { $1 })
        }
        #expect(try await create(first).status.code == .ok)
        let retry = try await create(rotated)
        #expect(retry.status.code == .ok, "\(retry.status.message)")
        // Another identity's same key is a new request: the unit exists.
        #expect(try await create(other).status.code == .alreadyExists)
    }

    static func status(_ client: TaizhangClient, _ method: String, streaming: Bool, metadata: [String: String],
                       payload: some SwiftProtobuf.Message) async throws -> Taizhang_Rpc_V1_Status {
        let response = try await client.call(method, payload: try payload.serializedData(), metadata: metadata)
        return response.hasStatus ? response.status : Taizhang_Rpc_V1_Status()
    }
}

import SwiftProtobuf
