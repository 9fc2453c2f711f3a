// The journal's Merkle tree and signed heads in the file (issue 24): the
// rows of `merkle_hashes` (each perfect subtree's hash at its
// `MerkleStoredIndex` place) and `tree_heads`, read for proofs and checked
// against the journal by `taizhang audit verify`.

import TaizhangCore

enum MerkleRows {
    /// An upsert: a hash left past the journal's end (entries cut behind
    /// the daemon's back, which the ledger check names) is not the tree's,
    /// and the next append takes its place.
    static let insertHash = hashInsertHead + " VALUES (?, ?) " + hashUpsertTail
    /// The insert of hashes up to its values, and what makes it replace a hash already there.
    static let hashInsertHead = "INSERT INTO merkle_hashes(id, hash)"
    static let hashUpsertTail = "ON CONFLICT(id) DO UPDATE SET hash = excluded.hash"
    static let insertHead = """
        INSERT INTO tree_heads(size, root, time, origin, signature, public_key) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(size) DO UPDATE SET root = excluded.root, time = excluded.time, origin = excluded.origin,
            signature = excluded.signature, public_key = excluded.public_key
        """
    static let headColumns = "size, root, time, origin, signature, public_key"

    /// Builds the tree over a journal written before the tree was kept (migration 18).
    static func build(_ db: any SQLConnection) throws {
        var frontier = MerkleFrontier()
        let insert = try db.prepare(insertHash)
        try db.prepare("""
            SELECT seq, time, identity, actor, method, request_id, request_sha256, record_kind, record_id,
                   before_json, after_json, prev_hash, hash, idempotency_key FROM audit_journal ORDER BY seq
            """).query([]) { row in
            try frontier.append(AuditChain.leafHash(SQLiteReader.entry(row))) { level, index, hash in
                try insert.run([.int(Int64(MerkleStoredIndex.of(level: level, index: index))), .blob(hash)])
            }
        }
    }

    /// The frontier of the first `size` leaves, from the stored hashes, and
    /// whether every one was there. A hash missing from the file (deleted
    /// behind the daemon's back) is taken as zeros: the writer then signs
    /// no head, and the whole-ledger check names the missing row.
    static func frontier(_ db: any SQLConnection, size: Int) throws -> (MerkleFrontier, complete: Bool) {
        // The stored subtrees it is made of (at most one per bit of the
        // size), read in one query: a writer taking in other daemons'
        // entries reads its frontier again before each group.
        var ids: [Int64] = []
        _ = MerkleFrontier(size: size) { level, index in
            ids.append(Int64(MerkleStoredIndex.of(level: level, index: index)))
            return []
        }
        var stored: [Int64: [UInt8]] = [:]
        if !ids.isEmpty {
            try db.cached("SELECT id, hash FROM merkle_hashes WHERE id IN (" + ids.map { _ in "?" }.joined(separator: ", ") + ")")
                .query(ids.map { .int($0) }) { stored[$0.int(0)] = $0.blob(1) }
        }
        var complete = true
        let frontier = MerkleFrontier(size: size) { level, index in
            guard let hash = stored[Int64(MerkleStoredIndex.of(level: level, index: index))], hash.count == MerkleHash.size else {
                StoreLog.error("the journal's Merkle tree lacks the hash of subtree \(level)/\(index); no tree head is signed; run `taizhang audit verify`")
                complete = false
                return [UInt8](repeating: 0, count: MerkleHash.size)
            }
            return hash
        }
        return (frontier, complete)
    }

    /// The tree over the first `size` leaves, read from the file.
    static func tree(_ db: any SQLConnection, size: UInt64) throws -> MerkleTree {
        let read = try db.cached("SELECT hash FROM merkle_hashes WHERE id = ?")
        let reader = UncheckedStatement(statement: read)
        return MerkleTree(count: Int(size)) { level, index in
            var hash: [UInt8]?
            try reader.statement.query([.int(Int64(MerkleStoredIndex.of(level: level, index: index)))]) { hash = $0.blob(0) }
            guard let hash, hash.count == MerkleHash.size else {
                throw LedgerError(.dataLoss, "the journal's Merkle tree lacks the hash of subtree \(level)/\(index) (changed behind the daemon's back?); run `taizhang audit verify`")
            }
            return hash
        }
    }

    /// Drops the hashes and heads past a tree of `size` leaves: an
    /// operator accepted a journal cut short (AcceptAuditHead), whose tree
    /// is the one of its entries. Each head dropped is logged.
    static func dropBeyond(_ db: any SQLConnection, size: Int) throws {
        try db.prepare("SELECT \(headColumns) FROM tree_heads WHERE size > ?").query([.int(Int64(size))]) { row in
            let (signed, _) = head(row)
            StoreLog.error("the accepted journal ends at entry \(size): the signed tree head of \(signed.head.size) entries (root \(hexString(signed.head.rootHash)), signed \(signed.head.time)) is dropped")
        }
        try db.prepare("DELETE FROM tree_heads WHERE size > ?").run([.int(Int64(size))])
        try db.prepare("DELETE FROM merkle_hashes WHERE id >= ?").run([.int(Int64(MerkleStoredIndex.count(size: size)))])
    }

    static func head(_ row: any SQLStatement) -> (head: SignedTreeHead, key: [UInt8]) {
        (SignedTreeHead(head: TreeHead(origin: row.text(3), size: UInt64(row.int(0)), rootHash: row.blob(1), time: row.text(2)),
                        signature: row.blob(4)), row.blob(5))
    }

    static func values(_ signed: SignedTreeHead, key: Ed25519PublicKey) -> [SQLValue] {
        [.int(Int64(signed.head.size)), .blob(signed.head.rootHash), .text(signed.head.time), .text(signed.head.origin),
         .blob(signed.signature), .blob(key.bytes)]
    }
}

/// A statement used only inside the closure of a tree built and used
/// within one `pool.read` (the connection's lock is held throughout).
struct UncheckedStatement: @unchecked Sendable {
    let statement: any SQLStatement
}

/// The check of the tree against the journal (`taizhang audit verify`):
/// each entry's leaf is made again from its row, and every hash the tree
/// makes from the leaves is compared with the stored one, in stored order
/// (one pass over `merkle_hashes`); each signed head must hold the root of
/// the entries it counts, and its signature must verify. An edited row
/// fails here even when the stored hashes were left as they were.
struct MerkleCheck {
    private var frontier = MerkleFrontier()
    private let stored: any SQLStatement
    private var pending: (place: Int, hash: [UInt8])?
    private var storedEnded = false
    private var heads: [UInt64: (head: SignedTreeHead, key: [UInt8])] = [:]
    private(set) var problemCount: UInt64 = 0
    private(set) var problems: [LedgerMismatch] = []
    static let listedMax = 20

    /// The keys a head may be signed with: the daemon's, and the retired
    /// ones it was told of; empty: any key stored beside a head.
    private let trusted: Set<[UInt8]>

    init(_ db: any SQLConnection, trusted: Set<[UInt8]> = []) throws {
        self.trusted = trusted
        stored = try db.prepare("SELECT id, hash FROM merkle_hashes ORDER BY id")
        try stored.start([])
        try db.prepare("SELECT \(MerkleRows.headColumns) FROM tree_heads").query([]) { row in
            let head = MerkleRows.head(row)
            heads[head.head.head.size] = head
        }
    }

    mutating func add(_ entry: AuditEntry) throws {
        var made: [(level: Int, index: Int, hash: [UInt8])] = []
        frontier.append(AuditChain.leafHash(entry)) { made.append(($0, $1, $2)) }
        for node in made { try compare(MerkleStoredIndex.of(level: node.level, index: node.index), node.hash, level: node.level, index: node.index) }
        if let (signed, key) = heads.removeValue(forKey: UInt64(frontier.size)) { check(signed, key: key) }
    }

    /// Notes what is left: stored hashes no entry makes, heads past the journal's end.
    mutating func finish() throws {
        while let row = try next() {
            note("merkle_hashes", "#\(row.place)", "a stored hash the journal's \(frontier.size) entries do not make (entries deleted from the end?)")
            pending = nil
        }
        for size in heads.keys.sorted() {
            note("tree_heads", "size \(size)", "a signed head of \(size) entries, but the journal holds \(frontier.size) (cut short?)")
        }
        stored.reset()
    }

    private mutating func check(_ signed: SignedTreeHead, key: [UInt8]) {
        let size = signed.head.size
        if signed.head.rootHash != frontier.root {
            note("tree_heads", "size \(size)", "the signed root \(hexString(signed.head.rootHash)) is not the root of the journal's first \(size) entries (\(hexString(frontier.root))): the journal was changed after the head was signed")
        }
        guard let publicKey = try? Ed25519PublicKey(bytes: key), signed.verifies(with: publicKey) else {
            note("tree_heads", "size \(size)", "the head's signature does not verify with the key stored beside it")
            return
        }
        if !trusted.isEmpty, !trusted.contains(key) {
            note("tree_heads", "size \(size)", "the head is signed by \(publicKey), which is neither the daemon's key nor one of its retired keys (tree-head.retired-keys)")
        }
    }

    private mutating func compare(_ place: Int, _ hash: [UInt8], level: Int, index: Int) throws {
        while let row = try next(), row.place < place {
            note("merkle_hashes", "#\(row.place)", "a stored hash the journal's entries do not make")
            pending = nil
        }
        guard let row = try next(), row.place == place else {
            note("merkle_hashes", "\(level)/\(index)", "missing: the hash of entries \(index << level + 1)…\((index + 1) << level) is not stored")
            return
        }
        pending = nil
        if row.hash != hash {
            note("merkle_hashes", "\(level)/\(index)", level == 0
                 ? "the stored leaf of entry \(index + 1) is not the hash of its row (the row or the hash was changed)"
                 : "the stored hash of entries \(index << level + 1)…\((index + 1) << level) is not the one their rows make")
        }
    }

    /// The stored row at the cursor, read once (kept until consumed).
    private mutating func next() throws -> (place: Int, hash: [UInt8])? {
        if let pending { return pending }
        if storedEnded { return nil }
        guard try stored.step() else {
            storedEnded = true
            return nil
        }
        pending = (Int(stored.int(0)), stored.blob(1))
        return pending
    }

    private mutating func note(_ table: String, _ id: String, _ problem: String) {
        problemCount += 1
        if problems.count < Self.listedMax { problems.append(LedgerMismatch(table: table, id: id, column: "", problem: problem)) }
    }
}
