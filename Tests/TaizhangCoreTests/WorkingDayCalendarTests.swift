// Working days against the official calendars shipped in data/holidays-cn
// (hand-worked expected values; 004 §15, §19).

import Foundation
import Testing
@testable import TaizhangCore

struct WorkingDayCalendarTests {
    static let calendar: WorkingDayCalendar = {
        // The test bundle runs from the package root or below it: find data/.
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/holidays-cn").path) {
            directory.deleteLastPathComponent()
        }
        let folder = directory.appendingPathComponent("data/holidays-cn")
        let years = (2016...2026).map { year in
            try! HolidayYear(holidayCNJSON: String(contentsOf: folder.appendingPathComponent("\(year).json"), encoding: .utf8))
        }
        return WorkingDayCalendar(years: years)
    }()

    @Test func shippedCalendars_cover2016Through2026() {
        #expect(Self.calendar.knownYears == Array(2016...2026))
    }

    @Test(arguments: [("1970-01-01", 4), ("2024-02-18", 7), ("2026-11-22", 7), ("2000-02-29", 2)])
    func weekday_isISO(date: String, weekday: Int) {
        #expect(CivilDate(date)!.weekday == weekday)
    }

    @Test func springFestival2024_andItsAdjustedSunday() {
        // Wed 7 Feb: Thu 8 (1), Fri 9 (2), 10–17 off, Sun 18 worked (3), Mon 19 … Thu 22 (7).
        let result = Self.calendar.adding(workingDays: 7, to: CivilDate("2024-02-07")!)
        #expect(result.date == CivilDate("2024-02-22"))
        #expect(!result.provisional)
        #expect(Self.calendar.isWorkingDay(CivilDate("2024-02-18")!).working)
        #expect(!Self.calendar.isWorkingDay(CivilDate("2024-02-12")!).working)
    }

    @Test func deadlinePastTheLastKnownYear_countsWeekendsOnlyAndIsProvisional() {
        // Fri 25 Dec 2026: Mon 28 … Thu 31 (4), Fri 1 Jan 2027 (5), not yet announced.
        let result = Self.calendar.adding(workingDays: 5, to: CivilDate("2026-12-25")!)
        #expect(result.date == CivilDate("2027-01-01"))
        #expect(result.provisional)
    }

    @Test func dateArithmetic_roundTripsAcrossLeapYears() {
        let start = CivilDate("2019-12-31")!
        #expect(start.adding(days: 60) == CivilDate("2020-02-29"))
        #expect(CivilDate("2020-02-29")!.adding(days: -60) == start)
        #expect(CivilDate("1970-01-01")!.daysSinceEpoch == 0)
    }

    @Test func noticeReachingIntoThePreviousYear_isHonoured() {
        // The 2019 notice moved New Year's Day: Sat 29 Dec 2018 worked, Mon 31 Dec off.
        #expect(Self.calendar.isWorkingDay(CivilDate("2018-12-29")!).working)
        #expect(!Self.calendar.isWorkingDay(CivilDate("2018-12-31")!).working)
    }

    @Test func malformedHolidayFile_isRefusedWithItsPlace() {
        #expect(throws: RecordJSONError.self) {
            try HolidayYear(holidayCNJSON: #"{"year": 2027, "days": [{"date": "2025-12-31", "isOffDay": true}]}"#)
        }
        #expect(throws: RecordJSONError.self) {
            try HolidayYear(holidayCNJSON: #"{"year": 2027, "days": [{"date": "2027-01-01"}]}"#)
        }
    }
}

struct BuiltInCalendarTests {
    @Test func builtIn_matchesTheDataFiles() {
        let files = WorkingDayCalendarTests.calendar
        let builtIn = WorkingDayCalendar.builtIn()
        #expect(builtIn.knownYears == files.knownYears)
        var day = CivilDate("2016-01-01")!
        while day.year <= 2026 {
            #expect(builtIn.isWorkingDay(day) == files.isWorkingDay(day), "\(day)")
            day = day.adding(days: 1)
        }
    }

    @Test func anOverrideYear_replacesTheBuiltInOne() {
        let override = HolidayYear(year: 2024, exceptions: [CivilDate("2024-03-04")!: true])
        let calendar = WorkingDayCalendar.builtIn(overriddenBy: [override])
        #expect(!calendar.isWorkingDay(CivilDate("2024-03-04")!).working)
        // The built-in 2024 Spring Festival is gone with the replaced year.
        #expect(calendar.isWorkingDay(CivilDate("2024-02-12")!).working)
    }

    @Test func missingNextYear_warnsInNovember() {
        let calendar = WorkingDayCalendar.builtIn()
        #expect(calendar.missingCalendarWarning(today: CivilDate("2026-10-31")!) == nil)
        #expect(calendar.missingCalendarWarning(today: CivilDate("2026-11-22")!)?.contains("2027") == true)
        #expect(calendar.missingCalendarWarning(today: CivilDate("2027-03-01")!)?.contains("provisional") == true)
    }
}
