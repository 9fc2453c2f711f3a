// The ledger spreadsheets through the CLI against the real daemon: export,
// import (dry run and real), the round trip, the notice page, the summary
// and the life-cycle commands.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct SheetCLITests {
    static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "tz-sheet-" + String(UUID().uuidString.prefix(8)) + "-" + name
    }

    /// A daemon with the fixture's units and project and `count` assets of varied shape.
    static func ledger(assets count: Int) async throws -> DaemonProcess {
        let daemon = try DaemonProcess()
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        for index in 0..<count {
            var asset = Fixture.asset(code: "R-\(index)", village: index % 2 == 0 ? "421024101201" : "421024102201", value: Int64(100_001 + index * 7))
            asset.owners[0].adminCode = asset.adminCode
            asset.owners[0].name = index % 2 == 0 ? "白马村集体经济组织" : "新河村集体经济组织"
            asset.note = index % 3 == 0 ? "含逗号, 引号\"和\n换行" : ""
            if index % 4 == 0 {
                asset.custody.custodian = "村委会"
                asset.operation.mode = .lease
                asset.operation.counterparty = "合作社"
                asset.operation.annualFeeFen = 12_345
            }
            _ = try await Fixture.register(client, asset)
        }
        await client.close()
        return daemon
    }

    @Test func export_thenImportIntoAnEmptyLedger_reproducesIt() async throws {
        let first = try await Self.ledger(assets: 9)
        defer { first.stop() }
        let exported = Self.temporary("a.csv")
        var run = try CLITests.taizhang(["ledger", "export", "--out", exported], socket: first.socketPath)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("已导出 9 项资产"))
        let text = try Data(contentsOf: URL(fileURLWithPath: exported))
        #expect(text.starts(with: Data("\u{FEFF}序号,资产编号,资产名称,资产类别".utf8)))

        let second = try DaemonProcess()
        defer { second.stop() }
        let client = try await second.connect()
        try await Fixture.seed(client)
        await client.close()
        run = try CLITests.taizhang(["ledger", "import", exported], socket: second.socketPath)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("已导入 9 项资产：ZC00000001 … ZC00000009"))
        let again = Self.temporary("b.csv")
        run = try CLITests.taizhang(["ledger", "export", "--out", again], socket: second.socketPath)
        #expect(run.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == text)
    }

    @Test func dryRun_reportsEveryBadRowWithItsLine_andImportsNothing() async throws {
        let daemon = try await Self.ledger(assets: 0)
        defer { daemon.stop() }
        let template = Self.temporary("template.csv")
        var run = try CLITests.taizhang(["ledger", "template", "--out", template], socket: daemon.socketPath)
        #expect(run.status == 0)
        // The template's row, then a bad date, a village that does not exist, and an amount with three decimals.
        let lines = try String(contentsOfFile: template, encoding: .utf8).split(separator: "\r\n").map(String.init)
        let good = lines[1].replacingOccurrences(of: "JL-2019-001-01", with: "T-1").replacingOccurrences(of: "JL-2019-001,", with: "JL-2019-001,")
        let badDate = good.replacingOccurrences(of: "T-1", with: "T-2").replacingOccurrences(of: "2019-06-30", with: "2019-02-30")
        let badVillage = good.replacingOccurrences(of: "T-1", with: "T-3").replacingOccurrences(of: ",421024101201,", with: ",421024109999,")
        let badMoney = good.replacingOccurrences(of: "T-1", with: "T-4").replacingOccurrences(of: "800000.00", with: "800000.001")
        let file = Self.temporary("in.csv")
        try ([lines[0], good, badDate, badVillage, badMoney].joined(separator: "\r\n") + "\r\n").write(toFile: file, atomically: true, encoding: .utf8)
        run = try CLITests.taizhang(["ledger", "import", file, "--dry-run"], socket: daemon.socketPath)
        #expect(run.status == 13, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("第 3 行「购建时间」"), "\(run.stdout)")
        #expect(run.stdout.contains("第 4 行「坐落位置代码」: no admin unit 421024109999 exists"), "\(run.stdout)")
        #expect(run.stdout.contains("第 5 行「原始价值(元)」"), "\(run.stdout)")
        #expect(run.stdout.contains("3 行有误"))
        #expect(!run.stdout.contains("第 2 行"))
        // Without --dry-run it is still all or nothing.
        run = try CLITests.taizhang(["ledger", "import", file], socket: daemon.socketPath)
        #expect(run.status == 13)
        #expect(run.stdout.contains("未导入任何资产"))
        let summary = try CLITests.taizhang(["ledger", "summary", "--json"], socket: daemon.socketPath)
        let totals = try Taizhang_Ledger_V1_LedgerSummary(jsonString: summary.stdout)
        #expect(totals.total.count == 0)
    }

    /// A cell of 10 MB would make a request larger than a frame; the CLI
    /// refuses its row by line and column, sends the rest to be checked,
    /// imports nothing, and the daemon serves on.
    @Test func aRowTooLargeToSend_isRefusedWithItsLineAndColumn() async throws {
        let daemon = try await Self.ledger(assets: 0)
        defer { daemon.stop() }
        let template = Self.temporary("template.csv")
        #expect(try CLITests.taizhang(["ledger", "template", "--out", template], socket: daemon.socketPath).status == 0)
        let lines = try String(contentsOfFile: template, encoding: .utf8).split(separator: "\r\n").map(String.init)
        let good = lines[1].replacingOccurrences(of: "JL-2019-001-01", with: "T-1")
        let huge = lines[1].replacingOccurrences(of: "JL-2019-001-01", with: "T-2") + String(repeating: "很", count: 3_500_000)
        #expect(lines[1].hasSuffix(","), "the template's last column (备注) is empty")
        let file = Self.temporary("huge.csv")
        try ([lines[0], good, huge].joined(separator: "\r\n") + "\r\n").write(toFile: file, atomically: true, encoding: .utf8)
        let run = try CLITests.taizhang(["ledger", "import", file], socket: daemon.socketPath)
        #expect(run.status == 13, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("第 3 行「备注」: the row is "), "\(run.stdout)")
        #expect(run.stdout.contains("(this cell 10500000); a row is at most 1048576 bytes"), "\(run.stdout)")
        #expect(run.stdout.contains("1 行有误") && run.stdout.contains("未导入任何资产"), "\(run.stdout)")
        let summary = try CLITests.taizhang(["ledger", "summary", "--json"], socket: daemon.socketPath)
        #expect(summary.status == 0)
        #expect(try Taizhang_Ledger_V1_LedgerSummary(jsonString: summary.stdout).total.count == 0)
    }

    /// A file that breaks after chunks were sent (a quote never closed)
    /// ends the daemon's import too: run three times, more than the two
    /// imports one identity may hold open, and a good import still goes in.
    @Test func aFileBrokenAfterTheFirstChunk_endsItsImportOnTheDaemon() async throws {
        let daemon = try await Self.ledger(assets: 0)
        defer { daemon.stop() }
        let template = Self.temporary("template.csv")
        #expect(try CLITests.taizhang(["ledger", "template", "--out", template], socket: daemon.socketPath).status == 0)
        let lines = try String(contentsOfFile: template, encoding: .utf8).split(separator: "\r\n").map(String.init)
        let rows = (1...3).map { lines[1].replacingOccurrences(of: "JL-2019-001-01", with: "T-\($0)") }
        let broken = Self.temporary("broken.csv")
        try ([lines[0], rows[0], rows[1], "\"never closed,1"].joined(separator: "\r\n") + "\r\n").write(toFile: broken, atomically: true, encoding: .utf8)
        for _ in 0..<3 {
            let run = try CLITests.taizhang(["ledger", "import", broken, "--chunk-rows", "1"], socket: daemon.socketPath)
            #expect(run.status == 13, "\(run.stdout) \(run.stderr)")
            #expect(run.stderr.contains("第 4 行"), "\(run.stderr)")
        }
        let good = Self.temporary("good.csv")
        try ([lines[0], rows[2]].joined(separator: "\r\n") + "\r\n").write(toFile: good, atomically: true, encoding: .utf8)
        let run = try CLITests.taizhang(["ledger", "import", good], socket: daemon.socketPath)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("已导入 1 项资产"), "\(run.stdout)")
    }

    @Test func noticePage_andSummary_forATownship() async throws {
        let daemon = try await Self.ledger(assets: 6)
        defer { daemon.stop() }
        let html = try CLITests.taizhang(["ledger", "export", "--admin", "421024101000", "--format", "html",
                                          "--notice-start", "2026-11-23", "--notice-end", "2026-12-01", "--objections-to", "县乡村振兴局"],
                                         socket: daemon.socketPath)
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.contains("<h1>江陵县熊河镇扶贫项目资产公示</h1>"))
        #expect(html.stdout.contains("公示期 2026-11-23 至 2026-12-01"))
        #expect(html.stdout.contains("合计：3 项"))
        #expect(html.stdout.contains("<td>白马村集体经济组织 100.00%</td>"))
        let summary = try CLITests.taizhang(["ledger", "summary", "--admin", "421024101000", "--as-of", "2019-12-31"], socket: daemon.socketPath)
        #expect(summary.status == 0)
        #expect(summary.stdout.contains("421024101000 台账，截至 2019-12-31"))
        #expect(summary.stdout.contains("合计"))
        #expect(summary.stdout.contains("已登记 3"))
    }

    @Test func lifecycleCommands_walkAnAsset_andRefusalsExitWithTheCode() async throws {
        let daemon = try await Self.ledger(assets: 1)
        defer { daemon.stop() }
        let socket = daemon.socketPath
        var run = try CLITests.taizhang(["asset", "publish", "ZC00000001", "--start", "2024-02-02"], socket: socket)
        #expect(run.status == 19)
        #expect(run.stderr.contains("stage registered"))
        run = try CLITests.taizhang(["asset", "propose-owners", "ZC00000001"], socket: socket)
        #expect(run.stdout.contains("004 §11"))
        run = try CLITests.taizhang(["asset", "confirm", "ZC00000001", "--date", "2024-01-31"], socket: socket)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("已确权"))
        run = try CLITests.taizhang(["asset", "publish", "ZC00000001", "--start", "2024-02-02"], socket: socket)
        #expect(run.stdout.contains("最早 2024-02-18 可结束"))
        run = try CLITests.taizhang(["asset", "close-notice", "ZC00000001", "--date", "2024-02-19"], socket: socket)
        #expect(run.stdout.contains("移交期限：2024-04-01"))
        run = try CLITests.taizhang(["asset", "handover", "ZC00000001", "--date", "2024-03-01", "--from", "县发改局", "--to", "白马村", "--duties", "管护"], socket: socket)
        #expect(run.stdout.contains("移交公示中"))
        run = try CLITests.taizhang(["asset", "close-notice", "ZC00000001", "--date", "2024-03-15"], socket: socket)
        #expect(run.stdout.contains("已移交"))
        run = try CLITests.taizhang(["asset", "operate", "ZC00000001", "--date", "2024-04-01", "--mode", "lease", "--counterparty", "合作社",
                                     "--annual-fee", "9600", "--term-start", "2024-04-01", "--term-end", "2029-03-31"], socket: socket)
        #expect(run.stdout.contains("运营中"), "\(run.stderr)")
        run = try CLITests.taizhang(["asset", "history", "ZC00000001"], socket: socket)
        #expect(run.stdout.contains("确权公示 #1: 2024-02-02 – 2024-02-19 结束"))
        #expect(run.stdout.contains("移交 2024-03-01：县发改局 → 白马村，按期"))
        run = try CLITests.taizhang(["asset", "depreciation", "ZC00000001", "--as-of", "2019-12-31"], socket: socket)
        // 1,000.01 yuan over 300 months: 333 fen a month, June–December 2019.
        #expect(run.stdout.contains("累计折旧 23.31 元"), "\(run.stdout)")
    }
}
