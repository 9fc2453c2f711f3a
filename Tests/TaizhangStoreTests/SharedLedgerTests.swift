// Several daemons on one ledger (issue 25): two stores on one PostgreSQL
// database, as two taizhangd would hold it, write at the same time. The
// journal stays one gap-free chain and one Merkle tree; ids, versions and
// idempotency keys hold across them; each takes in the other's commits
// (its caches too) once it hears of them.

import Foundation
import Synchronization
import Testing
import TaizhangCore
import TaizhangPostgres
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(3)))
struct SharedLedgerTests {
    /// Waits until `condition` holds, at most `seconds`: the other store
    /// takes in a commit when PostgreSQL delivers its notice.
    func eventually(_ seconds: Int = 10, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return condition()
    }

    @Test func twoStoresOnOneDatabase_writeOneJournal_andSeeEachOthersCommits() throws {
        let place = try StorePlace(.postgresql)
        let first = try SQLiteLedgerStore(configuration: place.configuration)
        defer { first.close() }
        let second = try SQLiteLedgerStore(configuration: place.configuration)
        defer { second.close() }
        #expect(first.ledgerId == second.ledgerId)
        seedUnits(first)
        // The second takes in the units and the project before its own registrations.
        let registered = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            let store = index % 2 == 0 ? first : second
            if case .success(let success) = submit(store, .registerAssets([sampleAsset(code: "S-\(index)")], batch: false)) {
                registered.withLock { $0.append(success.assetIds) }
            }
        }
        let ids = registered.withLock { $0 }
        #expect(ids.count == 40, "every registration on either store is acknowledged")
        #expect(Set(ids).count == 40, "no id is given twice: \(ids.sorted())")
        // Both see all of them, and one journal: 4 seed entries and 40 more.
        #expect(eventually { first.statistics().auditHeadSeq == 44 && second.statistics().auditHeadSeq == 44 })
        // What a take-in reads again (only the parts the new entries' kinds change) adds up alike on both.
        #expect(first.statistics().recordCounts == second.statistics().recordCounts, "\(second.statistics().recordCounts)")
        #expect(second.statistics().recordCounts["asset"] == 40 && second.statistics().recordCounts["admin_unit"] == 3)
        #expect(second.adminUnit(code: "421024101201")?.name == "白马村")
        for id in ids {
            #expect(first.asset(id: id) != nil)
            #expect(second.asset(id: id) != nil)
        }
        let check = try first.verifyAuditChain()
        #expect(check.intact, "\(check.problem) \(check.mismatches)")
        #expect(check.entriesChecked == 44)

        // An update on one is seen by the other, whose cache held the old version.
        let id = ids[0]
        let before = try #require(second.asset(id: id))
        var changed = before
        changed.name = "改名后的电站"
        guard case .success = submit(first, .updateAsset(changed, expectedVersion: before.version),
                                     context("/taizhang.ledger.v1.Ledger/UpdateAsset")) else {
            Issue.record("the update was refused"); return
        }
        #expect(eventually { second.asset(id: id)?.name == "改名后的电站" }, "the second store's cache let the old record go")
        // A stale version is refused on the other store too.
        let stale = submit(second, .updateAsset(changed, expectedVersion: before.version), context("/taizhang.ledger.v1.Ledger/UpdateAsset"))
        guard case .failure(let refusal) = stale else { Issue.record("a stale version was applied"); return }
        #expect(refusal.code == .aborted)
        // An idempotency key used on one store is answered from the first answer on the other.
        let keyed = try submit(first, .registerAssets([sampleAsset(code: "K-1")], batch: false), context(key: "k-shared", digest: "dk")).get()
        let retried = try submit(second, .registerAssets([sampleAsset(code: "K-1")], batch: false), context(key: "k-shared", digest: "dk")).get()
        #expect(retried.assetIds == keyed.assetIds)
        #expect(try second.verifyAuditChain().intact)
    }

    /// The alerts of a shared ledger: one store leads at a time (a session
    /// lock); the other refuses to change them, takes in what the leader
    /// stored, and leads once the leader's connection is gone.
    @Test func twoAlertStoresOnOneDatabase_oneLeads_theOtherTakesInAndTakesOver() throws {
        let place = try StorePlace(.postgresql)
        let conninfo = try #require(place.conninfo)
        var leader: AlertStore? = try AlertStore(shared: try PostgresConnection(conninfo: conninfo), daemonName: "one")
        let follower = try AlertStore(shared: try PostgresConnection(conninfo: conninfo), daemonName: "two")
        #expect(try leader!.lead(nowMillis: 1_795_276_800_000))
        #expect(try !follower.lead(nowMillis: 1_795_276_800_000))
        #expect(try leader!.lead(nowMillis: 1_795_276_800_000), "a leader stays one")
        let raised = try leader!.apply(AlertBook.changes(open: [:], now: [OperationsStoreTests.condition("ZT1", .yellow),
                                                                         OperationsStoreTests.condition("ZT2", .red)]), nowMillis: 1_795_276_800_000)
        #expect(raised.map(\.seq) == [1, 2])
        // The follower changes nothing, and takes in what the leader stored.
        #expect(throws: LedgerError.self) {
            try follower.apply(AlertBook.changes(open: [:], now: [OperationsStoreTests.condition("ZT3", .red)]), nowMillis: 1_795_276_800_000)
        }
        try follower.refresh()
        #expect(follower.leaderName == "one")
        #expect(follower.lastSeq == 2)
        #expect(follower.openAlerts().keys.sorted() == [AlertKind.entityTargets.key(of: "ZT1"), AlertKind.entityTargets.key(of: "ZT2")])
        let cleared = try leader!.apply(AlertBook.changes(open: leader!.openAlerts(), now: [OperationsStoreTests.condition("ZT1", .red)]),
                                        nowMillis: 1_795_276_900_000)
        #expect(cleared.map(\.type) == [.changed, .cleared])
        try follower.refresh()
        #expect(follower.lastSeq == 4)
        #expect(follower.openAlerts().keys.sorted() == [AlertKind.entityTargets.key(of: "ZT1")])
        #expect(follower.openCounts()[.red] == 1 && follower.openCounts()[.yellow] ?? 0 == 0)
        // The leader's connection closes (its daemon died): the follower leads, on top of the events stored.
        leader = nil
        // (The server lets the lock go once it has ended the closed session.)
        #expect(eventually { (try? follower.lead(nowMillis: 1_795_277_000_000)) == true })
        #expect(follower.leading && follower.leaderName == "two")
        let next = try follower.apply(AlertBook.changes(open: follower.openAlerts(), now: []), nowMillis: 1_795_277_000_000)
        #expect(next.map(\.seq) == [5])
        #expect(next.map(\.type) == [.cleared])
    }
}
