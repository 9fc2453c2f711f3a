// Working days in China: Monday–Friday work and weekends off, except the
// public holidays and the adjusted working weekends (调休) that the State
// Council announces each November for the next year. Deadlines of the
// measures count working days (004 §15: publication at least 7 working days;
// handover within 30 working days; 004 §19: handover publication 10).

/// One year's announced exceptions to the weekly pattern.
public struct HolidayYear: Sendable, Hashable {
    public let year: Int
    /// true: a day off (holiday); false: a weekend day that is worked (调休).
    /// A notice may reach into the neighbouring years (the 2019 notice sets
    /// 2018-12-29 to 31 for New Year's Day).
    public let exceptions: [CivilDate: Bool]

    /// A year of exceptions, dated in `year` or the years beside it.
    public init(year: Int, exceptions: [CivilDate: Bool]) {
        self.year = year
        self.exceptions = exceptions
    }

    /// Reads one file of the holiday-cn data set (data/holidays-cn/YYYY.json):
    /// `{"year": 2024, "days": [{"date": "2024-02-10", "isOffDay": true, …}]}`.
    public init(holidayCNJSON text: String) throws {
        let json = try JSONParser.parse(text)
        guard let yearValue = json["year"]?.int64, let year = Int(exactly: yearValue), (1900...9999).contains(year) else {
            throw RecordJSONError(description: "holiday file: \"year\" is missing or not a year")
        }
        var exceptions: [CivilDate: Bool] = [:]
        for (index, day) in (json["days"]?.array ?? []).enumerated() {
            guard let text = day["date"]?.string, let date = CivilDate(text), abs(date.year - year) <= 1,
                  case .bool(let off)? = day["isOffDay"] else {
                throw RecordJSONError(description: "holiday file \(year): days[\(index)] needs a date in or next to \(year) and isOffDay true or false")
            }
            exceptions[date] = off
        }
        self.init(year: year, exceptions: exceptions)
    }
}

/// A working-day calendar over the years it was given.
public struct WorkingDayCalendar: Sendable {
    private let known: Set<Int>
    private let exceptions: [CivilDate: Bool]

    /// A calendar knowing `years`; other years count weekends only.
    /// Where two notices name the same day, the later year's notice wins.
    public init(years: [HolidayYear]) {
        known = Set(years.map(\.year))
        var merged: [CivilDate: Bool] = [:]
        for year in years.sorted(by: { $0.year < $1.year }) {
            merged.merge(year.exceptions) { _, later in later }
        }
        exceptions = merged
    }

    /// The years with an official calendar.
    public var knownYears: [Int] { known.sorted() }

    /// Whether `date` is a working day, and whether that is only provisional
    /// (its year's calendar is not loaded, so only weekends were counted).
    public func isWorkingDay(_ date: CivilDate) -> (working: Bool, provisional: Bool) {
        if let off = exceptions[date] { return (!off, false) }
        return (!date.isWeekend, !known.contains(date.year))
    }

    /// The day on which the `count`th working day after `start` falls (start
    /// itself not counted), and whether any day counted was provisional.
    public func adding(workingDays count: Int, to start: CivilDate) -> (date: CivilDate, provisional: Bool) {
        var date = start
        var remaining = max(0, count)
        var provisional = false
        while remaining > 0 {
            // Past the last representable day there is nothing to count.
            guard date < CivilDate.last else { return (CivilDate.last, true) }
            date = date.adding(days: 1)
            let day = isWorkingDay(date)
            provisional = provisional || day.provisional
            if day.working { remaining -= 1 }
        }
        return (date, provisional)
    }
}

extension CivilDate {
    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days-from-civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` later (earlier when negative), held within the
    /// representable years 1900–9999 (it never traps).
    public func adding(days: Int) -> CivilDate {
        let target = min(max(daysSinceEpoch &+ max(min(days, 10_000_000), -10_000_000), CivilDate.first.daysSinceEpoch), CivilDate.last.daysSinceEpoch)
        let (y, m, d) = Timestamp.civil(fromDays: target)
        return CivilDate(year: y, month: m, day: d) ?? (days < 0 ? CivilDate.first : CivilDate.last)
    }

    /// The first and last representable days.
    public static let first = CivilDate(year: 1900, month: 1, day: 1)!
    public static let last = CivilDate(year: 9999, month: 12, day: 31)!

    /// ISO weekday: 1 Monday … 7 Sunday.
    public var weekday: Int {
        let days = daysSinceEpoch
        // 1970-01-01 was a Thursday (4).
        return ((days % 7 + 7) % 7 + 3) % 7 + 1
    }

    /// Saturday or Sunday.
    public var isWeekend: Bool { weekday >= 6 }
}

extension WorkingDayCalendar {
    /// The official calendars 2016–2026 this build carries (data/holidays-cn).
    public static let builtInHolidayYears: [HolidayYear] = builtInYears.map { entry in
        var exceptions: [CivilDate: Bool] = [:]
        for item in entry.days.split(separator: ",") {
            let text = Array(item.utf8)
            func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(text[$1] - 48) } }
            guard text.count == 9, let date = CivilDate(year: number(0..<4), month: number(4..<6), day: number(6..<8)) else { continue }
            exceptions[date] = text[8] == UInt8(ascii: "o")
        }
        return HolidayYear(year: entry.year, exceptions: exceptions)
    }

    /// A calendar of the built-in years, replaced year by year by `overrides`
    /// (the files a county loads).
    public static func builtIn(overriddenBy overrides: [HolidayYear] = []) -> WorkingDayCalendar {
        let replaced = Set(overrides.map(\.year))
        return WorkingDayCalendar(years: builtInHolidayYears.filter { !replaced.contains($0.year) } + overrides)
    }

    /// A warning for the operator when the next year's calendar is missing
    /// and the State Council's notice (published each November) should be
    /// out; or when even this year's is missing. Nil when all is well.
    public func missingCalendarWarning(today: CivilDate) -> String? {
        if !known.contains(today.year) {
            return "the holiday calendar for \(today.year) is not loaded: working-day deadlines count weekends only and are marked provisional; load \(today.year).json into the holidays directory"
        }
        if today.month >= 11, !known.contains(today.year + 1) {
            return "the holiday calendar for \(today.year + 1) is not loaded: deadlines reaching into \(today.year + 1) are provisional; load \(today.year + 1).json once the State Council publishes its notice (each November)"
        }
        return nil
    }
}
