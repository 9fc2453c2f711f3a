// The proofs `taizhang audit prove` and `audit consistency` print, and
// their offline check (docs/transparency.md): every step that fails is
// named, so a citizen or an auditor knows what did not hold.


/// A journal entry as a proof carries it (the fields the chain hashes).
public struct ProofEntry: Codable, Sendable, Equatable {
    public var seq: UInt64
    public var time, identity, actor, method, requestId, requestSHA256, recordKind, recordId: String
    public var beforeJSON, afterJSON, prevHash, hash, idempotencyKey: String

    enum CodingKeys: String, CodingKey {
        case seq, time, identity, actor, method, hash
        case requestId = "request_id", requestSHA256 = "request_sha256", recordKind = "record_kind", recordId = "record_id"
        case beforeJSON = "before_json", afterJSON = "after_json", prevHash = "prev_hash", idempotencyKey = "idempotency_key"
    }

    public init(_ entry: AuditEntry) {
        (seq, time, identity, actor, method, requestId, requestSHA256) = (entry.seq, entry.time, entry.identity, entry.actor, entry.method, entry.requestId, entry.requestSHA256)
        (recordKind, recordId, beforeJSON, afterJSON, prevHash, hash, idempotencyKey) = (entry.recordKind, entry.recordId, entry.beforeJSON, entry.afterJSON, entry.prevHash, entry.hash, entry.idempotencyKey)
    }

    public var entry: AuditEntry {
        AuditEntry(seq: seq, time: time, identity: identity, actor: actor, method: method, requestId: requestId, requestSHA256: requestSHA256,
                   recordKind: recordKind, recordId: recordId, beforeJSON: beforeJSON, afterJSON: afterJSON, prevHash: prevHash,
                   hash: hash, idempotencyKey: idempotencyKey)
    }
}

/// That a record's latest entry is in the tree of a signed head.
public struct InclusionProofDocument: Codable, Sendable, Equatable {
    public static let formatName = "taizhang-inclusion-proof/1"
    public var format = formatName
    public var entry: ProofEntry
    public var leafIndex: UInt64
    public var leafHash: String
    public var treeSize: UInt64
    public var auditPath: [String]
    public var rootHash: String
    public var signedHead: SignedHeadDocument

    enum CodingKeys: String, CodingKey {
        case format, entry
        case leafIndex = "leaf_index", leafHash = "leaf_hash", treeSize = "tree_size", auditPath = "audit_path"
        case rootHash = "root_hash", signedHead = "signed_head"
    }

    public init(entry: AuditEntry, treeSize: UInt64, auditPath: [[UInt8]], rootHash: [UInt8], signedHead: SignedHeadDocument) {
        self.entry = ProofEntry(entry)
        leafIndex = entry.seq - 1
        leafHash = hexString(AuditChain.leafHash(entry))
        self.treeSize = treeSize
        self.auditPath = auditPath.map { hexString($0) }
        self.rootHash = hexString(rootHash)
        self.signedHead = signedHead
    }

    /// What fails when the proof is checked with `key`; empty when it holds.
    public func problems(key: Ed25519PublicKey) -> [String] {
        var problems: [String] = []
        guard format == Self.formatName else { return ["the document's format is \"\(format)\", not \(Self.formatName)"] }
        let entry = entry.entry
        if AuditChain.computeHash(entry) != entry.hash {
            problems.append("the entry's fields do not hash to its hash \(entry.hash.prefix(16))…: the entry was altered")
        }
        let leaf = AuditChain.leafHash(entry)
        if hexString(leaf) != leafHash { problems.append("the entry's leaf hash is \(hexString(leaf)), not the leaf_hash given (\(leafHash))") }
        if entry.seq == 0 || entry.seq - 1 != leafIndex { problems.append("entry #\(entry.seq) is not leaf \(leafIndex) of the tree (entry n is leaf n − 1)") }
        let path = auditPath.map { bytes(hex: $0) }
        let root = bytes(hex: rootHash)
        if path.contains(where: { $0?.count != MerkleHash.size }) || root?.count != MerkleHash.size {
            problems.append("audit_path and root_hash hold hashes of 64 hex digits")
        } else if leafIndex >= treeSize || treeSize > UInt64(Int.max) {
            problems.append("leaf \(leafIndex) is not in a tree of \(treeSize) leaves")
        } else if !MerkleProof.verifyInclusion(leafHash: leaf, index: Int(leafIndex), size: Int(treeSize), proof: path.map { $0! }, root: root!) {
            problems.append("the audit path does not lead from the entry's leaf to root_hash in a tree of \(treeSize) leaves")
        }
        switch signedHead.verified(with: key) {
        case .failure(let error): problems.append(error.description)
        case .success(let head):
            if head.size != treeSize { problems.append("the signed head is of a tree of \(head.size) leaves, not \(treeSize)") }
            if hexString(head.rootHash) != rootHash.lowercased() { problems.append("the signed head's root is \(hexString(head.rootHash)), not root_hash") }
        }
        return problems
    }
}

/// That a signed head's tree extends an older tree.
public struct ConsistencyProofDocument: Codable, Sendable, Equatable {
    public static let formatName = "taizhang-consistency-proof/1"
    public var format = formatName
    public var firstSize: UInt64
    /// The older tree's root, as the log has it: the checker compares it
    /// with the root it kept.
    public var firstRoot: String
    public var proof: [String]
    public var signedHead: SignedHeadDocument

    enum CodingKeys: String, CodingKey {
        case format, proof
        case firstSize = "first_size", firstRoot = "first_root", signedHead = "signed_head"
    }

    public init(firstSize: UInt64, firstRoot: [UInt8], proof: [[UInt8]], signedHead: SignedHeadDocument) {
        self.firstSize = firstSize
        self.firstRoot = hexString(firstRoot)
        self.proof = proof.map { hexString($0) }
        self.signedHead = signedHead
    }

    /// What fails when checked with `key` against the root the checker
    /// kept for the older tree (nil: the document's own first_root).
    public func problems(key: Ed25519PublicKey, keptRoot: [UInt8]?) -> [String] {
        var problems: [String] = []
        guard format == Self.formatName else { return ["the document's format is \"\(format)\", not \(Self.formatName)"] }
        guard let first = bytes(hex: firstRoot), first.count == MerkleHash.size else { return ["first_root is not a hash of 64 hex digits"] }
        if let keptRoot, keptRoot != first {
            problems.append("the log's root at size \(firstSize) is \(firstRoot), not the root you kept (\(hexString(keptRoot))): the log was rewritten")
        }
        let hashes = proof.map { bytes(hex: $0) }
        switch signedHead.verified(with: key) {
        case .failure(let error): problems.append(error.description)
        case .success(let head):
            if hashes.contains(where: { $0?.count != MerkleHash.size }) {
                problems.append("proof holds hashes of 64 hex digits")
            } else if firstSize > head.size || head.size > UInt64(Int.max) {
                problems.append("a tree of \(head.size) leaves cannot extend one of \(firstSize)")
            } else if !MerkleProof.verifyConsistency(first: Int(firstSize), second: Int(head.size), firstRoot: keptRoot ?? first,
                                                     secondRoot: head.rootHash, proof: hashes.map { $0! }) {
                problems.append("the proof does not show that the signed tree of \(head.size) leaves extends the tree of \(firstSize) with root \(hexString(keptRoot ?? first))")
            }
        }
        return problems
    }
}
