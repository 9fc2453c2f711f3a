// Straight-line depreciation by month, no salvage value (004 §17, 000 (十一)1),
// exact in fen. Groundwork for the life-cycle issue: the schedule function;
// the policy table of minimum lives per asset class comes with it.
//
// Rounding: each month of a stretch charges floor(remaining / months left);
// the final month of the useful life also takes what floor left over, so
// the charges add up exactly to the value. When the value changes (a
// provisional value 暂估 replaced by final accounts), depreciation already
// charged stands and only the rest of the schedule changes (004 §17):
// from that month on, (new value − accumulated) is spread over the months left.

/// When depreciation starts.
public enum DepreciationStart: String, Sendable, CaseIterable {
    /// Government Accounting Standard No. 3: from the month the asset is added.
    case monthAcquired = "month_acquired"
    /// Common enterprise and collective practice: from the following month.
    case monthAfter = "month_after"
}

/// A value in effect from a date on: the first is the value at acquisition.
public struct ValueChange: Sendable, Hashable {
    public var effective: CivilDate
    public var valueFen: Int64

    /// A value change.
    public init(effective: CivilDate, valueFen: Int64) {
        self.effective = effective
        self.valueFen = valueFen
    }
}

/// One month's charge.
public struct MonthlyCharge: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var chargeFen: Int64
    /// Depreciation charged up to and including this month.
    public var accumulatedFen: Int64
    /// The value in effect less `accumulatedFen`.
    public var netValueFen: Int64
}

/// The depreciation rules.
public enum Depreciation {
    /// The monthly schedule over the whole useful life.
    /// - Parameters:
    ///   - acquired: when the asset was added.
    ///   - usefulLifeYears: 0 means not depreciated (an empty schedule).
    ///   - values: the value at acquisition, then any later changes (in date order).
    public static func schedule(acquired: CivilDate, usefulLifeYears: Int, values: [ValueChange],
                                start: DepreciationStart = .monthAcquired) -> [MonthlyCharge] {
        let months = max(0, usefulLifeYears) * 12
        guard months > 0, let first = values.first else { return [] }
        let firstMonth = monthIndex(acquired) + (start == .monthAfter ? 1 : 0)
        let changes = values.dropFirst().map { (month: max(monthIndex($0.effective), firstMonth), value: $0.valueFen) }
        var value = first.valueFen
        var accumulated: Int64 = 0
        var remaining = max(0, value)
        var stretchMonths = months
        var perMonth = remaining / Int64(stretchMonths)
        var charges: [MonthlyCharge] = []
        charges.reserveCapacity(months)
        var nextChange = 0
        for offset in 0..<months {
            let month = firstMonth + offset
            var changed = false
            while nextChange < changes.count, changes[nextChange].month <= month {
                value = changes[nextChange].value
                nextChange += 1
                changed = true
            }
            if changed {
                remaining = max(0, value - accumulated)
                stretchMonths = months - offset
                perMonth = remaining / Int64(stretchMonths)
            }
            let isLast = offset == months - 1
            let charge = isLast ? max(0, value - accumulated) : min(perMonth, max(0, value - accumulated))
            accumulated += charge
            charges.append(MonthlyCharge(year: month / 12, month: month % 12 + 1, chargeFen: charge,
                                         accumulatedFen: accumulated, netValueFen: value - accumulated))
        }
        return charges
    }

    /// Accumulated depreciation and net value as of `date` (charges of every
    /// month up to and including the month of `date`).
    public static func asOf(_ date: CivilDate, schedule: [MonthlyCharge], valueFen: Int64) -> (accumulatedFen: Int64, netValueFen: Int64) {
        let target = monthIndex(date)
        guard let last = schedule.last(where: { $0.year * 12 + $0.month - 1 <= target }) else {
            return (0, valueFen)
        }
        return (last.accumulatedFen, last.netValueFen)
    }

    static func monthIndex(_ date: CivilDate) -> Int {
        date.year * 12 + date.month - 1
    }
}
