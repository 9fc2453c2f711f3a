// Hostile or careless clients, against the real daemon: a frame trickled in
// byte by byte, a connection left open saying nothing, one identity with too
// many calls in flight over several connections, or too many a second. Each
// gets a status saying why, and nothing it sent is half applied.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ClientLimitsTests {
    @Test func aFrameNotCompletedInTime_closesTheConnection() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--frame-timeout-ms", "300"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let refusal = client.expectResponse(callId: 0)
        let sent = Date()
        // The length prefix of a 64-byte frame and 3 bytes of its body; the rest never comes.
        try await client.sendRaw([0, 0, 0, 64, 1, 2, 3])
        let status = try await refusal.get().status
        #expect(status.code == .deadlineExceeded)
        #expect(status.message.contains("frame-timeout-ms 300"))
        try await client.waitForClose()
        #expect(Date().timeIntervalSince(sent) >= 0.3)
        // The daemon serves the next client.
        let other = try await daemon.connect()
        _ = try await other.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        await other.close()
    }

    @Test func anIdleConnection_isClosed_butNotWhileACallIsInFlight() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--idle-timeout-ms", "300", "--fault-commit-delay-ms", "600"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let idle = client.expectResponse(callId: 0)
        // A mutation that takes 600 ms (the commit delay): the connection is not idle meanwhile.
        let asset = try await Fixture.register(client, Fixture.asset())
        #expect(!asset.id.isEmpty)
        let status = try await idle.get().status
        #expect(status.code == .unavailable)
        #expect(status.message.contains("idle for 300 ms"))
        try await client.waitForClose()
    }

    @Test func oneIdentity_hasAtMostSoManyCallsInFlight_overAllItsConnections() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--identity-calls-in-flight-max", "2", "--fault-commit-delay-ms", "1500"])
        defer { daemon.stop() }
        let first = try await daemon.connect()
        let second = try await daemon.connect()
        var counties = 0
        /// A new county each call (mutations, so each waits for its 1.5 s commit).
        func call(_ client: TaizhangClient) throws -> EventLoopFuture<Taizhang_Rpc_V1_Response> {
            counties += 1
            var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
            request.unit.code = "42102\(counties)000000"
            request.unit.name = "县\(counties)"
            request.unit.level = .county
            return try client.sendWithoutWaiting(try Fixture.request(Fixture.ledger + "CreateAdminUnit", request, callId: client.makeCallId()))
        }
        // Two in flight on the first connection (a connection's frames are taken
        // in order, so the third is refused: both are in flight then).
        let a = try call(first)
        let b = try call(first)
        let c = try await call(first).get()
        #expect(c.status.code == .resourceExhausted)
        #expect(c.status.message.contains("limit 2 over all its connections"))
        #expect(c.metadata["retry-after-ms"] != nil)
        // While they are (their commit takes 1.5 s), the identity's other connection is refused too.
        let d = try await call(second).get()
        #expect(d.status.code == .resourceExhausted)
        #expect(try await a.get().status.code == .ok)
        #expect(try await b.get().status.code == .ok)
        // Once they finish, the identity may call again.
        #expect(try await call(second).get().status.code == .ok)
        await first.close()
        await second.close()
    }

    @Test func oneIdentity_startsAtMostSoManyCallsASecond() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--identity-calls-per-second", "5"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        var futures: [EventLoopFuture<Taizhang_Rpc_V1_Response>] = []
        for _ in 0..<20 {
            futures.append(try client.sendWithoutWaiting(try Fixture.request(Fixture.ledger + "ListAdminUnits", Taizhang_Ledger_V1_ListAdminUnitsRequest(),
                                                                             callId: client.makeCallId())))
        }
        var served = 0
        var refused: [Taizhang_Rpc_V1_Response] = []
        for future in futures {
            let response = try await future.get()
            if response.status.code == .resourceExhausted { refused.append(response) } else { served += 1 }
        }
        // A burst of 5, and perhaps a few more refilled while the 20 arrived (5 a second).
        #expect((5...10).contains(served), "\(served) served")
        #expect(!refused.isEmpty)
        #expect(refused.allSatisfy { Int($0.metadata["retry-after-ms"] ?? "") ?? 0 > 0 })
        #expect(refused.first?.status.message.contains("identity-calls-per-second") == true)
        // Health needs no identity and is not counted.
        _ = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
    }
}

import NIOCore
