// One risk monitor for a ledger several daemons share (issue 25): the
// daemons' monitors elect one by a PostgreSQL session lock; the alerts and
// their events are in the ledger's database, one sequence for all; every
// daemon's WatchAlerts streams every event once, in order; when the
// leader's daemon is killed, another's monitor takes over and the sequence
// goes on with no gap and no repeat.

import Foundation
import PostgresTestSupport
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct PostgresRiskMonitorTests {
    static let system = "/taizhang.system.v1.System/"

    static func status(_ client: TaizhangClient) async throws -> Taizhang_System_V1_StatusResponse {
        try await client.unary(system + "Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
    }

    /// Asks `client`'s daemon for its status until `condition` holds, for up to `seconds`.
    static func status(_ client: TaizhangClient, within seconds: Double,
                       until condition: (Taizhang_System_V1_StatusResponse) -> Bool) async throws -> Taizhang_System_V1_StatusResponse {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let now = try await status(client)
            if condition(now) || Date() >= deadline { return now }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func oneMonitorLeads_everyDaemonStreamsEachEventOnceInOrder_andASurvivorTakesOver() async throws {
        let (uri, database) = try DaemonProcess.postgresURI()
        let configuration = try RiskMonitorTests.configuration()
        let arguments = ["--store", uri, "--risk-config", configuration, "--alerts-to", "stderr"]
        let first = try DaemonProcess(extraArguments: arguments)
        defer { first.stop() }
        let firstClient = try await first.connect()
        // The first leads once its monitor has started.
        let firstStatus = try await Self.status(firstClient, within: 10) { $0.lastRiskRun.leading }
        #expect(firstStatus.lastRiskRun.leading)
        let second = try DaemonProcess.sharing(first, extraArguments: arguments)
        defer { second.stop() }
        let secondClient = try await second.connect()
        let secondStatus = try await Self.status(secondClient, within: 10) { !$0.lastRiskRun.leader.isEmpty }
        #expect(!secondStatus.lastRiskRun.leading, "two monitors lead at once")
        #expect(secondStatus.lastRiskRun.leader.hasSuffix("pid \(first.pid)"), "\(secondStatus.lastRiskRun.leader)")
        #expect(secondStatus.warnings.contains { $0.contains("another daemon of this shared ledger") }, "\(secondStatus.warnings)")
        // The follower refuses to run, naming the leader; the leader runs.
        do {
            _ = try await RiskMonitorTests.run(secondClient)
            Issue.record("the follower's monitor ran")
        } catch let error as RPCError {
            #expect(error.status.code == .failedPrecondition)
            #expect(error.status.message.contains("pid \(first.pid)"), "\(error.status.message)")
        }
        // Both daemons watch; the writes go through the follower, whose commits the leader hears of.
        let (_, firstItems) = try firstClient.stream(RiskMonitorTests.risk + "WatchAlerts", payload: Data())
        let (_, secondItems) = try secondClient.stream(RiskMonitorTests.risk + "WatchAlerts", payload: Data())
        let onFirst = StreamCollector(firstItems)
        let onSecond = StreamCollector(secondItems)
        let (entity, _) = try await RiskMonitorTests.seedOperations(secondClient)
        _ = try await RiskMonitorTests.report(secondClient, entity: entity, back: 2, met: false)
        _ = try await RiskMonitorTests.report(secondClient, entity: entity, back: 1, met: false)
        let redOnFirst = try #require(await onFirst.next(kind: "entity_targets", within: 5), "no alert on the leader's stream")
        let redOnSecond = try #require(await onSecond.next(kind: "entity_targets", within: 5), "no alert on the follower's stream")
        #expect(redOnSecond.seq == redOnFirst.seq)
        #expect(redOnSecond.alert.id == redOnFirst.alert.id)
        #expect(redOnSecond.alert.subjectID == entity)
        // The follower lists what the leader stored, and counts it in its status.
        let listed = try await RiskMonitorTests.openAlerts(secondClient)
        #expect(listed.contains { $0.id == redOnFirst.alert.id })
        let counted = try await Self.status(secondClient, within: 5) { $0.alertEventsNewestSeq >= UInt64(redOnFirst.seq) }
        #expect(counted.alertEventsNewestSeq >= UInt64(redOnFirst.seq))
        // The leader's daemon dies; the follower's monitor takes over.
        first.stop(signal: SIGKILL)
        let tookOver = try await Self.status(secondClient, within: 15) { $0.lastRiskRun.leading }
        #expect(tookOver.lastRiskRun.leading, "the survivor's monitor did not take over")
        #expect(tookOver.lastRiskRun.leader.hasSuffix("pid \(second.pid)"))
        // The alert is not raised twice; corrected, it clears on the survivor's stream, after the events before.
        _ = try await RiskMonitorTests.report(secondClient, entity: entity, back: 1, met: true, reason: "更正为核实后的数据")
        _ = try await RiskMonitorTests.report(secondClient, entity: entity, back: 2, met: true, reason: "更正为核实后的数据")
        var cleared: Taizhang_Risk_V1_AlertEvent?
        while let event = await onSecond.next(kind: "entity_targets", within: 5) {
            if event.type == "cleared", event.alert.id == redOnFirst.alert.id { cleared = event; break }
        }
        let clearance = try #require(cleared, "the alert did not clear on the survivor's stream")
        #expect(clearance.seq > redOnFirst.seq)
        let seqs = onSecond.received.map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "the stream's events are not once each, in order: \(seqs)")
        // One sequence in the database, with no gap, and one raise of the alert.
        let rows = try PostgresCluster.shared().query("SELECT seq FROM alert_events ORDER BY seq", database: database)
            .split(separator: "\n").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        #expect(rows == Array(1...Int64(rows.count)), "\(rows)")
        #expect(Set(seqs).isSubset(of: Set(rows)))
        let raised = try PostgresCluster.shared().query("SELECT COUNT(*) FROM alert_events WHERE alert_id = \(redOnFirst.alert.id) AND type = 'raised'",
                                                       database: database)
        #expect(raised.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        // The survivor's ledger check passes: the alert tables are its monitor's, not rows behind its back.
        let verify = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: second.socketPath)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        await firstClient.close()
        await secondClient.close()
        #expect(second.stop() == 0)
    }
}
