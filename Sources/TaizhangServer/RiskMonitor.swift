// The risk monitor: the daemon's monitoring agent. It runs on a thread of
// its own, on a schedule and shortly after a mutation that affects a score,
// reading snapshots of the committed ledger (never holding up a ledger
// call), scoring every entity and checking every asset and contract with
// `RiskRules`, storing the alert changes in alerts.db, and only then sending
// the events to journald (or stderr) and to WatchAlerts streams.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangStore

/// What one run did.
struct MonitorRunSummary: Sendable {
    var startedAt = ""
    var finishedAt = ""
    var finishedUnixMillis: Int64 = 0
    var durationMicros: UInt64 = 0
    var entitiesScored: UInt64 = 0
    var assetsChecked: UInt64 = 0
    var raised: UInt64 = 0
    var changed: UInt64 = 0
    var cleared: UInt64 = 0
    /// Follow-ups the run escalated to the unit above.
    var escalated: UInt64 = 0
    /// Units' quarters the run judged and recorded (issue 21).
    var judged = 0
    var openAlerts: UInt64 = 0
    var trigger = ""
    /// Whether the run looked only at what the commits before it touched.
    var focused = false
    var error = ""
    /// The run was not made: another daemon's monitor leads (its name).
    var ledBy: String?
}

/// Fans alert events out to the WatchAlerts streams.
final class AlertHub: Sendable {
    /// Most streams watching at once.
    static let watchersMax = 256

    struct Watcher {
        let minLevel: AlertLevel
        let adminCodes: Set<String>?
        /// Delivers an event; false when the stream is gone.
        let deliver: @Sendable (AlertEvent) -> Void
    }

    private let watchers = Mutex([Int: Watcher]())
    private let nextId = Atomic<Int>(0)

    /// Adds a watcher; nil when there are already `watchersMax`.
    func add(_ watcher: Watcher) -> Int? {
        let id = nextId.wrappingAdd(1, ordering: .relaxed).newValue
        return watchers.withLock { watchers in
            guard watchers.count < AlertHub.watchersMax else { return nil }
            watchers[id] = watcher
            return id
        }
    }

    func remove(_ id: Int) {
        _ = watchers.withLock { $0.removeValue(forKey: id) }
    }

    var count: Int { watchers.withLock { $0.count } }

    static func wants(_ watcher: Watcher, _ event: AlertEvent) -> Bool {
        if let codes = watcher.adminCodes, !codes.contains(event.alert.adminCode) { return false }
        // A recovery goes to whoever could have seen the alert.
        return event.alert.level >= watcher.minLevel || event.previousLevel >= watcher.minLevel
    }

    func publish(_ events: [AlertEvent]) {
        let current = watchers.withLock { Array($0.values) }
        for watcher in current {
            for event in events where AlertHub.wants(watcher, event) { watcher.deliver(event) }
        }
    }
}

/// The monitor.
final class RiskMonitor: RiskConfigurationSource, @unchecked Sendable {
    // @unchecked: the mutable state is behind `lock` (an NSCondition) or in Mutexes.
    let store: any LedgerStore
    let alerts: AlertStore
    let hub = AlertHub()
    /// On a shared ledger: the events of whichever monitor leads, to the streams.
    let tail: AlertTail?
    let sink: any AlertSink
    let clock: any WallClock
    /// The working-day calendar now (escalations count working days).
    let calendar: @Sendable () -> WorkingDayCalendar
    /// The newest event the ledger's alert records have taken in, as far as
    /// this monitor knows (nil: read it from the ledger).
    let observedSeq = Mutex<Int64?>(nil)
    /// When the follow-ups were last looked at (monotonic ns) and the day then.
    let followUpsLooked = Mutex<(nanos: UInt64, day: CivilDate)?>(nil)
    /// Whether an alerts.db behind the ledger was reported (once).
    let behindReported = Atomic<Bool>(false)
    /// The follow-ups owed, as the last full run counted them (nil before one).
    let followUps = Mutex<FollowUpTally?>(nil)
    private let configuration: Mutex<RiskConfiguration>
    private let lastRun = Mutex<MonitorRunSummary?>(nil)
    /// The day the old alert events were last deleted (once a day).
    private let prunedOn = Mutex<CivilDate?>(nil)
    private let runs = Atomic<UInt64>(0)
    private let focusedRuns = Atomic<UInt64>(0)
    private let lock = NSCondition()
    // Guarded by `lock`:
    private var mutationDue: UInt64?
    /// What the commits since the last run touched.
    private var focus = RiskFocus()
    /// Commits seen, and how many of them a finished run had looked at.
    private var changesSeen: UInt64 = 0
    private var changesCovered: UInt64 = 0
    /// Runs in a row whose alerts could not be stored.
    private var failedRuns = 0
    private var reconfigured = false
    private var requested: [@Sendable (MonitorRunSummary) -> Void] = []
    private var stopping = false
    /// Set by `stop`: a full run in progress gives up at its next slice.
    private let stopRequested = Atomic<Bool>(false)
    private var running = false
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)
    /// How soon a run whose alerts could not be stored is first tried again.
    static let retryNanos: UInt64 = 1_000_000_000

    init(store: any LedgerStore, alerts: AlertStore, configuration: RiskConfiguration, sink: any AlertSink, clock: any WallClock,
         calendar: @escaping @Sendable () -> WorkingDayCalendar = { .builtIn() }) {
        self.calendar = calendar
        self.store = store
        self.alerts = alerts
        self.configuration = Mutex(configuration)
        self.sink = sink
        self.clock = clock
        tail = alerts.shared ? AlertTail(alerts: alerts, hub: hub) : nil
    }

    func current() -> RiskConfiguration { configuration.withLock { $0 } }

    var enabled: Bool { current().enabled }

    /// The last run, if any.
    var lastRunSummary: MonitorRunSummary? { lastRun.withLock { $0 } }
    var runCount: UInt64 { runs.load(ordering: .relaxed) }
    /// Runs that looked only at what the commits before them touched.
    var focusedRunCount: UInt64 { focusedRuns.load(ordering: .relaxed) }
    /// Whether a commit that can change an alert awaits a run.
    var changesPending: Bool {
        lock.lock()
        defer { lock.unlock() }
        return changesCovered < changesSeen
    }

    /// Starts the thread (when enabled) and watches the store's commits;
    /// a second call does nothing.
    func start() {
        // Every daemon of a shared ledger sends the events, the monitor on or off.
        tail?.start()
        guard current().enabled else { return }
        lock.lock()
        guard thread == nil, !stopping else {
            lock.unlock()
            return
        }
        store.observeCommits { [weak self] touched in
            if !touched.kinds.isDisjoint(with: RiskFocus.kinds) { self?.mutated(touched) }
        }
        running = true
        let thread = Thread { [self] in self.loop() }
        thread.name = "taizhang-risk-monitor"
        self.thread = thread
        lock.unlock()
        thread.start()
    }

    /// Stops the thread; a full run in progress gives up at its next slice
    /// of entities or run of assets (its alerts unchanged: nothing of it
    /// is applied), so a stop does not wait for a run over the whole ledger.
    func stop() {
        stopRequested.store(true, ordering: .relaxed)
        lock.lock()
        let wasRunning = running
        stopping = true
        lock.signal()
        lock.unlock()
        if wasRunning { stopped.wait() }
        tail?.stop()
    }

    /// Sends stored events to the streams: at once alone; on a shared
    /// ledger through the tail, which sends every daemon's in seq order.
    func publish(_ events: [AlertEvent]) {
        if let tail { tail.poke() } else { hub.publish(events) }
    }

    /// How often a monitor that does not lead tries to take the lead (the
    /// longest a ledger goes without a monitor once the leader's daemon dies).
    static let leadRetryNanos: UInt64 = 2_000_000_000

    /// Takes new weights, thresholds and schedule and runs at once with them;
    /// false, changing nothing, when `new` switches the monitor on or off.
    func reconfigure(_ new: RiskConfiguration) -> Bool {
        let old = current()
        guard old.enabled == new.enabled else { return false }
        configuration.withLock { $0 = new }
        lock.lock()
        reconfigured = true
        lock.signal()
        lock.unlock()
        return true
    }

    /// A mutation that may affect a score committed: run soon, on what it touched.
    func mutated(_ touched: TouchedRecords) {
        lock.lock()
        focus.add(touched)
        changesSeen &+= 1
        if mutationDue == nil {
            mutationDue = clock.monotonicNanos() + UInt64(max(0, current().debounceMillis)) * 1_000_000
            lock.signal()
        }
        lock.unlock()
    }

    /// Runs as soon as the thread is free and calls `completion` with the run;
    /// false when the monitor is off or stopping.
    func requestRun(_ completion: @escaping @Sendable (MonitorRunSummary) -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard running, !stopping else { return false }
        requested.append(completion)
        lock.signal()
        return true
    }

    private func loop() {
        var trigger = "start"
        var nextScheduled = clock.monotonicNanos()
        /// Whether another daemon's monitor led at the last look.
        var following = false
        while true {
            lock.lock()
            var waiters: [@Sendable (MonitorRunSummary) -> Void] = []
            while true {
                if stopping { break }
                if reconfigured {
                    reconfigured = false
                    trigger = "reload"
                    mutationDue = nil
                    break
                }
                if !requested.isEmpty {
                    waiters = requested
                    requested = []
                    trigger = "request"
                    mutationDue = nil
                    break
                }
                let now = clock.monotonicNanos()
                if let due = mutationDue, due <= now {
                    mutationDue = nil
                    trigger = "mutation"
                    break
                }
                if nextScheduled <= now {
                    if trigger != "start" { trigger = "schedule" }
                    break
                }
                let due = min(nextScheduled, mutationDue ?? nextScheduled)
                _ = lock.wait(until: Date(timeIntervalSinceNow: Double(due - now) / 1e9))
            }
            let stop = stopping
            // Every run covers the commits seen so far: a run on everything
            // as well as one on what they touched.
            let taken = focus
            let seen = changesSeen
            focus = RiskFocus()
            mutationDue = nil
            lock.unlock()
            if stop { break }
            let (leadTrigger, unknown) = leads(trigger: trigger, following: &following)
            guard let leadTrigger else {
                follow(covering: seen, waiters: waiters, unknown: unknown)
                nextScheduled = clock.monotonicNanos() + Self.leadRetryNanos
                trigger = "schedule"
                continue
            }
            trigger = leadTrigger
            let summary = runOnce(trigger: trigger, focus: trigger == "mutation" && !taken.everything ? taken : nil)
            settle(summary, covering: seen)
            for waiter in waiters { waiter(summary) }
            nextScheduled = clock.monotonicNanos() + UInt64(max(0, current().intervalSeconds)) * 1_000_000_000
            trigger = "schedule"
        }
        lock.lock()
        running = false
        let waiters = requested
        requested = []
        lock.unlock()
        var refused = MonitorRunSummary()
        refused.error = "the monitor stopped before running"
        for waiter in waiters { waiter(refused) }
        stopped.signal()
    }

    /// After a run: the commits it covered are done; or, when its alerts
    /// could not be stored, what it covered is still to do. The next run
    /// then looks at everything, after 1 s, then 2, 4 … up to the interval
    /// while it keeps failing.
    private func settle(_ summary: MonitorRunSummary, covering seen: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard summary.error.isEmpty else {
            focus.everything = true
            let wait = min(Self.retryNanos << min(failedRuns, 20), max(Self.retryNanos, UInt64(max(1, current().intervalSeconds)) * 1_000_000_000))
            failedRuns += 1
            let retry = clock.monotonicNanos() + wait
            mutationDue = min(mutationDue ?? retry, retry)
            return
        }
        changesCovered = max(changesCovered, seen)
        failedRuns = 0
    }

    /// The trigger of a run this monitor may make now: `trigger`, or
    /// "takeover" (a run over everything) when it has just taken the lead
    /// from another daemon's; nil when another daemon's monitor leads, or
    /// when the database could not say (the error).
    private func leads(trigger: String, following: inout Bool) -> (String?, (any Error)?) {
        let leads: Bool
        do { leads = try alerts.lead(nowMillis: clock.nowUnixMillis()) } catch {
            DaemonLog.error("risk monitor: cannot learn whether this daemon leads: \(error)")
            following = true
            return (nil, error)
        }
        defer { following = !leads }
        guard leads else { return (nil, nil) }
        return (following ? "takeover" : trigger, nil)
    }

    /// Another daemon's monitor leads and covers the commits seen: none
    /// waits here, and a run asked for is refused, naming the leader.
    /// With `unknown` (the database could not say who leads) the run asked
    /// for fails UNAVAILABLE instead, and the commits stay to do.
    private func follow(covering seen: UInt64, waiters: [@Sendable (MonitorRunSummary) -> Void], unknown: (any Error)?) {
        var refused = MonitorRunSummary()
        if let unknown {
            refused.error = "the database could not say which daemon's risk monitor leads (\(unknown)); nothing was run: try again"
        } else {
            lock.lock()
            changesCovered = max(changesCovered, seen)
            lock.unlock()
            refused.ledBy = alerts.leaderName
            refused.error = "another daemon's risk monitor leads on this shared ledger (\(alerts.leaderName.isEmpty ? "not yet known" : alerts.leaderName)); ask it to run"
        }
        for waiter in waiters { waiter(refused) }
    }

    /// One run: score, compare, store, then tell journald and the watchers.
    /// With a focus, only the records and units it names are looked at, and
    /// only their alerts can change.
    func runOnce(trigger: String, focus: RiskFocus? = nil) -> MonitorRunSummary {
        let started = clock.monotonicNanos()
        let startMillis = clock.nowUnixMillis()
        var summary = MonitorRunSummary()
        summary.trigger = trigger
        summary.focused = focus != nil
        summary.startedAt = Timestamp.rfc3339(unixMillis: startMillis)
        let rules = RiskRules(configuration: current(), today: Timestamp.chinaDate(unixMillis: startMillis))
        var events: [AlertEvent] = []
        do {
            let scan = try focus.map { try RiskScan.conditions(store: store, rules: rules, focus: $0) } ?? RiskScan.conditions(store: store, rules: rules, stopped: { [self] in stopRequested.load(ordering: .relaxed) })
            summary.entitiesScored = UInt64(scan.entities)
            summary.assetsChecked = UInt64(scan.assets)
            events = storeAlerts(AlertBook.changes(open: alerts.openAlerts(), now: scan.conditions, scope: scan.covers, candidates: scan.candidates),
                           into: &summary)
        } catch {
            // Nothing is compared: the run is tried again like one whose
            // changes could not be stored.
            summary.error = "the ledger could not be read: \(error)"
            DaemonLog.error("risk run: \(summary.error)")
        }
        for event in events {
            sink.emit(event)
            switch event.type {
            case .raised: summary.raised += 1
            case .changed: summary.changed += 1
            case .cleared: summary.cleared += 1
            case .escalated: break
            }
        }
        publish(events)
        if summary.error.isEmpty {
            keepLedger(into: &summary)
            if !summary.focused { judgeUnits(into: &summary) }
            if !summary.focused { pruneEvents(nowMillis: startMillis) }
            if !summary.focused, followUpsDue(trigger: trigger, nowMillis: startMillis) { escalate(into: &summary) }
        }
        summary.openAlerts = UInt64(alerts.openAlerts().count)
        summary.durationMicros = (clock.monotonicNanos() &- started) / 1000
        summary.finishedUnixMillis = clock.nowUnixMillis()
        summary.finishedAt = Timestamp.rfc3339(unixMillis: summary.finishedUnixMillis)
        lastRun.withLock { $0 = summary }
        runs.wrappingAdd(1, ordering: .relaxed)
        if summary.focused { focusedRuns.wrappingAdd(1, ordering: .relaxed) }
        return summary
    }

    /// Deletes the alert events older than `alert_event_retention_days`,
    /// on the first full run of each day.
    private func pruneEvents(nowMillis: Int64) {
        let today = Timestamp.chinaDate(unixMillis: nowMillis)
        guard prunedOn.withLock({ day in defer { day = today }; return day != today }) else { return }
        let cutoff = Timestamp.rfc3339(unixMillis: nowMillis - Int64(current().alertEventRetentionDays) * 86_400_000)
        do {
            let deleted = try alerts.pruneEvents(before: cutoff)
            if deleted > 0 { DaemonLog.info("risk run: deleted \(deleted) alert events from before \(cutoff) (alert_event_retention_days)") }
        } catch {
            DaemonLog.error("risk run: the old alert events could not be deleted: \(error)")
        }
    }

    /// Stores a run's alert changes; the events to tell, or none when they
    /// could not be stored (noted in `summary`).
    private func storeAlerts(_ changes: AlertChanges, into summary: inout MonitorRunSummary) -> [AlertEvent] {
        guard !changes.isEmpty else { return [] }
        do {
            return try alerts.apply(changes, nowMillis: clock.nowUnixMillis())
        } catch {
            summary.error = "the alert changes could not be stored: \(error)"
            DaemonLog.error("risk run: \(summary.error)")
            return []
        }
    }
}

/// Gathering the conditions of the whole ledger.
enum RiskScan {
    /// What a scan found: the conditions that hold now among what it looked
    /// at, which open alerts it answers for, and how much it looked at.
    struct Result {
        var conditions: [AlertCondition]
        var covers: @Sendable (AlertRecord) -> Bool = { _ in true }
        /// The keys of every open alert the scan can answer for, when it can
        /// name them (nil: walk them all through `covers`).
        var candidates: [String]?
        var entities = 0
        var assets = 0
    }

    /// A full run that `stopped` ends between slices: nothing of it is applied.
    static let stoppedError = LedgerError(.unavailable, "the run was stopped: the daemon is stopping")

    /// Every condition that holds now, with the numbers of entities scored
    /// and assets checked; `stopped` is asked before each slice of entities
    /// and run of asset ids, and a run it stops throws `stoppedError`.
    static func conditions(store: any LedgerStore, rules: RiskRules, stopped: @escaping @Sendable () -> Bool = { false }) throws -> Result {
        // The entities first, on every core, each slice with its entities,
        // contracts and reports read from the file; what the asset rules
        // read of each contract's operator is kept (`OperatorView`, one per
        // contract), with the contracts by asset, so the assets are scored
        // without reading them a second time. Everything is read in many
        // short read transactions, so a change committed during the run may
        // be seen by one score and not another: the focused run that
        // follows that commit scores both.
        let entityIds = try store.entityIds()
        var scored = try Self.entityConditions(store: store, entityIds: entityIds, rules: rules, stopped: stopped)
        // The entities' conditions first, the assets' appended to them in
        // place (joining the two copied every condition once more: a tenth
        // of a whole-ledger run).
        var conditions = scored.conditions
        scored.conditions = []
        let assets = try Self.assetConditions(store: store, contracts: scored.contractsByAsset, rules: rules, stopped: stopped)
        conditions += assets.conditions
        conditions += assets.backlogs.conditions(rules) { store.adminUnit(code: $0)?.name ?? $0 }
            + (try Self.distributionConditions(store: store, rules: rules))
            + (try Self.supervisionConditions(store: store, rules: rules))
        return Result(conditions: conditions, entities: entityIds.count, assets: assets.checked)
    }

    /// Entities or assets scored in one piece of a parallel scan.
    static let sliceSize = 2_048
    /// Assets a full run reads and scores in one piece (a run of ids).
    static let assetRunSize = 4_096

    /// The distribution_overdue conditions, from the plans not carried
    /// out past their deadline and the income no plan distributes.
    static func distributionConditions(store: any LedgerStore, rules: RiskRules) throws -> [AlertCondition] {
        let notCarriedOut = PlanStage.allCases.filter { $0 != .carriedOut }.map(\.rawValue)
        let plans = try store.stewardshipRecords(StewardshipFilter(.distributionPlan, states: notCarriedOut, dayBefore: rules.today), after: nil, limit: .max)
        let income = try store.stewardshipRecords(StewardshipFilter(.income, undistributedOnly: true, dayBefore: rules.today), after: nil, limit: .max)
        let overdue = rules.distributionConditions(
            plans: plans.records.compactMap { record in if case .plan(let plan) = record { plan } else { nil } },
            undistributed: income.records.compactMap { record in if case .income(let income) = record { income } else { nil } }
        ) { store.adminUnit(code: $0)?.name ?? $0 }
        // 巡问查比: the plans with a household whose latest visit disputes its payment.
        let visits = try store.stewardshipRecords(StewardshipFilter(.visit), after: nil, limit: .max).records.compactMap { record in
            if case .visit(let visit) = record { visit } else { nil }
        }
        var visited: [String: DistributionPlan] = [:]
        for planId in Set(visits.filter(\.disputed).map(\.planId)) {
            if case .plan(let plan)? = try store.stewardshipRecord(.distributionPlan, id: planId) { visited[planId] = plan }
        }
        return overdue + rules.visitConditions(visits, plans: visited)
    }

    /// The count and upkeep backlogs of every unit: the assets in runs of
    /// ids, each run's facts with the day each was last counted and last upkept.
    static func unitBacklogs(store: any LedgerStore, rules: RiskRules, runSize: Int = assetRunSize) throws -> UnitBacklogs {
        let ends = try store.assetRunEnds(every: runSize)
        var backlogs = UnitBacklogs()
        for index in 0...ends.count {
            let (after, through) = (index == 0 ? nil : ends[index - 1], index < ends.count ? ends[index] : nil)
            let counted = try store.lastCounted(after: after, through: through, ids: nil)
            let upkept = try store.lastUpkept(after: after, through: through, ids: nil)
            try store.scanAssets(filter: AssetFilter(), after: after, through: through, wanted: { _ in false }) { facts, _ in
                backlogs.add(facts, counted: counted[facts.id], upkept: upkept[facts.id], rules: rules)
            }
        }
        return backlogs
    }

    /// The units' assets overdue for a count (004 §23) and for upkeep (issue 23).
    struct UnitBacklogs {
        var count: [String: CountBacklog] = [:]
        var upkeep: [String: CountBacklog] = [:]

        mutating func add(_ facts: AssetFacts, counted: CivilDate?, upkept: CivilDate?, rules: RiskRules) {
            if let (since, twoYears) = rules.countOverdue(asset: facts, lastCounted: counted) {
                count[facts.adminCode, default: CountBacklog(since: since)].add(facts.id, since: since, twoYears: twoYears)
            }
            if let (since, twice) = rules.upkeepOverdue(asset: facts, lastUpkept: upkept) {
                upkeep[facts.adminCode, default: CountBacklog(since: since)].add(facts.id, since: since, twoYears: twice)
            }
        }

        /// Adds the backlogs of assets that follow these in id order.
        mutating func add(_ later: UnitBacklogs) {
            for (code, tally) in later.count { count[code, default: CountBacklog(since: tally.oldest)].add(tally) }
            for (code, tally) in later.upkeep { upkeep[code, default: CountBacklog(since: tally.oldest)].add(tally) }
        }

        func conditions(_ rules: RiskRules, unitName: (String) -> String) -> [AlertCondition] {
            rules.countConditions(count, unitName: unitName) + rules.upkeepConditions(upkeep, unitName: unitName)
        }
    }

    /// What `entityConditions` found: the entities' conditions, and their
    /// contracts by asset, each with what the asset rules read of its
    /// operator (so the assets are scored without reading them again).
    struct EntitiesScored {
        var conditions: [AlertCondition] = []
        var contractsByAsset: [String: [OperatedContract]] = [:]
    }

    /// A contract, and what the asset rules read of its operator's reports.
    struct OperatedContract {
        let contract: OperationContract
        let view: OperatorView?
    }

    /// The conditions of `entityIds` (in ascending order: a slice reads the
    /// range of ids it spans), scored in slices on every core at once, each
    /// slice with its entities, their contracts and their reports read from
    /// the file (so a run holds a few slices' reports, not the ledger's
    /// history); the slices' conditions are joined in order.
    static func entityConditions(store: any LedgerStore, entityIds: [String], rules: RiskRules,
                                 stopped: @Sendable () -> Bool) throws -> EntitiesScored {
        let slices = stride(from: 0, to: entityIds.count, by: sliceSize).map { $0..<min($0 + sliceSize, entityIds.count) }
        let results = Mutex([Swift.Result<EntitiesScored, any Error>](repeating: .success(EntitiesScored()), count: slices.count))
        DispatchQueue.concurrentPerform(iterations: slices.count) { index in
            let found = Swift.Result { () throws -> EntitiesScored in
                if stopped() { throw Self.stoppedError }
                let ids = entityIds[slices[index]]
                guard let first = ids.first, let last = ids.last else { return EntitiesScored() }
                // The slice is a run of ids in order: its records are one
                // range of each table, read in one pass (entities of the
                // range added since the ids were read are scored too).
                var out = EntitiesScored()
                let slice = try store.scoringRecords(ofEntitiesIn: first...last)
                // The income recorded under the slice's contracts.
                let received = try store.receipts(ofContracts: slice.flatMap { $0.contracts.map(\.id) })
                for records in slice {
                    let entity = records.entity
                    out.conditions += rules.conditions(entity: entity, contracts: records.contracts, reports: records.reports, received: received)
                    for contract in records.contracts {
                        let view = rules.operatorView(contract: contract, entity: entity, reports: records.reports)
                        out.contractsByAsset[contract.assetId, default: []].append(OperatedContract(contract: contract, view: view))
                    }
                }
                return out
            }
            results.withLock { $0[index] = found }
        }
        // The slices joined: one dictionary sized once; an asset operated
        // under several contracts has them put in id order.
        let parts = try results.withLock { $0 }.map { try $0.get() }
        var scored = EntitiesScored()
        scored.contractsByAsset.reserveCapacity(parts.reduce(0) { $0 + $1.contractsByAsset.count })
        for part in parts {
            scored.conditions += part.conditions
            for (assetId, contracts) in part.contractsByAsset {
                // An asset's first list is taken as it is (no copy).
                if let index = scored.contractsByAsset.index(forKey: assetId) {
                    scored.contractsByAsset.values[index].append(contentsOf: contracts)
                } else {
                    scored.contractsByAsset[assetId] = contracts
                }
            }
        }
        for index in scored.contractsByAsset.values.indices where scored.contractsByAsset.values[index].count > 1 {
            scored.contractsByAsset.values[index].sort { $0.contract.id < $1.contract.id }
        }
        return scored
    }

    /// What `assetConditions` found: the assets' conditions, the count
    /// backlog of each unit, and how many assets it checked.
    struct AssetsScored {
        var conditions: [AlertCondition] = []
        var backlogs = UnitBacklogs()
        var checked = 0
        /// The units' count backlogs.
        var backlog: [String: CountBacklog] { backlogs.count }
        /// The units' upkeep backlogs.
        var upkeepBacklog: [String: CountBacklog] { backlogs.upkeep }
    }

    /// The conditions of every asset, and the units' count backlogs. The
    /// assets are cut into runs of ids (`LedgerStore.assetRunEnds`, read
    /// from the primary key's index alone), scanned and scored on every
    /// core at once, each run read from the file a page at a time as the
    /// columns the count backlog and the choice of candidates need; those
    /// the rules can flag (`RiskRules.mayFlag`) are scored as they come,
    /// with their contracts and what the rules read of their operators
    /// (`contracts`, by asset, from `entityConditions`), so the run's
    /// memory does not grow with the ledger. Only the records the rules
    /// read (`RiskRules.needsRecord`: idle, on notice, awaiting handover)
    /// come with them, in the same walk, and are decoded. The runs are
    /// joined in id order (a unit's backlog names its first assets).
    static func assetConditions(store: any LedgerStore, contracts byAsset: [String: [OperatedContract]], rules: RiskRules,
                                stopped: @Sendable () -> Bool, runSize: Int = assetRunSize) throws -> AssetsScored {
        let ends = try store.assetRunEnds(every: runSize)
        let runs = (0...ends.count).map { (after: $0 == 0 ? nil : ends[$0 - 1], through: $0 < ends.count ? ends[$0] : nil) }
        let results = Mutex([Swift.Result<AssetsScored, any Error>](repeating: .success(AssetsScored()), count: runs.count))
        DispatchQueue.concurrentPerform(iterations: runs.count) { index in
            let found = Swift.Result { () throws -> AssetsScored in
                if stopped() { throw Self.stoppedError }
                var out = AssetsScored()
                // The run's counts and revitalising plans, by asset.
                let counted = try store.lastCounted(after: runs[index].after, through: runs[index].through, ids: nil)
                let upkept = try store.lastUpkept(after: runs[index].after, through: runs[index].through, ids: nil)
                let revitalising = try store.revitalisingPlans(after: runs[index].after, through: runs[index].through, ids: nil)
                try store.scanAssets(filter: AssetFilter(), after: runs[index].after, through: runs[index].through,
                                     wanted: RiskRules.needsRecord) { facts, record in
                    out.checked += 1
                    let operated = byAsset[facts.id]
                    if record != nil || RiskRules.mayFlag(facts, contracted: operated != nil) {
                        out.conditions += Self.conditions(of: facts, record: record, operated: operated ?? [], rules: rules,
                                                          revitalising: revitalising[facts.id] ?? [])
                    }
                    out.backlogs.add(facts, counted: counted[facts.id], upkept: upkept[facts.id], rules: rules)
                }
                return out
            }
            results.withLock { $0[index] = found }
        }
        var scored = AssetsScored()
        for part in try results.withLock({ $0 }).map({ try $0.get() }) {
            scored.conditions += part.conditions
            scored.checked += part.checked
            scored.backlogs.add(part.backlogs)
        }
        return scored
    }

    /// The conditions of one asset, with its contracts and what the rules
    /// read of their operators (`operated`), and its record when the rules
    /// read it.
    static func conditions(of facts: AssetFacts, record: Asset?, operated: [OperatedContract], rules: RiskRules,
                           revitalising: [RevitalisingPlan]) -> [AlertCondition] {
        let contracts = operated.map(\.contract)
        let operatorView = { (contract: OperationContract) in operated.first { $0.contract.id == contract.id }.flatMap(\.view) }
        let plan = RevitalisingPlan.inEffect(revitalising, on: rules.today)
        if let record {
            return rules.conditions(asset: record, contracts: contracts, revitalising: plan, operatorView: operatorView)
        }
        return rules.operationConditions(asset: facts, contracts: contracts, revitalising: plan, operatorView: operatorView)
    }
}

/// The configuration when no monitor runs (reports still show due dates).
struct FixedRiskConfiguration: RiskConfigurationSource {
    let configuration: RiskConfiguration
    func current() -> RiskConfiguration { configuration }
}
