// A data directory written by the previous version (schema 5: the demo
// county as `taizhang demo load` left it, kept in Tests/Fixtures) opened by
// this one: the migration fills the new columns from the records, the
// journal still vouches for every row, and listings read from the columns
// give what the records' own filters give. A path edited behind the
// daemon's back is found.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

struct MigrationTests {
    /// A copy of the schema-5 demo county in a fresh data directory.
    static func demoCountyV5() throws -> String {
        let directory = temporaryDirectory()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/demo-county-v5.db.gz").path
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gunzip.arguments = ["-c", "gzip -dc \"$0\" > \"$1\"", fixture, directory + "/taizhang.db"]
        try gunzip.run()
        gunzip.waitUntilExit()
        #expect(gunzip.terminationStatus == 0)
        return directory
    }

    static func schemaVersion(_ directory: String) throws -> Int64 {
        let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
        var version: Int64 = 0
        try db.prepare("SELECT MAX(version) FROM schema_migrations").query([]) { version = $0.int(0) }
        return version
    }

    /// Every page of a listing, by id.
    static func listed(_ store: SQLiteLedgerStore, _ filter: AssetFilter, pageSize: Int = 7) throws -> (ids: [String], total: Int) {
        var ids: [String] = []
        var after: String?
        var total = -1
        repeat {
            let page = try store.assets(filter: filter, after: after, limit: pageSize)
            if total < 0 { total = page.total }
            #expect(page.total == total, "the total changed between pages")
            ids += page.records.map(\.id)
            after = page.nextAfter
        } while after != nil
        return (ids, total)
    }

    @Test func theDemoCountyOfSchema5_migratesAndListsAsItsRecordsSay() throws {
        let directory = try Self.demoCountyV5()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try Self.schemaVersion(directory) == 5)
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock())
        defer { store.close() }
        #expect(try Self.schemaVersion(directory) == 7)
        let verification = try store.verifyAuditChain(expectedHead: nil)
        #expect(verification.intact, "\(verification.problem) \(verification.mismatches.prefix(3))")
        #expect(verification.rowsChecked > 900)
        #expect(store.statistics().recordCounts["asset"] == 721)

        var filters: [AssetFilter] = [AssetFilter(), AssetFilter(adminCode: "421024000000"), AssetFilter(ledgerCode: "421024000000"),
                                      AssetFilter(withoutCustodian: true), AssetFilter(handoverOverdueOn: CivilDate("2030-01-01")!),
                                      AssetFilter(category: .operating, year: 2019), AssetFilter(usageStatus: .idle)]
        filters += AssetStage.allCases.map { AssetFilter(stage: $0) }
        for unit in store.adminUnits(parentCode: "421024000000", after: nil, limit: 100).records {
            filters.append(AssetFilter(adminCode: unit.code))
            filters.append(AssetFilter(ledgerCode: unit.code))
        }
        // Every record as the file holds it, filtered by the rules' own
        // `AssetFilter.matches`: the SQL must select the same.
        var all: [Asset] = []
        let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
        try db.prepare("SELECT record_json FROM assets ORDER BY id").query([]) { all.append(try Asset(recordJSON: $0.text(0))) }
        #expect(all.count == 721)
        var nonEmpty = 0
        for filter in filters {
            let location = filter.adminCode.map { store.adminSubtree(code: $0) }
            let ledger = filter.ledgerCode.map { store.adminSubtree(code: $0) }
            let expected = all.filter { filter.matches($0, location: location, ledger: ledger) }.map(\.id)
            var visited: [String] = []
            try store.visitAssets(filter: filter) { visited.append($0.id) }
            #expect(visited == expected, "\(filter)")
            let (ids, total) = try Self.listed(store, filter)
            #expect(ids == expected.sorted(), "\(filter)")
            #expect(total == expected.count, "\(filter)")
            if !expected.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty >= 20, "the filters should find assets in most townships and stages")
    }

    @Test func aPathEditedBehindTheDaemonsBack_isFound() throws {
        let directory = try Self.demoCountyV5()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock())
            store.close()
        }
        let db = try SQLiteConnection(path: directory + "/taizhang.db")
        // A village moved under another township in the index only.
        try db.execute("UPDATE admin_units SET path = '/421024000000/421024102000/421024101201/' WHERE code = '421024101201'")
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock())
        defer { store.close() }
        let verification = try store.verifyAuditChain(expectedHead: nil)
        #expect(verification.chainIntact)
        let path = verification.mismatches.filter { $0.table == "admin_units" }
        #expect(path.count == 1 && path.first?.id == "421024101201" && path.first?.column == "path", "\(path)")
        // The village's assets are listed under its real township, which the moved path no longer names.
        let listed = verification.mismatches.filter { $0.table == "asset_units" }
        #expect(!listed.isEmpty && listed.allSatisfy { $0.problem.contains("not under it") } && listed.count + 1 == verification.mismatchCount)
    }
}
