// Log lines for engineers, on standard error (the daemon's log): one format
// for the store, the server and the daemon. Under systemd, journald will take
// them with structured fields (a later issue).

import Foundation
import TaizhangCore

/// The daemon's log lines.
public enum DaemonLog {
    /// An informational line.
    public static func info(_ message: String) { write("info", message) }
    /// A warning: something an operator should act on soon.
    public static func warning(_ message: String) { write("warning", message) }
    /// An error line: something an operator should look at.
    public static func error(_ message: String) { write("error", message) }

    private static func write(_ level: String, _ message: String) {
        let line = "\(Timestamp.rfc3339(unixMillis: SystemWallClock().nowUnixMillis())) taizhangd \(level): \(message)\n"
        // A log that cannot be written (disk full, closed pipe) must not stop the daemon.
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}

/// The store's lines, marked as such.
enum StoreLog {
    static func error(_ message: String) { DaemonLog.error("store: \(message)") }
}
