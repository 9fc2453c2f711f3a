// An import's large group leaves the cache to the records being read, and
// the risk monitor reads a few assets by key, decoding only the records its
// rules read.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ImportCacheTests {
    /// A group of more than `groupPutMax` records (an import's) is not put
    /// in the cache; a small group is, as before.
    @Test(arguments: Engine.allCases) func anImportsGroup_isNotPutInTheCache(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
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
    /// only for those wanted; from the cache (the writer put them there)
    /// or, with no cache, from the rows.
    @Test(arguments: Engine.allCases, [64 << 20, 0]) func assetsByKey_giveFactsInOrderAndTheRecordsWanted(engine: Engine, cacheBytes: Int) throws {
        var configuration = try StorePlace(engine).configuration
        configuration.cacheBytes = cacheBytes
        let store = try SQLiteLedgerStore(configuration: configuration)
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
        #expect((store.cachedAsset(id: "ZC00000001") != nil) == (cacheBytes > 0))
    }
}
