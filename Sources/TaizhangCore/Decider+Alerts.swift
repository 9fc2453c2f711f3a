// The rules of the alerts' ledger records (issue 20): the monitor's events
// taken in, a person's follow-up step, the daemon's escalations.

extension Decider {
    /// The monitor's events in the alerts' records: a raised alert gets its
    /// record, a change or a clearing updates it. An event the record has
    /// already taken in (a restart mirroring again) changes nothing.
    mutating func observeAlerts(_ events: [ObservedAlertEvent]) throws -> LedgerChange {
        var writes = AlertWrites()
        for observed in events {
            let event = observed.event
            let id = AlertCase.id(ofAlert: event.alert.id)
            let current = writes.current(id, in: view)
            var next: AlertCase
            if let current {
                guard event.seq > current.lastEventSeq else { continue }
                guard current.kind == event.alert.kind, current.subjectId == event.alert.subjectId else {
                    throw LedgerError(.dataLoss, "alert \(event.alert.id) of the monitor's alerts.db is about \(event.alert.kind.rawValue) \(event.alert.subjectId), but the ledger's \(id) is about \(current.kind.rawValue) \(current.subjectId): alerts.db is not the one this ledger's alerts came from (docs/risk.md, \"Alerts in the ledger\")")
                }
                next = current.observing(event)
                next.version = current.version + 1
                next.updatedAt = now
            } else {
                next = AlertCase(alert: event.alert, eventSeq: event.seq, raisedOn: observed.raisedOn, now: now)
            }
            writes.put(next, replacing: current)
        }
        return writes.change
    }

    /// A person's step in an alert's follow-up (`FollowUpRules`).
    mutating func followUp(_ id: String, _ command: FollowUpCommand, _ expectedVersion: Int64) throws -> LedgerChange {
        guard case .alert(let current)? = view.record(.alert, id) else {
            try reveal(nil, "alert", id)
            throw LedgerError(.notFound, "no alert \(id) exists in the ledger", violations: [.init(field: "alert_id", description: "not found")])
        }
        try reveal(current.adminCode, "alert", id)
        if let error = stale("alert", id, current.version, expectedVersion) { throw error }
        guard let person = context.person else {
            throw LedgerError.invalid([.init(field: "actor", description: "is required for a follow-up step without an access file: send the person's name as the call's actor metadata (taizhang --actor NAME); separation of duties compares persons")], what: "follow-up step")
        }
        if case .assign(_, let unit, _, _) = command {
            if AdminUnitRules.isDivisionCode(unit), view.adminUnit(unit) == nil {
                throw LedgerError.invalid([.init(field: "unit_code", description: "no admin unit \(unit) exists")], what: "follow-up step")
            }
            try permit(unit, "the assignee's unit_code")
        }
        let next = try FollowUpRules.apply(command, to: current, by: person, identity: context.identity, today: today, now: now)
        return LedgerChange(stewardship: [(.alert(next), .alert(current))], outcome: .stewardship(.alert(next)))
    }

    /// The daemon's escalations: each recorded once (an escalation already
    /// in the record, or a follow-up no longer owed, is left out).
    mutating func escalateAlerts(_ orders: [AlertEscalationOrder]) throws -> LedgerChange {
        var writes = AlertWrites()
        for escalation in orders {
            guard let current = writes.current(escalation.alertId, in: view), current.followUpOwed,
                  !current.escalations.contains(where: { $0.reason == escalation.reason && $0.dueOn == escalation.dueOn }) else { continue }
            var next = current
            next.escalations.append(AlertEscalation(reason: escalation.reason, dueOn: escalation.dueOn, toUnit: escalation.toUnit, on: today, at: now))
            next.steps.append(FollowUpStep(action: .escalate, by: FollowUpPerson(id: "", name: "taizhangd"), on: today,
                                           note: "\(escalation.reason.chineseName)（\(escalation.dueOn)）→ \(escalation.toUnit)", identity: context.identity, recordedAt: now))
            next.version = current.version + 1
            next.updatedAt = now
            writes.put(next, replacing: current)
        }
        return writes.change
    }
}

/// The alerts' records one change writes: each once, after its last update
/// in the change, with its state before the change (for the journal).
struct AlertWrites {
    private var latest: [String: (after: AlertCase, before: AlertCase?)] = [:]
    private var order: [String] = []

    /// The record as the change has it so far: its own update, else the ledger's.
    func current(_ id: String, in view: any LedgerView) -> AlertCase? {
        if let seen = latest[id] { return seen.after }
        if case .alert(let stored)? = view.record(.alert, id) { return stored }
        return nil
    }

    /// `next` replaces `current` (what `current(_:in:)` gave).
    mutating func put(_ next: AlertCase, replacing current: AlertCase?) {
        if latest[next.id] == nil {
            order.append(next.id)
            latest[next.id] = (next, current)
        } else {
            latest[next.id]?.after = next
        }
    }

    /// The change writing them, in the order first updated.
    var change: LedgerChange {
        let written = order.compactMap { latest[$0] }.map { (after: StewardshipRecord.alert($0.after), before: $0.before.map(StewardshipRecord.alert)) }
        return LedgerChange(stewardship: written, outcome: .stewardships(written.map(\.after)))
    }
}

/// An event of the monitor, with the day it happened (China Standard Time).
public struct ObservedAlertEvent: Sendable {
    public var event: AlertEvent
    public var raisedOn: CivilDate

    public init(event: AlertEvent, raisedOn: CivilDate) {
        self.event = event
        self.raisedOn = raisedOn
    }
}

/// An escalation the daemon found due.
public struct AlertEscalationOrder: Sendable, Hashable {
    /// "YJ00000042".
    public var alertId: String
    public var reason: EscalationReason
    public var dueOn: CivilDate
    public var toUnit: String

    public init(alertId: String, reason: EscalationReason, dueOn: CivilDate, toUnit: String) {
        self.alertId = alertId
        self.reason = reason
        self.dueOn = dueOn
        self.toUnit = toUnit
    }
}
