// taizhang-agent.conf: the daemons the agent watches, its receivers and
// routes. The format of taizhangd.conf (KEY = VALUE lines, "#" comments, a
// value in double quotes), with sections: [daemon NAME], [receiver NAME]
// and [route] (tried in order). Every problem of a file is reported at once,
// with its line; a file with any problem is refused whole.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import TaizhangCore

/// One daemon the agent watches.
public struct WatchedDaemon: Sendable, Equatable {
    public var name: String
    /// Shown on the dashboard and in messages ("示范县"); default: the name.
    public var title: String
    public var unixPath: String?
    public var tcp: (host: String, port: Int)?
    public var tlsCAFile: String?
    public var tlsServerName: String?
    public var tokenFile: String?
    /// The admin code the agent's own alerts about this daemon carry (its
    /// county), for routing; empty: none.
    public var adminCode: String
    /// The key the daemon signs its tree heads with (`taizhang audit key`):
    /// heads it does not verify are reported. Nil: the first key seen is
    /// kept, and a head signed by another is reported.
    public var treeHeadKey: Ed25519PublicKey? = nil

    public static func == (a: WatchedDaemon, b: WatchedDaemon) -> Bool {
        a.name == b.name && a.title == b.title && a.unixPath == b.unixPath && a.tcp?.host == b.tcp?.host && a.tcp?.port == b.tcp?.port
            && a.tlsCAFile == b.tlsCAFile && a.tlsServerName == b.tlsServerName && a.tokenFile == b.tokenFile && a.adminCode == b.adminCode
            && a.treeHeadKey == b.treeHeadKey
    }
}

/// Where notifications go.
public struct Receiver: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The local journal: one entry per alert, structured fields.
        case journald
        /// An HTTP POST of the documented JSON body (docs/agent.md).
        case webhook
        /// A 企业微信 (WeCom) group robot: markdown messages.
        case wecom
        /// A 钉钉 (DingTalk) group robot: markdown messages, optionally signed.
        case dingtalk
    }
    public var name: String
    public var kind: Kind
    public var url: String
    /// webhook: a file holding a bearer token sent as Authorization.
    public var tokenFile: String?
    /// dingtalk: a file holding the robot's signing secret (加签).
    public var secretFile: String?
    public var tlsCAFile: String?
    public var timeoutMillis: Int
    /// Most alerts in one message; a larger group is split.
    public var maxAlertsPerMessage: Int
}

/// A route: which alerts go to a receiver.
public struct Route: Sendable, Equatable {
    public var receiver: String
    /// Only this daemon's alerts; nil: any.
    public var daemon: String?
    /// Only alerts in this admin subtree (by code prefix); nil: any.
    public var adminCode: String?
    /// Only these kinds; empty: any.
    public var kinds: Set<String>
    /// Only alerts at or above this level.
    public var minLevel: NoticeLevel
    /// Keep trying the routes after this one when it matched.
    public var continues: Bool
    /// Where the route was written (file:line), for test-route.
    public var origin: String
}

/// The agent's settings.
public struct AgentConfiguration: Sendable, Equatable {
    public var stateDirectory = "/var/lib/taizhang-agent"
    /// host:port of the dashboard and /metrics; nil: none.
    public var listen: (host: String, port: Int)? = nil
    public var pollIntervalSeconds = 30
    public var groupWaitMillis = 2000
    /// Repeat a notification for an alert still open after this long; 0: never.
    public var repeatIntervalSeconds = 4 * 3600
    /// The nightly verification, China Standard Time ("03:00").
    public var verifyAt = (hour: 3, minute: 0)
    /// Also verify this often (tests, small ledgers); 0: nightly only.
    public var verifyIntervalSeconds = 0
    /// Largest size of a receiver's spool; past it the oldest messages are dropped (and said so).
    public var spoolMaxBytes = 256 << 20
    public var daemons: [WatchedDaemon] = []
    public var receivers: [Receiver] = []
    public var routes: [Route] = []

    public init() {}

    public static func == (a: AgentConfiguration, b: AgentConfiguration) -> Bool {
        a.stateDirectory == b.stateDirectory && a.listen?.host == b.listen?.host && a.listen?.port == b.listen?.port
            && a.pollIntervalSeconds == b.pollIntervalSeconds && a.groupWaitMillis == b.groupWaitMillis
            && a.repeatIntervalSeconds == b.repeatIntervalSeconds && a.verifyAt == b.verifyAt
            && a.verifyIntervalSeconds == b.verifyIntervalSeconds && a.spoolMaxBytes == b.spoolMaxBytes
            && a.daemons == b.daemons && a.receivers == b.receivers && a.routes == b.routes
    }

    /// Most daemons, receivers and routes in one file.
    public static let daemonsMax = 200, receiversMax = 64, routesMax = 256
}

/// Everything wrong with a configuration file.
public struct AgentConfigurationError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "the agent's configuration has \(problems.count) problem\(problems.count == 1 ? "" : "s"); nothing was applied:\n"
            + problems.map { "  " + $0 }.joined(separator: "\n")
    }
}

extension StringProtocol {
    /// Without the white space (and line ends) at either end.
    public func trimmed() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension AgentConfiguration {
    /// Reads a file.
    public static func load(path: String) throws -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not a readable file (permissions?)" : "no such file"
            throw AgentConfigurationError(problems: ["\(path): cannot be read: \(reason)"])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw AgentConfigurationError(problems: ["\(path): cannot be read: not UTF-8 text"])
        }
        return try parse(text, path: path)
    }

    /// Parses a file's text; every problem is listed.
    public static func parse(_ text: String, path: String) throws -> AgentConfiguration {
        var parser = ConfigurationParser(path: path)
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            parser.line(String(raw), number: index + 1)
        }
        let configuration = parser.finish()
        if !parser.problems.isEmpty { throw AgentConfigurationError(problems: parser.problems) }
        return configuration
    }
}

/// The parser's state: the section being read and what it gathered.
struct ConfigurationParser {
    enum Section { case global, daemon(Int), receiver(Int), route(Int) }
    let path: String
    var configuration = AgentConfiguration()
    var section = Section.global
    var problems: [String] = []
    var seen: [String: String] = [:]
    var sectionStart = ""

    init(path: String) { self.path = path }

    mutating func line(_ raw: String, number: Int) {
        let origin = "\(path):\(number)"
        let line = raw.trimmed()
        if line.isEmpty || line.hasPrefix("#") { return }
        if line.hasPrefix("[") {
            guard line.hasSuffix("]") else { return problems.append("\(origin): a section is written [daemon NAME], [receiver NAME] or [route]") }
            return open(String(line.dropFirst().dropLast()).trimmed(), origin: origin)
        }
        guard let equals = line.firstIndex(of: "=") else { return problems.append("\(origin): is not KEY = VALUE") }
        let key = line[..<equals].trimmed()
        var value = line[line.index(after: equals)...].trimmed()
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast())
        } else if let comment = value.firstRange(of: " #") {
            value = value[..<comment.lowerBound].trimmed()
        }
        if let first = seen[key] { return problems.append("\(origin): \(key) is set again in this section (first at \(first))") }
        seen[key] = origin
        do {
            try assign(key, value, origin: origin)
        } catch let reason as Reason {
            problems.append("\(origin): \(key): \(reason.text)")
        } catch {
            problems.append("\(origin): \(key): \(error)")
        }
    }

    struct Reason: Error { let text: String }

    mutating func open(_ header: String, origin: String) {
        seen = [:]
        sectionStart = origin
        let parts = header.split(separator: " ", maxSplits: 1).map { $0.trimmed() }
        let name = parts.count > 1 ? parts[1] : ""
        let nameOK = !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        switch parts.first {
        case "daemon":
            if !nameOK { problems.append("\(origin): a daemon's name is 1–64 letters, digits, -, _ or .") }
            if configuration.daemons.contains(where: { $0.name == name }) { problems.append("\(origin): daemon \(name) is named twice") }
            configuration.daemons.append(WatchedDaemon(name: name, title: name, unixPath: nil, tcp: nil, tlsCAFile: nil, tlsServerName: nil, tokenFile: nil, adminCode: ""))
            section = .daemon(configuration.daemons.count - 1)
        case "receiver":
            if !nameOK { problems.append("\(origin): a receiver's name is 1–64 letters, digits, -, _ or .") }
            if configuration.receivers.contains(where: { $0.name == name }) { problems.append("\(origin): receiver \(name) is named twice") }
            configuration.receivers.append(Receiver(name: name, kind: .webhook, url: "", tokenFile: nil, secretFile: nil, tlsCAFile: nil,
                                                    timeoutMillis: 10_000, maxAlertsPerMessage: 100))
            section = .receiver(configuration.receivers.count - 1)
        case "route":
            if !name.isEmpty { problems.append("\(origin): a route has no name ([route])") }
            configuration.routes.append(Route(receiver: "", daemon: nil, adminCode: nil, kinds: [], minLevel: .yellow, continues: false, origin: origin))
            section = .route(configuration.routes.count - 1)
        default:
            problems.append("\(origin): unknown section [\(header)] (known: [daemon NAME], [receiver NAME], [route])")
            section = .global
        }
    }

    mutating func assign(_ key: String, _ value: String, origin: String) throws {
        switch section {
        case .global: try global(key, value)
        case .daemon(let index): try daemon(&configuration.daemons[index], key, value)
        case .receiver(let index): try receiver(&configuration.receivers[index], key, value)
        case .route(let index): try route(&configuration.routes[index], key, value)
        }
    }

    mutating func global(_ key: String, _ value: String) throws {
        switch key {
        case "state-dir": configuration.stateDirectory = try Self.path(value)
        case "listen": configuration.listen = value.isEmpty ? nil : try Self.hostPort(value)
        case "poll-interval-seconds": configuration.pollIntervalSeconds = try Self.integer(value, 1...3600)
        case "group-wait-ms": configuration.groupWaitMillis = try Self.integer(value, 0...600_000)
        case "repeat-interval-seconds": configuration.repeatIntervalSeconds = try Self.integer(value, 0...30 * 86_400)
        case "verify-at":
            let parts = value.split(separator: ":")
            guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute) else {
                throw Reason(text: "must be HH:MM (China Standard Time), e.g. 03:00")
            }
            configuration.verifyAt = (hour, minute)
        case "verify-interval-seconds": configuration.verifyIntervalSeconds = try Self.integer(value, 0...30 * 86_400)
        case "spool-max-mib": configuration.spoolMaxBytes = try Self.integer(value, 1...65_536) << 20
        default:
            throw Reason(text: "is not a setting (known: state-dir, listen, poll-interval-seconds, group-wait-ms, repeat-interval-seconds, verify-at, verify-interval-seconds, spool-max-mib; then [daemon NAME], [receiver NAME], [route] sections)")
        }
    }

    func daemon(_ daemon: inout WatchedDaemon, _ key: String, _ value: String) throws {
        switch key {
        case "unix": daemon.unixPath = try Self.path(value)
        case "tcp": daemon.tcp = try Self.hostPort(value)
        case "tls-ca": daemon.tlsCAFile = try Self.path(value)
        case "tls-server-name": daemon.tlsServerName = value
        case "token-file": daemon.tokenFile = try Self.path(value)
        case "title": daemon.title = value
        case "admin":
            guard value.count == 12, value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) else { throw Reason(text: "must be a 12-digit admin code") }
            daemon.adminCode = value
        case "tree-head-key":
            do { daemon.treeHeadKey = try Ed25519PublicKey(text: value) } catch { throw Reason(text: "\(error)") }
        default: throw Reason(text: "is not a daemon setting (known: unix, tcp, tls-ca, tls-server-name, token-file, title, admin, tree-head-key)")
        }
    }

    func receiver(_ receiver: inout Receiver, _ key: String, _ value: String) throws {
        switch key {
        case "type":
            guard let kind = Receiver.Kind(rawValue: value) else { throw Reason(text: "must be journald, webhook, wecom or dingtalk") }
            receiver.kind = kind
        case "url":
            guard value.hasPrefix("http://") || value.hasPrefix("https://"), value.count <= 2048 else { throw Reason(text: "must be an http:// or https:// URL") }
            receiver.url = value
        case "token-file": receiver.tokenFile = try Self.path(value)
        case "secret-file": receiver.secretFile = try Self.path(value)
        case "tls-ca": receiver.tlsCAFile = try Self.path(value)
        case "timeout-ms": receiver.timeoutMillis = try Self.integer(value, 100...120_000)
        case "max-alerts-per-message": receiver.maxAlertsPerMessage = try Self.integer(value, 1...1000)
        default: throw Reason(text: "is not a receiver setting (known: type, url, token-file, secret-file, tls-ca, timeout-ms, max-alerts-per-message)")
        }
    }

    func route(_ route: inout Route, _ key: String, _ value: String) throws {
        switch key {
        case "receiver": route.receiver = value
        case "daemon": route.daemon = value
        case "admin":
            guard value.count == 12, value.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw Reason(text: "must be a 12-digit admin code") }
            route.adminCode = value
        case "kinds": route.kinds = Set(value.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty })
        case "min-level":
            guard let level = NoticeLevel(rawValue: value) else { throw Reason(text: "must be yellow, red or critical") }
            route.minLevel = level
        case "continue": route.continues = try Self.bool(value)
        default: throw Reason(text: "is not a route setting (known: receiver, daemon, admin, kinds, min-level, continue)")
        }
    }

    /// The cross-checks once the whole file is read.
    mutating func finish() -> AgentConfiguration {
        let c = configuration
        if c.daemons.isEmpty { problems.append("\(path): names no daemon to watch ([daemon NAME] with unix = or tcp =)") }
        if c.daemons.count > AgentConfiguration.daemonsMax { problems.append("\(path): more than \(AgentConfiguration.daemonsMax) daemons") }
        if c.receivers.count > AgentConfiguration.receiversMax { problems.append("\(path): more than \(AgentConfiguration.receiversMax) receivers") }
        if c.routes.count > AgentConfiguration.routesMax { problems.append("\(path): more than \(AgentConfiguration.routesMax) routes") }
        for daemon in c.daemons where (daemon.unixPath == nil) == (daemon.tcp == nil) {
            problems.append("\(path): daemon \(daemon.name): give exactly one of unix = or tcp =")
        }
        for receiver in c.receivers where receiver.kind != .journald && receiver.url.isEmpty {
            problems.append("\(path): receiver \(receiver.name): a \(receiver.kind.rawValue) receiver needs url =")
        }
        for route in c.routes {
            if !c.receivers.contains(where: { $0.name == route.receiver }) {
                problems.append("\(route.origin): route: receiver \"\(route.receiver)\" is not a [receiver] of this file")
            }
            if let daemon = route.daemon, !c.daemons.contains(where: { $0.name == daemon }) {
                problems.append("\(route.origin): route: daemon \"\(daemon)\" is not a [daemon] of this file")
            }
        }
        return c
    }

    static func path(_ value: String) throws -> String {
        guard value.hasPrefix("/") else { throw Reason(text: "must be an absolute path") }
        return value
    }

    static func hostPort(_ value: String) throws -> (host: String, port: Int) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (0...65_535).contains(port),
              colon != value.startIndex else {
            throw Reason(text: "must be HOST:PORT")
        }
        return (String(value[..<colon]), port)
    }

    static func integer(_ value: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value), range.contains(number) else { throw Reason(text: "must be an integer \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    static func bool(_ value: String) throws -> Bool {
        switch value {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw Reason(text: "must be true or false")
        }
    }
}
