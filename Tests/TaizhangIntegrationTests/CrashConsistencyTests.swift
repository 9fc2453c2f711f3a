// kill -9 during a write load: after a restart every acknowledged mutation
// is there and the audit chain verifies.

import Foundation
import Synchronization
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct CrashConsistencyTests {
    @Test func killDashNineDuringWrites_losesNothingAcknowledged() async throws {
        let daemon = try DaemonProcess()
        let setup = try await daemon.connect()
        try await Fixture.seed(setup)
        let acknowledged = Acknowledged()
        let killAfter = 300
        var connected: [TaizhangClient] = []
        for _ in 0..<4 { connected.append(try await daemon.connect()) }
        let clients = connected
        let pid = daemon.pid
        await withTaskGroup(of: Void.self) { group in
            for (worker, client) in clients.enumerated() {
                group.addTask {
                    var index = 0
                    while true {
                        let code = "K\(worker)-\(index)"
                        index += 1
                        guard let asset = try? await Fixture.register(client, Fixture.asset(code: code)) else { return }
                        let count = acknowledged.codes.withLock { $0[code] = asset.id; return $0.count }
                        if count == killAfter {
                            kill(pid, SIGKILL)
                        }
                    }
                }
            }
        }
        #expect(daemon.waitForExit() != 0 || daemon.terminatedBySignal)
        let acked = acknowledged.codes.withLock { $0 }
        #expect(acked.count >= killAfter)

        let restarted = try DaemonProcess(dataDirectory: daemon.dataDirectory)
        defer { restarted.stop() }
        let client = try await restarted.connect()
        for (code, id) in acked {
            var get = Taizhang_Ledger_V1_GetAssetRequest()
            get.id = id
            let asset = try await client.unary(Fixture.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self)
            #expect(asset.code == code)
        }
        let verify = try await client.unary(Fixture.ledger + "VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                            as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(verify.intact, "\(verify.problem)")
        // Every asset on disk has its audit entry: 5 units + 1 project + assets.
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(verify.headSeq == 6 + (status.recordCounts["asset"] ?? 0))
        await client.close()
        for other in clients { await other.close() }
        await setup.close()
    }
}

/// Acknowledged registrations: asset code → id.
final class Acknowledged: Sendable {
    let codes = Mutex<[String: String]>([:])
}
