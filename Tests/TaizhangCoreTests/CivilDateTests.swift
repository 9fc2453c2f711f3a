// Civil dates and timestamps.

import Testing
@testable import TaizhangCore

struct CivilDateTests {
    @Test(arguments: ["2019-06-30", "2020-02-29", "2016-01-01", "9999-12-31"])
    func parse_acceptsRealDays(text: String) {
        #expect(CivilDate(text)?.description == text)
    }

    @Test(arguments: ["2019-02-29", "2019-13-01", "2019-00-10", "2019-6-30", "2019/06/30", "20190630", "", "2019-06-31", "abcd-ef-gh", "1899-12-31"])
    func parse_rejectsNonDays(text: String) {
        #expect(CivilDate(text) == nil)
    }

    @Test func ordering_followsTheCalendar() {
        #expect(CivilDate("2019-12-31")! < CivilDate("2020-01-01")!)
        #expect(CivilDate("2020-02-01")! > CivilDate("2020-01-31")!)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_763_778_896_123), "2025-11-22T02:34:56.123Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
    ])
    func rfc3339_formatsUTC(millis: Int64, expected: String) {
        #expect(Timestamp.rfc3339(unixMillis: millis) == expected)
    }

    @Test func chinaDate_isUTCPlusEight() {
        // 2026-11-21T16:00:00Z is midnight of the 22nd in Beijing.
        #expect(Timestamp.chinaDate(unixMillis: 1_795_276_800_000).description == "2026-11-22")
        #expect(Timestamp.chinaDate(unixMillis: 1_795_276_799_999).description == "2026-11-21")
    }
}
