// What each receiver gets, pure: the webhook's JSON body (docs/agent.md),
// the robots' markdown (企业微信 and 钉钉 group robots: at most 4,096
// bytes of content), 钉钉's signature (加签), and the journald fields.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import TaizhangCore

public enum ReceiverFormats {
    /// The agent's journald MESSAGE_IDs (systemd/taizhang-agent.catalog).
    public enum MessageID {
        public static let relayed = "3f0c9d5e27b44a7d9a0f6c1b8e2d4a61"
        public static let daemonDown = "8b1e6f3a9c2d4e5f8a7b6c5d4e3f2a19"
        public static let daemonUp = "5d2c8e1f7a9b4c3d8e6f5a4b3c2d1e08"
        public static let headNotExtended = "c4a1f7e2b9d84c6e9f3a2b1c0d9e8f77"
        public static let verifyFailed = "e7b2c9d4a1f64e8b9c3d2a1f0e9b8c66"
        public static let treeNotConsistent = "80592bc762fa4f329854f39085023f01"

        public static func of(_ notice: Notice) -> String {
            switch notice.transition {
            case "daemon_down": return daemonDown
            case "daemon_up": return daemonUp
            case "head_not_extended": return headNotExtended
            case "verify_failed": return verifyFailed
            case "tree_not_consistent": return treeNotConsistent
            default: return relayed
            }
        }
    }

    /// The webhook's body: {"version": 1, "receiver", "group_key",
    /// "message_key", "alerts": [...]}, each alert with its own key.
    public static func webhookBody(_ message: NoticeMessage) -> [UInt8] {
        var alerts: [JSONOut] = []
        for notice in message.notices {
            alerts.append(.object([
                ("key", .string(notice.key)), ("daemon", .string(notice.daemon)), ("daemon_title", .string(notice.daemonTitle)),
                ("alert_id", .int(notice.alertId)), ("seq", .int(notice.seq)), ("transition", .string(notice.transition)),
                ("kind", .string(notice.kind)), ("kind_zh", .string(notice.kindZh)), ("level", .string(notice.level)),
                ("previous_level", .string(notice.previousLevel)), ("admin_code", .string(notice.adminCode)),
                ("subject_kind", .string(notice.subjectKind)), ("subject_id", .string(notice.subjectId)),
                ("subject_name", .string(notice.subjectName)), ("message", .string(notice.message)),
                ("message_en", .string(notice.messageEn)), ("time", .string(notice.time)), ("follow_up", .string(notice.followUp)),
            ]))
        }
        let body = JSONOut.object([
            ("version", .int(1)), ("receiver", .string(message.receiver)), ("group_key", .string(message.groupKey)),
            ("message_key", .string(message.key)), ("alerts", .array(alerts)),
        ])
        return Array(body.text.utf8)
    }

    /// The robots' markdown: a title line, then one line per alert; cut
    /// (with how many were left out) to stay under `limit` bytes.
    public static func markdown(_ message: NoticeMessage, limit: Int = 4000) -> (title: String, text: String) {
        guard let first = message.notices.first else { return ("", "") }
        let count = message.notices.count
        let what = first.transition == "cleared" ? "预警解除" : first.transition == "repeat" ? "预警仍未解除" : "预警"
        let title = count == 1 ? "【\(first.daemonTitle)】\(first.kindZh)\(what)" : "【\(first.daemonTitle)】\(AdminCodes.township(of: first.adminCode)) \(count) 条\(what)"
        var text = "### " + title + "\n"
        for (index, notice) in message.notices.enumerated() {
            let line = "- " + notice.message.replacing("\n", with: " ") + "\n"
            let tail = "\n…另有 \(count - index) 条，详见台账监测页面\n"
            if text.utf8.count + line.utf8.count + tail.utf8.count > limit {
                text += tail
                break
            }
            text += line
        }
        return (title, text)
    }

    public static func wecomBody(_ message: NoticeMessage) -> [UInt8] {
        let (_, text) = markdown(message)
        return Array(JSONOut.object([("msgtype", .string("markdown")), ("markdown", .object([("content", .string(text))]))]).text.utf8)
    }

    public static func dingtalkBody(_ message: NoticeMessage) -> [UInt8] {
        let (title, text) = markdown(message)
        return Array(JSONOut.object([("msgtype", .string("markdown")),
                                       ("markdown", .object([("title", .string(title)), ("text", .string(text))]))]).text.utf8)
    }

    /// 钉钉's signed URL: timestamp (ms) and sign = Base64(HMAC-SHA256(secret,
    /// "timestamp\nsecret")), URL-encoded.
    public static func dingtalkSignedURL(_ url: String, secret: String, timestampMillis: Int64) -> String {
        let mac = HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestampMillis)\n\(secret)".utf8))
        let sign = Data(mac).base64EncodedString()
        let encoded = percentEncoded(sign)
        return url + (url.contains("?") ? "&" : "?") + "timestamp=\(timestampMillis)&sign=\(encoded)"
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A robot's answer: {"errcode": 0, "errmsg": "ok"}.
    struct RobotAnswer: Decodable {
        let errcode: Int?
        let errmsg: String?
    }

    /// Whether a robot's answer says the message was taken: HTTP 2xx and
    /// "errcode": 0 (both robots answer 200 with an errcode).
    public static func robotAccepted(status: Int, body: [UInt8]) -> (ok: Bool, reason: String) {
        guard (200..<300).contains(status) else { return (false, "HTTP \(status)") }
        let text = String(decoding: body, as: UTF8.self)
        guard let answer = try? JSONDecoder().decode(RobotAnswer.self, from: Data(body)), let code = answer.errcode else {
            return (false, "no errcode in the answer: \(text.prefix(200))")
        }
        return code == 0 ? (true, "") : (false, "errcode \(code): \(answer.errmsg ?? "")")
    }

    /// A robot's errcode, when its answer has one.
    public static func robotErrorCode(_ body: [UInt8]) -> Int? {
        (try? JSONDecoder().decode(RobotAnswer.self, from: Data(body)))?.errcode
    }

    /// The journal fields of one notice; MESSAGE first.
    public static func journalFields(_ notice: Notice) -> [(String, String)] {
        let priority: String
        switch notice.routeLevel {
        case .critical: priority = "2"
        case .red: priority = notice.transition == "cleared" || notice.transition == "daemon_up" ? "5" : "3"
        case .yellow: priority = notice.transition == "cleared" ? "5" : "4"
        }
        return [
            ("MESSAGE", notice.message), ("MESSAGE_ID", MessageID.of(notice)), ("PRIORITY", priority),
            ("SYSLOG_IDENTIFIER", "taizhang-agent"), ("TAIZHANG_AGENT_KEY", notice.key), ("TAIZHANG_DAEMON", notice.daemon),
            ("TAIZHANG_TRANSITION", notice.transition), ("TAIZHANG_ALERT_ID", String(notice.alertId)), ("TAIZHANG_ALERT_KIND", notice.kind),
            ("TAIZHANG_LEVEL", notice.level), ("TAIZHANG_ADMIN_CODE", notice.adminCode), ("TAIZHANG_SUBJECT_ID", notice.subjectId),
            ("TAIZHANG_MESSAGE_EN", notice.messageEn),
        ]
    }
}

/// A small JSON writer with keys in the order given.
indirect enum JSONOut {
    case string(String), int(Int64), bool(Bool), null, array([JSONOut]), object([(String, JSONOut)])

    static func int(_ value: Int) -> JSONOut { .int(Int64(value)) }

    var text: String {
        switch self {
        case .string(let value): return JSONOut.quote(value)
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { JSONOut.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 { out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
