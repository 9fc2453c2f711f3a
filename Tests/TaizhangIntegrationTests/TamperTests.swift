// An insider edits the ledger's database behind the daemon's back, with the
// sqlite3 tool, as issue 18 tried it: the demo county loaded, the daemon
// stopped, a row edited or deleted. The ledger check (VerifyAuditChain,
// `taizhang audit verify`) finds every such edit and names the table, the
// record and the column. The cases are discovered from the schema: every
// table, every column, a row deleted, a row added, the journal cut short.

import Foundation
import PostgresTestSupport
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(4)))
struct TamperTests {
    /// A data directory holding the demo county, loaded through a real daemon.
    static let demo: String = {
        let daemon = try! DaemonProcess()
        let load = try! CLITests.taizhang(["demo", "load"], socket: daemon.socketPath)
        precondition(load.status == 0, "demo load failed: \(load.stderr)")
        precondition(daemon.stop() == 0, "the daemon did not stop cleanly")
        // Everything in the main file, so a copy of it is the whole ledger.
        precondition(try! sqlite3(daemon.dataDirectory + "/taizhang.db", "PRAGMA wal_checkpoint(TRUNCATE);") == 0)
        return daemon.dataDirectory
    }()

    /// A copy of the demo's database with `sql` applied by sqlite3; what a
    /// daemon started on the copy answers to VerifyAuditChain.
    static func verify(after sql: String) async throws -> Taizhang_Ledger_V1_VerifyAuditChainResponse {
        let copy = NSTemporaryDirectory() + "tz-tamper-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: demo + "/taizhang.db", toPath: copy + "/taizhang.db")
        // The key the demo's households are sealed with goes with the ledger (issue 23).
        try FileManager.default.copyItem(atPath: demo + "/personal-data.key", toPath: copy + "/personal-data.key")
        // So does the key that signed its tree heads (issue 24).
        try FileManager.default.copyItem(atPath: demo + "/tree-head.key", toPath: copy + "/tree-head.key")
        if !sql.isEmpty { #expect(try sqlite3(copy + "/taizhang.db", sql) == 0, "sqlite3 refused: \(sql)") }
        let daemon = try DaemonProcess(dataDirectory: copy)
        defer { _ = daemon.stop() }
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        return try await client.unary("/taizhang.ledger.v1.Ledger/VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                      as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
    }

    /// Runs `sql` on a daemon's database behind its back: the sqlite3 tool
    /// on `taizhang.db`, or psql when the daemon of that data directory
    /// keeps its ledger in PostgreSQL (TAIZHANG_TEST_STORE=postgresql).
    static func sqlite3(_ database: String, _ sql: String) throws -> Int32 {
        let directory = (database as NSString).deletingLastPathComponent
        if database.hasSuffix("/taizhang.db"), let uri = try? String(contentsOfFile: directory + "/test-store.uri", encoding: .utf8) {
            return try PostgresCluster.run("psql", [uri, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]).status
        }
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
                .map { $0[0] }.filter { !["audit_journal", "schema_migrations", "idempotency", "ledger_identity", "totals_basis", "merkle_hashes", "tree_heads"].contains($0) }
        }
    }

    /// What picks one row of `table`: its rowid, or for a table without
    /// one (`asset_units`) its key's columns joined.
    static func rowKey(_ table: String) throws -> String {
        guard try query("SELECT wr FROM pragma_table_list WHERE name = '\(table)'").first?.first == "1" else { return "rowid" }
        return try query("SELECT name FROM pragma_table_info('\(table)') WHERE pk > 0 ORDER BY pk").map { $0[0] }.joined(separator: " || '|' || ")
    }

    @Test func theUntouchedDemoCountyVerifies() async throws {
        let result = try await Self.verify(after: "")
        #expect(result.intact, "\(result.mismatches)")
        #expect(result.mismatchCount == 0 && result.chainIntact)
        let rows = try Self.recordTables.map { try Self.query("SELECT count(*) FROM \($0)")[0][0] }.compactMap { UInt64($0) }.reduce(0, +)
        #expect(result.rowsChecked == rows && rows > 300)
    }

    @Test func everyColumnOfEveryRecordTable_editedBehindTheDaemon_isNamed() async throws {
        let tables = try Self.recordTables
        #expect(tables.count >= 7)
        for table in tables {
            let columns = try Self.query("SELECT name FROM pragma_table_info('\(table)')").map { $0[0] }
            for column in columns {
                // Text and bytes gain a character, a number grows by one, a NULL becomes text; JSON stays
                // JSON, and an asset's stored message stays one (a second name, which wins when read).
                let changed = column == "record_json" ? "json_set(record_json, '$.note', 'TAMPERED')"
                    : table == "assets" && column == "body" ? "CAST(body || x'1a0854414d5045524544' AS BLOB)"
                    : "CASE typeof(\(column)) WHEN 'integer' THEN \(column) + 1 WHEN 'null' THEN 'X' WHEN 'blob' THEN CAST(\(column) || 'X' AS BLOB) ELSE \(column) || 'X' END"
                let row = try Self.rowKey(table)
                let edit = "UPDATE \(table) SET \(column) = \(changed) WHERE \(row) = (SELECT max(\(row)) FROM \(table));"
                do {
                    let result = try await Self.verify(after: edit)
                    #expect(!result.intact, "\(table).\(column) edited: not found")
                    #expect(result.mismatches.contains { $0.table == table }, "\(table).\(column): \(result.mismatches.prefix(3))")
                } catch {
                    // Some edits stop the ledger from opening at all (an unknown kind): found, the daemon does not start.
                    #expect(table == "stewardship_records" && column == "kind", "\(table).\(column): \(error)")
                }
            }
        }
    }

    @Test func aRowDeletedOrAdded_isNamed() async throws {
        for table in try Self.recordTables {
            let row = try Self.rowKey(table)
            let deleted = try await Self.verify(after: "DELETE FROM \(table) WHERE \(row) = (SELECT min(\(row)) FROM \(table));")
            #expect(deleted.mismatches.contains { $0.table == table && $0.problem.contains("missing") }, "\(table): \(deleted.mismatches.prefix(3))")
            let columns = try Self.query("SELECT name FROM pragma_table_info('\(table)')").map { $0[0] }
            // A copy of a row under a new key (the first text key column gains a suffix).
            let key = try Self.query("SELECT name FROM pragma_table_info('\(table)') WHERE pk > 0 ORDER BY pk DESC LIMIT 1")[0][0]
            let values = columns.map { $0 == key ? "\($0) || '-COPY'" : $0 == "code" ? "NULL" : $0 == "credit_code" ? "''" : $0 }
            let added = try await Self.verify(after: "INSERT INTO \(table)(\(columns.joined(separator: ","))) SELECT \(values.joined(separator: ",")) FROM \(table) WHERE \(row) = (SELECT min(\(row)) FROM \(table));")
            #expect(added.mismatches.contains { $0.table == table && $0.problem.contains("not in the journal") }, "\(table): \(added.mismatches.prefix(3))")
        }
    }

    /// The journal's Merkle tree and its signed heads (issue 24): a stored
    /// hash edited, deleted or added, a head's every column edited.
    @Test func theJournalsTree_editedBehindTheDaemon_isNamed() async throws {
        #expect(try Self.query("SELECT count(*) FROM tree_heads")[0][0] != "0", "the demo signs a head")
        for (edit, table, problem) in [
            ("UPDATE merkle_hashes SET hash = zeroblob(32) WHERE id = 0", "merkle_hashes", "not the hash of its row"),
            ("UPDATE merkle_hashes SET hash = zeroblob(32) WHERE id = (SELECT max(id) FROM merkle_hashes)", "merkle_hashes", "not"),
            ("DELETE FROM merkle_hashes WHERE id = 6", "merkle_hashes", "missing"),
            ("INSERT INTO merkle_hashes VALUES ((SELECT max(id) + 1 FROM merkle_hashes), zeroblob(32))", "merkle_hashes", "do not make"),
            ("UPDATE tree_heads SET root = zeroblob(32)", "tree_heads", "not the root"),
            ("UPDATE tree_heads SET size = size - 1", "tree_heads", "not the root"),
            ("UPDATE tree_heads SET time = time || 'X'", "tree_heads", "signature"),
            ("UPDATE tree_heads SET origin = origin || 'X'", "tree_heads", "signature"),
            ("UPDATE tree_heads SET signature = zeroblob(64)", "tree_heads", "signature"),
            ("UPDATE tree_heads SET public_key = zeroblob(32)", "tree_heads", "signature"),
        ] {
            let result = try await Self.verify(after: edit)
            #expect(!result.intact, "\(edit): not found")
            #expect(result.mismatches.contains { $0.table == table && $0.problem.contains(problem) }, "\(edit): \(result.mismatches.prefix(3))")
        }
    }

    @Test func aTableOrAColumnAddedBehindTheDaemon_isNamed() async throws {
        let table = try await Self.verify(after: "CREATE TABLE side_ledger(id TEXT);")
        #expect(table.mismatches.contains { $0.table == "side_ledger" })
        let column = try await Self.verify(after: "ALTER TABLE assets ADD COLUMN shadow TEXT;")
        #expect(column.mismatches.contains { $0.table == "assets" && $0.column == "shadow" })
        // A view holds no rows of the ledger (an operator's monitoring
        // extension, such as pg_stat_statements, makes some): not named.
        let view = try await Self.verify(after: "CREATE VIEW side_view AS SELECT 1 AS one;")
        #expect(!view.mismatches.contains { $0.table == "side_view" })
        #expect(view.intact, "\(view.mismatches)")
    }

    @Test func theJournalCutShort_leavesRowsItNoLongerProduces() async throws {
        for count in [1, 5, 10] {
            let result = try await Self.verify(after: "DELETE FROM audit_journal WHERE seq > (SELECT max(seq) - \(count) FROM audit_journal);")
            #expect(!result.intact && result.mismatchCount > 0, "the last \(count) entries deleted: not found")
        }
    }

    @Test func aRetryWhoseStoredAnswerWasDeleted_isAnsweredFromTheJournal_andAppliedOnce() async throws {
        let daemon = try DaemonProcess()
        let firstClient = try await daemon.connect()
        try await Fixture.seed(firstClient)
        let key = ["idempotency-key": "county-req-7"]
        let first = try await Fixture.register(firstClient, Fixture.asset(code: "IDEM-7"), metadata: key)
        await firstClient.close()
        #expect(daemon.stop() == 0)
        #expect(try Self.sqlite3(daemon.dataDirectory + "/taizhang.db", "DELETE FROM idempotency;") == 0)
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { _ = restarted.stop() }
        let client = try await restarted.connect()
        defer { Task { await client.close() } }
        let before = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        let retry = try await Fixture.register(client, Fixture.asset(code: "IDEM-7"), metadata: key)
        #expect(retry == first)
        await #expect {
            _ = try await Fixture.register(client, Fixture.asset(code: "IDEM-8"), metadata: key)
        } throws: { error in
            (error as? RPCError)?.status.code == .failedPrecondition
        }
        let after = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(after.recordCounts["asset"] == 1 && after.auditHeadSeq == before.auditHeadSeq)
        let entry = try await client.unary("/taizhang.ledger.v1.Ledger/GetAuditEntry", Taizhang_Ledger_V1_GetAuditEntryRequest.with { $0.seq = after.auditHeadSeq },
                                           as: Taizhang_Ledger_V1_AuditEntry.self)
        #expect(entry.idempotencyKey.hasSuffix("\ncounty-req-7") && entry.recordID == first.id)
    }

    @Test func aStoredAnswerTheJournalDoesNotRecord_isNamed() async throws {
        let forged = """
            INSERT INTO idempotency(key, method, request_sha256, response, created_unix_ms)
            SELECT 'uid:0' || char(10) || 'forged-1', '/taizhang.ledger.v1.Ledger/RegisterAsset', 'abc', x'0a00', applied_unix_ms + 1
            FROM schema_migrations WHERE version = 4;
            """
        let result = try await Self.verify(after: forged)
        #expect(!result.intact)
        #expect(result.mismatches.contains { $0.table == "idempotency" && $0.id == "uid:0 forged-1" }, "\(result.mismatches.prefix(3))")
    }

    /// The last change cut out whole (its row and its journal entry): the
    /// journal's tree still holds its leaf, and the check names it; cut
    /// from the tree too, the ledger and the journal agree again, so only
    /// a head published earlier finds it.
    @Test func aChangeCutOutWithItsJournalEntry_isFoundAgainstAPublishedHead() async throws {
        let daemon = try DaemonProcess()
        let first = try await daemon.connect()
        try await Fixture.seed(first)
        let asset = try await Fixture.register(first, Fixture.asset(code: "CUT-1"))
        let status = try await first.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        await first.close()
        #expect(daemon.stop() == 0)
        let head = "\(status.auditHeadSeq):\(status.auditHeadHash)"
        #expect(try Self.sqlite3(daemon.dataDirectory + "/taizhang.db",
                                 "UPDATE unit_counts SET assets = assets - 1 WHERE stage = (SELECT stage FROM assets WHERE id = '\(asset.id)') AND (unit_code = '' OR unit_code IN (SELECT unit_code FROM asset_units WHERE asset_id = '\(asset.id)')); DELETE FROM unit_counts WHERE assets = 0; DELETE FROM assets WHERE id = '\(asset.id)'; DELETE FROM asset_units WHERE asset_id = '\(asset.id)'; DELETE FROM totals_basis; DELETE FROM audit_journal WHERE seq = \(status.auditHeadSeq);") == 0)
        var restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        let byTheTree = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: restarted.socketPath)
        #expect(byTheTree.status == 4 && byTheTree.stdout.contains("merkle_hashes"), "\(byTheTree.stdout)")
        #expect(restarted.stop() == 0)
        // The tree's rows past the cut removed as well (2n − popcount(n) hashes for n entries).
        let kept = status.auditHeadSeq - 1
        #expect(try Self.sqlite3(daemon.dataDirectory + "/taizhang.db",
                                 "DELETE FROM merkle_hashes WHERE id >= \(2 * kept - UInt64(kept.nonzeroBitCount)); DELETE FROM tree_heads WHERE size > \(kept);") == 0)
        restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { _ = restarted.stop() }
        let plain = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: restarted.socketPath)
        #expect(plain.status == 0, "the cut is consistent: only the head finds it")
        let anchored = try CLITests.taizhang(["audit", "verify", "--lang", "en", "--head", head], socket: restarted.socketPath)
        #expect(anchored.status == 4)
        #expect(anchored.stdout.contains("does not extend the head given"), "\(anchored.stdout)")
        let earlier = try CLITests.taizhang(["audit", "verify", "--head", "\(status.auditHeadSeq - 1):\(String(repeating: "0", count: 64))"],
                                           socket: restarted.socketPath)
        #expect(earlier.status == 4 && earlier.stdout.contains("\(status.auditHeadSeq - 1)"), "\(earlier.stdout)")
        let bad = try CLITests.taizhang(["audit", "verify", "--head", "12:xyz"], socket: restarted.socketPath)
        #expect(bad.status != 0 && bad.stderr.contains("SEQ:HASH"), "\(bad.stderr)")
    }

    @Test func theRestartedDaemon_namesTheEditedAsset() async throws {
        let copy = NSTemporaryDirectory() + "tz-tamper-daemon-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.demo + "/taizhang.db", toPath: copy + "/taizhang.db")
        try FileManager.default.copyItem(atPath: Self.demo + "/personal-data.key", toPath: copy + "/personal-data.key")
        try FileManager.default.copyItem(atPath: Self.demo + "/tree-head.key", toPath: copy + "/tree-head.key")
        let id = try Self.query("SELECT id FROM assets ORDER BY id LIMIT 1")[0][0]
        #expect(try Self.sqlite3(copy + "/taizhang.db", "UPDATE assets SET body = CAST(body || x'1a0854414d5045524544' AS BLOB) WHERE id = '\(id)';") == 0)
        let daemon = try DaemonProcess(dataDirectory: copy)
        defer { _ = daemon.stop() }
        let verify = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: daemon.socketPath)
        #expect(verify.status == 4)
        #expect(verify.stdout.contains("assets \(id) body"), "\(verify.stdout)")
    }
}
