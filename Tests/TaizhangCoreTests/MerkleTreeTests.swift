// RFC 9162's Merkle tree (issue 24): the roots, audit paths and consistency
// proofs of the Certificate Transparency test vectors (eight leaves, as the
// RFC 6962 implementations test them), every proof of every tree up to 17
// leaves verified, and a proof with one hash changed, or for another leaf,
// size or root, refused.

import Testing
import TaizhangCore

struct MerkleTreeTests {
    static let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(bytes)

    static func bytes(_ hex: String) -> [UInt8] { TaizhangCore.bytes(hex: hex)! }

    static let tree = MerkleTree(leafHashes: leaves.map { MerkleHash.leaf($0) })

    @Test func theRootsOfTheTestVectors() throws {
        let roots = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                     "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                     "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4", "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                     "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c", "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
        for (index, root) in roots.enumerated() { #expect(hexString(try Self.tree.root(size: index + 1)) == root, "size \(index + 1)") }
        #expect(hexString(try Self.tree.root(size: 0)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func theProofsOfTheTestVectors() throws {
        #expect(try Self.tree.inclusionProof(index: 0, size: 8).map(hexString) == [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"])
        #expect(try Self.tree.inclusionProof(index: 5, size: 8).map(hexString) == [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"])
        #expect(try Self.tree.consistencyProof(from: 3, to: 7).map(hexString) == [
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7", "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"])
        #expect(try Self.tree.consistencyProof(from: 4, to: 8).map(hexString) == ["6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"])
    }

    @Test func everyProofOfEveryTreeUpTo17Leaves_verifies_andAnAlteredOneDoesNot() throws {
        let tree = MerkleTree(leafHashes: (0..<17).map { MerkleHash.leaf([UInt8($0), 0x7a]) })
        for size in 1...17 {
            let root = try tree.root(size: size)
            for index in 0..<size {
                let leafHash = try tree.hash(index, index + 1)
                let proof = try tree.inclusionProof(index: index, size: size)
                #expect(MerkleProof.verifyInclusion(leafHash: leafHash, index: index, size: size, proof: proof, root: root), "\(index) in \(size)")
                if size > 1 {
                    // Against another head's root (a head binds its size and root).
                    #expect(!MerkleProof.verifyInclusion(leafHash: leafHash, index: index, size: size, proof: proof, root: try tree.root(size: size - 1)))
                    #expect(!MerkleProof.verifyInclusion(leafHash: leafHash, index: (index + 1) % size, size: size, proof: proof, root: root))
                    for position in proof.indices {
                        var altered = proof
                        altered[position][position % 32] ^= 1
                        #expect(!MerkleProof.verifyInclusion(leafHash: leafHash, index: index, size: size, proof: altered, root: root))
                    }
                }
            }
            for first in 0...size {
                let proof = try tree.consistencyProof(from: first, to: size)
                let firstRoot = try tree.root(size: first)
                #expect(MerkleProof.verifyConsistency(first: first, second: size, firstRoot: firstRoot, secondRoot: root, proof: proof), "\(first) to \(size)")
                guard first > 0, first < size else { continue }
                var otherRoot = root
                otherRoot[0] ^= 1
                #expect(!MerkleProof.verifyConsistency(first: first, second: size, firstRoot: firstRoot, secondRoot: otherRoot, proof: proof))
                for position in proof.indices {
                    var altered = proof
                    altered[position][31] ^= 0x80
                    #expect(!MerkleProof.verifyConsistency(first: first, second: size, firstRoot: firstRoot, secondRoot: root, proof: altered))
                }
            }
        }
    }
}

@Suite struct MerkleFrontierTests {
    /// The frontier's root after each append is the tree's root, and it
    /// stores each perfect subtree once, at increasing places.
    @Test func appending_givesTheTreesRoots_andStoresInIncreasingPlaces() throws {
        let leaves = (0..<70).map { MerkleHash.leaf([UInt8($0)]) }
        var frontier = MerkleFrontier()
        var stored: [Int: [UInt8]] = [:]
        var lastPlace = -1
        for (index, leaf) in leaves.enumerated() {
            frontier.append(leaf) { level, number, hash in
                let place = MerkleStoredIndex.of(level: level, index: number)
                #expect(place == lastPlace + 1)
                lastPlace = place
                stored[place] = hash
            }
            let tree = MerkleTree(leafHashes: Array(leaves[...index]))
            #expect(frontier.root == (try tree.root(size: index + 1)))
            #expect(stored.count == MerkleStoredIndex.count(size: index + 1))
            // The frontier read back from the stored subtrees is the same.
            #expect(MerkleFrontier(size: index + 1) { stored[MerkleStoredIndex.of(level: $0, index: $1)]! } == frontier)
        }
        // A tree reading only stored subtrees proves as the one made from leaves.
        let kept = stored
        let fromStore = MerkleTree(count: leaves.count) { kept[MerkleStoredIndex.of(level: $0, index: $1)]! }
        let fromLeaves = MerkleTree(leafHashes: leaves)
        for size in [1, 2, 5, 33, 64, 70] {
            for index in 0..<size {
                #expect(try fromStore.inclusionProof(index: index, size: size) == fromLeaves.inclusionProof(index: index, size: size))
            }
            for first in 0...size {
                #expect(try fromStore.consistencyProof(from: first, to: size) == fromLeaves.consistencyProof(from: first, to: size))
            }
        }
        #expect(MerkleFrontier().root == MerkleHash.empty)
    }
}

@Suite struct TreeHeadTests {
    /// RFC 8032 §7.1, test 2: the key and signature of a one-byte message.
    @Test func ed25519_matchesRFC8032() throws {
        let key = try Ed25519SigningKey(seed: bytes(hex: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")!)
        #expect(hexString(key.publicKey.bytes) == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        let signature = try key.signature(for: [0x72])
        #expect(hexString(signature) == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(key.publicKey.verifies(signature, for: [0x72]))
        #expect(!key.publicKey.verifies(signature, for: [0x73]))
        #expect(try Ed25519PublicKey(text: key.publicKey.description) == key.publicKey)
        #expect(throws: Ed25519Error.self) { try Ed25519PublicKey(text: "ed25519:AAAA") }
    }

    @Test func aCheckpoint_readsBackAndRefusesWhatIsNotOne() throws {
        let head = TreeHead(origin: "taizhang/abc", size: 42, rootHash: [UInt8](repeating: 7, count: 32), time: "2026-12-07T08:00:00.000Z")
        #expect(try TreeHead.parse(head.body).get() == head)
        #expect(head.body == "taizhang/abc\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\ntime 2026-12-07T08:00:00.000Z\n")
        for bad in ["taizhang/abc\n42\n", "taizhang/abc\n042\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\ntime x\n",
                    "taizhang/abc\n42\nBwcH\ntime x\n", "taizhang/abc\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nwhen x\n"] {
            #expect(throws: TransparencyError.self) { try TreeHead.parse(bad).get() }
        }
        for text in ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg=="] { #expect(Base64.decode(text).map(Base64.encode) == text) }
        #expect(Base64.decode("Zm9=") == nil)
        #expect(Base64.decode("Z===") == nil)
    }
}
