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

extension CrashConsistencyTests {
    /// Five rounds of kill -9 under a mixed load (registrations, updates,
    /// income, plans' income records), each on the store the last one left:
    /// every acknowledged change is there after each restart, updates are
    /// never older than acknowledged, and the audit chain verifies.
    @Test func repeatedKillsUnderMixedLoad_loseNothingAcknowledged() async throws {
        var daemon = try DaemonProcess()
        let directory = daemon.dataDirectory
        let setup = try await daemon.connect()
        try await Fixture.seed(setup)
        let base = try await Fixture.register(setup, Fixture.asset(code: "BASE"))
        await setup.close()
        let state = MixedAcknowledged()
        for round in 0..<5 {
            if round > 0 { daemon = try DaemonProcess(dataDirectory: directory) }
            var connected: [TaizhangClient] = []
            for _ in 0..<4 { connected.append(try await daemon.connect()) }
            let clients = connected
            let pid = daemon.pid
            let killAt = state.total() + 120
            await withTaskGroup(of: Void.self) { group in
                for (worker, client) in clients.enumerated() {
                    group.addTask {
                        var index = 0
                        while true {
                            index += 1
                            let acknowledged: Bool
                            switch (worker + index) % 3 {
                            case 0:
                                let code = "R\(round)-\(worker)-\(index)"
                                guard let asset = try? await Fixture.register(client, Fixture.asset(code: code)) else { return }
                                acknowledged = state.assets.withLock { $0[code] = asset.id; return true }
                            case 1:
                                var request = Taizhang_Ledger_V1_RecordIncomeRequest()
                                request.income.assetID = base.id
                                request.income.receivedOn = "2026-06-01"
                                request.income.amountFen = Int64(1 + worker * 1000 + index)
                                request.income.payer = "p\(worker)"
                                request.income.account = "村集体账户"
                                guard let income = try? await client.unary(Fixture.ledger + "RecordIncome", request, as: Taizhang_Ledger_V1_Income.self) else { return }
                                acknowledged = state.income.withLock { $0[income.id] = income.amountFen; return true }
                            default:
                                // Each worker updates the base asset's note; the version it got back must survive.
                                var get = Taizhang_Ledger_V1_GetAssetRequest()
                                get.id = base.id
                                guard var asset = try? await client.unary(Fixture.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self) else { return }
                                asset.note = "w\(worker)-\(index)"
                                var update = Taizhang_Ledger_V1_UpdateAssetRequest()
                                update.asset = asset
                                let response = try? await client.call(Fixture.ledger + "UpdateAsset", payload: try! update.serializedData())
                                guard let response else { return }
                                if response.status.code == .ok, let updated = try? Taizhang_Ledger_V1_Asset(serializedBytes: response.payload) {
                                    acknowledged = state.version.withLock { $0 = max($0, updated.version); return true }
                                } else if response.hasStatus, response.status.code != .ok {
                                    return // the daemon is going down
                                } else {
                                    acknowledged = false
                                }
                            }
                            if acknowledged, state.total() >= killAt { kill(pid, SIGKILL) }
                        }
                    }
                }
            }
            #expect(daemon.waitForExit() != 0 || daemon.terminatedBySignal)
            for client in clients { await client.close() }
        }
        // After the last kill: everything acknowledged in any round is there.
        let restarted = try DaemonProcess(dataDirectory: directory)
        defer { restarted.stop() }
        let client = try await restarted.connect()
        let assets = state.assets.withLock { $0 }
        let income = state.income.withLock { $0 }
        #expect(assets.count >= 100 && income.count >= 100)
        for (code, id) in assets {
            var get = Taizhang_Ledger_V1_GetAssetRequest()
            get.id = id
            #expect(try await client.unary(Fixture.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self).code == code)
        }
        var list = Taizhang_Ledger_V1_ListIncomeRequest()
        list.assetID = base.id
        list.pageSize = 1000
        var stored: [String: Int64] = [:]
        repeat {
            let page = try await client.unary(Fixture.ledger + "ListIncome", list, as: Taizhang_Ledger_V1_ListIncomeResponse.self)
            for record in page.income { stored[record.id] = record.amountFen }
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        for (id, amount) in income { #expect(stored[id] == amount, "income \(id)") }
        var get = Taizhang_Ledger_V1_GetAssetRequest()
        get.id = base.id
        #expect(try await client.unary(Fixture.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self).version >= state.version.withLock { $0 })
        let verify = try await client.unary(Fixture.ledger + "VerifyAuditChain", Taizhang_Ledger_V1_VerifyAuditChainRequest(),
                                            as: Taizhang_Ledger_V1_VerifyAuditChainResponse.self)
        #expect(verify.intact, "\(verify.problem)")
        await client.close()
    }
}

/// What a mixed load had acknowledged: assets by code, income by id, the base asset's newest version.
final class MixedAcknowledged: Sendable {
    let assets = Mutex<[String: String]>([:])
    let income = Mutex<[String: Int64]>([:])
    let version = Mutex<Int64>(0)

    func total() -> Int { assets.withLock { $0.count } + income.withLock { $0.count } }
}

/// Acknowledged registrations: asset code → id.
final class Acknowledged: Sendable {
    let codes = Mutex<[String: String]>([:])
}
