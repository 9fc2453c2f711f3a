// The store against a real SQLite file: durability across reopen, group
// commit that keeps calls independent, idempotency, optimistic concurrency,
// and an audit chain that catches edits made behind the daemon's back.

import Foundation
import Synchronization
import Testing
import TaizhangCore
import TaizhangRecords
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(2)))
struct SQLiteLedgerStoreTests {
    @Test(arguments: Engine.allCases) func registeredAsset_survivesReopen(engine: Engine) throws {
        let place = try StorePlace(engine)
        do {
            let store = try SQLiteLedgerStore(configuration: place.configuration)
            seedUnits(store)
            guard case .success = submit(store, .registerAssets([sampleAsset(code: "A-1")], batch: false)) else {
                Issue.record("registration failed"); return
            }
            store.close()
        }
        let reopened = try SQLiteLedgerStore(configuration: place.configuration)
        defer { reopened.close() }
        let asset = try #require(reopened.asset(id: "ZC00000001"))
        #expect(asset.code == "A-1")
        #expect(asset.version == 1)
        #expect(reopened.adminSubtree(code: "421024000000") == ["421024000000", "421024101000", "421024101201"])
        #expect(try reopened.verifyAuditChain().intact)
        #expect(reopened.statistics().auditHeadSeq == 5)
    }


    /// Projects live in the file (schema 15): a reopened store loads none
    /// of them but their count, reads each by id when asked (then holds
    /// it), lists them by subtree and year a page at a time, still refuses
    /// a second project with an id already taken, and names a stored record
    /// that does not read.
    @Test func projectsStayInTheFile_areReadByIdAndListedBySubtreeAndYear() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let township = "421024101000", village = "421024101201", other = "421024102000"
        do {
            let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
            defer { store.close() }
            seedUnits(store)  // P1: the township's, 2019
            _ = submit(store, .createAdminUnit(AdminUnit(code: other, name: "白马镇", level: .township, parentCode: "421024000000")),
                       context("/taizhang.ledger.v1.Ledger/CreateAdminUnit"))
            for (id, year, unit) in [("P2", 2020, village), ("P3", 2019, village), ("P4", 2019, other), ("P5", 2021, "421024000000")] {
                let reply = submit(store, .createProject(Project(id: id, name: "项目\(id)", year: year, implementingUnit: "县农业农村局",
                                                                 adminCode: unit, funding: [])),
                                   context("/taizhang.ledger.v1.Ledger/CreateProject"))
                guard case .success = reply else { Issue.record("\(id) refused: \(reply)"); return }
            }
            #expect(store.cachedProject(id: "P3")?.year == 2019, "a project written is held")
        }
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
        defer { store.close() }
        #expect(store.statistics().recordCounts["project"] == 5)
        #expect(store.cachedProject(id: "P2") == nil, "nothing is loaded at start")
        #expect(store.project(id: "P2")?.adminCode == village)
        #expect(store.cachedProject(id: "P2")?.name == "项目P2")
        #expect(store.project(id: "P9") == nil)

        func ids(_ unit: String?, _ year: Int?, limit: Int = 50) throws -> [[String]] {
            var pages: [[String]] = []
            var after: String?
            repeat {
                let page = try store.projects(adminCode: unit, year: year, after: after, limit: limit)
                pages.append(page.records.map(\.id))
                after = page.nextAfter
            } while after != nil && pages.count < 10
            return pages
        }
        #expect(try ids(nil, nil) == [["P1", "P2", "P3", "P4", "P5"]])
        #expect(try ids(township, nil) == [["P1", "P2", "P3"]], "the township and its village")
        #expect(try ids(township, 2019, limit: 1) == [["P1"], ["P3"]])
        #expect(try ids(village, nil, limit: 2) == [["P2", "P3"]])
        #expect(try ids(other, 2020) == [[]])
        #expect(try ids(nil, 2019, limit: 2) == [["P1", "P3"], ["P4"]])

        // The id is taken, though P1 is not in memory.
        let again = submit(store, .createProject(Project(id: "P1", name: "重复", year: 2022, implementingUnit: "县发改局",
                                                         adminCode: township, funding: [])),
                           context("/taizhang.ledger.v1.Ledger/CreateProject"))
        guard case .failure(let error) = again else { Issue.record("a second P1 was accepted"); return }
        #expect(error.code == .alreadyExists, "\(error)")

        // A record edited into something that does not read is named, not taken for no project.
        #expect(try sqlite3(directory + "/taizhang.db", "UPDATE projects SET record_json = '{' WHERE id = 'P4'") == 0)
        let listed = #expect(throws: LedgerError.self) { try store.projects(adminCode: other, year: nil, after: nil, limit: 10) }
        #expect(listed?.code == .dataLoss && listed?.message.contains("row P4 of the ledger file's projects: column record_json") == true,
                "\(String(describing: listed))")
        #expect(throws: StoredRowError.self) { try store.loadProject("P4") }
    }

    /// Once `close` returns, nothing of the store holds the file, though the
    /// store itself is still referenced: the write-ahead log is checkpointed
    /// and removed, and another process takes the file's exclusive lock at
    /// once (a backup, an operator's sqlite3).
    @Test func close_releasesTheFileBeforeItReturns() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset(code: "A-1")], batch: false))
        #expect(try store.assets(filter: AssetFilter(), after: nil, limit: 10).records.count == 1)
        #expect(try store.auditEntries(recordId: nil, afterSeq: 0, limit: 10).count >= 3)
        #expect(FileManager.default.fileExists(atPath: directory + "/taizhang.db-wal"))
        // Leaving WAL mode needs every other connection to the file closed:
        // refused while the store is open, done once it is closed.
        func leaveWAL() throws -> String {
            let other = try SQLiteConnection(path: directory + "/taizhang.db")
            try other.execute("PRAGMA busy_timeout=0")
            var mode = ""
            do { try other.prepare("PRAGMA journal_mode=DELETE").query([]) { mode = $0.text(0) } } catch { mode = "\(error)" }
            return mode
        }
        let whileOpen = try leaveWAL()
        #expect(whileOpen != "delete", "\(whileOpen)")
        store.close()
        #expect(!FileManager.default.fileExists(atPath: directory + "/taizhang.db-wal"))
        #expect(try leaveWAL() == "delete")
        // The closed store answers reads with UNAVAILABLE and opens nothing again.
        #expect { _ = try store.auditEntries(recordId: nil, afterSeq: 0, limit: 10) } throws: {
            ($0 as? LedgerError)?.code == .unavailable
        }
        #expect { _ = try store.projects(adminCode: nil, year: nil, after: nil, limit: 10) } throws: {
            ($0 as? LedgerError)?.code == .unavailable
        }
        #expect { _ = try store.loadAsset("ZC00000099") } throws: { ($0 as? LedgerError)?.message == "the store is closed" }
        withExtendedLifetime(store) {}
    }
    /// A stop ends a ledger check at once: the statement running stops
    /// (SQLite's progress handler), and no later check starts.
    @Test func aStop_endsTheLedgerCheckAtOnce() throws {
        let flag = StopFlag()
        let db = try SQLiteConnection(path: temporaryDirectory() + "/stop.db")
        db.stop(when: flag)
        // Ten million steps of a recursive count run to the end while the flag is down…
        let count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT COUNT(*) FROM n"
        var counted: Int64 = 0
        try db.prepare(count).query([]) { counted = $0.int(0) }
        #expect(counted == 1_000_000)
        // …and stop within 10,000 steps once it is up.
        flag.set()
        #expect(throws: SQLiteError.self) { try db.prepare(count).query([]) { _ in } }

        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: temporaryDirectory()))
        defer { store.close() }
        seedUnits(store)
        #expect(try store.verifyAuditChain(expectedHead: nil).intact)
        store.stopChecking()
        #expect {
            _ = try store.verifyAuditChain(expectedHead: nil)
        } throws: { ($0 as? LedgerError)?.code == .unavailable }
        // Other reads of the journal go on.
        #expect(try store.auditEntries(recordId: nil, afterSeq: 0, limit: 10).count >= 3)
    }

    /// An import's records are encoded on every core: each row and each
    /// journal entry still holds its own asset's record, in order.
    @Test func aLargeBatch_writesEachRecordToItsOwnRowAndEntry() throws {
        let directory = temporaryDirectory()
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
        defer { store.close() }
        seedUnits(store)
        let assets = (1...1_200).map { number in
            var asset = sampleAsset(code: "B-\(number)")
            asset.name = "资产\(number)"
            return asset
        }
        guard case .success(let success) = submit(store, .registerAssets(assets, batch: true)) else {
            Issue.record("the batch failed"); return
        }
        let ids = success.assetIds.split(separator: ",").map(String.init)
        #expect(ids.count == 1_200)
        let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
        var rows = 0
        try db.prepare("SELECT a.id, a.code, a.body, j.after_json FROM assets a JOIN audit_journal j ON j.record_id = a.id AND j.record_kind = 'asset'")
            .query([]) { row in
                let record = try StoredAsset.asset(row.blob(2))
                #expect(record.id == row.text(0))
                #expect(record.code == row.text(1))
                #expect(record.name == "资产" + record.code.dropFirst(2))
                #expect(record == (try Asset(recordJSON: row.text(3))))
                rows += 1
            }
        #expect(rows == 1_200)
        #expect(try store.verifyAuditChain().intact)
    }

    @Test(arguments: Engine.allCases) func groupCommit_failingCallDoesNotAffectOthersInTheGroup(engine: Engine) throws {
        var configuration = try StorePlace(engine).configuration
        configuration.faultCommitDelayMillis = 100
        let store = try SQLiteLedgerStore(configuration: configuration)
        defer { store.close() }
        seedUnits(store)
        // Three mutations queued together land in one group; the middle one is invalid.
        let batchesBefore = store.statistics().commitBatches
        let results = submitTogether(store, ["G-1", "G-1", "G-3"].map { (.registerAssets([sampleAsset(code: $0)], batch: false), context()) })
        guard case .success = results[0], case .failure(let error) = results[1], case .success = results[2] else {
            Issue.record("unexpected replies \(results)"); return
        }
        #expect(error.code == .alreadyExists)
        #expect(store.statistics().commitBatches == batchesBefore + 1)
        #expect(store.statistics().recordCounts["asset"] == 2)
        #expect(try store.verifyAuditChain().intact)
    }

    /// A write the database itself refuses (a trigger put in behind the
    /// daemon's back) fails its call alone. On PostgreSQL the group is
    /// first sent whole, with no savepoints; the refusal makes the writer
    /// roll it back and write it again, each call in its own savepoint.
    @Test(arguments: Engine.allCases) func groupCommit_aWriteTheDatabaseRefuses_failsThatCallAlone(engine: Engine) throws {
        let (store, place) = try groupingStore(engine)
        defer { store.close() }
        let trigger = engine == .sqlite
            ? "CREATE TRIGGER refuse BEFORE INSERT ON assets WHEN NEW.code = 'G-2' BEGIN SELECT RAISE(ABORT, 'refused by a test'); END"
            : """
              CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN IF NEW.code = 'G-2' THEN RAISE EXCEPTION 'refused by a test'; END IF; RETURN NEW; END $$;
              CREATE TRIGGER refuse BEFORE INSERT ON assets FOR EACH ROW EXECUTE FUNCTION refuse()
              """
        #expect(try place.tamper(trigger) == 0)
        let batchesBefore = store.statistics().commitBatches
        let results = submitTogether(store, ["G-1", "G-2", "G-3"].map { (.registerAssets([sampleAsset(code: $0)], batch: false), context()) })
        guard case .success = results[0], case .failure(let error) = results[1], case .success = results[2] else {
            Issue.record("unexpected replies \(results)"); return
        }
        #expect(error.code == .internal)
        #expect(store.statistics().commitBatches == batchesBefore + 1)
        #expect(store.statistics().recordCounts["asset"] == 2)
        #expect(Set(try store.assets(filter: AssetFilter(), after: nil, limit: 10).records.map(\.code)) == ["G-1", "G-3"])
        #expect(try store.verifyAuditChain().intact)
    }

    /// On PostgreSQL a group's last writes and its COMMIT go in one round
    /// trip: a COMMIT the database refuses (a deferred constraint trigger)
    /// fails every call of the group as UNAVAILABLE, and nothing of it is kept.
    @Test func aCommitTheDatabaseRefuses_failsTheGroup_andKeepsNothing() throws {
        let (store, place) = try groupingStore(.postgresql)
        defer { store.close() }
        let before = store.statistics().recordCounts["asset"] ?? 0
        #expect(try place.tamper("""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.code = 'C-2' THEN RAISE EXCEPTION 'refused at commit by a test'; END IF; RETURN NEW; END $$;
            CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON assets DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()
            """) == 0)
        let results = submitTogether(store, ["C-1", "C-2"].map { (.registerAssets([sampleAsset(code: $0)], batch: false), context()) })
        for index in 0..<2 {
            guard case .failure(let error) = results[index] else { Issue.record("call \(index) should fail: \(String(describing: results[index]))"); continue }
            #expect(error.code == .unavailable)
        }
        #expect((store.statistics().recordCounts["asset"] ?? 0) == before)
        #expect(try place.tamper("DROP TRIGGER refuse ON assets") == 0)
        #expect(try submit(store, .registerAssets([sampleAsset(code: "C-3")], batch: false)).get().assetIds.hasPrefix("ZC"))
        #expect(try store.verifyAuditChain().intact)
    }

    @Test(arguments: Engine.allCases) func idempotencyKey_replaysTheFirstResponseAndRefusesADifferentRequest(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        let first = submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "k1", digest: "same"))
        let retry = submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "k1", digest: "same"))
        #expect(try first.get().assetIds == "ZC00000001")
        #expect(try retry.get().assetIds == "ZC00000001")
        guard case .replayed = try retry.get() else { Issue.record("the retry should be a replay"); return }
        #expect(store.statistics().recordCounts["asset"] == 1)
        let other = submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "k1", digest: "different"))
        guard case .failure(let error) = other else { Issue.record("expected a refusal"); return }
        #expect(error.code == .failedPrecondition)
    }

    @Test(arguments: Engine.allCases) func idempotencyKey_isRememberedAcrossReopen(engine: Engine) throws {
        let place = try StorePlace(engine)
        let first: String
        do {
            let store = try SQLiteLedgerStore(configuration: place.configuration)
            seedUnits(store)
            first = try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "k2")).get().assetIds
            store.close()
        }
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "k2")).get().assetIds == first)
        #expect(store.statistics().recordCounts["asset"] == 1)
    }

    @Test(arguments: Engine.allCases) func idempotencyKey_usedTwiceInOneGroup_isAppliedOnce(engine: Engine) throws {
        var configuration = try StorePlace(engine).configuration
        configuration.faultCommitDelayMillis = 100
        let store = try SQLiteLedgerStore(configuration: configuration)
        defer { store.close() }
        seedUnits(store)
        // Queued together, the two land in one group: the second finds the
        // first's answer in the group's own transaction.
        let batchesBefore = store.statistics().commitBatches
        let results = submitTogether(store, Array(repeating: (.registerAssets([sampleAsset()], batch: false), context(key: "same-group")), count: 2),
                                     encode: { _ in Array("first answer".utf8) })
        guard case .success(.applied) = results[0], case .success(.replayed(let bytes)) = results[1] else {
            Issue.record("expected an application then a replay, got \(results)"); return
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "first answer")
        #expect(store.statistics().commitBatches == batchesBefore + 1)
        #expect(store.statistics().recordCounts["asset"] == 1)
    }

    /// Several keyed calls in one group (on PostgreSQL their keys are read
    /// in two queries for the whole group): a retry replays its first
    /// answer, a key used again for another request is refused, a retry
    /// whose stored answer was deleted is found in the journal, and a new
    /// key used twice is applied once.
    @Test(arguments: Engine.allCases) func idempotencyKeys_ofOneGroup_areAnsweredEachAsAlone(engine: Engine) throws {
        let (store, place) = try groupingStore(engine)
        defer { store.close() }
        let first = try submit(store, .registerAssets([sampleAsset(code: "I-1")], batch: false), context(key: "k-1", digest: "d1")).get()
        _ = try submit(store, .registerAssets([sampleAsset(code: "I-2")], batch: false), context(key: "k-2", digest: "d2")).get()
        let third = try submit(store, .registerAssets([sampleAsset(code: "I-3")], batch: false), context(key: "k-3", digest: "d3")).get()
        #expect(try place.tamper("DELETE FROM idempotency WHERE key LIKE '%k-3'") == 0)
        let batchesBefore = store.statistics().commitBatches
        let results = submitTogether(store, [
            (.registerAssets([sampleAsset(code: "I-1")], batch: false), context(key: "k-1", digest: "d1")),
            (.registerAssets([sampleAsset(code: "I-9")], batch: false), context(key: "k-2", digest: "other")),
            (.registerAssets([sampleAsset(code: "I-3")], batch: false), context(key: "k-3", digest: "d3")),
            (.registerAssets([sampleAsset(code: "I-4")], batch: false), context(key: "k-4", digest: "d4")),
            (.registerAssets([sampleAsset(code: "I-4")], batch: false), context(key: "k-4", digest: "d4")),
        ], encode: { outcome in
            if case .assets(let assets) = outcome { return Array(assets.map(\.id).joined(separator: ",").utf8) }
            return []
        })
        #expect(store.statistics().commitBatches == batchesBefore + 1)
        guard case .success(.replayed) = results[0], case .failure(let reused) = results[1], case .success(.replayed) = results[2],
              case .success(.applied) = results[3], case .success(.replayed) = results[4] else {
            Issue.record("unexpected replies \(results)"); return
        }
        #expect(try results[0]?.get().assetIds == first.assetIds)
        #expect(reused.code == .failedPrecondition)
        #expect(try results[2]?.get().assetIds == third.assetIds)
        #expect(try results[4]?.get().assetIds == results[3]?.get().assetIds)
        #expect(store.statistics().recordCounts["asset"] == 4)
        #expect(try store.verifyAuditChain().intact)
    }

    /// On PostgreSQL a read that fails ends the transaction: a group whose
    /// keys cannot be read (the answers' table renamed behind the daemon's
    /// back) fails every call in it as UNAVAILABLE and changes nothing; the
    /// table back, the same calls apply.
    @Test func aGroupWhoseKeysCannotBeRead_failsWhole_andChangesNothing() throws {
        let (store, place) = try groupingStore(.postgresql)
        defer { store.close() }
        let before = store.statistics()
        #expect(try place.tamper("ALTER TABLE idempotency RENAME TO idempotency_away") == 0)
        let calls: [(Mutation, CallerContext)] = [
            (.registerAssets([sampleAsset(code: "U-1")], batch: false), context(key: "u-1", digest: "d1")),
            (.registerAssets([sampleAsset(code: "U-2")], batch: false), context(key: "u-2", digest: "d2")),
            (.registerAssets([sampleAsset(code: "U-3")], batch: false), context()),
        ]
        let refused = submitTogether(store, calls)
        for index in calls.indices {
            guard case .failure(let error) = refused[index] else { Issue.record("call \(index) should fail: \(String(describing: refused[index]))"); continue }
            #expect(error.code == .unavailable)
        }
        #expect(store.statistics().auditHeadSeq == before.auditHeadSeq)
        #expect(try place.tamper("ALTER TABLE idempotency_away RENAME TO idempotency") == 0)
        let applied = submitTogether(store, calls)
        #expect(calls.indices.allSatisfy { if case .success(.applied) = applied[$0] { true } else { false } })
        #expect(store.statistics().recordCounts["asset"] == (before.recordCounts["asset"] ?? 0) + 3)
        #expect(try store.verifyAuditChain().intact)
    }

    @Test func idempotencyAnswers_expireAndArePrunedFromTheFile() throws {
        let directory = temporaryDirectory()
        let clock = TestClock()
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory, idempotencyRetentionMillis: 3_600_000), clock: clock)
        defer { store.close() }
        seedUnits(store)
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "old")).get().assetIds == "ZC00000001")
        clock.millis.withLock { $0 += 30 * 60_000 }
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "old")).get().assetIds == "ZC00000001")
        let kept = { () throws -> [String] in
            let db = try SQLiteConnection(path: directory + "/taizhang.db", readOnly: true)
            var keys: [String] = []
            try db.prepare("SELECT key FROM idempotency ORDER BY key").query([]) { keys.append($0.text(0)) }
            return keys
        }
        #expect(try kept() == ["uid:0\nold"])
        // Past the retention, the key names a new call; the writer's hourly
        // prune (in the same group's finish) drops the expired answer.
        clock.millis.withLock { $0 += 2 * 3_600_000 }
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "new")).get().assetIds == "ZC00000002")
        #expect(try kept() == ["uid:0\nnew"])
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "old")).get().assetIds == "ZC00000003")
        #expect(store.statistics().recordCounts["asset"] == 3)
    }

    /// SQLite only: a PostgreSQL server's disk is its operator's to bound.
    @Test func fullDatabase_refusesChangesAndLosesNothingAcknowledged() throws {
        let place = try StorePlace(.sqlite)
        var configuration = place.configuration
        configuration.databaseMaxBytes = 256 * 1024
        var acknowledged: [String] = []
        var refusal: LedgerError?
        do {
            let store = try SQLiteLedgerStore(configuration: configuration)
            seedUnits(store)
            for index in 0..<2_000 where refusal == nil {
                var asset = sampleAsset(code: "FULL-\(index)")
                asset.note = String(repeating: "管护记录", count: 60)
                switch submit(store, .registerAssets([asset], batch: false)) {
                case .success(let success): acknowledged.append(success.assetIds)
                case .failure(let error): refusal = error
                }
            }
            #expect(refusal?.code == .resourceExhausted)
            #expect(refusal?.message.contains("full") == true)
            #expect(store.statistics().recordCounts["asset"] == UInt64(acknowledged.count))
            #expect(try store.verifyAuditChain().intact)
            store.close()
        }
        #expect(acknowledged.count > 10)
        let reopened = try SQLiteLedgerStore(configuration: configuration)
        defer { reopened.close() }
        #expect(reopened.statistics().recordCounts["asset"] == UInt64(acknowledged.count))
        for id in acknowledged { #expect(reopened.asset(id: id) != nil) }
        #expect(try reopened.verifyAuditChain().intact)
    }

    /// SQLite only, as `fullDatabase_…`.
    @Test func abandonedGroup_stillAnswersReplaysOfEarlierCommits() throws {
        var configuration = try StorePlace(.sqlite).configuration
        configuration.databaseMaxBytes = 256 * 1024
        configuration.faultCommitDelayMillis = 50
        let store = try SQLiteLedgerStore(configuration: configuration)
        defer { store.close() }
        seedUnits(store)
        let first = try submit(store, .registerAssets([sampleAsset()], batch: false), context(key: "k-early", digest: "d1")).get()
        var big = sampleAsset()
        big.note = String(repeating: "管护记录", count: 120)
        while case .success = submit(store, .registerAssets([big], batch: false)) {}
        // One group: the replay, then a registration that finds the disk full.
        let answered = submitTogether(store, [
            (.registerAssets([sampleAsset()], batch: false), context(key: "k-early", digest: "d1")),
            (.registerAssets([big], batch: false), context()),
        ])
        guard case .success(.replayed) = answered[0] else { Issue.record("the replay should stand: \(String(describing: answered[0]))"); return }
        #expect(try answered[0]?.get().assetIds == first.assetIds)
        guard case .failure(let full) = answered[1] else { Issue.record("the new registration should fail"); return }
        #expect(full.code == .resourceExhausted)
    }

    @Test(arguments: Engine.allCases) func textWithNULCharacters_survivesTheDisk(engine: Engine) throws {
        let place = try StorePlace(engine)
        do {
            let store = try SQLiteLedgerStore(configuration: place.configuration)
            seedUnits(store)
            var asset = sampleAsset()
            asset.note = "before\u{0}after"
            _ = try submit(store, .registerAssets([asset], batch: false)).get()
            store.close()
        }
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        #expect(store.asset(id: "ZC00000001")?.note == "before\u{0}after")
        #expect(try store.verifyAuditChain().intact)
    }

    @Test(arguments: Engine.allCases) func idempotencyKeys_areScopedToTheCallersIdentity(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        // Keys belong to the identity's name (idempotencyOwner), not its credential.
        var alice = context(key: "shared", digest: "same")
        alice.identity = "alice (uid:1001)"
        alice.idempotencyOwner = "alice"
        var bob = context(key: "shared", digest: "same")
        bob.identity = "bob (uid:1002)"
        bob.idempotencyOwner = "bob"
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), alice).get().assetIds == "ZC00000001")
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), bob).get().assetIds == "ZC00000002")
        #expect(store.statistics().recordCounts["asset"] == 2)
        // Alice with another credential: the first answer.
        var rotated = alice
        rotated.identity = "alice (token:tk_0123456789ab)"
        #expect(try submit(store, .registerAssets([sampleAsset()], batch: false), rotated).get().assetIds == "ZC00000001")
        #expect(store.statistics().recordCounts["asset"] == 2)
    }

    @Test(arguments: Engine.allCases) func codesSwappedWithinOneGroup_keepTheIndexRight(engine: Engine) throws {
        var configuration = try StorePlace(engine).configuration
        configuration.faultCommitDelayMillis = 100
        let store = try SQLiteLedgerStore(configuration: configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset(code: "X"), sampleAsset(code: "Z")], batch: true))
        var a = try #require(store.asset(id: "ZC00000001"))
        var b = try #require(store.asset(id: "ZC00000002"))
        a.code = "Y"
        b.code = "X"
        let done = DispatchSemaphore(value: 0)
        let results = Mutex<[MutationReply]>([])
        for mutation in [Mutation.updateAsset(a, expectedVersion: 0), .updateAsset(b, expectedVersion: 0)] {
            _ = store.submit(mutation, context: context(), encode: { _ in [] }) { reply in
                results.withLock { $0.append(reply) }
                done.signal()
            }
        }
        done.wait()
        done.wait()
        #expect(results.withLock { $0.allSatisfy { (try? $0.get()) != nil } })
        guard case .failure(let taken) = submit(store, .registerAssets([sampleAsset(code: "X")], batch: false)) else {
            Issue.record("code X belongs to ZC00000002 now"); return
        }
        #expect(taken.code == .alreadyExists)
        #expect((try? submit(store, .registerAssets([sampleAsset(code: "Z")], batch: false)).get()) != nil)
    }

    @Test(arguments: Engine.allCases) func update_withStaleExpectedVersionIsAborted(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        var changed = try #require(store.asset(id: "ZC00000001"))
        changed.note = "已移交"
        #expect((try? submit(store, .updateAsset(changed, expectedVersion: 1)).get()) != nil)
        #expect(store.asset(id: "ZC00000001")?.version == 2)
        guard case .failure(let error) = submit(store, .updateAsset(changed, expectedVersion: 1)) else {
            Issue.record("expected ABORTED"); return
        }
        #expect(error.code == .aborted)
        #expect(store.asset(id: "ZC00000001")?.note == "已移交")
        let entries = try store.auditEntries(recordId: "ZC00000001", afterSeq: 0, limit: 10)
        #expect(entries.count == 2)
        #expect(entries[1].beforeJSON.contains("\"version\":1"))
        #expect(entries[1].afterJSON.contains("已移交"))
    }

    @Test(arguments: Engine.allCases) func batch_isAllOrNothingWithEveryBadItemIndexed(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        var bad = sampleAsset()
        bad.adminCode = "421024999999"
        let result = submit(store, .registerAssets([sampleAsset(), bad, sampleAsset(code: "X"), sampleAsset(code: "X")], batch: true))
        guard case .failure(let error) = result else { Issue.record("expected a refusal"); return }
        #expect(error.code == .invalidArgument)
        #expect(error.violations.map(\.field) == ["assets[1].admin_code", "assets[3].code"])
        #expect(store.statistics().recordCounts["asset"] == 0)
    }

    @Test(arguments: Engine.allCases) func auditChain_detectsAnUpdateMadeBehindTheDaemon(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        #expect(try store.verifyAuditChain().intact)
        #expect(try place.tamper("UPDATE audit_journal SET actor = '某人' WHERE seq = 3") == 0)
        let result = try store.verifyAuditChain()
        #expect(!result.intact)
        #expect(result.firstBrokenSeq == 3)
    }

    @Test(arguments: Engine.allCases) func auditChain_detectsADeleteMadeBehindTheDaemon(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        #expect(try place.tamper("DELETE FROM audit_journal WHERE seq = 2") == 0)
        let middle = try store.verifyAuditChain()
        #expect(!middle.intact)
        #expect(middle.firstBrokenSeq == 2)
    }

    @Test(arguments: Engine.allCases) func auditChain_detectsEntriesDeletedFromTheEnd(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        #expect(try place.tamper("DELETE FROM audit_journal WHERE seq = 5") == 0)
        let tail = try store.verifyAuditChain()
        #expect(!tail.intact)
        #expect(tail.firstBrokenSeq == 5)
    }

    /// A row of the ledger edited behind the daemon's back (the journal
    /// untouched) is named by the check, on either engine.
    @Test(arguments: Engine.allCases) func aRowEditedBehindTheDaemon_isNamedByTheLedgerCheck(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        #expect(try store.verifyAuditChain().intact)
        #expect(try place.tamper("UPDATE assets SET original_value_fen = original_value_fen + 1 WHERE id = 'ZC00000001'") == 0)
        let result = try store.verifyAuditChain()
        #expect(result.chainIntact)
        #expect(!result.intact)
        #expect(result.mismatches.contains { $0.table == "assets" && $0.id == "ZC00000001" }, "\(result.mismatches)")
    }

    /// A table added behind the daemon is named; a view (an operator's
    /// monitoring, such as pg_stat_statements' views) holds no ledger rows and is not.
    @Test(arguments: Engine.allCases) func aTableAddedIsNamed_aViewIsNot(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        seedUnits(store)
        #expect(try place.tamper("CREATE VIEW side_view AS SELECT 1 AS one") == 0)
        #expect(try store.verifyAuditChain().intact, "a view is not a table of the ledger")
        #expect(try place.tamper("CREATE TABLE side_ledger(id TEXT)") == 0)
        let result = try store.verifyAuditChain()
        #expect(result.mismatches.map(\.table) == ["side_ledger"], "\(result.mismatches)")
    }

    @Test(arguments: Engine.allCases) func references_areCheckedAtCommitTime(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        var asset = sampleAsset()
        asset.projectId = "NOPE"
        guard case .failure(let error) = submit(store, .registerAssets([asset], batch: false)) else {
            Issue.record("expected a refusal"); return
        }
        #expect(Set(error.violations.map(\.field)) == ["asset.admin_code", "asset.owners[0].admin_code", "asset.project_id"])
    }

    @Test(arguments: Engine.allCases) func listing_filtersBySubtreeAndPages(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets((0..<25).map { sampleAsset(code: "L\($0)") }, batch: true))
        var seen: [String] = []
        var after: String?
        repeat {
            let page = try store.assets(filter: AssetFilter(adminCode: "421024101000"), after: after, limit: 10)
            #expect(page.total == 25)
            seen += page.records.map(\.id)
            after = page.nextAfter
        } while after != nil
        #expect(seen.count == 25)
        #expect(Set(seen).count == 25)
        #expect(try store.assets(filter: AssetFilter(adminCode: "421024101000", year: 2020), after: nil, limit: 10).total == 0)
    }

    /// An asset moved to another township leaves the first one's listing
    /// and joins the other's (the writer re-lists it under its new units),
    /// and the ledger check still finds every row as the journal says.
    @Test(arguments: Engine.allCases) func anAssetMoved_isListedUnderItsNewUnitsOnly(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        for unit in [AdminUnit(code: "421024102000", name: "普济镇", level: .township, parentCode: "421024000000"),
                     AdminUnit(code: "421024102201", name: "新河村", level: .village, parentCode: "421024102000")] {
            _ = submit(store, .createAdminUnit(unit), context("/taizhang.ledger.v1.Ledger/CreateAdminUnit"))
        }
        _ = submit(store, .registerAssets((0..<3).map { sampleAsset(code: "M\($0)") }, batch: true))
        let ids = { (code: String) in try store.assets(filter: AssetFilter(adminCode: code), after: nil, limit: 10).records.map(\.id) }
        #expect(try ids("421024101000") == ["ZC00000001", "ZC00000002", "ZC00000003"])
        #expect(try ids("421024102000").isEmpty)
        var moved = try #require(store.asset(id: "ZC00000002"))
        moved.adminCode = "421024102201"
        guard case .success = submit(store, .updateAsset(moved, expectedVersion: moved.version), context("/taizhang.ledger.v1.Ledger/UpdateAsset")) else {
            Issue.record("the move was refused"); return
        }
        #expect(try ids("421024101000") == ["ZC00000001", "ZC00000003"])
        #expect(try ids("421024102000") == ["ZC00000002"])
        #expect(try ids("421024102201") == ["ZC00000002"])
        #expect(try ids("421024000000") == ["ZC00000001", "ZC00000002", "ZC00000003"])
        // The totals (from unit_counts) follow the move.
        let total = { (code: String) in try store.assets(filter: AssetFilter(adminCode: code), after: nil, limit: 1).total }
        #expect(try total("421024101000") == 2 && total("421024102000") == 1 && total("421024102201") == 1 && total("421024000000") == 3)
        #expect(try store.assets(filter: AssetFilter(), after: nil, limit: 1).total == 3)
        #expect(try store.assets(filter: AssetFilter(adminCode: "421024102000", stage: .registered), after: nil, limit: 1).total == 1)
        let verification = try store.verifyAuditChain()
        #expect(verification.intact, "\(verification.mismatches)")
    }

    @Test(arguments: Engine.allCases) func assetsStayInTheFile_andEveryReadSeesEveryCommit(engine: Engine) throws {
        let place = try StorePlace(engine)
        var configuration = place.configuration
        configuration.cacheBytes = 0
        do {
            let store = try SQLiteLedgerStore(configuration: configuration)
            defer { store.close() }
            seedUnits(store)
            _ = submit(store, .registerAssets((0..<3).map { sampleAsset(code: "F\($0)") }, batch: true))
            var asset = try #require(store.asset(id: "ZC00000002"))
            asset.code = "F9"
            asset.name = "改名的光伏电站"
            guard case .success = submit(store, .updateAsset(asset, expectedVersion: asset.version), context("/taizhang.ledger.v1.Ledger/UpdateAsset")) else {
                Issue.record("the update was refused"); return
            }
            // With no cache every read goes to the file, and finds the commit.
            #expect(store.asset(id: "ZC00000002")?.name == "改名的光伏电站")
            #expect(store.cachedAsset(id: "ZC00000002") == nil)
            #expect(store.assetId(code: "F9") == "ZC00000002")
            #expect(store.assetId(code: "F1") == nil)
            #expect(store.assetCache.usage.records == 0)
            // The freed number is free again; the new one is taken.
            guard case .failure(let error) = submit(store, .registerAssets([sampleAsset(code: "F9")], batch: false)) else {
                Issue.record("a second F9 was registered"); return
            }
            #expect(error.code == .alreadyExists || error.code == .failedPrecondition, "\(error)")
        }
        // Reopened, nothing is read but the count and the last number.
        configuration.cacheBytes = 1 << 20
        let store = try SQLiteLedgerStore(configuration: configuration)
        defer { store.close() }
        #expect(store.assetCache.usage.records == 0)
        #expect(store.statistics().recordCounts["asset"] == 3)
        guard case .success(let success) = submit(store, .registerAssets([sampleAsset(code: "F1")], batch: false)) else {
            Issue.record("F1, freed before the restart, was refused"); return
        }
        #expect(success.assetIds == "ZC00000004")
        #expect(store.statistics().recordCounts["asset"] == 4)
        // Read once, an asset is then answered from memory.
        #expect(store.cachedAsset(id: "ZC00000001") == nil)
        #expect(store.asset(id: "ZC00000001")?.code == "F0")
        #expect(store.cachedAsset(id: "ZC00000001")?.code == "F0")
        // What the writer committed is in memory at once.
        #expect(store.cachedAsset(id: "ZC00000004")?.code == "F1")
        #expect(store.asset(id: "ZC00000099") == nil)
    }

    @Test(arguments: Engine.allCases) func anOwnerInAUnitTheLedgerDoesNotHold_isRefused_andTheTotalsStayRight(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        var asset = sampleAsset(code: "O1")
        asset.owners = [Owner(name: "未建村股份经济合作社", kind: .villageCollective, adminCode: "421024101299", shareBasisPoints: 10_000)]
        guard case .failure(let error) = submit(store, .registerAssets([asset], batch: false)) else {
            Issue.record("an owner in an unknown unit was registered"); return
        }
        #expect(error.code == .invalidArgument && error.violations.contains { $0.field == "asset.owners[0].admin_code" }, "\(error)")
        guard case .success = submit(store, .registerAssets([sampleAsset(code: "O2")], batch: false)) else {
            Issue.record("registration failed"); return
        }
        // The township's ledger holds the village's asset; the whole ledger's too.
        let asOf = CivilDate("2026-12-31")!
        let township = try store.assetSummary(ledgerCode: "421024101000", year: nil, asOf: asOf)
        let whole = try store.assetSummary(ledgerCode: nil, year: nil, asOf: asOf)
        #expect(township.total.count == 1 && whole == township)
        #expect(township.total.originalValueFen == 100_000)
        #expect(try store.assetSummary(ledgerCode: "421024000000", year: 2018, asOf: asOf).total.count == 0)
        let verification = try store.verifyAuditChain()
        #expect(verification.intact, "\(verification.mismatches)")
    }
}
