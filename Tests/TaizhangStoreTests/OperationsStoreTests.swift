// Entities, contracts and reports in the real SQLite store (audited,
// surviving a reopen, refusing what the committed state forbids), and the
// alert store: one transaction per run, open alerts that survive a restart
// so nothing is raised twice.

import Foundation
import Synchronization
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite(.serialized, .timeLimit(.minutes(2)))
struct OperationsStoreTests {
    static func entity(code: String = "91350100M000100Y43") -> OperatingEntity {
        OperatingEntity(name: "白马村蔬菜专业合作社", kind: .cooperative, adminCode: "421024101201", creditCode: code)
    }

    static func contract(start: String = "2025-01-01", end: String = "2027-12-31") -> OperationContract {
        OperationContract(assetId: "ZC00000001", entityId: "ZT00000001", mode: .lease, start: CivilDate(start)!, end: CivilDate(end)!,
                          committedPoorLabourers: 5, committedHouseholds: 10)
    }

    static func failure(_ reply: MutationReply) -> LedgerError? {
        if case .failure(let error) = reply { return error }
        return nil
    }

    @Test(arguments: Engine.allCases) func operationsRecordsAreAuditedAndSurviveReopen(engine: Engine) throws {
        let place = try StorePlace(engine)
        let kinds = Mutex<[Set<String>]>([])
        do {
            let store = try SQLiteLedgerStore(configuration: place.configuration)
            store.observeCommits { changed in kinds.withLock { $0.append(changed.kinds) } }
            seedUnits(store)
            guard case .success = submit(store, .registerAssets([sampleAsset()], batch: false)) else { Issue.record("asset"); return }
            guard case .success(.applied(.entity(let entity), _)) = submit(store, .createEntity(Self.entity())) else { Issue.record("entity"); return }
            #expect(entity.id == "ZT00000001")
            // The same credit code twice: ALREADY_EXISTS.
            #expect(Self.failure(submit(store, .createEntity(Self.entity())))?.code == .alreadyExists)
            guard case .success(.applied(.contract(let contract), _)) = submit(store, .createContract(Self.contract())) else { Issue.record("contract"); return }
            #expect(contract.id == "HT00000001")
            // A second contract on the same asset for overlapping days: FAILED_PRECONDITION.
            #expect(Self.failure(submit(store, .createContract(Self.contract(start: "2027-06-01", end: "2029-12-31"))))?.code == .failedPrecondition)
            // An unknown asset or entity: INVALID_ARGUMENT naming both.
            var orphan = Self.contract()
            orphan.assetId = "ZC99999999"
            orphan.entityId = "ZT99999999"
            #expect(Self.failure(submit(store, .createContract(orphan)))?.violations.map(\.field) == ["contract.asset_id", "contract.entity_id"])
            let report = QuarterReport(entityId: "ZT00000001", quarter: Quarter("2026Q3")!, outputValueFen: 100, submittedOn: CivilDate("2026-10-10")!)
            guard case .success(.applied(.report(let first), _)) = submit(store, .submitReport(report, expectedRevision: 0)) else { Issue.record("report"); return }
            #expect(first.revision == 1)
            // A second report for the quarter without a reason is refused; with one it is revision 2.
            #expect(Self.failure(submit(store, .submitReport(report, expectedRevision: 0)))?.violations.map(\.field) == ["report.correction_reason"])
            var correction = report
            correction.outputValueFen = 200
            correction.correctionReason = "产值漏报一笔订单"
            correction.submittedOn = CivilDate("2026-11-01")!
            #expect(Self.failure(submit(store, .submitReport(correction, expectedRevision: 5)))?.code == .aborted)
            guard case .success(.applied(.report(let second), _)) = submit(store, .submitReport(correction, expectedRevision: 1)) else { Issue.record("correction"); return }
            #expect(second.revision == 2)
            // Lateness stays judged on the first report.
            #expect(second.submittedOn == CivilDate("2026-10-10"))
            store.close()
        }
        #expect(kinds.withLock { $0 }.contains(["report"]))
        #expect(kinds.withLock { $0 }.contains(["entity"]))
        let reopened = try SQLiteLedgerStore(configuration: place.configuration)
        defer { reopened.close() }
        // Nothing of the entities and contracts is read at start but their counts.
        #expect(reopened.statistics().recordCounts["entity"] == 1)
        #expect(reopened.statistics().recordCounts["contract"] == 1)
        let snapshot = try reopened.operations(ofEntitiesIn: "ZT00000001"..."ZT99999999")
        #expect(snapshot.entityOrder == ["ZT00000001"])
        #expect(snapshot.entities["ZT00000001"]?.creditCode == "91350100M000100Y43")
        #expect(snapshot.contracts(ofAsset: "ZC00000001").map(\.id) == ["HT00000001"])
        #expect(snapshot.contracts(ofEntity: "ZT00000001").map(\.id) == ["HT00000001"])
        #expect(try reopened.reports(of: "ZT00000001")[Quarter("2026Q3")!]?.outputValueFen == 200)
        #expect(try reopened.reports(ofEntities: ["ZT00000002", "ZT00000001"]).keys.sorted() == ["ZT00000001"])
        #expect(reopened.statistics().recordCounts["report"] == 1)
        // The next ids continue after reopening.
        guard case .success(.applied(.entity(let next), _)) = submit(reopened, .createEntity(Self.entity(code: "91110000600037341L"))) else {
            Issue.record("second entity"); return
        }
        #expect(next.id == "ZT00000002")
        let audited = try reopened.auditEntries(recordId: "ZT00000001/2026Q3", afterSeq: 0, limit: 10)
        #expect(audited.count == 2)
        #expect(audited.last?.beforeJSON.contains("\"outputValueFen\":100") == true)
        #expect(try reopened.verifyAuditChain().intact)
    }

    /// A range of entity ids gives exactly the entities in it, in id order,
    /// each with its contracts in id order and its reports in quarter
    /// order, the same the lookups by id give (reports without their
    /// bookkeeping); an entity with none has none; reports holding the
    /// same lists share them and different lists stay apart.
    @Test(arguments: Engine.allCases) func theRecordsOfARangeOfEntities_areThoseOfEachEntityInIt(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        guard case .success = submit(store, .registerAssets([sampleAsset(), sampleAsset()], batch: false)) else { Issue.record("assets"); return }
        for number in 1...4 {
            guard case .success = submit(store, .createEntity(Self.entity(code: "91350100M00010\(number)Y43"))) else { Issue.record("entity \(number)"); return }
        }
        // Entity 2 operates both assets (HT00000001 and HT00000002), entity 4 one later (HT00000003).
        var first = Self.contract()
        first.entityId = "ZT00000002"
        var second = first
        second.assetId = "ZC00000002"
        var later = Self.contract(start: "2028-01-01", end: "2029-12-31")
        later.entityId = "ZT00000004"
        for contract in [first, second, later] {
            guard case .success = submit(store, .createContract(contract)) else { Issue.record("contract \(contract.assetId)"); return }
        }
        // Entity 3 reports nothing; the others' reports arrive out of quarter order, with lists that repeat and differ.
        let channels: [String: [String]] = ["2025Q4": ["电商", "商超"], "2026Q1": ["电商"], "2026Q2": ["电商", "商超"], "2026Q3": []]
        for (entity, quarters) in [("ZT00000002", ["2026Q2", "2025Q4", "2026Q1"]), ("ZT00000001", ["2026Q1"]), ("ZT00000004", ["2026Q3", "2026Q2"])] {
            for quarter in quarters {
                let report = QuarterReport(entityId: entity, quarter: Quarter(quarter)!, outputValueFen: 100_000, salesRevenueFen: 90_000,
                                           salesChannels: channels[quarter]!, supportMeasures: quarter == "2026Q2" ? ["技能培训"] : [],
                                           submittedOn: CivilDate("2026-10-10")!)
                guard case .success = submit(store, .submitReport(report, expectedRevision: 0)) else { Issue.record("\(entity) \(quarter)"); return }
            }
        }
        let found = try store.scoringRecords(ofEntitiesIn: "ZT00000002"..."ZT00000004")
        #expect(found.map(\.entity.id) == ["ZT00000002", "ZT00000003", "ZT00000004"])
        #expect(found.map { $0.contracts.map(\.id) } == [["HT00000001", "HT00000002"], [], ["HT00000003"]])
        #expect(found.first?.reports.values.map(\.quarter.description) == ["2025Q4", "2026Q1", "2026Q2"])
        #expect(found.first?.reports.values.map(\.salesChannels) == [["电商", "商超"], ["电商"], ["电商", "商超"]])
        #expect(found.last?.reports.values.map(\.salesChannels) == [["电商", "商超"], []])
        #expect(found[1].reports.isEmpty)
        // As the rules read them: every figure, none of the bookkeeping.
        for records in found {
            #expect(try store.entity(id: records.entity.id) == records.entity)
            #expect(try store.contracts(entityId: records.entity.id, assetId: nil, after: nil, limit: 50).records == records.contracts)
            let whole = try store.reports(of: records.entity.id)
            #expect(whole.values.allSatisfy { $0.revision == 1 && !$0.createdAt.isEmpty })
            #expect(records.reports == ReportsByQuarter(whole.values.map { report in
                var scored = report
                (scored.revision, scored.correctionReason, scored.createdAt, scored.updatedAt) = (0, "", "", "")
                return scored
            }))
        }
        #expect(try store.scoringRecords(ofEntitiesIn: "ZT00000005"..."ZT00000009").isEmpty)
        #expect(try store.scoringRecords(ofEntitiesIn: "ZT00000001"..."ZT00000004").map(\.reports.values.count) == [1, 3, 0, 2])
    }

    /// Entities and contracts are read from the file (nothing of them is
    /// held in memory): pages in id order with their totals, filtered by a
    /// unit's subtree and a kind; the pieces a risk run reads, by a range
    /// of entity ids or by the records named; and a row that does not read
    /// is DATA_LOSS, never a record that does not exist.
    @Test func entitiesAndContracts_areReadFromTheFileByPageRangeAndName() throws {
        let directory = temporaryDirectory()
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
        defer { store.close() }
        seedUnits(store)
        let other = AdminUnit(code: "421024102000", name: "普济镇", level: .township, parentCode: "421024000000")
        guard case .success = submit(store, .createAdminUnit(other), context("/taizhang.ledger.v1.Ledger/CreateAdminUnit")) else { Issue.record("unit"); return }
        guard case .success = submit(store, .registerAssets([sampleAsset(), sampleAsset()], batch: false)) else { Issue.record("assets"); return }
        for number in 1...5 {
            var entity = Self.entity(code: "91350100M00010\(number)Y43")
            if number == 4 { entity.kind = .enterprise }
            if number == 5 { entity.adminCode = other.code }
            guard case .success = submit(store, .createEntity(entity)) else { Issue.record("entity \(number)"); return }
        }
        var second = Self.contract()
        second.assetId = "ZC00000002"
        var third = Self.contract(start: "2028-01-01", end: "2029-12-31")
        third.entityId = "ZT00000002"
        for contract in [Self.contract(), second, third] {
            guard case .success = submit(store, .createContract(contract)) else { Issue.record("contract \(contract.assetId)"); return }
        }

        let township = try store.entities(adminCode: "421024101000", kind: nil, after: nil, limit: 2)
        #expect(township.records.map(\.id) == ["ZT00000001", "ZT00000002"] && township.nextAfter == "ZT00000002" && township.total == 4)
        let rest = try store.entities(adminCode: "421024101000", kind: nil, after: "ZT00000002", limit: 2)
        #expect(rest.records.map(\.id) == ["ZT00000003", "ZT00000004"] && rest.nextAfter == nil && rest.total == 4)
        #expect(try store.entities(adminCode: other.code, kind: nil, after: nil, limit: 50).records.map(\.id) == ["ZT00000005"])
        #expect(try store.entities(adminCode: nil, kind: .enterprise, after: nil, limit: 50).records.map(\.id) == ["ZT00000004"])
        #expect(try store.entities(adminCode: other.code, kind: .enterprise, after: nil, limit: 50).total == 0)
        #expect(try store.contracts(entityId: "ZT00000001", assetId: nil, after: nil, limit: 50).records.map(\.id) == ["HT00000001", "HT00000002"])
        #expect(try store.contracts(entityId: nil, assetId: "ZC00000001", after: nil, limit: 50).records.map(\.id) == ["HT00000001", "HT00000003"])
        let middle = try store.contracts(entityId: nil, assetId: nil, after: "HT00000001", limit: 1)
        #expect(middle.records.map(\.id) == ["HT00000002"] && middle.nextAfter == "HT00000002" && middle.total == 3)
        #expect(try store.entityIds() == (1...5).map { OperationsIdentifiers.entity($0) })

        // A full run's slice: the entities of the range and their contracts.
        let slice = try store.operations(ofEntitiesIn: "ZT00000002"..."ZT00000004")
        #expect(slice.entityOrder == ["ZT00000002", "ZT00000003", "ZT00000004"] && slice.contracts.keys.sorted() == ["HT00000003"])
        // A focused run's pieces: what is named, with the contracts of the
        // entities and assets named, and the operator of every contract.
        let named = try store.operations(entities: ["ZT00000002"], contracts: ["HT00000002"], assets: [])
        #expect(named.entityOrder == ["ZT00000001", "ZT00000002"] && named.contracts.keys.sorted() == ["HT00000002", "HT00000003"])
        let ofAsset = try store.operations(entities: [], contracts: [], assets: ["ZC00000001"])
        #expect(ofAsset.contracts(ofAsset: "ZC00000001").map(\.id) == ["HT00000001", "HT00000003"])
        #expect(ofAsset.entityOrder == ["ZT00000001", "ZT00000002"])
        var merged = slice
        merged.merge(ofAsset)
        #expect(merged.entityOrder == ["ZT00000001", "ZT00000002", "ZT00000003", "ZT00000004"])
        #expect(merged.contracts(ofAsset: "ZC00000001").map(\.id) == ["HT00000001", "HT00000003"])

        // An entity's row and a contract's broken behind the daemon's back:
        // each read that meets them names the row and the column.
        #expect(try sqlite3(directory + "/taizhang.db", "UPDATE entities SET kind = 'guild' WHERE id = 'ZT00000003'") == 0)
        #expect(try store.entity(id: "ZT00000002")?.id == "ZT00000002")
        for read in [{ _ = try store.entity(id: "ZT00000003") }, { _ = try store.entities(adminCode: nil, kind: nil, after: nil, limit: 50) },
                     { _ = try store.operations(ofEntitiesIn: "ZT00000001"..."ZT00000005") }] {
            let error = #expect(throws: LedgerError.self) { try read() }
            #expect(error?.code == .dataLoss && error?.message.contains("audit verify") == true, "\(String(describing: error))")
            #expect(error?.message.contains("row ZT00000003 of the ledger file's entities: column kind") == true, "\(String(describing: error))")
        }
        #expect(try sqlite3(directory + "/taizhang.db", "UPDATE contracts SET payments = X'05' WHERE id = 'HT00000002'") == 0)
        #expect(try store.contract(id: "HT00000001")?.id == "HT00000001")
        for read in [{ _ = try store.contract(id: "HT00000002") }, { _ = try store.contracts(entityId: nil, assetId: nil, after: nil, limit: 50) },
                     { _ = try store.operations(entities: [], contracts: ["HT00000002"], assets: []) }] {
            let error = #expect(throws: LedgerError.self) { try read() }
            #expect(error?.code == .dataLoss && error?.message.contains("contracts: column payments") == true, "\(String(describing: error))")
        }
    }

    @Test(arguments: Engine.allCases) func amendingARunningContractNeedsTheOwnersConsent(engine: Engine) throws {
        let store = try SQLiteLedgerStore(configuration: StorePlace(engine).configuration)
        defer { store.close() }
        seedUnits(store)
        _ = submit(store, .registerAssets([sampleAsset()], batch: false))
        _ = submit(store, .createEntity(Self.entity()))
        _ = submit(store, .createEntity(Self.entity(code: "91110000600037341L")))
        _ = submit(store, .createContract(Self.contract()))
        var changed = Self.contract()
        changed.id = "HT00000001"
        changed.entityId = "ZT00000002"
        let refused = Self.failure(submit(store, .amendContract(changed, consent: nil, expectedVersion: 1)))
        #expect(refused?.code == .failedPrecondition)
        #expect(refused?.violations.map(\.field) == ["owner_consent"])
        #expect(try store.contract(id: "HT00000001")?.entityId == "ZT00000001")
        let consent = OwnerConsent(date: CivilDate("2026-11-20")!, consentedBy: "白马村股份经济合作社", reference: "村民代表会议纪要〔2026〕3号")
        guard case .success(.applied(.contract(let amended), _)) = submit(store, .amendContract(changed, consent: consent, expectedVersion: 1)) else {
            Issue.record("amend"); return
        }
        #expect(amended.entityId == "ZT00000002")
        #expect(amended.version == 2)
        #expect(amended.amendments.count == 1)
        #expect(amended.amendments[0].summary == "operator ZT00000001 → ZT00000002")
        #expect(amended.amendments[0].consent == consent)
        // The new operator answers from today on.
        #expect(amended.operatorSince != nil)
        #expect(amended.operatorStart > amended.start)
        // A credit code taken by an update: ALREADY_EXISTS, nothing changed.
        var second = try #require(try store.entity(id: "ZT00000002"))
        second.creditCode = "91350100M000100Y43"
        #expect(Self.failure(submit(store, .updateEntity(second, expectedVersion: 0)))?.code == .alreadyExists)
        #expect(try store.entity(id: "ZT00000002")?.creditCode == "91110000600037341L")
        #expect(try store.contracts(entityId: "ZT00000002", assetId: nil, after: nil, limit: 10).records.map(\.id) == ["HT00000001"])
        #expect(try store.contracts(entityId: "ZT00000001", assetId: nil, after: nil, limit: 10).total == 0)
        // A stale version: ABORTED.
        #expect(Self.failure(submit(store, .amendContract(changed, consent: consent, expectedVersion: 1)))?.code == .aborted)
    }

    static func condition(_ subject: String, _ level: AlertLevel) -> AlertCondition {
        AlertCondition(kind: .entityTargets, subjectId: subject, subjectName: "合作社", adminCode: "421024101201", level: level,
                       quarter: "2026Q3", reasons: [RiskReason("output_below_target", "未完成目标", "missed")])
    }

    @Test func alertsSurviveARestartWithoutBeingRaisedAgain() throws {
        let directory = temporaryDirectory()
        do {
            let alerts = try AlertStore(dataDirectory: directory)
            let events = try alerts.apply(AlertBook.changes(open: alerts.openAlerts(), now: [Self.condition("ZT1", .yellow), Self.condition("ZT2", .red)]),
                                          nowMillis: 1_795_276_800_000)
            #expect(events.map(\.type) == [.raised, .raised])
            #expect(events.map(\.seq) == [1, 2])
            // Yellow → red for ZT1; ZT2 goes away.
            let next = try alerts.apply(AlertBook.changes(open: alerts.openAlerts(), now: [Self.condition("ZT1", .red)]), nowMillis: 1_795_276_900_000)
            #expect(next.map(\.type) == [.changed, .cleared])
            #expect(next[0].previousLevel == .yellow)
            #expect(next[1].alert.subjectId == "ZT2")
            #expect(!next[1].alert.clearedAt.isEmpty)
        }
        let reopened = try AlertStore(dataDirectory: directory)
        #expect(reopened.openAlerts().keys.sorted() == [AlertKind.entityTargets.key(of: "ZT1")])
        #expect(reopened.openCounts()[.red] == 1)
        #expect(reopened.lastSeq == 4)
        // The same conditions after the restart: nothing to do.
        #expect(AlertBook.changes(open: reopened.openAlerts(), now: [Self.condition("ZT1", .red)]).isEmpty)
        // The history: both alerts, newest first; filters by state and subject.
        let (all, more) = try reopened.alerts(filter: AlertFilter(), beforeId: nil, limit: 10)
        #expect(all.map(\.id) == [2, 1])
        #expect(!more)
        #expect(try reopened.alerts(filter: AlertFilter(open: false), beforeId: nil, limit: 10).0.map(\.subjectId) == ["ZT2"])
        #expect(try reopened.alerts(filter: AlertFilter(adminCodes: ["421024000000"]), beforeId: nil, limit: 10).0.isEmpty)
        let (page, pageMore) = try reopened.alerts(filter: AlertFilter(), beforeId: nil, limit: 1)
        #expect(page.map(\.id) == [2] && pageMore)
        // Events replay in order with the level each recorded.
        let events = try reopened.events(after: 0, limit: 10)
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.alert.level) == [.yellow, .red, .red, .red])
        #expect(events[0].alert.clearedAt.isEmpty)
    }
}

/// The BLOB form of a report's lists: any text comes back as it went in,
/// and bytes that are not such a list are refused, not half-read.
struct StoredListTests {
    @Test func anyTexts_comeBackAsTheyWentIn() {
        let lists: [[String]] = [[], ["电商"], ["", "a\u{1F}b", "line\nbreak", String(repeating: "商", count: 200), "\u{0}"],
                                 [String(repeating: "x", count: 127), String(repeating: "y", count: 128), String(repeating: "z", count: 16_400)]]
        for list in lists {
            #expect(StoredList.strings(StoredList.bytes(list)) == list)
        }
        #expect(StoredList.bytes(["ab"]) == [2, 0x61, 0x62])
        #expect(StoredList.bytes([String(repeating: "x", count: 128)]).prefix(2) == [0x80, 0x01])
    }

    @Test func bytesThatAreNotAList_areRefused() {
        #expect(StoredList.strings([5]) == nil, "a count past the end")
        #expect(StoredList.strings([0x80]) == nil, "a count cut short")
        #expect(StoredList.strings([0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) == nil, "a count past 28 bits")
        #expect(StoredList.strings([2, 0xE5, 0x95]) == nil, "a character cut short")
        #expect(StoredList.strings([1, 0xFF]) == nil, "not UTF-8")
        #expect(StoredList.strings([2, 0xC0, 0x80]) == nil, "an overlong form")
        #expect(StoredList.strings([3, 0xE0, 0x80, 0x80]) == nil, "an overlong form the length of U+FFFD")
        #expect(StoredList.strings([3, 0xED, 0xA0, 0x80]) == nil, "a surrogate")
        #expect(StoredList.strings([4, 0xF4, 0x90, 0x80, 0x80]) == nil, "past U+10FFFF")
        #expect(StoredList.strings([3, 0xEF, 0xBF, 0xBD]) == ["\u{FFFD}"], "a stored replacement character is a character")
        #expect(StoredList.strings([0, 0]) == ["", ""])
    }

    /// Lists a read meets again are shared, every list still reads as it
    /// was stored, past the interner's capacity too (the oldest is dropped
    /// and decoded again), and a damaged list is refused after a good one
    /// of the same length was kept.
    @Test func anInterner_givesEachListAsStored_pastItsCapacity() {
        var lists = StoredList.Interner(capacity: 3)
        let stored = (0..<8).map { ["渠道\($0)", "商超"] } + [[]] + (0..<8).map { ["渠道\($0)", "商超"] }
        for list in stored {
            let bytes = StoredList.bytes(list)
            #expect(bytes.withUnsafeBufferPointer { lists.strings($0) } == list)
            #expect(bytes.withUnsafeBufferPointer { lists.strings($0) } == list, "the second read, from what was kept")
        }
        var damaged = StoredList.bytes(["渠道7", "商超"])
        damaged[damaged.count - 1] = 0xFF
        #expect(damaged.withUnsafeBufferPointer { lists.strings($0) } == nil)
        var none = StoredList.Interner(capacity: 0)
        #expect(StoredList.bytes(["a"]).withUnsafeBufferPointer { none.strings($0) } == ["a"])
    }
}
