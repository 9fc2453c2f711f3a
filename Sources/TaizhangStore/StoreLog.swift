// The store's log lines for engineers, on standard error (the daemon's log).

import Foundation
import TaizhangCore

/// Log lines of the store.
enum StoreLog {
    static func error(_ message: String) {
        let line = "\(Timestamp.rfc3339(unixMillis: SystemWallClock().nowUnixMillis())) taizhangd error: store: \(message)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
