// The units' traffic lights over the real daemon (issue 21): a project's
// milestones and funds recorded in order, the refusals (a payment over the
// allocation, a milestone out of order, every bad field at once) changing
// nothing; targets set, changed only with a reason and never for an ended
// quarter; four units judged over the four quarters of 2026 (the issue's
// green, yellow, red, red, and the unit that made up its year in Q4), the
// quarter's ranking with a tie, and a township seeing only its own row
// (002 Laiwu: 一季一督导一评比; 000 二(三)1, 二(四)2).

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct SupervisionTests {
    static let supervision = "/taizhang.supervision.v1.Supervision/"
    static let xionghe = "421024101000"
    static let shagang = "421024102000"
    static let county = "421024000000"
    static let doc = Taizhang_Ledger_V1_Document.with { $0.name = "批复文件"; $0.kind = "other"; $0.sha256 = String(repeating: "ab", count: 32) }

    /// A call's status and, when OK, its answer.
    static func call<R: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: some SwiftProtobuf.Message, as: R.Type = R.self,
                                               metadata: [String: String] = [:]) async throws -> (Taizhang_Rpc_V1_Status, R?) {
        let response = try await client.call(supervision + method, payload: try request.serializedData(), metadata: metadata)
        if response.hasStatus, response.status.code != .ok { return (response.status, nil) }
        return (Taizhang_Rpc_V1_Status(), try R(serializedBytes: response.payload))
    }

    static func ok<R: SwiftProtobuf.Message>(_ client: TaizhangClient, _ method: String, _ request: some SwiftProtobuf.Message, as: R.Type = R.self) async throws -> R {
        let (status, answer) = try await call(client, method, request, as: R.self)
        return try #require(answer, "\(method): \(status.code) \(status.message) \(status.violations.map { "\($0.field): \($0.description_p)" })")
    }

    static func register(_ client: TaizhangClient, _ name: String, _ kind: Taizhang_Supervision_V1_UnitKind, _ code: String) async throws -> String {
        try await ok(client, "RegisterUnit", Taizhang_Supervision_V1_RegisterUnitRequest.with {
            $0.unit.name = name; $0.unit.kind = kind; $0.unit.adminCode = code; $0.unit.head = "张三"; $0.unit.headPost = kind == .township ? "镇长" : "局长"
        }, as: Taizhang_Supervision_V1_ResponsibleUnit.self).id
    }

    static func milestone(_ project: String, _ milestone: Taizhang_Supervision_V1_Milestone, _ date: String, unit: String = "") -> Taizhang_Supervision_V1_RecordMilestoneRequest {
        .with { $0.projectID = project; $0.milestone = milestone; $0.date = date; $0.document = doc; $0.unitID = unit }
    }

    static func allocation(_ project: String, _ fen: Int64, _ date: String) -> Taizhang_Supervision_V1_RecordAllocationRequest {
        .with { $0.projectID = project; $0.allocation = .with { $0.year = 2026; $0.source = .linkage; $0.level = .central; $0.amountFen = fen; $0.date = date; $0.document = doc } }
    }

    static func payment(_ project: String, _ fen: Int64, _ date: String) -> Taizhang_Supervision_V1_RecordDisbursementRequest {
        .with { $0.projectID = project; $0.disbursement = .with { $0.source = .linkage; $0.level = .central; $0.amountFen = fen; $0.date = date; $0.document = doc; $0.payee = "施工单位" } }
    }

    static func targets(_ unit: String, spend: [Int64], milestones: [[Taizhang_Supervision_V1_MilestoneTarget]] = [[], [], [], []],
                        date: String = "2026-01-05", reason: String = "") -> Taizhang_Supervision_V1_SetUnitTargetsRequest {
        .with { request in
            request.unitID = unit; request.year = 2026; request.date = date; request.reason = reason
            request.quarters = zip(spend, milestones).map { fen, wanted in .with { $0.spendFen = fen; $0.milestones = wanted } }
        }
    }

    /// 熊河镇's government answering for JL-2019-001 (the Fixture's
    /// project), approved, with 2026 targets, an allocation and a payment.
    /// Needs `Fixture.seed`.
    static func seedUnit(_ client: TaizhangClient) async throws -> (unit: String, project: String) {
        let unit = try await register(client, "熊河镇人民政府", .township, xionghe)
        let project = "JL-2019-001"
        _ = try await ok(client, "RecordMilestone", milestone(project, .approved, "2026-01-05", unit: unit), as: Taizhang_Supervision_V1_ProjectProgress.self)
        _ = try await ok(client, "SetUnitTargets", targets(unit, spend: [1_000_000, 1_000_000, 1_000_000, 1_000_000]), as: Taizhang_Supervision_V1_ResponsibleUnit.self)
        _ = try await ok(client, "RecordAllocation", allocation(project, 10_000_000, "2026-01-10"), as: Taizhang_Supervision_V1_ProjectProgress.self)
        _ = try await ok(client, "RecordDisbursement", payment(project, 1_000_000, "2026-02-01"), as: Taizhang_Supervision_V1_ProjectProgress.self)
        return (unit, project)
    }

    @Test func aProject_runsThroughItsMilestonesAndFunds_andRefusalsChangeNothing() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let (_, project) = try await Self.seedUnit(client)
        typealias Progress = Taizhang_Supervision_V1_ProjectProgress

        // Out of order: started before tendered and contract_signed. (The monitor first takes in what
        // the seeding raised, so that the count below moves only if a refusal wrote something.)
        _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        let before = try await RequestBoundsTests.auditCount(client)
        let (early, _) = try await Self.call(client, "RecordMilestone", Self.milestone(project, .started, "2026-03-01"), as: Progress.self)
        #expect(early.code == .failedPrecondition)
        #expect(early.message.contains("record that first") && early.message.contains("tendered"), "\(early.message)")
        // Over the allocation: 10,000,000 allocated, 1,000,000 paid, 9,000,001 more.
        let (over, _) = try await Self.call(client, "RecordDisbursement", Self.payment(project, 9_000_001, "2026-03-01"), as: Progress.self)
        #expect(over.code == .failedPrecondition)
        #expect(over.violations.map(\.field) == ["disbursement.amount_fen"], "\(over.violations)")
        #expect(over.message.contains("000 二(四)2"))
        // Paid before it was allocated, though the total allocated later covers it.
        let (unfunded, _) = try await Self.call(client, "RecordDisbursement", Self.payment(project, 1, "2026-01-09"), as: Progress.self)
        #expect(unfunded.code == .failedPrecondition, "\(unfunded.message)")
        // Every bad field at once.
        var bad = Self.payment(project, 0, "2026-02-30")
        bad.disbursement.level = .unspecified
        bad.disbursement.document.sha256 = "ABC"
        let (invalid, _) = try await Self.call(client, "RecordDisbursement", bad, as: Progress.self)
        #expect(invalid.code == .invalidArgument)
        #expect(Set(invalid.violations.map(\.field)) == ["disbursement.level", "disbursement.date", "disbursement.amount_fen", "disbursement.document.sha256"],
                "\(invalid.violations.map(\.field))")
        #expect(try await RequestBoundsTests.auditCount(client) == before, "a refusal changed nothing")

        // In order, and the stage and spending at any date.
        for (milestone, date) in [(Taizhang_Supervision_V1_Milestone.tendered, "2026-03-01"), (.contractSigned, "2026-03-20"), (.started, "2026-04-01")] {
            _ = try await Self.ok(client, "RecordMilestone", Self.milestone(project, milestone, date), as: Progress.self)
        }
        _ = try await Self.ok(client, "RecordDisbursement", Self.payment(project, 9_000_000, "2026-04-15"), as: Progress.self)
        let (twice, _) = try await Self.call(client, "RecordMilestone", Self.milestone(project, .tendered, "2026-05-01"), as: Progress.self)
        #expect(twice.code == .failedPrecondition && twice.message.contains("already"), "\(twice.message)")
        let march = try await Self.ok(client, "GetProjectProgress", Taizhang_Supervision_V1_GetProjectProgressRequest.with { $0.projectID = project; $0.asOf = "2026-03-10" },
                                      as: Progress.self)
        #expect(march.stage == .tendered && march.spentFen == 1_000_000 && march.allocatedFen == 10_000_000)
        let now = try await Self.ok(client, "GetProjectProgress", Taizhang_Supervision_V1_GetProjectProgressRequest.with { $0.projectID = project }, as: Progress.self)
        #expect(now.stage == .started && now.spentFen == 10_000_000 && now.milestones.count == 4 && now.disbursements.count == 2)
        #expect(now.disbursements.allSatisfy { !$0.meta.recordedAt.isEmpty })

        // 账账相符: completed with 10,000,000 fen spent and no asset registered: a yellow alert naming both figures.
        for (milestone, date) in [(Taizhang_Supervision_V1_Milestone.completed, "2026-06-30")] {
            _ = try await Self.ok(client, "RecordMilestone", Self.milestone(project, milestone, date), as: Progress.self)
        }
        let books = try await Self.booksAlerts(client, project)
        #expect(books.count == 1 && books.first?.level == .yellow, "\(books)")
        #expect(books.first?.reasons.first?.zh.contains("资金支出100,000.00元，形成资产原值0.00元") == true, "\(books.first?.reasons.map(\.zh) ?? [])")
        // An asset worth all but 100 fen (the tolerance): the books agree, the alert clears.
        _ = try await Fixture.register(client, Fixture.asset(code: "JL-BOOKS-1", value: 9_999_900))
        #expect(try await Self.booksAlerts(client, project).isEmpty)
        await client.close()
    }

    @Test func anEntityAssessedWeak_beforeAProject_carriesTheRiskOnItsContracts() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let (entity, contract) = try await RiskMonitorTests.seedOperations(client)
        let (_, project) = try await Self.seedUnit(client)
        typealias Assessment = Taizhang_Supervision_V1_Assessment
        func assess(_ facts: Taizhang_Supervision_V1_AssessmentFacts, entity: String = entity) -> Taizhang_Supervision_V1_AssessProjectRequest {
            .with { $0.projectID = project; $0.entityID = entity; $0.date = "2026-03-01"; $0.facts = facts; $0.assessors = "县农业农村局 李四" }
        }
        // Small, one channel, half the households, one violation: weak.
        let weakFacts = Taizhang_Supervision_V1_AssessmentFacts.with {
            $0.annualOutputFen = 1_000_000; $0.investmentFen = 10_000_000; $0.channels = ["批发市场"]; $0.orderSharePercent = 0
            $0.householdsLinked = 10; $0.householdsPlanned = 20; $0.violations = ["环保处罚"]
        }
        let weak = try await Self.ok(client, "AssessProject", assess(weakFacts), as: Assessment.self)
        #expect(weak.weak && weak.total < 60 && weak.parts.map(\.part) == ["production_scale", "sales_channels", "poverty_linkage", "policy_compliance"], "\(weak.total)")
        #expect(weak.parts[0].reasons.first?.zh.contains("10%") == true, "\(weak.parts[0].reasons.map(\.zh))")
        // Every bad field at once; an unknown entity too.
        let (bad, _) = try await Self.call(client, "AssessProject", assess(.with { $0.orderSharePercent = 101; $0.householdsLinked = -1 }, entity: "ZT09999999"),
                                           as: Assessment.self)
        #expect(bad.code == .notFound || Set(bad.violations.map(\.field)).isSuperset(of: ["facts.investment_fen", "facts.order_share_percent", "facts.households_linked"]),
                "\(bad.code) \(bad.violations.map(\.field))")
        // The risk shows on the entity's contract, and in the project's progress.
        let shown = try await client.unary("/taizhang.ledger.v1.Ledger/GetContract", Taizhang_Ledger_V1_GetContractRequest.with { $0.id = contract },
                                           as: Taizhang_Ledger_V1_OperationContract.self)
        #expect(shown.entityRisks.map(\.assessmentID) == [weak.id] && shown.entityRisks.first?.summary.contains("生产规模") == true, "\(shown.entityRisks)")
        let progress = try await Self.ok(client, "GetProjectProgress", Taizhang_Supervision_V1_GetProjectProgressRequest.with { $0.projectID = project },
                                         as: Taizhang_Supervision_V1_ProjectProgress.self)
        #expect(progress.assessments.map(\.id) == [weak.id])
        // Once the project has started, it is too late.
        for (milestone, date) in [(Taizhang_Supervision_V1_Milestone.tendered, "2026-03-02"), (.contractSigned, "2026-03-03"), (.started, "2026-03-04")] {
            _ = try await Self.ok(client, "RecordMilestone", Self.milestone(project, milestone, date), as: Taizhang_Supervision_V1_ProjectProgress.self)
        }
        let (late, _) = try await Self.call(client, "AssessProject", assess(weakFacts), as: Assessment.self)
        #expect(late.code == .failedPrecondition && late.message.contains("000 二(一)"), "\(late.message)")
        await client.close()
    }

    @Test func targets_areSetFreely_changedOnlyWithAReason_andNeverForAnEndedQuarter() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let (unit, project) = try await Self.seedUnit(client)
        typealias Unit = Taizhang_Supervision_V1_ResponsibleUnit
        let future = Taizhang_Supervision_V1_MilestoneTarget.with { $0.projectID = project; $0.milestone = .completed }

        let (noReason, _) = try await Self.call(client, "SetUnitTargets", Self.targets(unit, spend: [1_000_000, 1_000_000, 1_000_000, 2_000_000]), as: Unit.self)
        #expect(noReason.code == .invalidArgument && noReason.violations.map(\.field) == ["reason"], "\(noReason.violations)")
        // 2026Q1 has ended: its target stands (the daemon's today is at least 2026-12-06).
        let (ended, _) = try await Self.call(client, "SetUnitTargets", Self.targets(unit, spend: [500_000, 1_000_000, 1_000_000, 1_000_000], reason: "调减"), as: Unit.self)
        #expect(ended.code == .failedPrecondition && ended.message.contains("2026Q1"), "\(ended.message)")
        let (badFields, _) = try await Self.call(client, "SetUnitTargets", Taizhang_Supervision_V1_SetUnitTargetsRequest.with {
            $0.unitID = unit; $0.year = 1999; $0.date = "2026-01-05"
            $0.quarters = [.with { $0.spendFen = -1 }, .with { $0.milestones = [.with { $0.projectID = "JL-0000-404"; $0.milestone = .started }] }]
        }, as: Unit.self)
        #expect(badFields.code == .invalidArgument)
        #expect(Set(badFields.violations.map(\.field)) == ["year", "quarters"], "\(badFields.violations.map(\.field))")
        let units = try await Self.ok(client, "ListUnits", Taizhang_Supervision_V1_ListUnitsRequest(), as: Taizhang_Supervision_V1_ListUnitsResponse.self)
        #expect(units.units.map(\.id) == [unit] && units.units[0].years[0].spendFen == 4_000_000 && units.units[0].years[0].revisions.count == 1)
        // A new year's targets name a project of another unit: refused by field.
        let other = try await Self.register(client, "县水利局", .department, Self.county)
        var foreign = Self.targets(other, spend: [0, 0, 0, 0], milestones: [[], [], [], [future]])
        foreign.year = 2027
        let (notItsOwn, _) = try await Self.call(client, "SetUnitTargets", foreign, as: Unit.self)
        #expect(notItsOwn.violations.map(\.field) == ["quarters[3].milestones[0].project_id"], "\(notItsOwn.violations)")
        #expect(notItsOwn.violations.first?.description_p.contains("carried out by \(unit)") == true)
        // A department lies in the county, a township government in its township.
        let (misplaced, _) = try await Self.call(client, "RegisterUnit", Taizhang_Supervision_V1_RegisterUnitRequest.with {
            $0.unit.name = "县交通运输局"; $0.unit.kind = .department; $0.unit.adminCode = Self.xionghe; $0.unit.head = ""
        }, as: Unit.self)
        #expect(Set(misplaced.violations.map(\.field)) == ["unit.admin_code", "unit.head"], "\(misplaced.violations)")
        await client.close()
    }

    /// The open books_mismatch alerts of `project`, after a run of the monitor.
    static func booksAlerts(_ client: TaizhangClient, _ project: String) async throws -> [Taizhang_Risk_V1_Alert] {
        _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        return try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with {
            $0.kind = "books_mismatch"; $0.subjectID = project; $0.state = .open
        }, as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
    }

    /// One unit's 2026: a project approved in January, 10,000,000 fen allocated, and payments.
    static func year(_ client: TaizhangClient, name: String, kind: Taizhang_Supervision_V1_UnitKind, code: String, project: String,
                     payments: [(String, Int64)]) async throws -> String {
        let unit = try await register(client, name, kind, code)
        _ = try await client.unary("/taizhang.ledger.v1.Ledger/CreateProject", Taizhang_Ledger_V1_CreateProjectRequest.with {
            $0.project.id = project; $0.project.name = name + "产业项目"; $0.project.year = 2026; $0.project.implementingUnit = name; $0.project.adminCode = code
        }, as: Taizhang_Ledger_V1_Project.self)
        _ = try await ok(client, "RecordMilestone", milestone(project, .approved, "2026-01-05", unit: unit), as: Taizhang_Supervision_V1_ProjectProgress.self)
        _ = try await ok(client, "RecordAllocation", allocation(project, 10_000_000, "2026-01-10"), as: Taizhang_Supervision_V1_ProjectProgress.self)
        for (date, fen) in payments {
            _ = try await ok(client, "RecordDisbursement", payment(project, fen, date), as: Taizhang_Supervision_V1_ProjectProgress.self)
        }
        let tendered = Taizhang_Supervision_V1_MilestoneTarget.with { $0.projectID = project; $0.milestone = .tendered }
        _ = try await ok(client, "SetUnitTargets", targets(unit, spend: [1_000_000, 1_000_000, 1_000_000, 1_000_000], milestones: [[tendered], [], [], []]),
                         as: Taizhang_Supervision_V1_ResponsibleUnit.self)
        _ = try await ok(client, "RecordMilestone", milestone(project, .tendered, "2026-03-01"), as: Taizhang_Supervision_V1_ProjectProgress.self)
        return unit
    }

    static func lights(_ client: TaizhangClient, _ unit: String, metadata: [String: String] = [:]) async throws -> (Taizhang_Rpc_V1_Status, [Taizhang_Supervision_V1_QuarterLight]) {
        let (status, answer) = try await call(client, "GetUnitLights", Taizhang_Supervision_V1_GetUnitLightsRequest.with { $0.unitID = unit; $0.year = 2026 },
                                              as: Taizhang_Supervision_V1_UnitLights.self, metadata: metadata)
        return (status, answer?.quarters ?? [])
    }

    /// Whether this run enters 2026 before its fourth quarter's judgement day (2027-01-10, China time).
    static var enteredBeforeQ4WasJudged: Bool {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Asia/Shanghai")!, from: Date())
        return (parts.year!, parts.month!, parts.day!) <= (2027, 1, 10)
    }

    @Test func fourUnits_overFourQuarters_areJudgedRankedAndSeenByScope() async throws {
        let access = try AccessFixture.file([
            (name: "county-root", role: "county_clerk+administrator", scope: "", uids: [0]),
            (name: "shagang-viewer", role: "viewer", scope: Self.shagang, uids: []),
        ])
        let viewer = AccessFixture.bearer(try AccessFixture.token(access, identity: "shagang-viewer", days: 90))  // the daemon runs 45 days ahead
        // The year is entered today (its targets set before 2026Q4 is judged); then the daemon runs 45 days on, past 2027-01-10.
        let data = NSTemporaryDirectory() + "tz-lights-" + String(UUID().uuidString.prefix(8))
        defer { try? FileManager.default.removeItem(atPath: data) }
        let today = try DaemonProcess(dataDirectory: data, extraArguments: ["--access-file", access])
        var client = try await today.connect()
        try await Fixture.seed(client)
        // The issue's unit: meets Q1, misses Q2 and Q3, meets Q4's own target without making up the year's.
        let laggard = try await Self.year(client, name: "熊河镇人民政府", kind: .township, code: Self.xionghe, project: "JL-2026-001",
                                          payments: [("2026-02-01", 1_000_000), ("2026-05-01", 500_000), ("2026-11-01", 1_000_000)])
        // Meets every quarter, Q2 by half again.
        let steady = try await Self.year(client, name: "沙岗镇人民政府", kind: .township, code: Self.shagang, project: "JL-2026-002",
                                         payments: [("2026-02-01", 1_000_000), ("2026-05-01", 1_500_000), ("2026-08-01", 1_000_000), ("2026-11-01", 1_000_000)])
        let exact = try await Self.year(client, name: "县农业农村局", kind: .department, code: Self.county, project: "JL-2026-003",
                                        payments: [("2026-03-31", 1_000_000), ("2026-04-01", 1_000_000), ("2026-07-01", 1_000_000), ("2026-10-01", 1_000_000)])
        // As the laggard, but spends enough in Q4 to reach the year's total.
        let recovered = try await Self.year(client, name: "县水利局", kind: .department, code: Self.county, project: "JL-2026-004",
                                            payments: [("2026-02-01", 1_000_000), ("2026-05-01", 500_000), ("2026-11-01", 2_500_000)])
        await client.close()
        today.stop()
        let daemon = try DaemonProcess(dataDirectory: data, extraArguments: ["--access-file", access], environment: ["TAIZHANG_FAULT_CLOCK_OFFSET_DAYS": "45"])
        defer { daemon.stop() }
        client = try await daemon.connect()

        let (_, lagging) = try await Self.lights(client, laggard)
        #expect(lagging.map(\.light) == [.green, .yellow, .red, .red], "\(lagging.map(\.light))")
        #expect(lagging[1].since == "2026Q2" && lagging[2].since == "2026Q2")
        #expect(lagging[1].checks.first?.shortFen == 500_000)
        #expect(lagging[1].reasons.first?.zh.contains("差5,000.00元") == true, "\(lagging[1].reasons.map(\.zh))")
        #expect(lagging[3].checks.allSatisfy(\.met) && lagging[3].yearChecks.contains { !$0.met }, "Q4's own met, the year's missed")
        #expect(lagging[3].reasons.contains { $0.zh.contains("2026年全年") })
        #expect(try await Self.lights(client, recovered).1.map(\.light) == [.green, .yellow, .red, .green])
        #expect(try await Self.lights(client, steady).1.map(\.light) == [.green, .green, .green, .green])
        #expect(try await Self.lights(client, exact).1.map(\.light) == [.green, .green, .green, .green], "a payment on a quarter's last day counts in it")

        // 2026Q2: steady (150%) first, exact (100%) second, the two that spent half tie third.
        let ranked = try await Self.ok(client, "RankUnits", Taizhang_Supervision_V1_RankUnitsRequest.with { $0.quarter = "2026Q2" },
                                       as: Taizhang_Supervision_V1_RankUnitsResponse.self)
        #expect(ranked.ranks.map(\.unitID) == [steady, exact, laggard, recovered])
        #expect(ranked.ranks.map(\.place) == [1, 2, 3, 3])
        // 沙岗镇 sees its own row, in its place among all four, and nothing of the others.
        let (seenStatus, seen) = try await Self.call(client, "RankUnits", Taizhang_Supervision_V1_RankUnitsRequest.with { $0.quarter = "2026Q2" },
                                                     as: Taizhang_Supervision_V1_RankUnitsResponse.self, metadata: viewer)
        #expect(seenStatus.code == .ok, "\(seenStatus.message)")
        #expect(seen?.ranks.map(\.unitID) == [steady] && seen?.ranks.first?.place == 1 && seen?.unitsRanked == 4)
        #expect(try await Self.lights(client, laggard, metadata: viewer).0.code == .notFound)
        #expect(try await Self.lights(client, steady, metadata: viewer).1.count == 4)

        // The monitor records 2026Q4's judgement (the targets were set before its judgement day; the
        // quarters judged before they were entered stay judged on what is recorded) and raises the
        // laggard's red light (问责); the others are green.
        _ = try await client.unary("/taizhang.risk.v1.Risk/RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
        #expect(try await Self.lights(client, laggard).1.map(\.recorded) == [false, false, false, Self.enteredBeforeQ4WasJudged])
        let raised = try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.kind = "unit_light"; $0.state = .open },
                                            as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        #expect(raised.map(\.subjectID) == ["\(laggard)-2026Q4"] && raised.first?.level == .red && raised.first?.quarter == "2026Q4", "\(raised.map(\.subjectID))")
        #expect(raised.first?.reasons.contains { $0.code == "accountability_due" && $0.zh.contains("张三") } == true)
        #expect(raised.first?.ledgerID.hasPrefix("YJ") == true, "the unit's light is followed up like any alert")
        // A payment of 2026Q4 recorded now does not change its recorded light (an unrecorded one follows what is recorded).
        _ = try await Self.ok(client, "RecordDisbursement", Self.payment("JL-2026-001", 2_000_000, "2026-12-01"), as: Taizhang_Supervision_V1_ProjectProgress.self)
        #expect(try await Self.lights(client, laggard).1.last?.light == (Self.enteredBeforeQ4WasJudged ? .red : .green))
        await client.close()
    }
}
