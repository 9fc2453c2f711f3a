// The journal as a transparency log (issue 24), against a real SQLite
// file: the writer's tree matches the tree made from the entries, heads
// are signed on demand, proofs verify, and what is changed behind the
// daemon's back is found, even when the tamperer rebuilt the tree.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite struct TransparencyLogTests {
    func openStore(_ directory: String, key: Ed25519SigningKey, delay: Int = 0) throws -> SQLiteLedgerStore {
        try openStore(SQLiteStoreConfiguration(dataDirectory: directory), key: key, delay: delay)
    }

    func openStore(_ place: StorePlace, key: Ed25519SigningKey, delay: Int = 0) throws -> SQLiteLedgerStore {
        try openStore(place.configuration, key: key, delay: delay)
    }

    func openStore(_ base: SQLiteStoreConfiguration, key: Ed25519SigningKey, delay: Int = 0) throws -> SQLiteLedgerStore {
        var configuration = base
        configuration.treeHeadKey = key
        configuration.faultCommitDelayMillis = delay
        return try SQLiteLedgerStore(configuration: configuration)
    }

    func leaves(_ store: SQLiteLedgerStore) throws -> [[UInt8]] {
        try store.auditEntries(recordId: nil, afterSeq: 0, limit: 100_000).map(AuditChain.leafHash)
    }

    func signHead(_ store: SQLiteLedgerStore) -> SignedTreeHead? {
        _ = submit(store, .signTreeHead)
        return store.latestTreeHead?.head
    }

    @Test(arguments: Engine.allCases) func theWritersTree_isTheTreeOfTheEntries_andItsProofsVerify(engine: Engine) throws {
        let key = Ed25519SigningKey.generate()
        let place = try StorePlace(engine)
        var store = try openStore(place, key: key)
        seedUnits(store)
        let first = try #require(signHead(store))
        #expect(first.head.size == store.statistics().auditHeadSeq)
        #expect(first.head.origin == "taizhang/" + store.ledgerId)
        #expect(first.verifies(with: key.publicKey))
        #expect(!first.verifies(with: Ed25519SigningKey.generate().publicKey))
        // No growth, no new head.
        #expect(signHead(store) == first)
        for number in 0..<9 { _ = submit(store, .registerAssets([sampleAsset(code: "A-\(number)")], batch: false)) }
        // Reopened: the writer goes on from the stored frontier.
        store.close()
        store = try openStore(place, key: key)
        defer { store.close() }
        #expect(store.latestTreeHead?.head == first)
        #expect(store.latestTreeHead?.key == key.publicKey)
        _ = submit(store, .registerAssets([sampleAsset(code: "B")], batch: false))
        let second = try #require(signHead(store))
        let leaves = try leaves(store)
        #expect(second.head.size == UInt64(leaves.count))
        let tree = MerkleTree(leafHashes: leaves)
        #expect(second.head.rootHash == (try tree.root(size: leaves.count)))
        #expect(try store.treeRoot(size: first.head.size) == first.head.rootHash)
        // One stored hash per perfect subtree, no more.
        var stored = 0
        try store.pool.point { db in try db.prepare("SELECT COUNT(*) FROM merkle_hashes").query([]) { stored = Int($0.int(0)) } }
        #expect(stored == MerkleStoredIndex.count(size: leaves.count))
        for index in leaves.indices {
            let path = try store.inclusionProof(index: UInt64(index), size: second.head.size)
            #expect(path == (try tree.inclusionProof(index: index, size: leaves.count)))
            #expect(MerkleProof.verifyInclusion(leafHash: leaves[index], index: index, size: leaves.count, proof: path, root: second.head.rootHash))
        }
        let consistency = try store.consistencyProof(from: first.head.size, to: second.head.size)
        #expect(MerkleProof.verifyConsistency(first: Int(first.head.size), second: Int(second.head.size),
                                              firstRoot: first.head.rootHash, secondRoot: second.head.rootHash, proof: consistency))
        #expect(try store.treeHead(size: first.head.size)?.head == first)
        #expect(try store.treeHead(size: first.head.size)?.key == key.publicKey)
        #expect(try store.verifyAuditChain().intact)
    }

    /// A stored hash where the next entry's leaf goes (left by a journal
    /// cut short, or put in behind the daemon's back) does not stop the
    /// writer: on PostgreSQL its plain insert fails the group sent whole,
    /// which is written again with upserts; the stale hash is replaced.
    @Test(arguments: Engine.allCases) func aStaleHashWhereTheNextLeafGoes_isReplaced(engine: Engine) throws {
        let place = try StorePlace(engine)
        let store = try openStore(place, key: .generate())
        defer { store.close() }
        seedUnits(store)
        let size = Int(store.statistics().auditHeadSeq)
        let next = MerkleStoredIndex.of(level: 0, index: size)
        let zeros = engine == .sqlite ? "zeroblob(32)" : "decode(repeat('00', 32), 'hex')"
        #expect(try place.tamper("INSERT INTO merkle_hashes(id, hash) VALUES (\(next), \(zeros))") == 0)
        #expect(try submit(store, .registerAssets([sampleAsset(code: "S-1")], batch: false)).get().assetIds.hasPrefix("ZC"))
        var stored: [UInt8] = []
        try store.pool.point { db in try db.prepare("SELECT hash FROM merkle_hashes WHERE id = ?").query([.int(Int64(next))]) { stored = $0.blob(0) } }
        #expect(stored == (try leaves(store))[size])
        #expect(try store.verifyAuditChain().intact)
    }

    /// A mutation refused inside a group (its savepoint rolled back) leaves
    /// no leaf behind: the others' leaves follow on, and the tree verifies.
    @Test(arguments: Engine.allCases) func aMutationRolledBackInAGroup_leavesNoLeaf(engine: Engine) throws {
        let store = try openStore(StorePlace(engine), key: .generate(), delay: 100)
        defer { store.close() }
        seedUnits(store)
        _ = submitTogether(store, [
            (.registerAssets([sampleAsset(code: "X1")], batch: false), context()),
            (.registerAssets([sampleAsset(code: "X1")], batch: false), context()),
            (.registerAssets([sampleAsset(code: "X2")], batch: false), context()),
            (.signTreeHead, context()),
        ])
        let head = try #require(store.latestTreeHead?.head)
        let leaves = try leaves(store)
        #expect(head.head.size == UInt64(leaves.count))
        #expect(head.head.rootHash == (try MerkleTree(leafHashes: leaves).root(size: leaves.count)))
        #expect(try store.verifyAuditChain().intact)
    }

    /// One byte of one row changed with sqlite3, the stored hashes left
    /// as they were: the leaf made from the row differs from the stored one.
    @Test func aRowEditedBehindTheDaemonsBack_failsTheTreeCheck() throws {
        let directory = temporaryDirectory()
        let store = try openStore(directory, key: .generate())
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        _ = signHead(store)
        #expect(try sqlite3(directory + "/taizhang.db", "UPDATE audit_journal SET actor = '测试贝' WHERE seq = 3") == 0)
        let result = try store.verifyAuditChain()
        #expect(!result.intact)
        #expect(result.mismatches.contains { $0.table == "merkle_hashes" && $0.id == "0/2" && $0.problem.contains("entry 3") })
        #expect(result.mismatches.contains { $0.table == "tree_heads" })
    }

    /// A tamperer who rewrites a row, re-hashes the chain after it and
    /// rebuilds the whole tree passes the chain walk, but not the signed
    /// heads: the old head's root is not the new tree's, and no
    /// consistency proof leads from the head someone kept to the new tree.
    @Test func aRewrittenHistory_failsTheHeadsAndConsistencyFromAKeptHead() throws {
        let directory = temporaryDirectory()
        let key = Ed25519SigningKey.generate()
        var store = try openStore(directory, key: key)
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        let kept = try #require(signHead(store))
        store.close()
        // The rewrite: entry 2 changed, every hash after it made again, the tree rebuilt.
        let db = try SQLiteConnection(path: directory + "/taizhang.db")
        var entries: [AuditEntry] = []
        try db.prepare("""
            SELECT seq, time, identity, actor, method, request_id, request_sha256, record_kind, record_id,
                   before_json, after_json, prev_hash, hash, idempotency_key FROM audit_journal ORDER BY seq
            """).query([]) { entries.append(SQLiteReader.entry($0)) }
        entries[1].actor = "冒名者"
        var previous = AuditChain.genesisHash
        try db.execute("BEGIN")
        for index in entries.indices {
            entries[index].prevHash = previous
            entries[index] = AuditChain.seal(entries[index])
            previous = entries[index].hash
            try db.prepare("UPDATE audit_journal SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?")
                .run([.text(entries[index].actor), .text(entries[index].prevHash), .text(entries[index].hash), .int(Int64(entries[index].seq))])
        }
        try db.execute("DELETE FROM merkle_hashes")
        try MerkleRows.build(db)
        try db.execute("COMMIT")
        store = try openStore(directory, key: key)
        defer { store.close() }
        let result = try store.verifyAuditChain(expectedHead: nil)
        #expect(result.chainIntact)
        #expect(!result.intact)
        #expect(result.mismatches.contains { $0.table == "tree_heads" && $0.id == "size \(kept.head.size)" })
        // The tamperer signs a new head over the rewritten tree …
        _ = submit(store, .registerAssets([sampleAsset(code: "Z")], batch: false))
        let forged = try #require(signHead(store))
        let proof = try store.consistencyProof(from: kept.head.size, to: forged.head.size)
        // … and the proof holds only for the rewritten root, not the one kept.
        #expect(!MerkleProof.verifyConsistency(first: Int(kept.head.size), second: Int(forged.head.size),
                                               firstRoot: kept.head.rootHash, secondRoot: forged.head.rootHash, proof: proof))
        let document = ConsistencyProofDocument(firstSize: kept.head.size, firstRoot: try store.treeRoot(size: kept.head.size), proof: proof,
                                                signedHead: forged.document(key: key.publicKey))
        #expect(document.problems(key: key.publicKey, keptRoot: nil).isEmpty)
        #expect(document.problems(key: key.publicKey, keptRoot: kept.head.rootHash).contains { $0.contains("rewritten") })
    }

    /// Sizes past the journal, or a leaf outside the tree, are refused
    /// with a status (never a crash); a head signed by a key the daemon
    /// was not given is named by the check.
    @Test func sizesPastTheJournal_areRefused_andAnUntrustedKeyIsNamed() throws {
        let directory = temporaryDirectory()
        let key = Ed25519SigningKey.generate()
        var store = try openStore(directory, key: key)
        seedUnits(store)
        let head = try #require(signHead(store))
        let size = head.head.size
        #expect { _ = try store.treeRoot(size: size + 1) } throws: { ($0 as? LedgerError)?.code == .notFound }
        #expect { _ = try store.inclusionProof(index: size, size: size) } throws: { ($0 as? LedgerError)?.code == .invalidArgument }
        #expect { _ = try store.consistencyProof(from: size, to: size - 1) } throws: { ($0 as? LedgerError)?.code == .invalidArgument }
        #expect { _ = try store.consistencyProof(from: 1, to: size + 5) } throws: { ($0 as? LedgerError)?.code == .notFound }
        #expect(try store.verifyAuditChain().intact)
        store.close()
        // Reopened with another key: the old head is named, until its key is declared retired.
        var configuration = SQLiteStoreConfiguration(dataDirectory: directory)
        configuration.treeHeadKey = .generate()
        store = try SQLiteLedgerStore(configuration: configuration)
        let result = try store.verifyAuditChain()
        #expect(result.mismatches.contains { $0.table == "tree_heads" && $0.problem.contains("neither the daemon's key") })
        store.close()
        configuration.retiredTreeHeadKeys = [key.publicKey]
        store = try SQLiteLedgerStore(configuration: configuration)
        defer { store.close() }
        #expect(try store.verifyAuditChain().intact)
        #expect(store.latestTreeHead?.key == key.publicKey)
    }

    /// A journal written before the tree was kept (schema 17) gets its
    /// tree when migrated: the same hashes the writer would have stored.
    @Test func migration18_buildsTheTreeTheWriterWouldHave() throws {
        let directory = temporaryDirectory()
        let store = try openStore(directory, key: .generate())
        seedUnits(store)
        for number in 0..<6 { _ = submit(store, .registerAssets([sampleAsset(code: "M\(number)")], batch: false)) }
        store.close()
        let db = try SQLiteConnection(path: directory + "/taizhang.db")
        var written: [SQLValue] = []
        try db.prepare("SELECT id, hash FROM merkle_hashes ORDER BY id").query([]) { written += [$0.value(0), $0.value(1)] }
        try db.execute("DELETE FROM merkle_hashes")
        try MerkleRows.build(db)
        var rebuilt: [SQLValue] = []
        try db.prepare("SELECT id, hash FROM merkle_hashes ORDER BY id").query([]) { rebuilt += [$0.value(0), $0.value(1)] }
        #expect(written.count == 2 * MerkleStoredIndex.count(size: 10))
        #expect(rebuilt == written)
    }
}
