// CSV as spreadsheets write it (RFC 4180): fields separated by commas,
// quoted when they hold a comma, a quote or a line break, quotes doubled;
// lines ended by CRLF or LF; an optional UTF-8 byte-order mark (Excel's
// "CSV UTF-8" writes one, and needs one to read Chinese correctly).

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
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw CSVError(line: 1, message: "the file is not UTF-8 text; in Excel or WPS save it as \"CSV UTF-8 (逗号分隔)\"")
        }
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var quoted = false
        var afterQuote = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        func endRecord() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(CSVRecord(line: recordLine, fields: fields))
            }
            fields = []
        }
        while let scalar = pending {
            pending = iterator.next()
            if quoted {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(field)
                field = ""
                afterQuote = false
            case "\r":
                if pending == "\n" { continue }
                fallthrough
            case "\n":
                endRecord()
                line += 1
                recordLine = line
                afterQuote = false
            case "\"" where field.isEmpty && !afterQuote:
                quoted = true
            default:
                if afterQuote {
                    throw CSVError(line: line, message: "text follows a closing quote; a quote inside a quoted field is written twice (\"\")")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        if quoted { throw CSVError(line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
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

