// taizhang-agent against real processes: two daemons, the agent, a webhook
// receiver. Killed with SIGKILL at random moments under a stream of alerts,
// it delivers every transition at least once, each key always with the same
// content; a daemon killed is its alert within two polls and its restart
// the recovery; a journal cut short is critical at the next verification; a
// receiver down gets everything when it returns; silences hold what they
// match; a checkpoint the daemon no longer holds makes it re-read the open
// alerts.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct AgentTests {
    static let risk = "/taizhang.risk.v1.Risk/"

    /// A daemon with an entity and its contract, its alerts settled.
    static func seededDaemon(_ environment: [String: String] = [:], data: String? = nil) async throws -> (DaemonProcess, String) {
        let daemon = try DaemonProcess(dataDirectory: data, extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"],
                                       environment: environment)
        let client = try await daemon.connect()
        let (entity, _) = try await RiskMonitorTests.seedOperations(client)
        _ = try await RiskMonitorTests.report(client, entity: entity, back: 2, met: true)
        _ = try await RiskMonitorTests.report(client, entity: entity, back: 1, met: true)
        _ = try await RiskMonitorTests.run(client)
        await client.close()
        return (daemon, entity)
    }

    /// Corrects the judged quarter to a miss or back: each flip raises or clears.
    static func flip(_ daemon: DaemonProcess, entity: String, met: Bool) async throws {
        let client = try await daemon.connect()
        _ = try await RiskMonitorTests.report(client, entity: entity, back: 1, met: met, reason: met ? "更正为核实后的数据" : "销售收入重复统计")
        _ = try await RiskMonitorTests.run(client)
        await client.close()
    }

    static func status(_ daemon: DaemonProcess) async throws -> Taizhang_System_V1_StatusResponse {
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        return try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
    }

    /// The keys of every event after `after`, as the agent names them.
    static func eventKeys(_ daemon: DaemonProcess, name: String, after: Int64) async throws -> Set<String> {
        let newest = try await status(daemon).alertEventsNewestSeq
        guard newest > after else { return [] }
        let client = try await daemon.connect()
        var request = Taizhang_Risk_V1_WatchAlertsRequest()
        request.afterSeq = after
        request.fromCheckpoint = true
        let (callId, items) = try client.stream(risk + "WatchAlerts", payload: try request.serializedData())
        var keys: Set<String> = []
        for try await item in items {
            let event = try Taizhang_Risk_V1_AlertEvent(serializedBytes: item)
            keys.insert("\(name)/\(event.alert.id)/seq-\(event.seq)-\(event.time.filter { $0 != "-" && $0 != ":" && $0 != "." })")
            if event.seq >= newest { break }
        }
        try? client.cancel(callId: callId)
        await client.close()
        return keys
    }

    /// Whether `condition` came to hold within `seconds` (looked at every 50 ms).
    static func until(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// GET over a real HTTP connection.
    static func get(_ url: String) async throws -> Data {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return data
    }

    static func config(_ sink: WebhookSink, daemons: [(String, DaemonProcess)], extra: String = "", pollSeconds: Int = 1) -> String {
        var text = "poll-interval-seconds = \(pollSeconds)\ngroup-wait-ms = 100\nrepeat-interval-seconds = 0\n" + extra + "\n"
        for (name, daemon) in daemons { text += "[daemon \(name)]\nunix = \(daemon.socketPath)\ntitle = \(name)县\nadmin = 421024000000\n\n" }
        text += "[receiver sink]\ntype = webhook\nurl = \(sink.url)/alerts\n\n[route]\nreceiver = sink\n"
        return text
    }

    @Test func killedAtRandomOver20Cycles_everyTransitionArrivesAndEachKeyAlwaysSaysTheSame() async throws {
        let (a, entityA) = try await Self.seededDaemon()
        let (b, entityB) = try await Self.seededDaemon()
        defer { a.stop(); b.stop() }
        let sink = try WebhookSink()
        let startA = try await Self.status(a).alertEventsNewestSeq
        let startB = try await Self.status(b).alertEventsNewestSeq
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let config = Self.config(sink, daemons: [("a", a), ("b", b)])
        var met = false
        for cycle in 0..<20 {
            let agent = try AgentProcess(stateDirectory: state, config: config)
            if cycle == 0 {
                // Installed: the first start sets its checkpoints before anything is killed.
                let established = await sink.wait(seconds: 10) { _ in
                    let memory = (try? String(contentsOfFile: state + "/state.json", encoding: .utf8)) ?? ""
                    return memory.contains("\"a\":") && memory.contains("\"b\":")
                }
                _ = established
                let memory = (try? String(contentsOfFile: state + "/state.json", encoding: .utf8)) ?? ""
                try #require(memory.contains("\"a\":") && memory.contains("\"b\":"), "the first start set no checkpoints: \(memory)")
            }
            // Flips on both daemons while the agent runs; the kill lands somewhere among them.
            // (A random pause, so the kill falls anywhere in a flush or a delivery.)
            let killAfter = Int.random(in: 0...3)
            for step in 0..<4 {
                if step == killAfter {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...150)))
                    agent.stop(signal: SIGKILL)
                }
                try await Self.flip(step % 2 == 0 ? a : b, entity: step % 2 == 0 ? entityA : entityB, met: met)
                if step % 2 == 1 { met.toggle() }
            }
            agent.stop(signal: SIGKILL)
            _ = cycle
        }
        // A last run delivers what the killed ones left.
        let agent = try AgentProcess(stateDirectory: state, config: config)
        defer { agent.stop() }
        let expected = try await Self.eventKeys(a, name: "a", after: startA).union(try await Self.eventKeys(b, name: "b", after: startB))
        #expect(expected.count >= 60, "only \(expected.count) transitions")
        let received = await sink.wait(seconds: 30) { all in expected.isSubset(of: Set(all.map(\.key))) }
        let keys = Set(received.map(\.key))
        #expect(expected.subtracting(keys).isEmpty, "never delivered: \(expected.subtracting(keys).sorted().prefix(10))")
        // Nothing but those transitions (and the open alerts the first start re-read).
        let others = keys.subtracting(expected).filter { !$0.contains("/open-") }
        #expect(others.isEmpty, "unexpected keys: \(others.sorted().prefix(10))")
        // A key sent twice is the same notice twice: deduplicating by key is safe.
        var seen: [String: WebhookSink.Received] = [:]
        for item in received {
            if let first = seen[item.key] {
                #expect(first.transition == item.transition && first.level == item.level && first.message == item.message, "key \(item.key) changed")
            }
            seen[item.key] = item
        }
        print("agent kill test: \(expected.count) transitions, \(received.count) deliveries (\(received.count - keys.count) repeats, dropped by key)")
    }

    @Test func aDaemonKilledIsAnAlertWithinTwoPollsAndItsRestartTheRecovery() async throws {
        let (a, _) = try await Self.seededDaemon()
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let agent = try AgentProcess(stateDirectory: state, config: Self.config(sink, daemons: [("a", a)], pollSeconds: 2))
        defer { agent.stop() }
        // The agent has polled it once (its status file says so).
        _ = await sink.wait(seconds: 10) { _ in (try? String(contentsOfFile: state + "/status.json", encoding: .utf8))?.contains("\"up\":true") == true }
        try #require((try? String(contentsOfFile: state + "/status.json", encoding: .utf8))?.contains("\"up\":true") == true)
        let data = a.dataDirectory
        a.stop(signal: SIGKILL)
        let killed = Date()
        let down = await sink.wait(seconds: 10) { $0.contains { $0.transition == "daemon_down" } }
        let elapsed = Date().timeIntervalSince(killed)
        let alert = try #require(down.first { $0.transition == "daemon_down" })
        // Two poll intervals (2 s each), and a second for the flush and the delivery.
        #expect(elapsed < 2 * 2.0 + 1.0, "the daemon_down alert came after \(elapsed) s (poll interval 2 s)")
        #expect(alert.level == "critical" && alert.daemon == "a" && alert.message.contains("无法访问"))
        let restarted = try DaemonProcess(dataDirectory: data, extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        defer { restarted.stop() }
        let up = await sink.wait(seconds: 10) { $0.contains { $0.transition == "daemon_up" } }
        let recovery = try #require(up.first { $0.transition == "daemon_up" })
        #expect(recovery.key == alert.key.replacingOccurrences(of: "/down-", with: "/up-"))
        #expect(recovery.message.hasPrefix("【已恢复】"))
    }

    @Test func aJournalCutBehindTheDaemonsBackIsCriticalAtTheNextVerification() async throws {
        let (a, entity) = try await Self.seededDaemon()
        defer { a.stop() }
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let agent = try AgentProcess(stateDirectory: state, config: Self.config(sink, daemons: [("a", a)], extra: "verify-interval-seconds = 1"))
        defer { agent.stop() }
        // A verification keeps the head, then more entries extend it and another keeps that.
        let heads = state + "/heads/a.jsonl"
        _ = await sink.wait(seconds: 10) { _ in FileManager.default.fileExists(atPath: heads) }
        try await Self.flip(a, entity: entity, met: false)
        let newest = try await Self.status(a).auditHeadSeq
        _ = await sink.wait(seconds: 10) { _ in (try? String(contentsOfFile: heads, encoding: .utf8))?.contains("\"seq\":\(newest)}") == true }
        #expect(try String(contentsOfFile: heads, encoding: .utf8).split(separator: "\n").count >= 2)
        // Cut the journal's last three entries with sqlite3, behind the daemon's back.
        let cut = try CLITests.run("/usr/bin/sqlite3", [a.dataDirectory + "/taizhang.db", "DELETE FROM audit_journal WHERE seq > (SELECT max(seq) - 3 FROM audit_journal);"])
        #expect(cut.status == 0, "\(cut.stderr)")
        let received = await sink.wait(seconds: 10) { $0.contains { $0.transition == "head_not_extended" } }
        let alert = try #require(received.first { $0.transition == "head_not_extended" })
        #expect(alert.level == "critical")
        let kept = try #require(String(contentsOfFile: heads, encoding: .utf8).split(separator: "\n").last)
        let keptSeq = try #require(kept.split(separator: ":").last.flatMap { Int($0.dropLast()) })
        #expect(keptSeq >= Int(newest))
        #expect(alert.message.contains("此前 \(keptSeq) "), "\(alert.message)")
        #expect(alert.message.contains("现在 \(keptSeq - 3) "), "\(alert.message)")
        // Found again at every verification (each second), announced once: no second delivery within three more.
        _ = await sink.wait(seconds: 3) { $0.filter { $0.transition == "head_not_extended" }.count > 1 }
        #expect(sink.received().filter { $0.transition == "head_not_extended" }.count == 1)
        let status = try AgentProcess.command(["status", "--lang", "en"], config: agent.configPath)
        #expect(status.stdout.contains("FAILED"), "\(status.stdout)")
    }

    /// Issue 24: the agent keeps each signed tree head it saw, after
    /// checking its signature and that it extends the last kept; an old
    /// backup restored behind its back (a shorter tree) is critical.
    @Test func signedTreeHeads_areKeptWhileTheyExtend_andAnOldBackupRestoredIsCritical() async throws {
        let (a, entity) = try await Self.seededDaemon()
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        func signHead(_ daemon: DaemonProcess) async throws -> UInt64 {
            let client = try await daemon.connect()
            defer { Task { await client.close() } }
            return try await client.unary(RPC.Ledger.getTreeHead, .with { $0.signNew = true }).treeSize
        }
        let first = try await signHead(a)
        let agent = try AgentProcess(stateDirectory: state, config: Self.config(sink, daemons: [("a", a)]))
        defer { agent.stop() }
        let kept = state + "/heads/a.tree.jsonl"
        _ = await sink.wait(seconds: 10) { _ in (try? String(contentsOfFile: kept, encoding: .utf8))?.contains("\"size\":\(first)") == true }
        // The ledger as it was, copied aside while the daemon is stopped.
        let data = a.dataDirectory
        #expect(a.stop() == 0)
        let backup = NSTemporaryDirectory() + "tz-backup-" + UUID().uuidString + ".db"
        try FileManager.default.copyItem(atPath: data + "/taizhang.db", toPath: backup)
        let b = try DaemonProcess(dataDirectory: data, extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        try await Self.flip(b, entity: entity, met: false)
        let second = try await signHead(b)
        #expect(second > first)
        _ = await sink.wait(seconds: 10) { _ in (try? String(contentsOfFile: kept, encoding: .utf8))?.contains("\"size\":\(second)") == true }
        #expect(try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n").count == 2, "each head kept once, after its proof held")
        #expect(sink.received().allSatisfy { $0.transition != "tree_not_consistent" })
        // The old backup put back behind the daemon's back.
        #expect(b.stop() == 0)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: data + "/taizhang.db" + suffix) }
        try FileManager.default.removeItem(atPath: data + "/taizhang.db")
        try FileManager.default.copyItem(atPath: backup, toPath: data + "/taizhang.db")
        let c = try DaemonProcess(dataDirectory: data, extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        defer { c.stop() }
        let received = await sink.wait(seconds: 10) { $0.contains { $0.transition == "tree_not_consistent" } }
        let alert = try #require(received.first { $0.transition == "tree_not_consistent" })
        #expect(alert.level == "critical")
        #expect(alert.message.contains("\(first)") && alert.message.contains("\(second)"), "\(alert.message)")
        #expect(try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n").count == 2, "a head that fails is not kept")
    }

    @Test func aReceiverDownGetsEverythingWhenItReturns_andSilencesHoldWhatTheyMatch() async throws {
        let (a, entity) = try await Self.seededDaemon()
        defer { a.stop() }
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let agent = try AgentProcess(stateDirectory: state, config: Self.config(sink, daemons: [("a", a)]))
        defer { agent.stop() }
        let start = try await Self.status(a).alertEventsNewestSeq
        sink.setDown(true)
        try await Self.flip(a, entity: entity, met: false)
        try await Self.flip(a, entity: entity, met: true)
        let expected = try await Self.eventKeys(a, name: "a", after: start)
        #expect(expected.count >= 2)
        // Spooled and retried while the receiver answers 503.
        _ = await sink.wait(seconds: 10) { _ in
            let status = try? AgentProcess.command(["status", "--json"], config: agent.configPath)
            return status?.stdout.contains("\"failed\":0") == false
        }
        #expect(sink.received().isEmpty)
        sink.setDown(false)
        let received = await sink.wait(seconds: 20) { expected.isSubset(of: Set($0.map(\.key))) }
        #expect(expected.isSubset(of: Set(received.map(\.key))))

        // A silence over the township: the next flips are held back.
        let add = try AgentProcess.command(["silence", "add", "--admin", "421024101000", "--for", "1h", "--reason", "乡镇检修，预警另行通知", "--by", "ops"],
                                           config: agent.configPath)
        #expect(add.status == 0, "\(add.stderr)")
        let id = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let list = try AgentProcess.command(["silence", "list"], config: agent.configPath)
        #expect(list.stdout.contains(id) && list.stdout.contains("admin=421024101000") && list.stdout.contains("乡镇检修"))
        let route = try AgentProcess.command(["test-route", "--daemon", "a", "--admin", "421024101201", "--kind", "entity_targets", "--level", "red"],
                                             config: agent.configPath)
        #expect(route.stdout.contains("receiver sink") && route.stdout.contains("silenced by \(id)"), "\(route.stdout)")
        let before = try await Self.status(a).alertEventsNewestSeq
        try await Self.flip(a, entity: entity, met: false)
        let silenced = try await Self.eventKeys(a, name: "a", after: before)
        _ = await sink.wait(seconds: 5) { _ in
            (try? String(contentsOfFile: state + "/status.json", encoding: .utf8))?.contains("\"silenced\":0") == false
        }
        #expect((try? String(contentsOfFile: state + "/status.json", encoding: .utf8))?.contains("\"silenced\":0") == false, "the agent held back nothing")
        #expect(Set(sink.received().map(\.key)).isDisjoint(with: silenced))
        // Expired: the next ones go out.
        let expire = try AgentProcess.command(["silence", "expire", id], config: agent.configPath)
        #expect(expire.status == 0)
        let after = try await Self.status(a).alertEventsNewestSeq
        try await Self.flip(a, entity: entity, met: true)
        let released = try await Self.eventKeys(a, name: "a", after: after)
        let last = await sink.wait(seconds: 10) { released.isSubset(of: Set($0.map(\.key))) }
        #expect(released.isSubset(of: Set(last.map(\.key))))
        // A bad silence is refused with every bad field.
        let bad = try AgentProcess.command(["silence", "add", "--admin", "42", "--for", "1y", "--reason", " "], config: agent.configPath)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--admin") && bad.stderr.contains("--for") && bad.stderr.contains("--reason"), "\(bad.stderr)")
    }

    @Test func aCheckpointTheDaemonNoLongerHoldsIsToldSoAndTheOpenAlertsAreReRead() async throws {
        let (first, entity) = try await Self.seededDaemon()
        try await Self.flip(first, entity: entity, met: false)
        let data = first.dataDirectory
        let oldNewest = try await Self.status(first).alertEventsNewestSeq
        // Past the newest: OUT_OF_RANGE, naming where to watch from.
        let client = try await first.connect()
        var ahead = Taizhang_Risk_V1_WatchAlertsRequest()
        ahead.afterSeq = oldNewest + 5
        let (_, items) = try client.stream(Self.risk + "WatchAlerts", payload: try ahead.serializedData())
        var failure: (any Error)?
        do { for try await _ in items {} } catch { failure = error }
        #expect((failure as? RPCError)?.status.code == .outOfRange)
        #expect((failure as? RPCError)?.status.message.contains("watch after seq \(oldNewest)") == true, "\(String(describing: failure))")
        await client.close()
        first.stop()
        // 100 days on, the events are past alert_event_retention_days (90): a full run deletes them.
        let later = try DaemonProcess(dataDirectory: data, extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"],
                                      environment: ["TAIZHANG_FAULT_CLOCK_OFFSET_DAYS": "100"])
        defer { later.stop() }
        let laterClient = try await later.connect()
        _ = try await RiskMonitorTests.run(laterClient)
        await laterClient.close()
        let status = try await Self.status(later)
        #expect(status.alertEventsOldestSeq >= oldNewest, "events from before the 90 days are still kept")
        // An agent whose checkpoint is the first event: told so, it re-reads the open alerts.
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #"{"checkpoints":{"a":1}}"#.write(toFile: state + "/state.json", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(stateDirectory: state, config: Self.config(sink, daemons: [("a", later)]))
        defer { agent.stop() }
        let open = try await RiskMonitorTests.openAlerts(try await later.connect())
        #expect(!open.isEmpty)
        let received = await sink.wait(seconds: 10) { all in open.allSatisfy { alert in all.contains { $0.key.hasPrefix("a/\(alert.id)/open-") } } }
        for alert in open { #expect(received.contains { $0.key.hasPrefix("a/\(alert.id)/open-") && $0.transition == "open" }, "alert \(alert.id) not re-read") }
        // And the checkpoint moved to the newest event.
        let memory = try String(contentsOfFile: state + "/state.json", encoding: .utf8)
        #expect(memory.contains("\"a\":\(status.alertEventsNewestSeq)"), "\(memory)")
    }

    @Test func metricsAndTheStateCountPerDaemonAndTownship() async throws {
        let (a, entity) = try await Self.seededDaemon()
        defer { a.stop() }
        try await Self.flip(a, entity: entity, met: false)
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let agent = try AgentProcess(stateDirectory: state, config: "listen = 127.0.0.1:0\n" + Self.config(sink, daemons: [("a", a)]))
        defer { agent.stop() }
        let url = try #require(agent.url)
        let open = try await RiskMonitorTests.openAlerts(try await a.connect())
        var metrics = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            metrics = String(decoding: (try? await Self.get(url + "/metrics")) ?? Data(), as: UTF8.self)
            if metrics.contains("taizhang_agent_daemon_up{daemon=\"a\"} 1") && metrics.contains("taizhang_agent_open_alerts{") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(metrics.contains("taizhang_agent_daemon_up{daemon=\"a\"} 1"))
        let counted = metrics.split(separator: "\n").filter { $0.hasPrefix("taizhang_agent_open_alerts{daemon=\"a\",township=\"421024101000\"") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        #expect(counted == open.filter { $0.adminCode.hasPrefix("421024101") }.count, "\(metrics)")
        let page = String(decoding: try await Self.get(url + "/"), as: UTF8.self)
        #expect(page.contains("台账监测"))
        let json = try JSONSerialization.jsonObject(with: try await Self.get(url + "/api/state")) as? [String: Any]
        #expect((json?["alerts"] as? [[String: Any]])?.count == open.count)
        // Its memory bar (32 MiB watching 10 daemons) holds because it links
        // FoundationEssentials only: full Foundation and ICU were 6 MB of it.
        let mapsFile = try #require(FileHandle(forReadingAtPath: "/proc/\(agent.pid)/maps"))  // read to EOF: /proc says size 0
        let maps = String(decoding: mapsFile.readDataToEndOfFile(), as: UTF8.self)
        #expect(maps.contains("libFoundationEssentials.so"))
        #expect(!maps.contains("libFoundation.so") && !maps.contains("ICU"), "the agent maps full Foundation or ICU (a module of its graph imports Foundation; an incremental build may keep a stale object: build clean)")
    }

    @Test func underSystemdItSaysReadyPingsTheWatchdogAndSaysStopping() async throws {
        let (a, _) = try await Self.seededDaemon()
        defer { a.stop() }
        let sink = try WebhookSink()
        let notify = try SystemdTests.NotifySocket()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let agent = try AgentProcess(stateDirectory: state, config: Self.config(sink, daemons: [("a", a)]),
                                     environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        let ready = try #require(notify.receive(), "no READY=1")
        #expect(ready.hasPrefix("READY=1\n") && ready.contains("STATUS=watching 1 daemon(s)"), "\(ready)")
        var pings = 0
        while pings < 3, let message = notify.receive(within: 5) {
            if message.contains("WATCHDOG=1") { pings += 1 }
        }
        #expect(pings == 3)
        #expect(agent.stop() == 0)
        var stopping = false
        while let message = notify.receive(within: 5) { if message.hasPrefix("STOPPING=1") { stopping = true; break } }
        #expect(stopping)
    }

    @Test func theJournaldReceiverWritesEachTransitionWithItsIdAndFields() async throws {
        let (a, entity) = try await Self.seededDaemon()
        defer { a.stop() }
        // The agent in a private mount namespace with its own journald (JournaldTests.wrapperScript).
        let scratch = NSTemporaryDirectory() + "tz-journal-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let config = "group-wait-ms = 100\nrepeat-interval-seconds = 0\n\n[daemon a]\nunix = \(a.socketPath)\ntitle = 示范县\n\n"
            + "[receiver journal]\ntype = journald\n\n[route]\nreceiver = journal\n"
        let agent = try AgentProcess(stateDirectory: state, config: config,
                                     wrapper: ["/usr/bin/unshare", "--mount", "--propagation", "private", "--",
                                               "/bin/sh", "-c", JournaldTests.wrapperScript, "sh", scratch])
        let journald = Int32(try String(contentsOfFile: scratch + "/journald.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        defer {
            // journald inherited the descriptor Foundation's Process watches: it goes first.
            if journald > 0 { kill(journald, SIGKILL) }
            agent.stop()
        }
        // Its checkpoint set, the next events come as themselves.
        let established = await Self.until(seconds: 10) { (try? String(contentsOfFile: state + "/state.json", encoding: .utf8))?.contains("\"a\":") == true }
        try #require(established, "the agent set no checkpoint")
        let start = try await Self.status(a).alertEventsNewestSeq
        try await Self.flip(a, entity: entity, met: false)
        let expected = try await Self.eventKeys(a, name: "a", after: start)
        try #require(!expected.isEmpty)
        var entries: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(10)
        func field(_ entry: [String: Any], _ key: String) -> String { entry[key] as? String ?? "" }
        repeat {
            entries = try JournaldTests.entries(directory: scratch + "/log/journal", namespaceOf: agent.pid, matches: ["SYSLOG_IDENTIFIER=taizhang-agent"])
            if expected.isSubset(of: Set(entries.map { field($0, "TAIZHANG_AGENT_KEY") })) { break }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        #expect(expected.isSubset(of: Set(entries.map { field($0, "TAIZHANG_AGENT_KEY") })), "\(entries.count) entries")
        let entry = try #require(entries.first { expected.contains(field($0, "TAIZHANG_AGENT_KEY")) })
        #expect(field(entry, "MESSAGE_ID") == "3f0c9d5e27b44a7d9a0f6c1b8e2d4a61")
        #expect(["3", "4"].contains(field(entry, "PRIORITY")))
        #expect(field(entry, "TAIZHANG_DAEMON") == "a")
        #expect(field(entry, "TAIZHANG_TRANSITION") == "raised")
        #expect(field(entry, "TAIZHANG_ADMIN_CODE") == "421024101201")
        #expect(field(entry, "MESSAGE").hasPrefix("【"))
        #expect(!field(entry, "TAIZHANG_MESSAGE_EN").isEmpty)
    }

    @Test func overTLSWithATokenOfTheMonitoringRole_itWatchesItsTownship() async throws {
        let (seeding, entity) = try await Self.seededDaemon()
        let data = seeding.dataDirectory
        seeding.stop()
        // The same ledger behind TLS and an access file: the agent's token has the
        // monitoring role over 熊河镇; this process (its uid) writes.
        let folder = try TLSTests.certificates()
        let access = try AccessFixture.file([(name: "agent", role: "monitoring", scope: "421024101000", uids: []),
                                             (name: "ops", role: "county_clerk+administrator", scope: "", uids: [getuid()])])
        let tokenFile = folder + "/agent.token"
        try AccessFixture.token(access, identity: "agent").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(dataDirectory: data, tcp: true,
                                       extraArguments: ["--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key", "--access-file", access,
                                                        "--risk-config", try RiskMonitorTests.configuration(), "--alerts-to", "stderr"])
        defer { daemon.stop() }
        let port = try #require(daemon.tcpPort)
        let sink = try WebhookSink()
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        let config = "poll-interval-seconds = 1\ngroup-wait-ms = 100\nrepeat-interval-seconds = 0\n\n"
            + "[daemon t]\ntcp = 127.0.0.1:\(port)\ntls-ca = \(folder)/ca.pem\ntoken-file = \(tokenFile)\ntitle = 熊河镇\n\n"
            + "[receiver sink]\ntype = webhook\nurl = \(sink.url)/alerts\n\n[route]\nreceiver = sink\n"
        let agent = try AgentProcess(stateDirectory: state, config: config)
        defer { agent.stop() }
        let established = await Self.until(seconds: 10) { (try? String(contentsOfFile: state + "/state.json", encoding: .utf8))?.contains("\"t\":") == true }
        try #require(established, "the agent set no checkpoint over TLS")
        let start = try await Self.status(daemon).alertEventsNewestSeq
        try await Self.flip(daemon, entity: entity, met: false)
        let expected = try await Self.eventKeys(daemon, name: "t", after: start)
        try #require(!expected.isEmpty)
        let received = await sink.wait(seconds: 10) { expected.isSubset(of: Set($0.map(\.key))) }
        #expect(expected.isSubset(of: Set(received.map(\.key))))
        // Polled over TLS with the token: up, and its Status counted its township only.
        let polled = await Self.until(seconds: 10) { (try? String(contentsOfFile: state + "/status.json", encoding: .utf8))?.contains("\"up\":true") == true }
        #expect(polled)
    }

    @Test func itsOwnAlertsReachTheJournalEvenWithoutAJournaldRoute() async throws {
        let (a, _) = try await Self.seededDaemon()
        let scratch = NSTemporaryDirectory() + "tz-journal-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let state = NSTemporaryDirectory() + "tz-agent-" + UUID().uuidString
        // No receiver, no route.
        let agent = try AgentProcess(stateDirectory: state, config: "poll-interval-seconds = 1\n\n[daemon a]\nunix = \(a.socketPath)\ntitle = 示范县\n",
                                     wrapper: ["/usr/bin/unshare", "--mount", "--propagation", "private", "--",
                                               "/bin/sh", "-c", JournaldTests.wrapperScript, "sh", scratch])
        let journald = Int32(try String(contentsOfFile: scratch + "/journald.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        defer {
            if journald > 0 { kill(journald, SIGKILL) }
            agent.stop()
        }
        let polled = await Self.until(seconds: 10) { (try? String(contentsOfFile: state + "/status.json", encoding: .utf8))?.contains("\"up\":true") == true }
        try #require(polled)
        a.stop(signal: SIGKILL)
        func field(_ entry: [String: Any], _ key: String) -> String { entry[key] as? String ?? "" }
        var entries: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            entries = try JournaldTests.entries(directory: scratch + "/log/journal", namespaceOf: agent.pid, matches: ["MESSAGE_ID=8b1e6f3a9c2d4e5f8a7b6c5d4e3f2a19"])
            if !entries.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        let entry = try #require(entries.first, "no daemon_down entry in the journal")
        #expect(entries.count == 1)
        #expect(field(entry, "PRIORITY") == "2")
        #expect(field(entry, "TAIZHANG_DAEMON") == "a")
        #expect(field(entry, "TAIZHANG_TRANSITION") == "daemon_down")
        #expect(field(entry, "MESSAGE").contains("无法访问"))
    }
}
