// The risk commands of the taizhang CLI against the real daemon: the demo
// county's entities light up green, yellow and red; alerts and scores print
// in Chinese by default and English on request; `alerts --follow` prints an
// alert as it is raised; a bad command line or call gets its exit code.

import Foundation
import Testing
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RiskCLITests {
    static func taizhang(_ arguments: [String], _ daemon: DaemonProcess) throws -> CLITests.Run {
        try CLITests.taizhang(arguments, socket: daemon.socketPath)
    }

    @Test func theDemoCountyHasGreenYellowAndRedEntities() throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        defer { daemon.stop() }
        let load = try Self.taizhang(["demo", "load"], daemon)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("带贫主体 12 个"))
        let run = try Self.taizhang(["monitor", "--json"], daemon)
        #expect(run.status == 0, "\(run.stderr)")
        let list = try Self.taizhang(["alerts", "--open", "--kind", "entity_targets", "--json"], daemon)
        let alerts = try Taizhang_Risk_V1_ListAlertsResponse(jsonString: list.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).alerts
        let levels = Dictionary(grouping: alerts, by: \.level).mapValues(\.count)
        // Two missed twice and one loss-making: red; two missed once and one report missing: yellow.
        #expect(levels[.red] == 3, "\(levels)")
        #expect(levels[.yellow] == 3, "\(levels)")
        let entities = try Self.taizhang(["entity", "list", "--json"], daemon)
        #expect(entities.stdout.contains("ZT00000012"))
        // The green ones raise nothing at all.
        // (Alerts raised and cleared while the demo was loading are history, not open.)
        let healthy = try Self.taizhang(["alerts", "--open", "--subject", "ZT00000001", "--json"], daemon)
        #expect(try Taizhang_Risk_V1_ListAlertsResponse(jsonString: healthy.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).alerts.isEmpty)
        // Tables: Chinese by default, English on request.
        let zh = try Self.taizhang(["alerts", "--level", "red"], daemon)
        #expect(zh.stdout.hasPrefix("编号"))
        #expect(zh.stdout.contains("红灯"))
        #expect(zh.stdout.contains("连续两个季度"))
        let en = try Self.taizhang(["alerts", "--level", "red", "--lang", "en"], daemon)
        #expect(en.stdout.hasPrefix("id"))
        #expect(en.stdout.contains("targets missed two quarters running"))
        let red = alerts.first { $0.level == .red && $0.reasons.contains { $0.code == "missed_two_quarters" } }!
        let score = try Self.taizhang(["risk", red.subjectID], daemon)
        #expect(score.status == 0)
        #expect(score.stdout.contains("目标完成：红灯"))
        #expect(score.stdout.contains("产出效益"))
        #expect(score.stdout.contains("带贫能力"))
        let scoreEn = try Self.taizhang(["risk", red.subjectID, "--lang", "en"], daemon)
        #expect(scoreEn.stdout.contains("targets light: red"))
        let reports = try Self.taizhang(["report", "list", "ZT00000006"], daemon)
        #expect(reports.stdout.contains("缺报季度"))
        let status = try Self.taizhang(["status"], daemon)
        #expect(status.stdout.contains("风险监测："))
        #expect(status.stdout.contains("带贫主体 12"))
        // --watch shows it again and again (here twice, then stops).
        let watched = try Self.taizhang(["status", "--watch", "--interval", "0.2", "--count", "2", "--lang", "en"], daemon)
        #expect(watched.status == 0)
        #expect(watched.stdout.components(separatedBy: "risk monitor: run").count == 3, "\(watched.stdout)")
        #expect(try Self.taizhang(["status", "--watch", "--interval", "0"], daemon).status == 2)
    }

    @Test func followReplaysAndPrintsAlertEvents() throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        defer { daemon.stop() }
        #expect(try Self.taizhang(["demo", "load"], daemon).status == 0)
        _ = try Self.taizhang(["monitor"], daemon)
        // The healthy entity ZT00000001 corrects its judged quarter to a standstill.
        let list = try Self.taizhang(["report", "list", "ZT00000001", "--json"], daemon)
        let reports = try Taizhang_Ledger_V1_ListReportsResponse(jsonString: list.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let last = try #require(reports.reports.last)
        let correction = try Self.taizhang(["report", "submit", "--entity", "ZT00000001", "--quarter", last.quarter, "--output", "1",
                                            "--sales", "1", "--target-output", "1000000", "--target-sales", "800000",
                                            "--submitted-on", last.submittedOn, "--correction-reason", "更正：本季度停产"], daemon)
        #expect(correction.status == 0, "\(correction.stderr)")
        #expect(correction.stdout.contains("更正（第2版）"))
        _ = try Self.taizhang(["monitor"], daemon)
        // Following from the first event replays the history, this alert included, then waits for more.
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: (DaemonProcess.binary as NSString).deletingLastPathComponent + "/taizhang")
        follower.arguments = ["alerts", "--follow", "--after-seq", "1", "--kind", "entity_targets", "--socket", daemon.socketPath]
        let out = Pipe()
        follower.standardOutput = out
        follower.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try follower.run()
        defer { if follower.isRunning { follower.terminate() }; follower.waitUntilExit() }
        var text = ""
        let handle = out.fileHandleForReading
        while !text.contains("（ZT00000001）") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("【黄灯】带贫主体目标完成预警：江陵县"), "\(text)")
        #expect(text.contains("（ZT00000001）"))
        #expect(follower.isRunning)
    }

    @Test func badCommandLinesAndRefusedCallsExitWithTheirCodes() throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration()])
        defer { daemon.stop() }
        let kind = try Self.taizhang(["entity", "create", "--name", "x", "--kind", "company", "--admin-code", "421024000000"], daemon)
        #expect(kind.status == 2)
        #expect(kind.stderr.contains("enterprise (企业)"))
        _ = try Self.taizhang(["demo", "load"], daemon)
        let code = try Self.taizhang(["entity", "create", "--name", "某公司", "--kind", "企业", "--admin-code", "421024101201",
                                      "--credit-code", "91350100M000100Y44"], daemon)
        #expect(code.status == 13)
        #expect(code.stderr.contains("position 18"))
        let consent = try Self.taizhang(["contract", "amend", "HT00000001", "--entity", "ZT00000002"], daemon)
        #expect(consent.status == 19)
        #expect(consent.stderr.contains("owner_consent"))
        let amended = try Self.taizhang(["contract", "amend", "HT00000001", "--entity", "ZT00000002", "--consent-date", ChinaToday.text,
                                         "--consented-by", "红桥村股份经济合作社", "--consent-reference", "村民代表会议纪要〔2026〕9号"], daemon)
        #expect(amended.status == 0, "\(amended.stderr)")
        #expect(amended.stdout.contains("所有者同意：红桥村股份经济合作社"))
        let unknown = try Self.taizhang(["risk", "ZT99999999"], daemon)
        #expect(unknown.status == 15)
    }

    @Test func theFollowUpCommands_takeAnAlertTo销号_andShowItsTrail() throws {
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        defer { daemon.stop() }
        let load = try Self.taizhang(["demo", "load"], daemon)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("预警处置：约谈后销号 1 条，问责后销号 1 条，整改中 1 条（期限今日），已签收 1 条"), "\(load.stdout)")
        // The demo's queue: what it closed, what is being rectified.
        let closed = try Self.taizhang(["alerts", "--follow-up", "closed", "--json"], daemon)
        let done = try Taizhang_Risk_V1_ListAlertsResponse(jsonString: closed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).alerts
        #expect(done.count == 2 && done.allSatisfy { $0.followUp.state == "closed" })
        #expect(done.contains { !$0.followUp.talks.isEmpty } && done.contains { $0.followUp.peakLevel == .red && !$0.followUp.accountability.isEmpty })
        let pending = try Self.taizhang(["alerts", "--follow-up", "pending", "--json"], daemon)
        let waiting = try Taizhang_Risk_V1_ListAlertsResponse(jsonString: pending.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).alerts
        let alert = try #require(waiting.first { $0.open && $0.followUp.peakLevel == .yellow })
        let id = String(alert.id)
        let sha = String(repeating: "cd", count: 32)
        func step(_ actor: String, _ arguments: [String]) throws -> CLITests.Run {
            try Self.taizhang(["--actor", actor, "alerts"] + arguments, daemon)
        }
        #expect(try step("李红", ["ack", id]).status == 0)
        let early = try step("李红", ["close", id])
        #expect(early.status == 19 && early.stderr.contains("rectified with evidence"), "\(early.stderr)")
        #expect(try step("李红", ["assign", id, "--person", "李红", "--unit", alert.adminCode]).status == 0)
        #expect(try step("李红", ["plan", id, "--measures", "补报材料", "--deadline", ChinaToday.text]).status == 0)
        let badEvidence = try step("李红", ["rectify", id, "--note", "已整改", "--evidence", "报告"])
        #expect(badEvidence.status == 2 && badEvidence.stderr.contains("名称/类型/SHA-256"))
        let rectified = try step("李红", ["rectify", id, "--note", "已整改", "--evidence", "整改报告/other/\(sha)"])
        #expect(rectified.status == 0 && rectified.stdout.contains("已整改待核"), "\(rectified.stdout)\(rectified.stderr)")
        let own = try step("李红", ["close", id])
        #expect(own.status == 19 && own.stderr.contains("separation of duties"))
        let noTalk = try step("王强", ["close", id])
        #expect(noTalk.status == 19 && noTalk.stderr.contains("约谈"))
        #expect(try step("王强", ["talk", id, "--interviewer", "副镇长", "--interviewee", "负责人", "--notes", "限期整改"]).status == 0)
        let close = try step("王强", ["close", id, "--note", "复核通过"])
        #expect(close.status == 0 && close.stdout.contains("已销号"), "\(close.stderr)")
        let shown = try Self.taizhang(["alerts", "show", "YJ" + String(repeating: "0", count: 8 - id.count) + id], daemon)
        #expect(shown.status == 0)
        for text in ["签收", "交办", "整改方案", "整改", "约谈", "销号", "李红", "王强", "整改报告 other \(sha)"] {
            #expect(shown.stdout.contains(text), "\(text): \(shown.stdout)")
        }
        let english = try Self.taizhang(["alerts", "show", id, "--lang", "en"], daemon)
        #expect(english.stdout.contains("closed") && english.stdout.contains("acknowledge"))
        let listed = try Self.taizhang(["alerts", "--subject", alert.subjectID], daemon)
        #expect(listed.stdout.contains("已销号"))
    }
}

enum ChinaToday {
    static var text: String { Quarters.todayText }
}
