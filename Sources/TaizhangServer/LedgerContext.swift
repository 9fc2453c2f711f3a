// What the ledger's methods need besides the store: the county's
// depreciation policy, its working-day calendar, and today's date.

import Synchronization
import TaizhangCore

/// The ledger service's policies and clock.
final class LedgerContext: Sendable {
    let policy: DepreciationPolicy
    let calendar: WorkingDayCalendar
    let clock: any WallClock

    init(policy: DepreciationPolicy, calendar: WorkingDayCalendar, clock: any WallClock) {
        self.policy = policy
        self.calendar = calendar
        self.clock = clock
    }

    /// Today in China Standard Time.
    var today: CivilDate { Timestamp.chinaDate(unixMillis: clock.nowUnixMillis()) }
}
