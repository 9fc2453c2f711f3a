// The journal's signed tree heads and the proofs handed out over them
// (issue 24, docs/transparency.md). A head's body is a C2SP
// tlog-checkpoint: the log's origin, the tree's size, its root hash in
// base64, and one extension line with the time; the daemon signs those
// bytes with Ed25519. The proofs are JSON documents that anyone holding
// the daemon's public key can check, with no daemon: `taizhang audit
// check`, or clients/python/taizhang_verify.py.


/// A tree head: what the log says its tree was at a time.
public struct TreeHead: Sendable, Hashable {
    /// "taizhang/<ledger id>".
    public var origin: String
    public var size: UInt64
    public var rootHash: [UInt8]
    /// RFC 3339, UTC.
    public var time: String

    public init(origin: String, size: UInt64, rootHash: [UInt8], time: String) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.time = time
    }

    /// The checkpoint text that is signed.
    public var body: String {
        "\(origin)\n\(size)\n\(Base64.encode(rootHash))\ntime \(time)\n"
    }

    /// The head a checkpoint text holds, or what is wrong with the text.
    public static func parse(_ body: String) -> Result<TreeHead, TransparencyError> {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard body.hasSuffix("\n"), lines.count == 5, lines[4].isEmpty else {
            return .failure(TransparencyError("the signed head's checkpoint is not four lines (origin, size, base64 root, time), each ending in a newline"))
        }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            return .failure(TransparencyError("the checkpoint's second line is not a tree size: \"\(lines[1].prefix(40))\""))
        }
        guard let root = Base64.decode(lines[2]), root.count == MerkleHash.size else {
            return .failure(TransparencyError("the checkpoint's third line is not a base64 SHA-256 root hash"))
        }
        guard lines[3].hasPrefix("time ") else {
            return .failure(TransparencyError("the checkpoint's fourth line is not \"time <RFC 3339>\""))
        }
        return .success(TreeHead(origin: lines[0], size: size, rootHash: root, time: String(lines[3].dropFirst(5))))
    }
}

/// A head and its signature.
public struct SignedTreeHead: Sendable, Hashable {
    public var head: TreeHead
    public var signature: [UInt8]

    public init(head: TreeHead, signature: [UInt8]) {
        self.head = head
        self.signature = signature
    }

    public init(head: TreeHead, key: Ed25519SigningKey) throws {
        self.init(head: head, signature: try key.signature(for: Array(head.body.utf8)))
    }

    public func verifies(with key: Ed25519PublicKey) -> Bool {
        key.verifies(signature, for: Array(head.body.utf8))
    }

    /// The JSON form: the checkpoint text, the signature, and the key it
    /// claims (a checker trusts the key it was given, not this one).
    public func document(key: Ed25519PublicKey) -> SignedHeadDocument {
        SignedHeadDocument(checkpoint: head.body, signature: Base64.encode(signature), key: key.description,
                           treeSize: head.size, rootHash: hexString(head.rootHash), time: head.time)
    }
}

/// What a proof check found wrong.
public struct TransparencyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A signed head as JSON. `tree_size`, `root_hash` and `time` repeat the
/// checkpoint for people; the check reads the checkpoint.
public struct SignedHeadDocument: Codable, Sendable, Equatable {
    public var checkpoint: String
    /// Base64 of the 64-byte Ed25519 signature of the checkpoint's bytes.
    public var signature: String
    public var key: String
    public var treeSize: UInt64
    public var rootHash: String
    public var time: String

    enum CodingKeys: String, CodingKey {
        case checkpoint, signature, key, time
        case treeSize = "tree_size"
        case rootHash = "root_hash"
    }

    public init(checkpoint: String, signature: String, key: String, treeSize: UInt64, rootHash: String, time: String) {
        self.checkpoint = checkpoint
        self.signature = signature
        self.key = key
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.time = time
    }

    /// The head, once its signature verifies with `key`.
    public func verified(with key: Ed25519PublicKey) -> Result<TreeHead, TransparencyError> {
        let head: TreeHead
        switch TreeHead.parse(checkpoint) {
        case .success(let parsed): head = parsed
        case .failure(let error): return .failure(error)
        }
        guard let signature = Base64.decode(signature), signature.count == 64 else {
            return .failure(TransparencyError("the signed head's signature is not base64 of 64 bytes"))
        }
        guard SignedTreeHead(head: head, signature: signature).verifies(with: key) else {
            return .failure(TransparencyError("the head's signature does not verify with \(key) (signed by another key, or the head was altered)"))
        }
        return .success(head)
    }
}
