// What the agent shows: the state as JSON (GET /api/state, the dashboard's
// server-sent events and status.json), /metrics in the Prometheus text
// format per daemon and township, and the dashboard page itself.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import TaizhangCore

public enum AgentViews {
    /// Most open alerts of one daemon put in the state (the worst first).
    static let alertsShownMax = 500

    public static func stateJSON(_ agent: Agent) -> String {
        let views = agent.views.withLock { $0 }
        var daemons: [JSONOut] = []
        var units: [JSONOut] = []
        var alerts: [JSONOut] = []
        for daemon in agent.configuration.daemons {
            guard let view = views[daemon.name] else { continue }
            daemons.append(daemonJSON(view))
            for unit in view.units {
                units.append(.object([("daemon", .string(view.name)), ("id", .string(unit.id)), ("name", .string(unit.name)),
                                      ("kind", .string(unit.kind)), ("light", .string(unit.light)), ("quarter", .string(unit.quarter))]))
            }
            let sorted = view.alerts.values.sorted { ($0.level == "red" ? 0 : 1, $1.raisedAt, $1.id) < ($1.level == "red" ? 0 : 1, $0.raisedAt, $0.id) }
            for alert in sorted.prefix(alertsShownMax) {
                alerts.append(.object([
                    ("daemon", .string(view.name)), ("id", .int(alert.id)), ("kind", .string(alert.kind)), ("kind_zh", .string(alert.kindZh)),
                    ("level", .string(alert.level)), ("admin_code", .string(alert.adminCode)), ("subject_id", .string(alert.subjectId)),
                    ("subject_name", .string(alert.subjectName)), ("message", .string(alert.message)), ("raised_at", .string(alert.raisedAt)),
                    ("follow_up", .string(alert.followUp)), ("overdue", .bool(alert.overdue)),
                ]))
            }
        }
        let stats = agent.stats.withLock { $0 }
        let receivers: [JSONOut] = agent.configuration.receivers.map { receiver in
            let stat = stats[receiver.name] ?? DeliveryStats()
            return .object([("name", .string(receiver.name)), ("type", .string(receiver.kind.rawValue)),
                            ("pending", .int(agent.spools[receiver.name]?.pending ?? 0)), ("delivered", .int(stat.delivered)),
                            ("failed", .int(stat.failed)), ("last_error", .string(stat.lastError)), ("last_delivered", .string(stat.lastDelivered))])
        }
        return JSONOut.object([("generated_at", .string(agent.nowText)), ("daemons", .array(daemons)), ("units", .array(units)),
                               ("alerts", .array(alerts)), ("receivers", .array(receivers)),
                               ("silenced", .int(agent.silenced.load(ordering: .relaxed)))]).text
    }

    static func daemonJSON(_ view: DaemonView) -> JSONOut {
        var verify = JSONOut.null
        if let check = view.verify {
            verify = .object([("at", .string(check.at)), ("intact", .bool(check.intact)), ("head_seq", .int(Int64(clamping: check.headSeq))),
                              ("head_hash", .string(check.headHash)), ("problem", .string(check.problem))])
        }
        return .object([
            ("name", .string(view.name)), ("title", .string(view.title)), ("up", .bool(view.up)), ("serving", .bool(view.serving)),
            ("version", .string(view.version)), ("last_poll", .string(view.lastPoll)), ("error", .string(view.error)),
            ("open", .object([("red", .int(view.openByLevel["red"] ?? 0)), ("yellow", .int(view.openByLevel["yellow"] ?? 0))])),
            ("checkpoint", .int(view.checkpoint)), ("verify", verify),
        ])
    }

    /// /metrics: per daemon (up, checkpoint, last verification), per
    /// township (open alerts by level), per unit (its light), per receiver.
    public static func metrics(_ agent: Agent) -> String {
        let views = agent.views.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func label(_ value: String) -> String {
            value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
        }
        let daemons = agent.configuration.daemons.compactMap { views[$0.name] }
        family("taizhang_agent_daemon_up", "gauge", "1 when the daemon answered the last poll and serves")
        for view in daemons { out += "taizhang_agent_daemon_up{daemon=\"\(label(view.name))\"} \(view.up && view.serving ? 1 : 0)\n" }
        family("taizhang_agent_checkpoint_seq", "gauge", "The seq of the daemon's last alert event spooled")
        for view in daemons { out += "taizhang_agent_checkpoint_seq{daemon=\"\(label(view.name))\"} \(view.checkpoint)\n" }
        family("taizhang_agent_open_alerts", "gauge", "Open alerts by township and level")
        for view in daemons {
            struct Key: Hashable, Comparable {
                let township: String, level: String
                static func < (a: Key, b: Key) -> Bool { (a.township, a.level) < (b.township, b.level) }
            }
            var counts: [Key: Int] = [:]
            for alert in view.alerts.values { counts[Key(township: AdminCodes.township(of: alert.adminCode), level: alert.level), default: 0] += 1 }
            for (key, count) in counts.sorted(by: { $0.key < $1.key }) {
                out += "taizhang_agent_open_alerts{daemon=\"\(label(view.name))\",township=\"\(label(key.township))\",level=\"\(label(key.level))\"} \(count)\n"
            }
        }
        family("taizhang_agent_unit_light", "gauge", "1 for each responsible unit's light of the latest judged quarter")
        for view in daemons {
            for unit in view.units {
                out += "taizhang_agent_unit_light{daemon=\"\(label(view.name))\",unit=\"\(label(unit.id))\",quarter=\"\(label(unit.quarter))\",light=\"\(unit.light)\"} 1\n"
            }
        }
        family("taizhang_agent_last_verify_timestamp_seconds", "gauge", "When the daemon's journal was last verified")
        family("taizhang_agent_last_verify_intact", "gauge", "1 when the last verification found the ledger intact")
        for view in daemons {
            guard let verify = view.verify, let at = AgentTime.parse(verify.at) else { continue }
            out += "taizhang_agent_last_verify_timestamp_seconds{daemon=\"\(label(view.name))\"} \(Int(at.timeIntervalSince1970))\n"
            out += "taizhang_agent_last_verify_intact{daemon=\"\(label(view.name))\"} \(verify.intact ? 1 : 0)\n"
        }
        let stats = agent.stats.withLock { $0 }
        family("taizhang_agent_spool_pending", "gauge", "Messages waiting in a receiver's spool")
        for receiver in agent.configuration.receivers {
            out += "taizhang_agent_spool_pending{receiver=\"\(label(receiver.name))\"} \(agent.spools[receiver.name]?.pending ?? 0)\n"
        }
        family("taizhang_agent_deliveries_total", "counter", "Messages sent to a receiver, by result")
        for receiver in agent.configuration.receivers {
            let stat = stats[receiver.name] ?? DeliveryStats()
            out += "taizhang_agent_deliveries_total{receiver=\"\(label(receiver.name))\",result=\"ok\"} \(stat.delivered)\n"
            out += "taizhang_agent_deliveries_total{receiver=\"\(label(receiver.name))\",result=\"failed\"} \(stat.failed)\n"
        }
        family("taizhang_agent_notices_silenced_total", "counter", "Notices a silence held back")
        out += "taizhang_agent_notices_silenced_total \(agent.silenced.load(ordering: .relaxed))\n"
        return out
    }
}

extension Agent {
    /// The agent's HTTP answers.
    func route(method: String, uri: String) -> HTTPRoute {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        switch path {
        case "/", "/index.html":
            return .reply(HTTPReply(status: 200, contentType: "text/html; charset=utf-8", body: Array(DashboardPage.html.utf8)))
        case "/api/state":
            return .reply(HTTPReply(status: 200, contentType: "application/json", body: Array(AgentViews.stateJSON(self).utf8)))
        case "/metrics":
            return .reply(HTTPReply(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(AgentViews.metrics(self).utf8)))
        case "/events":
            return .eventStream(first: "retry: 2000\nevent: state\ndata: " + AgentViews.stateJSON(self) + "\n\n")
        case "/healthz":
            return .reply(HTTPReply(status: 200, contentType: "text/plain", body: Array("ok\n".utf8)))
        default:
            return .reply(HTTPReply(status: 404, contentType: "text/plain; charset=utf-8", body: Array("not found: GET /, /api/state, /events, /metrics or /healthz\n".utf8)))
        }
    }

    /// Writes status.json for `taizhang-agent status` (not synced: it is a view).
    func writeStatus() {
        let path = configuration.stateDirectory + "/status.json"
        try? Data(AgentViews.stateJSON(self).utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        rename(path + ".tmp", path)
    }
}
