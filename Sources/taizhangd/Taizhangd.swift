// taizhangd: the Taizhang daemon. Opens the store, binds the listeners,
// serves until SIGTERM or SIGINT, then drains and exits 0.

import ArgumentParser
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TaizhangCore
import TaizhangPostgres
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
        SIGHUP re-reads the configuration file (--config) and applies what can change live; \
        RELOADING=1 and READY=1 tell systemd when. \
        Stops on SIGTERM or SIGINT: stops accepting, answers new calls UNAVAILABLE, lets calls in \
        flight finish within --drain-timeout-ms, removes its socket file and exits 0.
        """)

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "Configuration file: KEY = VALUE lines with the same keys as these flags (docs/configuration.md); a flag wins over the file. Default: /etc/taizhang/taizhangd.conf when it exists. SIGHUP re-reads it.",
        valueName: "file"))
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Folder of the SQLite ledger (taizhang.db). Default: $STATE_DIRECTORY under systemd, else ~/.local/share/taizhang.",
        valueName: "dir"))
    var dataDirectory: String?

    @Option(name: .customLong("unix"), help: ArgumentHelp(
        "Unix socket path to listen on. Default: $RUNTIME_DIRECTORY/taizhang.sock under systemd, else <data-dir>/taizhang.sock.",
        valueName: "path"))
    var unixPath: String?

    @Option(name: .customLong("tcp"), help: ArgumentHelp(
        "Also listen on TCP at host:port (port 0 picks a free port). Off by default. Loopback only, unless TLS is on (--tls-cert, --tls-key) or --tcp-allow-remote.",
        valueName: "host:port"))
    var tcpAddress: String?

    @Flag(name: .customLong("migrate"), help: "Bring the data directory to this version's schema, check every row against the journal, and exit (0: intact; 1: a row or the journal disagrees; 74: cannot open or migrate). The daemon also migrates by itself at start.")
    var migrateOnly = false

    @Flag(name: .customLong("tcp-allow-remote"), help: "Allow plain (non-TLS) --tcp and --metrics-listen on a non-loopback address (tokens and the ledger then cross the network in the clear). With --tls-cert and --tls-key, --tcp may listen on any address without it.")
    var tcpAllowRemote = false

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain: with --tls-key, the TCP listener speaks TLS (1.2 or later).", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("tls-client-ca"), help: ArgumentHelp("PEM CA certificate: TCP clients must present a certificate it signed.", valueName: "file"))
    var tlsClientCA: String?

    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp(
        "Serve GET /metrics (Prometheus text format) and GET /healthz over HTTP at host:port. Off by default. Loopback only unless --tcp-allow-remote.",
        valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .customLong("frame-max-bytes"), help: ArgumentHelp("Largest frame body accepted, in bytes (1024…67108864; default 4194304).", valueName: "n"))
    var frameMaxBytes: String?

    @Option(name: .customLong("calls-in-flight-max"), help: ArgumentHelp("Calls in flight per connection; past it calls get RESOURCE_EXHAUSTED (default 1024).", valueName: "n"))
    var callsInFlightMax: String?

    @Option(name: .customLong("connections-max"), help: ArgumentHelp("Open connections; past it new connections are closed at once (default 4096).", valueName: "n"))
    var connectionsMax: String?

    @Option(name: .customLong("drain-timeout-ms"), help: ArgumentHelp("How long calls in flight may run after SIGTERM, in milliseconds (default 10000).", valueName: "ms"))
    var drainTimeoutMillis: String?

    @Option(name: .customLong("idle-timeout-ms"), help: ArgumentHelp("Close a connection with no call in flight and nothing received for this long, in milliseconds (0: never; default 300000).", valueName: "ms"))
    var idleTimeoutMillis: String?

    @Option(name: .customLong("frame-timeout-ms"), help: ArgumentHelp("A frame begun must arrive whole within this long, or the connection is closed (default 30000).", valueName: "ms"))
    var frameTimeoutMillis: String?

    @Option(name: .customLong("identity-calls-in-flight-max"), help: ArgumentHelp("Calls in flight of one identity over all its connections (default 1024).", valueName: "n"))
    var identityCallsInFlightMax: String?

    @Option(name: .customLong("identity-calls-per-second"), help: ArgumentHelp("Calls one identity may start per second, in bursts of as many (0: no limit; default 0).", valueName: "n"))
    var identityCallsPerSecond: String?

    @Option(name: .customLong("threads"), help: ArgumentHelp("Event loop threads. Default: one per core but one (left to the store's writer).", valueName: "n"))
    var threads: String?

    @Option(name: .customLong("store"), help: ArgumentHelp(
        "The database holding the ledger: a postgresql:// URI (several hosts: the primary is found among them), or sqlite (default): taizhang.db in --data-dir. A password belongs in a passfile ($CREDENTIALS_DIRECTORY/pgpass or PGPASSFILE), not here.",
        valueName: "uri"))
    var store: String?

    @Option(name: .customLong("store-max-bytes"), help: ArgumentHelp("Largest size of the ledger database file, in bytes; past it changes fail with RESOURCE_EXHAUSTED. 0 (default): only the disk limits it.", valueName: "n"))
    var storeMaxBytes: String?

    @Option(name: .customLong("cache-mib"), help: ArgumentHelp("MiB of decoded assets kept in memory; the rest are read from the ledger file when asked for (default 64; 0 keeps none).", valueName: "n"))
    var cacheMiB: String?

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

    @Option(name: .customLong("access-file"), help: ArgumentHelp(
        "JSON file of identities (name, role, scope, Unix uids) and bearer tokens (their SHA-256 only); docs/security.md, `taizhang token`. Default: local mode, where the daemon's own user and root may do everything and everyone else only ask for Health.",
        valueName: "file"))
    var accessFile: String?

    @Option(name: .customLong("alerts-to"), help: ArgumentHelp(
        "Where alert events go: journald (through libsystemd), stderr (one line each), or auto (default: journald when /run/systemd/journal/socket exists, else stderr).",
        valueName: "auto|journald|stderr"))
    var alertsTo: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp(
        "The lowest level of the daemon's own log lines: debug (every call, with its request-id), info (default), notice, warning, error.",
        valueName: "level"))
    var logLevel: String?

    @Option(name: .customLong("log-to"), help: ArgumentHelp(
        "Where the daemon's own log lines go: journald (native protocol, structured fields), stderr, or auto (default: journald when standard error is connected to it, as under systemd).",
        valueName: "auto|journald|stderr"))
    var logTo: String?

    @Option(name: .customLong("fault-commit-delay-ms"), help: ArgumentHelp("Testing only: delay each group commit.", visibility: .hidden))
    var faultCommitDelayMillis = 0

    static let defaultConfigPath = "/etc/taizhang/taizhangd.conf"
    /// The daemon's one clock: the server, store and monitor are given it.
    /// Testing only: TAIZHANG_FAULT_CLOCK_OFFSET_DAYS (0–3650) puts the
    /// daemon's wall clock that many days ahead, so a test can see what a
    /// later day brings (an overdue follow-up escalated).
    static let clock: any WallClock = SystemWallClock(offsetMillis: Int64(
        ProcessInfo.processInfo.environment["TAIZHANG_FAULT_CLOCK_OFFSET_DAYS"].flatMap(Int.init).map { min(max($0, 0), 3650) } ?? 0) * 86_400_000)

    /// The flags given, as assignments of the settings' keys.
    var flagAssignments: [DaemonSettings.Assignment] {
        let given: [(String, String?)] = [
            ("data-dir", dataDirectory), ("unix", unixPath), ("tcp", tcpAddress), ("tcp-allow-remote", tcpAllowRemote ? "true" : nil),
            ("tls-cert", tlsCertificate), ("tls-key", tlsKey), ("tls-client-ca", tlsClientCA),
            ("metrics-listen", metricsListen), ("frame-max-bytes", frameMaxBytes), ("calls-in-flight-max", callsInFlightMax),
            ("connections-max", connectionsMax), ("drain-timeout-ms", drainTimeoutMillis), ("idle-timeout-ms", idleTimeoutMillis),
            ("frame-timeout-ms", frameTimeoutMillis), ("identity-calls-in-flight-max", identityCallsInFlightMax),
            ("identity-calls-per-second", identityCallsPerSecond), ("threads", threads),
            ("store", store), ("store-max-bytes", storeMaxBytes), ("cache-mib", cacheMiB), ("holidays-dir", holidaysDirectory), ("depreciation-policy", depreciationPolicyFile),
            ("risk-config", riskConfigurationFile), ("access-file", accessFile), ("alerts-to", alertsTo), ("log-level", logLevel), ("log-to", logTo),
        ]
        return given.compactMap { key, value in value.map { DaemonSettings.Assignment(key: key, value: $0, origin: "--\(key)") } }
    }

    /// The signals the daemon handles: TERM and INT stop it, HUP reloads.
    static var handledSignals: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, number) }
        return signals
    }

    /// glibc gives a thread that finds the arenas busy an arena of its
    /// own, up to eight per core, and each keeps the memory freed into it:
    /// at a million assets the daemon held 247–254 MB after 20 s of random
    /// reads, 207 MB with four arenas, at the same read and write rates
    /// (docs/performance.md). Two per core, unless MALLOC_ARENA_MAX is set.
    static func boundMallocArenas() {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = mallopt(M_ARENA_MAX, Int32(2 * max(1, ProcessInfo.processInfo.activeProcessorCount)))
    }

    func run() throws {
        Taizhangd.boundMallocArenas()
        // Blocked in every thread (they inherit the mask) and taken by one
        // thread with sigwait once the daemon is ready: a signal sent early
        // waits, pending, instead of being lost or killing the process.
        var signals = Taizhangd.handledSignals
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let (settings, files, tls) = try loadSettings()
        let site = try Site(settings: settings, files: files, tls: tls)
        if migrateOnly {
            return try migrate(dataDirectory: site.dataDirectory, engine: Self.engine(settings), policy: site.configuration.depreciationPolicy)
        }
        signal(SIGPIPE, SIG_IGN)
        let (store, server, bound) = try openAndBind(site, settings: settings)
        let reloader = Reloader(configFile: configFile, defaultConfigPath: Taizhangd.defaultConfigPath, flags: flagAssignments, started: settings,
                                files: files, server: server, listening: bound.joined(separator: ", "))
        try serve(store: store, server: server, reloader: reloader, bound: bound, activated: site.activated, engine: Self.engine(settings))
    }

    /// The settings from the configuration file and the flags (exit 64 for
    /// a bad flag, 78 for a bad file or TLS file), and the daemon's log.
    private func loadSettings() throws -> (DaemonSettings, SettingsFiles, TLSFiles?) {
        let configPath = DaemonSettings.configPath(given: configFile, defaultPath: Taizhangd.defaultConfigPath)
        let loaded: (DaemonSettings, SettingsFiles)
        do {
            loaded = try DaemonSettings.loadWithFiles(path: configPath, flags: flagAssignments)
        } catch {
            let usage = error.problems.contains { $0.origin.hasPrefix("--") }
            FileHandle.standardError.write(Data("taizhangd: \(usage ? "" : "configuration: ")\(error)\n".utf8))
            throw ExitCode(usage ? 64 : 78)
        }
        let (settings, files) = loaded
        let tls = settings.tlsCertificate.flatMap { certificate in
            settings.tlsKey.map { TLSFiles(certificateChain: certificate, privateKey: $0, clientCA: settings.tlsClientCA) }
        }
        if let tls {
            do {
                _ = try TaizhangServer.tlsContext(tls)
            } catch {
                FileHandle.standardError.write(Data("taizhangd: configuration: tls-cert/tls-key/tls-client-ca: \(error)\n".utf8))
                throw ExitCode(78)
            }
        }
        let logDestination = DaemonLogging.install(settings.logTo, level: settings.logLevel)
        if let configPath { Log.info("configuration \(configPath); log lines go to \(logDestination) at \(settings.logLevel.rawValue) and above") }
        return (settings, files, tls)
    }

    /// Opens the ledger and the alert store, builds the server and binds its
    /// listeners (exit 74: a store cannot open; 70: a method is not
    /// declared; 71: cannot listen).
    private func openAndBind(_ site: Site, settings: DaemonSettings) throws -> (SQLiteLedgerStore, TaizhangServer, [String]) {
        // The alert store reads its open alerts on another core while the
        // ledger store opens: with many entities each reads a hundred
        // thousand records or more (measured: 2.0 s to ready one after the
        // other at 100,000 entities).
        let openAlerts = Self.openAlertStore(site: site, engine: Self.engine(settings))
        if let offset = ProcessInfo.processInfo.environment["TAIZHANG_FAULT_CLOCK_OFFSET_DAYS"], offset != "0" {
            FileHandle.standardError.write(Data("taizhangd: TESTING ONLY: TAIZHANG_FAULT_CLOCK_OFFSET_DAYS=\(offset) puts this daemon's clock ahead; never set it on a county's server\n".utf8))
        }
        let store: SQLiteLedgerStore
        do {
            var storeConfiguration = SQLiteStoreConfiguration(dataDirectory: site.dataDirectory)
            storeConfiguration.faultCommitDelayMillis = faultCommitDelayMillis
            storeConfiguration.databaseMaxBytes = settings.storeMaxBytes
            storeConfiguration.cacheBytes = Int(settings.cacheMiB) << 20
            storeConfiguration.depreciationPolicy = site.configuration.depreciationPolicy
            storeConfiguration.engine = Self.engine(settings)
            (storeConfiguration.treeHeadKey, storeConfiguration.retiredTreeHeadKeys) = try Self.treeHeadKey(site: site, settings: settings)
            store = try SQLiteLedgerStore(configuration: storeConfiguration, clock: Taizhangd.clock)
        } catch let exit as ExitCode {
            _ = try? openAlerts()
            throw exit
        } catch {
            Log.error("cannot open the ledger in \(Self.engine(settings)?.description ?? site.dataDirectory): \(error)")
            _ = try? openAlerts()
            throw ExitCode(74)
        }
        let alerts: AlertStore
        let server: TaizhangServer
        do {
            alerts = try openAlerts()
        } catch {
            Log.error("cannot open the alert store in \(Self.engine(settings)?.description ?? site.dataDirectory): \(error)")
            store.close()
            throw ExitCode(74)
        }
        var configuration = site.configuration
        configuration.personalDataKey = try Self.personalDataKey(site: site, store: store)
        do {
            let ledgerGuard = LedgerGuard(store: store, anchorage: LedgerGuard.defaultAnchorage(),
                                          dataDirectory: URL(fileURLWithPath: site.dataDirectory).standardizedFileURL.path, clock: Taizhangd.clock)
            server = try TaizhangServer(configuration: configuration, store: store, alerts: alerts, clock: Taizhangd.clock,
                                        ledgerGuard: ledgerGuard)
        } catch {
            // A method without a declaration is never served unchecked (EX_SOFTWARE).
            Log.error("cannot serve: \(error)")
            store.close()
            throw ExitCode(70)
        }
        // Before any call: a journal that does not extend its anchored head holds the ledger read-only.
        server.ledgerGuard.checkAtStart()
        var bound: [String]
        do {
            try FileManager.default.createDirectory(atPath: (site.unixPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            bound = try server.start() + site.activated.map { try server.adopt(descriptor: $0.descriptor, tcp: $0.isTCP) }
            if let metricsListen = settings.metricsListen, let (host, port) = try? DaemonSettings.parseHostPort(metricsListen) {
                bound.append(try server.startMetricsListener(host: host, port: port))
            }
        } catch {
            Log.error("cannot listen: \(error)")
            store.close()
            throw ExitCode(71)
        }
        Self.logOpened(store: store, alerts: alerts, server: server, site: site)
        return (store, server, bound)
    }

    /// The key signing the journal's tree heads (exit 78 when it cannot be read).
    private static func treeHeadKey(site: Site, settings: DaemonSettings) throws -> (Ed25519SigningKey, [Ed25519PublicKey]) {
        do {
            let signedHeads = try engine(settings)?.treeHeadCount() ?? SQLiteLedgerStore.treeHeadCount(dataDirectory: site.dataDirectory)
            let (key, retired, warning) = try TreeHeadKeyFile.load(environment: ProcessInfo.processInfo.environment, dataDirectory: site.dataDirectory,
                                                                   signedHeads: signedHeads)
            if let warning { Log.warning(warning) }
            return (key, retired)
        } catch {
            Log.error("tree-head key: \(error)")
            throw ExitCode(78)
        }
    }

    /// Starts opening the alert store; the function returned waits for it.
    /// On PostgreSQL the alerts are in the ledger's database, shared by its
    /// daemons; else `alerts.db` in the data directory.
    private static func openAlertStore(site: Site, engine: PostgresEngine?) -> () throws -> AlertStore {
        let directory = site.dataDirectory
        let alertsOpened = Mutex<Result<AlertStore, any Error>?>(nil)
        let alertsDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let result = Result {
                if let engine {
                    try AlertStore(shared: try engine.openAlertConnection(), daemonName: "\(ProcessInfo.processInfo.hostName) pid \(getpid())")
                } else {
                    try AlertStore(dataDirectory: directory)
                }
            }
            alertsOpened.withLock { $0 = result }
            alertsDone.signal()
        }
        let openAlerts = { () throws -> AlertStore in
            alertsDone.wait()
            alertsDone.signal()  // a second wait returns at once
            return try alertsOpened.withLock { $0! }.get()
        }
        return openAlerts
    }

    /// The PostgreSQL engine `store` names; nil: the SQLite file in the
    /// data directory. A passfile among the service's credentials
    /// (`$CREDENTIALS_DIRECTORY/pgpass`) is libpq's, unless PGPASSFILE says another.
    static func engine(_ settings: DaemonSettings) -> PostgresEngine? {
        guard let uri = settings.store else { return nil }
        let environment = ProcessInfo.processInfo.environment
        if environment["PGPASSFILE"] == nil, let credentials = environment["CREDENTIALS_DIRECTORY"],
           FileManager.default.fileExists(atPath: credentials + "/pgpass") {
            setenv("PGPASSFILE", credentials + "/pgpass", 1)
        }
        return PostgresEngine(conninfo: uri)
    }

    /// The personal-data key, checked against the register (exit 78, the
    /// store closed, when it is missing for a ledger with households or wrong).
    private static func personalDataKey(site: Site, store: SQLiteLedgerStore) throws -> PersonalDataKey {
        do {
            let (key, warning) = try PersonalDataKeyFile.load(environment: ProcessInfo.processInfo.environment, dataDirectory: site.dataDirectory,
                                                              register: store)
            if let warning { Log.warning(warning) }
            return key
        } catch {
            Log.error("personal-data key: \(error)")
            store.close()
            throw ExitCode(78)
        }
    }

    private static func logOpened(store: SQLiteLedgerStore, alerts: AlertStore, server: TaizhangServer, site: Site) {
        let counts = store.statistics().recordCounts
        Log.info("ledger \(store.engineDescription): \(counts["asset"] ?? 0) assets, \(counts["project"] ?? 0) projects, \(counts["admin_unit"] ?? 0) admin units, \(counts["entity"] ?? 0) operating entities")
        let risk = site.configuration.risk
        if risk.enabled {
            Log.info("risk monitor: a run every \(risk.intervalSeconds) s and \(risk.debounceMillis) ms after a change; \(alerts.openAlerts().count) open alerts; alerts go to \(server.alertDestination ?? "nowhere")")
        } else {
            Log.warning("risk monitor: switched off by the risk configuration; no alerts are raised or cleared")
        }
    }

    /// Runs the daemon's services under one ServiceGroup until SIGTERM or
    /// SIGINT (SIGHUP reloads); they stop in reverse order (DaemonServices.swift).
    private func serve(store: SQLiteLedgerStore, server: TaizhangServer, reloader: Reloader, bound: [String],
                       activated: [ServiceManager.Listener], engine: PostgresEngine?) throws {
        let (hangups, hangup) = AsyncStream<Void>.makeStream(bufferingPolicy: .unbounded)
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: StoreService(store: store)),
            .init(service: AnchorService(ledgerGuard: server.ledgerGuard)),
            .init(service: LedgerCheckService(ledgerGuard: server.ledgerGuard)),
            .init(service: EventLoopService(server: server)),
            .init(service: RiskMonitorService(server: server)),
            .init(service: ReloadService(reloader: reloader, hangups: hangups)),
            .init(service: StatusService(reloader: reloader)),
            .init(service: MetricsService(server: server)),
            .init(service: ListenerService(server: server, drainMillis: { reloader.drainTimeoutMillis })),
        ], logger: Logger(label: "taizhangd")))
        Taizhangd.takeSignals(stop: { Task { await group.triggerGracefulShutdown() } }, hangup: { hangup.yield() })
        // The monitor takes RunMonitor calls from the first one answered
        // (its service, started with the group, finds it running).
        server.startMonitor(followAlerts: engine.map { engine in { engine.followAlerts($0) } })
        // Tests and scripts read these lines to learn the addresses.
        var announcement = ""
        for address in bound {
            announcement += "taizhangd: listening on \(address)\n"
        }
        announcement += "taizhangd: ready\n"
        FileHandle.standardOutput.write(Data(announcement.utf8))
        if !activated.isEmpty { Log.info("adopted \(activated.count) socket(s) from the service manager: \(activated.map(\.name).joined(separator: ", "))") }
        // Ready only now: the store is open, migrations ran, the listeners accept.
        ServiceManager.notify("READY=1\nSTATUS=\(reloader.statusLine())")
        Taizhangd.startWatchdog(server: server)
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        Task {
            do { try await group.run() } catch { failure.withLock { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) {
            Log.error("stopped on an error: \(error)")
            throw ExitCode(70)
        }
        Log.info("stopped")
    }

    /// Takes TERM, INT and HUP with sigwait on a thread of its own: TERM and
    /// INT stop the daemon (once), HUP reloads (ignored once stopping).
    private static func takeSignals(stop: @escaping @Sendable () -> Void, hangup: @escaping @Sendable () -> Void) {
        let signalThread = Thread {
            var signals = Taizhangd.handledSignals
            var stopping = false
            while true {
                var received: Int32 = 0
                guard sigwait(&signals, &received) == 0 else { continue }
                if received != SIGHUP {
                    if !stopping { stop() }
                    stopping = true
                } else if stopping {
                    Log.info("reload: ignored, the daemon is stopping")
                } else {
                    hangup()
                }
            }
        }
        thread(signalThread, name: "taizhang-signals")
    }

    /// The watchdog (WatchdogSec=): ping at half the interval, but only
    /// while the event loops run tasks and the store commits.
    private static func startWatchdog(server: TaizhangServer) {
        var watchdogUsec: UInt64 = 0
        guard ServiceManager.isSupervised, sd_watchdog_enabled(0, &watchdogUsec) > 0, watchdogUsec > 0 else { return }
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
}

/// Where the daemon keeps its data and listens, and the server's configuration.
struct Site {
    let dataDirectory: String
    let unixPath: String
    /// Sockets passed by systemd (LISTEN_FDS): they replace the ones we would bind.
    let activated: [ServiceManager.Listener]
    let configuration: ServerConfiguration

    init(settings: DaemonSettings, files: SettingsFiles, tls: TLSFiles?) throws {
        let environment = ProcessInfo.processInfo.environment
        dataDirectory = settings.dataDirectory
            ?? environment["STATE_DIRECTORY"].map { String($0.split(separator: ":").first ?? "") }
            ?? (NSHomeDirectory() + "/.local/share/taizhang")
        unixPath = settings.unixPath
            ?? environment["RUNTIME_DIRECTORY"].map { String($0.split(separator: ":").first ?? "") + "/taizhang.sock" }
            ?? (dataDirectory + "/taizhang.sock")
        if unixPath.utf8.count >= 108 {
            FileHandle.standardError.write(Data("taizhangd: the Unix socket path \(unixPath) is \(unixPath.utf8.count) bytes; Linux allows at most 107; set a shorter unix\n".utf8))
            throw ExitCode(64)
        }
        activated = ServiceManager.listenDescriptors()
        var listeners: [BindAddress] = activated.isEmpty ? [.unixDomainSocket(path: unixPath)] : []
        if let tcp = settings.tcp, let (host, port) = try? DaemonSettings.parseHostPort(tcp) {
            listeners.append(.hostname(host, port: port))
        }
        var configuration = ServerConfiguration(listeners: listeners)
        configuration.frameMaxBytes = settings.frameMaxBytes
        configuration.callsInFlightMaxPerConnection = settings.callsInFlightMax
        configuration.connectionsMax = settings.connectionsMax
        configuration.drainTimeoutMillis = settings.drainTimeoutMillis
        configuration.connectionPolicy = settings.connectionPolicy
        configuration.backupDirectory = dataDirectory + "/backups"
        configuration.tls = tls
        if let threads = settings.threads { configuration.eventLoopThreads = max(1, threads) }
        configuration.calendar = files.calendar
        configuration.depreciationPolicy = files.depreciationPolicy
        configuration.risk = files.risk
        configuration.access = files.access
        configuration.alertsTo = settings.alertsTo
        self.configuration = configuration
        Log.info("holiday calendars for \(Taizhangd.yearRanges(configuration.calendar.knownYears)); depreciation starts \(configuration.depreciationPolicy.start.rawValue), \(configuration.depreciationPolicy.classes.count) minimum-life classes")
        if let warning = configuration.calendar.missingCalendarWarning(today: Taizhangd.clock.today()) {
            Log.warning(warning)
        }
    }
}

extension Taizhangd {
    /// "2016–2026" for a run of years, runs joined by commas.
    static func yearRanges(_ years: [Int]) -> String {
        var runs: [(Int, Int)] = []
        for year in years.sorted() {
            if let last = runs.last, last.1 + 1 == year { runs[runs.count - 1].1 = year } else { runs.append((year, year)) }
        }
        return runs.map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)–\($0.1)" }.joined(separator: ", ")
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

    /// CLOCK_MONOTONIC in microseconds (MONOTONIC_USEC= of a reload).
    static func monotonicMicros() -> UInt64 {
        Taizhangd.clock.monotonicNanos() / 1000
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
