// The running agent: the watchers of the daemons hand it notices; every
// group-wait it routes them, appends the messages to the receivers' spools
// (synced) and only then moves the checkpoints (synced), so a kill at any
// moment loses nothing and at worst sends a notice again under its key;
// one deliverer per receiver empties its spool with retries and backoff.

import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import NIOCore
import NIOPosix
import Synchronization
import TaizhangClient
import TaizhangCore
import TaizhangJournal

/// What the agent knows of one daemon, for the dashboard, /metrics and
/// `taizhang-agent status`.
public struct DaemonView: Sendable {
    public var name: String
    public var title: String
    public var up = false
    public var serving = false
    public var version = ""
    public var lastPoll = ""
    public var error = ""
    public var failures = 0
    public var openByLevel: [String: Int] = [:]
    public var checkpoint: Int64 = 0
    public var verify: VerifyView?
    public var units: [UnitView] = []
    /// Open alerts by id.
    public var alerts: [Int64: AlertView] = [:]
    /// The open alerts were read from the daemon at least once.
    public var alertsLoaded = false
}

public struct VerifyView: Sendable {
    public var at: String
    public var intact: Bool
    public var headSeq: UInt64
    public var headHash: String
    public var problem: String
}

public struct UnitView: Sendable {
    public var id: String
    public var name: String
    public var kind: String
    public var light: String
    public var quarter: String
}

public struct AlertView: Sendable {
    public var id: Int64
    public var kind: String
    public var kindZh: String
    public var level: String
    public var adminCode: String
    public var subjectId: String
    public var subjectName: String
    public var message: String
    public var raisedAt: String
    public var changedAt: String
    public var followUp: String
    public var overdue: Bool
}

/// A receiver's delivery counts.
public struct DeliveryStats: Sendable {
    public var delivered = 0
    public var failed = 0
    public var lastError = ""
    public var lastDelivered = ""
}

extension WallClock {
    /// Now as a Foundation date.
    public var date: Date { Date(timeIntervalSince1970: Double(nowUnixMillis()) / 1000) }
}

/// Logging to standard error (journald under systemd).
public enum AgentLog {
    public static func info(_ text: String) { writeStandardError("taizhang-agent: \(text)\n") }
    public static func error(_ text: String) { writeStandardError("taizhang-agent: error: \(text)\n") }
}

/// Writes all of `text` to a descriptor (1 or 2), retrying short writes.
/// The agent links FoundationEssentials only (no FileHandle): full
/// Foundation and ICU would cost it a fifth of its memory.
public func writeAll(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}

public func writeStandardError(_ text: String) { writeAll(text, to: 2) }

public final class Agent: Sendable {
    public let configuration: AgentConfiguration
    let group: MultiThreadedEventLoopGroup
    let http: AgentHTTPClient
    let spools: [String: Spool]
    let wakes: [String: AsyncStream<Void>.Continuation]
    let wakeStreams: Mutex<[String: AsyncStream<Void>]>

    struct Buffer {
        var notices: [Notice] = []
        var checkpoints: [String: Int64] = [:]
        /// The memory changed with these notices (announce).
        var memoryChanged = false
    }
    let buffer = Mutex(Buffer())
    let memory: Mutex<AgentMemory>
    let views: Mutex<[String: DaemonView]>
    let stats: Mutex<[String: DeliveryStats]>
    let silenced = Atomic<Int>(0)
    let silences = Mutex<(modified: Date?, list: [Silence])>((nil, []))
    /// Bumped on every change the dashboard shows.
    let generation = Atomic<Int>(0)
    let server = Mutex<AgentHTTPServer?>(nil)
    /// Each daemon's watch connection (closed to restart a watch).
    let watchClients = Mutex<[String: TaizhangClient]>([:])
    /// Most notices waiting for a flush before the watchers stop reading.
    static let pendingMax = 100_000

    var memoryPath: String { configuration.stateDirectory + "/state.json" }
    var silencePath: String { configuration.stateDirectory + "/silences.json" }
    func headsPath(_ daemon: String) -> String { configuration.stateDirectory + "/heads/\(daemon).jsonl" }
    func treeHeadsPath(_ daemon: String) -> String { configuration.stateDirectory + "/heads/\(daemon).tree.jsonl" }

    /// The one clock the agent reads (tests may set it).
    public let clock: any WallClock

    public init(configuration: AgentConfiguration, clock: any WallClock = SystemWallClock()) throws {
        self.configuration = configuration
        self.clock = clock
        lastFlush = Atomic<UInt64>(clock.monotonicNanos())
        let state = configuration.stateDirectory
        try FileManager.default.createDirectory(atPath: state + "/heads", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        http = AgentHTTPClient(group: group)
        var spools: [String: Spool] = [:]
        var wakes: [String: AsyncStream<Void>.Continuation] = [:]
        var streams: [String: AsyncStream<Void>] = [:]
        for receiver in configuration.receivers {
            spools[receiver.name] = try Spool(directory: state + "/spool/" + receiver.name, maxBytes: configuration.spoolMaxBytes)
            let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            wakes[receiver.name] = continuation
            streams[receiver.name] = stream
        }
        self.spools = spools
        self.wakes = wakes
        wakeStreams = Mutex(streams)
        let memory = try AgentMemory.load(from: state + "/state.json")
        self.memory = Mutex(memory)
        var views: [String: DaemonView] = [:]
        for daemon in configuration.daemons {
            var view = DaemonView(name: daemon.name, title: daemon.title)
            view.checkpoint = memory.checkpoints[daemon.name] ?? 0
            views[daemon.name] = view
        }
        self.views = Mutex(views)
        stats = Mutex(Dictionary(uniqueKeysWithValues: configuration.receivers.map { ($0.name, DeliveryStats()) }))
    }

    /// Runs until the task is cancelled.
    public func run(onReady: @escaping @Sendable (_ dashboardURL: String?) -> Void) async throws {
        if let listen = configuration.listen {
            let started = try await AgentHTTPServer.start(group: group, host: listen.host, port: listen.port) { [self] method, uri in
                route(method: method, uri: uri)
            }
            server.withLock { $0 = started }
        }
        let url = server.withLock { $0 }.map { "http://\(configuration.listen!.host):\($0.port)" }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for daemon in configuration.daemons {
                let watch = DaemonWatch(agent: self, daemon: daemon)
                tasks.addTask { await watch.watchLoop() }
                tasks.addTask { await watch.pollLoop() }
                tasks.addTask { await watch.verifyLoop() }
            }
            for receiver in configuration.receivers {
                tasks.addTask { [self] in await deliverLoop(receiver) }
            }
            tasks.addTask { [self] in await flushLoop() }
            tasks.addTask { [self] in await repeatLoop() }
            tasks.addTask { [self] in await broadcastLoop() }
            onReady(url)
            // Until cancelled (some loops end at once when switched off).
            try await tasks.waitForAll()
        }
    }

    /// Stops the listener and the event loops.
    public func shutdown() async {
        if let server = server.withLock({ $0 }) { await server.close() }
        try? await group.shutdownGracefully()
    }

    // MARK: - Notices in, messages out

    /// Takes notices (and, when they are a daemon's events, the checkpoint
    /// they reach) for the next flush.
    func submit(_ notices: [Notice], daemon: String? = nil, checkpoint: Int64? = nil) {
        buffer.withLock { buffer in
            buffer.notices += notices
            if let daemon, let checkpoint { buffer.checkpoints[daemon] = max(buffer.checkpoints[daemon] ?? 0, checkpoint) }
        }
    }

    /// Changes the memory and submits the notices the change decides, as
    /// one step against a flush: a flush saves the memory with the change
    /// only if it also spools the notices (an incident noted as announced
    /// is never lost unannounced).
    func announce(_ decide: (inout AgentMemory) -> [Notice]) {
        buffer.withLock { buffer in
            let notices = memory.withLock { decide(&$0) }
            buffer.notices += notices
            buffer.memoryChanged = true
        }
    }

    /// Routes what was submitted, spools it, then moves the checkpoints.
    /// One flush at a time: a checkpoint never reaches the disk before the
    /// events under it are spooled.
    func flush() throws {
        try flushLock.withLock { _ in try flushHeld() }
    }

    private func flushHeld() throws {
        // What was submitted and the memory as it was then, together.
        let (taken, snapshot) = buffer.withLock { buffer -> (Buffer, AgentMemory) in
            defer { buffer = Buffer() }
            return (buffer, memory.withLock { $0 })
        }
        if taken.notices.isEmpty && taken.checkpoints.isEmpty && !taken.memoryChanged { return }
        let (messages, silencedCount) = Routing.messages(taken.notices, configuration: configuration, silences: currentSilences(), now: now())
        silenced.wrappingAdd(silencedCount, ordering: .relaxed)
        var byReceiver: [String: [NoticeMessage]] = [:]
        for message in messages { byReceiver[message.receiver, default: []].append(message) }
        var saved = snapshot
        for (daemon, seq) in taken.checkpoints { saved.checkpoints[daemon] = max(saved.checkpoints[daemon] ?? 0, seq) }
        do {
            for receiver in byReceiver.keys.sorted() {
                let dropped = try spools[receiver]?.append(byReceiver[receiver] ?? []) ?? 0
                if dropped > 0 { AgentLog.error("the spool of receiver \(receiver) is full (spool-max-mib): \(dropped) older messages were dropped") }
                wakes[receiver]?.yield()
            }
            try saved.save(to: memoryPath)
        } catch {
            // Put everything back: the next flush tries again.
            buffer.withLock { buffer in
                buffer.notices = taken.notices + buffer.notices
                for (daemon, seq) in taken.checkpoints { buffer.checkpoints[daemon] = max(buffer.checkpoints[daemon] ?? 0, seq) }
                buffer.memoryChanged = true
            }
            throw error
        }
        journalOwn(taken.notices, messages: messages)
        let checkpoints = memory.withLock { memory -> [String: Int64] in
            for (daemon, seq) in taken.checkpoints { memory.checkpoints[daemon] = max(memory.checkpoints[daemon] ?? 0, seq) }
            return memory.checkpoints
        }
        views.withLock { views in
            for (daemon, seq) in checkpoints { views[daemon]?.checkpoint = seq }
        }
        changed()
    }

    /// The agent's own alerts (a daemon unreachable and back, a journal not
    /// extended, a failed verification) always reach the local journal, with
    /// their MESSAGE_ID, besides the routes; unless a journald receiver
    /// already takes them.
    func journalOwn(_ notices: [Notice], messages: [NoticeMessage]) {
        let journals = Set(configuration.receivers.filter { $0.kind == .journald }.map(\.name))
        let journaled = Set(messages.filter { journals.contains($0.receiver) }.flatMap { $0.notices.map(\.key) })
        for notice in notices where notice.alertId == 0 && !journaled.contains(notice.key) {
            let result = JournalEntry.send(ReceiverFormats.journalFields(notice))
            if result < 0 { AgentLog.error("journald refused the entry of \(notice.key): error \(-result)") }
        }
    }

    /// Notices waiting for the next flush (a watcher stops reading past a bound).
    var pendingNotices: Int { buffer.withLock { $0.notices.count } }

    let flushLock = Mutex(())

    /// When the flush loop last went round (monotonic ns): the watchdog
    /// pings systemd only while it does.
    let lastFlush: Atomic<UInt64>

    /// Whether the agent's loops are turning (the flush loop went round
    /// within three group-waits and five seconds).
    public var isAlive: Bool {
        let limit = UInt64(max(5_000, 3 * configuration.groupWaitMillis)) * 1_000_000
        return clock.monotonicNanos() &- lastFlush.load(ordering: .relaxed) < limit
    }

    func flushLoop() async {
        let wait = max(20, configuration.groupWaitMillis)
        while !Task.isCancelled {
            lastFlush.store(clock.monotonicNanos(), ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(wait))
            do { try flush() } catch { AgentLog.error("could not spool the notices (tried again at the next flush): \(error)") }
        }
    }

    func currentSilences() -> [Silence] {
        let modified = (try? FileManager.default.attributesOfItem(atPath: silencePath)[.modificationDate]) as? Date
        return silences.withLock { cached in
            if modified != cached.modified {
                do { cached = (modified, try SilenceFile.load(silencePath)) } catch { AgentLog.error("\(error)") }
            }
            return cached.list
        }
    }

    // MARK: - Delivery

    func deliverLoop(_ receiver: Receiver) async {
        guard let spool = spools[receiver.name], let wake = wakeStreams.withLock({ $0[receiver.name] }) else { return }
        var iterator = wake.makeAsyncIterator()
        var backoff = 1.0
        while !Task.isCancelled {
            let next: NoticeMessage?
            do { next = try spool.next() } catch {
                AgentLog.error("receiver \(receiver.name): the spool cannot be read: \(error)")
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            guard let message = next else {
                _ = await iterator.next()
                continue
            }
            do {
                try await Delivery.send(message, to: receiver, http: http, nowMillis: clock.nowUnixMillis())
                spool.delivered()
                backoff = 1
                stats.withLock { $0[receiver.name]?.delivered += 1; $0[receiver.name]?.lastDelivered = nowText }
                changed()
            } catch let failure as Delivery.Permanent {
                AgentLog.error("receiver \(receiver.name) refused message \(message.key) for good (\(failure.reason)); it is kept in dead/")
                Delivery.keepDead(message, receiver: receiver.name, state: configuration.stateDirectory)
                spool.delivered()
                stats.withLock { $0[receiver.name]?.failed += 1; $0[receiver.name]?.lastError = failure.reason }
            } catch {
                stats.withLock { $0[receiver.name]?.failed += 1; $0[receiver.name]?.lastError = "\(error)" }
                changed()
                AgentLog.error("receiver \(receiver.name): \(error); trying again in \(Int(backoff)) s")
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 60)
            }
        }
    }

    /// Now, from the agent's clock.
    func now() -> Date { clock.date }
    var nowText: String { Timestamp.rfc3339(unixMillis: clock.nowUnixMillis()) }

    // MARK: - Repeats

    func repeatLoop() async {
        let interval = configuration.repeatIntervalSeconds
        guard interval > 0 else { return }
        let tick = max(1, min(60, interval / 4))
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(tick))
            announceRepeats(now: now(), interval: interval)
        }
    }

    /// Announces the alerts open longer than a whole number of intervals
    /// since they last changed, once per interval; forgets the repeats of
    /// alerts no longer open (of daemons whose open alerts were read).
    func announceRepeats(now: Date, interval: Int) {
        let views = views.withLock { $0 }
        announce { memory in
            var due: [Notice] = []
            var open = Set<String>()
            for daemon in configuration.daemons {
                guard let view = views[daemon.name] else { continue }
                if !view.alertsLoaded { open.formUnion(memory.repeats.keys.filter { $0.hasPrefix(daemon.name + "/") }) }
                for alert in view.alerts.values {
                    let key = "\(daemon.name)/\(alert.id)"
                    open.insert(key)
                    guard let changed = AgentTime.parse(alert.changedAt) else { continue }
                    let count = Int(now.timeIntervalSince(changed)) / interval
                    guard count >= 1, (memory.repeats[key] ?? 0) < count else { continue }
                    memory.repeats[key] = count
                    // Its time is when it fell due: the same key, the same notice.
                    let dueAt = Timestamp.rfc3339(unixMillis: Int64((changed.timeIntervalSince1970 + Double(count * interval)) * 1000))
                    due.append(Notice(key: "\(key)/repeat-\(alert.changedAt)-\(count)", daemon: daemon.name, daemonTitle: daemon.title,
                                      alertId: alert.id, transition: "repeat", kind: alert.kind, kindZh: alert.kindZh, level: alert.level,
                                      previousLevel: alert.level, adminCode: alert.adminCode, subjectKind: "", subjectId: alert.subjectId,
                                      subjectName: alert.subjectName, message: "【仍未解除】" + alert.message,
                                      messageEn: "[still open] \(alert.kind) \(alert.subjectId)", time: dueAt, followUp: alert.followUp))
                }
            }
            memory.repeats = memory.repeats.filter { open.contains($0.key) }
            return due
        }
    }

    func changed() { generation.wrappingAdd(1, ordering: .relaxed) }

    func broadcastLoop() async {
        var seen = -1
        var quiet = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = generation.load(ordering: .relaxed)
            quiet += 1
            if now != seen || quiet >= 60 {
                seen = now
                quiet = 0
                writeStatus()
                server.withLock { $0 }?.broadcast("event: state\ndata: " + AgentViews.stateJSON(self) + "\n\n")
            }
        }
    }
}
