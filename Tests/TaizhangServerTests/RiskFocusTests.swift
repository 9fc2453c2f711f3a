// A focused run of the risk monitor (what the commits touched) against the
// run over the whole ledger, on a real store whose clock the test moves:
// what the demo county cannot show (it is loaded in one day), an asset
// uncounted for two years moved to another village, and the count's alert
// following it.

import Foundation
import Synchronization
import Testing
import TaizhangCore
@testable import TaizhangServer
@testable import TaizhangStore

struct RiskFocusTests {
    final class Clock: WallClock {
        let millis: Mutex<Int64>
        init(_ date: String) { millis = Mutex(Self.millis(date)) }
        static func millis(_ date: String) -> Int64 { Int64(CivilDate(date)!.daysSinceEpoch) * 86_400_000 + 4 * 3_600_000 }
        func set(_ date: String) { millis.withLock { $0 = Self.millis(date) } }
        func nowUnixMillis() -> Int64 { millis.withLock { $0 } }
        func monotonicNanos() -> UInt64 { UInt64(millis.withLock { $0 }) * 1_000_000 }
    }

    struct Silent: AlertSink {
        var name: String { "none" }
        func emit(_ event: AlertEvent) {}
        func escalate(_ record: AlertCase, _ escalation: AlertEscalation) {}
    }

    struct Failure: Error { let text: String }

    static let village = "421024101201"
    static let otherVillage = "421024101202"

    static func submit(_ store: SQLiteLedgerStore, _ mutation: Mutation, _ method: String) throws -> MutationOutcome {
        let done = DispatchSemaphore(value: 0)
        let reply = Mutex<MutationReply?>(nil)
        let context = CallerContext(identity: "uid:0", actor: "测试员", method: "/taizhang.ledger.v1.Ledger/" + method, requestId: "t",
                                    requestSHA256: "d", idempotencyKey: nil)
        _ = store.submit(mutation, context: context, encode: { _ in [] }, completion: { result in
            reply.withLock { $0 = result }
            done.signal()
        })
        done.wait()
        guard case .success(.applied(let outcome, _)) = reply.withLock({ $0! }) else {
            throw Failure(text: "\(method) failed: \(String(describing: reply.withLock { $0 }))")
        }
        return outcome
    }

    static func asset(_ name: String) -> Asset {
        Asset(code: "", name: name, category: .operating, projectId: "P1", adminCode: village,
              acquiredDate: CivilDate("2019-06-30")!, usefulLifeYears: 25, originalValueFen: 100_000,
              funding: [Funding(source: .centralSpecial, amountFen: 100_000)],
              owners: [Owner(name: "白马村股份经济合作社", kind: .villageCollective, adminCode: village, shareBasisPoints: 10_000)])
    }

    /// A fresh data directory.
    /// One village whose one asset is run by an entity that reported a
    /// loss in 2026Q3: the entity and the asset it operates are flagged.
    static func lossInOneVillage(_ store: SQLiteLedgerStore) throws {
        try Self.county(store, villages: [(Self.village, "白马村")])
        _ = try Self.submit(store, .registerAssets([Self.asset("冷库")], batch: false), "RegisterAsset")
        try Self.lossOfTheFirstAsset(store)
    }

    /// An entity that runs the first asset from 2026-07-01 and reported a loss in 2026Q3.
    static func lossOfTheFirstAsset(_ store: SQLiteLedgerStore) throws {
        _ = try Self.submit(store, .createEntity(OperatingEntity(name: "白马村蔬菜专业合作社", kind: .cooperative, adminCode: Self.village,
                                                                 creditCode: "91350100M000100Y43")), "CreateEntity")
        _ = try Self.submit(store, .createContract(OperationContract(assetId: "ZC00000001", entityId: "ZT00000001", mode: .lease,
                                                                     start: CivilDate("2026-07-01")!, end: CivilDate("2028-06-30")!)), "CreateContract")
        _ = try Self.submit(store, .submitReport(QuarterReport(entityId: "ZT00000001", quarter: Quarter("2026Q3")!, outputValueFen: 100_000,
                                                               salesRevenueFen: 100_000, salesChannels: ["电商", "商超"], profitFen: -50_000,
                                                               submittedOn: CivilDate("2026-10-10")!), expectedRevision: 0), "SubmitReport")
    }

    static func directory() throws -> String {
        let directory = NSTemporaryDirectory() + "tz-focus-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The county, one township, its `villages` (code, name) and project P1.
    static func county(_ store: SQLiteLedgerStore, villages: [(String, String)]) throws {
        let units = [AdminUnit(code: "421024000000", name: "江陵县", level: .county, parentCode: ""),
                     AdminUnit(code: "421024101000", name: "熊河镇", level: .township, parentCode: "421024000000")]
            + villages.map { AdminUnit(code: $0.0, name: $0.1, level: .village, parentCode: "421024101000") }
        for unit in units {
            _ = try submit(store, .createAdminUnit(unit), "CreateAdminUnit")
        }
        _ = try submit(store, .createProject(Project(id: "P1", name: "光伏扶贫项目", year: 2019, implementingUnit: "县发改局",
                                                     adminCode: "421024101000", funding: [Funding(source: .centralSpecial, amountFen: 300_000)])),
                       "CreateProject")
    }

    /// Whether a run over the whole ledger would change any open alert.
    static func fullRunWouldChange(_ monitor: RiskMonitor, _ store: SQLiteLedgerStore, _ clock: Clock) throws -> AlertChanges {
        let rules = RiskRules(configuration: monitor.current(), today: Timestamp.chinaDate(unixMillis: clock.nowUnixMillis()))
        return AlertBook.changes(open: monitor.alerts.openAlerts(), now: try RiskScan.conditions(store: store, rules: rules).conditions)
    }

    /// A full run reads and scores the assets in runs of ids on every
    /// core: whatever the runs' size, it finds the same conditions in the
    /// same order and the same count backlogs, each unit's naming its
    /// first assets; the runs' ends cut the ids as they should.
    @Test func assetsScoredInRuns_areThoseScoredInOne() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = Clock("2024-11-01")
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: clock)
        defer { store.close() }
        try Self.county(store, villages: [(Self.village, "白马村"), (Self.otherVillage, "青龙村")])
        // No asset yet: no run end, one empty run, nothing checked.
        let none = RiskRules(configuration: RiskConfiguration(), today: CivilDate("2024-11-01")!)
        #expect(try store.assetRunEnds(every: 1).isEmpty)
        let empty = try RiskScan.assetConditions(store: store, contracts: [:], rules: none, stopped: { false }, runSize: 1)
        #expect(empty.checked == 0 && empty.conditions.isEmpty && empty.backlog.isEmpty)
        var assets: [Asset] = []
        for number in 1...11 {
            var asset = Self.asset("仓库\(number)")
            if number % 3 == 0 {
                asset.adminCode = Self.otherVillage
                asset.owners[0].adminCode = Self.otherVillage
            }
            assets.append(asset)
        }
        _ = try Self.submit(store, .registerAssets(assets, batch: false), "RegisterAsset")
        #expect(try store.assetRunEnds(every: 3) == ["ZC00000003", "ZC00000006", "ZC00000009"])
        #expect(try store.assetRunEnds(every: 4) == ["ZC00000004", "ZC00000008"], "11 assets: the last run holds 3")
        #expect(try store.assetRunEnds(every: 11).isEmpty && store.assetRunEnds(every: 12).isEmpty)
        var inRun: [String] = []
        try store.scanAssets(filter: AssetFilter(), after: "ZC00000003", through: "ZC00000006", wanted: { _ in false }) { facts, _ in inRun.append(facts.id) }
        #expect(inRun == ["ZC00000004", "ZC00000005", "ZC00000006"])

        clock.set("2026-11-20")
        try Self.lossOfTheFirstAsset(store)
        let rules = RiskRules(configuration: RiskConfiguration(), today: CivilDate("2026-11-20")!)
        let operated = try RiskScan.entityConditions(store: store, entityIds: store.entityIds(), rules: rules,
                                                     stopped: { false }).contractsByAsset
        let whole = try RiskScan.assetConditions(store: store, contracts: operated, rules: rules, stopped: { false })
        #expect(whole.checked == 11 && whole.conditions.contains { $0.key == AlertKind.assetLoss.key(of: "ZC00000001") })
        #expect(whole.backlog[Self.village]?.assets == 8 && whole.backlog[Self.otherVillage]?.assets == 3)
        #expect(whole.backlog[Self.village]?.examples == ["ZC00000001", "ZC00000002", "ZC00000004"])
        #expect(whole.backlog[Self.otherVillage]?.examples == ["ZC00000003", "ZC00000006", "ZC00000009"])
        for size in [1, 2, 3, 4, 10, 11] {
            let runs = try RiskScan.assetConditions(store: store, contracts: operated, rules: rules, stopped: { false }, runSize: size)
            #expect(runs.checked == whole.checked && runs.conditions == whole.conditions && runs.backlog == whole.backlog
                    && runs.upkeepBacklog == whole.upkeepBacklog, "runs of \(size)")
        }
        #expect(throws: LedgerError.self) {
            try RiskScan.assetConditions(store: store, contracts: operated, rules: rules, stopped: { true }, runSize: 2)
        }
    }

    @Test func anAssetMovedCarriesItsCountBacklogToTheOtherVillage() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = Clock("2024-11-01")
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: clock)
        defer { store.close() }
        let touched = Mutex(TouchedRecords())
        store.observeCommits { more in touched.withLock { $0 = more } }
        try Self.county(store, villages: [(Self.village, "白马村"), (Self.otherVillage, "青龙村")])
        guard case .assets(let assets) = try Self.submit(store, .registerAssets([Self.asset("光伏电站"), Self.asset("冷库"), Self.asset("大棚")], batch: true),
                                                         "RegisterAssets") else { Issue.record("no assets"); return }
        // Two years on, none counted: the village is red.
        clock.set("2026-12-03")
        let alerts = try AlertStore(dataDirectory: directory)
        let monitor = RiskMonitor(store: store, alerts: alerts, configuration: RiskConfiguration(), sink: Silent(), clock: clock)
        _ = monitor.runOnce(trigger: "start")
        #expect(alerts.openAlerts()[AlertKind.countOverdue.key(of: Self.village)]?.level == .red)
        #expect(alerts.openAlerts()[AlertKind.countOverdue.key(of: Self.otherVillage)] == nil)

        // One asset moves to the other village: a focused run raises its count alert there.
        var moved = assets[0]
        moved.adminCode = Self.otherVillage
        moved.owners = [Owner(name: "青龙村股份经济合作社", kind: .villageCollective, adminCode: Self.otherVillage, shareBasisPoints: 10_000)]
        _ = try Self.submit(store, .updateAsset(moved, expectedVersion: moved.version), "UpdateAsset")
        var focus = RiskFocus()
        focus.add(touched.withLock { $0 })
        #expect(focus.touched.units == [Self.village, Self.otherVillage])
        let run = monitor.runOnce(trigger: "mutation", focus: focus)
        // Its count and its upkeep (none in two years) are overdue there.
        #expect(run.focused && run.raised == 2)
        #expect(alerts.openAlerts()[AlertKind.countOverdue.key(of: Self.otherVillage)]?.level == .red)
        #expect(alerts.openAlerts()[AlertKind.upkeepOverdue.key(of: Self.otherVillage)]?.level == .red)
        #expect(alerts.openAlerts()[AlertKind.countOverdue.key(of: Self.village)]?.reasons.first?.chinese.hasPrefix("2项资产") == true)
        #expect(try Self.fullRunWouldChange(monitor, store, clock).isEmpty)

        // A new asset touches no unit (it is a year from being overdue) and changes nothing.
        _ = try Self.submit(store, .registerAssets([Self.asset("仓库")], batch: false), "RegisterAsset")
        focus = RiskFocus()
        focus.add(touched.withLock { $0 })
        #expect(focus.touched.units.isEmpty && focus.touched.assets.count == 1)
        let quiet = monitor.runOnce(trigger: "mutation", focus: focus)
        #expect(quiet.focused && quiet.raised == 0 && quiet.changed == 0 && quiet.cleared == 0)
        #expect(try Self.fullRunWouldChange(monitor, store, clock).isEmpty)
    }

    @Test func upkeepOverdueIsRaisedOnTheUnit_andClearedByFocusedRunsAsItsAssetsAreUpkept() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = Clock("2025-06-01")
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: clock)
        defer { store.close() }
        let touched = Mutex(TouchedRecords())
        store.observeCommits { more in touched.withLock { $0 = more } }
        try Self.county(store, villages: [(Self.village, "白马村"), (Self.otherVillage, "青龙村")])
        var building = Self.asset("在建冷库")
        building.usageStatus = .underConstruction
        guard case .assets(let assets) = try Self.submit(store, .registerAssets([Self.asset("光伏电站"), Self.asset("冷库"), Self.asset("大棚")], batch: true),
                                                         "RegisterAssets"),
              case .assets(let built) = try Self.submit(store, .registerAssets([building], batch: false), "RegisterAsset") else { Issue.record("no assets"); return }
        // A year and a half on, one asset upkept three months ago: two are overdue (yellow: under 730 days);
        // the one under construction is not judged.
        clock.set("2026-09-01")
        _ = try Self.submit(store, .stewardship(.recordUpkeep(UpkeepRecord(assetId: assets[0].id, kind: .inspection, date: CivilDate("2026-06-01")!,
                                                                           performedBy: "管护员", description: "巡查"))), "RecordUpkeep")
        clock.set("2026-12-03")
        var configuration = RiskConfiguration()
        configuration.upkeepOverdueDays = 365
        let alerts = try AlertStore(dataDirectory: directory)
        let monitor = RiskMonitor(store: store, alerts: alerts, configuration: configuration, sink: Silent(), clock: clock)
        _ = monitor.runOnce(trigger: "start")
        let open = alerts.openAlerts()[AlertKind.upkeepOverdue.key(of: Self.village)]
        #expect(open?.level == .yellow && open?.reasons.first?.chinese.hasPrefix("2项资产超过365天无管护记录") == true)
        #expect(open?.reasons.first?.chinese.contains(assets[1].id) == true && open?.reasons.first?.chinese.contains(assets[0].id) == false)

        // Each asset upkept: a focused run on the village changes, then clears, the alert; a full run agrees.
        for (index, asset) in assets.dropFirst().enumerated() {
            touched.withLock { $0 = TouchedRecords() }
            _ = try Self.submit(store, .stewardship(.recordUpkeep(UpkeepRecord(assetId: asset.id, kind: .repair, date: CivilDate("2026-12-01")!, costFen: 5_000,
                                                                               performedBy: "维修队", description: "维修"))), "RecordUpkeep")
            var focus = RiskFocus()
            focus.add(touched.withLock { $0 })
            #expect(focus.touched.units == [Self.village] && focus.touched.kinds.contains("upkeep"))
            let run = monitor.runOnce(trigger: "mutation", focus: focus)
            // The first leaves one asset overdue (the alert names it alone, still yellow); the second clears it.
            #expect(run.focused && run.raised == 0 && run.cleared == (index == 0 ? 0 : 1))
            if index == 0 {
                #expect(alerts.openAlerts()[AlertKind.upkeepOverdue.key(of: Self.village)]?.reasons.first?.chinese.hasPrefix("1项资产") == true)
            }
            #expect(try Self.fullRunWouldChange(monitor, store, clock).isEmpty)
        }
        #expect(alerts.openAlerts()[AlertKind.upkeepOverdue.key(of: Self.village)] == nil)

        // Put in use, the building is judged from then on: a focused run on its unit raises the alert again.
        touched.withLock { $0 = TouchedRecords() }
        var inUse = built[0]
        inUse.usageStatus = .inUse
        _ = try Self.submit(store, .updateAsset(inUse, expectedVersion: inUse.version), "UpdateAsset")
        var focus = RiskFocus()
        focus.add(touched.withLock { $0 })
        #expect(focus.touched.units == [Self.village])
        let run = monitor.runOnce(trigger: "mutation", focus: focus)
        #expect(run.focused && run.raised == 1)
        #expect(alerts.openAlerts()[AlertKind.upkeepOverdue.key(of: Self.village)]?.reasons.first?.chinese.contains(built[0].id) == true)
        #expect(try Self.fullRunWouldChange(monitor, store, clock).isEmpty)
    }

    /// A loss in one village scored by a first full run: its asset_loss
    /// alert open (what the damaged-row and stop tests start from).
    struct LossScored {
        let directory: String
        let store: SQLiteLedgerStore
        let alerts: AlertStore
        let monitor: RiskMonitor
        let open: [String: AlertRecord]

        func close() {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func lossScored() throws -> LossScored {
        let directory = try Self.directory()
        let clock = Clock("2026-11-20")
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory), clock: clock)
        do {
            try Self.lossInOneVillage(store)
            let alerts = try AlertStore(dataDirectory: directory)
            let monitor = RiskMonitor(store: store, alerts: alerts, configuration: RiskConfiguration(), sink: Silent(), clock: clock)
            let first = monitor.runOnce(trigger: "start")
            #expect(first.error.isEmpty, "\(first.error)")
            let open = alerts.openAlerts()
            #expect(open[AlertKind.assetLoss.key(of: "ZC00000001")] != nil, "\(open.keys.sorted())")
            return LossScored(directory: directory, store: store, alerts: alerts, monitor: monitor, open: open)
        } catch {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Reports are read from the file when a run needs them (they are not
    /// kept in memory): a stored report that does not read fails the run,
    /// full or focused, and changes no alert; it never reads as a report
    /// not submitted.
    @Test func aReportThatDoesNotRead_failsTheRunAndChangesNoAlert() throws {
        let scored = try Self.lossScored()
        defer { scored.close() }
        let (directory, store, alerts, monitor, open) = (scored.directory, scored.store, scored.alerts, scored.monitor, scored.open)
        #expect(!open.values.contains { $0.kind == .reportMissing }, "\(open.keys.sorted())")

        // The report's row is broken behind the daemon's back.
        let file = try SQLiteConnection(path: directory + "/taizhang.db")
        // A figure edited into text is refused by SQLite itself (a STRICT table).
        #expect(throws: SQLiteError.self) { try file.execute("UPDATE reports SET payments_paid_fen = 'x'") }
        try file.execute("UPDATE reports SET sales_channels = x'05'")
        let damaged = #expect(throws: LedgerError.self) { try store.reports(of: "ZT00000001") }
        #expect(damaged?.code == .dataLoss && damaged?.message.contains("sales_channels") == true, "\(String(describing: damaged))")
        let full = monitor.runOnce(trigger: "timer")
        #expect(!full.error.isEmpty && full.raised == 0 && full.cleared == 0)
        var focus = RiskFocus()
        var report = TouchedRecords()
        report.entities = ["ZT00000001"]
        report.kinds = ["report"]
        focus.add(report)
        let focused = monitor.runOnce(trigger: "mutation", focus: focus)
        #expect(focused.focused && !focused.error.isEmpty && focused.raised == 0 && focused.cleared == 0)
        #expect(alerts.openAlerts() == open)
    }

    /// Entities and contracts are read from the file too: an entity's row
    /// that does not read fails the run, full or focused, and changes no
    /// alert (the entity is not taken for one that does not exist).
    @Test func anEntityThatDoesNotRead_failsTheRunAndChangesNoAlert() throws {
        let scored = try Self.lossScored()
        defer { scored.close() }
        let (directory, alerts, monitor, open) = (scored.directory, scored.alerts, scored.monitor, scored.open)

        let file = try SQLiteConnection(path: directory + "/taizhang.db")
        try file.execute("UPDATE entities SET kind = 'guild'")
        let full = monitor.runOnce(trigger: "timer")
        #expect(full.error.contains("ZT00000001") && full.raised == 0 && full.cleared == 0, "\(full.error)")
        var focus = RiskFocus()
        var touched = TouchedRecords()
        touched.entities = ["ZT00000001"]
        touched.kinds = ["entity"]
        focus.add(touched)
        let focused = monitor.runOnce(trigger: "mutation", focus: focus)
        #expect(focused.focused && !focused.error.isEmpty && focused.raised == 0 && focused.cleared == 0)
        #expect(alerts.openAlerts() == open)
    }

    /// A stop does not wait for a run over the whole ledger: a full run
    /// asks before each slice, gives up, and changes no alert, though the
    /// ledger changed so that it would have.
    @Test func aFullRunAfterStop_givesUpAndChangesNoAlert() throws {
        let scored = try Self.lossScored()
        defer { scored.close() }
        let (directory, store, alerts, monitor, open) = (scored.directory, scored.store, scored.alerts, scored.monitor, scored.open)

        // The operator now reports a profit: a run would clear the loss.
        try SQLiteConnection(path: directory + "/taizhang.db").execute("UPDATE reports SET profit_fen = 500000")
        let rules = RiskRules(configuration: RiskConfiguration(), today: CivilDate("2026-11-20")!)
        #expect(try !RiskScan.conditions(store: store, rules: rules).conditions.contains { $0.key == AlertKind.assetLoss.key(of: "ZC00000001") })
        #expect(throws: LedgerError.self) { try RiskScan.conditions(store: store, rules: rules, stopped: { true }) }

        monitor.stop()
        let stopped = monitor.runOnce(trigger: "schedule")
        #expect(stopped.error.contains("the run was stopped") && stopped.cleared == 0 && stopped.raised == 0, "\(stopped.error)")
        #expect(alerts.openAlerts() == open)
    }
}
