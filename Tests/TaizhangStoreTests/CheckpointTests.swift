// The write-ahead log's checkpoints, run off the writer's thread: the log
// stays bounded while a writer never pauses, what it copies is the ledger
// (checked by the ledger check after a reopen), and an import's large group
// leaves the cache to the records being read. And the risk monitor's read
// of a few assets by key.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(2)))
struct CheckpointTests {
    static func fileBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// Batches one after another, with no pause between them for a
    /// checkpoint to catch up: the log is copied into the file as it
    /// grows, restarts, and stays under its bound plus one commit's pages.
    @Test func aWriterThatNeverPauses_keepsTheLogBounded() throws {
        let directory = temporaryDirectory()
        var configuration = SQLiteStoreConfiguration(dataDirectory: directory)
        configuration.checkpointFrames = 64
        configuration.checkpointWaitFrames = 256
        let store = try SQLiteLedgerStore(configuration: configuration)
        seedUnits(store)
        let wal = directory + "/taizhang.db-wal"
        var largestLog = 0
        var number = 0
        for _ in 1...40 {
            let assets = (1...150).map { _ in
                number += 1
                var asset = sampleAsset(code: "W-\(number)")
                asset.note = String(repeating: "台账", count: 200)
                return asset
            }
            guard case .success = submit(store, .registerAssets(assets, batch: true)) else {
                Issue.record("batch failed"); store.close(); return
            }
            largestLog = max(largestLog, Self.fileBytes(wal))
        }
        let counts = store.checkpointer.counts
        // About 40 MB of pages went through the log (the journal's entries, the rows, the indexes).
        #expect(Self.fileBytes(directory + "/taizhang.db") > 8 << 20, "the checkpoints copied little into the file")
        #expect(counts.passes >= 10, "\(counts)")
        #expect(counts.writerWaits >= 1, "the log never reached its bound: \(counts), largest \(largestLog) bytes")
        // A commit of 150 of these assets writes under 1,000 pages.
        #expect(largestLog < (256 + 1_000) * 4_096, "the log grew to \(largestLog) bytes")
        store.close()
        let reopened = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
        defer { reopened.close() }
        #expect(reopened.statistics().recordCounts["asset"] == 6_000)
        #expect(try reopened.verifyAuditChain().intact)
    }

    /// A group of more than `groupPutMax` records (an import's) is not put
    /// in the cache; a small group is, as before.
    @Test func anImportsGroup_isNotPutInTheCache() throws {
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: temporaryDirectory()))
        defer { store.close() }
        seedUnits(store)
        let small = (1...10).map { sampleAsset(code: "S-\($0)") }
        guard case .success = submit(store, .registerAssets(small, batch: true)) else { Issue.record("small batch failed"); return }
        #expect(store.assetCache.usage.records == 10)
        let large = (1...(AssetCache.groupPutMax + 1)).map { sampleAsset(code: "L-\($0)") }
        guard case .success = submit(store, .registerAssets(large, batch: true)) else { Issue.record("large batch failed"); return }
        #expect(store.assetCache.usage.records == 10)
        // Its records still read, from the file.
        #expect(store.asset(id: AssetIdentifiers.make(11))?.code == "L-1")
    }

    @Test func forgetting_dropsARecordAndRefusesAnOfferReadBefore() {
        let cache = AssetCache(limitBytes: 1 << 20)
        var asset = sampleAsset(code: "F-1")
        asset.id = AssetIdentifiers.make(1)
        asset.version = 1
        cache.put(asset, cost: 1_000)
        let stamp = cache.stamp(asset.id)
        cache.forget([asset.id])
        #expect(cache.get(asset.id) == nil)
        #expect(cache.usage.bytes == 0)
        // Version 1, read before the group that forgot it was committed, does not settle.
        cache.offer(asset, cost: 1_000, stamp: stamp)
        #expect(cache.get(asset.id) == nil)
        // Read after, it is kept.
        cache.offer(asset, cost: 1_000, stamp: cache.stamp(asset.id))
        #expect(cache.get(asset.id)?.version == 1)
    }

    /// Facts by key: in the order asked, an unknown id skipped, a record
    /// only for those wanted.
    @Test func assetsByKey_giveFactsInOrderAndTheRecordsWanted() throws {
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: temporaryDirectory()))
        defer { store.close() }
        seedUnits(store)
        var idle = sampleAsset(code: "K-2")
        idle.usageStatus = .idle
        guard case .success = submit(store, .registerAssets([sampleAsset(code: "K-1"), idle, sampleAsset(code: "K-3")], batch: true)) else {
            Issue.record("batch failed"); return
        }
        var seen: [(String, String?)] = []
        try store.scanAssets(ids: ["ZC00000003", "ZC00000404", "ZC00000001", "ZC00000002"], wanted: { $0.usageStatus == .idle }) { facts, record in
            seen.append((facts.id, record?.code))
        }
        #expect(seen.map(\.0) == ["ZC00000003", "ZC00000001", "ZC00000002"])
        #expect(seen.map(\.1) == [nil, nil, "K-2"])
    }
}
