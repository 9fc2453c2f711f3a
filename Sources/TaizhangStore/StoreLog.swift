// Log lines for engineers: one entry point for the store, the server and the
// daemon. Lines go through swift-log; the daemon installs the handler
// (journald with structured fields under systemd, standard error otherwise).
// The level can change while the daemon runs (SIGHUP), so it is kept here
// in an atomic and checked before a line is built.

import Logging
import Synchronization
import TaizhangCore

/// The daemon's log lines.
public enum DaemonLog {
    private static let logger: Mutex<Logger?> = Mutex(nil)
    private static let threshold = Atomic<Int>(Logger.Level.info.rank)

    /// Installs the logger every line goes through; before this, lines go to
    /// a swift-log standard-error handler.
    public static func install(_ logger: Logger) {
        var logger = logger
        logger.logLevel = .trace
        self.logger.withLock { $0 = logger }
    }

    /// The lowest level written.
    public static var level: Logger.Level {
        get { Logger.Level.allCases.first { $0.rank == threshold.load(ordering: .relaxed) } ?? .info }
        set { threshold.store(newValue.rank, ordering: .relaxed) }
    }

    /// Whether a line at `level` would be written (check before building an
    /// expensive line on a hot path).
    @inline(__always)
    public static func enabled(_ level: Logger.Level) -> Bool {
        level.rank >= threshold.load(ordering: .relaxed)
    }

    /// A detail for engineers chasing a problem (every call at debug).
    public static func debug(_ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        log(.debug, message(), metadata: metadata)
    }
    /// An informational line.
    public static func info(_ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        log(.info, message(), metadata: metadata)
    }
    /// A normal but significant event (a reload).
    public static func notice(_ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        log(.notice, message(), metadata: metadata)
    }
    /// A warning: something an operator should act on soon.
    public static func warning(_ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        log(.warning, message(), metadata: metadata)
    }
    /// An error line: something an operator should look at.
    public static func error(_ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        log(.error, message(), metadata: metadata)
    }

    /// Writes `message` at `level` with `metadata` (request-id, method, code…).
    public static func log(_ level: Logger.Level, _ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        guard enabled(level) else { return }
        let logger = self.logger.withLock { current -> Logger in
            if let current { return current }
            var fallback = Logger(label: "taizhangd", factory: { StreamLogHandler.standardError(label: $0) })
            fallback.logLevel = .trace
            current = fallback
            return fallback
        }
        logger.log(level: level, "\(message())", metadata: metadata.isEmpty ? nil : metadata)
    }
}

extension Logger.Level {
    /// Order of severity: trace 0 … critical 6.
    public var rank: Int {
        switch self {
        case .trace: return 0
        case .debug: return 1
        case .info: return 2
        case .notice: return 3
        case .warning: return 4
        case .error: return 5
        case .critical: return 6
        }
    }
}

/// The store's lines, marked as such.
public enum StoreLog {
    public static func debug(_ message: @autoclosure () -> String) { DaemonLog.debug("store: \(message())") }
    static func error(_ message: String, metadata: Logger.Metadata = [:]) { DaemonLog.error("store: \(message)", metadata: metadata) }
    public static func notice(_ message: String) { DaemonLog.info("store: \(message)") }
}
