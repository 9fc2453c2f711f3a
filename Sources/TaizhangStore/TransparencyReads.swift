// The journal's Merkle tree read for proofs (issue 24): each proof in one
// read transaction, O(log n) point reads of `merkle_hashes`.

import TaizhangCore

extension SQLiteLedgerStore {
    public var latestTreeHead: (head: SignedTreeHead, key: Ed25519PublicKey)? { state.withLock { $0.treeHead } }

    public var treeHeadPublicKey: Ed25519PublicKey? { configuration.treeHeadKey?.publicKey }

    public func treeHead(size: UInt64) throws -> (head: SignedTreeHead, key: Ed25519PublicKey)? {
        try readOperations(of: "the tree head at size \(size)", point: true) { db in
            var found: (head: SignedTreeHead, key: Ed25519PublicKey)?
            try db.cached("SELECT \(MerkleRows.headColumns) FROM tree_heads WHERE size = ?").query([.int(Int64(clamping: size))]) { row in
                let (head, key) = MerkleRows.head(row)
                found = (try? Ed25519PublicKey(bytes: key)).map { (head, $0) }
            }
            return found
        }
    }

    public func treeRoot(size: UInt64) throws -> [UInt8] {
        try tree(size: size, "the journal's tree root at size \(size)") { try $0.root(size: Int(size)) }
    }

    public func inclusionProof(index: UInt64, size: UInt64) throws -> [[UInt8]] {
        guard index < size else { throw LedgerError(.invalidArgument, "leaf \(index) is not in a tree of \(size) leaves") }
        return try tree(size: size, "the audit path of leaf \(index)") { try $0.inclusionProof(index: Int(index), size: Int(size)) }
    }

    public func consistencyProof(from first: UInt64, to second: UInt64) throws -> [[UInt8]] {
        guard first <= second else { throw LedgerError(.invalidArgument, "a tree of \(second) leaves cannot extend one of \(first)") }
        return try tree(size: second, "the consistency proof from \(first) to \(second)") { try $0.consistencyProof(from: Int(first), to: Int(second)) }
    }

    private func tree<T>(size: UInt64, _ what: @autoclosure () -> String, _ body: (MerkleTree) throws -> T) throws -> T {
        // Bounded by the entries the read's own snapshot holds (the state
        // may lag a commit, or a head may lie past a journal cut short).
        return try readOperations(of: what()) { db in
            var entries: UInt64 = 0
            try db.cached("SELECT COALESCE(MAX(seq), 0) FROM audit_journal").query([]) { entries = UInt64($0.int(0)) }
            guard size <= entries else {
                throw LedgerError(.notFound, "the journal holds \(entries) entries, not \(size); give the size of a signed head it holds")
            }
            return try body(MerkleRows.tree(db, size: size))
        }
    }
}
