// The follow-up of alerts on the wire (issue 20): GetAlert, the eight
// steps (each a ledger mutation decided by `FollowUpRules`), and what
// ListAlerts shows and filters of an alert's follow-up.

import Foundation
import SwiftProtobuf
import TaizhangCore
import TaizhangProto
import TaizhangRecords
import TaizhangStore

extension RiskService.RiskHandlers {
    /// Scanned ledger records per ListAlerts page with follow-up filters
    /// the columns cannot answer (assignee, overdue): past this the page
    /// ends early, with a token to go on from.
    static let followUpScanMax = 20_000

    var getAlert: MethodSpec {
        Method.fileRead(RPC.Risk.getAlert) { _, request in
            let id = try Self.ledgerId(request.alertID)
            guard case .alert(let record)? = try store.stewardshipRecord(.alert, id: id) else {
                throw LedgerError(.notFound, "no alert \"\(request.alertID)\" exists in the ledger", violations: [.init(field: "alert_id", description: "not found")])
            }
            let details = try monitor?.alerts.alert(id: record.alertId)
            return try RiskMapping.alert(record, details: details, overdue: isOverdue(record)).serializedBytes()
        }
    }

    var acknowledgeAlert: MethodSpec {
        step(RPC.Risk.acknowledgeAlert) { request, date, _ in
            .acknowledge(on: date, note: request.note)
        }
    }

    var assignAlert: MethodSpec {
        step(RPC.Risk.assignAlert) { request, date, _ in
            .assign(assignee: request.assignee, unit: request.unitCode, on: date, note: request.note)
        }
    }

    var planRectification: MethodSpec {
        step(RPC.Risk.planRectification) { request, date, bad in
            let deadline = Decode.date(request.deadline, field: "deadline", required: true, into: &bad)
            return .plan(measures: request.measures, deadline: deadline ?? date, on: date)
        }
    }

    var recordRectification: MethodSpec {
        step(RPC.Risk.recordRectification) { request, date, _ in
            .rectify(note: request.note, evidence: request.evidence.map { Document(name: $0.name, kind: $0.kind, sha256: $0.sha256) }, on: date)
        }
    }

    var closeAlert: MethodSpec {
        step(RPC.Risk.closeAlert) { request, date, _ in
            .close(on: date, note: request.note)
        }
    }

    var reopenAlert: MethodSpec {
        step(RPC.Risk.reopenAlert) { request, date, bad in
            .reopen(on: date, reason: request.reason, deadline: Decode.date(request.deadline, field: "deadline", required: false, into: &bad))
        }
    }

    var recordTalk: MethodSpec {
        step(RPC.Risk.recordTalk) { request, date, _ in
            .talk(AlertTalk(on: date, interviewer: request.interviewer, interviewee: request.interviewee, notes: request.notes))
        }
    }

    var recordAccountability: MethodSpec {
        step(RPC.Risk.recordAccountability) { request, date, _ in
            let document = request.document
            return .accountability(AlertAccountability(on: date, decision: request.decision, person: request.person,
                                                       document: Document(name: document.name, kind: document.kind, sha256: document.sha256)))
        }
    }

    /// A follow-up step's method: the alert, the date and the version read
    /// are common to all; `command` reads the rest (adding what is wrong to `bad`).
    private func step<Request: FollowUpRequest>(_ method: RPCMethod<Request, Taizhang_Risk_V1_Alert>,
                                                command: @escaping @Sendable (Request, CivilDate, inout [FieldViolation]) -> FollowUpCommand) -> MethodSpec {
        Method.mutation(method, store: store, readsFile: true, plan: { _, request in
            var bad: [FieldViolation] = []
            let id = AlertCase.alertNumber(request.alertID).map(AlertCase.id(ofAlert:))
            if id == nil { bad.append(.init(field: "alert_id", description: "is required: the alert's number or ledger id, e.g. 42 or YJ00000042")) }
            let date = Decode.date(request.date, field: "date", required: true, into: &bad)
            if request.expectedVersion < 0 { bad.append(.init(field: "expected_version", description: "must be 0 (no check) or the alert's follow-up version you read")) }
            let step = command(request, date ?? context.today, &bad)
            guard let id, date != nil, bad.isEmpty else { throw LedgerError.invalid(bad, what: "follow-up step") }
            return .stewardship(.followUp(alertId: id, command: step, expectedVersion: request.expectedVersion))
        }, respond: { outcome in
            guard case .stewardship(.alert(let record)) = outcome else { return Taizhang_Risk_V1_Alert() }
            return RiskMapping.alert(record, details: nil, overdue: isOverdue(record))
        })
    }

    /// Whether a follow-up is overdue today under the risk configuration.
    func isOverdue(_ record: AlertCase) -> Bool {
        let configuration = risk.current()
        return FollowUpRules.isOverdue(record, today: context.today, calendar: context.calendar,
                                       acknowledgeWorkingDays: configuration.acknowledgeWorkingDays)
    }

    /// "YJ00000042" of "YJ00000042" or "42"; INVALID_ARGUMENT otherwise.
    static func ledgerId(_ text: String) throws -> String {
        guard let number = AlertCase.alertNumber(text) else {
            throw LedgerError.invalid([.init(field: "alert_id", description: "is required: the alert's number or ledger id, e.g. 42 or YJ00000042")], what: "request")
        }
        return AlertCase.id(ofAlert: number)
    }

    /// A ListAlerts page with follow-up filters: the ledger's records of
    /// the subtree and states, oldest first, then the assignee and overdue
    /// filters; each joined with the monitor's details.
    func followUpPage(_ request: Taizhang_Risk_V1_ListAlertsRequest, filter: AlertFilter, limit: Int) throws -> Taizhang_Risk_V1_ListAlertsResponse {
        var bad: [FieldViolation] = []
        var states: [String] = []
        for (index, text) in request.followUpStates.enumerated() {
            if FollowUpState(rawValue: text) == nil && text != AlertCase.lapsed {
                bad.append(.init(field: "follow_up_states[\(index)]", description: "\"\(text)\" is not a follow-up state; use \(FollowUpState.allCases.map(\.rawValue).joined(separator: ", ")) or \(AlertCase.lapsed)"))
            }
            states.append(text)
        }
        if !bad.isEmpty { throw LedgerError.invalid(bad, what: "filter") }
        let ledgerFilter = StewardshipFilter(.alert, adminCode: request.adminCode, states: states.isEmpty ? nil : states)
        var after = try PageToken.decode(request.pageToken)
        if let token = after, AlertCase.alertNumber(token) == nil || !token.hasPrefix(StewardshipKind.alert.idPrefix) {
            throw LedgerError.invalid([.init(field: "page_token", description: "is not a token of a follow-up listing; start without one")], what: "filter")
        }
        var response = Taizhang_Risk_V1_ListAlertsResponse()
        var scanned = 0
        // Pages of the ledger's records until the answer is full, the
        // records run out, or the scan's bound is reached.
        while response.alerts.count < limit, scanned < Self.followUpScanMax {
            let page = try store.stewardshipRecords(ledgerFilter, after: after, limit: 1000)
            var taken = 0
            for case .alert(let record) in page.records {
                after = record.id
                scanned += 1
                taken += 1
                guard matches(record, request: request, filter: filter) else { continue }
                response.alerts.append(RiskMapping.alert(record, details: try monitor?.alerts.alert(id: record.alertId), overdue: isOverdue(record)))
                if response.alerts.count == limit { break }
            }
            // The last page read to its end: nothing follows.
            if page.nextAfter == nil && taken == page.records.count { return response }
        }
        if let after { response.nextPageToken = PageToken.encode(after) }
        return response
    }

    /// The filters the ledger's columns do not answer.
    private func matches(_ record: AlertCase, request: Taizhang_Risk_V1_ListAlertsRequest, filter: AlertFilter) -> Bool {
        if let level = filter.level, record.level != level { return false }
        if let kind = filter.kind, record.kind != kind { return false }
        if let open = filter.open, record.isOpen != open { return false }
        if let subject = filter.subjectId, record.subjectId != subject { return false }
        if let from = filter.raisedFrom, record.raisedOn < from { return false }
        if let to = filter.raisedTo, record.raisedOn > to { return false }
        if !request.assignee.isEmpty, record.assignee != request.assignee { return false }
        if request.overdue, !isOverdue(record) { return false }
        return true
    }
}

/// What every follow-up step's request carries.
protocol FollowUpRequest: SwiftProtobuf.Message {
    var alertID: String { get }
    var date: String { get }
    var expectedVersion: Int64 { get }
}

extension Taizhang_Risk_V1_AcknowledgeAlertRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_AssignAlertRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_PlanRectificationRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_RecordRectificationRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_CloseAlertRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_ReopenAlertRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_RecordTalkRequest: FollowUpRequest {}
extension Taizhang_Risk_V1_RecordAccountabilityRequest: FollowUpRequest {}

extension RiskMapping {
    /// An alert as the ledger keeps it, with the monitor's details (score
    /// parts, reasons, quarter) when given.
    static func alert(_ record: AlertCase, details: AlertRecord?, overdue: Bool) -> Taizhang_Risk_V1_Alert {
        let base = details ?? AlertRecord(id: record.alertId, kind: record.kind, subjectId: record.subjectId, subjectName: record.subjectName,
                                          adminCode: record.adminCode, level: record.level, score: record.score, quarter: "", parts: [], reasons: [],
                                          raisedAt: record.raisedAt, changedAt: record.updatedAt, clearedAt: record.clearedAt)
        var out = alert(base)
        out.ledgerID = record.id
        out.followUp = followUp(record, overdue: overdue)
        return out
    }

    static func followUp(_ record: AlertCase, overdue: Bool) -> Taizhang_Risk_V1_FollowUp {
        var out = Taizhang_Risk_V1_FollowUp()
        out.state = record.stateColumn
        out.stateZh = record.stateColumn == AlertCase.lapsed ? "已自行解除" : record.state.chineseName
        out.owed = record.followUpOwed
        out.overdue = overdue
        out.peakLevel = level(record.peakLevel)
        out.raisedOn = record.raisedOn.description
        out.assignee = record.assignee
        out.assigneeUnit = record.assigneeUnit
        out.plan = record.plan
        out.deadline = record.deadline?.description ?? ""
        out.rectification = record.rectification
        out.evidence = record.evidence.map(RecordMessage.document)
        out.talks = record.talks.map { talk in
            var item = Taizhang_Risk_V1_AlertTalk()
            item.date = talk.on.description
            item.interviewer = talk.interviewer
            item.interviewee = talk.interviewee
            item.notes = talk.notes
            return item
        }
        out.accountability = record.accountability.map { decision in
            var item = Taizhang_Risk_V1_AlertAccountability()
            item.date = decision.on.description
            item.decision = decision.decision
            item.person = decision.person
            item.document = RecordMessage.document(decision.document)
            return item
        }
        out.escalations = record.escalations.map { escalation in
            var item = Taizhang_Risk_V1_AlertEscalation()
            item.reason = escalation.reason.rawValue
            item.reasonZh = escalation.reason.chineseName
            item.dueOn = escalation.dueOn.description
            item.toUnit = escalation.toUnit
            item.date = escalation.on.description
            item.at = escalation.at
            return item
        }
        out.steps = record.steps.map { step in
            var item = Taizhang_Risk_V1_FollowUpStep()
            item.action = step.action.rawValue
            item.actionZh = step.action.chineseName
            item.personID = step.by.id
            item.person = step.by.name
            item.date = step.on.description
            item.note = step.note
            item.identity = step.identity
            item.recordedAt = step.recordedAt
            return item
        }
        out.version = record.version
        return out
    }
}
