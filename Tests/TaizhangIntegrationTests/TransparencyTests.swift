// The journal as a transparency log, end to end (issue 24): a real daemon
// signs heads and hands out proofs; `taizhang audit check` and the
// stand-alone Python verifier (a second implementation, from the format's
// documentation) accept them, and refuse them with one hash changed or
// with another key; a row edited behind the daemon's back fails the check.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(4)))
struct TransparencyTests {
    static let verifier = ClientsTests.root + "/clients/python/taizhang_verify.py"

    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "tz-proof-" + UUID().uuidString + ".json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Both checkers' verdicts on `document`: (taizhang audit check, python).
    static func check(_ document: String, key: String, root: String? = nil) throws -> (CLITests.Run, CLITests.Run) {
        let path = try write(document)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let extra = root.map { ["--root", $0] } ?? []
        return (try CLITests.taizhang(["audit", "check", path, "--key", key, "--lang", "en"] + extra, socket: ""),
                try CLITests.run("/usr/bin/env", ["python3", verifier, path, "--key", key] + extra))
    }

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    static func text(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func aRecordsProof_andAConsistencyProof_holdInBothCheckers_andFailAltered() async throws {
        let daemon = try DaemonProcess()
        defer { _ = daemon.stop() }
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "TL-1"))
        let keyRun = try CLITests.taizhang(["audit", "key"], socket: daemon.socketPath)
        #expect(keyRun.status == 0, "\(keyRun.stderr)")
        let key = String(keyRun.stdout.split(separator: "\n").last ?? "")
        #expect(key.hasPrefix("ed25519:") && key.count == 52)

        // The head someone keeps, then more of the ledger.
        let kept = try Self.json(try CLITests.taizhang(["audit", "head", "--new"], socket: daemon.socketPath).stdout)
        let keptSize = try #require(kept["tree_size"] as? Int)
        let keptRoot = try #require(kept["root_hash"] as? String)
        for number in 2...5 { _ = try await Fixture.register(client, Fixture.asset(code: "TL-\(number)")) }

        let prove = try CLITests.taizhang(["audit", "prove", "--record", asset.id], socket: daemon.socketPath)
        #expect(prove.status == 0, "\(prove.stderr)")
        let proof = try Self.json(prove.stdout)
        #expect((proof["entry"] as? [String: Any])?["record_id"] as? String == asset.id)
        // The newest head already holds the entry: no new one is signed for it.
        #expect(proof["tree_size"] as? Int == keptSize)
        let (swift, python) = try Self.check(prove.stdout, key: key)
        #expect(swift.status == 0, "\(swift.stdout)\(swift.stderr)")
        #expect(python.status == 0, "\(python.stdout)\(python.stderr)")

        // One hash of the path changed, the entry changed, another key: refused by both.
        var altered = proof
        var path = try #require(proof["audit_path"] as? [String])
        path[0] = String(path[0].dropLast()) + (path[0].hasSuffix("0") ? "1" : "0")
        altered["audit_path"] = path
        var entry = try #require(proof["entry"] as? [String: Any])
        entry["actor"] = "冒名者"
        var forged = proof
        forged["entry"] = entry
        let other = try CLITests.run("/usr/bin/env", ["python3", "-c", "import os,base64;print('ed25519:'+base64.b64encode(bytes(32)).decode())"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for (document, checkKey, failure) in [(try Self.text(altered), key, "audit path"), (try Self.text(forged), key, "altered"),
                                              (prove.stdout, other, "signature")] {
            let (swift, python) = try Self.check(document, key: checkKey)
            #expect(swift.status == 4, "\(swift.stdout)")
            #expect(swift.stdout.contains(failure), "\(swift.stdout)")
            #expect(python.status == 4, "\(python.stdout)\(python.stderr)")
            #expect(python.stdout.contains("FAIL"))
        }

        // The newest head extends the kept one; a root that is not the kept one fails.
        let consistency = try CLITests.taizhang(["audit", "consistency", "--from", String(keptSize)], socket: daemon.socketPath)
        #expect(consistency.status == 0, "\(consistency.stderr)")
        let (swiftKept, pythonKept) = try Self.check(consistency.stdout, key: key, root: keptRoot)
        #expect(swiftKept.status == 0, "\(swiftKept.stdout)")
        #expect(pythonKept.status == 0, "\(pythonKept.stdout)\(pythonKept.stderr)")
        let wrongRoot = String(repeating: "ab", count: 32)
        let (swiftWrong, pythonWrong) = try Self.check(consistency.stdout, key: key, root: wrongRoot)
        #expect(swiftWrong.status == 4 && swiftWrong.stdout.contains("rewritten"), "\(swiftWrong.stdout)")
        #expect(pythonWrong.status == 4)
    }

    /// A clerk who reads the ledger (not the journal) proves a record by
    /// its id and gets its hashes, not the entry; an entry by seq, and the
    /// entry's contents, need audit.read.
    @Test func aLedgerReader_getsTheHashes_notTheJournal() async throws {
        let access = try AccessFixture.file([(name: "root", role: "county_clerk+auditor", scope: "", uids: [0]),
                                             (name: "clerk", role: "viewer", scope: "", uids: [])])
        let clerk = AccessFixture.bearer(try AccessFixture.token(access, identity: "clerk"))
        let daemon = try DaemonProcess(extraArguments: ["--access-file", access])
        defer { _ = daemon.stop() }
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "TL-R"))
        let full = try await client.unary(RPC.Ledger.proveRecord, .with { $0.recordID = asset.id })
        #expect(full.entry.recordID == asset.id && !full.entry.afterJson.isEmpty)
        let hashes = try await client.unary(RPC.Ledger.proveRecord, .with { $0.recordID = asset.id; $0.treeSize = full.treeSize }, metadata: clerk)
        #expect(hashes.entry.seq == full.entry.seq && hashes.entry.afterJson.isEmpty && hashes.entry.actor.isEmpty)
        #expect(hashes.leafHash == full.leafHash && hashes.auditPath == full.auditPath && hashes.rootHash == full.rootHash)
        do {
            _ = try await client.unary(RPC.Ledger.proveRecord, .with { $0.seq = 1 }, metadata: clerk)
            Issue.record("an entry by seq was proved to a ledger reader")
        } catch let error as RPCError {
            #expect(error.status.code == .permissionDenied && error.status.message.contains("audit.read"))
        }
        // Sizes past the journal are answered, never a crash.
        for request in [Taizhang_Ledger_V1_ProveConsistencyRequest.with { $0.firstSize = 1; $0.secondSize = full.treeSize + 1_000 },
                        .with { $0.firstSize = UInt64.max }] {
            do {
                _ = try await client.unary(RPC.Ledger.proveConsistency, request)
                Issue.record("a consistency proof past the journal was answered")
            } catch let error as RPCError {
                #expect([.notFound, .invalidArgument].contains(error.status.code), "\(error.status)")
            }
        }
        #expect(try await client.unary(RPC.System.health, .init()).status == .serving)
    }

    /// One byte of one journal row changed with sqlite3 while the daemon
    /// was stopped: the leaf made from the row is not the stored one.
    @Test func aJournalRowEditedBehindTheDaemonsBack_failsVerify() async throws {
        let daemon = try DaemonProcess()
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        _ = try await Fixture.register(client, Fixture.asset(code: "TL-9"))
        _ = try await client.unary(RPC.Ledger.getTreeHead, .with { $0.signNew = true })
        await client.close()
        #expect(daemon.stop() == 0)
        #expect(try TamperTests.sqlite3(daemon.dataDirectory + "/taizhang.db", "UPDATE audit_journal SET time = replace(time, '.', ',') WHERE seq = 4") == 0)
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { _ = restarted.stop() }
        let again = try await restarted.connect()
        defer { Task { await again.close() } }
        let result = try await again.unary(RPC.Ledger.verifyAuditChain, .init())
        #expect(!result.intact)
        #expect(result.mismatches.contains { $0.table == "merkle_hashes" && $0.problem.contains("entry 4") })
        #expect(result.mismatches.contains { $0.table == "tree_heads" })
        // The check after start holds the ledger: no proof then vouches for it, no head is signed over it.
        var status = try await again.unary(RPC.System.status, .init())
        let deadline = ContinuousClock.now + .seconds(30)
        while status.heldReason.isEmpty, ContinuousClock.now < deadline {
            status = try await again.unary(RPC.System.status, .init())
        }
        #expect(status.heldReason.contains("merkle_hashes") || status.heldReason.contains("chain"), "\(status.heldReason)")
        for call in [{ _ = try await again.unary(RPC.Ledger.proveConsistency, .with { $0.firstSize = 2 }) },
                     { _ = try await again.unary(RPC.Ledger.proveRecord, .with { $0.seq = 2 }) },
                     { _ = try await again.unary(RPC.Ledger.getTreeHead, .with { $0.signNew = true }) }] as [() async throws -> Void] {
            do {
                try await call()
                Issue.record("a proof or a head was given over a held ledger")
            } catch let error as RPCError {
                #expect(error.status.code == .failedPrecondition, "\(error.status)")
            }
        }
    }
}
