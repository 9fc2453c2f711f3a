// What reaches journald through the real libsystemd call: the daemon runs
// in a private mount namespace whose /run is a scratch folder, with a real
// systemd-journald started there for the test; `journalctl --sync` in that
// namespace, then `journalctl -D`, read the entries back (no sleeps).

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct JournaldTests {
    /// Binds the scratch folder ($1) over /run, starts journald there, waits
    /// for its socket, then runs the rest of the arguments (taizhangd).
    static let wrapperScript = """
        set -e
        scratch=$1; shift
        mount --bind "$scratch" /run
        mkdir -p /run/systemd/journal
        /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
        echo $! > "$scratch/journald.pid"
        n=0
        while [ ! -S /run/systemd/journal/socket ]; do
          n=$((n+1)); [ $n -lt 400 ] || { echo "journald did not start" >&2; exit 70; }
          sleep 0.025
        done
        exec "$@"
        """

    /// Runs a program and returns its exit status and standard output
    /// (with its standard error too when `withErrors`).
    static func output(_ arguments: [String], withErrors: Bool = false) throws -> (Int32, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = withErrors ? pipe : FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    /// Runs a program and returns its exit status and its output and error, together, as text.
    static func outputAndError(_ arguments: [String]) throws -> (Int32, String) {
        let (status, data) = try output(arguments, withErrors: true)
        return (status, String(decoding: data, as: UTF8.self))
    }

    /// The entries of the journal in `directory` matching `matches`, after
    /// asking the namespace's journald (through `pid`'s mount namespace) to
    /// write out everything sent before: `journalctl --sync` returns only then.
    static func entries(directory: String, namespaceOf pid: Int32, matches: [String]) throws -> [[String: Any]] {
        let (synced, _) = try output(["/usr/bin/nsenter", "-t", String(pid), "-m", "--", "/usr/bin/journalctl", "--sync"])
        #expect(synced == 0, "journalctl --sync failed")
        let (_, data) = try output(["/usr/bin/journalctl", "-D", directory, "-o", "json"] + matches)
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    /// taizhangd in a private mount namespace with its own journald (see
    /// wrapperScript); the scratch folder holds the journal.
    final class NamespacedDaemon {
        let daemon: DaemonProcess
        let scratch: String
        let journaldPid: Int32

        init(_ arguments: [String], dataDirectory: String? = nil, environment: [String: String] = [:]) throws {
            scratch = NSTemporaryDirectory() + "tz-journal-" + String(UUID().uuidString.prefix(8))
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            daemon = try DaemonProcess(dataDirectory: dataDirectory, extraArguments: arguments,
                                       wrapper: ["/usr/bin/unshare", "--mount", "--propagation", "private", "--",
                                                 "/bin/sh", "-c", JournaldTests.wrapperScript, "sh", scratch], environment: environment)
            journaldPid = Int32(try String(contentsOfFile: scratch + "/journald.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }

        /// The journal's entries matching `matches`, once journald wrote out everything sent.
        func entries(_ matches: [String]) throws -> [[String: Any]] {
            try JournaldTests.entries(directory: scratch + "/log/journal", namespaceOf: daemon.pid, matches: matches)
        }

        deinit {
            // journald inherited the descriptor Foundation's Process watches
            // for taizhangd's exit: it goes first, or the exit is never seen.
            if journaldPid > 0 { kill(journaldPid, SIGKILL) }
            daemon.stop()
        }
    }

    @Test func alertsReachJournaldWithTheirMessageIdPriorityAndEveryField() async throws {
        // Runs only when asked (RunMonitor), so each entry below is one deliberate run.
        let namespaced = try NamespacedDaemon(["--risk-config", try RiskMonitorTests.configuration(#", "debounce_millis": 60000"#), "--alerts-to", "journald"])
        let daemon = namespaced.daemon

        let client = try await daemon.connect()
        let (entity, _) = try await RiskMonitorTests.seedOperations(client)
        _ = try await RiskMonitorTests.report(client, entity: entity, back: 2, met: false)
        _ = try await RiskMonitorTests.report(client, entity: entity, back: 1, met: false)
        _ = try await RiskMonitorTests.run(client)
        _ = try await RiskMonitorTests.report(client, entity: entity, back: 1, met: true, reason: "核实后更正")
        _ = try await RiskMonitorTests.run(client)
        await client.close()

        let entries = try namespaced.entries(["TAIZHANG_KIND=entity_targets"])
        try #require(entries.count == 2, "journald got \(entries.count) entity_targets entries")
        let raised = entries[0]
        func field(_ entry: [String: Any], _ key: String) -> String { entry[key] as? String ?? "" }
        #expect(field(raised, "MESSAGE_ID") == "a728f7a236264ec4abf55ed8dfa03046")
        #expect(field(raised, "PRIORITY") == "3")
        #expect(field(raised, "SYSLOG_IDENTIFIER") == "taizhangd")
        #expect(field(raised, "MESSAGE").hasPrefix("【红灯】带贫主体目标完成预警：白马村蔬菜专业合作社（\(entity)）"))
        #expect(field(raised, "TAIZHANG_EVENT") == "raised")
        #expect(field(raised, "TAIZHANG_LEVEL") == "red")
        #expect(field(raised, "TAIZHANG_PREVIOUS_LEVEL") == "green")
        #expect(field(raised, "TAIZHANG_KIND") == "entity_targets")
        #expect(field(raised, "TAIZHANG_SUBJECT_KIND") == "entity")
        #expect(field(raised, "TAIZHANG_ENTITY_ID") == entity)
        #expect(field(raised, "TAIZHANG_SUBJECT_NAME") == "白马村蔬菜专业合作社")
        #expect(field(raised, "TAIZHANG_ADMIN_CODE") == "421024101201")
        #expect(field(raised, "TAIZHANG_TOWNSHIP_CODE") == "421024101000")
        #expect(field(raised, "TAIZHANG_COUNTY_CODE") == "421024000000")
        #expect(field(raised, "TAIZHANG_QUARTER") == Quarters.name(back: 1))
        #expect(Int(field(raised, "TAIZHANG_SCORE")) != nil)
        #expect(field(raised, "TAIZHANG_PARTS").contains("output_benefit=40/w30"))
        #expect(field(raised, "TAIZHANG_PART_OUTPUT_BENEFIT") == "40")
        #expect(field(raised, "TAIZHANG_PART_SUPPORT_MEASURES") == "100")
        #expect(field(raised, "TAIZHANG_REASON_CODES") == "output_below_target,sales_below_target,missed_two_quarters")
        #expect(field(raised, "TAIZHANG_REASONS").contains("连续两个季度"))
        #expect(field(raised, "TAIZHANG_MESSAGE_EN").hasPrefix("[red] entity targets: "))
        #expect(!field(raised, "TAIZHANG_ALERT_ID").isEmpty)
        #expect(!field(raised, "TAIZHANG_EVENT_SEQ").isEmpty)
        let recovered = entries[1]
        #expect(field(recovered, "MESSAGE_ID") == "40cb36b8718b414aa0a1bcf514550159")
        #expect(field(recovered, "PRIORITY") == "5")
        #expect(field(recovered, "TAIZHANG_EVENT") == "cleared")
        #expect(field(recovered, "TAIZHANG_LEVEL") == "green")
        #expect(field(recovered, "TAIZHANG_PREVIOUS_LEVEL") == "red")
        #expect(field(recovered, "TAIZHANG_ALERT_ID") == field(raised, "TAIZHANG_ALERT_ID"))
        #expect(field(recovered, "MESSAGE").hasPrefix("【已解除】"))
    }

    static let escalationMessageId = "fa0708258f9047f7bee8998102786854"

    @Test func anOverdueFollowUp_isEscalatedToTheUnitAbove_onceInJournald() async throws {
        let configuration = try RiskMonitorTests.configuration(#", "debounce_millis": 60000"#)
        let first = try DaemonProcess(extraArguments: ["--risk-config", configuration])
        let client = try await first.connect()
        let (entity, _) = try await RiskMonitorTests.seedOperations(client)
        _ = try await RiskMonitorTests.run(client)
        let raised = try await client.unary("/taizhang.risk.v1.Risk/ListAlerts", Taizhang_Risk_V1_ListAlertsRequest.with { $0.state = .open },
                                            as: Taizhang_Risk_V1_ListAlertsResponse.self).alerts
        #expect(raised.contains { $0.subjectID == entity })
        await client.close()
        #expect(first.stop() == 0)

        // Ten days on, nobody has acknowledged them: the start run and one asked for.
        let namespaced = try NamespacedDaemon(["--risk-config", configuration, "--alerts-to", "journald"], dataDirectory: first.dataDirectory,
                                              environment: ["TAIZHANG_FAULT_CLOCK_OFFSET_DAYS": "10"])
        let later = try await namespaced.daemon.connect()
        _ = try await RiskMonitorTests.run(later)
        _ = try await RiskMonitorTests.run(later)
        let kept = try await later.unary("/taizhang.risk.v1.Risk/GetAlert", Taizhang_Risk_V1_GetAlertRequest.with { $0.alertID = raised[0].ledgerID },
                                         as: Taizhang_Risk_V1_Alert.self)
        // WatchAlerts carries each escalation too (a monitoring agent routes it to the unit above).
        let newest = try await later.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                           as: Taizhang_System_V1_StatusResponse.self).alertEventsNewestSeq
        let (callId, items) = try later.stream("/taizhang.risk.v1.Risk/WatchAlerts", payload: try Taizhang_Risk_V1_WatchAlertsRequest.with {
            $0.fromCheckpoint = true
        }.serializedData())
        var escalatedEvents: [Taizhang_Risk_V1_AlertEvent] = []
        for try await item in items {
            let event = try Taizhang_Risk_V1_AlertEvent(serializedBytes: item)
            if event.type == "escalated" { escalatedEvents.append(event) }
            if event.seq >= newest { break }
        }
        try? later.cancel(callId: callId)
        #expect(Set(escalatedEvents.map(\.alert.id)) == Set(raised.map(\.id)), "\(escalatedEvents.map(\.alert.id))")
        #expect(escalatedEvents.allSatisfy { $0.message.hasPrefix("【逾期升级】") })
        await later.close()
        #expect(kept.followUp.overdue)
        #expect(kept.followUp.escalations.map(\.reason) == ["unacknowledged"])
        let entries = try namespaced.entries(["MESSAGE_ID=" + Self.escalationMessageId])
        #expect(entries.count == raised.count, "one escalation per alert, once: \(entries.count) for \(raised.count)")
        func field(_ entry: [String: Any], _ key: String) -> String { entry[key] as? String ?? "" }
        let entry = try #require(entries.first { field($0, "TAIZHANG_LEDGER_ID") == raised[0].ledgerID })
        #expect(field(entry, "TAIZHANG_EVENT") == "escalated")
        #expect(field(entry, "TAIZHANG_ESCALATION_REASON") == "unacknowledged")
        #expect(field(entry, "TAIZHANG_ESCALATED_TO") == "421024101000", "白马村's township")
        #expect(field(entry, "TAIZHANG_ALERT_ID") == String(raised[0].id))
        #expect(field(entry, "PRIORITY") == (raised[0].level == .red ? "3" : "4"))
        #expect(field(entry, "MESSAGE").hasPrefix("【逾期上报→421024101000】"))
        #expect(field(entry, "TAIZHANG_MESSAGE_EN").hasPrefix("[escalated to 421024101000]"))
    }

    /// The daemon's own lines under --log-to journald: SYSLOG_IDENTIFIER,
    /// PRIORITY from the level, and each call's request-id, method and code
    /// as fields (at debug, every call has a line).
    @Test func theDaemonsOwnLinesReachJournaldWithStructuredFields() async throws {
        let namespaced = try NamespacedDaemon(["--log-to", "journald", "--log-level", "debug"])
        let daemon = namespaced.daemon
        let client = try await daemon.connect()
        _ = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(),
                                   as: Taizhang_System_V1_HealthResponse.self, metadata: ["request-id": "journal-call-1"])
        var missing = Taizhang_Ledger_V1_GetAssetRequest()
        missing.id = "ZC99999999"
        await #expect(throws: RPCError.self) {
            _ = try await client.unary(Fixture.ledger + "GetAsset", missing, as: Taizhang_Ledger_V1_Asset.self,
                                       metadata: ["request-id": "journal-call-2"])
        }
        await client.close()
        func field(_ entry: [String: Any], _ key: String) -> String { entry[key] as? String ?? "" }

        let calls = try namespaced.entries(["SYSLOG_IDENTIFIER=taizhangd", "METHOD=/taizhang.system.v1.System/Health"])
        let call = try #require(calls.first { field($0, "REQUEST_ID") == "journal-call-1" }, "no entry for the Health call")
        #expect(field(call, "PRIORITY") == "7")
        #expect(field(call, "CODE") == "OK")
        #expect(field(call, "PEER") == "uid:\(getuid())")
        #expect(Int(field(call, "DURATION_US")) != nil)
        #expect(field(call, "MESSAGE").hasPrefix("call /taizhang.system.v1.System/Health OK in "))
        #expect(field(call, "CODE_FILE").hasSuffix("StoreLog.swift") || !field(call, "CODE_FILE").isEmpty)
        let failed = try namespaced.entries(["REQUEST_ID=journal-call-2"])
        #expect(failed.count == 1)
        #expect(failed.first.map { field($0, "CODE") } == "NOT_FOUND")
        #expect(failed.first.map { field($0, "STATUS_MESSAGE") }?.contains("ZC99999999") == true)
        let startup = try namespaced.entries(["SYSLOG_IDENTIFIER=taizhangd", "PRIORITY=6"])
        #expect(startup.contains { field($0, "MESSAGE").hasPrefix("ledger ") && field($0, "MESSAGE").contains("taizhang.db") },
                "\(startup.map { field($0, "MESSAGE") })")
    }

    /// The stable MESSAGE_IDs of docs/risk.md: raised/changed, then the recovery.
    static let messageIds: [String: (String, String)] = [
        "entity_targets": ("a728f7a236264ec4abf55ed8dfa03046", "40cb36b8718b414aa0a1bcf514550159"),
        "entity_score": ("d7ae1097612b4e56b2db5f1eea9148dd", "93a0c9b174c34fb6817ec594bb877f76"),
        "report_missing": ("91f345cdd0434339820d4d11f659d920", "aa715eed28b7401cb6a56b7f8cb31dc0"),
        "payment_overdue": ("9fc3619895004474b1d273cf519648fb", "a6332b26bfb1469797f7c0d87538aab0"),
        "asset_idle": ("5bba695e5a9c474da2bfd7cebfe00836", "89376cdde4404153bbecb41a60b9f811"),
        "asset_loss": ("3c93233a49954d7eb91c2603b8d14fbc", "7e78d8de55b54b7b81fe056fa8d4b176"),
        "asset_decline": ("737a1e947e794aa3990e1b27b5bc7359", "71f022da4b59493d845830c315b546d5"),
        "publication_overdue": ("8308f70a16af436fb1b0fca0be6fd236", "0ee0860fcfbe4902966e3d9ba8c05786"),
        "handover_overdue": ("7c79ec5f43a546799f3f5ed29a27bb34", "cd1554ff9e194dfda15533cb73f6e562"),
        "contract_expiring": ("7026a501571b48ae9da0b4e888e6e23b", "2517b7e06cbc40aa971822f9788ed130"),
        "count_overdue": ("8ccd31942f074927b2c72a4747464149", "0e1cee30b5464d25bf6e90a81b5cb0d3"),
        "distribution_overdue": ("f0e4c8ca59d64b4bb2ebcbea8e03d430", "1f865d42cd1840fcb317f1e8c703c565"),
        "unit_light": ("29935e0b8b3a4cba884c2107e41c6195", "df1e8ab1cace4b14a639c606a37f244f"),
        "books_mismatch": ("2739268598284d909b0ebf8da060e49d", "35910f3a3915478e97a7f6b10851b8f0"),
        "payment_disputed": ("5d1c0a6e7b3f4e2a9c8d4b6f1e0a7c35", "b84e2f91c6d34a7f8e15a0c93d27b6e4"),
        "upkeep_overdue": ("c9e2013296ee4334b090bc8ba04a154f", "8c9c8c02701f4c898c26d149f6bcefb2"),
    ]

    /// scripts/install stages the catalogs; journalctl compiles them and
    /// knows every MESSAGE_ID the daemon sends, in English and in Chinese.
    @Test func theCatalogsInstallAndExplainEveryMessageId() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let stage = NSTemporaryDirectory() + "tz-install-" + String(UUID().uuidString.prefix(8))
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let bin = (DaemonProcess.binary as NSString).deletingLastPathComponent
        let (installed, _) = try Self.output(["/bin/bash", root + "/scripts/install", "--destdir", stage, "--bin-dir", bin])
        #expect(installed == 0)
        #expect(FileManager.default.isExecutableFile(atPath: stage + "/usr/local/bin/taizhangd"))
        let service = try String(contentsOfFile: stage + "/usr/local/lib/systemd/system/taizhangd.service", encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/local/bin/taizhangd"))
        for file in ["/usr/local/lib/systemd/system/taizhangd.socket", "/usr/local/lib/systemd/system/taizhangd-tcp.socket",
                     "/usr/local/lib/sysusers.d/taizhang.conf", "/usr/local/lib/tmpfiles.d/taizhang.conf"] {
            #expect(FileManager.default.fileExists(atPath: stage + file), "\(file)")
        }
        #expect(service.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        // The C client: libraries, headers, pkg-config file, example; a program builds against them.
        for file in ["lib/libtaizhang.a", "lib/libtaizhang.so", "lib/libtaizhang.so.0", "lib/pkgconfig/taizhang.pc", "include/taizhang/client.h",
                     "include/taizhang/ledger/v1/ledger.pb-c.h", "include/taizhang/rpc/v1/envelope.pb-c.h", "bin/taizhang-c-example"] {
            #expect(FileManager.default.fileExists(atPath: stage + "/usr/local/" + file), "\(file)")
        }
        let (flags, flagText) = try Self.outputAndError(["/usr/bin/pkg-config", "--define-variable=prefix=" + stage + "/usr/local",
                                                         "--cflags", "--libs", "--static", stage + "/usr/local/lib/pkgconfig/taizhang.pc"])
        #expect(flags == 0, "\(flagText)")
        let program = stage + "/example"
        let compile = ["/usr/bin/cc", "-o", program, root + "/clients/c/examples/example.c"]
            + flagText.split(whereSeparator: \.isWhitespace).map(String.init).map { $0 == "-ltaizhang" ? stage + "/usr/local/lib/libtaizhang.a" : $0 }
        let (linked, linkText) = try Self.outputAndError(compile)
        #expect(linked == 0, "\(linkText)")
        // The default configuration; an edited one survives a reinstall and the uninstall.
        let config = stage + "/etc/taizhang/taizhangd.conf"
        #expect(try String(contentsOfFile: config, encoding: .utf8) == String(contentsOfFile: root + "/systemd/taizhangd.conf", encoding: .utf8))
        try "log-level = debug\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try Self.output(["/bin/bash", root + "/scripts/install", "--destdir", stage, "--bin-dir", bin]).0 == 0)
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "log-level = debug\n")
        #expect(FileManager.default.fileExists(atPath: config + ".dist"))
        #expect(try Self.output(["/bin/bash", root + "/scripts/uninstall", "--destdir", stage]).0 == 0)
        #expect(FileManager.default.fileExists(atPath: config))
        #expect(!FileManager.default.fileExists(atPath: config + ".dist"))
        #expect(!FileManager.default.fileExists(atPath: stage + "/usr/local/bin/taizhangd"))
        try FileManager.default.removeItem(atPath: config)
        #expect(try Self.output(["/bin/bash", root + "/scripts/install", "--destdir", stage, "--bin-dir", bin]).0 == 0)
        // Another configuration folder is named in ExecStart.
        let (elsewhere, _) = try Self.output(["/bin/bash", root + "/scripts/install", "--destdir", stage + "/alt", "--sysconfdir", "/opt/etc", "--bin-dir", bin])
        #expect(elsewhere == 0)
        #expect(try String(contentsOfFile: stage + "/alt/usr/local/lib/systemd/system/taizhangd.service", encoding: .utf8)
            .contains("ExecStart=/usr/local/bin/taizhangd --config /opt/etc/taizhang/taizhangd.conf\n"))
        #expect(FileManager.default.fileExists(atPath: stage + "/alt/opt/etc/taizhang/taizhangd.conf"))
        // Another prefix points ExecStart there.
        let (other, _) = try Self.output(["/bin/bash", root + "/scripts/install", "--destdir", stage, "--prefix", "/opt/taizhang", "--bin-dir", bin])
        #expect(other == 0)
        #expect(try String(contentsOfFile: stage + "/opt/taizhang/lib/systemd/system/taizhangd.service", encoding: .utf8)
            .contains("ExecStart=/opt/taizhang/bin/taizhangd"))
        let english = try String(contentsOfFile: root + "/systemd/taizhang.catalog", encoding: .utf8)
        let chinese = try String(contentsOfFile: root + "/systemd/taizhang.zh_CN.catalog", encoding: .utf8)
        let (compiled, _) = try Self.output(["/usr/bin/journalctl", "--root=" + stage, "--update-catalog"])
        #expect(compiled == 0)
        let (_, listing) = try Self.output(["/usr/bin/journalctl", "--root=" + stage, "--list-catalog"])
        let listed = String(decoding: listing, as: UTF8.self)
        for (kind, ids) in Self.messageIds {
            #expect(listed.contains(ids.0 + " taizhang: "), "\(kind) raised")
            #expect(listed.contains(ids.1 + " taizhang: "), "\(kind) recovery")
        }
        // The monitoring agent's own (docs/agent.md), in both languages.
        let agentEnglish = try String(contentsOfFile: root + "/systemd/taizhang-agent.catalog", encoding: .utf8)
        let agentChinese = try String(contentsOfFile: root + "/systemd/taizhang-agent.zh_CN.catalog", encoding: .utf8)
        for id in ["3f0c9d5e27b44a7d9a0f6c1b8e2d4a61", "8b1e6f3a9c2d4e5f8a7b6c5d4e3f2a19", "5d2c8e1f7a9b4c3d8e6f5a4b3c2d1e08",
                   "c4a1f7e2b9d84c6e9f3a2b1c0d9e8f77", "e7b2c9d4a1f64e8b9c3d2a1f0e9b8c66", "80592bc762fa4f329854f39085023f01"] {
            #expect(listed.contains(id + " taizhang: "), "agent \(id)")
            #expect(agentEnglish.contains("-- " + id + "\n") && agentChinese.contains("-- " + id + "\n"), "agent \(id)")
        }
        // The ledger's anchored head and its hold (LedgerGuard).
        for id in [AnchorTests.anchorMessageId, AnchorTests.heldMessageId, Self.escalationMessageId] {
            #expect(listed.contains(id + " taizhang: "), "\(id)")
            #expect(english.contains("-- " + id + "\n") && chinese.contains("-- " + id + "\n"), "\(id)")
        }
        for (_, ids) in Self.messageIds {
            for id in [ids.0, ids.1] {
                #expect(english.contains("-- " + id + "\n"))
                #expect(chinese.contains("-- " + id + "\n"))
            }
        }
        let (removed, _) = try Self.output(["/bin/bash", root + "/scripts/uninstall", "--destdir", stage])
        #expect(removed == 0)
        #expect(!FileManager.default.fileExists(atPath: stage + "/usr/local/bin/taizhangd"))
        #expect(!FileManager.default.fileExists(atPath: stage + "/usr/local/lib/systemd/catalog/taizhang.catalog"))
        #expect(!FileManager.default.fileExists(atPath: stage + "/usr/local/lib/systemd/system/taizhangd.service"))
    }
}
