// An insider edits the ledger's database behind the daemon's back, with the
// sqlite3 tool, as issue 18 tried it: the demo county loaded, the daemon
// stopped, a row edited or deleted. The ledger check (VerifyAuditChain,
// `taizhang audit verify`) finds every such edit and names the table, the
// record and the column. The cases are discovered from the schema: every
// table, every column, a row deleted, a row added, the journal cut short.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(4)))
struct TamperTests {
    /// A data directory holding the demo county, loaded through a real daemon.
    static let demo: String = {
        let daemon = try! DaemonProcess()
        let load = try! CLITests.taizhang(["demo", "load"], socket: daemon.socketPath)
        precondition(load.status == 0, "demo load failed: \(load.stderr)")
        _ = daemon.stop()
        return daemon.dataDirectory
    }()

    /// A copy of the demo's database with `sql` applied by sqlite3; the
    /// check's answer on it, from a store opened on the copy.
    static func verify(after sql: String) throws -> AuditVerification {
        let copy = NSTemporaryDirectory() + "tz-tamper-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: demo + "/taizhang.db", toPath: copy + "/taizhang.db")
        if !sql.isEmpty { #expect(try sqlite3(copy + "/taizhang.db", sql) == 0, "sqlite3 refused: \(sql)") }
        let store = try SQLiteLedgerStore(configuration: SQLiteStoreConfiguration(dataDirectory: copy))
        defer { store.close() }
        return try store.verifyAuditChain()
    }

    static func sqlite3(_ database: String, _ sql: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database, sql]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Rows of a query on the demo's database, as text (sqlite3's list mode).
    static func query(_ sql: String) throws -> [[String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-readonly", demo + "/taizhang.db", sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The record tables: every table but the journal's own and those the check names as excluded.
    static var recordTables: [String] {
        get throws {
            try query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .map { $0[0] }.filter { LedgerCheck.excluded[$0] == nil }
        }
    }

    @Test func theUntouchedDemoCountyVerifies() throws {
        let result = try Self.verify(after: "")
        #expect(result.intact, "\(result.mismatches)")
        #expect(result.mismatchCount == 0)
        let rows = try Self.recordTables.map { try Self.query("SELECT count(*) FROM \($0)")[0][0] }.compactMap { UInt64($0) }.reduce(0, +)
        #expect(result.rowsChecked == rows && rows > 300)
    }

    @Test func everyColumnOfEveryRecordTable_editedBehindTheDaemon_isNamed() throws {
        let tables = try Self.recordTables
        #expect(tables.count >= 7)
        for table in tables {
            let columns = try Self.query("SELECT name FROM pragma_table_info('\(table)')").map { $0[0] }
            for column in columns {
                // Text gains a character, a number grows by one, a NULL becomes text; JSON stays JSON.
                let changed = column == "record_json" ? "json_set(record_json, '$.note', 'TAMPERED')"
                    : "CASE typeof(\(column)) WHEN 'integer' THEN \(column) + 1 WHEN 'null' THEN 'X' ELSE \(column) || 'X' END"
                let edit = "UPDATE \(table) SET \(column) = \(changed) WHERE rowid = (SELECT max(rowid) FROM \(table));"
                do {
                    let result = try Self.verify(after: edit)
                    #expect(!result.intact, "\(table).\(column) edited: not found")
                    #expect(result.mismatches.contains { $0.table == table }, "\(table).\(column): \(result.mismatches.prefix(3))")
                } catch {
                    // Some edits stop the ledger from opening at all: found, and the error names the table.
                    #expect("\(error)".contains(table), "\(table).\(column): \(error)")
                }
            }
        }
    }

    @Test func aRowDeletedOrAdded_isNamed() throws {
        for table in try Self.recordTables {
            let deleted = try Self.verify(after: "DELETE FROM \(table) WHERE rowid = (SELECT min(rowid) FROM \(table));")
            #expect(deleted.mismatches.contains { $0.table == table && $0.problem.contains("missing") }, "\(table): \(deleted.mismatches.prefix(3))")
            let columns = try Self.query("SELECT name FROM pragma_table_info('\(table)')").map { $0[0] }
            // A copy of a row under a new key (the first text key column gains a suffix).
            let key = try Self.query("SELECT name FROM pragma_table_info('\(table)') WHERE pk > 0 ORDER BY pk DESC LIMIT 1")[0][0]
            let values = columns.map { $0 == key ? "\($0) || '-COPY'" : $0 == "code" ? "NULL" : $0 == "credit_code" ? "''" : $0 }
            let added = try Self.verify(after: "INSERT INTO \(table)(\(columns.joined(separator: ","))) SELECT \(values.joined(separator: ",")) FROM \(table) WHERE rowid = (SELECT min(rowid) FROM \(table));")
            #expect(added.mismatches.contains { $0.table == table && $0.problem.contains("not in the journal") }, "\(table): \(added.mismatches.prefix(3))")
        }
    }

    @Test func aTableOrAColumnAddedBehindTheDaemon_isNamed() throws {
        let table = try Self.verify(after: "CREATE TABLE side_ledger(id TEXT);")
        #expect(table.mismatches.contains { $0.table == "side_ledger" })
        let column = try Self.verify(after: "ALTER TABLE assets ADD COLUMN shadow TEXT;")
        #expect(column.mismatches.contains { $0.table == "assets" && $0.column == "shadow" })
    }

    @Test func theJournalCutShort_leavesRowsItNoLongerProduces() throws {
        for count in [1, 5, 10] {
            let result = try Self.verify(after: "DELETE FROM audit_journal WHERE seq > (SELECT max(seq) - \(count) FROM audit_journal);")
            #expect(!result.intact && result.mismatchCount > 0, "the last \(count) entries deleted: not found")
        }
    }

    @Test func theRestartedDaemon_namesTheEditedAsset() async throws {
        let copy = NSTemporaryDirectory() + "tz-tamper-daemon-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.demo + "/taizhang.db", toPath: copy + "/taizhang.db")
        let id = try Self.query("SELECT id FROM assets ORDER BY id LIMIT 1")[0][0]
        #expect(try Self.sqlite3(copy + "/taizhang.db", "UPDATE assets SET record_json = json_set(record_json, '$.name', 'TAMPERED') WHERE id = '\(id)';") == 0)
        let daemon = try DaemonProcess(dataDirectory: copy)
        defer { _ = daemon.stop() }
        let verify = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: daemon.socketPath)
        #expect(verify.status == 4)
        #expect(verify.stdout.contains("assets \(id) record_json"), "\(verify.stdout)")
    }
}
