// Disposal (000 (十一)2, 004 §24–27) and the stock-take (004 §23): what a
// disposal needs, what is never allowed, and when a count may close.

import Testing
import TaizhangCore

struct DisposalRulesTests {
    static let village = DisposalSubject(householdSupport: false, stateOwned: false)

    static func record(method: DisposalMethod = .auction, proceeds: Int64 = 80_000_00, reason: String = "",
                       approvals: [Approval]? = nil, published: CivilDate? = CivilDate("2026-05-10")) -> DisposalRecord {
        DisposalRecord(reason: .planning, method: method,
                       appraisal: Appraisal(appraiser: "荆州某资产评估事务所", valueFen: 80_000_00, date: CivilDate("2026-05-01")!),
                       approvals: approvals ?? [Approval(level: .township, by: "熊河镇人民政府", date: CivilDate("2026-05-15")!),
                                                Approval(level: .countyDepartment, by: "县农业农村局", date: CivilDate("2026-05-20")!),
                                                Approval(level: .countyPovertyOffice, by: "县乡村振兴局", date: CivilDate("2026-05-22")!)],
                       valuationPublishedOn: published, proceedsFen: proceeds, belowAppraisalReason: reason, date: CivilDate("2026-06-01")!)
    }

    @Test func aVillageDisposalWithAppraisalApprovalsAndPublication_passes() {
        #expect(DisposalRules.refusal(Self.record(), of: Self.village) == nil)
    }

    /// 000 (九)1, (十一)2: never disposed of while pledged; 004 §24: household assets are not in this process.
    @Test(arguments: [
        (DisposalSubject(householdSupport: false, stateOwned: false, pledged: true), "pledged"),
        (DisposalSubject(householdSupport: true, stateOwned: false), "support to households"),
        (DisposalSubject(householdSupport: false, stateOwned: false, disposed: true), "already disposed"),
    ])
    func neverAllowed(_ subject: DisposalSubject, _ words: String) {
        let refusal = DisposalRules.refusal(Self.record(), of: subject)
        #expect(refusal?.code == .failedPrecondition)
        #expect(refusal?.message.contains(words) == true, "\(refusal?.message ?? "")")
    }

    /// 004 §33: an under-priced disposal without a recorded reason.
    @Test func belowTheAppraisedValue_needsAReason() {
        let refusal = DisposalRules.refusal(Self.record(proceeds: 60_000_00), of: Self.village)
        #expect(refusal?.violations.map(\.field) == ["below_appraisal_reason"])
        #expect(DisposalRules.refusal(Self.record(proceeds: 60_000_00, reason: "两次流拍后按评估价八折转让，经乡镇同意"), of: Self.village) == nil)
        // A scrapping brings what it brings.
        #expect(DisposalRules.refusal(Self.record(method: .scrap, proceeds: 0, published: nil), of: Self.village) == nil)
    }

    /// An auction or transfer starts from an appraised value; only a scrapping may be worth nothing.
    @Test func anAuctionAtAZeroAppraisal_isRefused() {
        var record = Self.record(proceeds: 0)
        record.appraisal?.valueFen = 0
        #expect(DisposalRules.refusal(record, of: Self.village)?.violations.map(\.field) == ["appraisal.value_fen"])
        record.method = .scrap
        #expect(DisposalRules.refusal(record, of: Self.village) == nil)
    }

    @Test func outsideTheProcess_everyMissingStepIsListed() {
        let record = DisposalRecord(reason: .wear, method: .transfer, appraisal: nil,
                                    approvals: [Approval(level: .countyDepartment, by: "", date: CivilDate("2026-05-20")!)],
                                    valuationPublishedOn: nil, proceedsFen: 10_00, date: CivilDate("2026-06-01")!)
        let refusal = DisposalRules.refusal(record, of: Self.village)
        #expect(refusal?.code == .invalidArgument)
        #expect(refusal?.violations.map(\.field) == ["appraisal", "approvals", "approvals[0].by", "approvals", "valuation_published_on"])
    }

    /// 004 §25: state-owned assets go to the department, the poverty office, then finance.
    @Test func stateOwnedAssetsNeedFinance() {
        #expect(DisposalRules.requiredApprovals(stateOwned: true) == [.countyDepartment, .countyPovertyOffice, .countyFinance])
        let refusal = DisposalRules.refusal(Self.record(), of: DisposalSubject(householdSupport: false, stateOwned: true))
        #expect(refusal?.violations.map(\.description).contains { $0.hasPrefix("county_finance has not approved") } == true)
    }

    @Test func approvalsComeInOrderAfterTheAppraisal() {
        let approvals = [Approval(level: .township, by: "熊河镇人民政府", date: CivilDate("2026-04-20")!),
                         Approval(level: .countyDepartment, by: "县农业农村局", date: CivilDate("2026-05-20")!),
                         Approval(level: .countyPovertyOffice, by: "县乡村振兴局", date: CivilDate("2026-05-19")!)]
        let fields = DisposalRules.refusal(Self.record(approvals: approvals), of: Self.village)?.violations.map(\.field)
        #expect(fields == ["approvals[0].date", "approvals[2].date"])
    }

    // MARK: Stock-take (004 §23)

    @Test func aCountClosesOnlyWhenEveryAssetHasALine() {
        let scope: Set<String> = ["ZC1", "ZC2", "ZC3"]
        let lines = [CountLine(assetId: "ZC1", found: true, condition: "好", countedQuantity: "1"),
                     CountLine(assetId: "ZC1", found: true, condition: "好", countedQuantity: "1"),
                     CountLine(assetId: "ZC9", found: true, condition: "好", countedQuantity: "1")]
        let refusal = StockTakeRules.closingRefusal(scope: scope, lines: lines, surplus: [SurplusLine(description: "水泵", valueFen: 0, valueBasis: "guess")])
        #expect(refusal?.code == .failedPrecondition)
        #expect(refusal?.violations.map(\.field) == ["lines[1].asset_id", "lines[2].asset_id", "lines", "surplus[0].value_fen", "surplus[0].value_basis"])
        #expect(refusal?.violations[2].description.hasPrefix("2 assets in scope have no line yet: ZC2, ZC3") == true)
    }

    @Test func theReportSaysWhetherBookEqualsReality() {
        let scope: Set<String> = ["ZC1", "ZC2"]
        let all = [CountLine(assetId: "ZC1", found: true, condition: "好", countedQuantity: "1"),
                   CountLine(assetId: "ZC2", found: true, condition: "一般", countedQuantity: "1")]
        #expect(StockTakeRules.closingRefusal(scope: scope, lines: all, surplus: []) == nil)
        #expect(StockTakeRules.report(scope: scope, lines: all, surplus: []).bookEqualsReality)
        let lost = [all[0], CountLine(assetId: "ZC2", found: false, condition: "", countedQuantity: "0")]
        let report = StockTakeRules.report(scope: scope, lines: lost, surplus: [SurplusLine(description: "水泵", valueFen: 1_200_00, valueBasis: "replacement_cost")])
        #expect(!report.bookEqualsReality)
        #expect(report.lost == ["ZC2"] && report.found == 1 && report.surplusValueFen == 1_200_00)
    }

    @Test(arguments: [(nil as String?, "2025-03-01", "2026-03-01", false), (nil, "2025-03-01", "2026-03-02", true),
                      ("2025-12-31", "2020-01-01", "2026-06-30", false), ("2024-02-29", "2020-01-01", "2025-03-01", true)])
    func anAssetUncountedForMoreThanAYear_isOverdue(_ last: String?, _ registered: String, _ today: String, _ overdue: Bool) {
        #expect(StockTakeRules.countOverdue(lastCounted: last.flatMap { CivilDate($0) }, registered: CivilDate(registered)!, today: CivilDate(today)!) == overdue)
    }
}
