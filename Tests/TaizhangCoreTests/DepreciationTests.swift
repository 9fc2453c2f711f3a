// Depreciation schedules with hand-worked values (004 §17).

import Testing
@testable import TaizhangCore

struct DepreciationTests {
    static func date(_ text: String) -> CivilDate { CivilDate(text)! }

    @Test func evenValue_chargesTheSameEachMonth_fromTheMonthAcquired() {
        // 12,000.00 yuan over 1 year from March 2024: 1,000.00 a month, March 2024 – February 2025.
        let schedule = Depreciation.schedule(acquired: Self.date("2024-03-15"), usefulLifeYears: 1,
                                             values: [ValueChange(effective: Self.date("2024-03-15"), valueFen: 1_200_000)])
        #expect(schedule.count == 12)
        #expect(schedule.allSatisfy { $0.chargeFen == 100_000 })
        #expect((schedule.first!.year, schedule.first!.month) == (2024, 3))
        #expect((schedule.last!.year, schedule.last!.month) == (2025, 2))
        let asOf = Depreciation.asOf(Self.date("2024-08-31"), schedule: schedule, valueFen: 1_200_000)
        #expect(asOf.accumulatedFen == 600_000)
        #expect(asOf.netValueFen == 600_000)
        #expect(Depreciation.asOf(Self.date("2024-02-29"), schedule: schedule, valueFen: 1_200_000).accumulatedFen == 0)
    }

    @Test func remainder_landsInTheFinalMonth() {
        // 1,000.00 yuan over 12 months: 83.33 × 11 = 916.63, the last month 83.37.
        let schedule = Depreciation.schedule(acquired: Self.date("2024-01-10"), usefulLifeYears: 1,
                                             values: [ValueChange(effective: Self.date("2024-01-10"), valueFen: 100_000)])
        #expect(schedule.dropLast().allSatisfy { $0.chargeFen == 8_333 })
        #expect(schedule.last!.chargeFen == 8_337)
        #expect(schedule.last!.accumulatedFen == 100_000)
        #expect(schedule.last!.netValueFen == 0)
    }

    @Test func monthAfterConvention_startsTheFollowingMonth() {
        let schedule = Depreciation.schedule(acquired: Self.date("2024-12-20"), usefulLifeYears: 1,
                                             values: [ValueChange(effective: Self.date("2024-12-20"), valueFen: 1_200_000)],
                                             start: .monthAfter)
        #expect((schedule.first!.year, schedule.first!.month) == (2025, 1))
        #expect((schedule.last!.year, schedule.last!.month) == (2025, 12))
    }

    @Test func provisionalValueReplacedMidLife_keepsThePastAndRespreadsTheRest() {
        // Provisional 12,000.00 from January 2024 over 1 year: 1,000.00 a month.
        // Final accounts in July: 18,000.00. Charged Jan–Jun: 6,000.00 (stands).
        // Remaining 12,000.00 over Jul–Dec: 2,000.00 a month.
        let schedule = Depreciation.schedule(acquired: Self.date("2024-01-05"), usefulLifeYears: 1, values: [
            ValueChange(effective: Self.date("2024-01-05"), valueFen: 1_200_000),
            ValueChange(effective: Self.date("2024-07-01"), valueFen: 1_800_000),
        ])
        #expect(schedule.prefix(6).allSatisfy { $0.chargeFen == 100_000 })
        #expect(schedule.suffix(6).allSatisfy { $0.chargeFen == 200_000 })
        #expect(schedule.last!.accumulatedFen == 1_800_000)
        #expect(schedule[5].netValueFen == 600_000)
        #expect(schedule[6].netValueFen == 1_800_000 - 800_000)
    }

    @Test func valueLoweredBelowWhatWasCharged_stopsFurtherCharges() {
        let schedule = Depreciation.schedule(acquired: Self.date("2024-01-05"), usefulLifeYears: 1, values: [
            ValueChange(effective: Self.date("2024-01-05"), valueFen: 1_200_000),
            ValueChange(effective: Self.date("2024-10-01"), valueFen: 500_000),
        ])
        #expect(schedule.suffix(3).allSatisfy { $0.chargeFen == 0 })
        #expect(schedule.last!.accumulatedFen == 900_000)
    }

    @Test func zeroUsefulLife_meansNotDepreciated() {
        #expect(Depreciation.schedule(acquired: Self.date("2024-01-05"), usefulLifeYears: 0,
                                      values: [ValueChange(effective: Self.date("2024-01-05"), valueFen: 1)]).isEmpty)
    }
}
