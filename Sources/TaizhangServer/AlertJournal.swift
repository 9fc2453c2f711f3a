// Where alert events go for operators: journald through libsystemd
// (sd_journal_sendv, one entry per event with structured fields and the
// kind's MESSAGE_ID), or, with no journald (a laptop, CI), one readable line
// on stderr. Field names are documented in docs/risk.md.

import CSystemd
import Foundation
import TaizhangCore
import TaizhangStore

/// Receives every alert event after it is stored.
protocol AlertSink: Sendable {
    func emit(_ event: AlertEvent)
    /// An overdue follow-up escalated to the unit above, after the ledger recorded it.
    func escalate(_ record: AlertCase, _ escalation: AlertEscalation)
    /// "journald" or "stderr".
    var name: String { get }
}

/// Where alerts go (`--alerts-to`).
public enum AlertDestination: String, Sendable, CaseIterable {
    /// journald when its socket exists, stderr otherwise.
    case auto
    case journald
    case stderr
}

enum AlertSinks {
    /// journald's native socket; libsystemd sends there and reports success
    /// even when it is missing, so its presence decides.
    static let journalSocket = "/run/systemd/journal/socket"

    static func make(_ destination: AlertDestination) -> any AlertSink {
        switch destination {
        case .journald: return JournaldAlertSink()
        case .stderr: return StderrAlertSink()
        case .auto: return FileManager.default.fileExists(atPath: journalSocket) ? JournaldAlertSink() : StderrAlertSink()
        }
    }

    /// The journal fields of an event, in order; MESSAGE first.
    static func fields(_ event: AlertEvent) -> [(String, String)] {
        let alert = event.alert
        var fields: [(String, String)] = [
            ("MESSAGE", event.chineseMessage),
            ("MESSAGE_ID", event.type == .cleared ? alert.kind.recoveryMessageId : alert.kind.messageId),
            ("PRIORITY", String(priority(event))),
            ("SYSLOG_IDENTIFIER", "taizhangd"),
            ("TAIZHANG_EVENT", event.type.rawValue),
            ("TAIZHANG_EVENT_SEQ", String(event.seq)),
            ("TAIZHANG_ALERT_ID", String(alert.id)),
            ("TAIZHANG_KIND", alert.kind.rawValue),
            ("TAIZHANG_LEVEL", event.type == .cleared ? "green" : alert.level.rawValue),
            ("TAIZHANG_PREVIOUS_LEVEL", event.previousLevel.rawValue),
            ("TAIZHANG_SUBJECT_KIND", alert.kind.subjectKind),
            ("TAIZHANG_\(alert.kind.subjectKind.uppercased())_ID", alert.subjectId),
            ("TAIZHANG_SUBJECT_NAME", alert.subjectName),
            ("TAIZHANG_ADMIN_CODE", alert.adminCode),
        ]
        if AdminUnitRules.isDivisionCode(alert.adminCode) {
            fields.append(("TAIZHANG_COUNTY_CODE", String(alert.adminCode.prefix(6)) + "000000"))
            if alert.adminCode.dropFirst(6).prefix(3) != "000" {
                fields.append(("TAIZHANG_TOWNSHIP_CODE", String(alert.adminCode.prefix(9)) + "000"))
            }
        }
        if alert.score >= 0 { fields.append(("TAIZHANG_SCORE", String(alert.score))) }
        if !alert.quarter.isEmpty { fields.append(("TAIZHANG_QUARTER", alert.quarter)) }
        if !alert.parts.isEmpty {
            fields.append(("TAIZHANG_PARTS", alert.parts.map { "\($0.part.rawValue)=\($0.score)/w\($0.weight)" }.joined(separator: " ")))
            for part in alert.parts {
                fields.append(("TAIZHANG_PART_\(part.part.rawValue.uppercased())", String(part.score)))
            }
        }
        fields.append(("TAIZHANG_REASONS", alert.reasons.map(\.chinese).joined(separator: "；")))
        fields.append(("TAIZHANG_REASON_CODES", alert.reasons.map(\.code).joined(separator: ",")))
        fields.append(("TAIZHANG_MESSAGE_EN", event.englishMessage))
        return fields
    }

    /// MESSAGE_ID of an escalation (the catalog explains it).
    static let escalationMessageId = "fa0708258f9047f7bee8998102786854"

    /// The escalation's message in Chinese and English.
    static func escalationMessages(_ record: AlertCase, _ escalation: AlertEscalation) -> (zh: String, en: String) {
        let subject = "\(record.subjectName)（\(record.subjectId)）"
        switch escalation.reason {
        case .unacknowledged:
            return ("【逾期上报→\(escalation.toUnit)】\(record.kind.chineseName)\(record.id)：\(subject)的\(record.peakLevel.chineseName)预警至\(escalation.dueOn)仍未签收，请上级单位督办。",
                    "[escalated to \(escalation.toUnit)] \(record.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(record.id): the \(record.peakLevel.rawValue) alert on \(record.subjectName) (\(record.subjectId)) was not acknowledged by \(escalation.dueOn).")
        case .rectificationOverdue:
            return ("【逾期上报→\(escalation.toUnit)】\(record.kind.chineseName)\(record.id)：\(subject)的整改期限\(escalation.dueOn)已过仍未整改完成（责任人\(record.assignee)），请上级单位督办。",
                    "[escalated to \(escalation.toUnit)] \(record.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(record.id): the rectification on \(record.subjectName) (\(record.subjectId)) was due \(escalation.dueOn) and is not done (assignee \(record.assignee)).")
        }
    }

    /// The journal fields of an escalation, in order; MESSAGE first.
    static func fields(_ record: AlertCase, _ escalation: AlertEscalation) -> [(String, String)] {
        let messages = escalationMessages(record, escalation)
        return [
            ("MESSAGE", messages.zh),
            ("MESSAGE_ID", escalationMessageId),
            ("PRIORITY", record.peakLevel == .red ? "3" : "4"),
            ("SYSLOG_IDENTIFIER", "taizhangd"),
            ("TAIZHANG_EVENT", "escalated"),
            ("TAIZHANG_ALERT_ID", String(record.alertId)),
            ("TAIZHANG_LEDGER_ID", record.id),
            ("TAIZHANG_KIND", record.kind.rawValue),
            ("TAIZHANG_LEVEL", record.peakLevel.rawValue),
            ("TAIZHANG_SUBJECT_KIND", record.kind.subjectKind),
            ("TAIZHANG_\(record.kind.subjectKind.uppercased())_ID", record.subjectId),
            ("TAIZHANG_ADMIN_CODE", record.adminCode),
            ("TAIZHANG_ESCALATION_REASON", escalation.reason.rawValue),
            ("TAIZHANG_ESCALATED_TO", escalation.toUnit),
            ("TAIZHANG_DUE_ON", escalation.dueOn.description),
            ("TAIZHANG_FOLLOW_UP_STATE", record.state.rawValue),
            ("TAIZHANG_MESSAGE_EN", messages.en),
        ]
    }

    /// red → err (3), yellow → warning (4), a recovery → notice (5).
    static func priority(_ event: AlertEvent) -> Int {
        if event.type == .cleared { return 5 }
        return event.alert.level == .red ? 3 : 4
    }
}

/// Sends each event to journald with sd_journal_sendv.
struct JournaldAlertSink: AlertSink {
    var name: String { "journald" }

    func emit(_ event: AlertEvent) {
        let result = Journal.send(AlertSinks.fields(event))
        if result < 0 { DaemonLog.error("journald refused alert event \(event.seq): error \(-result)") }
    }

    func escalate(_ record: AlertCase, _ escalation: AlertEscalation) {
        let result = Journal.send(AlertSinks.fields(record, escalation))
        if result < 0 { DaemonLog.error("journald refused the escalation of \(record.id): error \(-result)") }
    }
}

/// Writes each event as one line on stderr.
struct StderrAlertSink: AlertSink {
    var name: String { "stderr" }

    func emit(_ event: AlertEvent) {
        let alert = event.alert
        var line = "\(event.time) taizhangd alert \(event.type.rawValue) level=\(event.type == .cleared ? "green" : alert.level.rawValue)"
        line += " kind=\(alert.kind.rawValue) \(alert.kind.subjectKind)=\(alert.subjectId) admin=\(alert.adminCode)"
        if alert.score >= 0 { line += " score=\(alert.score)" }
        if !alert.quarter.isEmpty { line += " quarter=\(alert.quarter)" }
        line += " message_id=\(event.type == .cleared ? alert.kind.recoveryMessageId : alert.kind.messageId): "
        line += event.chineseMessage.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func escalate(_ record: AlertCase, _ escalation: AlertEscalation) {
        var line = "\(escalation.at) taizhangd alert escalated level=\(record.peakLevel.rawValue) kind=\(record.kind.rawValue) alert=\(record.id)"
        line += " reason=\(escalation.reason.rawValue) to=\(escalation.toUnit) due=\(escalation.dueOn) message_id=\(AlertSinks.escalationMessageId): "
        line += AlertSinks.escalationMessages(record, escalation).zh + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
