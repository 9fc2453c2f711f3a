// taizhangd: the Taizhang daemon. Opens the store, binds the listeners,
// serves until SIGTERM or SIGINT, then drains and exits 0.

import ArgumentParser
import Dispatch
import Foundation
import TaizhangCore
import TaizhangServer
import TaizhangStore
import CSystemd
import TaizhangWire

@main
struct Taizhangd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taizhangd",
        abstract: "The Taizhang daemon: the ledger of poverty-alleviation project assets (扶贫项目资产台账).",
        discussion: """
        Serves the Taizhang protocol (docs/protocol.md) on a Unix socket and, when asked, on TCP. \
        Prints "taizhangd: listening on ADDRESS" for each listener, then "taizhangd: ready". \
        Under systemd (docs/systemd.md) it adopts the sockets passed with LISTEN_FDS (names "unix", "tcp") \
        instead of binding its own, and reports READY=1, STATUS= and STOPPING=1 to $NOTIFY_SOCKET. \
        Stops on SIGTERM or SIGINT: stops accepting, answers new calls UNAVAILABLE, lets calls in \
        flight finish within --drain-timeout-ms, removes its socket file and exits 0.
        """)

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Folder of the SQLite ledger (taizhang.db). Default: $STATE_DIRECTORY under systemd, else ~/.local/share/taizhang.",
        valueName: "dir"))
    var dataDirectory: String?

    @Option(name: .customLong("unix"), help: ArgumentHelp(
        "Unix socket path to listen on. Default: $RUNTIME_DIRECTORY/taizhang.sock under systemd, else <data-dir>/taizhang.sock.",
        valueName: "path"))
    var unixPath: String?

    @Option(name: .customLong("tcp"), help: ArgumentHelp(
        "Also listen on TCP at host:port (port 0 picks a free port). Off by default. Loopback only unless --tcp-allow-remote.",
        valueName: "host:port"))
    var tcpAddress: String?

    @Flag(name: .customLong("tcp-allow-remote"), help: "Allow --tcp on a non-loopback address. Until authentication exists, anyone who can reach the port can change the ledger.")
    var tcpAllowRemote = false

    @Option(name: .customLong("frame-max-bytes"), help: "Largest frame body accepted, in bytes.")
    var frameMaxBytes = WireLimits.defaultFrameMaxBytes

    @Option(name: .customLong("calls-in-flight-max"), help: "Calls in flight per connection; past it calls get RESOURCE_EXHAUSTED.")
    var callsInFlightMax = WireLimits.defaultCallsInFlightMaxPerConnection

    @Option(name: .customLong("connections-max"), help: "Open connections; past it new connections are closed at once.")
    var connectionsMax = WireLimits.defaultConnectionsMax

    @Option(name: .customLong("drain-timeout-ms"), help: "How long calls in flight may run after SIGTERM, in milliseconds.")
    var drainTimeoutMillis: Int64 = 10_000

    @Option(name: .customLong("threads"), help: "Event loop threads. Default: one per core but one (left to the store's writer).")
    var threads: Int?

    @Option(name: .customLong("store-max-bytes"), help: "Largest size of the ledger database file, in bytes; past it changes fail with RESOURCE_EXHAUSTED. 0: only the disk limits it.")
    var storeMaxBytes: Int64 = 0

    @Option(name: .customLong("holidays-dir"), help: ArgumentHelp(
        "Folder of holiday calendars (YYYY.json in the holiday-cn format) that add to or replace the built-in 2016–2026 ones, year by year. Default: built-in only.",
        valueName: "dir"))
    var holidaysDirectory: String?

    @Option(name: .customLong("depreciation-policy"), help: ArgumentHelp(
        "JSON file of the county's depreciation policy (start convention, whether public-welfare and household assets depreciate, minimum lives by class; docs/lifecycle.md). Default: the built-in policy.",
        valueName: "file"))
    var depreciationPolicyFile: String?

    @Option(name: .customLong("risk-config"), help: ArgumentHelp(
        "JSON file of the risk monitor's settings (its \"risk\" section: enabled, interval_seconds, weights of the five parts, thresholds; docs/risk.md). Default: the documented defaults, monitor on, a run every 300 s.",
        valueName: "file"))
    var riskConfigurationFile: String?

    @Option(name: .customLong("alerts-to"), help: ArgumentHelp(
        "Where alert events go: journald (through libsystemd), stderr (one line each), or auto (journald when /run/systemd/journal/socket exists, else stderr).",
        valueName: "auto|journald|stderr"))
    var alertsTo: String = "auto"

    @Option(name: .customLong("fault-commit-delay-ms"), help: ArgumentHelp("Testing only: delay each group commit.", visibility: .hidden))
    var faultCommitDelayMillis = 0

    mutating func validate() throws {
        if frameMaxBytes < 1024 || frameMaxBytes > 64 * 1024 * 1024 {
            throw ValidationError("--frame-max-bytes must be between 1024 and 67108864")
        }
        if callsInFlightMax < 1 { throw ValidationError("--calls-in-flight-max must be at least 1") }
        if connectionsMax < 1 { throw ValidationError("--connections-max must be at least 1") }
        if drainTimeoutMillis < 0 { throw ValidationError("--drain-timeout-ms must not be negative") }
        if storeMaxBytes < 0 { throw ValidationError("--store-max-bytes must not be negative") }
        if AlertDestination(rawValue: alertsTo) == nil { throw ValidationError("--alerts-to must be auto, journald or stderr (got \(alertsTo))") }
        if let tcpAddress {
            let (host, _) = try Taizhangd.parseHostPort(tcpAddress)
            if !tcpAllowRemote, !Taizhangd.isLoopback(host) {
                throw ValidationError("--tcp \(tcpAddress) is not a loopback address; authentication is not implemented yet, so add --tcp-allow-remote only if the network is trusted")
            }
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let dataDirectory = self.dataDirectory
            ?? environment["STATE_DIRECTORY"].map { String($0.split(separator: ":").first ?? "") }
            ?? (NSHomeDirectory() + "/.local/share/taizhang")
        let unixPath = self.unixPath
            ?? environment["RUNTIME_DIRECTORY"].map { String($0.split(separator: ":").first ?? "") + "/taizhang.sock" }
            ?? (dataDirectory + "/taizhang.sock")
        if unixPath.utf8.count >= 108 {
            throw ValidationError("the Unix socket path \(unixPath) is \(unixPath.utf8.count) bytes; Linux allows at most 107; pass a shorter --unix")
        }
        // Sockets passed by systemd (LISTEN_FDS) replace the ones we would bind.
        let activated = ServiceManager.listenDescriptors()
        var listeners: [BindAddress] = activated.isEmpty ? [.unixDomainSocket(path: unixPath)] : []
        if let tcpAddress {
            let (host, port) = try Taizhangd.parseHostPort(tcpAddress)
            listeners.append(.hostname(host, port: port))
        }
        var configuration = ServerConfiguration(listeners: listeners)
        configuration.frameMaxBytes = frameMaxBytes
        configuration.callsInFlightMaxPerConnection = callsInFlightMax
        configuration.connectionsMax = connectionsMax
        configuration.drainTimeoutMillis = drainTimeoutMillis
        if let threads { configuration.eventLoopThreads = max(1, threads) }
        do {
            configuration.calendar = try Taizhangd.loadCalendar(directory: holidaysDirectory)
            if let depreciationPolicyFile {
                configuration.depreciationPolicy = try DepreciationPolicy(json: String(contentsOfFile: depreciationPolicyFile, encoding: .utf8))
            }
            if let riskConfigurationFile {
                configuration.risk = try RiskConfiguration(json: String(contentsOfFile: riskConfigurationFile, encoding: .utf8))
            }
            configuration.alertsTo = AlertDestination(rawValue: alertsTo) ?? .auto
        } catch {
            Log.error("configuration: \(error)")
            throw ExitCode(78)
        }
        Log.info("holiday calendars for \(Taizhangd.yearRanges(configuration.calendar.knownYears)); depreciation starts \(configuration.depreciationPolicy.start.rawValue), \(configuration.depreciationPolicy.classes.count) minimum-life classes")
        let today = Timestamp.chinaDate(unixMillis: Int64(Date().timeIntervalSince1970 * 1000))
        if let warning = configuration.calendar.missingCalendarWarning(today: today) {
            Log.warning(warning)
        }

        signal(SIGPIPE, SIG_IGN)
        let store: SQLiteLedgerStore
        do {
            var storeConfiguration = SQLiteStoreConfiguration(dataDirectory: dataDirectory)
            storeConfiguration.faultCommitDelayMillis = faultCommitDelayMillis
            storeConfiguration.databaseMaxBytes = storeMaxBytes
            store = try SQLiteLedgerStore(configuration: storeConfiguration)
        } catch {
            Log.error("cannot open the ledger in \(dataDirectory): \(error)")
            throw ExitCode(74)
        }
        let alerts: AlertStore
        do {
            alerts = try AlertStore(dataDirectory: dataDirectory)
        } catch {
            Log.error("cannot open the alert store in \(dataDirectory): \(error)")
            store.close()
            throw ExitCode(74)
        }
        let server = TaizhangServer(configuration: configuration, store: store, alerts: alerts)
        let bound: [String]
        do {
            try FileManager.default.createDirectory(atPath: (unixPath as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            bound = try server.start() + activated.map { try server.adopt(descriptor: $0.descriptor, tcp: $0.isTCP) }
        } catch {
            Log.error("cannot listen: \(error)")
            store.close()
            throw ExitCode(71)
        }
        let counts = store.statistics().recordCounts
        Log.info("ledger \(dataDirectory)/taizhang.db: \(counts["asset"] ?? 0) assets, \(counts["project"] ?? 0) projects, \(counts["admin_unit"] ?? 0) admin units, \(counts["entity"] ?? 0) operating entities")
        if configuration.risk.enabled {
            Log.info("risk monitor: a run every \(configuration.risk.intervalSeconds) s and \(configuration.risk.debounceMillis) ms after a change; \(alerts.openAlerts().count) open alerts; alerts go to \(server.alertDestination ?? "nowhere")")
        } else {
            Log.warning("risk monitor: switched off by the risk configuration; no alerts are raised or cleared")
        }
        server.startMonitor()
        // Tests and scripts read these lines to learn the addresses.
        var announcement = ""
        for address in bound {
            announcement += "taizhangd: listening on \(address)\n"
        }
        announcement += "taizhangd: ready\n"
        FileHandle.standardOutput.write(Data(announcement.utf8))
        if !activated.isEmpty { Log.info("adopted \(activated.count) socket(s) from the service manager: \(activated.map(\.name).joined(separator: ", "))") }
        // Ready only now: the store is open, migrations ran, the listeners accept.
        ServiceManager.notify("READY=1\nSTATUS=Listening on \(bound.joined(separator: ", ")); \(server.statusLine())")
        // The watchdog (WatchdogSec=): ping at half the interval, but only
        // while the event loops run tasks and the store commits.
        var watchdogUsec: UInt64 = 0
        if ServiceManager.isSupervised, sd_watchdog_enabled(0, &watchdogUsec) > 0, watchdogUsec > 0 {
            let interval = max(UInt64(1000), watchdogUsec / 2)
            let watchdog = Thread {
                var healthy = true
                while true {
                    usleep(UInt32(min(interval, UInt64(UInt32.max))))
                    let alive = server.isAlive(timeoutMillis: Int64(max(UInt64(1), interval / 2000)))
                    if alive {
                        ServiceManager.notify("WATCHDOG=1")
                        if !healthy { Log.info("watchdog: healthy again") }
                    } else if healthy {
                        Log.error("watchdog: an event loop or the store's writer did not answer in time; not pinging systemd, which will restart the daemon")
                    }
                    healthy = alive
                }
            }
            thread(watchdog, name: "taizhang-watchdog")
            Log.info("watchdog: pinging every \(interval / 1000) ms while healthy")
        }
        // Under a service manager, the STATUS line is refreshed every 10 s.
        var statusTimer: (any DispatchSourceTimer)?
        if ServiceManager.isSupervised {
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 10, repeating: 10)
            timer.setEventHandler { ServiceManager.notify("STATUS=Listening on \(bound.joined(separator: ", ")); \(server.statusLine())") }
            timer.resume()
            statusTimer = timer
        }

        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        statusTimer?.cancel()
        ServiceManager.notify("STOPPING=1\nSTATUS=Stopping: draining calls in flight (up to \(drainTimeoutMillis) ms)")
        Log.info("stopping: draining calls in flight (up to \(drainTimeoutMillis) ms)")
        server.shutdown()
        Log.info("stopped")
        _ = sources
    }

    /// The built-in calendar, with each YYYY.json of `directory` replacing its year.
    static func loadCalendar(directory: String?) throws -> WorkingDayCalendar {
        guard let directory else { return .builtIn() }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        var years: [HolidayYear] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                years.append(try HolidayYear(holidayCNJSON: String(contentsOfFile: path, encoding: .utf8)))
            } catch {
                throw ValidationError("holiday calendar \(path): \(error)")
            }
        }
        return .builtIn(overriddenBy: years)
    }

    /// "2016–2026" for a run of years, runs joined by commas.
    static func yearRanges(_ years: [Int]) -> String {
        var runs: [(Int, Int)] = []
        for year in years.sorted() {
            if let last = runs.last, last.1 + 1 == year { runs[runs.count - 1].1 = year } else { runs.append((year, year)) }
        }
        return runs.map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)–\($0.1)" }.joined(separator: ", ")
    }

    static func parseHostPort(_ text: String) throws -> (String, Int) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw ValidationError("--tcp wants host:port, e.g. 127.0.0.1:7420 (got \(text))")
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--tcp port must be 0...65535 (got \(portText))")
        }
        return (String(host), port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// The daemon's log.
typealias Log = DaemonLog

/// Starts `thread` with `name`.
func thread(_ thread: Thread, name: String) {
    thread.name = name
    thread.start()
}

/// systemd's side of the daemon: readiness and status (sd_notify) and the
/// sockets it passes (sd_listen_fds). Without systemd both are no-ops.
enum ServiceManager {
    struct Listener {
        let descriptor: CInt
        let name: String
        let isTCP: Bool
    }

    /// Whether a service manager listens for notifications ($NOTIFY_SOCKET).
    static var isSupervised: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    /// Sends `state` (e.g. "READY=1\nSTATUS=…") to the service manager, if any.
    static func notify(_ state: String) {
        guard isSupervised else { return }
        let result = sd_notify(0, state)
        if result < 0 { Log.warning("sd_notify failed: error \(-result)") }
    }

    /// The listening sockets systemd passed (LISTEN_FDS for this PID), with
    /// their FileDescriptorName; the variables are then removed from the
    /// environment so children do not inherit them.
    static func listenDescriptors() -> [Listener] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<count).map { index in
            let descriptor = CInt(SD_LISTEN_FDS_START) + index
            let name = names?[Int(index)].map { String(cString: $0) } ?? "unknown"
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let family = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) == 0 ? Int32($0.pointee.sa_family) : -1 }
            }
            return Listener(descriptor: descriptor, name: name, isTCP: family == AF_INET || family == AF_INET6)
        }
    }
}
