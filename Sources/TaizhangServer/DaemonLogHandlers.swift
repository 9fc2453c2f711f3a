// swift-log handlers for the daemon's own lines: journald's native protocol
// with structured fields (under systemd), or one line each on standard error.

import CSystemd
import Foundation
import Logging
import TaizhangCore
import TaizhangJournal
import TaizhangStore

/// journald's native protocol (sd_journal_sendv).
enum Journal {
    /// Sends one entry of `fields` (NAME, value); returns sd_journal_sendv's result.
    @discardableResult
    static func send(_ fields: [(String, String)]) -> Int32 { JournalEntry.send(fields) }

    /// Whether standard error is connected to journald: systemd sets
    /// $JOURNAL_STREAM to its device and inode (systemd.exec(5)).
    static var standardErrorIsJournal: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return stream == "\(status.st_dev):\(status.st_ino)"
    }

    /// A metadata key as a journal field name: "request-id" → "REQUEST_ID".
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        if name.first.map({ !$0.isLetter }) ?? true { name = "TAIZHANG_" + name }
        return String(name.prefix(64))
    }

    /// syslog priorities: debug 7 … critical 2.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}

/// Writes each line to journald with PRIORITY, SYSLOG_IDENTIFIER, the source
/// location and every metadata key as a field (request-id → REQUEST_ID,
/// method → METHOD, code → CODE).
public struct JournaldLogHandler: LogHandler {
    /// Metadata attached to every line of this handler.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written (DaemonLog filters before this).
    public var logLevel: Logger.Level = .trace
    /// Contextual metadata.
    public var metadataProvider: Logger.MetadataProvider?
    private let identifier: String

    /// A handler whose entries carry SYSLOG_IDENTIFIER=`identifier`.
    public init(identifier: String) {
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(Journal.priority(event.level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
        ]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            fields.append((Journal.fieldName(key), "\(value)"))
        }
        if Journal.send(fields) < 0 {
            // The journal is gone: keep the line on stderr rather than lose it.
            StderrLogHandler.write(event, metadata: all)
        }
    }
}

/// Writes each line to standard error: "TIME taizhangd LEVEL: MESSAGE key=value…".
public struct StderrLogHandler: LogHandler {
    /// Metadata attached to every line of this handler.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written (DaemonLog filters before this).
    public var logLevel: Logger.Level = .trace
    /// Contextual metadata.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler.
    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        StderrLogHandler.write(event, metadata: all)
    }

    static func write(_ event: LogEvent, metadata: Logger.Metadata) {
        var line = "\(Timestamp.rfc3339(unixMillis: SystemWallClock().nowUnixMillis())) taizhangd \(event.level.rawValue): \(escaped(event.message.description))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(escaped(key))=\(escaped("\(value)"))" }
        line += "\n"
        // A log that cannot be written (disk full, closed pipe) must not stop the daemon.
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}

/// `text` with control characters written as \n, \t or \u{…}, so a value a
/// client chose (a request-id) cannot start a line of its own.
func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.properties.generalCategory == .control {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// Chooses and installs the daemon's log handler.
public enum DaemonLogging {
    /// Installs the handler for `destination` (auto: journald when standard
    /// error is connected to it) at `level`; returns "journald" or "stderr".
    @discardableResult
    public static func install(_ destination: LogDestination, level: Logger.Level) -> String {
        let journald = destination == .journald || (destination == .auto && Journal.standardErrorIsJournal)
        DaemonLog.level = level
        if journald {
            DaemonLog.install(Logger(label: "taizhangd", factory: { _ in JournaldLogHandler(identifier: "taizhangd") }))
            return "journald"
        }
        DaemonLog.install(Logger(label: "taizhangd", factory: { _ in StderrLogHandler() }))
        return "stderr"
    }
}
