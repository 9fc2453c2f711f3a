// One PostgreSQL connection through libpq, behind the store's
// `SQLConnection`: statements are prepared on the server once per
// parameter types, parameters go as text (binary for bytes), and rows
// come back in binary form, read by column as the SQLite wrapper reads
// them. libpq rather than postgres-nio: the store is synchronous (one
// writer thread, reads on the caller's thread), libpq's calls are too,
// and its connection strings already take a list of hosts and find the
// primary among them (`target_session_attrs=read-write`).

import CLibPQ
import TaizhangStore

/// An error from PostgreSQL or libpq: the SQLSTATE (empty when the
/// connection failed before the server answered) and the message.
public struct PostgresError: ConnectionError, CustomStringConvertible, Sendable {
    public let sqlState: String
    public let message: String
    /// The connection is gone (the server stopped, or was never reached):
    /// the caller opens a new one.
    public let connectionLost: Bool

    public var description: String { sqlState.isEmpty ? "PostgreSQL: \(message)" : "PostgreSQL \(sqlState): \(message)" }

    /// The error, naming the statement it came from (its first 200 characters).
    func `in`(_ sql: String) -> PostgresError {
        PostgresError(sqlState: sqlState, message: "\(message) (in: \(sql.prefix(200)))", connectionLost: connectionLost)
    }

    /// Whether the error says the server could not take the call now
    /// (lost connection, shutdown, a standby, a serialisation failure),
    /// as opposed to a call that is wrong.
    public var isTransient: Bool {
        connectionLost || sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState == "25006"
            || sqlState == "40001" || sqlState == "40P01" || sqlState == "53300"
    }
}

/// A type OID of PostgreSQL's catalogue, as the wire gives it.
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let numeric: UInt32 = 1700
}

/// One connection. Not thread-safe: each owner keeps it on one thread or
/// behind a lock.
public final class PostgresConnection: SQLConnection {
    let handle: OpaquePointer
    /// The key every writer's transaction locks before it appends to the
    /// journal (`BEGIN IMMEDIATE`): one writer of all the daemons at a time.
    let journalLockKey: Int64
    private var statements: [String: PostgresStatement] = [:]
    private var prepared = 0
    private(set) var stopFlag: StopFlag?
    /// Counts the times the connection was made again: statements prepared
    /// on an earlier session are prepared again.
    public private(set) var session = 0
    /// Whether this side opened a transaction that has not ended: a lost
    /// connection is then not made again until the store has seen it end.
    private var transactionOpen = false

    /// The session's settings, made again with the connection.
    private let sessionSettings: String

    /// Connects with `conninfo` (a `postgresql://` URI or `key=value` pairs);
    /// `settings` (SQL) are made in each session besides the encoding's.
    public init(conninfo: String, journalLockKey: Int64 = PostgresConnection.defaultJournalLockKey, settings: String = "") throws {
        guard let connection = PQconnectdb(conninfo) else {
            throw PostgresError(sqlState: "", message: "libpq could not allocate a connection", connectionLost: true)
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines
            PQfinish(connection)
            throw PostgresError(sqlState: "", message: message, connectionLost: true)
        }
        handle = connection
        self.journalLockKey = journalLockKey
        sessionSettings = Self.encodingSettings + (settings.isEmpty ? "" : "; " + settings)
        try execute(sessionSettings)
    }

    static let encodingSettings = "SET client_encoding = 'UTF8'; SET standard_conforming_strings = on"

    deinit {
        PQfinish(handle)
    }

    /// "taizhang" in ASCII: the advisory lock the writers share.
    public static let defaultJournalLockKey: Int64 = 0x7461_697a_6861_6e67

    public var dialect: SQLDialect { .postgresql }

    /// Whether the connection still stands.
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's process id for this connection.
    public var backendPID: Int32 { PQbackendPID(handle) }

    public func execute(_ sql: String) throws {
        if transactionOpen, PQstatus(handle) == CONNECTION_OK, try executeInPipeline(sql) { return }
        if sql == "BEGIN IMMEDIATE" { return try beginWriting() }
        // An error held from a transaction that ended is not this one's.
        if sql.hasPrefix("BEGIN") || sql == "ROLLBACK" { heldError = nil }
        // A ROLLBACK is sent whatever the statements before it answered.
        if sql == "ROLLBACK" { _ = try? flush() } else { try flush() }
        let opens = sql.hasPrefix("BEGIN")
        let ends = sql == "COMMIT" || sql == "ROLLBACK"
        // A new transaction: whatever was open went with a lost connection
        // (the store gave it up without a ROLLBACK it could not send).
        if opens, PQstatus(handle) != CONNECTION_OK { transactionOpen = false }
        if opens || !transactionOpen { try reconnectIfLost() }
        if ends { transactionOpen = false }
        let result = PQexec(handle, PostgresSQL.transaction(sql, journalLockKey: journalLockKey))
        defer { PQclear(result) }
        do {
            try check(result)
        } catch let error as PostgresError {
            if opens, PQtransactionStatus(handle) != PQTRANS_IDLE { _ = PQexec(handle, "ROLLBACK").map(PQclear) }
            throw error.in(sql)
        }
        // A COMMIT of a transaction that failed is answered ROLLBACK, not an error.
        if sql == "COMMIT", let result, String(cString: PQcmdStatus(result)) != "COMMIT" {
            throw PostgresError(sqlState: "40000", message: "the transaction was rolled back at COMMIT (a statement in it had failed)",
                                connectionLost: false)
        }
        if opens { transactionOpen = true }
    }

    /// Sends `sql` with the other statements of the open transaction's
    /// pipeline, when it returns no rows there: savepoints (the one that
    /// ends a mutation is a point where the errors are read), notices,
    /// and COMMIT, whose result is read with every earlier one's (one
    /// round trip for the group's last writes and its COMMIT). False: it
    /// is not one of those.
    private func executeInPipeline(_ sql: String) throws -> Bool {
        guard sql == "SAVEPOINT m" || sql == "RELEASE m" || sql == "COMMIT" || sql.hasPrefix("NOTIFY ") else { return false }
        // An error read earlier ended this transaction: nothing more joins it.
        try throwHeldError()
        switch sql {
        case "SAVEPOINT m":
            try send { PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 1) }
        case "RELEASE m":
            try send { PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 1) }
            try flush()
        case "COMMIT" where pending > 0:
            try send(flushing: false) { PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 1) }
            transactionOpen = false
            do {
                try flush()
            } catch let error as PostgresError {
                throw error.in(sql)
            }
        case _ where sql.hasPrefix("NOTIFY "):
            try send { PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 1) }
        default:
            return false
        }
        return true
    }

    /// Opens a writer's transaction and takes the journal's lock in it
    /// (`BEGIN IMMEDIATE`), sent with the pipeline: their results are read
    /// with the first read's (the writer's look at the journal's head).
    private func beginWriting() throws {
        heldError = nil
        try flush()
        if PQstatus(handle) != CONNECTION_OK { transactionOpen = false }
        try reconnectIfLost()
        try send { PQsendQueryParams(handle, "BEGIN ISOLATION LEVEL READ COMMITTED", 0, nil, nil, nil, nil, 1) }
        try send { PQsendQueryParams(handle, "SELECT pg_advisory_xact_lock(\(journalLockKey))", 0, nil, nil, nil, nil, 1) }
        transactionOpen = true
    }

    /// Makes the connection again when it was lost and no transaction of
    /// this side is open on it: libpq tries the hosts again in order, so
    /// after a failover it finds the promoted standby.
    /// - Throws: a `connectionLost` error when no host takes it.
    func reconnectIfLost() throws {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        pending = 0
        deallocateLater = []
        if transactionOpen {
            throw PostgresError(sqlState: "08006", message: "the connection to the database was lost inside a transaction", connectionLost: true)
        }
        PQreset(handle)
        session += 1
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(sqlState: "08001", message: "the connection to the database was lost and could not be made again: \(lastError)",
                                connectionLost: true)
        }
        let settings = PQexec(handle, sessionSettings)
        defer { PQclear(settings) }
        try check(settings)
        StoreLog.notice("connected again to the database (\(String(cString: PQhost(handle))):\(String(cString: PQport(handle)))) after the connection was lost")
    }

    /// Whether the connection is gone (the server stopped or the network
    /// failed): an outcome awaited on it is unknown.
    public var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    public var defersWrites: Bool { true }

    public func awaitWrites() throws {
        try flush()
    }

    public func prepare(_ sql: String) throws -> any SQLStatement {
        PostgresStatement(sql: PostgresSQL.translate(sql), connection: self)
    }

    public func cached(_ sql: String) throws -> any SQLStatement {
        if let statement = statements[sql] { return statement }
        let statement = PostgresStatement(sql: PostgresSQL.translate(sql), connection: self)
        statements[sql] = statement
        return statement
    }

    /// No transaction is open: none was begun, or the connection that held
    /// one is gone (and the transaction with it).
    public var isAutocommit: Bool {
        // An error read here is thrown by the next statement.
        do { try flush() } catch { heldError = error }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_IDLE || status == PQTRANS_UNKNOWN
    }

    public var lastError: String { String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines }

    public func stop(when flag: StopFlag) {
        stopFlag = flag
    }

    /// Drops prepared statements from the server's session, when it can
    /// take a command (not inside a failed transaction: they are then left
    /// to the session's end).
    func deallocate(_ names: some Sequence<String>) {
        guard PQstatus(handle) == CONNECTION_OK else { return }
        // Not while statements of a pipeline wait for their results: after them.
        guard pending == 0 else {
            deallocateLater += names
            return
        }
        let status = PQtransactionStatus(handle)
        guard status == PQTRANS_IDLE || status == PQTRANS_INTRANS else { return }
        for name in names { PQclear(PQexec(handle, "DEALLOCATE \(name)")) }
    }

    // MARK: Pipelining

    /// Statements sent in pipeline mode whose results are not read yet.
    private(set) var pending = 0
    /// Prepared statements to drop once the pipeline's results are read.
    private var deallocateLater: [String] = []
    /// An error a flush read where it could not be thrown (`isAutocommit`).
    private var heldError: (any Error)?
    /// Most statements sent before their results are read: the server's
    /// answers must not fill the socket while this side still writes.
    static let pendingMax = 1_024

    /// Whether a statement that returns no rows may be sent now and its
    /// result read later: inside a transaction, on a live connection.
    var canDefer: Bool { transactionOpen && PQstatus(handle) == CONNECTION_OK }

    /// Sends a statement in pipeline mode (entered on the first); its
    /// result is read at the next point that needs one (`flush`), or now
    /// when too many wait (unless `flushing` is false: the caller reads
    /// it next).
    func send(flushing: Bool = true, _ sending: () -> Int32) throws {
        if pending == 0, PQpipelineStatus(handle) == PQ_PIPELINE_OFF, PQenterPipelineMode(handle) != 1 {
            throw PostgresError(sqlState: "", message: "cannot enter pipeline mode: \(lastError)", connectionLost: isBroken)
        }
        guard sending() == 1 else {
            let error = PostgresError(sqlState: "", message: "the statement could not be sent: \(lastError)", connectionLost: isBroken)
            _ = try? flush()
            throw error
        }
        pending += 1
        if flushing, pending >= Self.pendingMax { try flush() }
    }

    /// Throws the error a flush read where it could not be thrown (`isAutocommit`).
    func throwHeldError() throws {
        if let held = heldError {
            heldError = nil
            throw held
        }
    }

    /// Reads the results of the statements sent in pipeline mode and
    /// leaves it; throws the first error among them (those after it did
    /// not run, and the transaction is failed, as it would be without the
    /// pipeline). `keepingLast`: the last statement's rows are returned
    /// (the caller clears them), when none failed.
    @discardableResult
    func flush(keepingLast: Bool = false) throws -> OpaquePointer? {
        try throwHeldError()
        guard PQpipelineStatus(handle) != PQ_PIPELINE_OFF else { return nil }
        var firstError: PostgresError?
        var kept: OpaquePointer?
        if pending > 0 {
            if PQpipelineSync(handle) != 1 {
                firstError = PostgresError(sqlState: "08006", message: "the pipeline could not be sent: \(lastError)", connectionLost: true)
            } else {
                (firstError, kept) = readPipeline(keepingLast: keepingLast)
            }
        }
        pending = 0
        if PQexitPipelineMode(handle) != 1 {
            // Results left unread: the connection cannot take a command
            // again. It is made again; what its transaction held is gone.
            if let kept { PQclear(kept) }
            let reason = lastError
            PQreset(handle)
            session += 1
            transactionOpen = false
            // The old session's statements went with it.
            deallocateLater = []
            throw PostgresError(sqlState: "08006", message: "the pipeline could not be ended (\(reason)); the connection was made again and its transaction is lost",
                                connectionLost: true)
        }
        // A transaction the pipeline ended (a failed BEGIN, a COMMIT), or
        // left open failed (a COMMIT that did not run), as the server has it.
        // (A lost connection's is unknown: this side's stands until it sees the transaction end.)
        if PQstatus(handle) == CONNECTION_OK {
            let status = PQtransactionStatus(handle)
            transactionOpen = status == PQTRANS_INTRANS || status == PQTRANS_INERROR
        }
        if !deallocateLater.isEmpty {
            let names = deallocateLater
            deallocateLater = []
            deallocate(names)
        }
        if let firstError {
            if let kept { PQclear(kept) }
            throw firstError
        }
        return kept
    }

    /// The results of the `pending` statements, up to the pipeline's sync:
    /// the first error, and the last statement's rows when asked.
    private func readPipeline(keepingLast: Bool) -> (PostgresError?, OpaquePointer?) {
        var firstError: PostgresError?
        var kept: OpaquePointer?
        var statement = 0
        while PQstatus(handle) == CONNECTION_OK {
            guard let result = PQgetResult(handle) else {
                // One NULL ends each statement's results.
                statement += 1
                if statement > pending + 1 { break }
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                break
            }
            do {
                if status != PGRES_PIPELINE_ABORTED { try check(result) }
                // A COMMIT of a transaction that had failed is answered ROLLBACK, not an error.
                if status == PGRES_COMMAND_OK, PQcmdStatus(result).map({ String(cString: $0) }) == "ROLLBACK" {
                    throw PostgresError(sqlState: "40000", message: "the transaction was rolled back at COMMIT (a statement in it had failed)",
                                        connectionLost: false)
                }
            } catch let error as PostgresError {
                firstError = firstError ?? error
            } catch {}
            if keepingLast, statement == pending - 1, status == PGRES_TUPLES_OK, kept == nil {
                kept = result
            } else {
                PQclear(result)
            }
        }
        if PQstatus(handle) != CONNECTION_OK, firstError == nil {
            firstError = PostgresError(sqlState: "08006", message: "the connection was lost: \(lastError)", connectionLost: true)
        }
        return (firstError, kept)
    }

    /// A fresh name for a server-side prepared statement.
    func nextStatementName() -> String {
        prepared += 1
        return "tz\(prepared)"
    }

    /// Throws the error a result carries, if any.
    func check(_ result: OpaquePointer?) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            var state = ""
            if let result, let field = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) { state = String(cString: field) }
            let message = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? lastError
            throw PostgresError(sqlState: state, message: message.isEmpty ? lastError : message.trimmingTrailingNewlines,
                                connectionLost: PQstatus(handle) != CONNECTION_OK)
        }
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text = text.dropLast() }
        return String(text)
    }
}
