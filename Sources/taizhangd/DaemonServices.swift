// The daemon's long-running parts as ServiceLifecycle services under one
// ServiceGroup (Taizhangd.serve). They start in the order listed there and,
// on SIGTERM or SIGINT, stop in reverse: the RPC listeners stop accepting
// and drain the calls in flight (each gets its answer, or UNAVAILABLE), the
// /metrics listener closes, the status line and the reloader stop, the risk
// monitor stops, the event loops shut down, the ledger check ends, the
// journal's head is anchored in journald, and last the store's writer
// flushes and the ledger closes.

import Foundation
import Logging
import ServiceLifecycle
import TaizhangServer
import TaizhangStore

/// The ledger store: open while the daemon runs; closed last, once every
/// call that could write has been answered.
struct StoreService: Service {
    let store: SQLiteLedgerStore

    func run() async throws {
        try? await gracefulShutdown()
        store.close()
        Log.info("stopped: the ledger is closed")
    }
}

/// The journal's head to journald (LedgerGuard) every 5 minutes while it
/// moves, and once more at a clean stop: after the calls drained, before
/// the ledger closes. A signed head of its Merkle tree goes with each.
struct AnchorService: Service {
    let ledgerGuard: LedgerGuard
    static let interval = Duration.seconds(300)

    func run() async throws {
        while await pause(AnchorService.interval) {
            ledgerGuard.anchor("periodic")
            ledgerGuard.signTreeHead()
        }
        ledgerGuard.anchor("stop")
        ledgerGuard.signTreeHead()
    }
}

/// The whole ledger checked against its journal right after start and then
/// daily, on a thread of its own (start is not delayed; calls are served
/// meanwhile). A mismatch holds the ledger read-only. A stop ends the check
/// in progress at once (it would otherwise hold the stop for minutes at a
/// million assets, past systemd's stop timeout).
struct LedgerCheckService: Service {
    let ledgerGuard: LedgerGuard
    static let interval = Duration.seconds(86_400)

    func run() async throws {
        await withGracefulShutdownHandler {
            repeat {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [ledgerGuard] in
                        ledgerGuard.checkLedger()
                        done.resume()
                    }
                    thread.name = "taizhang-ledger-check"
                    thread.start()
                }
            } while await pause(LedgerCheckService.interval)
        } onGracefulShutdown: { [ledgerGuard] in
            ledgerGuard.stopChecking()
        }
    }
}

/// The event loops every listener and connection runs on: shut down once
/// the listeners (stopped after this service) are closed.
struct EventLoopService: Service {
    let server: TaizhangServer

    func run() async throws {
        try? await gracefulShutdown()
        server.stopEventLoops()
    }
}

/// The /metrics and /healthz listener, when configured: closed after the
/// RPC calls drained, so a scrape during the drain sees the daemon draining
/// and /healthz answers 503.
struct MetricsService: Service {
    let server: TaizhangServer

    func run() async throws {
        try? await gracefulShutdown()
        server.stopMetrics()
    }
}

/// The risk monitor's thread: runs until the daemon stops (started before
/// the daemon says it is ready; starting it again does nothing).
struct RiskMonitorService: Service {
    let server: TaizhangServer

    func run() async throws {
        server.startMonitor()
        try? await gracefulShutdown()
        server.stopMonitor()
    }
}

/// SIGHUP: reload the configuration, one at a time, in order.
struct ReloadService: Service {
    let reloader: Reloader
    let hangups: AsyncStream<Void>

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            reloader.reload()
        }
    }
}

/// Under a service manager, the STATUS= line every 10 s.
struct StatusService: Service {
    let reloader: Reloader

    func run() async throws {
        guard ServiceManager.isSupervised else {
            try? await gracefulShutdown()
            return
        }
        while await pause(.seconds(10)) {
            ServiceManager.notify("STATUS=\(reloader.statusLine())")
        }
    }
}

/// The RPC listeners: already bound and accepting when the group starts;
/// on shutdown they stop accepting and drain.
struct ListenerService: Service {
    let server: TaizhangServer
    let drainMillis: @Sendable () -> Int64

    func run() async throws {
        try? await gracefulShutdown()
        let drain = drainMillis()
        ServiceManager.notify("STOPPING=1\nSTATUS=Stopping: draining calls in flight (up to \(drain) ms)")
        Log.info("stopping: draining calls in flight (up to \(drain) ms)")
        server.stopServing()
    }
}

/// Waits `interval`; true when it passed, false once graceful shutdown began
/// (the caller's loop ends).
func pause(_ interval: Duration) async -> Bool {
    do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        return true
    } catch {
        return false
    }
}
