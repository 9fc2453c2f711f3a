// taizhang upkeep record | list | costs and taizhang disposal household
// against the real daemon (issue 23): the demo county's upkeep log and its
// household assets, a record typed by hand, refusals with their exit codes.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct UpkeepCLITests {
    static func taizhang(_ arguments: [String], _ daemon: DaemonProcess) throws -> CLITests.Run {
        try CLITests.taizhang(arguments, socket: daemon.socketPath)
    }

    static func json<M: SwiftProtobuf.Message>(_ run: CLITests.Run, as: M.Type) throws -> M {
        try M(jsonString: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func theDemoCountysUpkeep_aRecordByHand_andAHouseholdAssetsDisposalRegisteredByTheVillage() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let load = try Self.taizhang(["demo", "load"], daemon)
        #expect(load.status == 0 && load.stdout.contains("到户类资产登记到户 10 项，管护记录 70 条"), "\(load.stdout) \(load.stderr)")

        // The village supervised each household asset; each record names its household.
        let supervised = try Self.json(try Self.taizhang(["upkeep", "list", "--kind", "supervision", "--json"], daemon),
                                       as: Taizhang_Ledger_V1_ListUpkeepResponse.self)
        #expect(supervised.records.count == 10 && supervised.records.allSatisfy { $0.householdID.hasPrefix("HH") })
        let costs = try Self.taizhang(["upkeep", "costs", "--admin", "421024000000"], daemon)
        #expect(costs.status == 0 && costs.stdout.contains("70 条记录"), "\(costs.stdout)")

        // A repair typed by hand, with its invoice; the year's cost grows by it.
        let before = try Self.json(try Self.taizhang(["upkeep", "costs", "--json"], daemon), as: Taizhang_Ledger_V1_UpkeepSummary.self)
        let welfare = try Self.json(try Self.taizhang(["asset", "list", "--category", "public_welfare", "--json"], daemon),
                                    as: Taizhang_Ledger_V1_ListAssetsResponse.self).assets[0]
        let repair = try Self.taizhang(["upkeep", "record", welfare.id, "--kind", "repair", "--cost", "1280.50", "--by", "县水利工程维修队",
                                        "--what", "更换水泵密封圈，试运行正常", "--document", "维修发票/invoice/" + String(repeating: "ab", count: 32)], daemon)
        #expect(repair.status == 0 && repair.stdout.contains("已登记") && repair.stdout.contains("1,280.50"), "\(repair.stderr)")
        let after = try Self.json(try Self.taizhang(["upkeep", "costs", "--json"], daemon), as: Taizhang_Ledger_V1_UpkeepSummary.self)
        #expect(after.costFen == before.costFen + 128_050 && after.records == before.records + 1)
        // Refusals: supervision of a public-welfare asset (INVALID_ARGUMENT, exit 13); a bad document on the command line (exit 2).
        let notHousehold = try Self.taizhang(["upkeep", "record", welfare.id, "--kind", "supervision", "--by", "村委会", "--what", "查看"], daemon)
        #expect(notHousehold.status == 13 && notHousehold.stderr.contains("upkeep.kind"), "\(notHousehold.stderr)")
        #expect(try Self.taizhang(["upkeep", "record", welfare.id, "--kind", "repair", "--by", "a", "--what", "b", "--document", "发票"], daemon).status == 2)

        // A household asset: DisposeAsset sends the clerk to the village's registration, which takes it out of the active ledger.
        let household = try Self.json(try Self.taizhang(["asset", "list", "--category", "household", "--json"], daemon),
                                      as: Taizhang_Ledger_V1_ListAssetsResponse.self).assets[0]
        let refused = try Self.taizhang(["disposal", "record", household.id, "--reason", "wear", "--method", "scrap", "--date", "2026-11-01"], daemon)
        #expect(refused.status == 19 && refused.stderr.contains("taizhang disposal household"))
        let registered = try Self.taizhang(["disposal", "household", household.id, "--reason", "scrapping", "--method", "scrap",
                                            "--reported-by", household.owners[0].name, "--registered-by", "村委会 王会计",
                                            "--circumstances", "牛棚年久失修倒塌，农户自行拆除"], daemon)
        #expect(registered.status == 0 && registered.stdout.contains("已转入核销登记台账"), "\(registered.stderr)")
        let writeOff = try Self.json(try Self.taizhang(["disposal", "list", "--json"], daemon), as: Taizhang_Ledger_V1_ListDisposalsResponse.self)
        #expect(writeOff.disposals.contains { $0.assetID == household.id && $0.householdDisposal.registeredBy == "村委会 王会计" })
    }
}
