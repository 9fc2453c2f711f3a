// The assets read or written lately, kept decoded so a hot read does not
// touch the file. The cache is bounded by an estimate of the bytes its
// records hold (`cost`: a record's JSON length plus a fixed overhead), not by
// the ledger's size (a decoded record was measured at about twice its JSON);
// past the bound the least recently used records go first,
// in the CLOCK approximation (a record read since the hand last passed it is
// spared once). Shards keep a reader from waiting on another shard's lock.
//
// The writer puts every record it commits, after COMMIT and before anyone
// hears of the change, so a cached record is never older than the file (a
// group of more than `groupPutMax`, an import's, is dropped instead). A
// reader that missed reads the file and offers what it read; the offer is
// refused if the writer put anything in that shard since the reader looked
// (its read may have begun before that commit), so an old version cannot
// settle in the cache after a newer one was put and evicted.

import Synchronization
import TaizhangCore

/// A bounded cache of decoded assets.
final class AssetCache: Sendable {
    /// One shard: its records, the clock's ring of keys, and a count of the
    /// writer's puts.
    struct Shard {
        struct Entry {
            var asset: Asset
            var cost: Int
            var used: Bool
        }
        var entries: [String: Entry] = [:]
        var ring: [String] = []
        var hand = 0
        var bytes = 0
        var puts: UInt64 = 0

        mutating func insert(_ asset: Asset, cost: Int, limit: Int) {
            if let old = entries.updateValue(Entry(asset: asset, cost: cost, used: false), forKey: asset.id) {
                bytes -= old.cost
            } else {
                ring.append(asset.id)
            }
            bytes += cost
            while bytes > limit, !ring.isEmpty {
                if hand >= ring.count { hand = 0 }
                // The entry is read and marked in place (a copy of its
                // record, retained field by field, was most of an insert).
                let found = entries.index(forKey: ring[hand])
                if let found, entries.values[found].used {
                    entries.values[found].used = false
                    hand += 1
                } else {
                    if let found { bytes -= entries.remove(at: found).value.cost }
                    // The last key (the record just kept, when new) takes
                    // the slot and the hand moves past it: it goes a whole
                    // turn from now at the earliest. (Left under the hand,
                    // the record just kept would be the next to go, and a
                    // stream of writes would keep none of them.)
                    ring.swapAt(hand, ring.count - 1)
                    ring.removeLast()
                    hand += 1
                }
            }
        }
    }

    final class Box: Sendable {
        let shard = Mutex(Shard())
    }

    /// A reader's note of a shard's puts before it reads the file.
    struct Stamp: Sendable {
        let shard: Int
        let puts: UInt64
    }

    static let shardCount = 16
    /// Bytes a record costs beyond twice its JSON: the dictionary's entry
    /// and the ring's key.
    static let overhead = 256
    private let shards: [Box]
    /// The bound of each shard, in bytes.
    private let shardLimit: Int
    /// The bound, in bytes.
    let limit: Int

    init(limitBytes: Int) {
        limit = max(0, limitBytes)
        shardLimit = limit / AssetCache.shardCount
        shards = (0..<AssetCache.shardCount).map { _ in Box() }
    }

    private func index(_ id: String) -> Int {
        // FNV-1a over the id's bytes: ids are dense ("ZC00000001"), so the
        // last bytes carry most of the spread.
        var hash: UInt32 = 2_166_136_261
        for byte in id.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(AssetCache.shardCount))
    }

    /// The cached record, marked used.
    func get(_ id: String) -> Asset? {
        shards[index(id)].shard.withLock { shard in
            guard shard.entries[id] != nil else { return nil }
            shard.entries[id]!.used = true
            return shard.entries[id]!.asset
        }
    }

    /// The cached record, not marked (a scan's look).
    func peek(_ id: String) -> Asset? {
        shards[index(id)].shard.withLock { $0.entries[id]?.asset }
    }

    /// Notes the shard of `id` before a read of the file.
    func stamp(_ id: String) -> Stamp {
        let at = index(id)
        return Stamp(shard: at, puts: shards[at].shard.withLock { $0.puts })
    }

    /// Offers a record read from the file: kept unless the writer put
    /// something in its shard since `stamp`, or the cache holds a newer one.
    func offer(_ asset: Asset, cost: Int, stamp: Stamp) {
        guard shardLimit > 0 else { return }
        shards[stamp.shard].shard.withLock { shard in
            if let present = shard.entries[asset.id] {
                guard present.asset.version < asset.version else { return }
            } else {
                guard shard.puts == stamp.puts else { return }
            }
            shard.insert(asset, cost: cost, limit: shardLimit)
        }
    }

    /// Puts a record the writer committed (always: it is the newest).
    func put(_ asset: Asset, cost: Int) {
        shards[index(asset.id)].shard.withLock { shard in
            shard.puts &+= 1
            if shardLimit > 0 {
                shard.insert(asset, cost: cost, limit: shardLimit)
            } else if let gone = shard.entries.removeValue(forKey: asset.id) {
                shard.bytes -= gone.cost
            }
        }
    }

    /// Most records of one group the writer puts; a larger group (an
    /// import's) is forgotten instead (`forget`): its records are cold, and
    /// putting them would push out the ones being read (and cost the writer
    /// a lock and an insert each, about 4% of its time in a bulk load).
    static let groupPutMax = 512

    /// Drops the records of a group the writer committed without keeping
    /// them: any older version goes, and a reader's offer of one read before
    /// the commit is refused (the shard's puts move on, as for `put`).
    func forget<Ids: Sequence<String>>(_ ids: Ids) {
        var byShard = [[String]](repeating: [], count: AssetCache.shardCount)
        for id in ids { byShard[index(id)].append(id) }
        for (at, ids) in byShard.enumerated() where !ids.isEmpty {
            shards[at].shard.withLock { shard in
                shard.puts &+= 1
                for id in ids {
                    if let gone = shard.entries.removeValue(forKey: id) { shard.bytes -= gone.cost }
                }
            }
        }
    }

    /// Drops every record (as `forget` does each): after a take-in that
    /// read the whole ledger again.
    func forgetAll() {
        for box in shards {
            box.shard.withLock { shard in
                shard.puts &+= 1
                shard.entries.removeAll()
                shard.bytes = 0
            }
        }
    }

    /// Records and bytes held.
    var usage: (records: Int, bytes: Int) {
        shards.reduce(into: (0, 0)) { sum, box in
            box.shard.withLock { sum.0 += $0.entries.count; sum.1 += $0.bytes }
        }
    }

    /// What a record stored in `bodyBytes` costs.
    /// (Measured on 100,721 assets of 2–5 KB of JSON: resident memory grew
    /// by twice the JSON of the records cached; their stored bytes are
    /// about 0.42 of their JSON (526 against 1,263 bytes on average at
    /// 1,000,721 assets), so about five times the stored bytes.)
    static func cost(bodyBytes: Int) -> Int { 5 * bodyBytes + overhead }
}
