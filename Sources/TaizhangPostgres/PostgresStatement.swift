// A statement of `PostgresConnection`: prepared on the server the first
// time it runs with a given set of parameter types (an integer goes as
// int8, text as text, bytes as bytea), its rows read in binary form.

import CLibPQ
import TaizhangStore

final class PostgresStatement: SQLStatement {
    let sql: String
    /// Weak: the connection's cached statements end with it.
    private weak var owner: PostgresConnection?
    private var connection: PostgresConnection {
        guard let owner else { preconditionFailure("a statement used after its connection closed") }
        return owner
    }
    /// The server-side statement prepared for each list of parameter types.
    private var names: [[UInt32]: String] = [:]
    /// The connection's session the names were prepared on.
    private var session = 0
    /// The rows of the last execution, walked by `step`.
    private var result: OpaquePointer?
    private var rowCount: Int32 = 0
    private var row: Int32 = -1

    init(sql: String, connection: PostgresConnection) {
        self.sql = sql
        owner = connection
    }

    deinit {
        if let result { PQclear(result) }
        // The server keeps a prepared statement for its session: dropped
        // with the statement, unless the connection ends with it.
        if let owner, session == owner.session, !names.isEmpty { owner.deallocate(names.values) }
    }

    func run(_ values: [SQLValue]) throws {
        // Inside a transaction its result waits for the next point that needs one.
        try execute(values, deferred: connection.canDefer)
        clear()
    }

    func query(_ values: [SQLValue], row body: (any SQLStatement) throws -> Void) throws {
        try execute(values)
        defer { clear() }
        while try step() { try body(self) }
    }

    func start(_ values: [SQLValue]) throws {
        try execute(values)
    }

    func step() throws -> Bool {
        if connection.stopFlag?.isSet == true {
            clear()
            throw PostgresError(sqlState: "57014", message: "the read was stopped", connectionLost: false)
        }
        row += 1
        if row < rowCount { return true }
        clear()
        return false
    }

    func reset() {
        clear()
    }

    private func clear() {
        if let result { PQclear(result) }
        result = nil
        rowCount = 0
        row = -1
    }

    /// Prepares (once per parameter types) and runs the statement with
    /// `values`; `deferred`: sends it in pipeline mode, its result read later.
    private func execute(_ values: [SQLValue], deferred: Bool = false) throws {
        clear()
        try connection.throwHeldError()
        if !deferred, connection.pending == 0 { try connection.flush() }
        try connection.reconnectIfLost()
        let types = values.map { value -> UInt32 in
            switch value {
            case .int: return PostgresType.int8
            case .text: return PostgresType.text
            case .blob: return PostgresType.bytea
            case .null: return 0
            }
        }
        let name = try statementName(types)
        // A read after writes still in the pipeline joins them: one round
        // trip for their results and its rows.
        let joins = !deferred && connection.pending > 0
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { for buffer in buffers { buffer?.deallocate() } }
        for value in values {
            switch value {
            case .null:
                buffers.append(nil); lengths.append(0); formats.append(0)
            case .int(let number):
                buffers.append(Self.copy(Array(String(number).utf8))); lengths.append(0); formats.append(0)
            case .text(let text):
                // Binary form, with its length: text holding NUL is refused
                // by the server (22021), never cut short at the NUL.
                let bytes = Array(text.utf8)
                buffers.append(Self.copy(bytes, terminated: false)); lengths.append(Int32(bytes.count)); formats.append(1)
            case .blob(let bytes):
                buffers.append(Self.copy(bytes, terminated: false)); lengths.append(Int32(bytes.count)); formats.append(1)
            }
        }
        let pointers = buffers.map { UnsafePointer<CChar>($0) }
        if deferred || joins {
            do {
                try connection.send(flushing: !joins) {
                    pointers.withUnsafeBufferPointer { values in
                        lengths.withUnsafeBufferPointer { lengths in
                            formats.withUnsafeBufferPointer { formats in
                                PQsendQueryPrepared(connection.handle, name, Int32(values.count), values.baseAddress, lengths.baseAddress,
                                                    formats.baseAddress, 1)
                            }
                        }
                    }
                }
            } catch let error as PostgresError {
                throw error.in(sql)
            }
            if joins { try readJoined() }
            return
        }
        let executed = pointers.withUnsafeBufferPointer { values in
            lengths.withUnsafeBufferPointer { lengths in
                formats.withUnsafeBufferPointer { formats in
                    PQexecPrepared(connection.handle, name, Int32(values.count), values.baseAddress, lengths.baseAddress,
                                   formats.baseAddress, 1)
                }
            }
        }
        do {
            try connection.check(executed)
        } catch let error as PostgresError {
            PQclear(executed)
            throw error.in(sql)
        }
        result = executed
        rowCount = PQntuples(executed)
        row = -1
    }

    /// The rows of this statement, read with the results of the pipeline
    /// it was sent last in.
    private func readJoined() throws {
        // Not named after this statement: the error may be an earlier one's.
        // nil: a statement that returns no rows.
        let executed = try connection.flush(keepingLast: true)
        result = executed
        rowCount = executed.map(PQntuples) ?? 0
        row = -1
    }

    private func statementName(_ types: [UInt32]) throws -> String {
        if session != connection.session {
            names.removeAll()
            session = connection.session
        }
        if let name = names[types] { return name }
        // Prepared outside the pipeline (its statements' results read first).
        try connection.flush()
        let name = connection.nextStatementName()
        let prepared = types.withUnsafeBufferPointer { types in
            PQprepare(connection.handle, name, sql, Int32(types.count), types.baseAddress)
        }
        defer { PQclear(prepared) }
        do {
            try connection.check(prepared)
        } catch let error as PostgresError {
            throw error.in(sql)
        }
        names[types] = name
        return name
    }

    private static func copy(_ bytes: [UInt8], terminated: Bool = true) -> UnsafeMutablePointer<CChar> {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress {
                UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: source.count)
            }
        }
        buffer[bytes.count] = 0
        return buffer
    }

    // MARK: Columns

    private func isNull(_ column: Int32) -> Bool {
        guard let result, row >= 0, row < rowCount else { return true }
        return PQgetisnull(result, row, column) != 0
    }

    private func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let result, row >= 0, row < rowCount, PQgetisnull(result, row, column) == 0,
              let pointer = PQgetvalue(result, row, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        let count = Int(PQgetlength(result, row, column))
        return UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: count)
    }

    private func type(_ column: Int32) -> UInt32 {
        guard let result else { return 0 }
        return PQftype(result, column)
    }

    func value(_ column: Int32) -> SQLValue {
        if isNull(column) { return .null }
        switch type(column) {
        case PostgresType.int8, PostgresType.int4, PostgresType.int2, PostgresType.bool, PostgresType.numeric: return .int(int(column))
        case PostgresType.bytea: return .blob(blob(column))
        default: return .text(text(column))
        }
    }

    func int(_ column: Int32) -> Int64 {
        let raw = bytes(column)
        guard !raw.isEmpty else { return 0 }
        switch type(column) {
        case PostgresType.int8, PostgresType.int4, PostgresType.int2, PostgresType.bool:
            var number: Int64 = raw[0] & 0x80 != 0 && raw.count > 1 ? -1 : 0
            if raw.count == 1 { number = 0 }
            for byte in raw { number = number << 8 | Int64(byte) }
            return number
        case PostgresType.numeric: return PostgresNumeric.integer(raw)
        case PostgresType.float8: return Int64(Double(bitPattern: Self.bigEndian(raw)))
        default: return Int64(String(decoding: raw, as: UTF8.self)) ?? 0
        }
    }

    func text(_ column: Int32) -> String {
        let raw = bytes(column)
        switch type(column) {
        case PostgresType.int8, PostgresType.int4, PostgresType.int2, PostgresType.bool, PostgresType.numeric:
            return raw.isEmpty ? "" : String(int(column))
        case PostgresType.float8:
            return raw.isEmpty ? "" : String(Double(bitPattern: Self.bigEndian(raw)))
        default: return String(decoding: raw, as: UTF8.self)
        }
    }

    func withText<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(bytes(column))
    }

    func withBlob<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(bytes(column))
    }

    func blob(_ column: Int32) -> [UInt8] {
        Array(bytes(column))
    }

    private static func bigEndian(_ raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        raw.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// PostgreSQL's binary `numeric`, read as an integer (what SUM of a
/// bigint column gives): base-10000 digits, a weight and a sign.
enum PostgresNumeric {
    static func integer(_ raw: UnsafeBufferPointer<UInt8>) -> Int64 {
        guard raw.count >= 8 else { return 0 }
        func word(_ index: Int) -> Int { Int(Int16(bitPattern: UInt16(raw[index]) << 8 | UInt16(raw[index + 1]))) }
        let digits = word(0), weight = word(2), sign = UInt16(truncatingIfNeeded: word(4))
        var value: Int64 = 0
        var position = 0
        while position <= weight {
            let digit = position < digits && 8 + 2 * position + 1 < raw.count ? Int64(word(8 + 2 * position)) : 0
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10_000)
            if overflow { return sign == 0x4000 ? .min : .max }
            value = scaled &+ digit
            position += 1
        }
        return sign == 0x4000 ? -value : value
    }
}
