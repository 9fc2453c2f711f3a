// Wall-clock time as the ledger records it, behind an injectable clock.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of the current time, injected into everything that reads it
/// so tests can set it. `SystemWallClock` is the one place that asks the
/// system.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowUnixMillis() -> Int64
    /// Nanoseconds on a clock that never goes back (durations, deadlines,
    /// idle times); its epoch is arbitrary.
    func monotonicNanos() -> UInt64
}

extension WallClock {
    /// Whole seconds since the Unix epoch.
    public func nowUnixSeconds() -> Int64 { nowUnixMillis() / 1000 }
    /// Today's civil date in China Standard Time.
    public func today() -> CivilDate { Timestamp.chinaDate(unixMillis: nowUnixMillis()) }
}

/// The system's clocks: CLOCK_REALTIME and CLOCK_MONOTONIC.
public struct SystemWallClock: WallClock {
    /// Added to the wall clock (testing only: a daemon living days ahead).
    let offsetMillis: Int64

    /// The system clock, `offsetMillis` ahead (0 but in tests).
    public init(offsetMillis: Int64 = 0) {
        self.offsetMillis = offsetMillis
    }

    public func nowUnixMillis() -> Int64 {
        let spec = Self.read(CLOCK_REALTIME)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000 + offsetMillis
    }

    public func monotonicNanos() -> UInt64 {
        let spec = Self.read(CLOCK_MONOTONIC)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    private static func read(_ id: clockid_t) -> timespec {
        var spec = timespec()
        clock_gettime(id, &spec)
        return spec
    }
}

/// RFC 3339 formatting without Foundation's formatters (they are slow and
/// locale-sensitive).
public enum Timestamp {
    /// "2026-11-22T02:36:53.123Z" for the given Unix milliseconds.
    public static func rfc3339(unixMillis: Int64) -> String {
        let millis = Int(((unixMillis % 1000) + 1000) % 1000)
        let seconds = (unixMillis - Int64(millis)) / 1000
        var days = Int(seconds / 86_400)
        var rest = Int(seconds % 86_400)
        if rest < 0 { rest += 86_400; days -= 1 }
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2)).\(pad(millis, 3))Z"
    }

    /// The civil date in China Standard Time of an RFC 3339 time in UTC
    /// ("2026-11-22T17:36:53.123Z" is 2026-11-23); nil when it is not one.
    public static func chinaDate(rfc3339 text: String) -> CivilDate? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T"), bytes.last == UInt8(ascii: "Z"),
              let day = CivilDate(String(decoding: bytes[0..<10], as: UTF8.self)),
              let hour = Int(String(decoding: bytes[11..<13], as: UTF8.self)), (0...23).contains(hour) else { return nil }
        return hour + 8 >= 24 ? day.adding(days: 1) : day
    }

    /// The civil date of `unixMillis` in China Standard Time (UTC+8, no DST).
    public static func chinaDate(unixMillis: Int64) -> CivilDate {
        let local = unixMillis + 8 * 3_600_000
        var days = Int(local / 86_400_000)
        if local < 0, local % 86_400_000 != 0 { days -= 1 }
        let (year, month, day) = civil(fromDays: days)
        return CivilDate(year: year, month: month, day: day)!
    }

    /// Howard Hinnant's days-to-civil algorithm.
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
