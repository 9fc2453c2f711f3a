// taizhang alerts ack|assign|plan|rectify|close|reopen|talk|accountability|show:
// an alert's follow-up (docs/risk.md, "Following an alert through").

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangProto

/// What every step takes: the alert, the day, the version read.
struct FollowUpStepOptions: ParsableArguments {
    @Argument(help: "The alert: its number (taizhang alerts) or ledger id, e.g. 42 or YJ00000042.") var alert: String
    @Option(help: "The day it happened, YYYY-MM-DD (default: today).") var date: String?
    @Option(name: .customLong("expected-version"), help: "Fail with ABORTED unless the follow-up is still at this version (0: no check).") var expectedVersion: Int64 = 0

    /// The date, or today in China Standard Time.
    var day: String { date ?? ChinaDate.today }
}

extension AlertsCommand {
    /// The alert after a step, as people read it.
    static func describe(_ alert: Taizhang_Risk_V1_Alert, _ language: Language) {
        let zh = language == .zh
        let followUp = alert.followUp
        print("\(alert.ledgerID) \(zh ? alert.kindZh : alert.kind) \(alert.subjectID) \(alert.subjectName)  \(RiskLabels.level(alert.level, language))  "
              + (zh ? followUp.stateZh : followUp.state) + (followUp.overdue ? (zh ? "（逾期）" : " (overdue)") : "")
              + (zh ? "  版本 \(followUp.version)" : "  version \(followUp.version)"))
    }

    /// Reads "名称/类型/SHA-256".
    static func document(_ text: String, option: String) throws -> Taizhang_Ledger_V1_Document {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            printError("\(option) \(text): write 名称/类型/SHA-256 (the SHA-256 of the file, e.g. from sha256sum)")
            throw ExitCode(2)
        }
        return .with { $0.name = parts[0]; $0.kind = parts[1]; $0.sha256 = parts[2] }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One alert with its follow-up and the whole trail of its steps.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The alert: its number or ledger id.") var alert: String

        func run() async throws {
            var request = Taizhang_Risk_V1_GetAlertRequest()
            request.alertID = alert
            try await global.show(RPC.Risk.getAlert, request) { AlertTrail(alert: $0, language: global.language).print() }
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge an alert (签收).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "A note.") var note = ""

        func run() async throws {
            var request = Taizhang_Risk_V1_AcknowledgeAlertRequest()
            (request.alertID, request.date, request.expectedVersion, request.note) = (step.alert, step.day, step.expectedVersion, note)
            try await global.show(RPC.Risk.acknowledgeAlert, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign an acknowledged alert to the person and unit that rectify it (交办).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(name: .customLong("person"), help: "The person who rectifies.") var assignee: String
        @Option(name: .customLong("unit"), help: "The unit that rectifies: its 12-digit admin code.") var unit: String
        @Option(help: "A note.") var note = ""

        func run() async throws {
            var request = Taizhang_Risk_V1_AssignAlertRequest()
            (request.alertID, request.date, request.expectedVersion) = (step.alert, step.day, step.expectedVersion)
            (request.assignee, request.unitCode, request.note) = (assignee, unit, note)
            try await global.show(RPC.Risk.assignAlert, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the rectification plan and its deadline (整改方案).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "The measures (整改措施).") var measures: String
        @Option(help: "The deadline, YYYY-MM-DD.") var deadline: String

        func run() async throws {
            var request = Taizhang_Risk_V1_PlanRectificationRequest()
            (request.alertID, request.date, request.expectedVersion) = (step.alert, step.day, step.expectedVersion)
            (request.measures, request.deadline) = (measures, deadline)
            try await global.show(RPC.Risk.planRectification, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Rectify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the rectification with its evidence (整改).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "What was done.") var note: String
        @Option(name: .customLong("evidence"), help: "A document: 名称/类型/SHA-256 (repeat; at least one).") var evidence: [String] = []

        func run() async throws {
            var request = Taizhang_Risk_V1_RecordRectificationRequest()
            (request.alertID, request.date, request.expectedVersion, request.note) = (step.alert, step.day, step.expectedVersion, note)
            request.evidence = try evidence.map { try AlertsCommand.document($0, option: "--evidence") }
            try await global.show(RPC.Risk.recordRectification, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a rectified alert after checking it (销号).",
            discussion: "Another person than the one who recorded the rectification closes it; a yellow alert needs a talk (约谈) and a red one a decision on accountability (问责) first.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "A note on the check.") var note = ""

        func run() async throws {
            var request = Taizhang_Risk_V1_CloseAlertRequest()
            (request.alertID, request.date, request.expectedVersion, request.note) = (step.alert, step.day, step.expectedVersion, note)
            try await global.show(RPC.Risk.closeAlert, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen a rectified or closed alert whose check failed.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "Why the check failed.") var reason: String
        @Option(help: "A new deadline, YYYY-MM-DD (default: the plan's).") var deadline = ""

        func run() async throws {
            var request = Taizhang_Risk_V1_ReopenAlertRequest()
            (request.alertID, request.date, request.expectedVersion) = (step.alert, step.day, step.expectedVersion)
            (request.reason, request.deadline) = (reason, deadline)
            try await global.show(RPC.Risk.reopenAlert, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Talk: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a talk with the responsible person (约谈提醒).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "Who held the talk.") var interviewer: String
        @Option(help: "Whom they talked to.") var interviewee: String
        @Option(help: "What was said and agreed.") var notes: String

        func run() async throws {
            var request = Taizhang_Risk_V1_RecordTalkRequest()
            (request.alertID, request.date, request.expectedVersion) = (step.alert, step.day, step.expectedVersion)
            (request.interviewer, request.interviewee, request.notes) = (interviewer, interviewee, notes)
            try await global.show(RPC.Risk.recordTalk, request) { AlertsCommand.describe($0, global.language) }
        }
    }

    struct Accountability: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a decision on accountability (问责).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var step: FollowUpStepOptions
        @Option(help: "What was decided, e.g. 通报批评.") var decision: String
        @Option(help: "Who is held to account.") var person: String
        @Option(help: "The decision's document: 名称/类型/SHA-256.") var document: String

        func run() async throws {
            var request = Taizhang_Risk_V1_RecordAccountabilityRequest()
            (request.alertID, request.date, request.expectedVersion) = (step.alert, step.day, step.expectedVersion)
            (request.decision, request.person) = (decision, person)
            request.document = try AlertsCommand.document(document, option: "--document")
            try await global.show(RPC.Risk.recordAccountability, request) { AlertsCommand.describe($0, global.language) }
        }
    }
}

/// An alert's whole trail, for `taizhang alerts show`.
struct AlertTrail {
    let alert: Taizhang_Risk_V1_Alert
    let language: Language

    static let steps: [Column<Taizhang_Risk_V1_FollowUpStep>] = [
        Column("日期", "date") { $0.date }, .label("步骤", "step") { $1 == .zh ? $0.actionZh : $0.action },
        Column("经办人", "person") { $0.person.isEmpty ? "taizhangd" : $0.person }, Column("身份", "identity") { $0.identity },
        Column("说明", "note") { Format.orDash($0.note) },
    ]

    func print() {
        let zh = language == .zh
        let followUp = alert.followUp
        AlertsCommand.describe(alert, language)
        Swift.print(zh ? alert.message : alert.messageEn)
        var lines: [(String, String)] = [
            (zh ? "发生日期" : "raised on", followUp.raisedOn),
            (zh ? "最高级别" : "peak level", RiskLabels.level(followUp.peakLevel, language)),
            (zh ? "责任人" : "assignee", followUp.assignee.isEmpty ? "-" : "\(followUp.assignee)（\(followUp.assigneeUnit)）"),
            (zh ? "整改措施" : "plan", Format.orDash(followUp.plan)),
            (zh ? "整改期限" : "deadline", Format.orDash(followUp.deadline)),
            (zh ? "整改情况" : "rectification", Format.orDash(followUp.rectification)),
        ]
        for document in followUp.evidence { lines.append((zh ? "佐证材料" : "evidence", "\(document.name) \(document.kind) \(document.sha256)")) }
        for talk in followUp.talks { lines.append((zh ? "约谈" : "talk", "\(talk.date) \(talk.interviewer) → \(talk.interviewee)：\(talk.notes)")) }
        for decision in followUp.accountability {
            lines.append((zh ? "问责" : "accountability", "\(decision.date) \(decision.person)：\(decision.decision)（\(decision.document.name) \(decision.document.sha256)）"))
        }
        for escalation in followUp.escalations {
            lines.append((zh ? "逾期上报" : "escalated", "\(escalation.date) \(zh ? escalation.reasonZh : escalation.reason) → \(escalation.toUnit)（\(zh ? "期限" : "due") \(escalation.dueOn)）"))
        }
        for (label, value) in lines { Swift.print("  \(label)：\(value)") }
        if !followUp.steps.isEmpty { Swift.print(Table(Self.steps, followUp.steps, language).render()) }
    }
}
