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
    public static func leaf<Bytes: Collection>(_ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var input: [UInt8] = []
        input.reserveCapacity(data.count + 1)
        input.append(0)
        input.append(contentsOf: data)
        return SHA256.hash(input)
    }

    /// The hash of an interior node.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(1 + left.count + right.count)
        input.append(1)
        input.append(contentsOf: left)
        input.append(contentsOf: right)
        return SHA256.hash(input)
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

/// Where the hash of a perfect subtree is stored: the subtree of level
/// `level` (2^level leaves) and number `index` (its leaves start at
/// index << level) gets the place Go's tlog gives it (StoredHashIndex):
/// appending leaf n stores its hash and then the hash of every subtree it
/// completes, at increasing places, so the store only ever appends.
public enum MerkleStoredIndex {
    public static func of(level: Int, index: Int) -> Int {
        var n = index
        for _ in 0..<level { n = 2 * n + 1 }
        var place = 0
        while n > 0 {
            place += n
            n >>= 1
        }
        return place + level
    }

    /// How many hashes a tree of `size` leaves stores: 2·size − popcount(size).
    public static func count(size: Int) -> Int { 2 * size - size.nonzeroBitCount }
}

/// A tree over `count` leaves. The hash of a perfect subtree (level,
/// index) comes from `perfect`, as a store keeps them; every other subtree
/// (those on the right edge of a tree whose size is not a power of two) is
/// made from them, once per proof.
public struct MerkleTree: Sendable {
    public let count: Int
    let perfect: @Sendable (_ level: Int, _ index: Int) throws -> [UInt8]

    public init(count: Int, perfect: @escaping @Sendable (_ level: Int, _ index: Int) throws -> [UInt8]) {
        self.count = count
        self.perfect = perfect
    }

    /// A tree over the leaves' hashes that `leaf(at:)` gives, in order;
    /// subtrees are made from the leaves every time (tests, small trees).
    public init(count: Int, leaf: @escaping @Sendable (Int) throws -> [UInt8]) {
        @Sendable func subtree(_ level: Int, _ index: Int) throws -> [UInt8] {
            if level == 0 { return try leaf(index) }
            return MerkleHash.node(try subtree(level - 1, 2 * index), try subtree(level - 1, 2 * index + 1))
        }
        self.init(count: count, perfect: subtree)
    }

    /// A tree over leaf hashes held in memory.
    public init(leafHashes: [[UInt8]]) {
        self.init(count: leafHashes.count) { leafHashes[$0] }
    }

    /// MTH(D[start ..< end]) (RFC 9162 §2.1.1).
    public func hash(_ start: Int, _ end: Int) throws -> [UInt8] {
        var made: [Range<Int>: [UInt8]] = [:]
        return try hash(start, end, &made)
    }

    /// MTH(D[start ..< end]), keeping the subtrees made (not stored) in `made`.
    private func hash(_ start: Int, _ end: Int, _ made: inout [Range<Int>: [UInt8]]) throws -> [UInt8] {
        let n = end - start
        if n == 0 { return MerkleHash.empty }
        if n & (n - 1) == 0, start % n == 0 { return try perfect(n.trailingZeroBitCount, start / n) }
        if let known = made[start..<end] { return known }
        let k = MerkleHash.split(n)
        let value = MerkleHash.node(try hash(start, start + k, &made), try hash(start + k, end, &made))
        made[start..<end] = value
        return value
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
        var made: [Range<Int>: [UInt8]] = [:]
        var proof: [[UInt8]] = []
        var (m, start, end) = (index, 0, size)
        // The RFC's recursion, from the root down; the path lists it from the leaf up.
        while end - start > 1 {
            let k = MerkleHash.split(end - start)
            if m < k {
                proof.append(try hash(start + k, end, &made))
                end = start + k
            } else {
                proof.append(try hash(start, start + k, &made))
                m -= k
                start += k
            }
        }
        return proof.reversed()
    }

    /// PROOF(first, D[0 ..< second]): that the tree of the first `second`
    /// leaves extends the tree of the first `first` (§2.1.4.1).
    public func consistencyProof(from first: Int, to second: Int) throws -> [[UInt8]] {
        precondition(first >= 0 && first <= second && second <= count, "no consistency from \(first) to \(second) in a tree of \(count)")
        if first == 0 || first == second { return [] }
        var made: [Range<Int>: [UInt8]] = [:]
        var proof: [[UInt8]] = []
        var (m, start, end, complete) = (first, 0, second, true)
        while m != end - start {
            let k = MerkleHash.split(end - start)
            if m <= k {
                proof.append(try hash(start + k, end, &made))
                end = start + k
            } else {
                proof.append(try hash(start, start + k, &made))
                m -= k
                start += k
                complete = false
            }
        }
        if !complete { proof.append(try hash(start, end, &made)) }
        return proof.reversed()
    }
}

/// The right edge of a growing tree: the hashes of the perfect subtrees
/// its leaves fall into, largest first (one per bit of the size). The
/// writer appends leaves to it; the root is made from it in O(log n).
public struct MerkleFrontier: Sendable, Equatable {
    public private(set) var size: Int = 0
    public private(set) var subtrees: [[UInt8]] = []

    /// The empty tree.
    public init() {}

    /// The frontier of a tree of `size` leaves, from its stored subtrees.
    public init(size: Int, perfect: (_ level: Int, _ index: Int) throws -> [UInt8]) rethrows {
        self.size = size
        var start = 0
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            subtrees.append(try perfect(level, start >> level))
            start += 1 << level
        }
    }

    /// Appends a leaf; `store` gets the leaf's hash and the hash of every
    /// subtree it completes, as (level, index, hash), in stored order.
    public mutating func append(_ leafHash: [UInt8], store: (_ level: Int, _ index: Int, _ hash: [UInt8]) throws -> Void) rethrows {
        var (hash, level, index) = (leafHash, 0, size)
        try store(0, index, hash)
        while index & 1 == 1 {
            hash = MerkleHash.node(subtrees.removeLast(), hash)
            level += 1
            index >>= 1
            try store(level, index, hash)
        }
        subtrees.append(hash)
        size += 1
    }

    /// MTH of the tree's leaves.
    public var root: [UInt8] {
        guard var root = subtrees.last else { return MerkleHash.empty }
        for subtree in subtrees.dropLast().reversed() { root = MerkleHash.node(subtree, root) }
        return root
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
