// The supervision commands of the taizhang CLI against the real daemon
// (issue 21): a township government registered, its project approved,
// funded and paid, its 2026 targets set; the project's progress, the unit's
// lights (Q1 green, Q2 yellow, Q3 red: the daemon's today is at least
// 2026-12-06), the quarter's ranking as CSV and HTML, the half-year page; a
// payment over the allocation and an amount with three decimals refused.

import Foundation
import Testing
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct SupervisionCLITests {
    /// A document as the CLI takes it: 名称/类型/SHA-256.
    static let document = "文件/other/" + String(repeating: "ab", count: 32)
    static let project = "JL-2019-001"

    static func taizhang(_ arguments: [String], _ daemon: DaemonProcess) throws -> CLITests.Run {
        try CLITests.taizhang(arguments, socket: daemon.socketPath)
    }

    /// The line of `text` that starts with `prefix` (a table's row), or "".
    static func line(_ text: String, startingWith prefix: String) -> String {
        text.split(separator: "\n").map(String.init).first { $0.hasPrefix(prefix) } ?? ""
    }

    /// Registers 熊河镇's government and takes JL-2019-001 through its approval,
    /// allocation, the unit's 2026 targets and a payment in February; the unit's id.
    static func walk(_ daemon: DaemonProcess) throws -> String {
        let registered = try taizhang(["supervision", "register", "--name", "熊河镇人民政府", "--kind", "township", "--admin-code", "421024101000",
                                       "--head", "张三", "--head-post", "镇长", "--json"], daemon)
        try #require(registered.status == 0, "\(registered.stderr)")
        let unit = try Taizhang_Supervision_V1_ResponsibleUnit(jsonString: registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).id
        #expect(unit.hasPrefix("DW"), "\(registered.stdout)")
        let steps: [[String]] = [
            ["milestone", project, "--milestone", "approved", "--document", document, "--date", "2026-01-05", "--unit", unit],
            ["allocate", project, "--year", "2026", "--source", "linkage", "--level", "central", "--amount", "100000", "--document", document,
             "--date", "2026-01-10"],
            ["targets", unit, "--year", "2026", "--spend", "10000,10000,10000,10000", "--date", "2026-01-05"],
            ["pay", project, "--source", "linkage", "--level", "central", "--amount", "10000", "--document", document, "--payee", "施工单位",
             "--date", "2026-02-01"],
        ]
        for step in steps {
            let run = try taizhang(["supervision"] + step, daemon)
            try #require(run.status == 0, "\(step): \(run.stderr)")
            if step[0] == "targets" {
                #expect(run.stdout.contains("40,000.00") && run.stdout.contains("2026Q4"), "\(run.stdout)")
            }
        }
        return unit
    }

    @Test func aUnitsYear_fromRegistrationToTheHalfYearPage() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        await client.close()
        let unit = try Self.walk(daemon)

        let units = try Self.taizhang(["supervision", "units"], daemon)
        #expect(units.status == 0, "\(units.stderr)")
        #expect(Self.line(units.stdout, startingWith: unit).contains("熊河镇人民政府"), "\(units.stdout)")
        #expect(Self.line(units.stdout, startingWith: unit).contains("2026"))
        let renamed = try Self.taizhang(["supervision", "register", "--id", unit, "--head", "李四", "--json"], daemon)
        #expect(renamed.status == 0, "\(renamed.stderr)")
        let changed = try Taizhang_Supervision_V1_ResponsibleUnit(jsonString: renamed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(changed.head == "李四" && changed.headPost == "镇长" && changed.kind == .township && changed.version > 1)

        let progress = try Self.taizhang(["supervision", "progress", Self.project], daemon)
        #expect(progress.status == 0, "\(progress.stderr)")
        #expect(progress.stdout.contains("立项批复"), "\(progress.stdout)")
        #expect(progress.stdout.contains("10,000.00"), "\(progress.stdout)")

        // Q1 met (10,000 yuan paid in February), Q2 missed (约谈提醒), Q3 missed again (问责).
        let lights = try Self.taizhang(["supervision", "lights", unit, "--year", "2026"], daemon)
        #expect(lights.status == 0, "\(lights.stderr)")
        #expect(Self.line(lights.stdout, startingWith: "2026Q1").contains("绿灯"), "\(lights.stdout)")
        #expect(Self.line(lights.stdout, startingWith: "2026Q2").contains("黄灯"), "\(lights.stdout)")
        #expect(Self.line(lights.stdout, startingWith: "2026Q3").contains("红灯"), "\(lights.stdout)")
        let english = try Self.taizhang(["--lang", "en", "supervision", "lights", unit, "--year", "2026"], daemon)
        #expect(english.status == 0, "\(english.stderr)")
        #expect(Self.line(english.stdout, startingWith: "2026Q1").contains("green"), "\(english.stdout)")

        try Self.checkPages(daemon, unit: unit)
    }

    /// The ranking of 2026Q1 as CSV and HTML, and the page of 2026H1.
    static func checkPages(_ daemon: DaemonProcess, unit: String) throws {
        let csv = try taizhang(["supervision", "rank", "--quarter", "2026Q1", "--format", "csv"], daemon)
        #expect(csv.status == 0, "\(csv.stderr)")
        let bom: Unicode.Scalar = "\u{FEFF}"
        #expect(csv.stdout.unicodeScalars.first == bom, "the CSV starts with a byte-order mark for Excel")
        let rows = csv.stdout.components(separatedBy: "\r\n")
        #expect(rows.first?.contains("名次") == true, "\(rows)")
        let ranked = rows.contains { $0.contains(unit) }
        #expect(ranked, "\(rows)")
        let html = try taizhang(["supervision", "rank", "--format", "html", "--quarter", "2026Q1"], daemon)
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.contains("<!DOCTYPE html>"))
        let page = try taizhang(["supervision", "publish", "--half", "2026H1", "--format", "html"], daemon)
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.contains("熊河镇人民政府"))
        #expect(page.stdout.contains("绿灯") && page.stdout.contains("黄灯"), "\(page.stdout)")
        let badHalf = try taizhang(["supervision", "publish", "--half", "2026H3"], daemon)
        #expect(badHalf.status == 64 || badHalf.status == 2, "a ValidationError")
        #expect(badHalf.stderr.contains("--half"))
    }

    @Test func refusals_exitWithTheirCodesAndSayWhy() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        await client.close()
        _ = try Self.walk(daemon)
        // 100,000 yuan allocated and 10,000 paid: 100,000 more is over the allocation (FAILED_PRECONDITION).
        let over = try Self.taizhang(["supervision", "pay", Self.project, "--source", "linkage", "--level", "central", "--amount", "100000",
                                      "--document", Self.document, "--date", "2026-03-01"], daemon)
        #expect(over.status == 19, "\(over.stderr)")
        #expect(over.stderr.contains("资金拨付不得超过下达额度"), "\(over.stderr)")
        // Three decimals: refused on the command line, nothing sent.
        let fraction = try Self.taizhang(["supervision", "pay", Self.project, "--source", "linkage", "--level", "central", "--amount", "1.234",
                                          "--document", Self.document, "--date", "2026-03-01"], daemon)
        #expect(fraction.status == 64 || fraction.status == 2, "a ValidationError: \(fraction.status) \(fraction.stderr)")
        #expect(fraction.stderr.contains("--amount"), "\(fraction.stderr)")
        let progress = try Self.taizhang(["supervision", "progress", Self.project, "--json"], daemon)
        let after = try Taizhang_Supervision_V1_ProjectProgress(jsonString: progress.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(after.disbursements.count == 1 && after.spentFen == 1_000_000, "the refusals paid nothing")
    }
}
