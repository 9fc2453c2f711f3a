// The bounded cache of decoded assets: it stays under its bound however many
// records pass through it, keeps what is read often, and never lets a
// record read before a commit settle over the committed one.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite struct AssetCacheTests {
    static func asset(_ number: Int, version: Int64 = 1) -> Asset {
        var asset = sampleAsset(code: "C\(number)")
        asset.id = AssetIdentifiers.make(number)
        asset.version = version
        return asset
    }

    @Test func manyRecordsPassingThrough_keepTheCacheUnderItsBound() {
        let cache = AssetCache(limitBytes: 1 << 20)
        for number in 1...20_000 {
            let asset = Self.asset(number)
            cache.offer(asset, cost: 4_000, stamp: cache.stamp(asset.id))
        }
        let usage = cache.usage
        #expect(usage.bytes <= 1 << 20)
        // Each shard is full to within one record.
        #expect(usage.bytes > (1 << 20) - AssetCache.shardCount * 4_000, "\(usage)")
        #expect(usage.records == usage.bytes / 4_000)
    }

    @Test func aRecordReadOften_outlivesARecordReadOnce() {
        let cache = AssetCache(limitBytes: 64 * 4_000 * AssetCache.shardCount)
        let hot = Self.asset(1)
        cache.put(hot, cost: 4_000)
        for number in 2...5_000 {
            #expect(cache.get(hot.id) != nil, "the hot record was evicted after \(number - 2) others")
            let cold = Self.asset(number)
            cache.offer(cold, cost: 4_000, stamp: cache.stamp(cold.id))
        }
    }

    /// An import puts thousands of records in a row; the risk monitor then
    /// reads the ones just written: they must still be there.
    @Test func aStreamOfWrites_keepsTheRecordsJustWritten() {
        let cache = AssetCache(limitBytes: 64 * 4_000 * AssetCache.shardCount)
        for number in 1...5_000 { cache.put(Self.asset(number), cost: 4_000) }
        let recent = (4_745...5_000).filter { cache.peek(AssetIdentifiers.make($0)) != nil }
        #expect(recent.count == 256, "of the last 256 records written, \(recent.count) are cached")
        #expect(cache.usage.bytes <= 64 * 4_000 * AssetCache.shardCount)
    }

    @Test func aReadBeganBeforeACommit_doesNotSettleOverIt() {
        let cache = AssetCache(limitBytes: 4_000 * AssetCache.shardCount)
        let old = Self.asset(7, version: 1)
        // A reader notes the shard, then reads version 1 from the file…
        let stamp = cache.stamp(old.id)
        // …while the writer commits version 2, which is then evicted (a
        // record larger than its shard's bound goes at once).
        cache.put(Self.asset(7, version: 2), cost: 8_000)
        #expect(cache.get(old.id) == nil)
        cache.offer(old, cost: 1_000, stamp: stamp)
        #expect(cache.get(old.id) == nil, "version 1, read before version 2 was committed, settled in the cache")
        // Read after the commit, it is kept.
        let fresh = Self.asset(7, version: 2)
        cache.offer(fresh, cost: 1_000, stamp: cache.stamp(fresh.id))
        #expect(cache.get(old.id)?.version == 2)
        // An older version never replaces a newer one held.
        cache.offer(old, cost: 1_000, stamp: cache.stamp(old.id))
        #expect(cache.get(old.id)?.version == 2)
    }

    /// The project cache holds no more than its bound: a project put when
    /// it is full replaces another, and is itself held.
    @Test func theProjectCache_staysAtItsBound() {
        let cache = ProjectCache(capacity: 3)
        for number in 1...10 {
            cache.put(Project(id: "P\(number)", name: "项目", year: 2020, implementingUnit: "县发改局", adminCode: "421024101000", funding: []))
            #expect(cache.count == min(number, 3))
            #expect(cache.get("P\(number)")?.id == "P\(number)")
        }
        cache.put(Project(id: "P10", name: "again", year: 2020, implementingUnit: "县发改局", adminCode: "421024101000", funding: []))
        #expect(cache.count == 3 && cache.get("P10")?.name == "again", "a project put again replaces itself, nothing else")
    }
}
