// The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1) over the
// audit journal (issue 24): a leaf is SHA-256(0x00 ‖ the entry's canonical
// bytes), a node SHA-256(0x01 ‖ left ‖ right); the tree of n leaves splits
// at the largest power of two below n. The proofs (inclusion of a leaf in a
// tree, consistency of a tree with a later one) and their verification, as
// the RFC writes them. Pure: the leaves' hashes come from `leaf(at:)`, so a
// store that keeps the subtrees' hashes can answer in O(log n) reads.

/// The hashes of RFC 9162 §2.1.1.
public enum MerkleHash {
    public static let size = 32

    /// The hash of a leaf's data.
    public static func leaf<Bytes: Sequence>(_ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update([0])
        hasher.update(data)
        return hasher.finalize()
    }

    /// The hash of an interior node.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update([1])
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }

    /// The hash of the empty tree: SHA-256 of nothing.
    public static let empty: [UInt8] = SHA256.hash([UInt8]())

    /// The largest power of two smaller than `n` (n > 1): where a tree of n leaves splits.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

/// A tree over `count` leaves whose hashes `leaf(at:)` gives, in order.
public struct MerkleTree: Sendable {
    public let count: Int
    let leaf: @Sendable (Int) throws -> [UInt8]

    public init(count: Int, leaf: @escaping @Sendable (Int) throws -> [UInt8]) {
        self.count = count
        self.leaf = leaf
    }

    /// A tree over leaf hashes held in memory.
    public init(leafHashes: [[UInt8]]) {
        self.init(count: leafHashes.count) { leafHashes[$0] }
    }

    /// MTH(D[start ..< end]) (RFC 9162 §2.1.1).
    public func hash(_ start: Int, _ end: Int) throws -> [UInt8] {
        let n = end - start
        if n == 0 { return MerkleHash.empty }
        if n == 1 { return try leaf(start) }
        let k = MerkleHash.split(n)
        return MerkleHash.node(try hash(start, start + k), try hash(start + k, end))
    }

    /// The root of the first `size` leaves (the tree head at that size).
    public func root(size: Int) throws -> [UInt8] {
        precondition(size >= 0 && size <= count, "a tree of \(count) leaves has no head at size \(size)")
        return try hash(0, size)
    }

    /// PATH(index, D[0 ..< size]): the audit path of leaf `index` in the
    /// tree of the first `size` leaves (§2.1.3.1), nearest the leaf first.
    public func inclusionProof(index: Int, size: Int) throws -> [[UInt8]] {
        precondition(index >= 0 && index < size && size <= count, "leaf \(index) is not in a tree of \(size)")
        return try path(index, 0, size)
    }

    private func path(_ m: Int, _ start: Int, _ end: Int) throws -> [[UInt8]] {
        let n = end - start
        if n <= 1 { return [] }
        let k = MerkleHash.split(n)
        if m < k { return try path(m, start, start + k) + [hash(start + k, end)] }
        return try path(m - k, start + k, end) + [hash(start, start + k)]
    }

    /// PROOF(first, D[0 ..< second]): that the tree of the first `second`
    /// leaves extends the tree of the first `first` (§2.1.4.1).
    public func consistencyProof(from first: Int, to second: Int) throws -> [[UInt8]] {
        precondition(first >= 0 && first <= second && second <= count, "no consistency from \(first) to \(second) in a tree of \(count)")
        if first == 0 || first == second { return [] }
        return try subproof(first, 0, second, complete: true)
    }

    private func subproof(_ m: Int, _ start: Int, _ end: Int, complete: Bool) throws -> [[UInt8]] {
        let n = end - start
        if m == n { return complete ? [] : [try hash(start, end)] }
        let k = MerkleHash.split(n)
        if m <= k { return try subproof(m, start, start + k, complete: complete) + [hash(start + k, end)] }
        return try subproof(m - k, start + k, end, complete: false) + [hash(start, start + k)]
    }
}

/// The verification of proofs, by anyone holding a signed tree head.
public enum MerkleProof {
    /// Whether `proof` shows the leaf hashed `leafHash` at `index` in the
    /// tree of `size` leaves whose root is `root` (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index >= 0, index < size, proof.allSatisfy({ $0.count == MerkleHash.size }) else { return false }
        var (fn, sn, r) = (index, size - 1, leafHash)
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { (fn, sn) = (fn >> 1, sn >> 1) }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            (fn, sn) = (fn >> 1, sn >> 1)
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows that the tree of `second` leaves with root
    /// `secondRoot` extends the tree of `first` leaves with root `firstRoot`
    /// (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal roots;
    /// every tree extends the empty one.
    public static func verifyConsistency(first: Int, second: Int, firstRoot: [UInt8], secondRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        guard first >= 0, first <= second, proof.allSatisfy({ $0.count == MerkleHash.size }) else { return false }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        if first == 0 { return proof.isEmpty }
        if proof.isEmpty { return false }
        var path = proof
        if first & (first - 1) == 0 { path.insert(firstRoot, at: 0) }
        var (fn, sn) = (first - 1, second - 1)
        while fn & 1 == 1 { (fn, sn) = (fn >> 1, sn >> 1) }
        var (fr, sr) = (path[0], path[0])
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                (fr, sr) = (MerkleHash.node(c, fr), MerkleHash.node(c, sr))
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { (fn, sn) = (fn >> 1, sn >> 1) }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            (fn, sn) = (fn >> 1, sn >> 1)
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}
