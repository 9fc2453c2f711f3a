// Plain-text tables that line up with Chinese text (wide characters count
// as two columns).

/// A table of rows under a header.
struct Table {
    var header: [String]
    var rows: [[String]] = []
    /// Columns aligned to the right (numbers, money).
    var rightAligned: Set<Int> = []

    func render() -> String {
        var widths = header.map(Table.width)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], Table.width(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(0, widths[index] - Table.width(cell)))
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }

    /// Display width: East Asian wide and full-width characters take two columns.
    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { total, scalar in
            let value = scalar.value
            let wide = (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value)
                || (0xAC00...0xD7A3).contains(value) || (0xF900...0xFAFF).contains(value)
                || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
                || (0xFFE0...0xFFE6).contains(value) || (0x20000...0x3FFFD).contains(value)
            return total + (wide ? 2 : 1)
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

/// Money in fen as yuan with two decimals: 123456 → "1,234.56".
func yuan(_ fen: Int64) -> String {
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
