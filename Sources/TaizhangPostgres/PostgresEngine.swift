// The store's engine on a PostgreSQL server: a connection string naming
// one host or several (a primary and its standbys); libpq tries them in
// order and keeps the one that takes writes.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangStore

/// A ledger kept in a PostgreSQL database.
public struct PostgresEngine: StoreEngine {
    /// The connection string as given (`postgresql://…` or `key=value`).
    public let conninfo: String

    /// An engine on `conninfo`. Unless it says otherwise, libpq is asked
    /// for a server that takes writes (`target_session_attrs=read-write`)
    /// and to give up on a host after 5 seconds.
    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    public var description: String { "PostgreSQL \(PostgresEngine.redacted(conninfo))" }

    /// The connection string with its settings for the store added.
    var effectiveConninfo: String {
        var extra: [String] = []
        if !conninfo.contains("target_session_attrs") { extra.append("target_session_attrs=read-write") }
        if !conninfo.contains("connect_timeout") { extra.append("connect_timeout=5") }
        if !conninfo.contains("application_name") { extra.append("application_name=taizhangd") }
        guard !extra.isEmpty else { return conninfo }
        if conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") {
            return conninfo + (conninfo.contains("?") ? "&" : "?") + extra.joined(separator: "&")
        }
        return conninfo + " " + extra.joined(separator: " ")
    }

    public func openWriter(nowUnixMillis: Int64) throws -> any SQLConnection {
        let db = try PostgresConnection(conninfo: effectiveConninfo)
        try PostgresSchema.migrate(db, nowUnixMillis: nowUnixMillis)
        return db
    }

    public func finishOpening(_ db: any SQLConnection) throws {}

    public func openReader() throws -> any SQLConnection {
        try PostgresConnection(conninfo: effectiveConninfo)
    }

    /// The risk monitor's connection to its alert tables: waits 5 s at
    /// most for a lock (as the SQLite alerts.db does), so a run that cannot
    /// store its alerts fails and is tried again rather than hanging.
    public func openAlertConnection() throws -> any SQLConnection {
        try PostgresConnection(conninfo: effectiveConninfo, settings: "SET lock_timeout = '5s'")
    }

    public func follow(_ heard: @escaping @Sendable (UInt64, String) -> Void) -> (any StoreFollower)? {
        PostgresFollower(conninfo: effectiveConninfo, channel: "taizhang_journal") { payload in
            // '<head seq> <writer id>'; "" after connecting: look once (head 0).
            let parts = payload.split(separator: " ", maxSplits: 1)
            if payload.isEmpty {
                heard(0, "")
            } else if let seq = parts.first.flatMap({ UInt64($0) }) {
                heard(seq, parts.count > 1 ? String(parts[1]) : "")
            }
        }
    }

    /// Hears the leading risk monitor store alert events (`NOTIFY
    /// taizhang_alerts`), and once after each (re)connection.
    public func followAlerts(_ heard: @escaping @Sendable () -> Void) -> any StoreFollower {
        PostgresFollower(conninfo: effectiveConninfo, channel: "taizhang_alerts") { _ in heard() }
    }

    /// The database's size as last measured (0 before the first): each
    /// call starts a new measurement on a thread of its own, one at a time,
    /// so the watchdog and the status page never wait on the server.
    public func storageBytes() -> UInt64 {
        let (bytes, start) = size.state.withLock { state -> (UInt64, Bool) in
            defer { state.measuring = true }
            return (state.bytes, !state.measuring)
        }
        if start {
            let conninfo = effectiveConninfo
            Thread.detachNewThread { [size] in
                var measured: Int64 = -1
                if let db = try? PostgresConnection(conninfo: conninfo) {
                    try? db.prepare("SELECT pg_database_size(current_database())").query([]) { measured = $0.int(0) }
                }
                size.state.withLock { state in
                    if measured >= 0 { state.bytes = UInt64(measured) }
                    state.measuring = false
                }
            }
        }
        return bytes
    }

    /// The last measured size, shared by the engine's copies.
    final class SizeGauge: Sendable {
        let state = Mutex<(bytes: UInt64, measuring: Bool)>((0, false))
    }

    private let size = SizeGauge()

    /// The schema version of the ledger in the database; 0 when it holds none.
    public func schemaVersion() throws -> Int {
        let db = try PostgresConnection(conninfo: effectiveConninfo)
        guard try PostgresEngine.hasTable("schema_migrations", db) else { return 0 }
        var version: Int64 = 0
        try db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").query([]) { version = $0.int(0) }
        return Int(version)
    }

    /// How many signed tree heads the ledger holds (0: none, or no ledger
    /// yet): a daemon that lost its key must not sign with a new one unawares.
    public func treeHeadCount() throws -> Int {
        let db = try PostgresConnection(conninfo: effectiveConninfo)
        guard try PostgresEngine.hasTable("tree_heads", db) else { return 0 }
        var count: Int64 = 0
        try db.prepare("SELECT COUNT(*) FROM tree_heads").query([]) { count = $0.int(0) }
        return Int(count)
    }

    static func hasTable(_ name: String, _ db: PostgresConnection) throws -> Bool {
        var exists = false
        try db.prepare("SELECT to_regclass(?) IS NOT NULL").query([.text(name)]) { exists = $0.int(0) != 0 }
        return exists
    }

    /// `conninfo` with any password replaced by `***` (for logs).
    public static func redacted(_ conninfo: String) -> String {
        var text = conninfo
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") {
            let credentials = text[scheme.upperBound..<at]
            if let colon = credentials.firstIndex(of: ":") { text.replaceSubrange(text.index(after: colon)..<at, with: "***") }
        }
        if let range = text.range(of: "password=") {
            let end = text[range.upperBound...].firstIndex(where: { $0 == " " || $0 == "&" }) ?? text.endIndex
            text.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return text
    }
}
