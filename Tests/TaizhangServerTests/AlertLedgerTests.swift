// The monitor's side of the alerts' ledger records (issue 20), on a real
// store whose clock the test moves: every stored event reaches the ledger,
// also those a lost write left behind; overdue follow-ups are escalated to
// the unit above once, recorded in the ledger and told to the sink.

import Foundation
import Synchronization
import Testing
import TaizhangCore
@testable import TaizhangServer
@testable import TaizhangStore

struct AlertLedgerTests {
    typealias Focus = RiskFocusTests

    /// A sink that keeps what it is told.
    final class Captured: AlertSink {
        let events = Mutex<[AlertEvent]>([])
        let escalations = Mutex<[(String, AlertEscalation)]>([])
        var name: String { "captured" }
        func emit(_ event: AlertEvent) { events.withLock { $0.append(event) } }
        func escalate(_ record: AlertCase, _ escalation: AlertEscalation) { escalations.withLock { $0.append((record.id, escalation)) } }
    }

    static func cases(_ store: SQLiteLedgerStore) throws -> [AlertCase] {
        try store.stewardshipRecords(StewardshipFilter(.alert), after: nil, limit: .max).records.compactMap { record in
            if case .alert(let value) = record { value } else { nil }
        }
    }

    @Test func everyStoredEvent_reachesTheLedger_evenAfterALostWrite() throws {
        let directory = try Focus.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = Focus.Clock("2026-11-16")
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: clock)
        defer { store.close() }
        try Focus.lossInOneVillage(store)
        let alerts = try AlertStore(dataDirectory: directory)
        let monitor = RiskMonitor(store: store, alerts: alerts, configuration: RiskConfiguration(), sink: Captured(), clock: clock)
        let run = monitor.runOnce(trigger: "start")
        #expect(run.error.isEmpty && run.raised > 0)
        let kept = try Self.cases(store)
        #expect(Set(kept.map(\.alertId)) == Set(alerts.openAlerts().values.map(\.id)))
        #expect(kept.allSatisfy { $0.state == .pending && $0.raisedOn == CivilDate("2026-11-16") && $0.lastEventSeq > 0 })
        #expect(try store.lastObservedAlertEvent() == alerts.lastSeq)
        // The journal has them, as the monitor's.
        let entries = try store.auditEntries(recordId: kept[0].id, afterSeq: 0, limit: 10)
        #expect(entries.count == 1 && entries[0].identity == "taizhangd (risk monitor)")

        // alerts.db stores a change the ledger never hears of (a crash between the two).
        let open = alerts.openAlerts().values.sorted { $0.id < $1.id }
        var changes = AlertChanges()
        changes.clear = [open[0]]
        _ = try alerts.apply(changes, nowMillis: clock.nowUnixMillis())
        #expect(try store.lastObservedAlertEvent() < alerts.lastSeq)
        // A new monitor (a restart) catches up on its first run.
        let restarted = RiskMonitor(store: store, alerts: alerts, configuration: RiskConfiguration(), sink: Captured(), clock: clock)
        _ = restarted.runOnce(trigger: "start")
        #expect(try store.lastObservedAlertEvent() == alerts.lastSeq)
        let cleared = try #require(try Self.cases(store).first { $0.alertId == open[0].id })
        #expect(!cleared.isOpen, "the clearing reached the ledger (the run then raised the condition again as a new alert)")
        // Cleared before anyone took it up: owed nothing, out of the queue of work.
        #expect(!cleared.followUpOwed && cleared.stateColumn == "lapsed")
        let queue = try store.stewardshipRecords(StewardshipFilter(.alert, states: ["pending"]), after: nil, limit: .max).records.map(\.id)
        #expect(!queue.contains(cleared.id) && !queue.isEmpty)
        #expect(try store.stewardshipRecords(StewardshipFilter(.alert, states: ["lapsed"]), after: nil, limit: .max).records.map(\.id) == [cleared.id])
        #expect(try store.followUpFacts(states: ["pending"], after: nil, limit: 1000).map(\.id) == queue)
        // Taking the same events in again changes nothing.
        let before = try Self.cases(store)
        restarted.observedSeq.withLock { $0 = 0 }
        var summary = MonitorRunSummary()
        restarted.keepLedger(into: &summary)
        #expect(summary.error.isEmpty)
        #expect(try Self.cases(store) == before)
    }

    @Test func anOverdueFollowUp_isEscalatedOnce_toTheUnitAbove() throws {
        let directory = try Focus.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = Focus.Clock("2026-11-16")  // a Monday
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: clock)
        defer { store.close() }
        try Focus.lossInOneVillage(store)
        let alerts = try AlertStore(dataDirectory: directory)
        let sink = Captured()
        let monitor = RiskMonitor(store: store, alerts: alerts, configuration: RiskConfiguration(), sink: sink, clock: clock)
        _ = monitor.runOnce(trigger: "start")
        #expect(sink.escalations.withLock { $0.isEmpty })
        let raised = try Self.cases(store)
        #expect(!raised.isEmpty)

        // Thursday: a red alert's one working day and a yellow one's three have passed (Wednesday is the third).
        clock.set("2026-11-20")
        let late = monitor.runOnce(trigger: "schedule")
        #expect(late.error.isEmpty, "\(late.error)")
        let told = sink.escalations.withLock { $0 }
        #expect(told.count == raised.count)
        #expect(told.allSatisfy { $0.1.reason == .unacknowledged && $0.1.toUnit == "421024101000" })
        #expect(try Self.cases(store).allSatisfy { $0.escalations.count == 1 && $0.steps.last?.action == .escalate })
        // What /metrics shows: every one owed, pending, four days old, overdue.
        let tally = try #require(monitor.followUps.withLock { $0 })
        #expect(tally.owed.values.reduce(0, +) == raised.count && tally.overdue == raised.count)
        #expect(tally.owed.keys.allSatisfy { $0.hasSuffix(" pending") } && tally.oldestDays.values.allSatisfy { $0 == 4 })
        // Once: the next run escalates nothing more, nor does a focused one.
        _ = monitor.runOnce(trigger: "schedule")
        #expect(sink.escalations.withLock { $0.count } == raised.count)

        // Taken up, planned to a deadline that then passes: escalated again, for that.
        let first = raised[0]
        let context = CallerContext(identity: "uid:0", actor: "张三", method: "/taizhang.risk.v1.Risk/x", requestId: "t", requestSHA256: "d", idempotencyKey: nil)
        var person = context
        person.person = FollowUpPerson(id: "actor:张三", name: "张三")
        for command in [FollowUpCommand.acknowledge(on: CivilDate("2026-11-20")!, note: ""),
                        .assign(assignee: "李四", unit: Focus.village, on: CivilDate("2026-11-20")!, note: ""),
                        .plan(measures: "扭亏", deadline: CivilDate("2026-11-25")!, on: CivilDate("2026-11-20")!)] {
            try Self.submit(store, .stewardship(.followUp(alertId: first.id, command: command, expectedVersion: 0)), person)
        }
        clock.set("2026-11-26")
        _ = monitor.runOnce(trigger: "schedule")
        let after = sink.escalations.withLock { $0 }.filter { $0.0 == first.id }
        #expect(after.map(\.1.reason) == [.unacknowledged, .rectificationOverdue])
        #expect(after.last?.1.dueOn == CivilDate("2026-11-25"))
        // What the look reads without decoding the records is what they hold.
        let read = try store.followUpFacts(states: FollowUpState.allCases.map(\.rawValue) + ["lapsed"], after: nil, limit: 1000)
        #expect(read == (try Self.cases(store)).map(\.facts))
        #expect(read.contains { $0.escalated.count == 2 && $0.deadline == CivilDate("2026-11-25") && $0.state == .rectifying })
    }

    static func submit(_ store: SQLiteLedgerStore, _ mutation: Mutation, _ context: CallerContext) throws {
        let done = DispatchSemaphore(value: 0)
        let reply = Mutex<MutationReply?>(nil)
        _ = store.submit(mutation, context: context, encode: { _ in [] }, completion: { result in
            reply.withLock { $0 = result }
            done.signal()
        })
        done.wait()
        guard case .success = reply.withLock({ $0! }) else { throw Focus.Failure(text: "\(String(describing: reply.withLock { $0 }))") }
    }
}
