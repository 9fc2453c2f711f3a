// The journal's head anchored outside the database (issue 18): taizhangd
// in a private mount namespace with its own systemd-journald (as in
// JournaldTests), stopped and started again on the same journal files.
// A change cut out whole, its row and its journal entry, agrees with the
// journal and passes the plain check; the head anchored in journald at the
// clean stop finds it at the next start: the ledger is held read-only, a
// critical alert goes to journald, and an operator's `taizhang audit
// accept` (journaled) lets it take changes again. Rows edited behind the
// daemon's back are found by the check right after start.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct AnchorTests {
    static let anchorMessageId = "3f1e9b7c2a5d4e8f9c0b1a2d3e4f5a6b"
    static let heldMessageId = "9d2c4b6a8e0f4a1c3e5b7d9f1a3c5e70"

    /// taizhangd on `dataDirectory` with a journald over `scratch`, whose
    /// journal files outlive one start. The stale sockets of an earlier
    /// journald go first, so the wrapper waits for the new one.
    static func start(scratch: String, dataDirectory: String) throws -> (daemon: DaemonProcess, journald: Int32) {
        try? FileManager.default.removeItem(atPath: scratch + "/systemd")
        let daemon = try DaemonProcess(dataDirectory: dataDirectory,
                                       wrapper: ["/usr/bin/unshare", "--mount", "--propagation", "private", "--",
                                                 "/bin/sh", "-c", JournaldTests.wrapperScript, "sh", scratch])
        let journald = Int32(try String(contentsOfFile: scratch + "/journald.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return (daemon, journald)
    }

    /// Entries of the journal in `scratch` matching `matches`, once the
    /// namespace's journald (through `journald`'s mount namespace) wrote out everything sent.
    static func entries(_ scratch: String, journald: Int32, _ matches: [String]) throws -> [[String: Any]] {
        try JournaldTests.entries(directory: scratch + "/log/journal", namespaceOf: journald, matches: matches)
    }

    /// SIGTERM, then the stop anchor at `head` is awaited in the journal
    /// (with no head, a held ledger anchors nothing: the exit, a zombie
    /// until reaped, is awaited) before journald goes: it holds a
    /// descriptor the exit is watched on.
    static func stop(_ daemon: DaemonProcess, journald: Int32, scratch: String, head: UInt64?) throws -> Int32 {
        kill(daemon.pid, SIGTERM)
        var done = false
        let deadline = ContinuousClock.now + .seconds(30)
        while !done, ContinuousClock.now < deadline {
            if let head {
                done = try entries(scratch, journald: journald, ["MESSAGE_ID=\(anchorMessageId)", "TAIZHANG_ANCHOR_EVENT=stop"])
                    .contains { $0["TAIZHANG_AUDIT_HEAD_SEQ"] as? String == String(head) }
            } else {
                let stat = (try? String(contentsOfFile: "/proc/\(daemon.pid)/stat", encoding: .utf8)) ?? ""
                done = stat.isEmpty || stat.split(separator: ")").last?.split(separator: " ").first == "Z"
            }
        }
        #expect(done, "the daemon did not stop (head \(head.map(String.init) ?? "none"))")
        _ = try entries(scratch, journald: journald, [])
        kill(journald, SIGKILL)
        return daemon.waitForExit()
    }

    static func field(_ entry: [String: Any], _ key: String) -> String { entry[key] as? String ?? "" }

    /// A scratch folder for journald's /run and a data directory beside it.
    static func folders() throws -> (scratch: String, data: String) {
        let scratch = NSTemporaryDirectory() + "tz-anchor-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        return (scratch, scratch + "-data")
    }

    static func remove(_ folders: String...) {
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func aChangeCutOutWithItsJournalEntry_isFoundAtStart_andTheLedgerIsHeldUntilAnOperatorAccepts() async throws {
        let (scratch, data) = try Self.folders()
        defer { Self.remove(scratch, data) }

        var (daemon, journald) = try Self.start(scratch: scratch, dataDirectory: data)
        let first = try await daemon.connect()
        try await Fixture.seed(first)
        let cut = try await Fixture.register(first, Fixture.asset(code: "CUT-9"))
        let before = try await first.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        await first.close()
        #expect(before.heldReason.isEmpty && before.ledgerID.count == 32)
        #expect(try Self.stop(daemon, journald: journald, scratch: scratch, head: before.auditHeadSeq) == 0)
        let starts = try JournaldTests.output(["/usr/bin/journalctl", "-D", scratch + "/log/journal", "-o", "json",
                                               "MESSAGE_ID=\(Self.anchorMessageId)", "TAIZHANG_LEDGER_ID=\(before.ledgerID)"]).1
        #expect(String(decoding: starts, as: UTF8.self).contains("\"TAIZHANG_ANCHOR_EVENT\":\"start\""))

        // The asset and its entry cut out together: the ledger agrees with its journal again.
        #expect(try TamperTests.sqlite3(data + "/taizhang.db",
                                        "UPDATE unit_counts SET assets = assets - 1 WHERE stage = (SELECT stage FROM assets WHERE id = '\(cut.id)') AND (unit_code = '' OR unit_code IN (SELECT unit_code FROM asset_units WHERE asset_id = '\(cut.id)')); DELETE FROM unit_counts WHERE assets = 0; DELETE FROM assets WHERE id = '\(cut.id)'; DELETE FROM asset_units WHERE asset_id = '\(cut.id)'; DELETE FROM totals_basis; DELETE FROM audit_journal WHERE seq = \(before.auditHeadSeq);") == 0)

        (daemon, journald) = try Self.start(scratch: scratch, dataDirectory: data)
        let client = try await daemon.connect()
        let held = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        #expect(held.heldReason.contains("entries were cut from the end"), "\(held.heldReason)")
        #expect(held.warnings.contains(held.heldReason))
        #expect(held.auditHeadSeq == before.auditHeadSeq - 1)
        // Reads go on; every change is refused, and says what to do.
        let units = try await client.unary(RPC.Ledger.listAdminUnits, Taizhang_Ledger_V1_ListAdminUnitsRequest())
        #expect(units.units.count == 5)
        do {
            _ = try await Fixture.register(client, Fixture.asset(code: "AFTER-1"))
            Issue.record("a change was accepted while the ledger was held")
        } catch let error as RPCError {
            #expect(error.status.code == .failedPrecondition)
            #expect(error.status.message.contains("held read-only") && error.status.message.contains("taizhang audit accept"))
        }
        let alerts = try Self.entries(scratch, journald: journald, ["MESSAGE_ID=\(Self.heldMessageId)"])
        #expect(alerts.count == 1)
        #expect(alerts.first.map { Self.field($0, "PRIORITY") } == "2")
        #expect(alerts.first.map { Self.field($0, "MESSAGE") }?.hasPrefix("【严重】台账与审计链不符，已转为只读") == true)
        #expect(alerts.first.map { Self.field($0, "TAIZHANG_LEDGER_ID") } == before.ledgerID)

        // The operator accepts the head as it stands now, not another one, and without an idempotency-key.
        let current = "\(held.auditHeadSeq):\(held.auditHeadHash)"
        let keyed = try await client.call(RPC.Ledger.acceptAuditHead.path, payload: try Taizhang_Ledger_V1_AcceptAuditHeadRequest.with {
            $0.headSeq = held.auditHeadSeq
            $0.headHash = held.auditHeadHash
            $0.reason = "retry"
        }.serializedData(), metadata: ["idempotency-key": "accept-1"])
        #expect(keyed.status.code == .invalidArgument && keyed.status.violations.map(\.field) == ["idempotency-key"])
        let wrong = try CLITests.taizhang(["audit", "accept", "--head", "\(before.auditHeadSeq):\(before.auditHeadHash)", "--reason", "x"],
                                          socket: daemon.socketPath)
        #expect(wrong.status != 0 && wrong.stderr.contains(current), "\(wrong.stderr)")
        let accept = try CLITests.taizhang(["audit", "accept", "--head", current, "--reason", "核实：CUT-9 为误录，已删除", "--lang", "en"],
                                           socket: daemon.socketPath)
        #expect(accept.status == 0, "\(accept.stderr)")
        #expect(accept.stdout.contains("head accepted"))
        let after = try await Fixture.register(client, Fixture.asset(code: "AFTER-1"))
        #expect(after.code == "AFTER-1")
        let note = try await client.unary(RPC.Ledger.getAuditEntry, .with { $0.seq = held.auditHeadSeq + 1 })
        #expect(note.recordKind == "ledger" && note.recordID == before.ledgerID)
        #expect(note.afterJson.contains("\"accepted\":\"\(current)\"") && note.afterJson.contains("核实"))
        let verify = try await client.unary(RPC.Ledger.verifyAuditChain, Taizhang_Ledger_V1_VerifyAuditChainRequest())
        #expect(verify.intact, "\(verify.mismatches)")
        let status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        #expect(status.heldReason.isEmpty)
        await client.close()
        let accepted = try Self.entries(scratch, journald: journald, ["MESSAGE_ID=\(Self.anchorMessageId)", "TAIZHANG_ANCHOR_EVENT=accepted"])
        #expect(accepted.map { Self.field($0, "TAIZHANG_AUDIT_HEAD_SEQ") } == [String(held.auditHeadSeq + 1)])
        #expect(try Self.stop(daemon, journald: journald, scratch: scratch, head: status.auditHeadSeq) == 0)
    }

    @Test func aRowEditedBehindTheDaemon_isFoundByTheCheckAfterStart_andTheLedgerIsHeld() async throws {
        let daemon = try DaemonProcess()
        let first = try await daemon.connect()
        try await Fixture.seed(first)
        let asset = try await Fixture.register(first, Fixture.asset(code: "EDIT-1"))
        await first.close()
        #expect(daemon.stop() == 0)
        #expect(try TamperTests.sqlite3(daemon.dataDirectory + "/taizhang.db",
                                        "UPDATE assets SET body = CAST(body || x'1a0854414d5045524544' AS BLOB) WHERE id = '\(asset.id)';") == 0)
        let log = daemon.dataDirectory + "/stderr.log"
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory, extraArguments: ["--metrics-listen", "127.0.0.1:0"], stderrPath: log)
        defer { restarted.stop() }
        let client = try await restarted.connect()
        // The check runs beside the calls, right after start: its verdict shows in Status.
        var status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        let deadline = ContinuousClock.now + .seconds(30)
        while status.heldReason.isEmpty, ContinuousClock.now < deadline {
            status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        }
        #expect(status.heldReason.contains("assets \(asset.id) body"), "\(status.heldReason)")
        let scrape = try MetricsTests.scrape(try #require(restarted.metricsURL))
        #expect(scrape.value("taizhang_ledger_held") == 1)
        await #expect {
            _ = try await Fixture.register(client, Fixture.asset(code: "EDIT-2"))
        } throws: { error in
            (error as? RPCError)?.status.code == .failedPrecondition
        }
        await client.close()
        let lines = try String(contentsOfFile: log, encoding: .utf8)
        #expect(lines.contains("no journald: the journal's head is not anchored outside the database"))
    }

    /// A hold no operator accepted outlives a restart: rows edited behind
    /// the daemon's back (the head still extended) are found by the check
    /// after start; started again, the daemon holds the ledger at once,
    /// before any check, from the hold logged in journald.
    @Test func aHoldNoOneAccepted_outlivesARestart() async throws {
        let (scratch, data) = try Self.folders()
        defer { Self.remove(scratch, data) }

        var (daemon, journald) = try Self.start(scratch: scratch, dataDirectory: data)
        var client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "EDIT-3"))
        let before = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        await client.close()
        #expect(try Self.stop(daemon, journald: journald, scratch: scratch, head: before.auditHeadSeq) == 0)
        #expect(try TamperTests.sqlite3(data + "/taizhang.db",
                                        "UPDATE assets SET body = CAST(body || x'1a0854414d5045524544' AS BLOB) WHERE id = '\(asset.id)';") == 0)

        (daemon, journald) = try Self.start(scratch: scratch, dataDirectory: data)
        client = try await daemon.connect()
        var status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        let deadline = ContinuousClock.now + .seconds(30)
        while status.heldReason.isEmpty, ContinuousClock.now < deadline {
            status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        }
        #expect(status.heldReason.contains("assets \(asset.id) body"), "\(status.heldReason)")
        await client.close()
        let holds = try Self.entries(scratch, journald: journald, ["MESSAGE_ID=\(Self.heldMessageId)"])
        #expect(holds.count == 1 && Self.field(holds[0], "TAIZHANG_HELD_PROBLEM").contains("body"))
        #expect(try Self.stop(daemon, journald: journald, scratch: scratch, head: nil) == 0)

        (daemon, journald) = try Self.start(scratch: scratch, dataDirectory: data)
        client = try await daemon.connect()
        let first = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        #expect(first.heldReason.hasPrefix("the ledger is held read-only since ") && first.heldReason.contains("body"), "\(first.heldReason)")
        await #expect {
            _ = try await Fixture.register(client, Fixture.asset(code: "EDIT-4"))
        } throws: { error in
            (error as? RPCError)?.status.code == .failedPrecondition
        }
        await client.close()
        #expect(try Self.stop(daemon, journald: journald, scratch: scratch, head: nil) == 0)
    }
}
