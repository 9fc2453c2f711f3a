// The daemon's settings, one table of keys shared by the command line
// (--KEY VALUE) and the configuration file (/etc/taizhang/taizhangd.conf,
// "KEY = VALUE" lines). Each key says how its value is checked and whether a
// change can be applied while the daemon runs (SIGHUP) or needs a restart.

import Foundation
import Logging
import TaizhangCore
import TaizhangWire

/// Where the daemon's own log lines go.
public enum LogDestination: String, Sendable, CaseIterable {
    /// journald when standard error is connected to it ($JOURNAL_STREAM), else stderr.
    case auto
    /// journald's native protocol, with structured fields.
    case journald
    /// One line each on standard error.
    case stderr
}

/// Every setting of the daemon, with its default.
public struct DaemonSettings: Sendable, Equatable {
    /// `data-dir`: folder of the ledger; nil: $STATE_DIRECTORY or ~/.local/share/taizhang.
    public var dataDirectory: String?
    /// `unix`: the Unix socket path; nil: $RUNTIME_DIRECTORY/taizhang.sock or DATA-DIR/taizhang.sock.
    public var unixPath: String?
    /// `tcp`: host:port of the TCP listener; nil: none.
    public var tcp: String?
    /// `tcp-allow-remote`: allow plain (non-TLS) `tcp` and `metrics-listen` on a non-loopback address.
    public var tcpAllowRemote = false
    /// `tls-cert`, `tls-key`: PEM files; with both, `tcp` speaks TLS.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// `tls-client-ca`: PEM file of the CA whose client certificates are required on `tcp`.
    public var tlsClientCA: String?
    /// `metrics-listen`: host:port of the HTTP listener for /metrics and /healthz; nil: none.
    public var metricsListen: String?
    /// `frame-max-bytes`.
    public var frameMaxBytes = WireLimits.defaultFrameMaxBytes
    /// `calls-in-flight-max`: per connection.
    public var callsInFlightMax = WireLimits.defaultCallsInFlightMaxPerConnection
    /// `connections-max`.
    public var connectionsMax = WireLimits.defaultConnectionsMax
    /// `drain-timeout-ms`.
    public var drainTimeoutMillis: Int64 = 10_000
    /// `idle-timeout-ms`, `frame-timeout-ms`, `identity-calls-in-flight-max`, `identity-calls-per-second`.
    public var connectionPolicy = ConnectionPolicy()
    /// `threads`: event loop threads; nil: one per core but one.
    public var threads: Int?
    /// `store`: a `postgresql://` URI of the database holding the ledger;
    /// nil: the SQLite file `taizhang.db` in `data-dir`.
    public var store: String?
    /// `store-max-bytes`: 0 is no limit but the disk.
    public var storeMaxBytes: Int64 = 0
    /// `cache-mib`: MiB of decoded assets kept in memory.
    public var cacheMiB: Int64 = 64
    /// `holidays-dir`: folder of YYYY.json holiday calendars; nil: built-in only.
    public var holidaysDirectory: String?
    /// `depreciation-policy`: JSON file; nil: the built-in policy.
    public var depreciationPolicyFile: String?
    /// `risk-config`: JSON file of the risk monitor; nil: the defaults.
    public var riskConfigurationFile: String?
    /// `access-file`: JSON file of identities and tokens; nil: local mode.
    public var accessFile: String?
    /// `alerts-to`.
    public var alertsTo: AlertDestination = .auto
    /// `log-level`.
    public var logLevel: Logger.Level = .info
    /// `log-to`.
    public var logTo: LogDestination = .auto

    /// The defaults.
    public init() {}

    /// One key of the table.
    public struct Key: Sendable {
        /// The name: `--NAME` on the command line, `NAME = …` in the file.
        public let name: String
        /// Whether a changed value takes effect on SIGHUP (else after a restart).
        public let live: Bool
        /// The value as the daemon shows it ("" when unset).
        public let show: @Sendable (DaemonSettings) -> String
        let set: @Sendable (inout DaemonSettings, String) throws -> Void
    }

    /// Where a value came from and what it was.
    public struct Assignment: Sendable, Hashable {
        /// The key's name.
        public var key: String
        /// The value as written.
        public var value: String
        /// "FILE:LINE" or "--KEY".
        public var origin: String

        /// An assignment.
        public init(key: String, value: String, origin: String) {
            self.key = key
            self.value = value
            self.origin = origin
        }
    }

    /// The keys, in the order of docs/configuration.md.
    public static let keys: [Key] = [
        Key(name: "data-dir", live: false, show: { $0.dataDirectory ?? "" }) { $0.dataDirectory = try path($1) },
        Key(name: "unix", live: false, show: { $0.unixPath ?? "" }) {
            let value = try path($1)
            if let value, value.utf8.count >= 108 { throw SettingsProblem.Reason("is \(value.utf8.count) bytes; Linux allows at most 107 for a socket path") }
            $0.unixPath = value
        },
        Key(name: "tcp", live: false, show: { $0.tcp ?? "" }) { $0.tcp = try hostPortValue($1) },
        Key(name: "tcp-allow-remote", live: false, show: { String($0.tcpAllowRemote) }) { $0.tcpAllowRemote = try bool($1) },
        Key(name: "tls-cert", live: false, show: { $0.tlsCertificate ?? "" }) { $0.tlsCertificate = try path($1) },
        Key(name: "tls-key", live: false, show: { $0.tlsKey ?? "" }) { $0.tlsKey = try path($1) },
        Key(name: "tls-client-ca", live: false, show: { $0.tlsClientCA ?? "" }) { $0.tlsClientCA = try path($1) },
        Key(name: "metrics-listen", live: false, show: { $0.metricsListen ?? "" }) { $0.metricsListen = try hostPortValue($1) },
        Key(name: "frame-max-bytes", live: true, show: { String($0.frameMaxBytes) }) {
            $0.frameMaxBytes = Int(try integer($1, 1024...(64 * 1024 * 1024)))
        },
        Key(name: "calls-in-flight-max", live: true, show: { String($0.callsInFlightMax) }) {
            $0.callsInFlightMax = Int(try integer($1, 1...65_536))
        },
        Key(name: "connections-max", live: true, show: { String($0.connectionsMax) }) {
            $0.connectionsMax = Int(try integer($1, 1...1_000_000))
        },
        Key(name: "drain-timeout-ms", live: true, show: { String($0.drainTimeoutMillis) }) {
            $0.drainTimeoutMillis = try integer($1, 0...3_600_000)
        },
        Key(name: "idle-timeout-ms", live: true, show: { String($0.connectionPolicy.idleTimeoutMillis) }) {
            $0.connectionPolicy.idleTimeoutMillis = try integer($1, 0...86_400_000)
        },
        Key(name: "frame-timeout-ms", live: true, show: { String($0.connectionPolicy.frameTimeoutMillis) }) {
            $0.connectionPolicy.frameTimeoutMillis = try integer($1, 100...3_600_000)
        },
        Key(name: "identity-calls-in-flight-max", live: true, show: { String($0.connectionPolicy.identityCallsInFlightMax) }) {
            $0.connectionPolicy.identityCallsInFlightMax = Int(try integer($1, 1...1_000_000))
        },
        Key(name: "identity-calls-per-second", live: true, show: { String($0.connectionPolicy.identityCallsPerSecond) }) {
            $0.connectionPolicy.identityCallsPerSecond = Int(try integer($1, 0...1_000_000))
        },
        Key(name: "threads", live: false, show: { $0.threads.map(String.init) ?? "" }) {
            $0.threads = $1.isEmpty ? nil : Int(try integer($1, 1...256))
        },
        Key(name: "store", live: false, show: { $0.store.map(DaemonSettings.redacted) ?? "" }) { $0.store = try storeValue($1) },
        Key(name: "store-max-bytes", live: false, show: { String($0.storeMaxBytes) }) {
            $0.storeMaxBytes = try integer($1, 0...Int64.max)
        },
        Key(name: "cache-mib", live: false, show: { String($0.cacheMiB) }) {
            $0.cacheMiB = try integer($1, 0...1_048_576)
        },
        Key(name: "holidays-dir", live: true, show: { $0.holidaysDirectory ?? "" }) { $0.holidaysDirectory = try path($1) },
        Key(name: "depreciation-policy", live: false, show: { $0.depreciationPolicyFile ?? "" }) { $0.depreciationPolicyFile = try path($1) },
        Key(name: "risk-config", live: true, show: { $0.riskConfigurationFile ?? "" }) { $0.riskConfigurationFile = try path($1) },
        Key(name: "access-file", live: true, show: { $0.accessFile ?? "" }) { $0.accessFile = try path($1) },
        Key(name: "alerts-to", live: false, show: { $0.alertsTo.rawValue }) {
            guard let value = AlertDestination(rawValue: $1) else { throw SettingsProblem.Reason("must be auto, journald or stderr (got \"\($1)\")") }
            $0.alertsTo = value
        },
        Key(name: "log-level", live: true, show: { $0.logLevel.rawValue }) {
            let names = ["debug", "info", "notice", "warning", "error"]
            guard names.contains($1), let value = Logger.Level(rawValue: $1) else {
                throw SettingsProblem.Reason("must be one of \(names.joined(separator: ", ")) (got \"\($1)\")")
            }
            $0.logLevel = value
        },
        Key(name: "log-to", live: false, show: { $0.logTo.rawValue }) {
            guard let value = LogDestination(rawValue: $1) else { throw SettingsProblem.Reason("must be auto, journald or stderr (got \"\($1)\")") }
            $0.logTo = value
        },
    ]

    /// The key named `name`.
    public static func key(_ name: String) -> Key? { keys.first { $0.name == name } }

    /// The assignments of a configuration file's text: `KEY = VALUE` lines,
    /// `#` comments and blank lines; a value may be put in double quotes.
    /// Every malformed line, unknown key and repeated key is a problem.
    public static func parseFile(_ text: String, path: String) -> ([Assignment], [SettingsProblem]) {
        var assignments: [Assignment] = []
        var problems: [SettingsProblem] = []
        var seen: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = "\(path):\(index + 1)"
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                problems.append(SettingsProblem(origin: origin, key: "", reason: "is not KEY = VALUE"))
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            } else if let comment = value.range(of: " #") ?? (value.hasPrefix("#") ? value.startIndex..<value.index(after: value.startIndex) : nil) {
                // "KEY = VALUE  # note": the note is not part of the value.
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            guard DaemonSettings.key(key) != nil else {
                problems.append(SettingsProblem(origin: origin, key: key, reason: "is not a setting (known: \(keys.map(\.name).joined(separator: ", ")))"))
                continue
            }
            if let first = seen[key] {
                problems.append(SettingsProblem(origin: origin, key: key, reason: "is set again (first at \(first))"))
                continue
            }
            seen[key] = origin
            assignments.append(Assignment(key: key, value: value, origin: origin))
        }
        return (assignments, problems)
    }

    /// Applies `assignments` in order (later ones win) and returns every
    /// problem; on problems, `self` is unchanged.
    public mutating func apply(_ assignments: [Assignment]) -> [SettingsProblem] {
        var next = self
        var problems: [SettingsProblem] = []
        for assignment in assignments {
            guard let key = DaemonSettings.key(assignment.key) else {
                problems.append(SettingsProblem(origin: assignment.origin, key: assignment.key, reason: "is not a setting"))
                continue
            }
            do {
                // An empty value is the key's default.
                try key.set(&next, assignment.value.isEmpty ? key.show(DaemonSettings()) : assignment.value)
            } catch {
                let reason = (error as? SettingsProblem.Reason)?.text ?? "\(error)"
                problems.append(SettingsProblem(origin: assignment.origin, key: assignment.key, reason: reason))
            }
        }
        if problems.isEmpty { problems = next.crossCheck() }
        if problems.isEmpty { self = next }
        return problems
    }

    /// Rules between keys.
    func crossCheck() -> [SettingsProblem] {
        var problems: [SettingsProblem] = []
        if (tlsCertificate == nil) != (tlsKey == nil) {
            problems.append(SettingsProblem(origin: "", key: tlsCertificate == nil ? "tls-cert" : "tls-key", reason: "tls-cert and tls-key go together"))
        }
        if tlsClientCA != nil, tlsCertificate == nil {
            problems.append(SettingsProblem(origin: "", key: "tls-client-ca", reason: "needs tls-cert and tls-key (client certificates are checked inside TLS)"))
        }
        guard !tcpAllowRemote else { return problems }
        // Plain TCP off loopback would carry tokens and the ledger in the clear.
        let remote: [(String, String?, Bool)] = [("tcp", tcp, tlsCertificate != nil), ("metrics-listen", metricsListen, false)]
        for (name, value, encrypted) in remote {
            if let value, !encrypted, let (host, _) = try? DaemonSettings.parseHostPort(value), !DaemonSettings.isLoopback(host) {
                problems.append(SettingsProblem(origin: "", key: name, reason: name == "tcp"
                    ? "\(value) is not a loopback address and TLS is off: set tls-cert and tls-key, or tcp-allow-remote = true to accept plain TCP on a trusted network"
                    : "\(value) is not a loopback address: set tcp-allow-remote = true to serve metrics beyond this machine"))
            }
        }
        return problems
    }

    /// The keys whose values differ between `self` and `other`.
    public func changedKeys(from other: DaemonSettings) -> [Key] {
        DaemonSettings.keys.filter { $0.show(self) != $0.show(other) }
    }

    /// "host:port" split; an empty host is 127.0.0.1, "[v6]:port" allowed.
    public static func parseHostPort(_ text: String) throws -> (String, Int) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw SettingsProblem.Reason("wants host:port, e.g. 127.0.0.1:7420 (got \"\(text)\")")
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw SettingsProblem.Reason("port must be 0...65535 (got \"\(portText)\")")
        }
        return (String(host), port)
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    private static func path(_ value: String) throws -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > 4096 { throw SettingsProblem.Reason("is longer than 4096 bytes") }
        return value
    }

    /// A PostgreSQL URI, or nil for the SQLite file.
    private static func storeValue(_ value: String) throws -> String? {
        if value.isEmpty || value == "sqlite" { return nil }
        guard value.hasPrefix("postgresql://") || value.hasPrefix("postgres://") else {
            throw SettingsProblem.Reason("wants a postgresql:// URI (e.g. postgresql://taizhang@db1,db2/taizhang), or sqlite for taizhang.db in data-dir (got \"\(redacted(value))\")")
        }
        if value.utf8.count > 4096 { throw SettingsProblem.Reason("is longer than 4096 bytes") }
        return value
    }

    /// A URI with its password, if it holds one, shown as `***`.
    static func redacted(_ uri: String) -> String {
        var text = uri
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            if let at = rest.firstIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                text.replaceSubrange(rest.index(after: colon)..<at, with: "***")
            }
        }
        if let key = text.range(of: "password=") {
            let end = text[key.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(key.upperBound..<end, with: "***")
        }
        return text
    }

    private static func hostPortValue(_ value: String) throws -> String? {
        if value.isEmpty { return nil }
        _ = try parseHostPort(value)
        return value
    }

    private static func bool(_ value: String) throws -> Bool {
        switch value {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw SettingsProblem.Reason("must be true or false (got \"\(value)\")")
        }
    }

    private static func integer(_ value: String, _ range: ClosedRange<Int64>) throws -> Int64 {
        guard let number = Int64(value.replacingOccurrences(of: "_", with: "")) else {
            throw SettingsProblem.Reason("must be a whole number (got \"\(value)\")")
        }
        guard range.contains(number) else {
            throw SettingsProblem.Reason("must be between \(range.lowerBound) and \(range.upperBound) (got \(number))")
        }
        return number
    }
}

/// One bad setting: where, which key, and what is wrong.
public struct SettingsProblem: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with a value.
    public struct Reason: Error, Sendable, Hashable {
        /// For a person.
        public let text: String
        init(_ text: String) { self.text = text }
    }

    /// "FILE:LINE", "--KEY", or "" for a rule between keys.
    public var origin: String
    /// The key ("" when the line has none).
    public var key: String
    /// What is wrong.
    public var reason: String

    init(origin: String, key: String, reason: String) {
        self.origin = origin
        self.key = key
        self.reason = reason
    }

    public var description: String {
        let prefix = origin.isEmpty ? "" : "\(origin): "
        return key.isEmpty ? "\(prefix)\(reason)" : "\(prefix)\(key) \(reason)"
    }
}

/// Settings that could not be taken: every problem.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    /// Each bad setting.
    public let problems: [SettingsProblem]

    /// An error of `problems`.
    public init(problems: [SettingsProblem]) { self.problems = problems }

    public var description: String {
        problems.count == 1 ? problems[0].description
            : "\(problems.count) problems:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// What the files named by the settings hold: the holiday calendars, the
/// depreciation policy and the risk monitor's configuration.
public struct SettingsFiles: Sendable, Equatable {
    /// The YYYY.json calendars of `holidays-dir`, by file name.
    public var holidayYears: [HolidayYear] = []
    /// The built-in calendar with `holidayYears` over it.
    public var calendar: WorkingDayCalendar { .builtIn(overriddenBy: holidayYears) }
    /// `depreciation-policy`, or the built-in policy.
    public var depreciationPolicy = DepreciationPolicy()
    /// `risk-config`, or the defaults.
    public var risk = RiskConfiguration()
    /// `access-file`, or local mode.
    public var access = AccessPolicy.local(ownUID: getuid())

    /// The built-in defaults.
    public init() {}
}

extension DaemonSettings {
    /// Reads the files the settings name; every unreadable or bad file is a
    /// problem naming its key.
    public func loadFiles() throws(SettingsError) -> SettingsFiles {
        var files = SettingsFiles()
        var problems: [SettingsProblem] = []
        if let holidaysDirectory {
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: holidaysDirectory).filter { $0.hasSuffix(".json") }.sorted()
                for name in names {
                    let path = (holidaysDirectory as NSString).appendingPathComponent(name)
                    do {
                        files.holidayYears.append(try HolidayYear(holidayCNJSON: String(contentsOfFile: path, encoding: .utf8)))
                    } catch {
                        problems.append(SettingsProblem(origin: "", key: "holidays-dir", reason: "calendar \(path): \(error)"))
                    }
                }
            } catch {
                problems.append(SettingsProblem(origin: "", key: "holidays-dir", reason: "cannot list \(holidaysDirectory): \(error.localizedDescription)"))
            }
        }
        if let depreciationPolicyFile {
            do {
                files.depreciationPolicy = try DepreciationPolicy(json: String(contentsOfFile: depreciationPolicyFile, encoding: .utf8))
            } catch {
                problems.append(SettingsProblem(origin: "", key: "depreciation-policy", reason: "\(depreciationPolicyFile): \(error)"))
            }
        }
        if let riskConfigurationFile {
            do {
                files.risk = try RiskConfiguration(json: String(contentsOfFile: riskConfigurationFile, encoding: .utf8))
            } catch {
                problems.append(SettingsProblem(origin: "", key: "risk-config", reason: "\(riskConfigurationFile): \(error)"))
            }
        }
        if let accessFile {
            do {
                let text = try String(contentsOfFile: accessFile, encoding: .utf8)
                if text.utf8.count > 4 << 20 { throw AccessFileError(problems: ["is larger than 4 MiB"]) }
                files.access = try AccessPolicy(json: text, ownUID: getuid())
            } catch let error as AccessFileError {
                for problem in error.problems { problems.append(SettingsProblem(origin: "", key: "access-file", reason: "\(accessFile): \(problem)")) }
            } catch {
                problems.append(SettingsProblem(origin: "", key: "access-file", reason: "\(accessFile): \(error.localizedDescription)"))
            }
        }
        if !problems.isEmpty { throw SettingsError(problems: problems) }
        return files
    }

    /// The configuration file to read: `given` (--config; "" for none), or
    /// `defaultPath` when it exists. Decided again on each reload, so a
    /// default file created after start is read.
    public static func configPath(given: String?, defaultPath: String) -> String? {
        if let given { return given.isEmpty ? nil : given }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// The settings of the file at `path` (nil: none) with `flags` over
    /// them, and the files they name: what the daemon starts and reloads with.
    public static func loadWithFiles(path: String?, flags: [Assignment]) throws(SettingsError) -> (DaemonSettings, SettingsFiles) {
        let settings = try load(path: path, flags: flags)
        return (settings, try settings.loadFiles())
    }

    /// The settings of the file at `path` (nil: none) with `flags` over them.
    public static func load(path: String?, flags: [Assignment]) throws(SettingsError) -> DaemonSettings {
        var assignments: [Assignment] = []
        var problems: [SettingsProblem] = []
        if let path {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                if text.utf8.count > 1 << 20 {
                    problems.append(SettingsProblem(origin: path, key: "", reason: "is larger than 1 MiB; is it the right file?"))
                } else {
                    (assignments, problems) = DaemonSettings.parseFile(text, path: path)
                }
            } catch {
                problems.append(SettingsProblem(origin: path, key: "", reason: "cannot be read: \(error.localizedDescription)"))
            }
        }
        var settings = DaemonSettings()
        problems += settings.apply(assignments + flags)
        if !problems.isEmpty { throw SettingsError(problems: problems) }
        return settings
    }
}

/// What a reload changes: the keys applied at once, and the keys whose new
/// values wait for a restart.
public struct ReloadPlan: Sendable, Equatable {
    /// "key: old → new" for each live key that changed (and re-read files that changed).
    public var applied: [String] = []
    /// Keys that changed but take effect only after a restart.
    public var needRestart: [String] = []

    /// The plan from the settings in effect (`running`, with the files it
    /// loaded) to `next`; restart-only keys compare with those the daemon
    /// started with, so reverting the file clears them.
    public init(started: DaemonSettings, running: DaemonSettings, runningFiles: SettingsFiles,
                next: DaemonSettings, nextFiles: SettingsFiles) {
        for key in DaemonSettings.keys {
            if key.live {
                // Reported below as waiting for a restart.
                if key.name == "risk-config", runningFiles.risk.enabled != nextFiles.risk.enabled { continue }
                let (old, new) = (key.show(running), key.show(next))
                if old != new { applied.append("\(key.name): \(old.isEmpty ? "(unset)" : old) → \(new.isEmpty ? "(unset)" : new)") }
            } else if key.show(started) != key.show(next) {
                needRestart.append(key.name)
            }
        }
        if runningFiles.holidayYears != nextFiles.holidayYears, running.holidaysDirectory == next.holidaysDirectory {
            applied.append("holidays-dir: calendars re-read")
        }
        if runningFiles.risk.enabled != nextFiles.risk.enabled {
            needRestart.append("risk-config (enabled)")
        } else if runningFiles.risk != nextFiles.risk, running.riskConfigurationFile == next.riskConfigurationFile {
            applied.append("risk-config: file re-read")
        }
        if runningFiles.access != nextFiles.access, running.accessFile == next.accessFile {
            applied.append("access-file: file re-read")
        }
        if runningFiles.depreciationPolicy != nextFiles.depreciationPolicy, !needRestart.contains("depreciation-policy") {
            needRestart.append("depreciation-policy")
        }
    }
}
