// Where the store keeps its rows: an embedded SQLite file (the default),
// or a database server (TaizhangPostgres). The store asks an engine for
// connections; everything above the connection is the same code.

import Foundation
import TaizhangCore

/// The database behind a store.
public protocol StoreEngine: Sendable {
    /// What to name in logs and errors ("SQLite /var/lib/taizhang/taizhang.db").
    var description: String { get }
    /// The writer's connection, the database brought to the newest schema
    /// (`Migrations.newest`).
    func openWriter(nowUnixMillis: Int64) throws -> any SQLConnection
    /// Settles the writer's connection once the store has checked its
    /// totals (settings that would slow that rebuild down).
    func finishOpening(_ db: any SQLConnection) throws
    /// A connection for reads.
    func openReader() throws -> any SQLConnection
    /// Bytes the database takes on disk (0 when not known).
    func storageBytes() -> UInt64
    /// Hears the commits of other daemons writing the same ledger, calling
    /// `heard` with each one's journal head and writer id; nil when no
    /// other daemon can write it (an embedded file).
    func follow(_ heard: @escaping @Sendable (UInt64, String) -> Void) -> (any StoreFollower)?
}

/// A follower of other daemons' commits, running until stopped.
public protocol StoreFollower: Sendable {
    func stop()
}

/// The embedded default: one SQLite file in WAL mode.
public struct SQLiteEngine: StoreEngine {
    public let path: String
    /// Largest size of the file, in bytes (0: no limit beyond the disk).
    public let maxBytes: Int64

    public init(path: String, maxBytes: Int64 = 0) {
        self.path = path
        self.maxBytes = maxBytes
    }

    public var description: String { "SQLite \(path)" }

    public func openWriter(nowUnixMillis: Int64) throws -> any SQLConnection {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        // FULL: every COMMIT syncs the write-ahead log, so an acknowledged
        // mutation survives a crash or power loss.
        try db.execute("PRAGMA synchronous=FULL")
        try db.execute("PRAGMA foreign_keys=ON")
        // The writer's page cache: 32 MiB, not SQLite's 2 MB, so that a
        // group's inserts into the units' ranges and the indexes find their
        // pages in memory once the ledger outgrows 2 MB (measured: 11% less
        // CPU per asset in a 200,000-asset import). Filled only as it writes.
        try db.execute("PRAGMA cache_size=-32768")
        try Migrations.migrate(db, nowUnixMillis: nowUnixMillis)
        return db
    }

    public func finishOpening(_ db: any SQLConnection) throws {
        // Each mutation of a group runs in a savepoint, whose undo log (the
        // sub-journal: every page the mutation touches, as it was) SQLite
        // writes to a temporary file once past 64 KiB: in a traced sample,
        // 2 of every 3 page writes of a RegisterAsset run went there. In memory it
        // holds at most the pages one mutation changes (an import's final
        // chunk: its indexes' pages, tens of MB at most). Set after the
        // migrations and the totals' rebuild, whose sorts may be larger.
        try db.execute("PRAGMA temp_store=MEMORY")
        if maxBytes > 0 {
            var pageSize: Int64 = 4096
            try db.prepare("PRAGMA page_size").query([]) { pageSize = max(1, $0.int(0)) }
            try db.execute("PRAGMA max_page_count=\(max(1, maxBytes / pageSize))")
        }
    }

    public func openReader() throws -> any SQLConnection {
        try SQLiteConnection(path: path, readOnly: true)
    }

    public func follow(_ heard: @escaping @Sendable (UInt64, String) -> Void) -> (any StoreFollower)? { nil }

    public func storageBytes() -> UInt64 {
        var bytes: UInt64 = 0
        for suffix in ["", "-wal"] {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix),
               let size = attributes[.size] as? NSNumber {
                bytes += size.uint64Value
            }
        }
        return bytes
    }
}
