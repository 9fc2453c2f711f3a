// The append-only audit journal: one entry per changed record, each hashed
// and chained to the one before, so an edit or deletion made behind the
// daemon's back breaks the chain (002 Laiwu "过程有记录、事情可追溯", 004 §33).

/// One entry of the audit journal.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var seq: UInt64
    /// RFC 3339, UTC.
    public var time: String
    public var identity: String
    public var actor: String
    public var method: String
    public var requestId: String
    public var requestSHA256: String
    /// "asset", "project", "admin_unit".
    public var recordKind: String
    public var recordId: String
    /// The record before the change, as JSON; empty on creation.
    public var beforeJSON: String
    /// The record after the change, as JSON.
    public var afterJSON: String
    public var prevHash: String
    public var hash: String
    /// The caller's idempotency key, scoped to its identity ("name\nkey");
    /// empty when the call gave none. A retry is recognised by it even when
    /// the stored answer is gone.
    public var idempotencyKey: String

    /// An entry; `hash` is computed by `AuditChain.seal`.
    public init(seq: UInt64, time: String, identity: String, actor: String, method: String, requestId: String,
                requestSHA256: String, recordKind: String, recordId: String, beforeJSON: String, afterJSON: String,
                prevHash: String, hash: String = "", idempotencyKey: String = "") {
        self.seq = seq
        self.time = time
        self.identity = identity
        self.actor = actor
        self.method = method
        self.requestId = requestId
        self.requestSHA256 = requestSHA256
        self.recordKind = recordKind
        self.recordId = recordId
        self.beforeJSON = beforeJSON
        self.afterJSON = afterJSON
        self.prevHash = prevHash
        self.hash = hash
        self.idempotencyKey = idempotencyKey
    }
}

/// How entries are hashed and how the chain is checked.
public enum AuditChain {
    /// The `prevHash` of the first entry.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// SHA-256 over the entry's canonical bytes (`canonicalBytes`).
    public static func computeHash(_ entry: AuditEntry) -> String {
        hexString(SHA256.hash(canonicalBytes(entry)))
    }

    /// Every field but `hash`, each as "<utf8 length>:<bytes>\n", so no
    /// choice of field contents can make two entries alike: the bytes the
    /// chain hashes and the Merkle tree's leaf holds (docs/transparency.md).
    /// The idempotency key comes last, and only when there is one: entries
    /// written before it was recorded keep their hashes.
    public static func canonicalBytes(_ entry: AuditEntry) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entry.beforeJSON.utf8.count + entry.afterJSON.utf8.count + 512)
        func add(_ field: String) {
            bytes.append(contentsOf: String(field.utf8.count).utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: field.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        for field in [
            String(entry.seq), entry.time, entry.identity, entry.actor, entry.method, entry.requestId,
            entry.requestSHA256, entry.recordKind, entry.recordId, entry.beforeJSON, entry.afterJSON, entry.prevHash,
        ] { add(field) }
        if !entry.idempotencyKey.isEmpty { add(entry.idempotencyKey) }
        return bytes
    }

    /// The entry's leaf in the journal's Merkle tree: SHA-256(0x00 ‖ its canonical bytes).
    public static func leafHash(_ entry: AuditEntry) -> [UInt8] {
        MerkleHash.leaf(canonicalBytes(entry))
    }

    /// The entry with its hash filled in, and its leaf hash: the canonical
    /// bytes are made once for both (the writer's path).
    public static func sealAndLeaf(_ entry: AuditEntry) -> (entry: AuditEntry, leafHash: [UInt8]) {
        let bytes = canonicalBytes(entry)
        var sealed = entry
        sealed.hash = hexString(SHA256.hash(bytes))
        return (sealed, MerkleHash.leaf(bytes))
    }

    /// The entry with its hash filled in.
    public static func seal(_ entry: AuditEntry) -> AuditEntry {
        var sealed = entry
        sealed.hash = computeHash(entry)
        return sealed
    }

    /// Checks one entry against the one before it (nil for the first).
    /// Returns what is wrong, or nil when the link holds.
    public static func problem(with entry: AuditEntry, after previous: (seq: UInt64, hash: String)?) -> String? {
        let expectedSeq = (previous?.seq ?? 0) + 1
        if entry.seq != expectedSeq {
            return entry.seq > expectedSeq
                ? "entries \(expectedSeq)…\(entry.seq - 1) are missing (deleted?)"
                : "sequence number \(entry.seq) is out of order (expected \(expectedSeq))"
        }
        let expectedPrev = previous?.hash ?? genesisHash
        if entry.prevHash != expectedPrev {
            return "prev_hash does not match the hash of entry \(expectedSeq - 1)"
        }
        if computeHash(entry) != entry.hash {
            return "the entry's contents do not match its hash (edited after it was written?)"
        }
        return nil
    }
}
