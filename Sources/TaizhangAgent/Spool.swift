// The disk spool of one receiver, and the agent's small state files.
//
// A flush appends one segment file per receiver (JSON lines, one message
// each) and syncs it before the checkpoint moves past the events in it; the
// receiver's deliverer sends the oldest message first and notes each one
// sent in the segment's ".sent" file (not synced: a message sent again after
// a crash is what the idempotency key is for). A segment fully sent is
// deleted. A spool past its size limit drops its oldest segments and says so.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import Synchronization

/// Writes `data` to `path` through a synced temporary file and a rename.
func writeAtomically(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw SpoolError(description: "cannot write \(temporary)")
    }
    try syncFile(temporary)
    guard rename(temporary, path) == 0 else { throw SpoolError(description: "cannot rename \(temporary): errno \(errno)") }
    try syncFile(parentFolder(of: path))
}

/// A non-negative number in decimal, zero-padded to `width` digits.
func zeroPadded(_ number: Int, width: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// The folder a path is in ("." for a bare name, "/" for the root's files).
func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// fsync of a file or folder.
func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw SpoolError(description: "cannot open \(path) to sync: errno \(errno)") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw SpoolError(description: "cannot sync \(path): errno \(errno)") }
}

public struct SpoolError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// One receiver's queue on disk.
public final class Spool: Sendable {
    struct Segment { var name: String; var count: Int; var bytes: Int }
    struct State {
        var segments: [Segment] = []
        var next = 1
        /// The oldest segment's messages, once read, and how many were sent.
        var head: (name: String, messages: [NoticeMessage], sent: Int)?
        var dropped = 0
    }

    public let directory: String
    let maxBytes: Int
    private let state: Mutex<State>

    public init(directory: String, maxBytes: Int) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var state = State()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted()
        for name in names {
            let data = FileManager.default.contents(atPath: directory + "/" + name) ?? Data()
            let count = data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            state.segments.append(Segment(name: name, count: count, bytes: data.count))
            state.next = max(state.next, (Int(name.dropLast(6)) ?? 0) + 1)
        }
        self.state = Mutex(state)
    }

    /// Messages not yet sent.
    public var pending: Int {
        state.withLock { state in
            state.segments.reduce(0) { $0 + $1.count } - (state.head?.sent ?? 0)
        }
    }

    /// Segments dropped because the spool was full, since start.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// Appends `messages` as one synced segment; returns how many older
    /// messages were dropped to stay under the size limit.
    @discardableResult
    public func append(_ messages: [NoticeMessage]) throws -> Int {
        guard !messages.isEmpty else { return 0 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for message in messages {
            data.append(try encoder.encode(message))
            data.append(UInt8(ascii: "\n"))
        }
        return try state.withLock { state in
            let name = zeroPadded(state.next, width: 12) + ".jsonl"
            state.next += 1
            let path = directory + "/" + name
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw SpoolError(description: "cannot write \(path)")
            }
            try syncFile(path)
            try syncFile(directory)
            state.segments.append(Segment(name: name, count: messages.count, bytes: data.count))
            var dropped = 0
            while state.segments.count > 1, state.segments.reduce(0, { $0 + $1.bytes }) > maxBytes {
                let oldest = state.segments.removeFirst()
                dropped += oldest.count - (state.head?.name == oldest.name ? state.head!.sent : 0)
                if state.head?.name == oldest.name { state.head = nil }
                remove(oldest.name)
                state.dropped += 1
            }
            return dropped
        }
    }

    /// The oldest message not yet sent.
    public func next() throws -> NoticeMessage? {
        try state.withLock { state in
            while let first = state.segments.first {
                if state.head?.name != first.name {
                    let data = FileManager.default.contents(atPath: directory + "/" + first.name) ?? Data()
                    let decoder = JSONDecoder()
                    var messages: [NoticeMessage] = []
                    for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                        messages.append(try decoder.decode(NoticeMessage.self, from: Data(line)))
                    }
                    let sentText = (try? String(contentsOfFile: directory + "/" + first.name + ".sent", encoding: .utf8)) ?? "0"
                    state.head = (first.name, messages, Int(sentText.trimmed()) ?? 0)
                }
                if let head = state.head, head.sent < head.messages.count { return head.messages[head.sent] }
                state.segments.removeFirst()
                remove(first.name)
                state.head = nil
            }
            return nil
        }
    }

    /// Notes that the message `next()` returned was delivered.
    public func delivered() {
        state.withLock { state in
            guard var head = state.head else { return }
            head.sent += 1
            state.head = head
            if head.sent >= head.messages.count {
                state.segments.removeAll { $0.name == head.name }
                remove(head.name)
                state.head = nil
            } else {
                try? Data("\(head.sent)\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + head.name + ".sent"))
            }
        }
    }

    private func remove(_ name: String) {
        unlink(directory + "/" + name)
        unlink(directory + "/" + name + ".sent")
    }
}

/// What the agent keeps between runs (state.json): each daemon's checkpoint
/// (the seq of the last event spooled), the repeats already sent, and the
/// daemons it has declared unreachable.
public struct AgentMemory: Codable, Sendable, Equatable {
    public var checkpoints: [String: Int64] = [:]
    /// Alert key ("DAEMON/ID") → the number of the last repeat sent.
    public var repeats: [String: Int] = [:]
    /// Daemon → since when (RFC 3339) it is unreachable, once announced.
    public var down: [String: String] = [:]
    /// Daemon → the key of the last failed verification announced (the
    /// same failure found again is not announced again).
    public var verifyFailures: [String: String] = [:]

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        checkpoints = try container.decodeIfPresent([String: Int64].self, forKey: .checkpoints) ?? [:]
        repeats = try container.decodeIfPresent([String: Int].self, forKey: .repeats) ?? [:]
        down = try container.decodeIfPresent([String: String].self, forKey: .down) ?? [:]
        verifyFailures = try container.decodeIfPresent([String: String].self, forKey: .verifyFailures) ?? [:]
    }

    public static func load(from path: String) throws -> AgentMemory {
        guard let data = FileManager.default.contents(atPath: path) else { return AgentMemory() }
        do { return try JSONDecoder().decode(AgentMemory.self, from: data) } catch {
            throw SpoolError(description: "\(path) is not the agent's state (\(error)); move it away to start afresh (the open alerts are then re-read)")
        }
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try writeAtomically(try encoder.encode(self), to: path)
    }
}

/// A journal head the agent saw verified.
public struct SeenHead: Codable, Sendable, Equatable {
    public var seq: UInt64
    public var hash: String
    public var seenAt: String
}

/// A signed head of a daemon's Merkle tree as the agent saw and checked it
/// (issue 24), appended to heads/DAEMON.tree.jsonl.
public struct KeptTreeHead: Codable, Sendable, Equatable {
    public var size: UInt64
    /// Hex.
    public var root: String
    public var checkpoint: String
    /// Base64.
    public var signature: String
    /// `ed25519:<base64>`, the key it verified with.
    public var key: String
    public var seenAt: String
}

/// The heads of one daemon, appended to heads/DAEMON.jsonl (and its tree's
/// signed heads to heads/DAEMON.tree.jsonl).
public enum HeadHistory {
    public static func last(in path: String) -> SeenHead? {
        last(SeenHead.self, in: path)
    }

    public static func last<Head: Decodable>(_ type: Head.Type, in path: String) -> Head? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let line = data.split(separator: UInt8(ascii: "\n")).last else { return nil }
        return try? JSONDecoder().decode(Head.self, from: Data(line))
    }

    public static func append<Head: Encodable>(_ head: Head, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(head)
        line.append(UInt8(ascii: "\n"))
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw SpoolError(description: "cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw SpoolError(description: "cannot append to \(path): errno \(errno)") }
    }
}

/// The silences, in silences.json of the state folder; `taizhang-agent
/// silence` edits it under a lock and the agent re-reads it when it changes.
public enum SilenceFile {
    public static func load(_ path: String) throws -> [Silence] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpoolError(description: "\(path) cannot be read (made by another user? chown it to the agent's user)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode([Silence].self, from: data) } catch {
            throw SpoolError(description: "\(path) is not a list of silences: \(error)")
        }
    }

    /// Changes the file under an exclusive lock (flock on PATH.lock).
    public static func update(_ path: String, _ change: (inout [Silence]) throws -> Void) throws -> [Silence] {
        let lock = open(path + ".lock", O_RDWR | O_CREAT, 0o600)
        guard lock >= 0 else { throw SpoolError(description: "cannot open \(path).lock: errno \(errno)") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        var silences = try load(path)
        try change(&silences)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(silences), to: path)
        return silences
    }
}
