// The rules as a pure function: decide(view, mutation, time) → change or
// refusal, with no store, socket or clock. The ledger each test starts from
// is built by deciding mutations on an empty view, as a group of the writer
// does; the time is two values the test sets.

import Testing
@testable import TaizhangCore

/// A ledger held by the rules alone: the changes decided so far over nothing.
struct RuleLedger {
    var changes = GroupChanges()
    var numbers = IdentifierNumbers()
    var now = "2026-11-22T02:00:00Z"
    var today = CivilDate("2026-11-22")!

    static let county = "421024000000"
    static let township = "421024101000"
    static let baima = "421024101201"
    static let xinhe = "421024101202"

    static func caller(scope: Set<String>? = nil) -> CallerContext {
        var context = CallerContext(identity: "uid:0", actor: "测试员", method: "/test", requestId: "r", requestSHA256: "d", idempotencyKey: nil)
        if let scope {
            context.scope = scope
            context.scopeHolder = "baima-clerk (scope \(baima))"
        }
        return context
    }

    /// Decides `mutation` and, when it is applied, takes its change in.
    @discardableResult
    mutating func decide(_ mutation: Mutation, as caller: CallerContext = RuleLedger.caller()) throws -> LedgerChange {
        var decider = Decider(view: LayeredView(changes, over: EmptyLedgerView()), context: caller, now: now, today: today, numbers: numbers)
        defer { numbers = decider.numbers }
        let change = try decider.decide(mutation)
        changes.absorb(change)
        return change
    }

    /// The refusal of `mutation`, or nil when it was applied.
    mutating func refusal(_ mutation: Mutation, as caller: CallerContext = RuleLedger.caller()) -> LedgerError? {
        do {
            try decide(mutation, as: caller)
            return nil
        } catch let error as LedgerError {
            return error
        } catch {
            return LedgerError(.unknown, "\(error)")
        }
    }

    static func asset(code: String = "", unit: String = baima, owners: String = baima) -> Asset {
        Asset(code: code, name: "白马村光伏电站", category: .operating, projectId: "P1", adminCode: unit,
              acquiredDate: CivilDate("2019-06-30")!, usefulLifeYears: 25, originalValueFen: 100_000,
              funding: [Funding(source: .centralSpecial, amountFen: 100_000)],
              owners: [Owner(name: "白马村股份经济合作社", kind: .villageCollective, adminCode: owners, shareBasisPoints: 10_000)])
    }

    static let enterprise = OperatingEntity(name: "白马光伏运维公司", kind: .enterprise, adminCode: baima, creditCode: "91350100M000100Y43")

    static func contract(_ assetId: String, _ entityId: String, from start: String = "2025-01-01", to end: String = "2027-12-31") -> OperationContract {
        OperationContract(assetId: assetId, entityId: entityId, mode: .lease, start: CivilDate(start)!, end: CivilDate(end)!,
                          payments: [PaymentDue(kind: .rent, dueDate: CivilDate("2025-12-31")!, amountFen: 100_000)],
                          committedPoorLabourers: 10, committedHouseholds: 20)
    }

    static let report = QuarterReport(entityId: "ZT00000001", quarter: Quarter(year: 2026, number: 3)!, submittedOn: CivilDate("2026-10-10")!)

    /// A county, a township with two villages, a project, an asset
    /// (ZC00000001, number A-1) in 白马村, an entity (ZT00000001) and its
    /// contract (HT00000001) for the asset, with its 2026Q3 report.
    static func seeded() throws -> RuleLedger {
        var ledger = RuleLedger()
        for unit in [
            AdminUnit(code: county, name: "江陵县", level: .county, parentCode: ""),
            AdminUnit(code: township, name: "熊河镇", level: .township, parentCode: county),
            AdminUnit(code: baima, name: "白马村", level: .village, parentCode: township),
            AdminUnit(code: xinhe, name: "新河村", level: .village, parentCode: township),
        ] {
            try ledger.decide(.createAdminUnit(unit))
        }
        try ledger.decide(.createProject(Project(id: "P1", name: "光伏扶贫项目", year: 2019, implementingUnit: "县发改局",
                                                 adminCode: township, funding: [Funding(source: .centralSpecial, amountFen: 100_000)])))
        try ledger.decide(.registerAssets([asset(code: "A-1")], batch: false))
        try ledger.decide(.createEntity(enterprise))
        try ledger.decide(.createContract(contract("ZC00000001", "ZT00000001")))
        try ledger.decide(.submitReport(report, expectedRevision: 0))
        return ledger
    }
}

struct DeciderTests {
    /// One refusal: the mutation, who asks, and what must come back.
    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var mutation: Mutation
        var scope: Set<String>?
        var code: ErrorCode
        var message: String
        var fields: [String] = []
        var testDescription: String { name }
    }

    static let table: [Refusal] = {
        var moved = RuleLedger.asset(code: "A-1")
        moved.id = "ZC00000001"
        var outsider = moved
        outsider.adminCode = RuleLedger.xinhe
        var correction = RuleLedger.report
        correction.correctionReason = " \u{3000}"
        return [
            Refusal(name: "a unit that exists", mutation: .createAdminUnit(AdminUnit(code: RuleLedger.baima, name: "白马村", level: .village, parentCode: RuleLedger.township)),
                    code: .alreadyExists, message: "admin unit 421024101201 already exists", fields: ["unit.code"]),
            Refusal(name: "a project in no unit", mutation: .createProject(Project(id: "P2", name: "道路", year: 2020, implementingUnit: "县交通局",
                                                                                   adminCode: "421024109000", funding: [])),
                    code: .invalidArgument, message: "", fields: ["project.admin_code"]),
            Refusal(name: "an asset number in use", mutation: .registerAssets([RuleLedger.asset(code: "A-1")], batch: false),
                    code: .alreadyExists, message: "asset number A-1 is already used by ZC00000001", fields: ["asset.code"]),
            Refusal(name: "one number twice in a batch", mutation: .registerAssets([RuleLedger.asset(code: "B-1"), RuleLedger.asset(code: "B-1")], batch: true),
                    code: .invalidArgument, message: "", fields: ["assets[1].code"]),
            Refusal(name: "a stale version", mutation: .updateAsset(moved, expectedVersion: 7),
                    code: .aborted, message: "asset ZC00000001 is at version 1, not 7"),
            Refusal(name: "an unknown asset", mutation: .lifecycle(assetId: "ZC00000099", action: .putInUse(date: CivilDate("2026-11-01")!),
                                                                   calendar: WorkingDayCalendar(years: []), policy: DepreciationPolicy(), contributions: [], expectedVersion: 0),
                    code: .notFound, message: "no asset ZC00000099 exists", fields: ["asset_id"]),
            Refusal(name: "a credit code in use", mutation: .createEntity(RuleLedger.enterprise),
                    code: .alreadyExists, message: "credit code 91350100M000100Y43 is already registered as ZT00000001", fields: ["entity.credit_code"]),
            Refusal(name: "an overlapping contract", mutation: .createContract(RuleLedger.contract("ZC00000001", "ZT00000001", from: "2027-01-01", to: "2028-12-31")),
                    code: .failedPrecondition, message: "asset ZC00000001 is already under contract HT00000001", fields: ["contract.start"]),
            Refusal(name: "a correction without a reason", mutation: .submitReport(correction, expectedRevision: 0),
                    code: .invalidArgument, message: "", fields: ["report.correction_reason"]),
            // A scoped caller: what lies outside does not exist for it, and an
            // unknown record answers exactly as a hidden one.
            Refusal(name: "a hidden asset", mutation: .updateAsset(outsider, expectedVersion: 0), scope: [RuleLedger.xinhe],
                    code: .notFound, message: "no asset \"ZC00000001\" exists"),
            Refusal(name: "a unit outside, named", mutation: .updateAsset(outsider, expectedVersion: 0), scope: [RuleLedger.baima],
                    code: .permissionDenied, message: "baima-clerk (scope 421024101201) may change only what lies in its scope and below; the asset's new admin_code names 421024101202"),
            Refusal(name: "an owner outside", mutation: .registerAssets([RuleLedger.asset(code: "C-1", owners: RuleLedger.xinhe)], batch: false), scope: [RuleLedger.baima],
                    code: .permissionDenied, message: "asset C-1's owner 白马村股份经济合作社 names 421024101202"),
            Refusal(name: "a hidden contract", mutation: .submitReport(RuleLedger.report, expectedRevision: 0),
                    scope: [RuleLedger.xinhe], code: .notFound, message: "no operating entity \"ZT00000001\" exists"),
            Refusal(name: "a count outside", mutation: .stewardship(.openStockTake(adminCode: RuleLedger.township, year: 2026, on: CivilDate("2026-11-20")!)),
                    scope: [RuleLedger.baima], code: .permissionDenied, message: "the count's admin_code names 421024101000"),
        ]
    }()

    @Test(arguments: table)
    func refusals(_ row: Refusal) throws {
        var ledger = try RuleLedger.seeded()
        let before = ledger.changes
        let refusal = ledger.refusal(row.mutation, as: RuleLedger.caller(scope: row.scope))
        #expect(refusal?.code == row.code, "\(refusal?.message ?? "applied")")
        #expect(row.message.isEmpty || refusal?.message.contains(row.message) == true, "\(refusal?.message ?? "applied")")
        if !row.fields.isEmpty { #expect(refusal?.violations.map(\.field) == row.fields) }
        // A refusal changes nothing.
        #expect(ledger.changes.assetOrder == before.assetOrder && ledger.changes.kinds == before.kinds)
        #expect(ledger.changes.assets == before.assets && ledger.changes.contracts == before.contracts)
    }

    @Test func hiddenAndMissingAnswerAlike() throws {
        var ledger = try RuleLedger.seeded()
        let scoped = RuleLedger.caller(scope: [RuleLedger.xinhe])
        for id in ["ZC00000001", "ZC00000002"] {
            let action = LifecycleAction.putInUse(date: CivilDate("2026-11-01")!)
            let refusal = ledger.refusal(.lifecycle(assetId: id, action: action, calendar: WorkingDayCalendar(years: []), policy: DepreciationPolicy(),
                                                    contributions: [], expectedVersion: 3), as: scoped)
            #expect(refusal == LedgerError(.notFound, "no asset \"\(id)\" exists"))
        }
    }

    @Test func registrationGivesIdsVersionsAndTimes() throws {
        var ledger = try RuleLedger.seeded()
        let change = try ledger.decide(.registerAssets([RuleLedger.asset(code: "B-1"), RuleLedger.asset(code: "B-2")], batch: true))
        #expect(change.assets.map(\.after.id) == ["ZC00000002", "ZC00000003"])
        #expect(change.assets.allSatisfy { $0.before == nil && $0.after.version == 1 && $0.after.createdAt == ledger.now })
        #expect(change.namesOwners)
        #expect(ledger.numbers.asset == 3)
        guard case .assets(let outcome) = change.outcome else {
            Issue.record("no assets in the outcome")
            return
        }
        #expect(outcome.map(\.code) == ["B-1", "B-2"])
    }

    @Test func aNumberFreedInAGroupIsFreeForTheNextMutation() throws {
        var ledger = try RuleLedger.seeded()
        var renumbered = ledger.changes.assets["ZC00000001"]!
        renumbered.code = "A-1a"
        try ledger.decide(.updateAsset(renumbered, expectedVersion: 1))
        #expect(ledger.changes.assetIdsByCode["A-1"] == "")
        let change = try ledger.decide(.registerAssets([RuleLedger.asset(code: "A-1")], batch: false))
        #expect(change.assets.first?.after.id == "ZC00000002")
    }

    @Test func theTimeIsAnInput() throws {
        // A new operator answers from the day of the change: the decision's day.
        for day in ["2026-03-01", "2026-11-22"] {
            var ledger = try RuleLedger.seeded()
            try ledger.decide(.createEntity(OperatingEntity(name: "新河合作社", kind: .largeHousehold, adminCode: RuleLedger.baima)))
            ledger.today = CivilDate(day)!
            ledger.now = day + "T02:00:00Z"
            var contract = ledger.changes.contracts["HT00000001"]!
            contract.entityId = "ZT00000002"
            let consent = OwnerConsent(date: CivilDate(day)!, consentedBy: "白马村股份经济合作社", reference: "村民代表会议决议 2026-3")
            let change = try ledger.decide(.amendContract(contract, consent: consent, expectedVersion: 1))
            let amended = change.contracts[0].after
            #expect(amended.operatorSince == CivilDate(day))
            #expect(amended.amendments.last?.date == CivilDate(day))
            #expect(amended.updatedAt == ledger.now)
        }
    }

    @Test func aCountTakesTheGroupsOwnAssets() throws {
        var ledger = try RuleLedger.seeded()
        try ledger.decide(.registerAssets([RuleLedger.asset(code: "X-1", unit: RuleLedger.xinhe, owners: RuleLedger.xinhe)], batch: false))
        let change = try ledger.decide(.stewardship(.openStockTake(adminCode: RuleLedger.township, year: 2026, on: CivilDate("2026-11-20")!)))
        guard case .stockTake(let count) = change.stewardship.first?.after else {
            Issue.record("no count opened")
            return
        }
        #expect(count.scope == ["ZC00000001", "ZC00000002"])
        #expect(count.id == StewardshipKind.stockTake.id(1))
        // The second count of the year for the same unit is refused.
        let again = ledger.refusal(.stewardship(.openStockTake(adminCode: RuleLedger.township, year: 2026, on: CivilDate("2026-11-21")!)))
        #expect(again?.code == .alreadyExists)
    }

    @Test func theWholeChangeIsCheckedAgainstTheScope() throws {
        // A rule that names nothing outside can still write outside: the
        // change is checked as a whole before it is returned.
        var ledger = try RuleLedger.seeded()
        let scoped = RuleLedger.caller(scope: [RuleLedger.baima])
        let refusal = ledger.refusal(.createAdminUnit(AdminUnit(code: "421024101203", name: "东村", level: .village, parentCode: RuleLedger.township)), as: scoped)
        #expect(refusal?.code == .permissionDenied)
        #expect(ledger.changes.adminUnits["421024101203"] == nil)
    }
}
