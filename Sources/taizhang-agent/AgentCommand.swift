// taizhang-agent: watches taizhangd daemons from outside and delivers their
// alerts (docs/agent.md). `run` is the service (systemd: Type=notify with a
// watchdog); the other commands read or edit its state folder.

import ArgumentParser
import CSystemd
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import TaizhangAgent
import TaizhangCore

@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taizhang-agent",
        abstract: "The Taizhang monitoring agent: watches taizhangd daemons and delivers their alerts (台账监测代理).",
        subcommands: [Run.self, Status.self, SilenceCommand.self, TestRoute.self])
}

struct ConfigOption: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The agent's configuration file (docs/agent.md).", valueName: "file"))
    var path = "/etc/taizhang/taizhang-agent.conf"

    func load() throws -> AgentConfiguration {
        do { return try AgentConfiguration.load(path: path) } catch {
            throw ValidationError("\(error)")
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent: watch the daemons, deliver, serve the dashboard.",
        discussion: "Prints \"taizhang-agent: listening on URL\" and \"taizhang-agent: ready\" on standard output once it runs; under systemd it sends READY=1 and pings the watchdog. Stops on SIGTERM or SIGINT.")

    @OptionGroup var config: ConfigOption

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        // Two malloc arenas: the agent's threads hold little, and an arena per
        // thread (glibc's default) is most of a small process's memory.
        _ = mallopt(M_ARENA_MAX, 2)
        let configuration = try config.load()
        let agent = try Agent(configuration: configuration)
        let task = Task {
            try await agent.run { url in
                var text = url.map { "taizhang-agent: listening on \($0)\n" } ?? ""
                text += "taizhang-agent: ready\n"
                writeAll(text, to: 1)
                notify("READY=1\nSTATUS=watching \(configuration.daemons.count) daemon(s)")
                // Pinged only once READY=1 is out: systemd hears the agent is up first.
                startWatchdog(agent)
            }
        }
        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        // Stop on a signal, or when the agent itself ends (it could not listen, …).
        let ended = Task {
            if case .failure(let error) = await task.result {
                writeStandardError("taizhang-agent: error: \(error)\n")
            }
            stop.signal()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                stop.wait()
                done.resume()
            }
        }
        notify("STOPPING=1")
        task.cancel()
        let result = await task.result
        _ = await ended.result
        await agent.shutdown()
        _ = sources
        if case .failure = result, !task.isCancelled { throw ExitCode(1) }
    }

    /// WATCHDOG=1 at half of WatchdogSec while the agent's loops turn; a
    /// wedged agent gets no ping and systemd restarts it.
    func startWatchdog(_ agent: Agent) {
        var usec: UInt64 = 0
        guard ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil, sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return }
        let interval = max(UInt64(1000), usec / 2)
        DispatchQueue(label: "taizhang-agent.watchdog").async {
            while true {
                if agent.isAlive { notify("WATCHDOG=1") }
                usleep(UInt32(min(interval, 900_000_000)))
            }
        }
    }
}

func notify(_ state: String) {
    guard ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil else { return }
    _ = sd_notify(0, state)
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what the running agent sees: each daemon, its checkpoint and verification, each receiver's spool.")

    @OptionGroup var config: ConfigOption
    @Flag(help: "Print the state as JSON.") var json = false
    @Option(help: "Language of the table: zh (default) or en.") var lang = "zh"

    func run() throws {
        let configuration = try config.load()
        let path = configuration.stateDirectory + "/status.json"
        guard let data = FileManager.default.contents(atPath: path),
              let state = try? JSONDecoder().decode(StatusFile.self, from: data) else {
            throw ValidationError("\(path) does not exist yet: is the agent running (taizhang-agent run --config \(config.path))?")
        }
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let en = lang == "en"
        print(en ? "daemon        up   checkpoint  open red/yellow  last verify" : "守护进程      状态  检查点      未结 红/黄      最近核验")
        for daemon in state.daemons {
            let verified = daemon.verify.map { verify in
                "\(verify.at) \(verify.intact ? (en ? "intact" : "通过") : (en ? "FAILED" : "未通过")) head \(verify.headSeq)"
            } ?? (en ? "none yet" : "尚未核验")
            let status = daemon.up ? (en ? "up  " : "正常") : (en ? "DOWN" : "不可达")
            print("\(pad(daemon.name, 13)) \(status) \(pad(String(daemon.checkpoint), 11)) \(pad("\(daemon.open.red)/\(daemon.open.yellow)", 15)) \(verified)")
            if !daemon.error.isEmpty { print("  \(en ? "error" : "错误"): \(daemon.error)") }
        }
        print(en ? "\nreceiver      type      pending  delivered  failed  last error" : "\n接收方        类型      待发送   已送达     失败    最近错误")
        for receiver in state.receivers {
            print("\(pad(receiver.name, 13)) \(pad(receiver.type, 9)) \(pad(String(receiver.pending), 8)) \(pad(String(receiver.delivered), 10)) \(pad(String(receiver.failed), 7)) \(receiver.lastError)")
        }
    }

    /// Pads (or cuts) to a width in characters.
    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    /// What `status` reads of status.json (AgentViews.stateJSON writes it).
    struct StatusFile: Decodable {
        struct Open: Decodable { var red = 0, yellow = 0 }
        struct Verify: Decodable {
            var at: String, intact: Bool, headSeq: Int64
            enum CodingKeys: String, CodingKey { case at, intact, headSeq = "head_seq" }
        }
        struct Daemon: Decodable {
            var name: String, up: Bool, checkpoint: Int64, error: String, open: Open, verify: Verify?
        }
        struct Receiver: Decodable {
            var name: String, type: String, pending: Int, delivered: Int, failed: Int, lastError: String
            enum CodingKeys: String, CodingKey { case name, type, pending, delivered, failed, lastError = "last_error" }
        }
        var daemons: [Daemon]
        var receivers: [Receiver]
    }
}

struct SilenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "silence", abstract: "Hold back notices for a while, with a reason.",
                                                    subcommands: [Add.self, List.self, Expire.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a silence; prints its id.")
        @OptionGroup var config: ConfigOption
        @Option(help: "Only this daemon's notices.") var daemon: String?
        @Option(help: "Only notices in this admin subtree (12-digit code).") var admin: String?
        @Option(help: "Only these alert kinds (comma-separated).") var kinds: String?
        @Option(name: .customLong("max-level"), help: "Only notices at or below this level: yellow, red or critical.") var maxLevel: String?
        @Option(name: .customLong("for"), help: "How long: 30m, 2h, 1d (at most 90d).") var duration: String
        @Option(help: "Why (required; shown in the list).") var reason: String
        @Option(help: "Who adds it. Default: $USER.") var by: String?

        func run() throws {
            let configuration = try config.load()
            var bad: [String] = []
            if let admin, admin.count != 12 || !admin.allSatisfy({ $0.isASCII && $0.isNumber }) { bad.append("--admin: must be a 12-digit admin code") }
            if let daemon, !configuration.daemons.contains(where: { $0.name == daemon }) { bad.append("--daemon: \(daemon) is not a [daemon] of \(config.path)") }
            let level = maxLevel.flatMap(NoticeLevel.init(rawValue:))
            if maxLevel != nil, level == nil { bad.append("--max-level: must be yellow, red or critical") }
            let seconds = Self.seconds(duration)
            if seconds == nil { bad.append("--for: must be a number followed by m, h or d, at most 90d (e.g. 2h)") }
            if reason.trimmed().isEmpty || reason.count > 500 { bad.append("--reason: say why, in at most 500 characters") }
            guard bad.isEmpty, let seconds else { throw ValidationError(bad.joined(separator: "\n")) }
            let now = SystemWallClock().date
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let silence = Silence(id: id, daemon: daemon, adminCode: admin,
                                  kinds: kinds.map { $0.split(separator: ",").map { $0.trimmed() } } ?? [],
                                  maxLevel: level, startsAt: now, endsAt: now.addingTimeInterval(seconds), reason: reason,
                                  createdBy: by ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
            _ = try SilenceFile.update(configuration.stateDirectory + "/silences.json") { list in
                list.removeAll { $0.endsAt < now.addingTimeInterval(-30 * 86_400) }
                guard list.count < 1000 else { throw ValidationError("1,000 silences already; expire some first") }
                list.append(silence)
            }
            print(id)
        }

        static func seconds(_ text: String) -> Double? {
            guard let unit = text.last, let number = Double(text.dropLast()), number > 0 else { return nil }
            let scale: Double = unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86_400 : 0
            let total = number * scale
            return total > 0 && total <= 90 * 86_400 ? total : nil
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the silences (active ones; --all for expired too).")
        @OptionGroup var config: ConfigOption
        @Flag(help: "Also the expired ones.") var all = false

        func run() throws {
            let configuration = try config.load()
            let now = SystemWallClock().date
            for silence in try SilenceFile.load(configuration.stateDirectory + "/silences.json") where all || silence.isActive(at: now) {
                let scope = [silence.daemon.map { "daemon=\($0)" }, silence.adminCode.map { "admin=\($0)" },
                             silence.kinds.isEmpty ? nil : "kinds=\(silence.kinds.joined(separator: ","))",
                             silence.maxLevel.map { "max-level=\($0.rawValue)" }].compactMap { $0 }.joined(separator: " ")
                let state = silence.isActive(at: now) ? "active" : "expired"
                print("\(silence.id)  \(state)  until \(Timestamp.rfc3339(unixMillis: Int64(silence.endsAt.timeIntervalSince1970 * 1000)))  \(scope.isEmpty ? "everything" : scope)  by \(silence.createdBy): \(silence.reason)")
            }
        }
    }

    struct Expire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a silence now.")
        @OptionGroup var config: ConfigOption
        @Argument(help: "The silence's id (silence list).") var id: String

        func run() throws {
            let configuration = try config.load()
            var found = false
            _ = try SilenceFile.update(configuration.stateDirectory + "/silences.json") { list in
                for index in list.indices where list[index].id == id {
                    found = true
                    list[index].endsAt = min(list[index].endsAt, SystemWallClock().date)
                }
            }
            guard found else { throw ValidationError("no silence \(id) (taizhang-agent silence list --all)") }
            print("expired \(id)")
        }
    }
}

struct TestRoute: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test-route",
                                                    abstract: "Show where an alert would go: the routes that take it, its receivers, and any silence holding it.")
    @OptionGroup var config: ConfigOption
    @Option(help: "The daemon (a [daemon] name).") var daemon: String
    @Option(help: "The alert's admin code.") var admin: String
    @Option(help: "The alert's kind, e.g. entity_targets.") var kind: String
    @Option(help: "yellow, red or critical.") var level: String = "yellow"
    @Option(help: "raised, changed, cleared, repeat, escalated …") var transition: String = "raised"

    func run() throws {
        let configuration = try config.load()
        guard NoticeLevel(rawValue: level) != nil else { throw ValidationError("--level: must be yellow, red or critical") }
        let notice = Notice(key: "test", daemon: daemon, daemonTitle: daemon, transition: transition, kind: kind, kindZh: kind, level: level,
                            adminCode: admin, message: "", messageEn: "", time: "")
        let routes = Routing.routes(for: notice, in: configuration.routes)
        if routes.isEmpty { print("no route takes it: it is delivered nowhere") }
        for route in routes { print("route \(route.origin) → receiver \(route.receiver)\(route.continues ? " (continue)" : "")") }
        let silences = (try? SilenceFile.load(configuration.stateDirectory + "/silences.json")) ?? []
        if let silence = silences.first(where: { $0.isActive(at: SystemWallClock().date) && $0.matches(notice) }) {
            print("silenced by \(silence.id) until \(silence.endsAt): \(silence.reason)")
        }
    }
}
