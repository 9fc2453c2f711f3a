// Serialized assets, kept by id and version, so a read sends bytes that were
// encoded once rather than rebuilding the message on every call. Bounded by
// the bytes it holds: when full it is emptied and refills from the reads
// that follow.

import Synchronization
import TaizhangCore
import TaizhangProto

/// A bounded cache of `taizhang.ledger.v1.Asset` encodings. An encoding
/// carries depreciation as of its month, so it is kept per version and month.
final class AssetWireCache: Sendable {
    private let entries = Mutex((held: [String: (version: Int64, month: Int, bytes: [UInt8])](), bytes: 0))
    /// Most bytes of encodings held.
    let capacityBytes: Int
    let context: LedgerContext

    init(context: LedgerContext, capacityBytes: Int = 16 << 20) {
        self.context = context
        self.capacityBytes = capacityBytes
    }

    /// Bytes a held encoding costs beyond its own: the key and the entry.
    static let overhead = 64

    /// The asset's serialized message.
    func bytes(for asset: Asset) -> [UInt8] {
        let today = context.today
        let month = today.year * 12 + today.month
        if let hit = entries.withLock({ $0.held[asset.id] }), hit.version == asset.version, hit.month == month {
            return hit.bytes
        }
        let bytes: [UInt8] = (try? Encode.asset(asset, context: context, asOf: today).serializedBytes()) ?? []
        let cost = bytes.count + AssetWireCache.overhead
        entries.withLock { entries in
            if let old = entries.held.removeValue(forKey: asset.id) {
                entries.bytes -= old.bytes.count + AssetWireCache.overhead
            }
            if entries.bytes + cost > capacityBytes {
                entries.held.removeAll(keepingCapacity: true)
                entries.bytes = 0
            }
            entries.held[asset.id] = (asset.version, month, bytes)
            entries.bytes += cost
        }
        return bytes
    }
}

/// Writes protobuf fields by hand, to splice cached messages into a response.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A length-delimited field (messages, strings, bytes).
    mutating func lengthDelimited(_ field: UInt64, _ value: [UInt8]) {
        varint(field << 3 | 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A varint field, omitted when zero (proto3).
    mutating func varintField(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        varint(field << 3)
        varint(value)
    }
}
