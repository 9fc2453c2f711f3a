// The beneficiary register over the real daemon (issue 23): households
// registered with every bad field listed and nothing changed; one person
// registered once; changes dated with their reason; ID and phone numbers
// masked in every answer, never in clear in the ledger file or the daemon's
// log, and in clear only for an identity with household.reveal, each read
// an entry of the audit journal that the ledger check knows; the key file
// created 0600 and needed to read them again.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct HouseholdTests {
    static let households = "/taizhang.household.v1.Households/"
    static let baima = "421024101201"     // 白马村, 熊河镇
    static let xinhe = "421024102201"     // 新河村, 沙岗镇

    static func registration(village: String, idNumber: String, phone: String = "13812345678", head: String = "张桂英",
                             category: Taizhang_Household_V1_HouseholdCategory = .lifted,
                             labour: Taizhang_Household_V1_LabourCapacity = .none) -> Taizhang_Household_V1_RegisterHouseholdRequest {
        .with {
            $0.household = .with { household in
                household.villageCode = village; household.headName = head; household.idNumber = idNumber; household.phone = phone
                household.members = [.with { $0.name = "李德福"; $0.relation = "配偶" }]
                household.labourCapacity = labour; household.category = category
            }
            $0.date = "2026-03-01"; $0.reason = "识别纳入"
        }
    }

    static func call<R: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: some SwiftProtobuf.Message, as: R.Type = R.self,
                                               metadata: [String: String] = [:]) async throws -> (Taizhang_Rpc_V1_Status, R?) {
        let response = try await client.call(households + method, payload: try request.serializedData(), metadata: metadata)
        if response.hasStatus, response.status.code != .ok { return (response.status, nil) }
        return (Taizhang_Rpc_V1_Status(), try R(serializedBytes: response.payload))
    }

    static func ok<R: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: some SwiftProtobuf.Message, as: R.Type = R.self,
                                             metadata: [String: String] = [:]) async throws -> R {
        let (status, answer) = try await call(client, method, request, as: R.self, metadata: metadata)
        return try #require(answer, "\(method): \(status.code) \(status.message) \(status.violations.map { "\($0.field): \($0.description_p)" })")
    }

    static func register(_ client: TaizhangClient, village: String, idNumber: String, phone: String = "13812345678") async throws -> Taizhang_Household_V1_Household {
        try await ok(client, "RegisterHousehold", registration(village: village, idNumber: idNumber, phone: phone))
    }

    /// Every byte the daemon keeps of its ledger: the database, its WAL.
    static func ledgerBytes(_ daemon: DaemonProcess) throws -> Data {
        var all = Data()
        for name in ["taizhang.db", "taizhang.db-wal"] {
            if let data = FileManager.default.contents(atPath: daemon.dataDirectory + "/" + name) { all += data }
        }
        return all
    }

    @Test func registered_masked_everyBadFieldListed_onePersonOnce_changesDatedWithTheirReason() async throws {
        let log = NSTemporaryDirectory() + "tz-household-log-" + UUID().uuidString
        let daemon = try DaemonProcess(stderrPath: log)
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let first = try await Self.register(client, village: Self.baima, idNumber: "421024198001011235")
        #expect(first.id == "HH00000001" && first.version == 1 && first.size == 2)
        #expect(first.idNumber == "4210**********1235" && first.phone == "138****5678" && !first.revealed)
        #expect(first.changes.map(\.reason) == ["识别纳入"] && first.registeredOn == "2026-03-01")

        // Every bad field at once; nothing registered.
        var bad = Self.registration(village: "421024101000", idNumber: "421024198002301230", phone: "12345")
        bad.household.headName = " "
        bad.household.members = [.with { $0.name = "王五"; $0.relation = "" }]
        bad.household.category = .unspecified
        bad.date = "2027-01-01"
        let (status2, _) = try await Self.call(client, "RegisterHousehold", bad, as: Taizhang_Household_V1_Household.self)
        #expect(status2.code == .invalidArgument)
        #expect(Set(status2.violations.map(\.field)) == ["household.category", "household.village_code", "household.head_name", "household.id_number",
                                                         "household.phone", "household.members[0].relation", "date"],
                "\(status2.violations.map { "\($0.field): \($0.description_p)" })")
        let idProblem = status2.violations.first { $0.field == "household.id_number" }?.description_p ?? ""
        #expect(idProblem.contains("positions 7–14") && !idProblem.contains("4210241980"))

        // One person heads one household.
        let (twice, _) = try await Self.call(client, "RegisterHousehold", Self.registration(village: Self.xinhe, idNumber: "421024198001011235"),
                                             as: Taizhang_Household_V1_Household.self)
        #expect(twice.code == .alreadyExists && twice.message.contains("HH00000001"))
        let listed = try await Self.ok(client, "ListHouseholds", Taizhang_Household_V1_ListHouseholdsRequest(), as: Taizhang_Household_V1_ListHouseholdsResponse.self)
        #expect(listed.total == 1 && listed.households.map(\.idNumber) == ["4210**********1235"])

        // A change from a day, with its reason; a stale version refused.
        var change = Taizhang_Household_V1_UpdateHouseholdRequest()
        change.household = Self.registration(village: Self.baima, idNumber: "").household
        change.household.id = first.id
        change.household.category = .suddenHardship
        change.household.phone = "13900001111"
        change.date = "2026-07-20"; change.reason = "洪灾房屋受损"; change.expectedVersion = 1
        let changed = try await Self.ok(client, "UpdateHousehold", change, as: Taizhang_Household_V1_Household.self)
        #expect(changed.version == 2 && changed.category == .suddenHardship && changed.phone == "139****1111" && changed.idNumber == first.idNumber)
        #expect(changed.changes.last?.what == "类别：脱贫户 → 突发严重困难户；联系电话已变更" && changed.changes.last?.date == "2026-07-20")
        let (stale, _) = try await Self.call(client, "UpdateHousehold", change, as: Taizhang_Household_V1_Household.self)
        #expect(stale.code == .aborted)
        let monitored = try await Self.ok(client, "ListHouseholds", Taizhang_Household_V1_ListHouseholdsRequest.with { $0.categories = [.suddenHardship] },
                                          as: Taizhang_Household_V1_ListHouseholdsResponse.self)
        #expect(monitored.households.map(\.id) == [first.id])

        // The numbers in clear nowhere: not in the ledger file, not in the log.
        let stored = try Self.ledgerBytes(daemon)
        for secret in ["421024198001011235", "13812345678", "13900001111", "421024198002301230"] {
            #expect(stored.range(of: Data(secret.utf8)) == nil, "\(secret) in the ledger file")
        }
        _ = daemon.stop()
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!logged.contains("4210241980") && !logged.contains("1381234"))
    }

    @Test func revealed_onlyWithItsPermission_eachReadJournaled_andTheKeyFileIsNeeded() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk", scope: "", uids: [0]),
            (name: "baima-clerk", role: "village_clerk", scope: "421024101201", uids: []),
            (name: "baima-reader", role: "village_clerk+personal_data", scope: "421024101201", uids: []),
            (name: "auditor", role: "auditor", scope: "", uids: []),
        ])
        let clerk = AccessFixture.bearer(try AccessFixture.token(access, identity: "baima-clerk"))
        let reader = AccessFixture.bearer(try AccessFixture.token(access, identity: "baima-reader"))
        let auditor = AccessFixture.bearer(try AccessFixture.token(access, identity: "auditor"))
        let data = NSTemporaryDirectory() + "tz-household-" + UUID().uuidString
        var daemon = try DaemonProcess(dataDirectory: data, extraArguments: ["--access-file", access])
        let keyPath = data + "/personal-data.key"
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        var client = try await daemon.connect()
        try await Fixture.seed(client)
        let household = try await Self.register(client, village: Self.baima, idNumber: "421024198001011235")
        let ask = Taizhang_Household_V1_RevealHouseholdsRequest.with { $0.ids = [household.id]; $0.reason = "入户核对补助发放" }

        let (denied, _) = try await Self.call(client, "RevealHouseholds", ask, as: Taizhang_Household_V1_RevealHouseholdsResponse.self, metadata: clerk)
        #expect(denied.code == .permissionDenied)
        let got = try await Self.ok(client, "GetHousehold", Taizhang_Household_V1_GetHouseholdRequest.with { $0.id = household.id },
                                    as: Taizhang_Household_V1_Household.self, metadata: clerk)
        #expect(got.idNumber == "4210**********1235")
        let (noReason, _) = try await Self.call(client, "RevealHouseholds", Taizhang_Household_V1_RevealHouseholdsRequest.with { $0.ids = [household.id] },
                                                as: Taizhang_Household_V1_RevealHouseholdsResponse.self, metadata: reader)
        #expect(noReason.code == .invalidArgument && noReason.violations.map(\.field) == ["reason"])
        let revealed = try await Self.ok(client, "RevealHouseholds", ask, as: Taizhang_Household_V1_RevealHouseholdsResponse.self, metadata: reader)
        #expect(revealed.households.map(\.idNumber) == ["421024198001011235"] && revealed.households.map(\.phone) == ["13812345678"])
        #expect(revealed.households.allSatisfy { $0.revealed })

        // The read is in the journal, by whom and why; the ledger still checks.
        let entries = try await client.unary(Fixture.ledger + "ListAuditEntries", Taizhang_Ledger_V1_ListAuditEntriesRequest.with { $0.recordID = household.id },
                                             as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self, metadata: auditor).entries
        let read = try #require(entries.first { $0.recordKind == "personal_data_read" })
        #expect(read.identity.hasPrefix("baima-reader") && read.afterJson.contains("入户核对补助发放") && read.afterJson.contains("id_number"))
        #expect(!read.afterJson.contains("421024198001011235"))
        let verify = try await client.unary(Fixture.ledger + "VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                            as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self, metadata: auditor)
        #expect(verify.intact && verify.rowsChecked > 0, "\(verify.problem) \(verify.mismatches)")

        // Restarted with the same key: readable.
        _ = daemon.stop()
        daemon = try DaemonProcess(dataDirectory: data, extraArguments: ["--access-file", access])
        client = try await daemon.connect()
        let again = try await Self.ok(client, "RevealHouseholds", ask, as: Taizhang_Household_V1_RevealHouseholdsResponse.self, metadata: reader)
        #expect(again.households.first?.idNumber == "421024198001011235")
        _ = daemon.stop()
        // Another key, or none: the daemon does not start (78), and never makes a new key for a ledger with households.
        let kept = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        let arguments = ["--config", "", "--data-dir", data, "--unix", data + "/tz.sock", "--access-file", access]
        try Data((String(repeating: "ab", count: 32) + "\n").utf8).write(to: URL(fileURLWithPath: keyPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        let wrong = try CLITests.run(DaemonProcess.binary, arguments)
        #expect(wrong.status == 78 && wrong.stderr.contains("does not open the numbers of households \(household.id)"), "\(wrong.status) \(wrong.stderr)")
        try FileManager.default.removeItem(atPath: keyPath)
        let missing = try CLITests.run(DaemonProcess.binary, arguments)
        #expect(missing.status == 78 && missing.stderr.contains("holds 1 households"), "\(missing.status) \(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: keyPath))
        // The right key back: both reads are in the journal.
        try kept.write(to: URL(fileURLWithPath: keyPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        daemon = try DaemonProcess(dataDirectory: data, extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        client = try await daemon.connect()
        let after = try await client.unary(Fixture.ledger + "ListAuditEntries", Taizhang_Ledger_V1_ListAuditEntriesRequest.with { $0.recordID = household.id },
                                           as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self, metadata: auditor).entries
        #expect(after.filter { $0.recordKind == "personal_data_read" }.count == 2)
    }

    @Test func theCLI_addsListsShowsChangesAndExports_maskedUnlessRevealedWithAReason() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        func cli(_ arguments: [String]) throws -> CLITests.Run { try CLITests.taizhang(["household"] + arguments, socket: daemon.socketPath) }
        let added = try cli(["add", "--village", Self.baima, "--head", "王秀兰", "--id-number", "421024195603140022", "--phone", "0713-1234567",
                             "--member", "刘长海:配偶", "--labour", "weak", "--category", "边缘易致贫户", "--date", "2026-05-01", "--reason", "监测发现"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("HH00000001") && added.stdout.contains("4210**********0022") && added.stdout.contains("边缘易致贫户"))
        let bad = try cli(["add", "--village", Self.baima, "--head", "王五", "--id-number", "421024195603140023", "--labour", "none",
                           "--category", "lifted", "--reason", "识别纳入"])
        #expect(bad.status == 13 && bad.stderr.contains("household.id_number") && !bad.stderr.contains("421024195603140023"), "\(bad.status) \(bad.stderr)")
        let changed = try cli(["update", "HH00000001", "--category", "sudden_hardship", "--date", "2026-07-20", "--reason", "洪灾"])
        #expect(changed.status == 0 && changed.stdout.contains("类别：边缘易致贫户 → 突发严重困难户"), "\(changed.stderr)")
        let listed = try cli(["list", "--lang", "en"])
        #expect(listed.status == 0 && listed.stdout.contains("4210**********0022") && listed.stdout.contains("sudden hardship"))
        #expect(!listed.stdout.contains("421024195603140022") && !listed.stdout.contains("0713-1234567"))
        let noReason = try cli(["show", "HH00000001", "--reveal"])
        #expect(noReason.status != 0 && noReason.stderr.contains("--reason"))
        let shown = try cli(["show", "HH00000001", "--reveal", "--reason", "入户核对"])
        #expect(shown.status == 0 && shown.stdout.contains("421024195603140022") && shown.stdout.contains("0713-1234567"), "\(shown.stderr)")
        let csv = try cli(["export"])
        #expect(csv.status == 0 && csv.stdout.hasPrefix("id,village_code,head_name,id_number,phone,members,labour_capacity,category,registered_on,version"))
        #expect(csv.stdout.contains("HH00000001,\(Self.baima),王秀兰,4210**********0022,071*****4567,刘长海:配偶,weak,sudden_hardship,2026-05-01,2"))
        let file = NSTemporaryDirectory() + "tz-register-" + UUID().uuidString + ".csv"
        let revealed = try cli(["export", "-o", file, "--reveal", "--reason", "年度核查"])
        #expect(revealed.status == 0, "\(revealed.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(mode == 0o600 && written.contains("421024195603140022"))
    }

    /// A plan's household shares naming households of the register, carried
    /// out through its steps to the point of payment.
    static func planToFiled(_ client: TaizhangClient, shares: [(Taizhang_Ledger_V1_AllocationPurpose, [(String, Int64)])], income fen: Int64,
                            code: String) async throws -> Taizhang_Ledger_V1_DistributionPlan {
        let asset = try await Fixture.register(client, Fixture.asset(code: code))
        let income = try await client.unary(Fixture.ledger + "RecordIncome", StewardshipTests.income(asset: asset.id, on: "2026-03-10", fen: fen),
                                            as: Taizhang_Ledger_V1_Income.self)
        var create = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        create.plan.ownerCode = baima
        create.plan.incomeIds = [income.id]
        let paid = shares.reduce(Int64(0)) { $0 + $1.1.reduce(Int64(0)) { $0 + $1.1 } }
        create.plan.allocations = shares.map { purpose, households in
            var allocation = StewardshipTests.allocation(purpose, households.reduce(Int64(0)) { $0 + $1.1 })
            allocation.households = households.map { id, amount in .with { $0.householdID = id; $0.amountFen = amount } }
            return allocation
        } + [StewardshipTests.allocation(.reserve, fen - paid)]
        create.draftedOn = "2026-03-20"
        var plan = try await client.unary(Fixture.ledger + "CreateDistributionPlan", create, as: Taizhang_Ledger_V1_DistributionPlan.self)
        var assembly = StewardshipTests.advance(plan.id, .planAssemblyPassed, "2026-03-25")
        assembly.assembly = .with { $0.date = "2026-03-25"; $0.representativesTotal = 30; $0.representativesPresent = 24; $0.poorHouseholdRepresentatives = 8 }
        plan = try await client.unary(Fixture.ledger + "AdvanceDistributionPlan", assembly, as: Taizhang_Ledger_V1_DistributionPlan.self)
        for (stage, date) in [(Taizhang_Ledger_V1_PlanStage.planPublished, "2026-04-02"), (.planTownshipApproved, "2026-04-10"), (.planFiled, "2026-04-15")] {
            plan = try await client.unary(Fixture.ledger + "AdvanceDistributionPlan", StewardshipTests.advance(plan.id, stage, date), as: Taizhang_Ledger_V1_DistributionPlan.self)
        }
        return plan
    }

    @Test func plansPayHouseholdsOfTheRegister_lineForLineFenForFen_andNeverSkipThePriorityGroup() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let none = try await Self.ok(client, "RegisterHousehold", Self.registration(village: Self.baima, idNumber: "421024198001011235", head: "张桂英", labour: .none),
                                     as: Taizhang_Household_V1_Household.self)
        let weak = try await Self.ok(client, "RegisterHousehold", Self.registration(village: Self.baima, idNumber: "421024195603140022", head: "李德福", labour: .weak),
                                     as: Taizhang_Household_V1_Household.self)
        let full = try await Self.ok(client, "RegisterHousehold", Self.registration(village: Self.baima, idNumber: "11010519491231002X", head: "王秀兰", labour: .full),
                                     as: Taizhang_Household_V1_Household.self)

        // A share naming a household the register does not hold, or under another name: refused when drafted.
        let asset = try await Fixture.register(client, Fixture.asset(code: "HH-0"))
        let income = try await client.unary(Fixture.ledger + "RecordIncome", StewardshipTests.income(asset: asset.id, on: "2026-03-10", fen: 10_000),
                                            as: Taizhang_Ledger_V1_Income.self)
        var wrong = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        wrong.plan.ownerCode = Self.baima
        wrong.plan.incomeIds = [income.id]
        var priority = StewardshipTests.allocation(.noLabourHouseholds, 9_000)
        priority.households = [.with { $0.householdID = "HH00000099"; $0.amountFen = 4_000 }, .with { $0.householdID = none.id; $0.name = "张三"; $0.amountFen = 5_000 }]
        wrong.plan.allocations = [priority, StewardshipTests.allocation(.reserve, 1_000)]
        wrong.draftedOn = "2026-03-20"
        let unknown = try await StewardshipTests.refusal(client, "CreateDistributionPlan", wrong, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(Set(unknown.violations.map(\.field)) == ["plan.allocations[0].households[0].household_id", "plan.allocations[0].households[1].name"])

        // A plan paying the household without labour capacity and one with full capacity, skipping the weak one: refused when drafted (004 §30).
        let skipAsset = try await Fixture.register(client, Fixture.asset(code: "HH-1"))
        let skipIncome = try await client.unary(Fixture.ledger + "RecordIncome", StewardshipTests.income(asset: skipAsset.id, on: "2026-03-10", fen: 60_000),
                                                as: Taizhang_Ledger_V1_Income.self)
        var skipping = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        skipping.plan.ownerCode = Self.baima
        skipping.plan.incomeIds = [skipIncome.id]
        var first = StewardshipTests.allocation(.noLabourHouseholds, 30_000)
        first.households = [.with { $0.householdID = none.id; $0.amountFen = 30_000 }]
        var others = StewardshipTests.allocation(.otherHouseholds, 20_000)
        others.households = [.with { $0.householdID = full.id; $0.amountFen = 20_000 }]
        skipping.plan.allocations = [first, others, StewardshipTests.allocation(.reserve, 10_000)]
        skipping.draftedOn = "2026-03-20"
        let skipped = try await StewardshipTests.refusal(client, "CreateDistributionPlan", skipping, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(skipped.code == .failedPrecondition && skipped.message.contains("004 §30") && skipped.message.contains(weak.id), "\(skipped.message)")

        // Paying both priority households: the lines must match the shares, each with its receipt.
        let plan = try await Self.planToFiled(client, shares: [(.noLabourHouseholds, [(none.id, 30_000), (weak.id, 20_000)])], income: 60_000, code: "HH-2")
        var lines = StewardshipTests.advance(plan.id, .planCarriedOut, "2026-05-20")
        lines.payments = [.with { $0.householdID = none.id; $0.amountFen = 29_999; $0.method = .transfer; $0.transferReference = "NX20260520002" },
                          .with { $0.householdID = full.id; $0.amountFen = 1; $0.method = .cash; $0.signedSheetSha256 = "not-a-digest" }]
        let bad = try await StewardshipTests.refusal(client, "AdvanceDistributionPlan", lines, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(bad.code == .invalidArgument)
        #expect(Set(bad.violations.map(\.field)) == ["payments[0].amount_fen", "payments[1].household_id", "payments[1].signed_sheet_sha256", "payments"],
                "\(bad.violations.map { "\($0.field): \($0.description_p)" })")
        let unchanged = try await client.unary(Fixture.ledger + "GetDistributionPlan", Taizhang_Ledger_V1_GetDistributionPlanRequest.with { $0.id = plan.id },
                                               as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(unchanged.stage == .planFiled && unchanged.payments.isEmpty)
        // Carried out from the CLI, one --payment per household.
        let cli = try CLITests.taizhang(["plan", "advance", plan.id, "--to", "carried_out", "--date", "2026-05-20",
                                         "--payment", "\(none.id):300:transfer:NX20260520002",
                                         "--payment", "\(weak.id):200:cash:\(String(repeating: "cd", count: 32))"], socket: daemon.socketPath)
        #expect(cli.status == 0 && cli.stdout.contains("发放到户（2 户"), "\(cli.stderr)")
        let done = try await client.unary(Fixture.ledger + "GetDistributionPlan", Taizhang_Ledger_V1_GetDistributionPlanRequest.with { $0.id = plan.id },
                                          as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(done.stage == .planCarriedOut && done.payments.map(\.householdID) == [none.id, weak.id])
        #expect(done.payments.reduce(0) { $0 + $1.amountFen } == 50_000 && done.payments.map(\.method) == [.transfer, .cash])

        // The payment sheet for signatures: every household, masked, the total the households' share.
        let sheet = try CLITests.taizhang(["plan", "sheet", plan.id, "--format", "csv"], socket: daemon.socketPath)
        #expect(sheet.status == 0, "\(sheet.stderr)")
        #expect(sheet.stdout.contains("\(none.id),张桂英,4210**********1235,300.00,转账 NX20260520002,,") && sheet.stdout.contains("合计,\(plan.id),,,,500.00"), "\(sheet.stdout)")
        #expect(!sheet.stdout.contains("421024198001011235"))
        let page = try CLITests.taizhang(["plan", "sheet", plan.id], socket: daemon.socketPath)
        #expect(page.status == 0 && page.stdout.contains("收益分配到户发放签领表") && page.stdout.contains("<th>手印</th>") && page.stdout.contains("4210**********0022"))

        // 巡问查比: a visit to a household the plan did not pay is refused; a dispute raises payment_disputed on the plan, in its village.
        func visit(_ household: String, confirmed: Bool, matches: Bool, date: String) -> Taizhang_Household_V1_RecordVisitRequest {
            .with { $0.visit = .with { $0.householdID = household; $0.planID = plan.id; $0.date = date; $0.inspector = "县督查组 刘强"
                $0.asked = "分配收益是否足额到手，签领表是否本人签字"; $0.paymentConfirmed = confirmed; $0.signaturesMatch = matches } }
        }
        let (notPaid, _) = try await Self.call(client, "RecordVisit", visit(full.id, confirmed: true, matches: true, date: "2026-06-01"), as: Taizhang_Household_V1_Visit.self)
        #expect(notPaid.code == .invalidArgument && notPaid.violations.map(\.field) == ["visit.plan_id"])
        let disputed = try await Self.ok(client, "RecordVisit", visit(weak.id, confirmed: false, matches: false, date: "2026-06-01"), as: Taizhang_Household_V1_Visit.self)
        #expect(disputed.disputed && disputed.headName == "李德福" && disputed.villageCode == Self.baima)
        func paymentAlerts() async throws -> [Taizhang_Risk_V1_Alert] {
            _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
            return try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.kind = "payment_disputed"; $0.state = .open },
                                          as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        }
        // The visit's commit triggers a focused run by itself (within the debounce); RunMonitor is only the bound.
        var raised: [Taizhang_Risk_V1_Alert] = []
        let deadline = Date().addingTimeInterval(10)
        while raised.isEmpty, Date() < deadline {
            raised = try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.kind = "payment_disputed"; $0.state = .open },
                                            as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
            if raised.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(raised.map(\.subjectID) == [plan.id] && raised.first?.adminCode == Self.baima && raised.first?.level == .red)
        #expect(raised.first?.message.contains(weak.id) == true && raised.first?.message.contains("签字或手印与签领表不符") == true, "\(raised.first?.message ?? "")")
        #expect(raised.first.map { !$0.message.contains("421024195603140022") && !$0.messageEn.contains("421024195603140022") } == true)
        // A later visit that confirms both clears it.
        _ = try await Self.ok(client, "RecordVisit", visit(weak.id, confirmed: true, matches: true, date: "2026-06-10"), as: Taizhang_Household_V1_Visit.self)
        #expect(try await paymentAlerts().isEmpty)
        let listed = try await Self.ok(client, "ListVisits", Taizhang_Household_V1_ListVisitsRequest.with { $0.disputedOnly = true },
                                       as: Taizhang_Household_V1_ListVisitsResponse.self)
        #expect(listed.visits.map(\.id) == [disputed.id])
    }

    @Test func theRegisterImportedFromCSV_allOrNone_everyBadRowAtItsLine() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        func file(_ rows: [String]) throws -> String {
            let path = NSTemporaryDirectory() + "tz-register-" + UUID().uuidString + ".csv"
            try Data((["village_code,head_name,id_number,phone,members,labour_capacity,category"] + rows).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        func run(_ arguments: [String]) throws -> CLITests.Run { try CLITests.taizhang(["household", "import"] + arguments, socket: daemon.socketPath) }
        func total() async throws -> UInt64 {
            try await Self.ok(client, "ListHouseholds", Taizhang_Household_V1_ListHouseholdsRequest(), as: Taizhang_Household_V1_ListHouseholdsResponse.self).total
        }
        let good = ["\(Self.baima),张桂英,421024198001011235,13812345678,李德福:配偶,none,lifted", "\(Self.baima),王秀兰,421024195603140022,,,弱劳动能力,边缘易致贫户"]
        // A column the CLI cannot read: named by line, nothing sent.
        let unreadable = try run([try file(good + ["\(Self.baima),刘长海,11010519491231002X,,,full,rich"]), "--reason", "识别纳入"])
        #expect(unreadable.status == 13 && unreadable.stderr.contains("line 4: category \"rich\""), "\(unreadable.stderr)")
        // Rows the daemon refuses: each at its line, the number never echoed; nothing registered.
        let refused = try run([try file(good + ["\(Self.baima),刘长海,110105194912310021,,,full,lifted", "421024101000,赵六,11010519491231002X,,,full,lifted"]),
                               "--reason", "识别纳入"])
        #expect(refused.status == 13, "\(refused.stderr)")
        #expect(refused.stderr.contains("line 4: id_number:") && refused.stderr.contains("line 5: village_code:") && !refused.stderr.contains("110105194912310021"),
                "\(refused.stderr)")
        #expect(try await total() == 0)
        // A dry run registers nothing; the import registers every row; the same file again is refused row by row.
        let path = try file(good)
        let dry = try run([path, "--reason", "识别纳入", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("2 行均无问题"), "\(dry.stderr)")
        #expect(try await total() == 0)
        let imported = try run([path, "--reason", "识别纳入", "--date", "2026-03-01"])
        #expect(imported.status == 0 && imported.stdout.contains("已登记 2 户（HH00000001–HH00000002）"), "\(imported.stderr)")
        let again = try run([path, "--reason", "识别纳入", "--date", "2026-03-01"])
        #expect(again.status == 16 && again.stderr.contains("line 2: id_number: already registered") && again.stderr.contains("line 3: id_number: already registered"),
                "\(again.status) \(again.stderr)")
        #expect(try await total() == 2)
        // A person already registered refuses the whole import, naming the row.
        let twiceFile = try file(["\(Self.baima),李四,11010519491231002X,,,full,lifted", "\(Self.baima),张桂英,421024198001011235,,,none,lifted",
                                  "\(Self.baima),李四,11010519491231002X,,,full,lifted"])
        // The dry run finds it too (the rules run, nothing is written), with the person twice in the file.
        let twiceDry = try run([twiceFile, "--reason", "识别纳入", "--dry-run"])
        #expect(twiceDry.status == 16 && twiceDry.stderr.contains("line 3: id_number: already registered") && twiceDry.stderr.contains("line 4: id_number: is the same person as row 1"),
                "\(twiceDry.status) \(twiceDry.stderr)")
        let twice = try run([twiceFile, "--reason", "识别纳入"])
        #expect(twice.status == 16 && twice.stderr.contains("line 3: id_number: already registered"), "\(twice.status) \(twice.stderr)")
        // A refused import gave its numbers back: the next household is HH00000003.
        let next = try await Self.register(client, village: Self.xinhe, idNumber: "11010519491231002X")
        #expect(next.id == "HH00000003")
        #expect(try await total() == 3)
    }
}
