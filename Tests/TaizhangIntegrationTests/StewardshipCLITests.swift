// The income, plan, stocktake, disposal and revitalise commands of the
// taizhang CLI against the real daemon: the demo county's records, the
// exports (CSV and the notice-board pages), a workflow typed by hand, and
// the exit codes of refusals.

import Foundation
import Testing
import TaizhangProto
import TaizhangSheets

@Suite(.serialized, .timeLimit(.minutes(2)))
struct StewardshipCLITests {
    static func taizhang(_ arguments: [String], _ daemon: DaemonProcess) throws -> CLITests.Run {
        try CLITests.taizhang(arguments, socket: daemon.socketPath)
    }

    static func json<M: SwiftProtobuf.Message>(_ run: CLITests.Run, as: M.Type) throws -> M {
        try M(jsonString: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func theDemoCountyHasAPlanAtEachStage_aStockTake_andAWriteOffLedger() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let load = try Self.taizhang(["demo", "load"], daemon)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("分配方案 6 个，清查 1 次，处置 2 项"))

        let plans = try Self.json(try Self.taizhang(["plan", "list", "--json"], daemon), as: Taizhang_Ledger_V1_ListDistributionPlansResponse.self)
        #expect(plans.plans.map(\.stage) == [.planDraft, .planAssemblyPassed, .planPublished, .planTownshipApproved, .planFiled, .planCarriedOut])
        #expect(plans.plans.allSatisfy { plan in plan.allocations.contains { $0.purpose == .reserve && $0.amountFen > 0 } })
        let table = try Self.taizhang(["plan", "list"], daemon)
        #expect(table.stdout.hasPrefix("编号"))
        #expect(table.stdout.contains("村民代表大会通过"))

        // The notice-board page and the households' CSV of the plan that passed the assembly.
        let passed = plans.plans[1]
        let html = try Self.taizhang(["plan", "export", passed.id, "--format", "html"], daemon)
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.contains("扶贫项目资产收益分配方案公示"))
        #expect(html.stdout.contains("其中脱贫户代表11人"))
        for share in passed.allocations[0].households { #expect(html.stdout.contains(share.name)) }
        let csv = try CSV.parse(Array(try Self.taizhang(["plan", "export", passed.id], daemon).stdout.utf8))
        #expect(csv.count == 1 + passed.allocations[0].households.count + 3)
        let fen = csv.dropFirst().compactMap { Money.fen($0.fields[4]) }.reduce(0, +)
        #expect(fen == passed.incomeFen)

        // The stock-take found one asset lost, which went to the write-off ledger with the sale.
        let count = try Self.json(try Self.taizhang(["stocktake", "show", "PD00000001", "--json"], daemon), as: Taizhang_Ledger_V1_StockTake.self)
        #expect(count.report.lost.count == 1)
        #expect(!count.report.bookEqualsReality)
        #expect(try Self.taizhang(["stocktake", "show", "PD00000001"], daemon).stdout.contains("账实不符"))
        let writeOff = try CSV.parse(Array(try Self.taizhang(["disposal", "export"], daemon).stdout.utf8))
        #expect(writeOff.count == 3)
        #expect(writeOff[0].fields.first == "序号")
        #expect(writeOff[1].fields[2] == count.report.lost[0])
        #expect(writeOff[1].fields[9] == "盘亏")
        #expect(writeOff[2].fields[10] == "拍卖")
        let page = try Self.taizhang(["disposal", "export", "--format", "html", "--lang", "en"], daemon)
        #expect(page.stdout.contains("Write-off ledger"))
        #expect(page.stdout.contains("Total: 2 entries"))
        // Disposed assets leave the ledger's listings.
        let listed = try Self.taizhang(["asset", "list", "--stage", "disposed", "--json"], daemon)
        #expect(listed.stdout.contains(count.report.lost[0]))
    }

    @Test func aWorkflowByHand_andTheExitCodesOfRefusals() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        #expect(try Self.taizhang(["demo", "load"], daemon).status == 0)
        // Income with every field wrong: INVALID_ARGUMENT (exit 13), each field named.
        let bad = try Self.taizhang(["income", "record", "--asset", "ZC00000001", "--received-on", "2099-01-01", "--amount", "0",
                                     "--payer", " ", "--account", "村集体账户"], daemon)
        #expect(bad.status == 13)
        #expect(bad.stderr.contains("income.amount_fen") && bad.stderr.contains("income.received_on") && bad.stderr.contains("income.payer"))
        let recorded = try Self.taizhang(["income", "record", "--asset", "ZC00000001", "--received-on", "2026-10-08", "--amount", "8000",
                                          "--payer", "临时承租人", "--account", "村集体账户"], daemon)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let id = String(recorded.stdout.prefix(10))
        // No reserve: refused, naming 一分了之.
        let split = try Self.taizhang(["plan", "create", "--owner", "421024101204", "--income", id,
                                       "--household", "no_labour_households:王五:8000"], daemon)
        #expect(split.status == 13)
        #expect(split.stderr.contains("一分了之"))
        let owner = try Self.json(try Self.taizhang(["asset", "get", "ZC00000001", "--json"], daemon), as: Taizhang_Ledger_V1_Asset.self).adminCode
        let created = try Self.taizhang(["plan", "create", "--owner", owner, "--income", id, "--title", "临时租金分配",
                                         "--household", "no_labour_households:王五:3000", "--household", "no_labour_households:赵六:3000",
                                         "--allocation", "reserve:2000", "--drafted-on", "2026-10-10", "--json"], daemon)
        #expect(created.status == 0, "\(created.stderr)")
        let plan = try Self.json(created, as: Taizhang_Ledger_V1_DistributionPlan.self)
        #expect(plan.allocations.map(\.purpose) == [.noLabourHouseholds, .reserve])
        #expect(plan.allocations.map(\.amountFen) == [600_000, 200_000])
        // Out of order: FAILED_PRECONDITION (exit 19).
        #expect(try Self.taizhang(["plan", "advance", plan.id, "--to", "filed", "--date", "2026-10-12"], daemon).status == 19)
        let assembly = try Self.taizhang(["plan", "advance", plan.id, "--to", "assembly_passed", "--date", "2026-10-12",
                                          "--representatives", "30", "--present", "21", "--poor-present", "7", "--actor", "村会计 刘梅"], daemon)
        #expect(assembly.status == 0, "\(assembly.stderr)")
        #expect(assembly.stdout.contains("村会计 刘梅"))
        // Last year's count of the village (the demo counted this year's), with a CSV of lines.
        let open = try Self.taizhang(["stocktake", "open", owner, "--year", "2025", "--date", "2026-01-15", "--json"], daemon)
        #expect(open.status == 0, "\(open.stderr)")
        let count = try Self.json(open, as: Taizhang_Ledger_V1_StockTake.self)
        let file = NSTemporaryDirectory() + "tz-count-" + UUID().uuidString + ".csv"
        defer { try? FileManager.default.removeItem(atPath: file) }
        // The count sheet exported, filled in on site, read back.
        let sheet = try CSV.parse(Array(try Self.taizhang(["stocktake", "export", count.id], daemon).stdout.utf8))
        #expect(sheet.first?.fields == ["资产ID", "是否找到", "状况", "实盘数量"])
        #expect(sheet.dropFirst().map { $0.fields[0] } == count.scope)
        #expect(sheet.dropFirst().allSatisfy { $0.fields.dropFirst().allSatisfy(\.isEmpty) })
        let rows = ["资产ID,是否找到,状况,实盘数量"] + sheet.dropFirst().map { "\($0.fields[0]),是,好," } + ["\(count.scope[0]),,,"]
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let counted = try Self.taizhang(["stocktake", "count", count.id, "--csv", file, "--surplus", "水泵一台:1200:replacement_cost"], daemon)
        #expect(counted.status == 0, "\(counted.stderr)")
        #expect(counted.stdout.contains("未盘点 0 项"))
        let closed = try Self.taizhang(["stocktake", "close", count.id, "--date", "2026-01-20", "--lang", "en"], daemon)
        #expect(closed.status == 0, "\(closed.stderr)")
        #expect(closed.stdout.contains("\(count.scope.count) found, 0 lost, 1 surplus worth 1,200.00 yuan"))
        let page = try Self.taizhang(["stocktake", "export", count.id, "--format", "html"], daemon)
        #expect(page.stdout.contains("2025年度扶贫项目资产清查盘点表"))
        #expect(page.stdout.contains("账实不符") && page.stdout.contains("水泵一台") && page.stdout.contains("监盘人"))
        // A household asset is not disposed of through this process.
        let household = try Self.json(try Self.taizhang(["asset", "list", "--category", "household", "--json"], daemon),
                                      as: Taizhang_Ledger_V1_ListAssetsResponse.self).assets[0]
        let refused = try Self.taizhang(["disposal", "record", household.id, "--reason", "wear", "--method", "scrap", "--date", "2026-11-01"], daemon)
        #expect(refused.status == 19)
        #expect(refused.stderr.contains("004 §24"))
        // A revitalising plan is for an idle (or loss-making) asset.
        #expect(try Self.taizhang(["revitalise", "record", "ZC00000001", "--measures", "改建为仓储", "--responsible", "村委会",
                                   "--approved-by", "村民代表大会", "--effective-on", "2026-11-10"], daemon).status == 19)
        let idle = try Self.json(try Self.taizhang(["asset", "list", "--status", "idle", "--json"], daemon),
                                 as: Taizhang_Ledger_V1_ListAssetsResponse.self).assets.last!.id
        let revived = try Self.taizhang(["revitalise", "record", idle, "--measures", "改建为仓储", "--responsible", "村委会",
                                         "--approved-by", "村民代表大会", "--effective-on", "2026-11-10"], daemon)
        #expect(revived.status == 0, "\(revived.stderr)")
        #expect(try Self.taizhang(["revitalise", "list", "--asset", idle], daemon).stdout.contains("改建为仓储"))
    }
}

import SwiftProtobuf
