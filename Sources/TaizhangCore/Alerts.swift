// Alerts as records, and the one rule of their life cycle: raised once when
// a level is entered, raised again only when the level changes, cleared with
// a recovery entry when the cause goes away. `AlertBook.changes` compares
// the open alerts with what the rules say now; the monitor stores the result.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

/// One alert: from the moment it is raised until it is cleared.
public struct AlertRecord: Sendable, Hashable {
    /// Given by the alert store, increasing.
    public var id: Int64
    public var kind: AlertKind
    public var subjectId: String
    public var subjectName: String
    public var adminCode: String
    /// yellow or red (the last level while open; the last before clearing once cleared).
    public var level: AlertLevel
    public var score: Int
    public var quarter: String
    public var parts: [RiskPartScore]
    public var reasons: [RiskReason]
    /// RFC 3339 times.
    public var raisedAt: String
    public var changedAt: String
    /// Empty while open.
    public var clearedAt: String

    /// A record.
    public init(id: Int64, kind: AlertKind, subjectId: String, subjectName: String, adminCode: String, level: AlertLevel, score: Int,
                quarter: String, parts: [RiskPartScore], reasons: [RiskReason], raisedAt: String, changedAt: String, clearedAt: String) {
        self.id = id
        self.kind = kind
        self.subjectId = subjectId
        self.subjectName = subjectName
        self.adminCode = adminCode
        self.level = level
        self.score = score
        self.quarter = quarter
        self.parts = parts
        self.reasons = reasons
        self.raisedAt = raisedAt
        self.changedAt = changedAt
        self.clearedAt = clearedAt
    }

    public var isOpen: Bool { clearedAt.isEmpty }
    /// One open alert per kind and subject (`AlertKind.key(of:)`).
    public var key: String { kind.key(of: subjectId) }

    /// Whether `condition` (of this alert's key and level) says anything
    /// else than the record: its score, reasons, quarter, subject or parts.
    func differs(from condition: AlertCondition) -> Bool {
        score != condition.score || reasons != condition.reasons || quarter != condition.quarter
            || subjectName != condition.subjectName || adminCode != condition.adminCode || parts != condition.parts
    }

    /// The record taking `condition`'s details.
    public func updated(with condition: AlertCondition) -> AlertRecord {
        var copy = self
        copy.subjectName = condition.subjectName
        copy.adminCode = condition.adminCode
        copy.level = condition.level
        copy.score = condition.score
        copy.quarter = condition.quarter
        copy.parts = condition.parts
        copy.reasons = condition.reasons
        return copy
    }
}

/// What happened to an alert.
public enum AlertEventType: String, Sendable, CaseIterable {
    case raised, changed, cleared
    /// Its follow-up was overdue and the daemon escalated it to the unit
    /// above (issue 20); the alert itself is unchanged.
    case escalated
}

/// An entry of the alert history: what WatchAlerts streams and journald gets.
public struct AlertEvent: Sendable, Hashable {
    /// Increasing, given by the alert store.
    public var seq: Int64
    public var type: AlertEventType
    /// The alert after the event.
    public var alert: AlertRecord
    /// The level before (green when raised).
    public var previousLevel: AlertLevel
    public var time: String

    /// An event.
    public init(seq: Int64, type: AlertEventType, alert: AlertRecord, previousLevel: AlertLevel, time: String) {
        self.seq = seq
        self.type = type
        self.alert = alert
        self.previousLevel = previousLevel
        self.time = time
    }

    /// The message county staff read, in Chinese.
    public var chineseMessage: String {
        let alert = self.alert
        let subject = "\(alert.subjectName)（\(alert.subjectId)）"
        let reasons = alert.reasons.map(\.chinese).joined(separator: "；")
        switch type {
        case .raised:
            return "【\(alert.level.chineseName)】\(alert.kind.chineseName)：\(subject)\(alert.score >= 0 ? "，评分\(alert.score)分" : "")。\(reasons)"
        case .changed:
            return "【\(previousLevel.chineseName)→\(alert.level.chineseName)】\(alert.kind.chineseName)：\(subject)\(alert.score >= 0 ? "，评分\(alert.score)分" : "")。\(reasons)"
        case .cleared:
            return "【已解除】\(alert.kind.chineseName)：\(subject)，原\(alert.level.chineseName)预警已解除。"
        case .escalated:
            return "【逾期升级】\(alert.kind.chineseName)：\(subject)的\(alert.level.chineseName)预警逾期未处置，已报上级督办。"
        }
    }

    /// The same message in English.
    public var englishMessage: String {
        let alert = self.alert
        let subject = "\(alert.subjectName) (\(alert.subjectId))"
        let reasons = alert.reasons.map(\.english).joined(separator: "; ")
        let kind = alert.kind.rawValue.replacingUnderscores
        switch type {
        case .raised:
            return "[\(alert.level.rawValue)] \(kind): \(subject)\(alert.score >= 0 ? ", score \(alert.score)" : ""). \(reasons)"
        case .changed:
            return "[\(previousLevel.rawValue) -> \(alert.level.rawValue)] \(kind): \(subject)\(alert.score >= 0 ? ", score \(alert.score)" : ""). \(reasons)"
        case .cleared:
            return "[recovered] \(kind): \(subject); the \(alert.level.rawValue) alert is cleared."
        case .escalated:
            return "[escalated] \(kind): \(subject); the \(alert.level.rawValue) alert's follow-up is overdue and went to the unit above."
        }
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}

/// The changes a run makes to the open alerts.
public struct AlertChanges: Sendable {
    /// New alerts (none was open for the key).
    public var raise: [AlertCondition] = []
    /// Open alerts whose level changed.
    public var change: [(AlertRecord, AlertCondition)] = []
    /// Open alerts at the same level whose details changed (score, reasons):
    /// stored quietly, no new entry.
    public var refresh: [(AlertRecord, AlertCondition)] = []
    /// Open alerts whose cause went away.
    public var clear: [AlertRecord] = []

    public var isEmpty: Bool { raise.isEmpty && change.isEmpty && refresh.isEmpty && clear.isEmpty }

    /// No changes.
    public init() {}
}

/// The alert life cycle.
public enum AlertBook {
    /// Conditions compared in one piece of a parallel comparison.
    static let sliceSize = 8_192

    /// Compares the open alerts (by key) with the conditions that hold now.
    /// `scope` limits the comparison: open alerts whose key it rejects are
    /// left alone (a run that looked at only some subjects). `candidates`,
    /// when given, are the only keys that can be in scope: the open alerts
    /// are then looked up by them instead of walked.
    public static func changes(open: [String: AlertRecord], now conditions: [AlertCondition],
                               scope: (AlertRecord) -> Bool = { _ in true }, candidates: [String]? = nil) -> AlertChanges {
        // The first condition of each key counts; a whole-ledger run has
        // one per open alert and more, so the comparisons run in slices on
        // every core, each slice's changes joined in order.
        var seen: Set<String> = []
        seen.reserveCapacity(conditions.count)
        var firsts: [(index: Int, key: String)] = []
        firsts.reserveCapacity(conditions.count)
        for (index, condition) in conditions.enumerated() where condition.level != .green {
            let key = condition.key
            if seen.insert(key).inserted { firsts.append((index, key)) }
        }
        let slices = stride(from: 0, to: firsts.count, by: sliceSize).map { $0..<min($0 + sliceSize, firsts.count) }
        let parts = Mutex([(changes: AlertChanges, found: Int)](repeating: (AlertChanges(), 0), count: slices.count))
        let keyed = firsts
        let compare: @Sendable (Int) -> Void = { slice in
            var part = AlertChanges()
            var foundOpen = 0
            for (index, key) in keyed[slices[slice]] {
                let condition = conditions[index]
                // The record is read in place: a copy of each of the open
                // alerts (its texts retained and released) cost a whole-
                // ledger run a tenth of its comparing.
                if let found = open.index(forKey: key) {
                    foundOpen += 1
                    if open.values[found].level != condition.level {
                        part.change.append((open.values[found], condition))
                    } else if open.values[found].differs(from: condition) {
                        part.refresh.append((open.values[found], condition))
                    }
                } else {
                    part.raise.append(condition)
                }
            }
            parts.withLock { $0[slice] = (part, foundOpen) }
        }
        if slices.count > 1 {
            DispatchQueue.concurrentPerform(iterations: slices.count, execute: compare)
        } else {
            for slice in slices.indices { compare(slice) }
        }
        var changes = AlertChanges()
        var foundOpen = 0
        for (part, found) in parts.withLock({ $0 }) {
            changes.raise += part.raise
            changes.change += part.change
            changes.refresh += part.refresh
            foundOpen += found
        }
        if foundOpen == open.count {
            // Every open alert still holds: none to clear, and no walk of them.
        } else if let candidates {
            for key in candidates where !seen.contains(key) {
                if let record = open[key], scope(record) { changes.clear.append(record) }
            }
        } else {
            for key in open.keys where !seen.contains(key) {
                if let record = open[key], scope(record) { changes.clear.append(record) }
            }
        }
        changes.clear.sort { $0.id < $1.id }
        return changes
    }
}
