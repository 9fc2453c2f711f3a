// An alert's follow-up (issue 20): every step in order, every refusal
// (out of order, the rectifier closing, a yellow alert without its talk
// 约谈, a red one without its decision on accountability 问责, bad fields),
// the limits, the escalations due and the unit they go to (002; 000 二(四)2).

import Foundation
import Testing
import TaizhangCore

struct FollowUpRulesTests {
    static let raised = CivilDate("2026-11-02")!
    static let today = CivilDate("2026-11-30")!
    static let clerk = FollowUpPerson(id: "id-clerk", name: "baima-clerk")
    static let fixer = FollowUpPerson(id: "id-fixer", name: "baima-fixer")
    static let checker = FollowUpPerson(id: "id-checker", name: "xionghe-approver")
    static let sha = String(repeating: "ab", count: 32)
    static let evidence = [Document(name: "整改报告", kind: "other", sha256: sha)]

    static func alert(_ level: AlertLevel) -> AlertCase {
        let record = AlertRecord(id: 42, kind: .entityTargets, subjectId: "ZT00000001", subjectName: "白马村合作社", adminCode: "421024101201",
                                 level: level, score: 50, quarter: "2026Q3", parts: [], reasons: [], raisedAt: "2026-11-02T01:00:00.000Z",
                                 changedAt: "2026-11-02T01:00:00.000Z", clearedAt: "")
        return AlertCase(alert: record, eventSeq: 7, raisedOn: raised, now: "2026-11-02T01:00:00.000Z")
    }

    static func apply(_ command: FollowUpCommand, _ record: AlertCase, by person: FollowUpPerson = clerk) throws -> AlertCase {
        try FollowUpRules.apply(command, to: record, by: person, identity: "\(person.name) (uid:1001)", today: today, now: "2026-11-30T02:00:00.000Z")
    }

    static func refusal(_ body: () throws -> AlertCase) -> LedgerError? {
        do { _ = try body(); return nil } catch { return error as? LedgerError }
    }

    static let day = CivilDate("2026-11-10")!
    static let talk = FollowUpCommand.talk(AlertTalk(on: day, interviewer: "乡长", interviewee: "合作社理事长", notes: "限期整改"))
    static let accountability = FollowUpCommand.accountability(AlertAccountability(on: day, decision: "通报批评", person: "村支书",
                                                                                    document: Document(name: "问责决定", kind: "other", sha256: sha)))

    /// An alert taken to rectified by the clerk (assigning) and the fixer (rectifying).
    static func rectified(_ level: AlertLevel) throws -> AlertCase {
        var record = try apply(.acknowledge(on: day, note: ""), alert(level))
        record = try apply(.assign(assignee: "李四", unit: "421024101201", on: day, note: ""), record)
        record = try apply(.plan(measures: "补报报表", deadline: CivilDate("2026-12-10")!, on: day), record)
        return try apply(.rectify(note: "已补报", evidence: evidence, on: day), record, by: fixer)
    }

    @Test func aYellowAlert_walksEveryStep_toItsClose_byAnotherPerson() throws {
        var record = try Self.rectified(.yellow)
        #expect(record.state == .rectified)
        #expect(record.rectifier == Self.fixer)
        record = try Self.apply(Self.talk, record)
        let closed = try Self.apply(.close(on: Self.day, note: "复核通过"), record, by: Self.checker)
        #expect(closed.state == .closed)
        #expect(closed.steps.map(\.action) == [.acknowledge, .assign, .plan, .rectify, .talk, .close])
        #expect(closed.steps.last?.by == Self.checker)
        #expect(closed.steps.last?.identity == "xionghe-approver (uid:1001)")
        #expect(closed.version == record.version + 1)
        #expect(!closed.followUpOwed)
    }

    @Test func theRectifier_cannotClose_evenUnderANewName() throws {
        let record = try Self.apply(Self.talk, try Self.rectified(.yellow))
        let own = Self.refusal { try Self.apply(.close(on: Self.day, note: ""), record, by: Self.fixer) }
        #expect(own?.code == .failedPrecondition)
        #expect(own?.message.contains("separation of duties") == true)
        // Renamed in the access file: the id is the same person.
        let renamed = Self.refusal { try Self.apply(.close(on: Self.day, note: ""), record, by: FollowUpPerson(id: "id-fixer", name: "new-name")) }
        #expect(renamed?.code == .failedPrecondition)
        // Rectified under an implicit id (the name), then given an id: the same person.
        var implicit = record
        implicit.steps = implicit.steps.map { step in
            var step = step
            if step.action == .rectify { step.by = FollowUpPerson(id: "baima-fixer", name: "baima-fixer") }
            return step
        }
        #expect(Self.refusal { try Self.apply(.close(on: Self.day, note: ""), implicit, by: FollowUpPerson(id: "p-9", name: "baima-fixer")) }?.code == .failedPrecondition)
        // Another person who took the old name is another person.
        #expect(try Self.apply(.close(on: Self.day, note: ""), record, by: FollowUpPerson(id: "id-other", name: "baima-fixer")).state == .closed)
    }

    @Test func aYellowAlert_needsItsTalk_andARedOne_itsAccountability() throws {
        let yellow = Self.refusal { try Self.apply(.close(on: Self.day, note: ""), try Self.rectified(.yellow), by: Self.checker) }
        #expect(yellow?.code == .failedPrecondition)
        #expect(yellow?.message.contains("约谈") == true && yellow?.message.contains("002") == true)
        let red = try Self.rectified(.red)
        let noDecision = Self.refusal { try Self.apply(.close(on: Self.day, note: ""), try Self.apply(Self.talk, red), by: Self.checker) }
        #expect(noDecision?.message.contains("问责") == true)
        #expect(try Self.apply(.close(on: Self.day, note: ""), try Self.apply(Self.accountability, red), by: Self.checker).state == .closed)
        // A red alert that went back to yellow still needs its decision: closing follows the peak.
        var fell = red
        fell.level = .yellow
        #expect(Self.refusal { try Self.apply(.close(on: Self.day, note: ""), try Self.apply(Self.talk, fell), by: Self.checker) }?.message.contains("问责") == true)
    }

    @Test func aStepOutOfOrder_namesWhatMustHappenFirst() throws {
        let fresh = Self.alert(.yellow)
        let cases: [(FollowUpCommand, String)] = [
            (.assign(assignee: "李四", unit: "421024101201", on: Self.day, note: ""), "acknowledge it first"),
            (.plan(measures: "x", deadline: Self.today, on: Self.day), "assign it"),
            (.rectify(note: "x", evidence: Self.evidence, on: Self.day), "rectification plan"),
            (.close(on: Self.day, note: ""), "rectified with evidence"),
            (.reopen(on: Self.day, reason: "x", deadline: nil), "only a rectified or closed alert"),
            (Self.talk, "acknowledge it first"),
        ]
        for (command, first) in cases {
            let refused = Self.refusal { try Self.apply(command, fresh) }
            #expect(refused?.code == .failedPrecondition, "\(command.action)")
            #expect(refused?.message.contains(first) == true, "\(command.action): \(refused?.message ?? "")")
        }
        let acknowledged = try Self.apply(.acknowledge(on: Self.day, note: ""), fresh)
        #expect(Self.refusal { try Self.apply(.acknowledge(on: Self.day, note: ""), acknowledged) }?.message.contains("acknowledged already") == true)
    }

    @Test func aFailedCheck_reopens_andTheRectificationIsRecordedAgain() throws {
        let closed = try Self.apply(.close(on: Self.day, note: ""), try Self.apply(Self.talk, try Self.rectified(.yellow)), by: Self.checker)
        let reopened = try Self.apply(.reopen(on: Self.day, reason: "复核未通过", deadline: CivilDate("2026-12-31")), closed, by: Self.checker)
        #expect(reopened.state == .rectifying)
        #expect(reopened.deadline == CivilDate("2026-12-31"))
        #expect(reopened.rectifier == nil)
        let again = try Self.apply(.rectify(note: "再次整改", evidence: Self.evidence, on: Self.day), reopened, by: Self.checker)
        // The checker rectified this time: the fixer may now close it.
        #expect(Self.refusal { try Self.apply(.close(on: Self.day, note: ""), again, by: Self.checker) }?.message.contains("separation of duties") == true)
        #expect(try Self.apply(.close(on: Self.day, note: ""), again, by: Self.fixer).state == .closed)
    }

    @Test func theOneSupervised_cannotPutTheDeadlineLater_andAPassedOneIsRenewedOnReopening() throws {
        let planned = try Self.apply(.plan(measures: "x", deadline: CivilDate("2026-11-20")!, on: Self.day),
                                     try Self.apply(.assign(assignee: "李四", unit: "421024101201", on: Self.day, note: ""),
                                                    try Self.apply(.acknowledge(on: Self.day, note: ""), Self.alert(.yellow))))
        let later = Self.refusal { try Self.apply(.plan(measures: "y", deadline: CivilDate("2026-11-25")!, on: Self.day), planned) }
        #expect(later?.code == .failedPrecondition && later?.message.contains("reopen") == true)
        #expect(try Self.apply(.plan(measures: "y", deadline: CivilDate("2026-11-18")!, on: Self.day), planned).deadline == CivilDate("2026-11-18"))
        let rectified = try Self.apply(.rectify(note: "x", evidence: Self.evidence, on: Self.day), planned)
        let bare = Self.refusal { try Self.apply(.reopen(on: Self.today, reason: "复核未通过", deadline: nil), rectified, by: Self.checker) }
        #expect(bare?.violations.map(\.field) == ["deadline"])
        let far = Self.refusal { try Self.apply(.reopen(on: Self.today, reason: "x", deadline: CivilDate("2028-01-01")), rectified, by: Self.checker) }
        #expect(far?.violations.map(\.field) == ["deadline"])
    }

    @Test func aClosedAlert_thatRisesToRed_isOpenAgain_forItsAccountability() throws {
        let closed = try Self.apply(.close(on: Self.day, note: ""), try Self.apply(Self.talk, try Self.rectified(.yellow)), by: Self.checker)
        var record = AlertRecord(id: 42, kind: .entityTargets, subjectId: "ZT00000001", subjectName: "白马村合作社", adminCode: "421024101201",
                                 level: .red, score: 30, quarter: "2026Q4", parts: [], reasons: [], raisedAt: "", changedAt: "", clearedAt: "")
        let risen = closed.observing(AlertEvent(seq: 9, type: .changed, alert: record, previousLevel: .yellow, time: "2026-11-29T02:00:00.000Z"))
        #expect(risen.state == .rectifying && risen.peakLevel == .red)
        #expect(risen.steps.last?.action == .reopen && risen.steps.last?.by.name == "taizhangd")
        // Back to yellow: nothing to reopen.
        record.level = .yellow
        let same = closed.observing(AlertEvent(seq: 9, type: .changed, alert: record, previousLevel: .green, time: "2026-11-29T02:00:00.000Z"))
        #expect(same.state == .closed)
    }

    @Test func alertsFromBeforeTheLedgerKeptThem_countFromTheDayItTookThemIn() {
        var old = Self.alert(.yellow)
        old.createdAt = "2026-11-29T01:00:00.000Z"  // taken in four weeks after it was raised
        let calendar = WorkingDayCalendar.builtIn()
        #expect(!FollowUpRules.isOverdue(old, today: Self.today, calendar: calendar, acknowledgeWorkingDays: { _ in 3 }))
        #expect(FollowUpRules.escalationsDue(old, today: Self.today, calendar: calendar, acknowledgeWorkingDays: { _ in 3 }).isEmpty)
        #expect(FollowUpRules.isOverdue(old, today: CivilDate("2026-12-03")!, calendar: calendar, acknowledgeWorkingDays: { _ in 3 }))
    }

    @Test func badFields_areAllListed() throws {
        let acknowledged = try Self.apply(.acknowledge(on: Self.day, note: ""), Self.alert(.yellow))
        let assign = Self.refusal { try Self.apply(.assign(assignee: " ", unit: "4210", on: CivilDate("2026-12-01")!, note: ""), acknowledged) }
        #expect(assign?.code == .invalidArgument)
        #expect(Set(assign?.violations.map(\.field) ?? []) == ["date", "assignee", "unit_code"])
        let early = Self.refusal { try Self.apply(.acknowledge(on: CivilDate("2026-11-01")!, note: ""), Self.alert(.yellow)) }
        #expect(early?.violations.map(\.field) == ["date"])
        let assigned = try Self.apply(.assign(assignee: "李四", unit: "421024101201", on: Self.day, note: ""), acknowledged)
        let plan = Self.refusal { try Self.apply(.plan(measures: "", deadline: CivilDate("2026-11-09")!, on: Self.day), assigned) }
        #expect(Set(plan?.violations.map(\.field) ?? []) == ["measures", "deadline"])
        let planned = try Self.apply(.plan(measures: "x", deadline: Self.today, on: Self.day), assigned)
        let bare = Self.refusal { try Self.apply(.rectify(note: "x", evidence: [], on: Self.day), planned) }
        #expect(bare?.violations.map(\.field) == ["evidence"])
        let badDigest = Self.refusal { try Self.apply(.rectify(note: "x", evidence: [Document(name: "a", kind: "", sha256: "ABC")], on: Self.day), planned) }
        #expect(badDigest?.violations.map(\.field) == ["evidence[0].sha256"])
        let tooMany = Array(repeating: Self.evidence[0], count: FollowUpLimits.evidenceMax + 1)
        #expect(Self.refusal { try Self.apply(.rectify(note: "x", evidence: tooMany, on: Self.day), planned) }?.violations.map(\.field) == ["evidence"])
        let talk = Self.refusal { try Self.apply(.talk(AlertTalk(on: Self.day, interviewer: "", interviewee: "", notes: "")), planned) }
        #expect(Set(talk?.violations.map(\.field) ?? []) == ["interviewer", "interviewee", "notes"])
        let decision = Self.refusal {
            try Self.apply(.accountability(AlertAccountability(on: Self.day, decision: "", person: "x", document: Document(name: "", kind: "", sha256: ""))), planned)
        }
        #expect(Set(decision?.violations.map(\.field) ?? []) == ["decision", "document.name", "document.sha256"])
    }

    @Test func aTrail_endsAtItsLimit() throws {
        var record = try Self.apply(.acknowledge(on: Self.day, note: ""), Self.alert(.yellow))
        record = try Self.apply(.assign(assignee: "李四", unit: "421024101201", on: Self.day, note: ""), record)
        while record.steps.count < FollowUpLimits.stepsMax {
            record = try Self.apply(.assign(assignee: "李四", unit: "421024101201", on: Self.day, note: ""), record)
        }
        let full = Self.refusal { try Self.apply(.assign(assignee: "王五", unit: "421024101201", on: Self.day, note: ""), record) }
        #expect(full?.code == .failedPrecondition)
        #expect(full?.message.contains("\(FollowUpLimits.stepsMax) steps") == true)
        // What ends the work is never barred by the limit.
        #expect(try Self.apply(Self.talk, record).talks.count == 1)
    }

    @Test func escalations_areDueOncePerReasonAndDeadline_toTheUnitAbove() throws {
        let calendar = WorkingDayCalendar.builtIn()
        let days: (AlertLevel) -> Int = { $0 == .red ? 1 : 3 }
        let yellow = Self.alert(.yellow)
        // Raised Monday 2026-11-02: three working days run to Thursday the 5th.
        #expect(FollowUpRules.escalationsDue(yellow, today: CivilDate("2026-11-05")!, calendar: calendar, acknowledgeWorkingDays: days).isEmpty)
        let due = FollowUpRules.escalationsDue(yellow, today: CivilDate("2026-11-06")!, calendar: calendar, acknowledgeWorkingDays: days)
        #expect(due.map(\.reason) == [.unacknowledged])
        #expect(due.first?.dueOn == CivilDate("2026-11-05"))
        #expect(FollowUpRules.isOverdue(yellow, today: CivilDate("2026-11-06")!, calendar: calendar, acknowledgeWorkingDays: days))
        var escalated = yellow
        escalated.escalations = [AlertEscalation(reason: .unacknowledged, dueOn: CivilDate("2026-11-05")!, toUnit: "421024101000", on: Self.today, at: "")]
        #expect(FollowUpRules.escalationsDue(escalated, today: Self.today, calendar: calendar, acknowledgeWorkingDays: days).isEmpty)
        let red = Self.alert(.red)
        #expect(FollowUpRules.escalationsDue(red, today: CivilDate("2026-11-04")!, calendar: calendar, acknowledgeWorkingDays: days).map(\.reason) == [.unacknowledged])
        // A rectification past its deadline, once per deadline.
        var late = try Self.apply(.plan(measures: "x", deadline: CivilDate("2026-11-20")!, on: Self.day),
                                  try Self.apply(.assign(assignee: "李四", unit: "421024101201", on: Self.day, note: ""),
                                                 try Self.apply(.acknowledge(on: Self.day, note: ""), yellow)))
        #expect(FollowUpRules.escalationsDue(late, today: CivilDate("2026-11-20")!, calendar: calendar, acknowledgeWorkingDays: days).isEmpty)
        #expect(FollowUpRules.escalationsDue(late, today: Self.today, calendar: calendar, acknowledgeWorkingDays: days).map(\.reason) == [.rectificationOverdue])
        late.state = .closed
        #expect(FollowUpRules.escalationsDue(late, today: Self.today, calendar: calendar, acknowledgeWorkingDays: days).isEmpty)
        // Cleared before anyone took it up: nothing is owed.
        var cleared = yellow
        cleared.clearedAt = "2026-11-03T00:00:00.000Z"
        #expect(!cleared.followUpOwed)
        #expect(FollowUpRules.escalationsDue(cleared, today: Self.today, calendar: calendar, acknowledgeWorkingDays: days).isEmpty)
        #expect(FollowUpRules.unitAbove("421024101201") == "421024101000")
        #expect(FollowUpRules.unitAbove("421024101000") == "421024000000")
        #expect(FollowUpRules.unitAbove("421024000000") == "421024000000")
    }

    @Test func alertIds_readAsNumbersOrLedgerIds() {
        #expect(AlertCase.alertNumber("42") == 42)
        #expect(AlertCase.alertNumber("YJ00000042") == 42)
        #expect(AlertCase.id(ofAlert: 42) == "YJ00000042")
        for bad in ["", "0", "-1", "YJ", "ZC00000001", "4 2", "1234567890123"] { #expect(AlertCase.alertNumber(bad) == nil, "\(bad)") }
        #expect(Timestamp.chinaDate(rfc3339: "2026-11-22T15:59:59.000Z") == CivilDate("2026-11-22"))
        #expect(Timestamp.chinaDate(rfc3339: "2026-11-22T16:00:00.000Z") == CivilDate("2026-11-23"))
        #expect(Timestamp.chinaDate(rfc3339: "yesterday") == nil)
    }
}
