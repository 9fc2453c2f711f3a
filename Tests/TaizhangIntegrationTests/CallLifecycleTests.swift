// Multiplexing, pipelining, duplicate call ids, cancel, deadlines, limits,
// TCP, and shutdown, against the real taizhangd.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct CallLifecycleTests {
    @Test func hundredsOfPipelinedCalls_allAnswered_pairedByCallId() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let registered = try await Fixture.register(client, Fixture.asset())
        try await withThrowingTaskGroup(of: (Int, Taizhang_Rpc_V1_Response).self) { group in
            for index in 0..<500 {
                group.addTask {
                    var get = Taizhang_Ledger_V1_GetAssetRequest()
                    get.id = index % 2 == 0 ? registered.id : "ZC-missing-\(index)"
                    return (index, try await client.call(Fixture.ledger + "GetAsset", payload: try get.serializedData()))
                }
            }
            var answered = 0
            for try await (index, response) in group {
                answered += 1
                if index % 2 == 0 {
                    #expect(try Taizhang_Ledger_V1_Asset(serializedBytes: response.payload).id == registered.id)
                } else {
                    #expect(response.status.code == .notFound)
                    #expect(response.status.message.contains("ZC-missing-\(index)"))
                }
            }
            #expect(answered == 500)
        }
        await client.close()
    }

    @Test func concurrentMutations_allCommitWithDistinctIds() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let setup = try await daemon.connect()
        try await Fixture.seed(setup)
        var clients: [TaizhangClient] = []
        for _ in 0..<4 { clients.append(try await daemon.connect()) }
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                let client = clients[index % clients.count]
                group.addTask { try await Fixture.register(client, Fixture.asset(code: "C\(index)")).id }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(Set(ids).count == 200)
        let status = try await setup.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 200)
        #expect(status.commitBatches < status.committedMutations, "group commit should put several mutations in one transaction")
        let verify = try await setup.unary(Fixture.ledger + "VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(), as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(verify.intact)
        for client in clients { await client.close() }
        await setup.close()
    }

    @Test func duplicateCallIdInFlight_isFailedPrecondition_theFirstCallGoesOn() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--fault-commit-delay-ms", "300"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var register = Taizhang_Ledger_V1_RegisterAssetRequest()
        register.asset = Fixture.asset(code: "SLOW")
        let request = try Fixture.request(Fixture.ledger + "RegisterAsset", register, callId: 9_001)
        // Frames on one connection are handled in order: the first request is
        // in flight (its commit held back by the delay) when the duplicate comes.
        // Both waits are registered before anything is sent: the refusal of
        // the duplicate arrives first, the original's answer after its commit.
        let refusal = client.expectResponse(callId: 9_001)
        let first = client.expectResponse(callId: 9_001)
        try client.write(request)
        try client.write(request)
        let duplicate = try await refusal.get()
        #expect(duplicate.status.code == .failedPrecondition)
        #expect(duplicate.status.message.contains("9001"))
        let original = try await first.get()
        #expect(!original.hasStatus || original.status.code == .ok)
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 1)
        await client.close()
    }

    @Test func deadline_queuedMutationIsNotApplied_andReportsDeadlineExceeded() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--fault-commit-delay-ms", "400"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var register = Taizhang_Ledger_V1_RegisterAssetRequest()
        register.asset = Fixture.asset(code: "LATE")
        let late = try await client.send(try Fixture.request(Fixture.ledger + "RegisterAsset", register, callId: client.makeCallId(), timeoutMillis: 50))
        #expect(late.status.code == .deadlineExceeded)
        register.asset = Fixture.asset(code: "IN-TIME")
        let inTime = try await client.send(try Fixture.request(Fixture.ledger + "RegisterAsset", register, callId: client.makeCallId(), timeoutMillis: 5_000))
        #expect(!inTime.hasStatus || inTime.status.code == .ok)
        var list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.pageSize = 10
        let assets = try await client.unary(Fixture.ledger + "ListAssets", list, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
        #expect(assets.assets.map(\.code) == ["IN-TIME"])
        await client.close()
    }

    @Test func cancel_queuedMutationIsNotApplied_andReportsCancelled() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--fault-commit-delay-ms", "400"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var register = Taizhang_Ledger_V1_RegisterAssetRequest()
        register.asset = Fixture.asset(code: "CANCELLED")
        let callId = client.makeCallId()
        let answer = try client.sendWithoutWaiting(try Fixture.request(Fixture.ledger + "RegisterAsset", register, callId: callId))
        var cancel = Taizhang_Rpc_V1_Request()
        cancel.callID = callId
        cancel.cancel = true
        // The cancel follows the call on the same connection, so the server
        // sees it while the mutation waits in the queue; the call's one
        // final response is CANCELLED.
        try client.write(cancel)
        let response = try await answer.get()
        #expect(response.status.code == .cancelled)
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 0)
        await client.close()
    }

    @Test func callsInFlightLimit_isResourceExhausted_andTheServerStaysUp() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--fault-commit-delay-ms", "300", "--calls-in-flight-max", "4"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let responses = try await withThrowingTaskGroup(of: Taizhang_Rpc_V1_Response.self) { group in
            for index in 0..<6 {
                var register = Taizhang_Ledger_V1_RegisterAssetRequest()
                register.asset = Fixture.asset(code: "F\(index)")
                let request = try Fixture.request(Fixture.ledger + "RegisterAsset", register, callId: client.makeCallId())
                group.addTask { try await client.send(request) }
            }
            var all: [Taizhang_Rpc_V1_Response] = []
            for try await response in group { all.append(response) }
            return all
        }
        let exhausted = responses.filter { $0.status.code == .resourceExhausted }
        #expect(exhausted.count == 2)
        #expect(exhausted.allSatisfy { $0.status.message.contains("limit 4") })
        #expect(responses.filter { !$0.hasStatus || $0.status.code == .ok }.count == 4)
        await client.close()
    }

    @Test func connectionLimit_refusesTheExtraConnection() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--connections-max", "2"])
        defer { daemon.stop() }
        let first = try await daemon.connect()
        let second = try await daemon.connect()
        _ = try await first.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        _ = try await second.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        let third = try await daemon.connect()
        try await third.waitForClose()
        #expect(!third.isActive)
        await second.close()
        // With one slot free again, a new connection is served (the server may
        // need a moment to see the close: bounded retries, no sleeping).
        var served = false
        var attempts = 0
        while !served, attempts < 1_000 {
            attempts += 1
            let fourth = try await daemon.connect()
            if let health = try? await fourth.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self) {
                served = health.status == .serving
            }
            await fourth.close()
        }
        #expect(served)
        await first.close()
    }

    @Test func tcpOnPortZero_servesTheSameProtocol() async throws {
        let access = try AccessFixture.file([(name: "county-viewer", role: "viewer", scope: "", uids: [])])
        let token = try AccessFixture.token(access, identity: "county-viewer")
        let daemon = try DaemonProcess(tcp: true, extraArguments: ["--access-file", access])
        defer { daemon.stop() }
        let port = try #require(daemon.tcpPort)
        #expect(port > 0)
        let client = try await TaizhangClient.connect(.tcp(host: "127.0.0.1", port: port))
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        let methods = try await client.unary("/taizhang.system.v1.System/ListMethods", Taizhang_System_V1_ListMethodsRequest(), as: Taizhang_System_V1_ListMethodsResponse.self,
                                             metadata: AccessFixture.bearer(token))
        #expect(methods.methods.contains { $0.name == "/taizhang.ledger.v1.Ledger/RegisterAsset" && $0.mutation })
        let descriptors = try Google_Protobuf_FileDescriptorSet(serializedBytes: methods.fileDescriptorSet)
        #expect(Set(descriptors.file.map(\.name)).isSuperset(of: ["taizhang/ledger/v1/ledger.proto", "taizhang/rpc/v1/envelope.proto", "taizhang/system/v1/system.proto"]))
        await client.close()
    }

    @Test func sigterm_letsInFlightCallsFinish_refusesNewOnes_exitsZero() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--fault-commit-delay-ms", "500"])
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var register = Taizhang_Ledger_V1_RegisterAssetRequest()
        register.asset = Fixture.asset(code: "DRAIN")
        let inFlight = try client.sendWithoutWaiting(try Fixture.request(Fixture.ledger + "RegisterAsset", register, callId: 77))
        // Answered after the registration was read: so it is in flight now
        // (with this Status call itself).
        let before = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(before.callsInFlight == 2)
        kill(daemon.pid, SIGTERM)
        // New calls on the open connection are refused while draining; Health
        // still answers, NOT_SERVING.
        var refused = false
        while !refused {
            let response = try await client.call(Fixture.ledger + "ListAdminUnits", payload: Data())
            if response.status.code == .unavailable { refused = true }
        }
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .notServing)
        let finished = try await inFlight.get()
        #expect(!finished.hasStatus || finished.status.code == .ok)
        #expect(daemon.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        // Restarted, the drained mutation is there.
        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { restarted.stop() }
        let again = try await restarted.connect()
        let status = try await again.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 1)
        await again.close()
        await client.close()
    }
}

import SwiftProtobuf
