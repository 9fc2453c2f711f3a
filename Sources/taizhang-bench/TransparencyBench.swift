// scripts/bench's transparency-log figures (issue 24), run on the store's
// own tree code with no daemon: the writer's CPU per appended entry, and
// proofs of one leaf among 10,000,000.

import Foundation
import Glibc
import TaizhangStore

enum TransparencyBench {
    static func clock(_ id: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(id, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func run(directory: String, leaves: Int, proofs: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let append = try MerkleBench.appendCost(path: directory + "/append.db", entries: 200_000, entryBytes: 1_500, group: 64,
                                                 cpuNanos: { clock(CLOCK_THREAD_CPUTIME_ID) })
        print(String(format: "transparency: appending 200,000 entries of 1.5 KB in groups of 64 (leaf hash, frontier, stored hashes): %.2f µs CPU per entry", append / 1_000))
        let started = Date()
        let root = try MerkleBench.buildSynthetic(path: directory + "/tree.db", leaves: leaves)
        print(String(format: "transparency: a tree of %d synthetic leaves written in %.1f s", leaves, Date().timeIntervalSince(started)))
        let result = try MerkleBench.proofs(path: directory + "/tree.db", leaves: leaves, root: root, count: proofs,
                                            nanos: { clock(CLOCK_MONOTONIC) })
        // RFC 9162's binary form: leaf index and tree size (8 bytes each), the path's length (2) and hashes (1 + 32 each).
        let binary = 8 + 8 + 2 + result.maxHashes * 33
        print(String(format: "transparency: inclusion proof of a random leaf of %d, read from the file and checked, %d proofs: mean %.1f µs, 99th percentile %.1f µs, worst %.1f µs; at most %d hashes, %d bytes in RFC 9162's binary form",
                     leaves, proofs, result.meanNanos / 1_000, Double(result.p99Nanos) / 1_000, Double(result.maxNanos) / 1_000, result.maxHashes, binary))
    }
}
