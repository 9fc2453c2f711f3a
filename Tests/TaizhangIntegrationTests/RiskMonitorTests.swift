// The risk monitor against the real daemon: operating entities, contracts
// and reports over the socket; WatchAlerts seeing a red alert within a
// second of the report that causes it and the recovery after the
// correction; every field reaching a real journald (run for the test in a
// private mount namespace); no alert raised twice across a restart.

import Foundation
import PostgresTestSupport
import Synchronization
import Testing
import TaizhangClient
import TaizhangProto

/// Quarters relative to today (China Standard Time), so the tests hold on any date.
enum Quarters {
    static var today: (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return (parts.year!, parts.month!, parts.day!)
    }

    static var todayText: String { String(format: "%04d-%02d-%02d", today.year, today.month, today.day) }

    /// The quarter `back` quarters before the current one: (year, number).
    static func quarter(back: Int) -> (Int, Int) {
        var index = today.year * 4 + (today.month - 1) / 3 - back
        if index < 0 { index = 0 }
        return (index / 4, index % 4 + 1)
    }

    static func name(back: Int) -> String {
        let (year, number) = quarter(back: back)
        return "\(year)Q\(number)"
    }

    static func firstDay(back: Int) -> String {
        let (year, number) = quarter(back: back)
        return String(format: "%04d-%02d-01", year, (number - 1) * 3 + 1)
    }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RiskMonitorTests {
    static let ledger = Fixture.ledger
    static let risk = "/taizhang.risk.v1.Risk/"

    /// A risk configuration that runs only when asked or after a change.
    static func configuration(_ extra: String = "") throws -> String {
        let path = NSTemporaryDirectory() + "tz-risk-" + UUID().uuidString + ".json"
        try #"{"risk": {"interval_seconds": 3600, "debounce_millis": 50\#(extra)}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Seeds the ledger, an asset, a cooperative and its contract from two quarters back.
    static func seedOperations(_ client: TaizhangClient) async throws -> (entity: String, contract: String) {
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset())
        var entity = Taizhang_Ledger_V1_CreateEntityRequest()
        entity.entity.name = "白马村蔬菜专业合作社"
        entity.entity.kind = .entityCooperative
        entity.entity.adminCode = "421024101201"
        entity.entity.creditCode = "91350100M000100Y43"
        let created = try await client.unary(ledger + "CreateEntity", entity, as: Taizhang_Ledger_V1_OperatingEntity.self)
        var contract = Taizhang_Ledger_V1_CreateContractRequest()
        contract.contract.assetID = asset.id
        contract.contract.entityID = created.id
        contract.contract.mode = .lease
        contract.contract.start = Quarters.firstDay(back: 2)
        contract.contract.end = "\(Quarters.today.year + 3)-12-31"
        contract.contract.committedPoorLabourers = 5
        contract.contract.committedHouseholds = 10
        let signed = try await client.unary(ledger + "CreateContract", contract, as: Taizhang_Ledger_V1_OperationContract.self)
        return (created.id, signed.id)
    }

    /// A report `back` quarters ago meeting its targets or not; a correction when `reason` is given.
    static func report(_ client: TaizhangClient, entity: String, back: Int, met: Bool, reason: String = "") async throws -> Taizhang_Ledger_V1_QuarterReport {
        var request = Taizhang_Ledger_V1_SubmitReportRequest()
        request.report.entityID = entity
        request.report.quarter = Quarters.name(back: back)
        request.report.outputValueFen = met ? 1_200_000 : 400_000
        request.report.salesRevenueFen = met ? 900_000 : 300_000
        request.report.targetOutputValueFen = 1_000_000
        request.report.targetSalesRevenueFen = 800_000
        request.report.salesChannels = ["电商", "商超", "订单收购"]
        request.report.supportMeasures = ["技能培训", "技术指导", "市场对接"]
        request.report.profitFen = 10_000
        request.report.poorLabourersEmployed = 5
        request.report.householdsLinked = 10
        request.report.submittedOn = Quarters.todayText
        request.report.correctionReason = reason
        return try await client.unary(ledger + "SubmitReport", request, as: Taizhang_Ledger_V1_QuarterReport.self)
    }

    static func run(_ client: TaizhangClient) async throws -> Taizhang_Risk_V1_MonitorRun {
        try await client.unary(risk + "RunMonitor", Taizhang_Risk_V1_RunMonitorRequest(), as: Taizhang_Risk_V1_MonitorRun.self)
    }

    @Test func watchSeesRedWithinASecondAndTheRecoveryAfterTheCorrection() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration(), "--alerts-to", "stderr"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let (entity, _) = try await Self.seedOperations(client)
        _ = try await Self.report(client, entity: entity, back: 2, met: true)
        _ = try await Self.report(client, entity: entity, back: 1, met: true)
        let settled = try await Self.run(client)
        #expect(settled.entitiesScored == 1)
        var watch = Taizhang_Risk_V1_WatchAlertsRequest()
        watch.adminCode = "421024101000"
        let (callId, items) = try client.stream(Self.risk + "WatchAlerts", payload: try watch.serializedData())
        let events = StreamCollector(items)
        // The earlier quarter corrected to a miss: still green (the judged quarter met its targets).
        _ = try await Self.report(client, entity: entity, back: 2, met: false, reason: "产值统计有误")
        // The judged quarter corrected to a miss: two quarters missed running, red.
        let sent = Date()
        _ = try await Self.report(client, entity: entity, back: 1, met: false, reason: "销售收入重复统计")
        let red = try #require(await events.next(kind: "entity_targets", within: 1.0), "no red alert within a second")
        #expect(Date().timeIntervalSince(sent) < 1.0)
        #expect(red.type == "raised")
        #expect(red.alert.level == .red)
        #expect(red.alert.subjectID == entity)
        #expect(red.alert.quarter == Quarters.name(back: 1))
        #expect(red.alert.reasons.map(\.code).contains("missed_two_quarters"))
        #expect(red.message.hasPrefix("【红灯】带贫主体目标完成预警"))
        #expect(red.alert.messageID == "a728f7a236264ec4abf55ed8dfa03046")
        #expect(red.alert.parts.count == 5)
        // Corrected back: the alert clears with a recovery.
        _ = try await Self.report(client, entity: entity, back: 1, met: true, reason: "更正为核实后的数据")
        let recovery = try #require(await events.next(kind: "entity_targets", within: 2.0), "no recovery")
        #expect(recovery.type == "cleared")
        #expect(recovery.previousLevel == .red)
        #expect(recovery.alert.id == red.alert.id)
        #expect(recovery.message.hasPrefix("【已解除】"))
        // ListAlerts has it, closed.
        var list = Taizhang_Risk_V1_ListAlertsRequest()
        list.kind = "entity_targets"
        list.state = .closed
        let closed = try await client.unary(Self.risk + "ListAlerts", list, as: Taizhang_Risk_V1_ListAlertsResponse.self)
        // (A yellow raised and cleared while the reports were coming in may precede it.)
        #expect(closed.alerts.first?.id == red.alert.id)
        #expect(closed.alerts.first?.clearedAt.isEmpty == false)
        // The score now.
        var score = Taizhang_Risk_V1_GetRiskScoreRequest()
        score.entityID = entity
        let now = try await client.unary(Self.risk + "GetRiskScore", score, as: Taizhang_Risk_V1_RiskScore.self)
        #expect(now.quarter == Quarters.name(back: 1))
        #expect(now.light == .green)
        #expect(now.total == 100)
        // Cancel ends the stream with CANCELLED.
        try client.cancel(callId: callId)
        let ending = await events.end(within: 2.0)
        #expect((ending as? RPCError)?.status.code == .cancelled, "\(String(describing: ending))")
        await client.close()
    }

    /// The open alerts, every page.
    static func openAlerts(_ client: TaizhangClient) async throws -> [Taizhang_Risk_V1_Alert] {
        var list = Taizhang_Risk_V1_ListAlertsRequest()
        list.state = .open
        list.pageSize = 500
        var alerts: [Taizhang_Risk_V1_Alert] = []
        repeat {
            let page = try await client.unary(risk + "ListAlerts", list, as: Taizhang_Risk_V1_ListAlertsResponse.self)
            alerts += page.alerts
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        return alerts.sorted { $0.id < $1.id }
    }

    /// After commits the monitor looks only at what they touched; the alerts
    /// must end as a run over the whole ledger leaves them. The demo county's
    /// load (units, assets and their life cycle, entities, contracts, reports,
    /// income, plans, counts) is all judged by focused runs here: no run on
    /// schedule comes within the hour, and none is asked for until the end.
    @Test func focusedRunsLeaveTheAlertsAsARunOverTheWholeLedgerWould() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration()])
        defer { daemon.stop() }
        #expect(try CLITests.taizhang(["demo", "load"], socket: daemon.socketPath).status == 0)
        let client = try await daemon.connect()
        // Commits are known to the monitor before they are acknowledged; wait
        // for the runs they are waiting for.
        let deadline = Date().addingTimeInterval(60)
        var status: Taizhang_System_V1_StatusResponse
        repeat {
            try await Task.sleep(for: .milliseconds(20))
            status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        } while status.lastRiskRun.changesPending && Date() < deadline
        #expect(!status.lastRiskRun.changesPending)
        #expect(status.lastRiskRun.focused)
        #expect(status.lastRiskRun.focusedRuns >= 1)
        #expect(status.lastRiskRun.focusedRuns + 1 == status.lastRiskRun.runs, "only the start's run looks at everything")
        let focused = try await Self.openAlerts(client)
        let kinds = Set(focused.map(\.kind))
        #expect(focused.count >= 5 && kinds.count >= 4, "the demo county raises alerts of several kinds: \(kinds.sorted())")
        let full = try await Self.run(client)
        #expect(full.raised == 0 && full.changed == 0 && full.cleared == 0, "the whole ledger's run changed alerts: \(full)")
        let after = try await Self.openAlerts(client)
        #expect(after == focused)
        await client.close()
    }

    /// A run whose alerts cannot be stored (another process holds alerts.db
    /// locked past the 5 s busy timeout) loses nothing: once the lock goes,
    /// the monitor tries again on its own and the alert is raised, without
    /// a run on schedule (an hour away) or one asked for.
    @Test func aRunThatCouldNotStoreItsAlertsIsTriedAgain() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration()])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let (entity, _) = try await Self.seedOperations(client)
        _ = try await Self.report(client, entity: entity, back: 2, met: false)
        _ = try await Self.run(client)
        // The alerts locked by another program: alerts.db by sqlite3; on
        // PostgreSQL (the suite's second pass) the events' table by psql.
        let locker = Process()
        let shared = try? String(contentsOfFile: daemon.dataDirectory + "/test-store.uri", encoding: .utf8)
        if let shared {
            locker.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            locker.arguments = ["-u", PostgresCluster.user, "--", PostgresCluster.bin + "/psql", shared, "-X", "-q", "-A", "-t"]
        } else {
            locker.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            locker.arguments = [daemon.dataDirectory + "/alerts.db"]
        }
        let input = Pipe()
        let output = Pipe()
        locker.standardInput = input
        locker.standardOutput = output
        try locker.run()
        defer { if locker.isRunning { locker.terminate() } }
        let lock = shared == nil ? "BEGIN EXCLUSIVE;" : "BEGIN; LOCK TABLE alert_events IN ACCESS EXCLUSIVE MODE;"
        input.fileHandleForWriting.write(Data("\(lock)\nSELECT 'locked';\n".utf8))
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("locked") { seen += output.fileHandleForReading.availableData }
        let before = try await Self.openAlerts(client).filter { $0.subjectID == entity }
        // The judged quarter missed too: red, but the run cannot store it.
        _ = try await Self.report(client, entity: entity, back: 1, met: false)
        var status: Taizhang_System_V1_StatusResponse
        let deadline = Date().addingTimeInterval(30)
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        } while status.lastRiskRun.lastError.isEmpty && Date() < deadline
        #expect(status.lastRiskRun.lastError.contains("could not be stored"), "\(status.lastRiskRun)")
        #expect(status.lastRiskRun.changesPending, "the failed run's changes are still to do")
        #expect(try await Self.openAlerts(client).filter { $0.subjectID == entity } == before)
        input.fileHandleForWriting.write(Data("COMMIT;\n\(shared == nil ? ".quit" : "\\q")\n".utf8))
        locker.waitUntilExit()
        // The run that tries again ends with no error and nothing pending
        // (the alert is stored a moment before the run's summary is).
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        } while (!status.lastRiskRun.lastError.isEmpty || status.lastRiskRun.changesPending) && Date() < deadline
        #expect(status.lastRiskRun.lastError.isEmpty)
        #expect(!status.lastRiskRun.changesPending)
        let red = try await Self.openAlerts(client).first { $0.subjectID == entity && $0.kind == "entity_targets" && $0.level == .red }
        #expect(red != nil, "the alert was not raised after the lock went")
        #expect(status.lastRiskRun.trigger == "mutation" && !status.lastRiskRun.focused, "\(status.lastRiskRun)")
        await client.close()
    }

    @Test func streamsEndWithUnavailableOnShutdown() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration()])
        let client = try await daemon.connect()
        let (_, items) = try client.stream(Self.risk + "WatchAlerts", payload: Data())
        // A unary call after the watch on the same connection: the watch is registered by then.
        _ = try await Self.run(client)
        let events = StreamCollector(items)
        #expect(daemon.stop() == 0)
        let ending = await events.end(within: 5.0)
        #expect((ending as? RPCError)?.status.code == .unavailable, "\(String(describing: ending))")
        await client.close()
    }

    @Test func theStreamLimitRefusesTheNextWatchAndTheDaemonStaysUp() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration()])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        var collectors: [StreamCollector] = []
        for _ in 0..<256 {
            let (_, items) = try client.stream(Self.risk + "WatchAlerts", payload: Data())
            collectors.append(StreamCollector(items))
        }
        let (_, extra) = try client.stream(Self.risk + "WatchAlerts", payload: Data())
        let refused = await StreamCollector(extra).end(within: 5.0)
        #expect((refused as? RPCError)?.status.code == .resourceExhausted, "\(String(describing: refused))")
        // The 256 still stream; a bad watch is refused with its fields.
        var bad = Taizhang_Risk_V1_WatchAlertsRequest()
        bad.adminCode = "999999999999"
        bad.afterSeq = -1
        await client.close()
        let other = try await daemon.connect()
        let (_, badItems) = try other.stream(Self.risk + "WatchAlerts", payload: try bad.serializedData())
        let badEnd = await StreamCollector(badItems).end(within: 5.0)
        #expect(Set((badEnd as? RPCError)?.status.violations.map(\.field) ?? []) == ["admin_code", "after_seq"])
        let health = try await other.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(),
                                           as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await other.close()
        _ = collectors
    }

    @Test func alertsSurviveARestartWithoutBeingRaisedAgain() async throws {
        let configuration = try Self.configuration()
        let log = NSTemporaryDirectory() + "tz-log-" + UUID().uuidString
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", configuration, "--alerts-to", "stderr"], stderrPath: log)
        let client = try await daemon.connect()
        let (entity, _) = try await Self.seedOperations(client)
        _ = try await Self.report(client, entity: entity, back: 2, met: false)
        _ = try await Self.report(client, entity: entity, back: 1, met: false)
        let first = try await Self.run(client)
        #expect(first.openAlerts >= 1)
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.alertsByLevel["red"] ?? 0 >= 1)
        #expect(status.lastRiskRun.enabled)
        #expect(status.lastRiskRun.runs >= 1)
        #expect(status.recordCounts["entity"] == 1)
        #expect(status.recordCounts["report"] == 2)
        // The period and place filters of ListAlerts.
        var today = Taizhang_Risk_V1_ListAlertsRequest()
        today.raisedFrom = Quarters.todayText
        today.adminCode = "421024101000"
        today.state = .open
        #expect(try await client.unary(Self.risk + "ListAlerts", today, as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts.count == Int(first.openAlerts))
        var before = Taizhang_Risk_V1_ListAlertsRequest()
        before.raisedTo = "2020-01-01"
        #expect(try await client.unary(Self.risk + "ListAlerts", before, as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts.isEmpty)
        var elsewhere = Taizhang_Risk_V1_ListAlertsRequest()
        elsewhere.adminCode = "421024102000"
        #expect(try await client.unary(Self.risk + "ListAlerts", elsewhere, as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts.isEmpty)
        var badFilter = Taizhang_Risk_V1_ListAlertsRequest()
        badFilter.kind = "entity_target"
        badFilter.raisedFrom = "2026-13-01"
        do {
            _ = try await client.unary(Self.risk + "ListAlerts", badFilter, as: Taizhang_Risk_V1_ListAlertsResponse.self)
            Issue.record("a bad filter was accepted")
        } catch let error as RPCError {
            #expect(Set(error.status.violations.map(\.field)) == ["kind", "raised_from"])
        }
        await client.close()
        #expect(daemon.stop() == 0)
        let again = try DaemonProcess(dataDirectory: daemon.dataDirectory, extraArguments: ["--risk-config", configuration, "--alerts-to", "stderr"])
        defer { again.stop() }
        let second = try await again.connect()
        let rerun = try await Self.run(second)
        #expect(rerun.raised == 0)
        #expect(rerun.changed == 0)
        #expect(rerun.cleared == 0)
        #expect(rerun.openAlerts == first.openAlerts)
        await second.close()
        // Without journald the alerts went to the log, one readable line each.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        // (Raised red at once, or yellow first and then changed to red, as the runs fell.)
        let red = lines.filter { $0.contains(" level=red kind=entity_targets entity=") && !$0.contains(" alert cleared ") }
        #expect(red.count == 1, "\(lines)")
        #expect(red.first?.contains("message_id=a728f7a236264ec4abf55ed8dfa03046: 【") == true)
        #expect(red.first?.contains("红灯】带贫主体目标完成预警") == true)
        #expect(lines.contains { $0.contains("risk monitor: a run every 3600 s") && $0.contains("alerts go to stderr") })
    }

    @Test func badOperationsRequestsListEveryFieldAndChangeNothing() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration()])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let (entity, contract) = try await Self.seedOperations(client)
        var bad = Taizhang_Ledger_V1_CreateEntityRequest()
        bad.entity.name = "某某公司"
        bad.entity.kind = .entityEnterprise
        bad.entity.adminCode = "421024999999"
        bad.entity.creditCode = "91350100M000100Y44"
        do {
            _ = try await client.unary(Self.ledger + "CreateEntity", bad, as: Taizhang_Ledger_V1_OperatingEntity.self)
            Issue.record("a bad entity was accepted")
        } catch let error as RPCError {
            #expect(error.status.code == .invalidArgument)
            #expect(Set(error.status.violations.map(\.field)) == ["entity.credit_code", "entity.admin_code"])
            #expect(error.status.violations.first { $0.field == "entity.credit_code" }?.description_p.contains("position 18") == true)
        }
        // Changing the operator of the running contract without consent.
        var second = Taizhang_Ledger_V1_CreateEntityRequest()
        second.entity.name = "张三种植大户"
        second.entity.kind = .entityLargeHousehold
        second.entity.adminCode = "421024101201"
        let household = try await client.unary(Self.ledger + "CreateEntity", second, as: Taizhang_Ledger_V1_OperatingEntity.self)
        var get = Taizhang_Ledger_V1_GetContractRequest()
        get.id = contract
        var amend = Taizhang_Ledger_V1_AmendContractRequest()
        amend.contract = try await client.unary(Self.ledger + "GetContract", get, as: Taizhang_Ledger_V1_OperationContract.self)
        amend.contract.entityID = household.id
        do {
            _ = try await client.unary(Self.ledger + "AmendContract", amend, as: Taizhang_Ledger_V1_OperationContract.self)
            Issue.record("the operator changed without the owner's consent")
        } catch let error as RPCError {
            #expect(error.status.code == .failedPrecondition)
            #expect(error.status.violations.map(\.field) == ["owner_consent"])
        }
        amend.ownerConsent.date = Quarters.todayText
        amend.ownerConsent.consentedBy = "白马村股份经济合作社（村民代表会议）"
        amend.ownerConsent.reference = "白马村〔2026〕7号"
        let amended = try await client.unary(Self.ledger + "AmendContract", amend, as: Taizhang_Ledger_V1_OperationContract.self)
        #expect(amended.entityID == household.id)
        #expect(amended.amendments.last?.consent.reference == "白马村〔2026〕7号")
        // A report for a quarter not over, with bad numbers: every field listed; nothing stored.
        var report = Taizhang_Ledger_V1_SubmitReportRequest()
        report.report.entityID = entity
        report.report.quarter = Quarters.name(back: 0)
        report.report.outputValueFen = -5
        report.report.submittedOn = Quarters.todayText
        do {
            _ = try await client.unary(Self.ledger + "SubmitReport", report, as: Taizhang_Ledger_V1_QuarterReport.self)
            Issue.record("a bad report was accepted")
        } catch let error as RPCError {
            #expect(error.status.code == .invalidArgument)
            #expect(Set(error.status.violations.map(\.field)) == ["report.output_value_fen", "report.submitted_on"])
        }
        var reports = Taizhang_Ledger_V1_ListReportsRequest()
        reports.entityID = entity
        let listed = try await client.unary(Self.ledger + "ListReports", reports, as: Taizhang_Ledger_V1_ListReportsResponse.self)
        #expect(listed.reports.isEmpty)
        await client.close()
    }

    @Test func aSwitchedOffMonitorSaysSo() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try Self.configuration(#", "enabled": false"#)])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        do {
            _ = try await Self.run(client)
            Issue.record("a switched-off monitor ran")
        } catch let error as RPCError {
            #expect(error.status.code == .failedPrecondition)
        }
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        #expect(!status.lastRiskRun.enabled)
        #expect(status.warnings.contains { $0.contains("risk monitor is switched off") })
        await client.close()
    }

    @Test func aBadRiskConfigurationStopsTheDaemonAtStart() throws {
        let path = try Self.configuration(#", "weights": {"output_benefit": 90}"#)
        do {
            let daemon = try DaemonProcess(extraArguments: ["--risk-config", path])
            daemon.stop()
            Issue.record("the daemon started with a bad risk configuration")
        } catch is DaemonProcess.StartError {}
    }
}

/// Reads a WatchAlerts stream in the background; the test takes events of a
/// kind in order, waiting for them up to a deadline (woken by each arrival,
/// not by polling).
final class StreamCollector: Sendable {
    private struct State {
        var events: [Taizhang_Risk_V1_AlertEvent] = []
        var taken = 0
        var ended = false
        var endError: (any Error)?
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    init(_ items: AsyncThrowingStream<Data, any Error>) {
        Task { [self] in
            do {
                for try await data in items {
                    guard let event = try? Taizhang_Risk_V1_AlertEvent(serializedBytes: data) else { continue }
                    self.update { $0.events.append(event) }
                }
                self.update { $0.ended = true }
            } catch {
                self.update { $0.ended = true; $0.endError = error }
            }
        }
    }

    private func update(_ body: (inout State) -> Void) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            body(&state)
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until something changes after `generation`, or `deadline`.
    private func wait(after generation: Int, until deadline: Date) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id: Int? = state.withLock { state in
                if state.generation != generation { return nil }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return state.nextWaiter
            }
            guard let id else { continuation.resume(); return }
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0, deadline.timeIntervalSinceNow)) { [self] in
                let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.resume()
            }
        }
    }

    /// The next event of `kind` after those already taken, within `seconds`.
    func next(kind: String, within seconds: Double) async -> Taizhang_Risk_V1_AlertEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let (found, generation, ended): (Taizhang_Risk_V1_AlertEvent?, Int, Bool) = state.withLock { state in
                while state.taken < state.events.count {
                    let event = state.events[state.taken]
                    state.taken += 1
                    if event.alert.kind == kind { return (event, state.generation, state.ended) }
                }
                return (nil, state.generation, state.ended)
            }
            if let found { return found }
            if ended || Date() >= deadline { return nil }
            await wait(after: generation, until: deadline)
        }
    }

    /// Every event received so far, in the order received.
    var received: [Taizhang_Risk_V1_AlertEvent] { state.withLock { $0.events } }

    /// How the stream ended (nil: normally; or still open after `seconds`).
    func end(within seconds: Double) async -> (any Error)? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let (ended, error, generation) = state.withLock { ($0.ended, $0.endError, $0.generation) }
            if ended { return error }
            if Date() >= deadline { return nil }
            await wait(after: generation, until: deadline)
        }
    }
}
