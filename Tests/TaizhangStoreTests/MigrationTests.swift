// A data directory written by the previous version (schema 5: the demo
// county as `taizhang demo load` left it, kept in Tests/Fixtures) opened by
// this one: the migration fills the new columns from the records, the
// journal still vouches for every row, and listings read from the columns
// give what the records' own filters give. A path edited behind the
// daemon's back is found.

import Foundation
import Testing
import TaizhangCore
import TaizhangRecords
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
        var records: [QuarterReport] = []
        do {
            let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
            try db.prepare("SELECT record_json FROM reports ORDER BY entity_id, quarter").query([]) { records.append(try QuarterReport(recordJSON: $0.text(0))) }
        }
        #expect(records.count == 47)
        let (entities, contracts) = try Self.operationsRecords(directory)
        #expect(entities.count >= 10 && contracts.count >= 10 && contracts.contains { !$0.payments.isEmpty })
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock())
        defer { store.close() }
        #expect(try Self.schemaVersion(directory) == Migrations.newest)
        // Schema 10: each report's columns give back its record.
        let byEntity = try store.reports(ofEntities: Array(Set(records.map(\.entityId))).sorted())
        #expect(byEntity.values.flatMap(\.values).sorted { ($0.entityId, $0.quarter) < ($1.entityId, $1.quarter) } == records)
        // Schema 12: so do each entity's and each contract's.
        #expect(try store.entities(adminCode: nil, kind: nil, after: nil, limit: 10_000).records == entities)
        #expect(try store.contracts(entityId: nil, assetId: nil, after: nil, limit: 10_000).records == contracts)
        #expect(store.statistics().recordCounts["report"] == 47)
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
        try db.prepare("SELECT body FROM assets ORDER BY id").query([]) { all.append(try StoredAsset.asset($0.blob(0))) }
        #expect(all.count == 721)
        var nonEmpty = 0
        for filter in filters {
            let location = filter.adminCode.map { store.adminSubtree(code: $0) }
            let ledger = filter.ledgerCode.map { store.adminSubtree(code: $0) }
            let expected = all.filter { filter.matches($0, location: location, ledger: ledger) }.map(\.id)
            var visited: [String] = []
            try store.visitAssets(filter: filter) { visited.append($0.id) }
            #expect(visited == expected, "\(filter)")
            // A facts scan walks the same rows; its facts are the records',
            // and it hands over the records of the assets it was asked for.
            var scanned: [String] = []
            try store.scanAssets(filter: filter, wanted: { $0.usageStatus == .idle }) { facts, record in
                let asset = all.first { $0.id == facts.id }
                #expect(asset.map(AssetFacts.init) == facts)
                #expect(record?.id == (facts.usageStatus == .idle ? facts.id : nil))
                #expect(record == nil || record == asset)
                scanned.append(facts.id)
            }
            #expect(scanned == expected, "\(filter)")
            let (ids, total) = try Self.listed(store, filter)
            #expect(ids == expected.sorted(), "\(filter)")
            #expect(total == expected.count, "\(filter)")
            if !expected.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty >= 20, "the filters should find assets in most townships and stages")

        // The summary from the totals is the summary of the records, for
        // every ledger, year and date asked.
        let active = all.filter { $0.lifecycle.stage != .disposed }
        let ledgers: [String?] = [nil, "421024000000"] + store.adminUnits(parentCode: "421024000000", after: nil, limit: 100).records.prefix(4).map(\.code)
        var compared = 0
        for ledger in ledgers {
            let subtree = ledger.map { store.adminSubtree(code: $0) }
            for year in [nil, 2017, 2019, 2021] as [Int?] {
                for day in ["2016-06-30", "2019-12-31", "2020-07-15", "2026-12-03", "2045-01-01"] {
                    let asOf = CivilDate(day)!
                    let chosen = active.filter { asset in
                        (subtree.map { LedgerMembership.includes(asset, subtree: $0) } ?? true) && (year.map { asset.acquiredDate.year == $0 } ?? true)
                    }
                    let expected = try LedgerSummary.compute(chosen, policy: DepreciationPolicy(), asOf: asOf)
                    let summary = try store.assetSummary(ledgerCode: ledger, year: year, asOf: asOf)
                    #expect(summary == expected, "\(ledger ?? "ledger") \(year.map(String.init) ?? "all years") as of \(day)")
                    if expected.total.count > 0 { compared += 1 }
                }
            }
        }
        #expect(compared > 40)
    }

    /// The entities and contracts of a data directory of schema 5, from their JSON bodies, in id order.
    static func operationsRecords(_ directory: String) throws -> ([OperatingEntity], [OperationContract]) {
        let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
        var entities: [OperatingEntity] = []
        var contracts: [OperationContract] = []
        try db.prepare("SELECT record_json FROM entities ORDER BY id").query([]) { entities.append(try OperatingEntity(recordJSON: $0.text(0))) }
        try db.prepare("SELECT record_json FROM contracts ORDER BY id").query([]) { contracts.append(try OperationContract(recordJSON: $0.text(0))) }
        return (entities, contracts)
    }

    /// A record that does not read stops its migration: nothing is
    /// migrated (the file stays at its version, its records as they were),
    /// the daemon does not open the ledger, and the message names the row.
    @Test func aContractThatDoesNotRead_stopsTheMigrationAndChangesNothing() throws {
        let directory = try Self.demoCountyV5()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = try #require(try Self.operationsRecords(directory).1.last?.id)
        #expect(try sqlite3(directory + "/taizhang.db", "UPDATE contracts SET record_json = '{\"id\":\"\(id)\"}' WHERE id = '\(id)'") == 0)
        let before = try Self.rows(directory)
        let error = #expect(throws: (any Error).self) { _ = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock()) }
        #expect("\(String(describing: error))".contains("migration 12: contracts \(id): its stored record does not read"), "\(String(describing: error))")
        #expect(try Self.schemaVersion(directory) == 5)
        #expect(before.count > 60, "\(before.count)")
        #expect(try Self.rows(directory) == before)
    }

    /// Every row of the entities, contracts and reports, as text.
    static func rows(_ directory: String) throws -> [String] {
        let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
        var rows: [String] = []
        for table in ["entities", "contracts", "reports"] {
            var columns: Int32 = 0
            try db.prepare("SELECT count(*) FROM pragma_table_info('\(table)')").query([]) { columns = Int32($0.int(0)) }
            try db.prepare("SELECT * FROM \(table) ORDER BY 1, 2").query([]) { row in
                rows.append((0..<columns).map { "\(row.value($0))" }.joined(separator: "|"))
            }
        }
        return rows
    }

    /// A contract's every field, payments and amendments (with the owners'
    /// consent and without) included, reads back from its columns.
    @Test func aContractsEveryField_readsBackFromItsColumns() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock()).close()
        let db = try SQLiteConnection(path: directory + "/taizhang.db")
        let contract = OperationContract(
            id: "HT00000009", assetId: "ZC00000001", entityId: "ZT00000001", mode: .lease, start: CivilDate("2024-01-01")!,
            end: CivilDate("2033-12-31")!,
            payments: [PaymentDue(kind: .rent, dueDate: CivilDate("2025-01-10")!, amountFen: 1_200_000),
                       PaymentDue(kind: .dividend, dueDate: CivilDate("2025-12-31")!, amountFen: 0)],
            committedPoorLabourers: 3, committedHouseholds: 12, terminatedOn: CivilDate("2030-06-30")!, operatorSince: CivilDate("2026-01-01")!,
            amendments: [ContractAmendment(date: CivilDate("2025-03-01")!, summary: "租金调整，含分隔符|,\n与表情😀", consent: nil),
                         ContractAmendment(date: CivilDate("2026-01-01")!, summary: "承租方变更",
                                           consent: OwnerConsent(date: CivilDate("2025-12-20")!, consentedBy: "村民代表大会", reference: "决议〔2025〕7号"))],
            version: 4, createdAt: "2024-01-01T08:00:00.000Z", updatedAt: "2026-01-01T08:00:00.000Z")
        let bare = OperationContract(id: "HT00000010", assetId: "ZC00000002", entityId: "ZT00000002", mode: .selfOperated,
                                     start: CivilDate("2024-01-01")!, end: CivilDate("2024-12-31")!)
        for record in [contract, bare] {
            try db.prepare(StoredRows.contracts.insert).run(StoredRows.values(record))
            var back: OperationContract?
            try db.prepare("SELECT \(StoredRows.contractColumns) FROM contracts WHERE id = ?").query([.text(record.id)]) { back = try StoredRows.contract($0) }
            #expect(back == record)
        }
    }

    @Test func theTotals_areKeptUnderThePolicyInForce() throws {
        let directory = try Self.demoCountyV5()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var all: [Asset] = []
        do {
            let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: TestClock())
            store.close()
            let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
            try db.prepare("SELECT body FROM assets WHERE stage <> 'disposed'").query([]) { all.append(try StoredAsset.asset($0.blob(0))) }
        }
        // Started under a policy that depreciates public-welfare assets from the month after.
        var configuration = SQLiteStoreConfiguration(dataDirectory: directory)
        configuration.depreciationPolicy = DepreciationPolicy(start: .monthAfter, depreciatePublicWelfare: true)
        let store = try SQLiteLedgerStore(configuration: configuration, clock: TestClock())
        defer { store.close() }
        let asOf = CivilDate("2024-03-31")!
        let summary = try store.assetSummary(ledgerCode: nil, year: nil, asOf: asOf)
        #expect(summary == (try LedgerSummary.compute(all, policy: configuration.depreciationPolicy, asOf: asOf)))
        #expect(summary != (try LedgerSummary.compute(all, policy: DepreciationPolicy(), asOf: asOf)), "the policies should differ on this ledger")
        let verification = try store.verifyAuditChain(expectedHead: nil)
        #expect(verification.intact, "\(verification.mismatches.prefix(3))")
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
        #expect(!listed.isEmpty && listed.allSatisfy { $0.problem.contains("not under it") })
        // And the totals the path would give the townships are not those kept.
        let totals = verification.mismatches.filter { $0.table == "asset_totals" }
        #expect(!totals.isEmpty && totals.allSatisfy { $0.id.hasPrefix("421024101000 ") || $0.id.hasPrefix("421024102000 ") }, "\(totals.prefix(3))")
        #expect(listed.count + totals.count + 1 == verification.mismatchCount)
    }
}
