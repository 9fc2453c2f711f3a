// How the CLI writes values for people: money, dates, shares, counts and
// empty cells, in one place.

import Foundation
import TaizhangCore
import TaizhangSheets

enum Format {
    /// Money in fen as yuan with two decimals, thousands grouped: 123456 → "1,234.56".
    static func yuan(_ fen: Int64) -> String {
        let negative = fen < 0
        let magnitude = fen.magnitude
        let whole = String(magnitude / 100)
        let cents = magnitude % 100
        var grouped = ""
        for (index, character) in whole.reversed().enumerated() {
            if index > 0, index % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (negative ? "-" : "") + String(grouped.reversed()) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// A day: (2026, 3, 5) → "2026-03-05".
    static func date<N: BinaryInteger>(year: N, month: N, day: N) -> String {
        "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// A month: (2026, 3) → "2026-03".
    static func month<N: BinaryInteger>(year: N, month: N) -> String {
        "\(padded(year, 4))-\(padded(month, 2))"
    }

    /// A Unix time in UTC, ISO 8601: "2026-03-05T08:00:00Z".
    static func timestamp(unixSeconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }

    /// Basis points as a percentage: 6667 → "66.67%".
    static func percent(_ basisPoints: UInt32) -> String {
        Money.percent(basisPoints)
    }

    /// A count or another integer: 1234 → "1234".
    static func number<N: BinaryInteger>(_ value: N) -> String {
        String(value)
    }

    /// The text, or "-" for nothing.
    static func orDash(_ text: String) -> String {
        text.isEmpty ? "-" : text
    }

    /// Yes or no: "是"/"否", "yes"/"no".
    static func yesNo(_ value: Bool, _ language: Language) -> String {
        switch language {
        case .zh: return value ? "是" : "否"
        case .en: return value ? "yes" : "no"
        }
    }

    /// Bytes as lowercase hex: [0x0f, 0xa0] → "0fa0".
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        hexString(bytes)
    }

    /// `value` in decimal, zero-padded to `width` characters (a sign counts): as printf's "%0*d".
    private static func padded<N: BinaryInteger>(_ value: N, _ width: Int) -> String {
        let sign = value < 0 ? "-" : ""
        let digits = String(value.magnitude)
        return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
    }
}
