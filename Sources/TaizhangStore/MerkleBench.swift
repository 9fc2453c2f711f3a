// What scripts/bench measures of the journal's tree (issue 24), on the
// writer's own code: the cost of appending entries (their leaves, the
// frontier, the stored hashes) and proofs read from a file of 10,000,000
// synthetic leaves.

import Foundation
import TaizhangCore

/// Clocks are the bench tool's (`cpuNanos`: this thread's CPU time;
/// `nanos`: a monotonic clock), so this code reads none itself.
public enum MerkleBench {
    /// Appends `entries` journal entries of about `entryBytes` each to the
    /// tree in `path` (a new file), in groups of `group` as the writer
    /// commits them: what the tree adds to the writer's work, the leaf's
    /// hash over the entry's canonical bytes (made once for the chain and
    /// the leaf), the frontier, the hashes stored. Returns CPU nanoseconds
    /// per entry.
    public static func appendCost(path: String, entries: Int, entryBytes: Int, group: Int, cpuNanos: () -> UInt64) throws -> Double {
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute(Migrations.all.first { $0.version == 18 }!.sql)
        let insert = try db.prepare(MerkleRows.insertHash)
        var frontier = MerkleFrontier()
        let body = String(repeating: "资", count: entryBytes / 3)
        var spent: UInt64 = 0
        var written = 0
        while written < entries {
            try db.execute("BEGIN IMMEDIATE")
            // The writer has each entry's canonical bytes already (it hashes them for the chain).
            let entriesOfGroup = (written..<min(written + group, entries)).map { seq in
                AuditChain.canonicalBytes(AuditEntry(seq: UInt64(seq + 1), time: "2026-12-07T08:00:00.000Z", identity: "uid:0", actor: "测试员",
                           method: "bench", requestId: "r\(seq)", requestSHA256: String(repeating: "a", count: 64),
                           recordKind: "asset", recordId: "ZC\(seq)", beforeJSON: "", afterJSON: body, prevHash: String(repeating: "b", count: 64)))
            }
            let started = cpuNanos()
            for bytes in entriesOfGroup {
                try frontier.append(MerkleHash.leaf(bytes)) { level, index, hash in
                    try insert.run([.int(Int64(MerkleStoredIndex.of(level: level, index: index))), .blob(hash)])
                }
            }
            spent += cpuNanos() - started
            try db.execute("COMMIT")
            written += entriesOfGroup.count
        }
        return Double(spent) / Double(entries)
    }

    /// A file holding the tree of `leaves` synthetic leaves (SHA-256 of
    /// each index), written as the writer would; returns its root.
    public static func buildSynthetic(path: String, leaves: Int) throws -> [UInt8] {
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=OFF")
        try db.execute(Migrations.all.first { $0.version == 18 }!.sql)
        let insert = try db.prepare(MerkleRows.insertHash)
        var frontier = MerkleFrontier()
        try db.execute("BEGIN")
        for index in 0..<leaves {
            try frontier.append(MerkleHash.leaf(withUnsafeBytes(of: UInt64(index).bigEndian, Array.init))) { level, number, hash in
                try insert.run([.int(Int64(MerkleStoredIndex.of(level: level, index: number))), .blob(hash)])
            }
            if index % 1_000_000 == 999_999 {
                try db.execute("COMMIT")
                try db.execute("BEGIN")
            }
        }
        try db.execute("COMMIT")
        return frontier.root
    }

    /// Serves `count` inclusion proofs of random leaves from the file, each
    /// in its own read transaction as the daemon does, and checks each.
    /// Returns the mean, 99th percentile and worst wall time (ns), and the
    /// largest proof's hashes.
    public static func proofs(path: String, leaves: Int, root: [UInt8], count: Int,
                              nanos: () -> UInt64) throws -> (meanNanos: Double, p99Nanos: UInt64, maxNanos: UInt64, maxHashes: Int) {
        let db = try SQLiteConnection(path: path, readOnly: true)
        var total: UInt64 = 0
        var times: [UInt64] = []
        var most = 0
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<count {
            let index = Int.random(in: 0..<leaves, using: &generator)
            let started = nanos()
            try db.execute("BEGIN")
            let path = try MerkleRows.tree(db, size: UInt64(leaves)).inclusionProof(index: index, size: leaves)
            try db.execute("COMMIT")
            let spent = nanos() - started
            total += spent
            times.append(spent)
            most = max(most, path.count)
            let leaf = MerkleHash.leaf(withUnsafeBytes(of: UInt64(index).bigEndian, Array.init))
            guard MerkleProof.verifyInclusion(leafHash: leaf, index: index, size: leaves, proof: path, root: root) else {
                throw LedgerError(.internal, "the proof of leaf \(index) does not verify")
            }
        }
        times.sort()
        return (Double(total) / Double(count), times[min(times.count - 1, times.count * 99 / 100)], times.last ?? 0, most)
    }
}
