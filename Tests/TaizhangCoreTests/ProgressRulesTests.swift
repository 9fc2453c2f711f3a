// A project's funds and progress (issue 21). Its milestones run from approval
// to the handover of its assets, one at a time, in order, and dated in order
// (003 动态管理). Money is watched from allocation to spending: on no day may
// more be paid from a source and level than had been allocated from them by
// then (000 二(四)2–3 资金监管). Also covered: what a light counts (payments
// recorded by a given day, China Standard Time) and the limits.

import Testing
import TaizhangCore

struct ProgressRulesTests {
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }
    static let today = date("2026-06-30")
    static let sha = String(repeating: "ab", count: 32)
    static let voucher = Document(name: "支付凭证", kind: "other", sha256: sha)
    static let empty = ProjectProgress(id: "XM2026001", adminCode: "421024101", unitId: "DW00000001")
    /// Approved on 2026-01-10.
    static let approved = ProjectProgress(id: "XM2026001", adminCode: "421024101", unitId: "DW00000001",
                                          milestones: [MilestoneEntry(milestone: .approved, on: date("2026-01-10"), document: voucher)])

    static func reach(_ milestone: ProjectMilestone, _ day: String, _ progress: ProjectProgress) throws -> ProjectProgress {
        try ProgressRules.reach(MilestoneEntry(milestone: milestone, on: date(day), document: voucher), on: progress, today: today)
    }

    static func allocation(_ fen: Int64, on day: String, _ source: FundingSource = .centralSpecial, _ level: FundLevel = .central) -> FundAllocation {
        FundAllocation(year: 2026, source: source, level: level, amountFen: fen, on: date(day), document: voucher)
    }

    static func payment(_ fen: Int64, on day: String, _ source: FundingSource = .centralSpecial, _ level: FundLevel = .central,
                        recordedAt: String = "") -> FundDisbursement {
        FundDisbursement(on: date(day), source: source, level: level, amountFen: fen, payee: "某建设公司", document: voucher,
                         meta: ProgressEntryMeta(identity: "clerk (uid:1001)", actor: "clerk", recordedAt: recordedAt))
    }

    /// The approved project with `allocations` already recorded.
    static func funded(_ allocations: FundAllocation...) -> ProjectProgress {
        var progress = approved
        progress.allocations = allocations
        return progress
    }

    static func allocate(_ allocation: FundAllocation, _ progress: ProjectProgress) throws -> ProjectProgress {
        try ProgressRules.allocate(allocation, to: progress, projectYear: 2026, today: today)
    }

    static func pay(_ payment: FundDisbursement, _ progress: ProjectProgress) throws -> ProjectProgress {
        try ProgressRules.disburse(payment, from: progress, today: today)
    }

    static func refusal(_ body: () throws -> ProjectProgress) -> LedgerError? {
        do { _ = try body(); return nil } catch { return error as? LedgerError }
    }

    // MARK: Milestones

    @Test func milestonesInOrder_fromApprovalToHandover_areEachRecorded() throws {
        // Accepted and handed over on the same day: in order, not before.
        let days = ["2026-01-10", "2026-02-01", "2026-02-15", "2026-03-01", "2026-05-20", "2026-06-10", "2026-06-10"]
        var progress = Self.empty
        for (milestone, day) in zip(ProjectMilestone.allCases, days) {
            progress = try Self.reach(milestone, day, progress)
            #expect(progress.stage == milestone)
        }
        #expect(progress.milestones.map(\.milestone) == ProjectMilestone.allCases)
        #expect(progress.reached(.started)?.on == Self.date("2026-03-01"))
        #expect(progress.reached(.handedOver)?.on == Self.date("2026-06-10"))
    }

    @Test func aMilestoneOutOfOrder_isRefused_namingTheOneToRecordFirst() throws {
        let tendered = try Self.reach(.tendered, "2026-02-01", Self.approved)
        let cases: [(ProjectProgress, ProjectMilestone, String)] = [
            (Self.empty, .tendered, "comes after approved"),
            (Self.approved, .started, "comes after tendered"),
            (Self.approved, .handedOver, "comes after tendered"),
            (tendered, .completed, "comes after contract_signed"),
        ]
        for (progress, milestone, first) in cases {
            let refused = Self.refusal { try Self.reach(milestone, "2026-03-01", progress) }
            #expect(refused?.code == .failedPrecondition, "\(milestone)")
            #expect(refused?.message.contains(first) == true, "\(milestone): \(refused?.message ?? "")")
            #expect(refused?.message.contains("record that first") == true, "\(milestone)")
        }
    }

    @Test func theSameMilestoneTwice_isRefused() throws {
        let tendered = try Self.reach(.tendered, "2026-02-01", Self.approved)
        for milestone in [ProjectMilestone.approved, .tendered] {
            let refused = Self.refusal { try Self.reach(milestone, "2026-02-02", tendered) }
            #expect(refused?.code == .failedPrecondition, "\(milestone)")
            #expect(refused?.message.contains("already") == true, "\(milestone): \(refused?.message ?? "")")
        }
    }

    @Test func aMilestoneDatedBeforeThePreviousOne_orAfterToday_isInvalid_onItsDate() {
        let cases: [(ProjectProgress, ProjectMilestone, String)] = [
            (Self.approved, .tendered, "2026-01-09"),
            (Self.empty, .approved, "2026-07-01"),
            (Self.approved, .tendered, "2026-07-01"),
        ]
        for (progress, milestone, day) in cases {
            let refused = Self.refusal { try Self.reach(milestone, day, progress) }
            #expect(refused?.code == .invalidArgument, "\(milestone) on \(day)")
            #expect(refused?.violations.map(\.field) == ["date"], "\(milestone) on \(day)")
        }
    }

    @Test func aMilestoneWithABadDocument_isInvalid_onTheDocumentsHash() {
        let entry = MilestoneEntry(milestone: .approved, on: Self.date("2026-01-10"),
                                   document: Document(name: "立项批复", kind: "other", sha256: "not-a-hash"))
        let refused = Self.refusal { try ProgressRules.reach(entry, on: Self.empty, today: Self.today) }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.violations.map(\.field) == ["document.sha256"])
    }

    @Test func theStageAtADate_isTheLastMilestoneReachedByIt() throws {
        let progress = try Self.reach(.contractSigned, "2026-02-15", try Self.reach(.tendered, "2026-02-01", Self.approved))
        let cases: [(String, ProjectMilestone?)] = [
            ("2026-01-09", nil), ("2026-01-10", .approved), ("2026-02-14", .tendered),
            ("2026-02-15", .contractSigned), ("2030-01-01", .contractSigned),
        ]
        for (day, stage) in cases {
            #expect(progress.stage(on: Self.date(day)) == stage, "\(day)")
        }
        #expect(Self.empty.stage == nil)
    }

    // MARK: Allocations

    @Test func allocations_addUp_byTheirDates() throws {
        var progress = try Self.allocate(Self.allocation(50_000_000, on: "2026-02-01"), Self.approved)
        progress = try Self.allocate(Self.allocation(20_000_000, on: "2026-04-01", .localFiscal, .county), progress)
        #expect(progress.allocations.count == 2)
        #expect(progress.allocatedFen(through: Self.date("2026-01-31")) == 0)
        #expect(progress.allocatedFen(through: Self.date("2026-02-01")) == 50_000_000)
        #expect(progress.allocatedFen(through: Self.date("2026-03-31")) == 50_000_000)
        #expect(progress.allocatedFen() == 70_000_000)
    }

    @Test func anAllocation_ofNothing_beforeApproval_outsideTheBudgetYears_listsEveryBadField() throws {
        var bad = Self.allocation(0, on: "2026-01-09")
        bad.year = 2037
        let refused = Self.refusal { try Self.allocate(bad, Self.approved) }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.violations.map(\.field) == ["amount_fen", "year", "date"])
        // Ten budget years either side of the project's is the limit.
        var edge = Self.allocation(1, on: "2026-06-30")
        edge.year = 2036
        #expect(try Self.allocate(edge, Self.approved).allocations.count == 1)
    }

    // MARK: Disbursements

    @Test func aDisbursementOverItsLinesAllocation_isRefused_onItsAmount() {
        let progress = Self.funded(Self.allocation(10_000_000, on: "2026-02-01"))
        let refused = Self.refusal { try Self.pay(Self.payment(10_000_001, on: "2026-03-01"), progress) }
        #expect(refused?.code == .failedPrecondition)
        #expect(refused?.violations.map(\.field) == ["amount_fen"])
        #expect(refused?.violations.first?.description.contains("0.01元") == true)
        #expect(refused?.message.contains("record the allocation first") == true)
    }

    @Test func disbursementsExactlyUpToTheAllocation_areAccepted_andNotOneFenMore() throws {
        let progress = Self.funded(Self.allocation(10_000_000, on: "2026-02-01"))
        let part = try Self.pay(Self.payment(6_000_000, on: "2026-03-01"), progress)
        let full = try Self.pay(Self.payment(4_000_000, on: "2026-03-02"), part)
        #expect(full.disbursements.count == 2)
        #expect(full.spentFen() == 10_000_000)
        #expect(Self.refusal { try Self.pay(Self.payment(1, on: "2026-03-03"), full) }?.code == .failedPrecondition)
    }

    @Test func aDisbursementFromAnotherSourceOrLevel_thanAllocated_isRefused() {
        // Allocated: 中央 central_special only.
        let progress = Self.funded(Self.allocation(10_000_000, on: "2026-02-01"))
        let lines: [(FundingSource, FundLevel)] = [(.integrated, .central), (.centralSpecial, .provincial), (.localFiscal, .county)]
        for (source, level) in lines {
            let refused = Self.refusal { try Self.pay(Self.payment(100, on: "2026-03-01", source, level), progress) }
            #expect(refused?.code == .failedPrecondition, "\(source) \(level)")
            #expect(refused?.violations.map(\.field) == ["amount_fen"], "\(source) \(level)")
        }
    }

    @Test func aDisbursementBeforeItsAllocationsDate_isRefused_thoughTheLaterAllocationCoversIt() throws {
        let progress = Self.funded(Self.allocation(10_000_000, on: "2026-03-01"))
        #expect(progress.allocatedFen() >= 5_000_000)
        let early = Self.refusal { try Self.pay(Self.payment(5_000_000, on: "2026-02-28"), progress) }
        #expect(early?.code == .failedPrecondition)
        #expect(early?.message.contains("by 2026-02-28") == true)
        // On the allocation's own day the allocation comes first.
        #expect(try Self.pay(Self.payment(5_000_000, on: "2026-03-01"), progress).disbursements.count == 1)
    }

    @Test func aBackdatedDisbursement_thatWouldOverdrawAnEarlierDay_isRefused() throws {
        let allocated = Self.funded(Self.allocation(10_000_000, on: "2026-02-01"), Self.allocation(10_000_000, on: "2026-05-01"))
        let progress = try Self.pay(Self.payment(8_000_000, on: "2026-04-01"), allocated)
        // 30,000元 on 03-01 is within the 100,000元 then, but brings what the line paid (04-01's total) to 110,000元.
        let backdated = Self.refusal { try Self.pay(Self.payment(3_000_000, on: "2026-03-01"), progress) }
        #expect(backdated?.code == .failedPrecondition)
        #expect(backdated?.message.contains("to 110,000.00元, over the 100,000.00元 allocated from it by 2026-03-01") == true, "\(backdated?.message ?? "")")
        #expect(backdated?.violations.first?.description.contains("by 10,000.00元") == true)
        // Paid after the second allocation it fits.
        #expect(try Self.pay(Self.payment(3_000_000, on: "2026-05-01"), progress).spentFen() == 11_000_000)
    }

    @Test func aBadDisbursement_listsEveryBadField_atOnce() {
        var bad = Self.payment(0, on: "2026-07-01")
        bad.document = Document(name: "支付凭证", kind: "other", sha256: String(repeating: "AB", count: 32))
        bad.payee = String(repeating: "某", count: 501) // 1,503 bytes
        let refused = Self.refusal { try Self.pay(bad, Self.empty) }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.violations.map(\.field) == ["amount_fen", "document.sha256", "date", "payee"])
    }

    @Test func aDisbursementOfNothing_lessThanNothing_orOverTheLargestAmount_isInvalid_beforeTheAllocationIsLookedAt() {
        for fen: Int64 in [0, -1, -10_000_000, RecordLimits.amountMaxFen + 1] {
            let refused = Self.refusal { try Self.pay(Self.payment(fen, on: "2026-03-01"), Self.approved) }
            #expect(refused?.code == .invalidArgument, "\(fen)")
            #expect(refused?.violations.map(\.field) == ["amount_fen"], "\(fen)")
        }
    }

    @Test func theWiresEntryChecks_nameEveryBadField_underTheirPrefix() {
        let bad = Document(name: "支付凭证", kind: "other", sha256: "not-a-hash")
        let both = ProgressRules.entryViolations(amountFen: 0, document: bad, prefix: "disbursement.")
        #expect(both.map(\.field) == ["disbursement.amount_fen", "disbursement.document.sha256"])
        // A milestone has no amount.
        #expect(ProgressRules.entryViolations(amountFen: nil, document: bad, prefix: "milestone.").map(\.field) == ["milestone.document.sha256"])
        #expect(ProgressRules.entryViolations(amountFen: 1, document: Self.voucher, prefix: "allocation.").isEmpty)
    }

    @Test func aDisbursementBeforeApproval_isInvalid_onItsDate() {
        let progress = Self.funded(Self.allocation(10_000_000, on: "2026-01-10"))
        let refused = Self.refusal { try Self.pay(Self.payment(100, on: "2026-01-09"), progress) }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.violations.map(\.field) == ["date"])
    }

    // MARK: Spending

    /// Payments and when they were recorded (UTC): 2026-07-10T16:30Z is 07-11 00:30 in China.
    static let recorded = ProjectProgress(id: "XM2026001", adminCode: "421024101", unitId: "DW00000001", disbursements: [
        payment(1_000_000, on: "2026-03-31", recordedAt: "2026-03-31T08:00:00.000Z"),
        payment(2_000_000, on: "2026-04-01", recordedAt: "2026-04-10T01:00:00.000Z"),
        payment(4_000_000, on: "2026-04-15", recordedAt: "2026-04-20T02:00:00.000Z"),
        payment(8_000_000, on: "2026-06-30", recordedAt: "2026-07-10T16:30:00.000Z"),
    ])

    @Test func spendingThroughADay_countsEveryPaymentDatedByIt() {
        #expect(Self.recorded.spentFen(through: Self.date("2026-03-30")) == 0)
        #expect(Self.recorded.spentFen(through: Self.date("2026-03-31")) == 1_000_000)
        #expect(Self.recorded.spentFen(through: Self.date("2026-04-15")) == 7_000_000)
        #expect(Self.recorded.spentFen() == 15_000_000)
    }

    @Test func spendingWithinAPeriod_countsOnlyPaymentsRecordedByTheDayGiven_inChinaTime() {
        let cases: [(recordedBy: String?, fen: Int64)] = [
            (nil, 14_000_000),
            ("2026-04-09", 0),
            ("2026-04-10", 2_000_000),
            ("2026-04-19", 2_000_000), // the 04-15 payment was recorded 04-20 10:00 China time
            ("2026-04-20", 6_000_000),
            ("2026-07-10", 6_000_000), // 2026-07-10T16:30Z is already 07-11 in China
            ("2026-07-11", 14_000_000),
        ]
        for (recordedBy, fen) in cases {
            let spent = Self.recorded.spentFen(from: Self.date("2026-04-01"), through: Self.date("2026-06-30"), recordedBy: recordedBy.map(Self.date))
            #expect(spent == fen, "recorded by \(recordedBy ?? "any day")")
        }
    }

    @Test func anEntryCounts_whenRecordedByTheEndOfTheDay_inChinaTime() {
        let day = Self.date("2026-07-10")
        #expect(ProgressRules.counts(ProgressEntryMeta(recordedAt: "2026-07-10T15:59:59.999Z"), by: day))
        #expect(!ProgressRules.counts(ProgressEntryMeta(recordedAt: "2026-07-10T16:00:00.000Z"), by: day))
        #expect(ProgressRules.counts(ProgressEntryMeta(recordedAt: "2026-07-10T16:00:00.000Z"), by: nil))
    }

    // MARK: Limits

    @Test func aProjectWithTheMostDisbursements_takesNoMore() throws {
        // The record counts its payments by line (they are records of their own).
        var full = Self.funded(Self.allocation(100_000_000, on: "2026-02-01"))
        let line = FundLine(source: Self.payment(1, on: "2026-03-01").source, level: Self.payment(1, on: "2026-03-01").level, paidFen: 0, payments: 0)
        full.lines = [line]
        full.lines[0].payments = ProgressRules.disbursementsMax
        full.lines[0].paidFen = Int64(ProgressRules.disbursementsMax)
        let refused = Self.refusal { try Self.pay(Self.payment(1, on: "2026-03-02"), full) }
        #expect(refused?.code == .resourceExhausted)
        full.lines[0].payments -= 1
        #expect(try Self.pay(Self.payment(1, on: "2026-03-02"), full).payments == ProgressRules.disbursementsMax)
    }

    @Test func aProjectWithTheMostAllocations_takesNoMore() {
        var full = Self.approved
        full.allocations = Array(repeating: Self.allocation(1, on: "2026-02-01"), count: ProgressRules.allocationsMax)
        let refused = Self.refusal { try Self.allocate(Self.allocation(1, on: "2026-02-02"), full) }
        #expect(refused?.code == .resourceExhausted)
    }
}
