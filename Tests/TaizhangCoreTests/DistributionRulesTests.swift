// Distribution plans (000 (十), 001 (七), 004 §28–31): what a plan must hold,
// 一分了之 refused with its rule, the step order, the assembly's record,
// and the 3-month deadline.

import Testing
import TaizhangCore

struct DistributionRulesTests {
    static let households = [HouseholdShare(name: "张三", amountFen: 300_00), HouseholdShare(name: "李四", amountFen: 200_00)]

    /// ¥2,000.00 of income: 500 to the priority group, 800 public-welfare jobs, 500 collective economy, 200 reserve.
    static let sound = [
        Allocation(purpose: .noLabourHouseholds, amountFen: 500_00, households: households),
        Allocation(purpose: .publicWelfareJobs, amountFen: 800_00),
        Allocation(purpose: .collectiveEconomy, amountFen: 500_00),
        Allocation(purpose: .reserve, amountFen: 200_00),
    ]

    @Test func aSoundPlan_passes() {
        #expect(DistributionRules.validate(allocations: Self.sound, incomeFen: 2_000_00).isEmpty)
    }

    /// 000 (十)3 "不分光分净" and 004 §30 "优先分配对象": each plan below breaks one rule.
    @Test(arguments: [
        ("everything handed out, no reserve (000 (十)3)",
         [Allocation(purpose: .noLabourHouseholds, amountFen: 500_00, households: households),
          Allocation(purpose: .otherHouseholds, amountFen: 1_500_00, households: [HouseholdShare(name: "王五", amountFen: 1_500_00)])],
         "nothing is kept in reserve"),
        ("no priority group (004 §30)",
         [Allocation(purpose: .collectiveEconomy, amountFen: 1_800_00), Allocation(purpose: .reserve, amountFen: 200_00)],
         "the priority group has no allocation"),
    ])
    func yiFenLeZhi_isRefusedNamingTheRule(_ name: String, _ allocations: [Allocation], _ expected: String) {
        let violations = DistributionRules.validate(allocations: allocations, incomeFen: 2_000_00)
        #expect(violations.contains { $0.field == "allocations" && $0.description.hasPrefix("一分了之") && $0.description.contains(expected) },
                "\(name): \(violations)")
    }

    @Test func everyBadFieldIsListed() {
        let plan = [
            Allocation(purpose: .noLabourHouseholds, amountFen: 500_00, households: [HouseholdShare(name: " ", amountFen: 100_00)]),
            Allocation(purpose: .otherHouseholds, amountFen: 100_00),
            Allocation(purpose: .publicWorks, amountFen: -5, households: [HouseholdShare(name: "赵六", amountFen: 5)]),
            Allocation(purpose: .reserve, amountFen: 100_00),
            Allocation(purpose: .reserve, amountFen: 100_00),
        ]
        let fields = Set(DistributionRules.validate(allocations: plan, incomeFen: 2_000_00).map(\.field))
        #expect(fields == ["allocations[0].households[0].name", "allocations[0].households", "allocations[1].households",
                           "allocations[2].amount_fen", "allocations[2].households", "allocations[4].purpose", "allocations"])
    }

    @Test func theAllocationsMustAddUpToTheIncome() {
        let violations = DistributionRules.validate(allocations: Self.sound, incomeFen: 2_500_00)
        #expect(violations.map(\.description) == ["the allocations add up to 2,000.00元, not the income's 2,500.00元; plan all of it, the reserve included"])
    }

    @Test func aReserveBelowTheCountysMinimum_isRefused() {
        var policy = DistributionPolicy()
        policy.reserveMinBasisPoints = 2_000 // 20%
        #expect(DistributionRules.validate(allocations: Self.sound, incomeFen: 2_000_00, policy: policy).contains { $0.description.hasPrefix("一分了之") })
        policy.reserveMinBasisPoints = 1_000 // 10%: the 10% reserve is enough
        #expect(DistributionRules.validate(allocations: Self.sound, incomeFen: 2_000_00, policy: policy).isEmpty)
    }

    /// 004 §31: three months from the income reaching the village account.
    @Test(arguments: [("2026-01-15", "2026-04-15"), ("2025-11-30", "2026-02-28"), ("2023-11-30", "2024-02-29"), ("2026-10-31", "2027-01-31")])
    func theDeadlineIsThreeMonthsAfterTheIncomeArrived(_ received: String, _ due: String) {
        #expect(DistributionRules.deadline(incomeReceived: CivilDate(received)!).description == due)
    }

    @Test func aPlanNotCarriedOutByTheDeadline_isOverdue() {
        let received = CivilDate("2026-01-15")!
        #expect(!DistributionRules.isOverdue(stage: .filed, incomeReceived: received, today: CivilDate("2026-04-15")!))
        #expect(DistributionRules.isOverdue(stage: .filed, incomeReceived: received, today: CivilDate("2026-04-16")!))
        #expect(!DistributionRules.isOverdue(stage: .carriedOut, incomeReceived: received, today: CivilDate("2026-12-31")!))
    }

    /// 004 §31: 村两委研究 → 村民代表大会审议通过 → 公示无异议 → 乡镇审核同意 → 报县备案 → 落实, one step at a time.
    @Test func stepsGoInOrder() {
        let day = CivilDate("2026-03-01")!
        #expect(DistributionRules.refusal(from: .assemblyPassed, to: .published, on: day, previousStepDate: day, assembly: nil) == nil)
        let skipped = DistributionRules.refusal(from: .draft, to: .published, on: day, previousStepDate: nil, assembly: nil)
        #expect(skipped?.code == .failedPrecondition)
        #expect(skipped?.message.contains("the next step is assembly_passed") == true)
        #expect(DistributionRules.refusal(from: .filed, to: .published, on: day, previousStepDate: nil, assembly: nil)?.message
            .contains("cannot go back") == true)
        let early = DistributionRules.refusal(from: .published, to: .townshipApproved, on: day, previousStepDate: CivilDate("2026-03-02")!, assembly: nil)
        #expect(early?.violations.map(\.field) == ["date"])
    }

    /// 002 (Rizhao): 村民代表大会(其中贫困户代表占1/3).
    @Test(arguments: [
        (AssemblyRecord(date: CivilDate("2026-03-01")!, representativesPresent: 30, poorHouseholdRepresentatives: 10, representativesTotal: 40), [String]()),
        (AssemblyRecord(date: CivilDate("2026-03-01")!, representativesPresent: 30, poorHouseholdRepresentatives: 9, representativesTotal: 40),
         ["assembly.poor_household_representatives"]),
        (AssemblyRecord(date: CivilDate("2026-03-01")!, representativesPresent: 20, poorHouseholdRepresentatives: 10, representativesTotal: 40),
         ["assembly.representatives_present"]),
        (AssemblyRecord(date: CivilDate("2026-02-28")!, representativesPresent: 50, poorHouseholdRepresentatives: 60, representativesTotal: 40),
         ["assembly.representatives_present", "assembly.poor_household_representatives", "assembly.date"]),
    ])
    func theAssemblysRecordShowsAValidDecision(_ assembly: AssemblyRecord, _ badFields: [String]) {
        let refusal = DistributionRules.refusal(from: .draft, to: .assemblyPassed, on: CivilDate("2026-03-01")!, previousStepDate: nil, assembly: assembly)
        #expect((refusal?.violations.map(\.field) ?? []) == badFields)
    }

    @Test func theThirdRuleFollowsThePolicy() {
        var policy = DistributionPolicy()
        policy.poorRepresentativesThird = false
        let assembly = AssemblyRecord(date: CivilDate("2026-03-01")!, representativesPresent: 30, poorHouseholdRepresentatives: 0, representativesTotal: 40)
        #expect(DistributionRules.refusal(from: .draft, to: .assemblyPassed, on: assembly.date, previousStepDate: nil, assembly: assembly, policy: policy) == nil)
        #expect(DistributionRules.refusal(from: .draft, to: .assemblyPassed, on: assembly.date, previousStepDate: nil, assembly: nil)?.violations.map(\.field) == ["assembly"])
    }

    /// Amounts come from requests: huge ones are refused, never trapped on.
    @Test func hugeAmounts_areViolations_notOverflows() {
        let huge = Int64.max / 2
        let allocations = [Allocation(purpose: .noLabourHouseholds, amountFen: huge, households: [HouseholdShare(name: "王五", amountFen: huge)]),
                           Allocation(purpose: .reserve, amountFen: huge)]
        let violations = DistributionRules.validate(allocations: allocations, incomeFen: 1)
        #expect(violations.map(\.field).contains("allocations[1].amount_fen"))
        #expect(violations.map(\.field).contains("allocations[0].households[0].amount_fen"))
        // A reserve of 10^15 against an income of 10^15: the 128-bit comparison holds.
        let fine = [Allocation(purpose: .noLabourHouseholds, amountFen: 1, households: [HouseholdShare(name: "王五", amountFen: 1)]),
                    Allocation(purpose: .reserve, amountFen: DistributionRules.amountMaxFen - 1)]
        #expect(DistributionRules.validate(allocations: fine, incomeFen: DistributionRules.amountMaxFen).isEmpty)
    }
}
