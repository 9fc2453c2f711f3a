// A thin wrapper over one SQLite connection: open, execute, prepared
// statements. Used only inside TaizhangStore.

import CSQLite
import Synchronization

/// An error from SQLite, with its result code and message.
struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
}

// SQLite's destructor value that makes it copy bound text and blobs.
private let transientDestructor = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// One connection. Not thread-safe: each owner keeps it on one thread or
/// behind a lock.
final class SQLiteConnection: SQLConnection {
    let handle: OpaquePointer
    /// Statements prepared once and kept (`cached`).
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating when `create`) the database file at `path`.
    init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "\(message) (\(path))")
        }
        handle = db
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    var dialect: SQLDialect { .sqlite }

    var isBroken: Bool { false }

    /// Makes the statement running on this connection, and every later one,
    /// fail with SQLITE_INTERRUPT once `flag` is set (looked at every
    /// 10,000 steps of SQLite's machine). `flag` must outlive the connection.
    func stop(when flag: StopFlag) {
        sqlite3_progress_handler(handle, 10_000, { context in
            guard let context else { return 0 }
            return Unmanaged<StopFlag>.fromOpaque(context).takeUnretainedValue().isSet ? 1 : 0
        }, Unmanaged.passUnretained(flag).toOpaque())
    }

    /// Runs one or more statements with no results.
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// Prepares a statement.
    func prepare(_ sql: String) throws -> any SQLStatement {
        try prepareStatement(sql)
    }

    /// Prepares a statement of this connection's own type.
    func prepareStatement(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
        }
        return SQLiteStatement(statement, connection: self)
    }

    /// The statement for `sql`, prepared on first use and kept with the connection.
    func cached(_ sql: String) throws -> any SQLStatement {
        if let statement = statements[sql] { return statement }
        let statement = try prepareStatement(sql)
        statements[sql] = statement
        return statement
    }

    /// Whether no transaction is open (SQLite may end one by itself on I/O errors).
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// The text of the last error.
    var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement, reset and reused.
final class SQLiteStatement: SQLStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Resets, binds `values` in order, and steps to completion.
    func run(_ values: [SQLValue]) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            throw SQLiteError(code: rc, message: connection.lastError)
        }
    }

    /// Resets, binds, and calls `row` for each result row.
    func query(_ values: [SQLValue], row: (any SQLStatement) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw SQLiteError(code: rc, message: connection.lastError) }
            try row(self)
        }
    }

    private func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .int(let number): rc = sqlite3_bind_int64(handle, index, number)
            case .text(let text):
                // The explicit length keeps text with NUL characters whole.
                rc = sqlite3_bind_text(handle, index, text, Int32(text.utf8.count), transientDestructor)
            case .blob(let bytes) where bytes.isEmpty:
                // Not a pointer that might be nil: that would bind NULL.
                rc = sqlite3_bind_zeroblob(handle, index, 0)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), transientDestructor)
                }
            case .null: rc = sqlite3_bind_null(handle, index)
            }
            guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: connection.lastError) }
        }
    }

    /// Resets and binds `values`; then `step()` walks the rows. Several
    /// statements of one connection may be walked side by side (a merge).
    func start(_ values: [SQLValue]) throws {
        try bind(values)
    }

    /// Moves to the next row; false when there are no more (the statement
    /// is then reset).
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else { throw SQLiteError(code: rc, message: connection.lastError) }
        return false
    }

    /// Ends a walk before its last row (the statement is kept for reuse).
    func reset() {
        sqlite3_reset(handle)
    }

    /// A column of the current row as it is stored (its type included).
    func value(_ column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .int(int(column))
        case SQLITE_NULL: return .null
        case SQLITE_BLOB: return .blob(blob(column))
        case SQLITE_FLOAT: return .text(String(sqlite3_column_double(handle, column)))
        default: return .text(text(column))
        }
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// A TEXT column's UTF-8 bytes, read in place (valid only inside `body`).
    func withText<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        guard let pointer = sqlite3_column_text(handle, column) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column))))
    }

    /// A BLOB column's bytes, read in place (valid only inside `body`).
    func withBlob<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        // The pointer first, then its length (SQLite's advice).
        let pointer = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count))
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// A flag set once, read by SQLite's progress handler on any thread.
public final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { value.load(ordering: .acquiring) }
    public func set() { value.store(true, ordering: .releasing) }
}
