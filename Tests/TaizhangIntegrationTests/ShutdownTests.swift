// SIGTERM under load: the daemon stops accepting, drains the calls in
// flight and closes the ledger last. Every call a client sent gets a frame
// (its answer, UNAVAILABLE, or the connection's closing status on call_id 0)
// before its connection ends, never a bare reset; every acknowledged write
// is in the ledger after the restart.

import Foundation
import Synchronization
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct ShutdownTests {
    /// What one caller saw.
    struct Outcome: Sendable {
        var acknowledged: [(id: String, code: String)] = []
        var unavailable = 0
        var other: [String] = []
    }

    /// Acknowledged registrations over all callers.
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Registers assets one after another on `client` until a call fails.
    static func caller(_ client: TaizhangClient, name: String, started: Counter) async -> Outcome {
        var outcome = Outcome()
        for number in 0... {
            var request = Taizhang_Ledger_V1_RegisterAssetRequest()
            request.asset = Fixture.asset(code: "SIG-\(name)-\(number)")
            do {
                let asset = try await client.unary(RPC.Ledger.registerAsset, request)
                outcome.acknowledged.append((asset.id, asset.code))
                started.value.wrappingAdd(1, ordering: .relaxed)
            } catch let error as RPCError where error.status.code == .unavailable {
                outcome.unavailable += 1
                return outcome
            } catch {
                outcome.other.append("\(name) #\(number): \(error)")
                return outcome
            }
        }
        return outcome
    }

    @Test func sigtermUnderLoad_answersEveryCall_andLosesNothingAcknowledged() async throws {
        let daemon = try DaemonProcess()
        let setup = try await daemon.connect()
        try await Fixture.seed(setup)
        await setup.close()
        // 4 connections × 16 callers: 64 registrations in flight at any time.
        var clients: [TaizhangClient] = []
        for _ in 0..<4 { clients.append(try await daemon.connect()) }
        let acknowledgedSoFar = Counter()
        let outcomes = await withTaskGroup(of: Outcome.self) { group -> [Outcome] in
            for (index, client) in clients.enumerated() {
                for lane in 0..<16 {
                    group.addTask { await Self.caller(client, name: "\(index)-\(lane)", started: acknowledgedSoFar) }
                }
            }
            group.addTask {
                // SIGTERM once the load runs (a few hundred acknowledged).
                while acknowledgedSoFar.value.load(ordering: .relaxed) < 300 { await Task.yield() }
                kill(daemon.pid, SIGTERM)
                return Outcome()
            }
            var all: [Outcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        for client in clients { await client.close() }
        #expect(daemon.waitForExit() == 0)
        let acknowledged = outcomes.flatMap { $0.acknowledged }
        let others = outcomes.flatMap { $0.other }
        #expect(others.isEmpty, "calls that ended without a frame: \(others.prefix(5))")
        #expect(outcomes.map { $0.unavailable }.reduce(0, +) == 64, "every caller's last call is UNAVAILABLE")
        #expect(acknowledged.count >= 300)

        // Restarted: every acknowledged registration is there, and nothing else.
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { restarted.stop() }
        let client = try await restarted.connect()
        for (id, code) in acknowledged {
            let asset = try await client.unary(RPC.Ledger.getAsset, .with { $0.id = id })
            #expect(asset.code == code)
        }
        let status = try await client.unary(RPC.System.status, Taizhang_System_V1_StatusRequest())
        #expect(status.recordCounts["asset"] == UInt64(acknowledged.count))
        let verify = try await client.unary(RPC.Ledger.verifyAuditChain, Taizhang_Ledger_V1_VerifyAuditChainRequest())
        #expect(verify.intact)
        await client.close()
    }

    /// The order of the stop: while a call is still in flight after SIGTERM,
    /// /metrics is still served and /healthz answers 503; the call gets its
    /// answer; the daemon exits 0.
    @Test func duringTheDrain_healthzAnswers503_andTheCallInFlightIsAnswered() async throws {
        // Every commit takes 5 s: one call stays in flight long enough to watch the drain.
        let daemon = try DaemonProcess(extraArguments: ["--metrics-listen", "127.0.0.1:0", "--fault-commit-delay-ms", "5000"])
        let url = try #require(daemon.metricsURL)
        let client = try await daemon.connect()
        let call = Task {
            var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
            request.unit.code = "421024000000"
            request.unit.name = "江陵县"
            request.unit.level = .county
            return try await client.unary(RPC.Ledger.createAdminUnit, request)
        }
        let script = #"""
            import os, re, signal, sys, time, urllib.request, urllib.error
            url, pid = sys.argv[1], int(sys.argv[2])
            deadline = time.monotonic() + 20
            def get(path):
                try:
                    with urllib.request.urlopen(url + path, timeout=10) as response:
                        return response.status, response.read().decode()
                except urllib.error.HTTPError as error:
                    return error.code, error.read().decode()
            def in_flight():
                found = re.search(r"^taizhang_calls_in_flight (\S+)$", get("/metrics")[1], re.M)
                return float(found.group(1)) if found else 0
            while in_flight() < 1:
                if time.monotonic() > deadline: sys.exit("no call in flight")
            os.kill(pid, signal.SIGTERM)
            while True:
                # A probe that began before the drain may still answer that the stalled writer did not commit.
                status, body = get("/healthz")
                if status == 503 and "shutting down" in body:
                    print(status, body.strip(), in_flight())
                    break
                if time.monotonic() > deadline: sys.exit("/healthz never answered 503")
            """#
        let (status, data) = try JournaldTests.output(["/usr/bin/env", "python3", "-c", script, url, String(daemon.pid)], withErrors: true)
        let output = String(decoding: data, as: UTF8.self)
        #expect(status == 0, "\(output)")
        #expect(output.hasPrefix("503 not serving: shutting down 1"), "\(output)")
        let unit = try await call.value
        #expect(unit.code == "421024000000")
        await client.close()
        #expect(daemon.waitForExit() == 0)
    }
}
