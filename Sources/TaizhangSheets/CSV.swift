// CSV as spreadsheets write it (RFC 4180): fields separated by commas,
// quoted when they hold a comma, a quote or a line break, quotes doubled;
// lines ended by CRLF or LF; an optional UTF-8 byte-order mark (Excel's
// "CSV UTF-8" writes one, and needs one to read Chinese correctly).

import Foundation

/// One record and the line of the file it starts on (1-based).
public struct CSVRecord: Sendable, Hashable {
    public var line: Int
    public var fields: [String]
}

/// What is wrong with a CSV file.
public struct CSVError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Reading and writing CSV.
public enum CSV {
    /// Splits `bytes` into records. Blank lines are skipped.
    /// - Throws: `CSVError` for text that is not UTF-8 or an unterminated quote.
    public static func parse(_ bytes: [UInt8]) throws -> [CSVRecord] {
        var blocks: [[UInt8]] = [bytes]
        var reader = CSVReader { blocks.popLast() }
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    /// One field, quoted when it must be.
    public static func escape(_ field: String) -> String {
        let needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || field.hasPrefix(" ") || field.hasSuffix(" ")
        guard needsQuotes else { return field }
        // Doubled by scalar: a quote must not hide inside a grapheme cluster.
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in field.unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append("\"") }
        }
        out.append("\"")
        return String(out)
    }

    /// Records as CSV text with CRLF line ends, as spreadsheets expect.
    public static func write(_ records: [[String]]) -> String {
        var out = ""
        for record in records {
            out += record.map(escape).joined(separator: ",")
            out += "\r\n"
        }
        return out
    }
}


/// Reads records one at a time from blocks of bytes (a file read a block at
/// a time, or one array): memory holds one block and one record, however
/// long the file. The separators (comma, quote, CR, LF) are ASCII and never
/// part of a multi-byte UTF-8 character, so the bytes are split first and
/// each field checked as UTF-8 when it ends.
public struct CSVReader {
    private let nextBlock: () throws -> [UInt8]?
    private var block: [UInt8] = []
    private var position = 0
    private var started = false
    private var line = 1

    /// A reader of the blocks `nextBlock` gives, until it gives nil.
    public init(_ nextBlock: @escaping () throws -> [UInt8]?) {
        self.nextBlock = nextBlock
    }

    /// A reader of the file at `path`, 1 MiB at a time; nil when it cannot be opened.
    public init?(path: String, blockBytes: Int = 1 << 20) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        // Once at the end, the end for good (the handle is closed then).
        var ended = false
        self.init {
            if ended { return nil }
            guard let data = try handle.read(upToCount: blockBytes), !data.isEmpty else {
                ended = true
                try? handle.close()
                return nil
            }
            return Array(data)
        }
    }

    private mutating func peek() throws -> UInt8? {
        if !started {
            // The byte-order mark, however the first blocks are cut.
            started = true
            while block.count < 3, let more = try nextBlock() { block += more }
            if block.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }
        while position == block.count {
            guard let next = try nextBlock() else { return nil }
            block = next
            position = 0
        }
        return block[position]
    }

    private mutating func take() throws -> UInt8? {
        guard let byte = try peek() else { return nil }
        position += 1
        return byte
    }

    private func text(_ bytes: [UInt8], line: Int) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CSVError(line: line, message: "the file is not UTF-8 text; in Excel or WPS save it as \"CSV UTF-8 (逗号分隔)\"")
        }
        return text
    }

    /// The next record (blank lines are skipped), or nil at the end.
    /// - Throws: `CSVError` for text that is not UTF-8 or an unterminated quote.
    public mutating func next() throws -> CSVRecord? {
        var fields: [String] = []
        var field: [UInt8] = []
        var recordLine = line
        var quoted = false
        var afterQuote = false
        while let byte = try take() {
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if try peek() == UInt8(ascii: "\"") {
                        field.append(byte)
                        position += 1
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                fields.append(try text(field, line: recordLine))
                field = []
                afterQuote = false
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                if byte == UInt8(ascii: "\r"), try peek() == UInt8(ascii: "\n") { continue }
                line += 1
                fields.append(try text(field, line: recordLine))
                if fields.count == 1 && fields[0].isEmpty {
                    // A blank line.
                    fields = []
                    field = []
                    afterQuote = false
                    recordLine = line
                    continue
                }
                return CSVRecord(line: recordLine, fields: fields)
            case UInt8(ascii: "\"") where field.isEmpty && !afterQuote:
                quoted = true
            default:
                if afterQuote {
                    throw CSVError(line: line, message: "text follows a closing quote; a quote inside a quoted field is written twice (\"\")")
                }
                field.append(byte)
            }
        }
        if quoted { throw CSVError(line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || afterQuote {
            fields.append(try text(field, line: recordLine))
            if !(fields.count == 1 && fields[0].isEmpty) { return CSVRecord(line: recordLine, fields: fields) }
        }
        return nil
    }
}
