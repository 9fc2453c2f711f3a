// The monitor's side of the alerts' ledger records (issue 20): after each
// run, the events alerts.db stored are taken into the ledger (the writer
// decides and journals them like any change), catching up from where the
// ledger stands, so a crash between the two stores loses nothing; and on
// full runs, overdue follow-ups are escalated to the unit above, once each,
// in the ledger first and then in journald.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangStore

extension RiskMonitor {
    /// Events given to the ledger per mutation: a first run over a county
    /// raises thousands, and the writer stays responsive between pieces.
    static let observePiece = 2_000
    /// Ledger records read per page when looking for overdue follow-ups.
    static let escalationPage = 1_000
    /// Escalations per run: the rest wait for the next run.
    static let escalationsPerRunMax = 10_000

    /// The monitor as a caller of the ledger.
    static func context(_ what: String) -> CallerContext {
        CallerContext(identity: "taizhangd (risk monitor)", actor: "", method: "risk-monitor/\(what)", requestId: "risk-\(what)",
                      requestSHA256: "", idempotencyKey: nil)
    }

    /// Gives the ledger every stored event it has not taken in. While the
    /// ledger is held read-only nothing is given (the runs go on; the
    /// ledger catches up once an operator decides).
    func keepLedger(into summary: inout MonitorRunSummary) {
        guard store.heldReason == nil else {
            observedSeq.withLock { $0 = nil }
            return
        }
        do {
            var after = try observedSeq.withLock { $0 } ?? store.lastObservedAlertEvent()
            if after > alerts.lastSeq {
                // alerts.db is older than the ledger's alerts (restored, or
                // replaced): its ids would name other alerts. Nothing is given.
                if behindReported.exchange(true, ordering: .relaxed) == false {
                    DaemonLog.error("alerts.db ends at event \(alerts.lastSeq) but the ledger's alerts have taken in up to \(after): alerts.db is not the one this ledger's alerts came from; no alert reaches the ledger until it is restored (docs/risk.md, \"Alerts in the ledger\")")
                }
                return
            }
            while after < alerts.lastSeq {
                let events = try alerts.events(after: after, limit: Self.observePiece)
                guard let last = events.last else { break }
                let today = Timestamp.chinaDate(unixMillis: clock.nowUnixMillis())
                let observed = events.map { ObservedAlertEvent(event: $0, raisedOn: Timestamp.chinaDate(rfc3339: $0.alert.raisedAt) ?? today) }
                _ = try submitChange(.stewardship(.observeAlerts(observed)), "observe")
                after = last.seq
                observedSeq.withLock { $0 = after }
            }
        } catch {
            observedSeq.withLock { $0 = nil }
            summary.error = "the alerts could not be written to the ledger: \(error)"
            DaemonLog.error("risk run: \(summary.error)")
        }
    }

    /// How often a full run looks at the follow-ups at most: what is
    /// overdue changes with the day, and a look reads every one owed.
    static let followUpLookNanos: UInt64 = 3_600 * 1_000_000_000

    /// Whether this full run looks at the follow-ups: at start, on a reload,
    /// on a new day (China Standard Time), or an hour after the last look.
    func followUpsDue(trigger: String, nowMillis: Int64) -> Bool {
        let now = clock.monotonicNanos()
        let today = Timestamp.chinaDate(unixMillis: nowMillis)
        return followUpsLooked.withLock { last in
            last == nil || ["start", "reload"].contains(trigger) || last!.day != today || now &- last!.nanos >= Self.followUpLookNanos
        }
    }

    /// Escalates every follow-up overdue today that has not been, once,
    /// and counts the follow-ups owed for /metrics.
    func escalate(into summary: inout MonitorRunSummary) {
        guard store.heldReason == nil else { return }
        let configuration = current()
        let today = Timestamp.chinaDate(unixMillis: clock.nowUnixMillis())
        let calendar = calendar()
        var orders: [AlertEscalationOrder] = []
        var tally = FollowUpTally()
        do {
            // The column keeps those owed nothing apart ("lapsed"): not read.
            let owed = FollowUpState.allCases.filter { $0 != .closed }.map(\.rawValue)
            // One state at a time: each is one range of the state index, in id order.
            for state in owed {
                var after: String?
                repeat {
                    let page = try store.followUpFacts(states: [state], after: after, limit: Self.escalationPage)
                    for record in page {
                        let overdue = FollowUpRules.isOverdue(record, today: today, calendar: calendar, acknowledgeWorkingDays: configuration.acknowledgeWorkingDays)
                        tally.count(record, today: today, overdue: overdue)
                        guard orders.count < Self.escalationsPerRunMax else { continue }
                        for due in FollowUpRules.escalationsDue(record, today: today, calendar: calendar,
                                                                acknowledgeWorkingDays: configuration.acknowledgeWorkingDays) {
                            orders.append(AlertEscalationOrder(alertId: record.id, reason: due.reason, dueOn: due.dueOn,
                                                               toUnit: FollowUpRules.unitAbove(record.adminCode)))
                        }
                    }
                    after = page.count == Self.escalationPage ? page.last?.id : nil
                } while after != nil
            }
            followUps.withLock { $0 = tally }
            for start in stride(from: 0, to: min(orders.count, Self.escalationsPerRunMax), by: Self.observePiece) {
                let piece = Array(orders[start..<min(start + Self.observePiece, orders.count, Self.escalationsPerRunMax)])
                guard case .stewardships(let written)? = try submitChange(.stewardship(.escalateAlerts(piece)), "escalate") else { continue }
                var escalated: [Int64] = []
                for case .alert(let record) in written {
                    guard let escalation = record.escalations.last else { continue }
                    sink.escalate(record, escalation)
                    escalated.append(record.alertId)
                    summary.escalated += 1
                }
                // And to the watchers (a monitoring agent routes it to the unit above).
                do { publish(try alerts.recordEscalations(escalated, nowMillis: clock.nowUnixMillis())) } catch {
                    DaemonLog.error("risk run: the escalations could not be stored as alert events: \(error)")
                }
            }
            // Looked: the next look is due in an hour or on a new day (a look
            // that failed, or was skipped while the ledger was held, is not).
            let looked = (clock.monotonicNanos(), today)
            followUpsLooked.withLock { $0 = looked }
        } catch {
            summary.error = "overdue follow-ups could not be escalated: \(error)"
            DaemonLog.error("risk run: \(summary.error)")
        }
    }

    /// Submits a change to the ledger and waits until it is durable.
    func submitChange(_ mutation: Mutation, _ what: String) throws -> MutationOutcome? {
        let done = DispatchSemaphore(value: 0)
        let reply = Mutex<MutationReply?>(nil)
        _ = store.submit(mutation, context: Self.context(what), encode: { _ in [] }, completion: { result in
            reply.withLock { $0 = result }
            done.signal()
        })
        done.wait()
        switch reply.withLock({ $0 }) {
        case .success(.applied(let outcome, _)): return outcome
        case .success(.replayed): return nil
        case .failure(let error): throw error
        case nil: return nil
        }
    }
}

/// The follow-ups owed, as the last full run counted them (/metrics).
struct FollowUpTally: Sendable, Equatable {
    /// By peak level and state.
    var owed: [String: Int] = [:]
    /// The oldest one's age in days (since raised), by peak level and state.
    var oldestDays: [String: Int] = [:]
    var overdue = 0

    static func key(_ level: AlertLevel, _ state: FollowUpState) -> String { level.rawValue + " " + state.rawValue }

    mutating func count(_ record: FollowUpFacts, today: CivilDate, overdue isOverdue: Bool) {
        guard record.followUpOwed else { return }
        let key = Self.key(record.peakLevel, record.state)
        owed[key, default: 0] += 1
        oldestDays[key] = max(oldestDays[key] ?? 0, today.daysSinceEpoch - record.raisedOn.daysSinceEpoch)
        if isOverdue { overdue += 1 }
    }
}
