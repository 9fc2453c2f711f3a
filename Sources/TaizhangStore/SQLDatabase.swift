// What the store asks of a database connection: statements with `?`
// parameters, rows read by column, transactions and savepoints as SQL
// text. SQLite (`any SQLConnection`, in this module) and PostgreSQL (in
// TaizhangPostgres, which the fuzz harness does not link) implement it;
// the store's SQL is written in the dialect the two share.

/// A value to bind, or read from a row.
public enum SQLValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int64)
    case text(String)
    case blob([UInt8])
    case null

    public var description: String {
        switch self {
        case .int(let number): return String(number)
        case .text(let text): return "\"\(text.count > 80 ? String(text.prefix(77)) + "…" : text)\""
        case .blob(let bytes): return "\(bytes.count) bytes"
        case .null: return "NULL"
        }
    }
}

/// Which database engine a connection talks to, where the SQL differs.
public enum SQLDialect: Sendable {
    case sqlite
    case postgresql
}

extension SQLDialect {
    /// SQL for the text at `path` (`$.a.b`) of the JSON text in `column`
    /// (NULL when absent): SQLite's `->>`, PostgreSQL's `#>>` on jsonb.
    public func jsonText(_ column: String, _ path: String) -> String {
        switch self {
        case .sqlite: return "\(column) ->> '\(path)'"
        case .postgresql: return "(\(column)::jsonb #>> '\(Self.pathArray(path))')"
        }
    }

    /// SQL for the JSON at `path` of the JSON text in `column`, as JSON text.
    public func jsonValue(_ column: String, _ path: String) -> String {
        switch self {
        case .sqlite: return "\(column) -> '\(path)'"
        case .postgresql: return "(\(column)::jsonb #> '\(Self.pathArray(path))')::text"
        }
    }

    /// `$.a.b` as PostgreSQL's text array `{a,b}`.
    private static func pathArray(_ path: String) -> String {
        "{" + path.dropFirst(2).split(separator: ".").joined(separator: ",") + "}"
    }
}

/// One connection. Not thread-safe: each owner keeps it on one thread or
/// behind a lock.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one or more statements with no results.
    func execute(_ sql: String) throws
    /// Prepares a statement (`?` marks each parameter).
    func prepare(_ sql: String) throws -> any SQLStatement
    /// The statement for `sql`, prepared on first use and kept with the connection.
    func cached(_ sql: String) throws -> any SQLStatement
    /// Whether no transaction is open (the engine may end one by itself on errors).
    var isAutocommit: Bool { get }
    /// The text of the last error.
    var lastError: String { get }
    /// Whether the connection to a database server is gone: the outcome of
    /// a COMMIT sent on it is unknown. (Never, for an embedded file.)
    var isBroken: Bool { get }
    /// Makes the statement running on this connection, and every later one,
    /// fail once `flag` is set. `flag` must outlive the connection.
    func stop(when flag: StopFlag)
    /// Counts the times a lost connection to a server was made again (a
    /// new server session: its session locks are gone). 0 for a file.
    var session: Int { get }
    /// Whether the writes of a transaction are sent without waiting for
    /// their results (a server's pipeline): their errors come at
    /// `awaitWrites()`, at the next read, or at COMMIT.
    var defersWrites: Bool { get }
    /// Waits for the writes sent so far; throws the first error among them
    /// (the transaction is then failed).
    func awaitWrites() throws
}

/// An engine's error that says whether the connection to its server was
/// lost: what was awaited on it (a COMMIT) is then unknown.
public protocol ConnectionError: Error {
    var connectionLost: Bool { get }
}

extension SQLConnection {
    public var session: Int { 0 }
    public var defersWrites: Bool { false }
    public func awaitWrites() throws {}
}

/// A prepared statement, reset and reused.
public protocol SQLStatement: AnyObject {
    /// Resets, binds `values` in order, and runs to completion.
    func run(_ values: [SQLValue]) throws
    /// Resets, binds, and calls `row` for each result row.
    func query(_ values: [SQLValue], row: (any SQLStatement) throws -> Void) throws
    /// Resets and binds `values`; then `step()` walks the rows. Several
    /// statements of one connection may be walked side by side (a merge).
    func start(_ values: [SQLValue]) throws
    /// Moves to the next row; false when there are no more (the statement
    /// is then reset).
    func step() throws -> Bool
    /// Ends a walk before its last row (the statement is kept for reuse).
    func reset()
    /// A column of the current row as it is stored (its type included).
    func value(_ column: Int32) -> SQLValue
    func int(_ column: Int32) -> Int64
    func text(_ column: Int32) -> String
    /// A text column's UTF-8 bytes, read in place (valid only inside `body`).
    func withText<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T
    /// A binary column's bytes, read in place (valid only inside `body`).
    func withBlob<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T
    func blob(_ column: Int32) -> [UInt8]
}

extension SQLConnection {
    /// Runs `sql` (a query ending in the key column, as `… WHERE asset_id`)
    /// for each of `keys`, then `suffix` (as ` ORDER BY asset_id, id`),
    /// calling `row` for each row. On an embedded file key by key (each a
    /// lookup by index, in the order given); on a server in lists of up
    /// to 128 keys (`IN (…)`, one round trip each), so the rows of
    /// different keys come in the order `suffix` gives, not `keys`'.
    /// `bound`: values of parameters in `sql` before the key's.
    public func eachKey(_ sql: String, _ keys: some Sequence<String>, bound: [SQLValue] = [], suffix: String = "",
                        row: (any SQLStatement) throws -> Void) throws {
        guard dialect == .postgresql else {
            let statement = try cached(sql + " = ?" + suffix)
            for key in keys { try statement.query(bound + [.text(key)], row: row) }
            return
        }
        var pending: [String] = []
        func run() throws {
            guard let last = pending.last else { return }
            // A few list lengths, so that few statements are prepared: the
            // list is filled out with its last key (IN ignores repeats).
            let size = [1, 8, 32, 128].first { $0 >= pending.count } ?? pending.count
            let values = (pending + Array(repeating: last, count: size - pending.count)).map { SQLValue.text($0) }
            try cached(sql + " IN (" + Array(repeating: "?", count: size).joined(separator: ", ") + ")" + suffix).query(bound + values, row: row)
            pending.removeAll(keepingCapacity: true)
        }
        for key in keys {
            pending.append(key)
            if pending.count == 128 { try run() }
        }
        try run()
    }
}

/// An INSERT of any number of rows in one statement
/// (`head VALUES (?, …), (?, …) tail`), prepared once for each number of
/// rows it is run with: on a server, one statement where a row each would
/// be several. Used on the writer's connection only.
final class RowsInsert {
    private let db: any SQLConnection
    private let head: String
    private let tail: String
    private let width: Int
    private var statements: [Int: any SQLStatement] = [:]

    /// `width`: the columns of a row; `tail` follows the rows (`ON CONFLICT …`).
    init(_ db: any SQLConnection, _ head: String, width: Int, tail: String) {
        self.db = db
        self.head = head
        self.width = width
        self.tail = tail
    }

    /// Inserts the rows whose values `values` holds one after another
    /// (`width` each); nothing when it is empty.
    func run(_ values: [SQLValue]) throws {
        precondition(values.count % width == 0, "a row's values are missing")
        let rows = values.count / width
        guard rows > 0 else { return }
        if let statement = statements[rows] { return try statement.run(values) }
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        let statement = try db.prepare(head + " VALUES " + Array(repeating: row, count: rows).joined(separator: ", ") + " " + tail)
        statements[rows] = statement
        try statement.run(values)
    }
}
