// The server: binds the listeners, serves connections, and drains on
// shutdown (stop accepting, answer new calls UNAVAILABLE, let in-flight
// calls finish within the drain timeout, then close).

import CoreMetrics
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import TaizhangCore
import TaizhangStore
import TaizhangWire

/// The Taizhang RPC server.
public final class TaizhangServer: Sendable {
    private let state: ServerState
    private let group: MultiThreadedEventLoopGroup
    private let listeners = Mutex([any Channel]())
    /// TLS of the TCP listeners, when configured.
    private let tlsContext: NIOSSLContext?

    /// The TLS context of `files`: the certificate chain and key, and the
    /// client CA whose certificates are then required. Throws on a missing
    /// or bad file (the daemon checks this before it starts).
    public static func tlsContext(_ files: TLSFiles) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.privateKey, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA = files.clientCA {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
            configuration.certificateVerification = .noHostnameVerification
        }
        return try NIOSSLContext(configuration: configuration)
    }
    private let unixPaths = Mutex([String]())
    /// The /metrics listener's channel, closed after the RPC listeners drain.
    let metricsListeners = Mutex([any Channel]())
    private let store: any LedgerStore
    private let monitor: RiskMonitor?
    private let context: LedgerContext
    /// The head anchored outside the database and the ledger's checks.
    public let ledgerGuard: LedgerGuard
    /// The server's metrics (served on /metrics by a MetricsListener).
    public let metrics: ServerMetrics

    /// A server over `store` with `configuration`. With `alerts`, the risk
    /// monitor runs (unless its configuration switches it off) and keeps its
    /// alerts there.
    /// Throws `DeclarationError` when a served method has no complete
    /// declaration in proto/.
    public init(configuration: ServerConfiguration, store: any LedgerStore, alerts: AlertStore? = nil,
                clock: any WallClock = SystemWallClock(), ledgerGuard: LedgerGuard? = nil) throws {
        self.store = store
        let ledgerGuard = ledgerGuard ?? LedgerGuard(store: store, anchorage: nil, dataDirectory: "", clock: clock)
        self.ledgerGuard = ledgerGuard
        tlsContext = configuration.tls.flatMap { try? TaizhangServer.tlsContext($0) }
        let holder = StateHolder()
        let context = LedgerContext(policy: configuration.depreciationPolicy, calendar: configuration.calendar, clock: clock)
        let monitor = alerts.map {
            RiskMonitor(store: store, alerts: $0, configuration: configuration.risk, sink: AlertSinks.make(configuration.alertsTo), clock: clock,
                        calendar: { context.calendar })
        }
        self.monitor = monitor
        self.context = context
        let riskSource: any RiskConfigurationSource = monitor ?? FixedRiskConfiguration(configuration: configuration.risk)
        let ledger = LedgerService.methods(store: store, context: context, ledgerGuard: ledgerGuard)
            + LedgerService.operationsMethods(store: store, context: context, risk: riskSource)
            + LedgerService.stewardshipMethods(store: store, context: context, risk: riskSource)
            + LedgerService.upkeepMethods(store: store, context: context)
        var all: [MethodSpec] = []
        let system = SystemService.methods(store: store, monitor: monitor, context: context, server: { holder.state.withLock { $0 } },
                                           backups: BackupSessions(directory: configuration.backupDirectory, clock: clock),
                                           all: { holder.methods.withLock { $0 } })
        all = ledger + RiskService.methods(store: store, monitor: monitor, context: context, risk: riskSource)
            + SupervisionService.methods(store: store, context: context, risk: riskSource)
            + HouseholdService.methods(store: store, context: context, key: configuration.personalDataKey) + system
        all = try MethodDeclarations.bind(all, to: MethodDeclarations.served.get())
        let metrics = ServerMetrics(version: configuration.version)
        self.metrics = metrics
        let state = ServerState(configuration: configuration, methods: all, store: store, clock: clock, metrics: metrics)
        self.state = state
        holder.state.withLock { $0 = state }
        store.observeGroupCommits { [metrics] in metrics.record($0) }
        TaizhangServer.collectGauges(metrics: metrics, state: state, store: store, monitor: monitor)
        holder.methods.withLock { $0 = all }
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
    }

    /// Where alerts go: "journald" or "stderr"; nil without a monitor.
    public var alertDestination: String? { monitor?.sink.name }

    /// Starts the risk monitor (after the listeners are bound). On a ledger
    /// several daemons share, `followAlerts` starts hearing the alert events
    /// the leading monitor stores (each notice makes the tail look at once).
    public func startMonitor(followAlerts: ((@escaping @Sendable () -> Void) -> any StoreFollower)? = nil) {
        monitor?.start()
        if let followAlerts, let tail = monitor?.tail {
            let follower = followAlerts { tail.poke() }
            alertFollower.withLock { $0 = follower }
        }
    }

    /// Hears the alert events of a shared ledger (nil alone).
    private let alertFollower = Mutex<(any StoreFollower)?>(nil)

    private final class StateHolder: Sendable {
        let state = Mutex<ServerState?>(nil)
        let methods = Mutex<[MethodSpec]>([])
    }

    /// Binds every configured listener. Returns the bound addresses (a TCP
    /// port of 0 becomes the real port).
    @discardableResult
    public func start() throws -> [String] {
        var bound: [String] = []
        for address in state.configuration.listeners {
            let channel = try bind(address)
            listeners.withLock { $0.append(channel) }
            switch address.kind {
            case .unixDomainSocket(let path):
                unixPaths.withLock { $0.append(path) }
                bound.append("unix:\(path)")
            case .hostname(let host, _):
                let port = channel.localAddress?.port ?? 0
                bound.append(host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)")
            }
        }
        return bound
    }

    /// Adopts an already-bound listening socket (socket activation) and
    /// returns its address ("unix:PATH", "tcp:HOST:PORT"). Its socket file is
    /// the manager's: it is not removed on shutdown.
    @discardableResult
    public func adopt(descriptor: CInt, tcp: Bool) throws -> String {
        let channel = try makeBootstrap(tcp: tcp).withBoundSocket(descriptor).wait()
        listeners.withLock { $0.append(channel) }
        switch channel.localAddress {
        case .unixDomainSocket?:
            return "unix:\(channel.localAddress?.pathname ?? "?")"
        case let address?:
            let host = address.ipAddress ?? "?"
            return host.contains(":") ? "tcp:[\(host)]:\(address.port ?? 0)" : "tcp:\(host):\(address.port ?? 0)"
        case nil:
            return "fd:\(descriptor)"
        }
    }

    /// Whether the daemon is healthy enough to keep alive (the systemd
    /// watchdog): every event loop runs a task, and the store's writer
    /// commits a probe, each within `timeoutMillis`.
    public func isAlive(timeoutMillis: Int64) -> Bool {
        for loop in group.makeIterator() {
            let answered = DispatchSemaphore(value: 0)
            loop.execute { answered.signal() }
            if answered.wait(timeout: .now() + .milliseconds(Int(timeoutMillis))) == .timedOut { return false }
        }
        let committed = DispatchSemaphore(value: 0)
        let outcome = Mutex(false)
        let context = CallerContext(identity: "taizhangd", actor: "", method: "watchdog", requestId: "watchdog", requestSHA256: "",
                                    idempotencyKey: nil)
        _ = store.submit(.probe, context: context, encode: { _ in [] }, completion: { reply in
            if case .success = reply { outcome.withLock { $0 = true } }
            committed.signal()
        })
        if committed.wait(timeout: .now() + .milliseconds(Int(timeoutMillis))) == .timedOut { return false }
        return outcome.withLock { $0 } && store.statistics().writable
    }

    /// Whether the daemon serves (/healthz): not draining, the store can
    /// commit, and the event loops and the writer answer within `timeoutMillis`.
    public func health(timeoutMillis: Int64) -> (healthy: Bool, reason: String) {
        if state.draining.load(ordering: .relaxed) { return (false, "shutting down") }
        if !store.statistics().writable { return (false, "the store cannot commit to disk; see the daemon's log") }
        if !isAlive(timeoutMillis: timeoutMillis) {
            return (false, "an event loop or the store's writer did not answer within \(timeoutMillis) ms")
        }
        return (true, "")
    }

    var eventLoopGroup: MultiThreadedEventLoopGroup { group }

    /// A line for a person: where it listens and what it holds, and the risk
    /// monitor's last run (systemd's STATUS=).
    public func statusLine() -> String {
        let counts = store.statistics().recordCounts
        var line = "\(counts["asset"] ?? 0) assets, \(counts["entity"] ?? 0) operating entities, \(openConnections) connections"
        if let monitor {
            if !monitor.enabled {
                line += "; risk monitor off"
            } else if !monitor.alerts.leading {
                line += "; risk monitor waiting (another daemon's leads)"
            } else if let run = monitor.lastRunSummary {
                let open = monitor.alerts.openCounts()
                line += "; risk run \(run.finishedAt) took \(run.durationMicros / 1000) ms, open alerts red \(open[.red] ?? 0) yellow \(open[.yellow] ?? 0)"
            }
        }
        return line
    }

    private func makeBootstrap(tcp: Bool) -> ServerBootstrap {
        let state = self.state
        let tls = tcp ? tlsContext : nil
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Read per connection: a reload applies to connections opened after it.
                    let frameMaxBytes = state.frameMaxBytes.load(ordering: .relaxed)
                    let progress = FrameProgress(clock: state.clock)
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(SlowFrameGuard(progress: progress))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameMaxBytes: frameMaxBytes)))
                    try channel.pipeline.syncOperations.addHandler(RPCConnectionHandler(server: state, progress: progress))
                }
            }
        if tcp {
            bootstrap = bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        return bootstrap
    }

    private func bind(_ address: BindAddress) throws -> any Channel {
        switch address.kind {
        case .unixDomainSocket(let path):
            return try makeBootstrap(tcp: false).bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        case .hostname(let host, let port):
            return try makeBootstrap(tcp: true).bind(host: host, port: port).wait()
        }
    }

    /// Drains and stops: stops accepting, answers new calls UNAVAILABLE, waits
    /// up to the drain timeout for in-flight calls, closes every connection,
    /// then closes the store. Blocks until done.
    public func shutdown() {
        stopMonitor()
        stopServing()
        stopMetrics()
        stopEventLoops()
        store.close()
    }

    /// Closes the /metrics listener and its connections: after the RPC
    /// calls drained, so a scrape during the drain still sees it.
    public func stopMetrics() {
        for channel in metricsListeners.withLock({ $0 }) {
            try? channel.close().wait()
        }
    }

    /// Shuts the event loops down, last of the network parts: every
    /// listener and connection is closed by then.
    public func stopEventLoops() {
        try? group.syncShutdownGracefully()
    }

    /// Stops the risk monitor's thread (after its run in progress).
    public func stopMonitor() {
        alertFollower.withLock { $0 }?.stop()
        monitor?.stop()
    }

    /// Stops serving, in order: stop accepting (listeners closed), end the
    /// streams, let the calls in flight finish (up to drain-timeout-ms; new
    /// calls get UNAVAILABLE), then tell every connection on call_id 0 and
    /// close it. The /metrics listener, the event loops and the store stay:
    /// stop them after. Blocks until done.
    public func stopServing() {
        state.draining.store(true, ordering: .sequentiallyConsistent)
        for channel in listeners.withLock({ $0 }) {
            try? channel.close().wait()
        }
        state.endStreams(.init(code: .unavailable, message: "the server is shutting down; watch again against the restarted daemon (after_seq: the last seq you saw)"))
        let deadline = state.clock.monotonicNanos() + UInt64(state.drainTimeoutMillis.load(ordering: .relaxed)) * 1_000_000
        // Poll the in-flight count: shutdown happens once, and a 5 ms step
        // keeps the wait short without a signal path on the hot path.
        while state.callsInFlight.load(ordering: .relaxed) > 0, state.clock.monotonicNanos() < deadline {
            usleep(5_000)
        }
        let channels = state.allChannels()
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ServerStopping())
        }
        for channel in channels {
            try? channel.closeFuture.wait()
        }
        for path in unixPaths.withLock({ $0 }) {
            unlink(path)
        }
    }

    // MARK: Metrics

    /// Sets the gauges of /metrics from the server's state before each scrape.
    private static func collectGauges(metrics: ServerMetrics, state: ServerState, store: any LedgerStore, monitor: RiskMonitor?) {
        let riskRuns = CoreMetrics.Counter(label: "taizhang_risk_runs_total", dimensions: [], factory: metrics.factory)
        let countedRuns = Mutex<UInt64>(0)
        metrics.addCollector { metrics in
            metrics.gauge("taizhang_connections").record(state.openConnections.load(ordering: .relaxed))
            metrics.gauge("taizhang_calls_in_flight").record(state.callsInFlight.load(ordering: .relaxed))
            metrics.gauge("taizhang_draining").record(state.draining.load(ordering: .relaxed) ? 1 : 0)
            metrics.gauge("taizhang_uptime_seconds").record(Int64((state.clock.monotonicNanos() - state.startedMonotonicNanos) / 1_000_000_000))
            let stats = store.statistics()
            metrics.gauge("taizhang_store_bytes").record(Int64(clamping: stats.storageBytes))
            metrics.gauge("taizhang_store_writable").record(stats.writable ? 1 : 0)
            metrics.gauge("taizhang_ledger_held").record(store.heldReason == nil ? 0 : 1)
            metrics.gauge("taizhang_audit_head_seq").record(Int64(clamping: stats.auditHeadSeq))
            for (kind, count) in stats.recordCounts {
                metrics.gauge("taizhang_store_records", ["kind": kind]).record(Int64(clamping: count))
            }
            guard let monitor else { return }
            metrics.gauge("taizhang_risk_monitor_enabled").record(monitor.enabled ? 1 : 0)
            metrics.gauge("taizhang_risk_monitor_leading").record(monitor.enabled && monitor.alerts.leading ? 1 : 0)
            var open: [String: Int] = [:]
            for record in monitor.alerts.openAlerts().values {
                open["\(record.kind.rawValue) \(record.level.rawValue)", default: 0] += 1
            }
            for kind in AlertKind.allCases {
                for level in [AlertLevel.yellow, .red] {
                    metrics.gauge("taizhang_alerts_open", ["kind": kind.rawValue, "level": level.rawValue])
                        .record(open["\(kind.rawValue) \(level.rawValue)"] ?? 0)
                }
            }
            if let tally = monitor.followUps.withLock({ $0 }) {
                for level in [AlertLevel.yellow, .red] {
                    for state in FollowUpState.allCases where state != .closed {
                        let key = FollowUpTally.key(level, state)
                        metrics.gauge("taizhang_alert_follow_ups", ["level": level.rawValue, "state": state.rawValue]).record(tally.owed[key] ?? 0)
                        metrics.gauge("taizhang_alert_follow_up_oldest_days", ["level": level.rawValue, "state": state.rawValue]).record(tally.oldestDays[key] ?? 0)
                    }
                }
                metrics.gauge("taizhang_alert_follow_ups_overdue").record(tally.overdue)
            }
            let runs = monitor.runCount
            let delta = countedRuns.withLock { counted -> UInt64 in
                defer { counted = max(counted, runs) }
                return runs > counted ? runs - counted : 0
            }
            if delta > 0 { riskRuns.increment(by: delta) }
            if let last = monitor.lastRunSummary {
                metrics.gauge("taizhang_risk_last_run_timestamp_seconds").record(Double(last.finishedUnixMillis) / 1000)
                metrics.gauge("taizhang_risk_last_run_duration_seconds").record(Double(last.durationMicros) / 1_000_000)
                metrics.gauge("taizhang_risk_last_run_ok").record(last.error.isEmpty ? 1 : 0)
            }
        }
    }

    // MARK: Reload

    /// Replaces the limits; frame-max-bytes applies to connections opened
    /// from now on, the others at once.
    public func setLimits(frameMaxBytes: Int, callsInFlightMax: Int, connectionsMax: Int, drainTimeoutMillis: Int64) {
        state.frameMaxBytes.store(frameMaxBytes, ordering: .relaxed)
        state.callsInFlightMax.store(callsInFlightMax, ordering: .relaxed)
        state.connectionsMax.store(connectionsMax, ordering: .relaxed)
        state.drainTimeoutMillis.store(drainTimeoutMillis, ordering: .relaxed)
    }

    /// Replaces the idle, frame and per-identity limits, for what follows.
    public func setConnectionPolicy(_ policy: ConnectionPolicy) {
        state.connectionPolicy.withLock { $0 = policy }
    }

    /// Replaces who is admitted, for the calls that follow.
    public func setAccess(_ access: AccessPolicy) {
        state.access.withLock { $0 = access }
        state.revalidate()
    }

    /// Replaces the working-day calendar for the calls that follow.
    public func setCalendar(_ calendar: WorkingDayCalendar) {
        context.calendar = calendar
    }

    /// Replaces the risk monitor's weights, thresholds and schedule and runs
    /// it once with them. Returns false, changing nothing, when the change
    /// switches the monitor on or off: that needs a restart.
    @discardableResult
    public func setRiskConfiguration(_ configuration: RiskConfiguration) -> Bool {
        guard let monitor else { return true }
        return monitor.reconfigure(configuration)
    }

    /// The risk monitor's configuration now (the defaults without a monitor).
    public var riskConfiguration: RiskConfiguration { monitor?.current() ?? RiskConfiguration() }

    /// Open connections now.
    public var openConnections: Int { state.openConnections.load(ordering: .relaxed) }
}
