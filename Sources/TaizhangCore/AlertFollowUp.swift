// What happens after an alert is raised (issue 20): its follow-up as a
// ledger record, and the one rule of its steps. The monitor decides that an
// alert is raised, changes level or clears (`AlertCase.observing`); people
// decide the rest: acknowledged (签收) → assigned (交办) → a rectification
// plan with a deadline (整改方案) → rectified with evidence (整改) → closed
// (销号) by another person than the rectifier, or reopened when the check
// fails. A yellow alert needs a talk (约谈提醒) before it closes, a red one a
// decision on accountability (严考核、严问责) (002, Laiwu lights; 000 二(四)2
// 做好问题整改; 000 二(三)1 花钱必问效、无效必问责). Pure: no I/O.

/// A person who took a step: an identity's immutable id (or, in local mode,
/// the `actor` the call named) and the name it had then.
public struct FollowUpPerson: Sendable, Hashable, Codable {
    /// The access file's id of the identity ("id-7f3a…"), or "actor:<name>" in local mode.
    public var id: String
    /// The name when the step was taken (for people; decisions compare ids).
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// Where an alert's follow-up stands.
public enum FollowUpState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Raised; nobody has acknowledged it (待签收).
    case pending
    /// Acknowledged (已签收).
    case acknowledged
    /// Assigned to a named person and unit (已交办).
    case assigned
    /// A rectification plan with a deadline is under way (整改中).
    case rectifying
    /// Rectified with evidence; awaits the check (已整改待核).
    case rectified
    /// Closed (已销号).
    case closed

    public var chineseName: String {
        switch self {
        case .pending: return "待签收"
        case .acknowledged: return "已签收"
        case .assigned: return "已交办"
        case .rectifying: return "整改中"
        case .rectified: return "已整改待核"
        case .closed: return "已销号"
        }
    }
}

/// The steps of a follow-up, as its trail records them.
public enum FollowUpAction: String, Sendable, Hashable, Codable, CaseIterable {
    case acknowledge, assign, plan, rectify, close, reopen, talk, accountability, escalate

    public var chineseName: String {
        switch self {
        case .acknowledge: return "签收"
        case .assign: return "交办"
        case .plan: return "整改方案"
        case .rectify: return "整改"
        case .close: return "销号"
        case .reopen: return "重新整改"
        case .talk: return "约谈"
        case .accountability: return "问责"
        case .escalate: return "逾期上报"
        }
    }
}

/// One step of the trail.
public struct FollowUpStep: Sendable, Hashable, Codable {
    public var action: FollowUpAction
    /// Who took it (empty for the daemon's escalations).
    public var by: FollowUpPerson
    /// The day it happened (China Standard Time).
    public var on: CivilDate
    public var note: String
    /// The authenticated identity of the call, as the audit journal has it.
    public var identity: String
    /// RFC 3339, when it was recorded.
    public var recordedAt: String

    public init(action: FollowUpAction, by: FollowUpPerson, on: CivilDate, note: String = "", identity: String = "", recordedAt: String = "") {
        self.action = action
        self.by = by
        self.on = on
        self.note = note
        self.identity = identity
        self.recordedAt = recordedAt
    }
}

/// A talk with the responsible person (约谈提醒), required before a yellow alert closes.
public struct AlertTalk: Sendable, Hashable, Codable {
    public var on: CivilDate
    /// Who held the talk (a leader's name and post).
    public var interviewer: String
    /// Whom they talked to (the unit's responsible person).
    public var interviewee: String
    public var notes: String

    public init(on: CivilDate, interviewer: String, interviewee: String, notes: String) {
        self.on = on
        self.interviewer = interviewer
        self.interviewee = interviewee
        self.notes = notes
    }
}

/// A decision on accountability (问责), required before a red alert closes.
public struct AlertAccountability: Sendable, Hashable, Codable {
    public var on: CivilDate
    /// What was decided (通报批评, 诫勉谈话, …).
    public var decision: String
    /// Who is held to account.
    public var person: String
    /// The decision's document.
    public var document: Document

    public init(on: CivilDate, decision: String, person: String, document: Document) {
        self.on = on
        self.decision = decision
        self.person = person
        self.document = document
    }
}

/// Why the daemon escalated an alert to the unit above.
public enum EscalationReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Nobody acknowledged it within the working days its level allows.
    case unacknowledged
    /// Its rectification is past the plan's deadline.
    case rectificationOverdue = "rectification_overdue"

    public var chineseName: String {
        switch self {
        case .unacknowledged: return "逾期未签收"
        case .rectificationOverdue: return "整改逾期"
        }
    }
}

/// An escalation the daemon raised, once per reason and deadline.
public struct AlertEscalation: Sendable, Hashable, Codable {
    public var reason: EscalationReason
    /// The deadline that was missed.
    public var dueOn: CivilDate
    /// The unit above the alert's unit that it is addressed to.
    public var toUnit: String
    public var on: CivilDate
    public var at: String

    public init(reason: EscalationReason, dueOn: CivilDate, toUnit: String, on: CivilDate, at: String) {
        self.reason = reason
        self.dueOn = dueOn
        self.toUnit = toUnit
        self.on = on
        self.at = at
    }
}

/// An alert as the ledger keeps it: what the monitor observed, and its follow-up.
public struct AlertCase: Sendable, Hashable, Codable {
    /// "YJ00000042": the ledger's id of the monitor's alert 42.
    public var id: String
    public var alertId: Int64
    public var kind: AlertKind
    public var subjectId: String
    public var subjectName: String
    public var adminCode: String
    /// The level now (the last before clearing, once cleared).
    public var level: AlertLevel
    /// The highest level it reached: what closing it requires follows this.
    public var peakLevel: AlertLevel
    public var score: Int
    public var raisedAt: String
    /// The day it was raised (China Standard Time): acknowledgement is due from it.
    public var raisedOn: CivilDate
    /// Empty while the cause holds.
    public var clearedAt: String
    /// The monitor's last event this record took in.
    public var lastEventSeq: Int64

    public var state: FollowUpState
    /// The assignee's name and unit, once assigned.
    public var assignee: String
    public var assigneeUnit: String
    /// The rectification plan and its deadline, once planned.
    public var plan: String
    public var deadline: CivilDate?
    /// The rectification's note and evidence, once rectified.
    public var rectification: String
    public var evidence: [Document]
    public var talks: [AlertTalk]
    public var accountability: [AlertAccountability]
    public var escalations: [AlertEscalation]
    /// Every step, oldest first.
    public var steps: [FollowUpStep]
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    /// The id of the monitor's alert `alertId`.
    public static func id(ofAlert alertId: Int64) -> String { StewardshipKind.alert.id(Int(alertId)) }

    /// The alert number in an id "YJ00000042" or "42"; nil when neither.
    public static func alertNumber(_ text: String) -> Int64? {
        let digits = text.hasPrefix(StewardshipKind.alert.idPrefix) ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, digits.utf8.count <= 12, digits.utf8.allSatisfy({ (48...57).contains($0) }), let number = Int64(digits), number > 0 else { return nil }
        return number
    }

    public var isOpen: Bool { clearedAt.isEmpty }

    /// The day acknowledgement is counted from: the day raised, or the day
    /// the ledger took the alert in when later (alerts raised before the
    /// ledger kept them are not all overdue the day it starts to).
    public var acknowledgementCountsFrom: CivilDate {
        max(raisedOn, Timestamp.chinaDate(rfc3339: createdAt) ?? raisedOn)
    }

    /// Whether the follow-up is still owed: it is not closed, and the alert
    /// is open or someone acknowledged it (an alert that cleared by itself
    /// before anyone took it up needs nothing more).
    public var followUpOwed: Bool { state != .closed && (isOpen || state != .pending) }

    /// The follow-up state as the ledger's `state` column keeps it: an alert
    /// that cleared before anyone took it up is "lapsed" there (owed
    /// nothing, so neither the queue of work nor the monitor's daily look
    /// at what is overdue reads it, however many years of them pile up).
    public var stateColumn: String { followUpOwed || state != .pending ? state.rawValue : Self.lapsed }

    /// The state shown of an alert that cleared before anyone took it up.
    public static let lapsed = "lapsed"

    /// The person who recorded the rectification now standing.
    public var rectifier: FollowUpPerson? {
        guard state == .rectified || state == .closed else { return nil }
        return steps.last { $0.action == .rectify }?.by
    }

    /// The record of an alert when the monitor raised it.
    public init(alert: AlertRecord, eventSeq: Int64, raisedOn: CivilDate, now: String) {
        id = AlertCase.id(ofAlert: alert.id)
        alertId = alert.id
        kind = alert.kind
        subjectId = alert.subjectId
        subjectName = alert.subjectName
        adminCode = alert.adminCode
        level = alert.level
        peakLevel = alert.level
        score = alert.score
        raisedAt = alert.raisedAt
        self.raisedOn = raisedOn
        clearedAt = alert.clearedAt
        lastEventSeq = eventSeq
        state = .pending
        assignee = ""
        assigneeUnit = ""
        plan = ""
        deadline = nil
        rectification = ""
        evidence = []
        talks = []
        accountability = []
        escalations = []
        steps = []
        version = 1
        createdAt = now
        updatedAt = now
    }

    /// The record after the monitor's event (a level change, a clearing).
    public func observing(_ event: AlertEvent) -> AlertCase {
        var copy = self
        copy.subjectName = event.alert.subjectName
        copy.adminCode = event.alert.adminCode
        copy.level = event.alert.level
        copy.peakLevel = max(peakLevel, event.alert.level)
        copy.score = event.alert.score
        copy.clearedAt = event.type == .cleared ? event.time : ""
        copy.lastEventSeq = event.seq
        // Closed at a lower level than it has now reached: what closing
        // needs has changed (a decision on accountability for red), so the
        // follow-up is open again, to be rectified and closed anew.
        if state == .closed, copy.peakLevel > peakLevel {
            copy.state = .rectifying
            copy.steps.append(FollowUpStep(action: .reopen, by: FollowUpPerson(id: "", name: "taizhangd"),
                                           on: Timestamp.chinaDate(rfc3339: event.time) ?? raisedOn,
                                           note: "升级为\(copy.peakLevel.chineseName)，需重新整改并销号", identity: "taizhangd (risk monitor)", recordedAt: event.time))
        }
        return copy
    }
}

/// What the escalation rules and the metrics read of an alert's record: the
/// store reads these columns and JSON fields without decoding the record
/// (a look over 100,000 owed follow-ups decodes none of them).
public struct FollowUpFacts: Sendable, Hashable {
    public var id: String
    public var state: FollowUpState
    public var isOpen: Bool
    public var peakLevel: AlertLevel
    public var raisedOn: CivilDate
    /// The day acknowledgement is counted from (`AlertCase.acknowledgementCountsFrom`).
    public var countsFrom: CivilDate
    public var deadline: CivilDate?
    public var adminCode: String
    /// The escalations already raised: reason and the deadline missed.
    public var escalated: [(reason: EscalationReason, dueOn: CivilDate)]

    public init(id: String, state: FollowUpState, isOpen: Bool, peakLevel: AlertLevel, raisedOn: CivilDate, countsFrom: CivilDate,
                deadline: CivilDate?, adminCode: String, escalated: [(reason: EscalationReason, dueOn: CivilDate)]) {
        self.id = id
        self.state = state
        self.isOpen = isOpen
        self.peakLevel = peakLevel
        self.raisedOn = raisedOn
        self.countsFrom = countsFrom
        self.deadline = deadline
        self.adminCode = adminCode
        self.escalated = escalated
    }

    public var followUpOwed: Bool { state != .closed && (isOpen || state != .pending) }

    public static func == (a: FollowUpFacts, b: FollowUpFacts) -> Bool {
        a.id == b.id && a.state == b.state && a.isOpen == b.isOpen && a.peakLevel == b.peakLevel && a.raisedOn == b.raisedOn
            && a.countsFrom == b.countsFrom && a.deadline == b.deadline && a.adminCode == b.adminCode
            && a.escalated.map(\.reason) == b.escalated.map(\.reason) && a.escalated.map(\.dueOn) == b.escalated.map(\.dueOn)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

extension AlertCase {
    /// What the escalation rules read of the record.
    public var facts: FollowUpFacts {
        FollowUpFacts(id: id, state: state, isOpen: isOpen, peakLevel: peakLevel, raisedOn: raisedOn, countsFrom: acknowledgementCountsFrom,
                      deadline: deadline, adminCode: adminCode, escalated: escalations.map { ($0.reason, $0.dueOn) })
    }
}

/// A follow-up step as a caller asks for it.
public enum FollowUpCommand: Sendable, Hashable {
    case acknowledge(on: CivilDate, note: String)
    case assign(assignee: String, unit: String, on: CivilDate, note: String)
    case plan(measures: String, deadline: CivilDate, on: CivilDate)
    case rectify(note: String, evidence: [Document], on: CivilDate)
    case close(on: CivilDate, note: String)
    /// The check failed: back to rectifying, with a new deadline when given.
    case reopen(on: CivilDate, reason: String, deadline: CivilDate?)
    case talk(AlertTalk)
    case accountability(AlertAccountability)

    public var action: FollowUpAction {
        switch self {
        case .acknowledge: return .acknowledge
        case .assign: return .assign
        case .plan: return .plan
        case .rectify: return .rectify
        case .close: return .close
        case .reopen: return .reopen
        case .talk: return .talk
        case .accountability: return .accountability
        }
    }

    /// The day the step happened.
    public var on: CivilDate {
        switch self {
        case .acknowledge(let on, _), .assign(_, _, let on, _), .plan(_, _, let on), .rectify(_, _, let on), .close(let on, _), .reopen(let on, _, _):
            return on
        case .talk(let talk): return talk.on
        case .accountability(let record): return record.on
        }
    }
}

/// Limits of a follow-up.
public enum FollowUpLimits {
    /// Steps in one alert's trail: a follow-up reopened again and again
    /// ends here, and is taken up as a new problem.
    public static let stepsMax = 200
    /// Evidence documents of one rectification.
    public static let evidenceMax = 100
    /// Talks and decisions on accountability on one alert.
    public static let talksMax = 20
}

/// The rule of every step.
public enum FollowUpRules {
    /// The record after `command` taken by `person`, or why it is refused:
    /// FAILED_PRECONDITION naming what must happen first, INVALID_ARGUMENT
    /// listing every bad field.
    public static func apply(_ command: FollowUpCommand, to record: AlertCase, by person: FollowUpPerson, identity: String,
                             today: CivilDate, now: String) throws -> AlertCase {
        try checkFields(command, record: record, today: today)
        try checkOrder(command, record: record, by: person)
        var next = record
        var note = ""
        switch command {
        case .acknowledge(_, let text):
            next.state = .acknowledged
            note = text
        case .assign(let assignee, let unit, _, let text):
            next.assignee = assignee
            next.assigneeUnit = unit
            if next.state == .acknowledged { next.state = .assigned }
            note = text
        case .plan(let measures, let deadline, _):
            next.plan = measures
            next.deadline = deadline
            next.state = .rectifying
            note = measures
        case .rectify(let text, let evidence, _):
            next.rectification = text
            next.evidence = evidence
            next.state = .rectified
            note = text
        case .close(_, let text):
            next.state = .closed
            note = text
        case .reopen(_, let reason, let deadline):
            next.state = .rectifying
            if let deadline { next.deadline = deadline }
            note = reason
        case .talk(let talk):
            next.talks.append(talk)
            note = "\(talk.interviewer) → \(talk.interviewee)"
        case .accountability(let record):
            next.accountability.append(record)
            note = "\(record.person)：\(record.decision)"
        }
        next.steps.append(FollowUpStep(action: command.action, by: person, on: command.on, note: note, identity: identity, recordedAt: now))
        next.version += 1
        next.updatedAt = now
        return next
    }

    /// Whether the step may be taken now, and by this person.
    static func checkOrder(_ command: FollowUpCommand, record: AlertCase, by person: FollowUpPerson) throws {
        let what = "alert \(record.id) is \(record.state.rawValue) (\(record.state.chineseName))"
        func refuse(_ first: String) -> LedgerError { LedgerError(.failedPrecondition, "\(what); \(first)") }
        let ends: Set<FollowUpAction> = [.close, .talk, .accountability]
        if record.steps.count >= FollowUpLimits.stepsMax, !ends.contains(command.action) {
            throw refuse("its trail holds \(FollowUpLimits.stepsMax) steps, the most one alert keeps: take the problem up again as a new one")
        }
        switch command {
        case .acknowledge:
            guard record.state == .pending else { throw refuse("it was acknowledged already") }
        case .assign:
            guard record.state == .acknowledged || record.state == .assigned else {
                throw refuse(record.state == .pending ? "acknowledge it first (taizhang alerts ack)" : "it is assigned and past planning; reassigning is for before the plan")
            }
        case .plan(_, let deadline, _):
            guard record.state == .assigned || record.state == .rectifying else {
                throw refuse(record.state == .pending || record.state == .acknowledged
                             ? "assign it to a named person and unit first (taizhang alerts assign); a plan has an owner"
                             : "a plan is for an alert being rectified; reopen it if the check failed")
            }
            if record.state == .rectifying, let current = record.deadline, deadline > current {
                throw refuse("its deadline \(current) stands: a revised plan may not put it later (the check reopens with a new deadline: taizhang alerts reopen --deadline)")
            }
        case .rectify:
            guard record.state == .rectifying else {
                throw refuse(record.state == .rectified || record.state == .closed
                             ? "it was rectified already; reopen it if the check failed"
                             : "record the rectification plan with its deadline first (taizhang alerts plan; 000 二(四)2 做好问题整改)")
            }
        case .close:
            guard record.state == .rectified else {
                throw refuse(record.state == .closed ? "it is closed already" : "it closes (销号) only once rectified with evidence and checked (002 即知即改; 000 二(四)2)")
            }
            if let rectifier = record.rectifier, rectifier.id == person.id || (rectifier.id == rectifier.name && rectifier.name == person.name) {
                throw refuse("separation of duties: \(person.name) recorded the rectification, so another person checks and closes it (002 强化督查考核)")
            }
            if record.peakLevel == .red, record.accountability.isEmpty {
                throw refuse("a red alert closes only after a decision on accountability (问责) is recorded (taizhang alerts accountability; 002: 红灯 严考核、严问责)")
            }
            if record.peakLevel == .yellow, record.talks.isEmpty {
                throw refuse("a yellow alert closes only after the responsible person was talked to (约谈提醒) (taizhang alerts talk; 002: 黄灯 约谈提醒单位相关负责人)")
            }
        case .reopen(let on, _, let deadline):
            guard record.state == .rectified || record.state == .closed else {
                throw refuse("only a rectified or closed alert is reopened, when its check fails")
            }
            if deadline == nil, let current = record.deadline, current < on {
                throw LedgerError.invalid([.init(field: "deadline", description: "is required: the plan's deadline \(current) has passed; give the new one")], what: "follow-up step")
            }
        case .talk, .accountability:
            guard record.state != .pending else { throw refuse("acknowledge it first (taizhang alerts ack)") }
            guard record.state != .closed else { throw refuse("it is closed; reopen it first if more is to be recorded") }
            let count = command.action == .talk ? record.talks.count : record.accountability.count
            if count >= FollowUpLimits.talksMax {
                throw refuse("it holds \(FollowUpLimits.talksMax) \(command.action == .talk ? "talks" : "decisions on accountability"), the most one alert keeps")
            }
        }
    }

    /// Every bad field of the step.
    static func checkFields(_ command: FollowUpCommand, record: AlertCase, today: CivilDate) throws {
        var bad: [FieldViolation] = []
        let on = command.on
        if on > today { bad.append(.init(field: "date", description: "is \(on), after today (\(today)); record a step once it is taken")) }
        if on < record.raisedOn { bad.append(.init(field: "date", description: "is \(on), before the alert was raised (\(record.raisedOn))")) }
        switch command {
        case .acknowledge(_, let note), .close(_, let note):
            bad += TextRules.optional(note, field: "note")
        case .assign(let assignee, let unit, _, let note):
            bad += name(assignee, field: "assignee")
            if !AdminUnitRules.isDivisionCode(unit) { bad.append(.init(field: "unit_code", description: "must be the 12-digit admin code of the unit that rectifies")) }
            bad += TextRules.optional(note, field: "note")
        case .plan(let measures, let deadline, let on):
            bad += TextRules.required(measures, field: "measures")
            if deadline < on { bad.append(.init(field: "deadline", description: "is \(deadline), before the plan's day (\(on))")) }
            if deadline > on.adding(days: 366) { bad.append(.init(field: "deadline", description: "is \(deadline), more than a year after the plan; split the work into steps")) }
        case .rectify(let note, let evidence, _):
            bad += TextRules.required(note, field: "note")
            if evidence.isEmpty { bad.append(.init(field: "evidence", description: "is required: at least one document with its SHA-256 shows the rectification")) }
            if evidence.count > FollowUpLimits.evidenceMax {
                bad.append(.init(field: "evidence", description: "has \(evidence.count) entries; at most \(FollowUpLimits.evidenceMax) are allowed"))
            }
            bad += AssetRules.validateDocuments(evidence, field: "evidence")
        case .reopen(let on, let reason, let deadline):
            bad += TextRules.required(reason, field: "reason")
            if let deadline, deadline < on { bad.append(.init(field: "deadline", description: "is \(deadline), before the reopening (\(on))")) }
            if let deadline, deadline > on.adding(days: 366) { bad.append(.init(field: "deadline", description: "is \(deadline), more than a year after the reopening")) }
        case .talk(let talk):
            bad += name(talk.interviewer, field: "interviewer")
            bad += name(talk.interviewee, field: "interviewee")
            bad += TextRules.required(talk.notes, field: "notes")
        case .accountability(let decision):
            bad += TextRules.required(decision.decision, field: "decision")
            bad += name(decision.person, field: "person")
            bad += AssetRules.validateDocuments([decision.document], field: "document").map {
                FieldViolation(field: $0.field.replacing("document[0]", with: "document"), description: $0.description)
            }
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "follow-up step") }
    }

    /// A person's name: required, and short.
    static func name(_ text: String, field: String) -> [FieldViolation] {
        if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) { return [.init(field: field, description: "is required")] }
        return TextRules.optional(text, field: field, maxBytes: StewardshipLimits.nameMaxBytes)
    }

    /// The unit an escalation about `adminCode` is addressed to: a village's
    /// township, a township's county; a county's alert goes to the county.
    public static func unitAbove(_ adminCode: String) -> String {
        guard AdminUnitRules.isDivisionCode(adminCode) else { return adminCode }
        let village = adminCode.dropFirst(9)
        let township = adminCode.dropFirst(6).prefix(3)
        if village != "000" { return String(adminCode.prefix(9)) + "000" }
        if township != "000" { return String(adminCode.prefix(6)) + "000000" }
        return adminCode
    }

    /// The escalations due on `today` that the record has not had: an
    /// alert still pending past its level's working days, a rectification
    /// past its deadline. Each is raised once per reason and deadline.
    public static func escalationsDue(_ record: FollowUpFacts, today: CivilDate, calendar: WorkingDayCalendar,
                                      acknowledgeWorkingDays: (AlertLevel) -> Int) -> [(reason: EscalationReason, dueOn: CivilDate)] {
        guard record.followUpOwed else { return [] }
        var due: [(EscalationReason, CivilDate)] = []
        if record.state == .pending, record.isOpen {
            let by = calendar.adding(workingDays: max(1, acknowledgeWorkingDays(record.peakLevel)), to: record.countsFrom).date
            if today > by { due.append((.unacknowledged, by)) }
        }
        if record.state == .rectifying, let deadline = record.deadline, today > deadline {
            due.append((.rectificationOverdue, deadline))
        }
        return due.filter { reason, day in !record.escalated.contains { $0.reason == reason && $0.dueOn == day } }
    }

    /// The same, of a record.
    public static func escalationsDue(_ record: AlertCase, today: CivilDate, calendar: WorkingDayCalendar,
                                      acknowledgeWorkingDays: (AlertLevel) -> Int) -> [(reason: EscalationReason, dueOn: CivilDate)] {
        escalationsDue(record.facts, today: today, calendar: calendar, acknowledgeWorkingDays: acknowledgeWorkingDays)
    }

    /// Whether the follow-up is overdue on `today`: unacknowledged past its
    /// working days, or rectifying past its deadline.
    public static func isOverdue(_ record: FollowUpFacts, today: CivilDate, calendar: WorkingDayCalendar,
                                 acknowledgeWorkingDays: (AlertLevel) -> Int) -> Bool {
        guard record.followUpOwed else { return false }
        if record.state == .rectifying, let deadline = record.deadline, today > deadline { return true }
        if record.state == .pending, record.isOpen {
            return today > calendar.adding(workingDays: max(1, acknowledgeWorkingDays(record.peakLevel)), to: record.countsFrom).date
        }
        return false
    }

    /// The same, of a record.
    public static func isOverdue(_ record: AlertCase, today: CivilDate, calendar: WorkingDayCalendar,
                                 acknowledgeWorkingDays: (AlertLevel) -> Int) -> Bool {
        isOverdue(record.facts, today: today, calendar: calendar, acknowledgeWorkingDays: acknowledgeWorkingDays)
    }
}
