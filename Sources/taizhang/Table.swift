// Plain-text tables that line up with Chinese text (wide characters count
// as two columns), and the columns a command shows of its records.

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

/// One column of a table of `Record`s: its heading in Chinese and English,
/// whether it lines up on the right (numbers, money), and its cell.
struct Column<Record>: Sendable {
    let zh: String
    let en: String
    let rightAligned: Bool
    /// The cell of a record, in the table's language.
    let cell: @Sendable (Record, Language) -> String

    /// A column whose cell may depend on the language.
    init(_ zh: String, _ en: String, rightAligned: Bool = false, localized cell: @escaping @Sendable (Record, Language) -> String) {
        self.zh = zh
        self.en = en
        self.rightAligned = rightAligned
        self.cell = cell
    }

    /// Text that reads the same in either language.
    init(_ zh: String, _ en: String, rightAligned: Bool = false, _ text: @escaping @Sendable (Record) -> String) {
        self.init(zh, en, rightAligned: rightAligned, localized: { record, _ in text(record) })
    }

    /// A label in the table's language, e.g. a category or a stage.
    static func label(_ zh: String, _ en: String, _ text: @escaping @Sendable (Record, Language) -> String) -> Column {
        Column(zh, en, localized: text)
    }

    /// Money in fen, as yuan on the right.
    static func money(_ zh: String, _ en: String, _ fen: @escaping @Sendable (Record) -> Int64) -> Column {
        Column(zh, en, rightAligned: true) { Format.yuan(fen($0)) }
    }

    /// A count or another integer, on the right.
    static func number<N: BinaryInteger & SendableMetatype>(_ zh: String, _ en: String, _ value: @escaping @Sendable (Record) -> N) -> Column {
        Column(zh, en, rightAligned: true) { Format.number(value($0)) }
    }
}

extension Table {
    /// A row for each record under the columns' headings, in `language`.
    init<Record>(_ columns: [Column<Record>], _ records: [Record], _ language: Language) {
        self.init(header: columns.map { language == .zh ? $0.zh : $0.en },
                  rows: records.map { record in columns.map { $0.cell(record, language) } },
                  rightAligned: Set(columns.indices.filter { columns[$0].rightAligned }))
    }
}
