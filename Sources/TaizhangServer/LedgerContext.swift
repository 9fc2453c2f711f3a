// What the ledger's methods need besides the store: the county's
// depreciation policy, its working-day calendar, and today's date.

import Synchronization
import TaizhangCore

/// The ledger service's policies and clock. The calendar can be replaced
/// while the daemon runs (a reload re-reads the holiday files).
final class LedgerContext: Sendable {
    let policy: DepreciationPolicy
    private let calendarBox: Mutex<WorkingDayCalendar>
    let clock: any WallClock

    init(policy: DepreciationPolicy, calendar: WorkingDayCalendar, clock: any WallClock) {
        self.policy = policy
        self.calendarBox = Mutex(calendar)
        self.clock = clock
    }

    /// The working-day calendar now.
    var calendar: WorkingDayCalendar {
        get { calendarBox.withLock { $0 } }
        set { calendarBox.withLock { $0 = newValue } }
    }

    /// Today in China Standard Time.
    var today: CivilDate { Timestamp.chinaDate(unixMillis: clock.nowUnixMillis()) }
}
