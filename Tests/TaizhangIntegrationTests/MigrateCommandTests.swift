// taizhangd --migrate on the demo county as the previous version (schema 5)
// wrote it: migrated and checked row by row, then served, and
// `taizhang audit verify` vouches for it; run again it has nothing to do;
// a row removed behind its back makes it exit 1 naming the row.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct MigrateCommandTests {
    static func migrate(_ directory: String) throws -> CLITests.Run {
        try CLITests.run(DaemonProcess.binary, ["--config", "", "--data-dir", directory, "--migrate"])
    }

    static func sqlite(_ directory: String, _ sql: String) throws {
        #expect(try CLITests.run("/usr/bin/sqlite3", [directory + "/taizhang.db", sql]).status == 0)
    }

    @Test func theDemoCountyOfTheLastVersion_migratesServesAndVerifies() async throws {
        let directory = NSTemporaryDirectory() + "tz-migrate-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/demo-county-v5.db.gz").path
        #expect(try CLITests.run("/bin/sh", ["-c", "gzip -dc \"$0\" > \"$1\"", fixture, directory + "/taizhang.db"]).status == 0)

        var run = try Self.migrate(directory)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("schema version 5 → 18"), "\(run.stdout)")
        #expect(run.stdout.contains("(assets 721)"), "\(run.stdout)")
        #expect(run.stdout.contains("intact: every row is what the journal says"), "\(run.stdout)")
        run = try Self.migrate(directory)
        #expect(run.status == 0)
        #expect(run.stdout.contains("schema version 18: already current"), "\(run.stdout)")

        do {
            let daemon = try DaemonProcess(dataDirectory: directory)
            defer { daemon.stop() }
            let verify = try CLITests.taizhang(["audit", "verify", "--lang", "en"], socket: daemon.socketPath)
            #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
            // A township's listing comes from the migrated columns.
            let list = try CLITests.taizhang(["asset", "list", "--admin", "421024101000", "--page-size", "1000", "--json"], socket: daemon.socketPath)
            #expect(list.status == 0, "\(list.stderr)")
            let page = try Taizhang_Ledger_V1_ListAssetsResponse(jsonString: list.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(page.totalSize > 0 && page.totalSize == Int64(page.assets.count))
            #expect(page.assets.allSatisfy { $0.adminCode.hasPrefix("421024101") })
            #expect(page.assets.map(\.id) == page.assets.map(\.id).sorted())
        }

        try Self.sqlite(directory, "DELETE FROM assets WHERE id = 'ZC00000007'")
        run = try Self.migrate(directory)
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("NOT INTACT"), "\(run.stdout)")
        #expect(run.stdout.contains("assets ZC00000007"), "\(run.stdout)")
    }

    /// A mistyped path is refused and leaves no new, empty ledger behind.
    @Test func aDirectoryWithoutALedger_isRefusedAndNothingIsCreated() throws {
        let directory = NSTemporaryDirectory() + "tz-migrate-none-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try Self.migrate(directory)
        #expect(run.status == 74, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("there is no ledger in \(directory) to migrate"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/taizhang.db"))
    }
}
