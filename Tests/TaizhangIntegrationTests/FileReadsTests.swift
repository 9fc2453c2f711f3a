// A daemon that keeps no asset in memory (`--cache-mib 0`): every read of an
// asset goes to the ledger file on the file workers, and sees every commit.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct FileReadsTests {
    static let ledger = "/taizhang.ledger.v1.Ledger/"

    @Test func withNoCache_everyReadComesFromTheFile_andSeesEveryCommit() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--cache-mib", "0"])
        defer { _ = daemon.stop() }
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        try await Fixture.seed(client)
        var registered: [Taizhang_Ledger_V1_Asset] = []
        for number in 1...3 { registered.append(try await Fixture.register(client, Fixture.asset(code: "FILE-\(number)", value: Int64(number) * 100_000))) }

        // Many reads at once, more than the file workers: all answered, each its own record.
        let ids = (0..<96).map { registered[$0 % 3].id }
        let read = try await withThrowingTaskGroup(of: (String, Taizhang_Ledger_V1_Asset).self) { group in
            for id in ids {
                group.addTask {
                    (id, try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = id }, as: Taizhang_Ledger_V1_Asset.self))
                }
            }
            return try await group.reduce(into: [(String, Taizhang_Ledger_V1_Asset)]()) { $0.append($1) }
        }
        #expect(read.count == 96 && read.allSatisfy { $0.0 == $0.1.id })
        #expect(Set(read.map(\.1.code)) == ["FILE-1", "FILE-2", "FILE-3"])

        // A change is read back at once.
        var update = Taizhang_Ledger_V1_UpdateAssetRequest()
        update.asset = registered[1]
        update.asset.name = "改名后的资产"
        let updated = try await client.unary(Self.ledger + "UpdateAsset", update, as: Taizhang_Ledger_V1_Asset.self)
        let again = try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = updated.id }, as: Taizhang_Ledger_V1_Asset.self)
        #expect(again.name == "改名后的资产" && again.version == updated.version && again.version == registered[1].version + 1)

        // The reads that depreciate or propose from the record, and the summary from the totals.
        let depreciation = try await client.unary(Self.ledger + "GetDepreciation", Taizhang_Ledger_V1_GetDepreciationRequest.with { $0.assetID = registered[2].id },
                                                  as: Taizhang_Ledger_V1_DepreciationReport.self)
        #expect(depreciation.assetID == registered[2].id && depreciation.valueFen == 300_000)
        let proposal = try await client.unary(Self.ledger + "ProposeOwnership", Taizhang_Ledger_V1_ProposeOwnershipRequest.with { $0.assetID = registered[0].id },
                                              as: Taizhang_Ledger_V1_OwnershipProposal.self)
        #expect(!proposal.owners.isEmpty)
        let summary = try await client.unary(Self.ledger + "GetLedgerSummary", Taizhang_Ledger_V1_GetLedgerSummaryRequest(),
                                             as: Taizhang_Ledger_V1_LedgerSummary.self)
        #expect(summary.total.count == 3 && summary.total.originalValueFen == 600_000)
        await #expect {
            _ = try await client.unary(Self.ledger + "GetAsset", Taizhang_Ledger_V1_GetAssetRequest.with { $0.id = "ZC99999999" }, as: Taizhang_Ledger_V1_Asset.self)
        } throws: { error in
            (error as? RPCError)?.status.code == .notFound
        }
    }

    /// A mutation whose plan reads the ledger file (AmendContract reads the
    /// contract it changes) is staged on the file workers, not the event
    /// loop: many at once, mixed with reads, each commits once, in turn.
    @Test func amendsStagedOffTheLoop_manyAtOnce_eachCommitsOnce() async throws {
        let daemon = try DaemonProcess()
        defer { _ = daemon.stop() }
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        let (entity, contract) = try await RiskMonitorTests.seedOperations(client)
        let current = try await client.unary(Self.ledger + "GetContract", Taizhang_Ledger_V1_GetContractRequest.with { $0.id = contract },
                                             as: Taizhang_Ledger_V1_OperationContract.self)
        let amends = 40
        let versions = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for number in 1...amends {
                group.addTask {
                    var amend = Taizhang_Ledger_V1_AmendContractRequest()
                    amend.contract = current
                    amend.contract.committedHouseholds = Int32(10 + number)
                    return try await client.unary(Self.ledger + "AmendContract", amend, as: Taizhang_Ledger_V1_OperationContract.self).version
                }
                group.addTask {
                    _ = try await client.unary(Self.ledger + "GetEntity", Taizhang_Ledger_V1_GetEntityRequest.with { $0.id = entity },
                                               as: Taizhang_Ledger_V1_OperatingEntity.self)
                    return nil
                }
            }
            return try await group.reduce(into: [Int64]()) { if let version = $1 { $0.append(version) } }
        }
        #expect(versions.sorted() == Array(current.version + 1...current.version + Int64(amends)))
        let after = try await client.unary(Self.ledger + "GetContract", Taizhang_Ledger_V1_GetContractRequest.with { $0.id = contract },
                                           as: Taizhang_Ledger_V1_OperationContract.self)
        #expect(after.version == current.version + Int64(amends) && after.amendments.count == current.amendments.count + amends)
    }
}
