// The daemon's settings: the configuration file's syntax, every bad line
// and value reported with its place, flags over the file, rules between
// keys, what a reload applies and what waits for a restart, and that the
// shipped default file and docs/configuration.md name every key.

import Foundation
import Logging
import Testing
import TaizhangCore
@testable import TaizhangServer

struct DaemonSettingsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func file_readsKeysCommentsBlanksAndQuotedValues() {
        let text = """
            # a comment
              log-level = debug

            frame-max-bytes=2048
            holidays-dir = "/etc/taizhang/holidays"
            tcp =
            """
        let (assignments, problems) = DaemonSettings.parseFile(text, path: "t.conf")
        #expect(problems.isEmpty)
        #expect(assignments.map(\.key) == ["log-level", "frame-max-bytes", "holidays-dir", "tcp"])
        #expect(assignments.map(\.origin) == ["t.conf:2", "t.conf:4", "t.conf:5", "t.conf:6"])
        var settings = DaemonSettings()
        #expect(settings.apply(assignments).isEmpty)
        #expect(settings.logLevel == .debug)
        #expect(settings.frameMaxBytes == 2048)
        #expect(settings.holidaysDirectory == "/etc/taizhang/holidays")
        #expect(settings.tcp == nil)
    }

    @Test func file_anEmptyValueIsTheDefaultAndATrailingCommentIsNotTheValue() {
        let text = "connections-max =\nlog-level =\ntcp-allow-remote=\nframe-max-bytes = 2048   # small frames\nunix = \"/run/a #1.sock\"\n"
        let (assignments, problems) = DaemonSettings.parseFile(text, path: "t.conf")
        #expect(problems.isEmpty)
        var settings = DaemonSettings()
        settings.connectionsMax = 5
        settings.logLevel = .error
        #expect(settings.apply(assignments).isEmpty)
        #expect(settings.connectionsMax == DaemonSettings().connectionsMax)
        #expect(settings.logLevel == .info)
        #expect(settings.tcpAllowRemote == false)
        #expect(settings.frameMaxBytes == 2048)
        #expect(settings.unixPath == "/run/a #1.sock")
    }

    @Test func stderrLines_escapeControlCharactersAClientChose() {
        #expect(escaped("tz-1") == "tz-1")
        #expect(escaped("a\nFAKE error: b\t\u{7}") == "a\\nFAKE error: b\\t\\u{7}")
        #expect(escaped("白马村") == "白马村")
    }

    @Test func file_listsEveryMalformedLineUnknownKeyAndRepeat() {
        let text = "log-level = info\njust words\nlog_level = debug\nlog-level = warning\n"
        let (assignments, problems) = DaemonSettings.parseFile(text, path: "t.conf")
        #expect(assignments.count == 1)
        #expect(problems.map(\.description) == [
            "t.conf:2: is not KEY = VALUE",
            "t.conf:3: log_level is not a setting (known: \(DaemonSettings.keys.map(\.name).joined(separator: ", ")))",
            "t.conf:4: log-level is set again (first at t.conf:1)",
        ])
    }

    @Test func values_everyBadOneIsListedAndNothingIsApplied() {
        var settings = DaemonSettings()
        let problems = settings.apply([
            .init(key: "frame-max-bytes", value: "1023", origin: "f:1"),
            .init(key: "connections-max", value: "lots", origin: "f:2"),
            .init(key: "alerts-to", value: "syslog", origin: "f:3"),
            .init(key: "tcp-allow-remote", value: "maybe", origin: "f:4"),
            .init(key: "tcp", value: "7420", origin: "f:5"),
            .init(key: "log-level", value: "info", origin: "f:6"),
        ])
        #expect(problems.map(\.description) == [
            "f:1: frame-max-bytes must be between 1024 and 67108864 (got 1023)",
            "f:2: connections-max must be a whole number (got \"lots\")",
            "f:3: alerts-to must be auto, journald or stderr (got \"syslog\")",
            "f:4: tcp-allow-remote must be true or false (got \"maybe\")",
            "f:5: tcp wants host:port, e.g. 127.0.0.1:7420 (got \"7420\")",
        ])
        #expect(settings == DaemonSettings())
    }

    @Test func limits_boundsAreInclusive() {
        var settings = DaemonSettings()
        #expect(settings.apply([.init(key: "frame-max-bytes", value: "1024", origin: ""),
                                .init(key: "calls-in-flight-max", value: "65536", origin: ""),
                                .init(key: "drain-timeout-ms", value: "0", origin: "")]).isEmpty)
        #expect(settings.frameMaxBytes == 1024 && settings.callsInFlightMax == 65536 && settings.drainTimeoutMillis == 0)
        #expect(!settings.apply([.init(key: "calls-in-flight-max", value: "65537", origin: "")]).isEmpty)
        #expect(!settings.apply([.init(key: "calls-in-flight-max", value: "0", origin: "")]).isEmpty)
    }

    @Test func remoteAddresses_needTcpAllowRemote() {
        var settings = DaemonSettings()
        let problems = settings.apply([.init(key: "tcp", value: "0.0.0.0:7420", origin: "--tcp"),
                                       .init(key: "metrics-listen", value: "10.1.2.3:9464", origin: "f:1")])
        #expect(problems.map(\.key) == ["tcp", "metrics-listen"])
        #expect(problems[0].reason.contains("not a loopback address"))
        #expect(settings.apply([.init(key: "tcp", value: "0.0.0.0:7420", origin: ""), .init(key: "tcp-allow-remote", value: "yes", origin: "")]).isEmpty)
        #expect(settings.tcp == "0.0.0.0:7420")
    }

    @Test func load_aFlagWinsOverTheFile() throws {
        let path = NSTemporaryDirectory() + "tz-settings-\(UUID().uuidString.prefix(8)).conf"
        try "log-level = warning\nconnections-max = 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try DaemonSettings.load(path: path, flags: [.init(key: "log-level", value: "debug", origin: "--log-level")])
        #expect(settings.logLevel == .debug)
        #expect(settings.connectionsMax == 10)
        #expect(throws: SettingsError.self) { try DaemonSettings.load(path: path + ".missing", flags: []) }
    }

    @Test func reloadPlan_appliesLiveKeysAndNamesRestartOnesUntilReverted() {
        let started = DaemonSettings()
        var next = started
        next.logLevel = .debug
        next.connectionsMax = 8
        next.tcp = "127.0.0.1:7420"
        next.threads = 2
        let plan = ReloadPlan(started: started, running: started, runningFiles: SettingsFiles(), next: next, nextFiles: SettingsFiles())
        #expect(plan.applied == ["connections-max: 4096 → 8", "log-level: info → debug"])
        #expect(plan.needRestart == ["tcp", "threads"])
        // The file put back as it was: nothing waits for a restart any more.
        let reverted = ReloadPlan(started: started, running: next, runningFiles: SettingsFiles(), next: started, nextFiles: SettingsFiles())
        #expect(reverted.needRestart.isEmpty)
        #expect(reverted.applied == ["connections-max: 8 → 4096", "log-level: debug → info"])
    }

    @Test func reloadPlan_reReadFilesCountAndSwitchingTheMonitorNeedsARestart() {
        let settings = DaemonSettings()
        var files = SettingsFiles()
        files.risk.intervalSeconds = 60
        let plan = ReloadPlan(started: settings, running: settings, runningFiles: SettingsFiles(), next: settings, nextFiles: files)
        #expect(plan.applied == ["risk-config: file re-read"])
        files.risk.enabled = false
        let off = ReloadPlan(started: settings, running: settings, runningFiles: SettingsFiles(), next: settings, nextFiles: files)
        #expect(off.needRestart == ["risk-config (enabled)"])
    }

    @Test func everyKey_isInTheShippedFileAndTheDocs() throws {
        let shipped = try String(contentsOfFile: Self.root + "/systemd/taizhangd.conf", encoding: .utf8)
        let docs = try String(contentsOfFile: Self.root + "/docs/configuration.md", encoding: .utf8)
        for key in DaemonSettings.keys {
            #expect(shipped.contains("#\(key.name) ="), "\(key.name) is not in systemd/taizhangd.conf")
            #expect(docs.contains("### `\(key.name)`"), "\(key.name) has no section in docs/configuration.md")
            #expect(docs.contains(key.live ? "Reload: applied at once" : "Reload: needs a restart") , "\(key.name)")
        }
        // With every line uncommented, the shipped defaults are valid settings.
        let uncommented = shipped.split(separator: "\n").filter { $0.hasPrefix("#") && !$0.hasPrefix("# ") && !$0.hasPrefix("##") && $0.contains(" =") }
            .map { String($0.dropFirst()) }.joined(separator: "\n")
        let (assignments, problems) = DaemonSettings.parseFile(uncommented, path: "taizhangd.conf")
        #expect(problems.isEmpty, "\(problems)")
        #expect(assignments.count == DaemonSettings.keys.count)
        var settings = DaemonSettings()
        #expect(settings.apply(assignments).isEmpty)
    }

    @Test func journalFieldNames_areUppercaseWithUnderscores() {
        #expect(Journal.fieldName("request-id") == "REQUEST_ID")
        #expect(Journal.fieldName("method") == "METHOD")
        #expect(Journal.fieldName("_secret") == "TAIZHANG__SECRET")
        #expect(Journal.fieldName("9lives") == "TAIZHANG_9LIVES")
        #expect(Journal.priority(.debug) == 7 && Journal.priority(.info) == 6 && Journal.priority(.error) == 3)
    }

    /// systemd says standard error is the journal by $JOURNAL_STREAM = "DEVICE:INODE" of that stream.
    @Test func journalStream_mustNameThisProcesssStandardError() {
        var status = stat()
        #expect(fstat(2, &status) == 0)
        let saved = ProcessInfo.processInfo.environment["JOURNAL_STREAM"]
        defer { if let saved { setenv("JOURNAL_STREAM", saved, 1) } else { unsetenv("JOURNAL_STREAM") } }
        setenv("JOURNAL_STREAM", "\(status.st_dev):\(status.st_ino)", 1)
        #expect(Journal.standardErrorIsJournal)
        setenv("JOURNAL_STREAM", "\(status.st_dev):\(status.st_ino &+ 1)", 1)
        #expect(!Journal.standardErrorIsJournal)
        unsetenv("JOURNAL_STREAM")
        #expect(!Journal.standardErrorIsJournal)
    }

    @Test func statusNames_areGRPCs() {
        #expect(StatusNames.name(0) == "OK")
        #expect(StatusNames.name(3) == "INVALID_ARGUMENT")
        #expect(StatusNames.name(8) == "RESOURCE_EXHAUSTED")
        #expect(StatusNames.name(13) == "INTERNAL")
        #expect(StatusNames.name(99) == "CODE_99")
    }
}
