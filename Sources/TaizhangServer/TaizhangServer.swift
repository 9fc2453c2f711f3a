// The server: binds the listeners, serves connections, and drains on
// shutdown (stop accepting, answer new calls UNAVAILABLE, let in-flight
// calls finish within the drain timeout, then close).

import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TaizhangCore
import TaizhangStore
import TaizhangWire

/// The Taizhang RPC server.
public final class TaizhangServer: Sendable {
    private let state: ServerState
    private let group: MultiThreadedEventLoopGroup
    private let listeners = Mutex([any Channel]())
    private let unixPaths = Mutex([String]())
    private let store: any LedgerStore
    private let monitor: RiskMonitor?

    /// A server over `store` with `configuration`. With `alerts`, the risk
    /// monitor runs (unless its configuration switches it off) and keeps its
    /// alerts there.
    public init(configuration: ServerConfiguration, store: any LedgerStore, alerts: AlertStore? = nil,
                clock: any WallClock = SystemWallClock()) {
        self.store = store
        let holder = StateHolder()
        let context = LedgerContext(policy: configuration.depreciationPolicy, calendar: configuration.calendar, clock: clock)
        let monitor = alerts.map {
            RiskMonitor(store: store, alerts: $0, configuration: configuration.risk, sink: AlertSinks.make(configuration.alertsTo), clock: clock)
        }
        self.monitor = monitor
        let riskSource: any RiskConfigurationSource = monitor ?? FixedRiskConfiguration(configuration: configuration.risk)
        let ledger = LedgerService.methods(store: store, context: context)
            + LedgerService.operationsMethods(store: store, context: context, risk: riskSource)
        var all: [MethodSpec] = []
        let system = SystemService.methods(store: store, monitor: monitor, server: { holder.state.withLock { $0 } },
                                           all: { holder.methods.withLock { $0 } })
        all = ledger + RiskService.methods(store: store, monitor: monitor, context: context, risk: riskSource) + system
        let state = ServerState(configuration: configuration, methods: all, clock: clock)
        self.state = state
        holder.state.withLock { $0 = state }
        holder.methods.withLock { $0 = all }
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
    }

    /// Where alerts go: "journald" or "stderr"; nil without a monitor.
    public var alertDestination: String? { monitor?.sink.name }

    /// Starts the risk monitor (after the listeners are bound).
    public func startMonitor() {
        monitor?.start()
    }

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

    /// A line for a person: where it listens and what it holds, and the risk
    /// monitor's last run (systemd's STATUS=).
    public func statusLine() -> String {
        let counts = store.statistics().recordCounts
        var line = "\(counts["asset"] ?? 0) assets, \(counts["entity"] ?? 0) operating entities, \(openConnections) connections"
        if let monitor {
            if !monitor.enabled {
                line += "; risk monitor off"
            } else if let run = monitor.lastRunSummary {
                let open = monitor.alerts.openCounts()
                line += "; risk run \(run.finishedAt) took \(run.durationMicros / 1000) ms, open alerts red \(open[.red] ?? 0) yellow \(open[.yellow] ?? 0)"
            }
        }
        return line
    }

    private func makeBootstrap(tcp: Bool) -> ServerBootstrap {
        let state = self.state
        let frameMaxBytes = state.configuration.frameMaxBytes
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameMaxBytes: frameMaxBytes)))
                    try channel.pipeline.syncOperations.addHandler(RPCConnectionHandler(server: state))
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
        state.draining.store(true, ordering: .sequentiallyConsistent)
        for channel in listeners.withLock({ $0 }) {
            try? channel.close().wait()
        }
        state.endStreams(.init(code: .unavailable, message: "the server is shutting down; watch again against the restarted daemon (after_seq: the last seq you saw)"))
        monitor?.stop()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(state.configuration.drainTimeoutMillis) * 1_000_000
        // Poll the in-flight count: shutdown happens once, and a 5 ms step
        // keeps the wait short without a signal path on the hot path.
        while state.callsInFlight.load(ordering: .relaxed) > 0, DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(5_000)
        }
        for channel in state.allChannels() {
            try? channel.close().wait()
        }
        store.close()
        for path in unixPaths.withLock({ $0 }) {
            unlink(path)
        }
        try? group.syncShutdownGracefully()
    }

    /// Open connections now.
    public var openConnections: Int { state.openConnections.load(ordering: .relaxed) }
}
