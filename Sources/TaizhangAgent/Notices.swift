// What the agent delivers: a notice is one alert transition (raised,
// changed, cleared), a repeat of an alert still open, an open alert re-read
// after a lost checkpoint, or one of the agent's own alerts (a daemon
// unreachable and back, a journal head that does not extend the last one).
// Each has an idempotency key that is the same however often the agent
// restarts, so receivers can drop what they already have.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import TaizhangCore

/// How loud a notice is, for routing: the daemon's yellow and red, and the
/// agent's own critical.
public enum NoticeLevel: String, Sendable, Codable, Comparable, CaseIterable {
    case yellow, red, critical

    var rank: Int { self == .yellow ? 0 : self == .red ? 1 : 2 }
    public static func < (a: NoticeLevel, b: NoticeLevel) -> Bool { a.rank < b.rank }

    /// 黄灯, 红灯, 严重.
    public var chinese: String { self == .yellow ? "黄灯" : self == .red ? "红灯" : "严重" }
}

/// One alert transition to deliver.
public struct Notice: Codable, Sendable, Equatable {
    /// The idempotency key: "DAEMON/ALERT_ID/seq-SEQ" for a transition the
    /// daemon recorded; see docs/agent.md for the others.
    public var key: String
    public var daemon: String
    public var daemonTitle: String
    /// The daemon's alert id; 0 for the agent's own alerts.
    public var alertId: Int64
    /// The daemon's event seq; 0 when the notice is not an event.
    public var seq: Int64
    /// raised, changed, cleared; open (re-read after a lost checkpoint);
    /// repeat; daemon_down, daemon_up, head_not_extended, verify_failed, tree_not_consistent.
    public var transition: String
    public var kind: String
    public var kindZh: String
    /// yellow, red, critical; green once cleared.
    public var level: String
    public var previousLevel: String
    public var adminCode: String
    public var subjectKind: String
    public var subjectId: String
    public var subjectName: String
    /// For county staff (Chinese), and the same in English.
    public var message: String
    public var messageEn: String
    /// When the transition happened (RFC 3339).
    public var time: String
    /// The follow-up state in Chinese (待签收 …), when known.
    public var followUp: String

    public init(key: String, daemon: String, daemonTitle: String, alertId: Int64 = 0, seq: Int64 = 0, transition: String, kind: String,
                kindZh: String, level: String, previousLevel: String = "", adminCode: String = "", subjectKind: String = "",
                subjectId: String = "", subjectName: String = "", message: String, messageEn: String, time: String, followUp: String = "") {
        self.key = key
        self.daemon = daemon
        self.daemonTitle = daemonTitle
        self.alertId = alertId
        self.seq = seq
        self.transition = transition
        self.kind = kind
        self.kindZh = kindZh
        self.level = level
        self.previousLevel = previousLevel
        self.adminCode = adminCode
        self.subjectKind = subjectKind
        self.subjectId = subjectId
        self.subjectName = subjectName
        self.message = message
        self.messageEn = messageEn
        self.time = time
        self.followUp = followUp
    }

    /// The level it is routed at: a recovery goes where the alert went.
    public var routeLevel: NoticeLevel {
        NoticeLevel(rawValue: level) ?? NoticeLevel(rawValue: previousLevel) ?? .yellow
    }

    /// The admin code it is routed by: an escalation goes to the unit above.
    public var routeAdminCode: String {
        kind == "escalation" || transition == "escalated" ? AdminCodes.parent(of: adminCode) : adminCode
    }

    /// The township (or, above it, the unit itself) it is grouped under.
    public var township: String { AdminCodes.township(of: adminCode) }
}

/// The structure of the 12-digit admin codes (GB/T 2260 and the statistics
/// codes): province 2, city 2, county 2, township 3, village 3 digits.
public enum AdminCodes {
    /// The township of a village; a township or above stays itself.
    public static func township(of code: String) -> String {
        guard code.count == 12 else { return code }
        let digits = Array(code)
        if digits[9...].allSatisfy({ $0 == "0" }) { return code }
        return String(digits[..<9]) + "000"
    }

    /// The unit directly above: village → township → county → city → province.
    public static func parent(of code: String) -> String {
        guard code.count == 12 else { return code }
        let digits = Array(code)
        for (start, end) in [(9, 12), (6, 9), (4, 6), (2, 4)] where digits[start..<end].contains(where: { $0 != "0" }) {
            return String(digits[..<start]) + String(repeating: "0", count: 12 - start)
        }
        return code
    }

    /// Whether `code` lies in the subtree of `root` (the root's non-zero prefix).
    public static func contains(_ root: String, _ code: String) -> Bool {
        guard root.count == 12 else { return root == code }
        var prefix = Substring(root)
        for end in [2, 4, 6, 9] where root.dropFirst(end).allSatisfy({ $0 == "0" }) {
            prefix = root.prefix(end)
            break
        }
        return code.hasPrefix(prefix)
    }
}

/// A message to one receiver: the notices of one group (one daemon, one
/// township, one kind of transition), at most the receiver's
/// max-alerts-per-message.
public struct NoticeMessage: Codable, Sendable, Equatable {
    public var receiver: String
    public var groupKey: String
    public var notices: [Notice]

    /// The message's idempotency key: the same notices give the same key.
    public var key: String {
        SHA256.hex(Array(notices.map(\.key).joined(separator: "\n").utf8))
    }
}
