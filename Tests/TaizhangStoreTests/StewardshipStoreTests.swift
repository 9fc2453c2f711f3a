// Stewardship records in the file (schema 14): read by key and listed by
// their columns, counted at start without being loaded, with the plan of
// each income and the day each asset was last counted kept by the writer
// beside them, and what the rules ask of them answered from the file.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangStore

@Suite struct StewardshipStoreTests {
    static let village = "421024101201"
    static let township = "421024101000"
    static let method = "/taizhang.ledger.v1.Ledger/RecordIncome"

    static func income(_ store: SQLiteLedgerStore, asset: String, day: String, fen: Int64) throws -> IncomeRecord {
        let reply = submit(store, .stewardship(.recordIncome(IncomeRecord(assetId: asset, receipt: IncomeReceipt(
            receivedOn: CivilDate(day)!, amountFen: fen, payer: "承包方", account: "村集体账户")))), context(method))
        guard case .success(.applied(.stewardship(.income(let income)), _)) = reply else { throw LedgerError(.internal, "income refused: \(reply)") }
        return income
    }

    static func plan(over incomeIds: [String], fen: Int64) -> Mutation {
        let allocations = [Allocation(purpose: .noLabourHouseholds, amountFen: fen * 9 / 10,
                                      households: [HouseholdShare(name: "王五", amountFen: fen * 9 / 10)]),
                           Allocation(purpose: .reserve, amountFen: fen - fen * 9 / 10)]
        return .stewardship(.createPlan(DistributionPlan(ownerCode: village, title: "白马村收益分配", incomeIds: incomeIds, allocations: allocations),
                                        draftedOn: CivilDate("2026-11-02")!, note: ""))
    }

    static func refusal(_ reply: MutationReply) -> LedgerError? {
        if case .failure(let error) = reply { return error }
        return nil
    }

    @Test(arguments: Engine.allCases) func recordsStayInTheFile_areListedByTheirColumns_andAnswerTheRules(engine: Engine) throws {
        let place = try StorePlace(engine)
                do {
            let store = try SQLiteLedgerStore(configuration: place.configuration)
            defer { store.close() }
            seedUnits(store)
            _ = submit(store, .registerAssets((0..<3).map { sampleAsset(code: "S\($0)") }, batch: true))
            let first = try Self.income(store, asset: "ZC00000001", day: "2026-07-05", fen: 100_000)
            _ = try Self.income(store, asset: "ZC00000002", day: "2026-08-05", fen: 20_000)
            _ = try Self.income(store, asset: "ZC00000002", day: "2026-09-05", fen: 3_000)
            guard case .success = submit(store, Self.plan(over: [first.id], fen: 100_000), context(Self.method)) else {
                Issue.record("the plan was refused"); return
            }
            // The income a plan distributes is found in the file: a second plan over it is refused.
            let twice = Self.refusal(submit(store, Self.plan(over: [first.id], fen: 100_000), context(Self.method)))
            #expect(twice?.violations.contains { $0.description.contains("already distributed by plan FP00000001") } == true, "\(String(describing: twice))")

            // A count of the village: two assets found, one lost; closed.
            let opened = submit(store, .stewardship(.openStockTake(adminCode: Self.village, year: 2026, on: CivilDate("2026-11-20")!)),
                                context(Self.method))
            guard case .success(.applied(.stewardship(.stockTake(let count)), _)) = opened else {
                Issue.record("the count was not opened: \(opened)"); return
            }
            let lines = ["ZC00000001", "ZC00000002", "ZC00000003"].map {
                CountLine(assetId: $0, found: $0 != "ZC00000003", condition: "完好", countedQuantity: "1")
            }
            _ = submit(store, .stewardship(.recordCount(stockTakeId: count.id, lines: lines, surplus: [], expectedVersion: 0)), context(Self.method))
            guard case .success = submit(store, .stewardship(.closeStockTake(stockTakeId: count.id, on: CivilDate("2026-11-25")!, expectedVersion: 0)),
                                         context(Self.method)) else {
                Issue.record("the count was not closed"); return
            }
            // The unit's count of the year is found in the file: a second one is refused.
            let again = Self.refusal(submit(store, .stewardship(.openStockTake(adminCode: Self.village, year: 2026, on: CivilDate("2026-11-26")!)),
                                            context(Self.method)))
            #expect(again?.code == .alreadyExists, "\(String(describing: again))")
        }

        // Reopened: nothing of them is loaded but their counts and numbers.
        let store = try SQLiteLedgerStore(configuration: place.configuration)
        defer { store.close() }
        let counts = store.statistics().recordCounts
        #expect(counts["income"] == 3 && counts["distribution_plan"] == 1 && counts["stock_take"] == 1 && counts["disposal"] == 0)

        let all = try store.stewardshipRecords(StewardshipFilter(.income, adminCode: Self.township), after: nil, limit: 10)
        #expect(all.records.map(\.id) == ["SY00000001", "SY00000002", "SY00000003"] && all.total == 3 && all.amountFen == 123_000)
        let waiting = try store.stewardshipRecords(StewardshipFilter(.income, undistributedOnly: true), after: nil, limit: 10)
        #expect(waiting.records.map(\.id) == ["SY00000002", "SY00000003"] && waiting.amountFen == 23_000)
        let ofAsset = try store.stewardshipRecords(StewardshipFilter(.income, assetId: "ZC00000002"), after: nil, limit: 1)
        #expect(ofAsset.records.map(\.id) == ["SY00000002"] && ofAsset.nextAfter == "SY00000002" && ofAsset.total == 2)
        // The next page goes on after the token, a record added meanwhile included.
        _ = try Self.income(store, asset: "ZC00000002", day: "2026-10-05", fen: 1)
        let next = try store.stewardshipRecords(StewardshipFilter(.income, assetId: "ZC00000002"), after: ofAsset.nextAfter, limit: 5)
        #expect(next.records.map(\.id) == ["SY00000003", "SY00000004"] && next.nextAfter == nil && next.total == 3)
        #expect(try store.stewardshipRecords(StewardshipFilter(.income, adminCode: "421024102000"), after: nil, limit: 10).total == 0)

        // Counts by the unit alone or its subtree, by year and state.
        var own = StewardshipFilter(.stockTake, adminCode: Self.township)
        #expect(try store.stewardshipRecords(own, after: nil, limit: 10).total == 1)
        own.unitOnly = true
        #expect(try store.stewardshipRecords(own, after: nil, limit: 10).total == 0)
        #expect(try store.stewardshipRecords(StewardshipFilter(.stockTake, year: 2025), after: nil, limit: 10).total == 0)
        #expect(try store.stewardshipRecords(StewardshipFilter(.stockTake, states: ["closed"]), after: nil, limit: 10).total == 1)
        // A plan past its deadline (three months from its income) and not carried out.
        let overdue = StewardshipFilter(.distributionPlan, states: ["draft"], dayBefore: CivilDate("2026-10-06")!)
        #expect(try store.stewardshipRecords(overdue, after: nil, limit: 10).records.map(\.id) == ["FP00000001"])
        #expect(try store.stewardshipRecords(StewardshipFilter(.distributionPlan, dayBefore: CivilDate("2026-10-05")!), after: nil, limit: 10).total == 0)

        // What the rules ask of them all.
        #expect(try store.plans(distributing: ["SY00000001", "SY00000002"]) == ["SY00000001": "FP00000001"])
        #expect(try store.lastCounted(after: nil, through: nil, ids: ["ZC00000001", "ZC00000003"]) == ["ZC00000001": CivilDate("2026-11-25")!])
        #expect(try store.lastCounted(after: "ZC00000001", through: nil, ids: nil) == ["ZC00000002": CivilDate("2026-11-25")!])
        #expect(try store.receipts(ofContracts: ["HT00000001"]).isEmpty)
        guard case .stockTake(let closed)? = try store.stewardshipRecord(.stockTake, id: "PD00000001") else {
            Issue.record("the count does not read"); return
        }
        #expect(closed.closedOn == CivilDate("2026-11-25")! && closed.lines.count == 3)
        #expect(try store.stewardshipRecord(.stockTake, id: "PD00000009") == nil)
        let verification = try store.verifyAuditChain()
        #expect(verification.intact, "\(verification.mismatches)")
    }

    /// A row the writer keeps beside the records, edited or deleted behind
    /// the daemon's back, is named by the check; a record whose JSON no
    /// longer reads fails its read with DATA_LOSS.
    @Test func theKeptTables_editedBehindTheDaemon_areNamed() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
            defer { store.close() }
            seedUnits(store)
            _ = submit(store, .registerAssets([sampleAsset(code: "S0")], batch: true))
            let income = try Self.income(store, asset: "ZC00000001", day: "2026-07-05", fen: 100_000)
            _ = submit(store, Self.plan(over: [income.id], fen: 100_000), context(Self.method))
        }
        let database = directory + "/taizhang.db"
        #expect(try sqlite3(database, "DELETE FROM income_plans; INSERT INTO counted_assets VALUES ('ZC00000001', '2026-11-30');"
                                      + "UPDATE stewardship_records SET record_json = '{' WHERE kind = 'income'") == 0)
        let store = try SQLiteLedgerStore(configuration: .init(dataDirectory: directory))
        defer { store.close() }
        let verification = try store.verifyAuditChain()
        #expect(verification.mismatches.contains { $0.table == "income_plans" && $0.id == "SY00000001" && $0.problem.contains("missing") })
        #expect(verification.mismatches.contains { $0.table == "counted_assets" && $0.id == "ZC00000001" && $0.problem.contains("not in the journal") })
        #expect(verification.mismatches.contains { $0.table == "stewardship_records" && $0.id == "SY00000001" && $0.column == "record_json" })
        #expect(throws: LedgerError.self) { try store.stewardshipRecord(.income, id: "SY00000001") }
        do {
            _ = try store.stewardshipRecord(.income, id: "SY00000001")
        } catch let error as LedgerError {
            #expect(error.code == .dataLoss && error.message.contains("record_json"), "\(error)")
        }
    }
}
