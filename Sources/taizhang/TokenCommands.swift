// taizhang token create | list | revoke: the bearer tokens of the access
// file (docs/security.md). Run on the daemon's machine by whoever may edit
// the file; the daemon reads it at start and on reload (systemctl reload
// taizhangd). A token is printed once, at creation: the file keeps only its
// SHA-256.

import ArgumentParser
import Foundation
import TaizhangCore

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Bearer tokens of the access file: create, list, revoke.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct FileOption: ParsableArguments {
        @Option(name: .customLong("access-file"), help: "The access file (taizhangd's access-file).") var path = "/etc/taizhang/access.json"
    }

    /// The access file as JSON, and the policy it makes (checked).
    static func read(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("cannot read \(path); create it with the identities first (docs/security.md)")
            throw ExitCode(1)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            printError("\(path) is not a JSON object")
            throw ExitCode(2)
        }
        return object
    }

    /// Runs `body` holding an exclusive lock beside the file, so two runs
    /// at once do not lose each other's tokens.
    static func locked<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0, flock(lock, LOCK_EX) == 0 else {
            printError("cannot lock \(path).lock: \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        defer { close(lock) }
        return try body()
    }

    /// Checks the file as taizhangd would, then replaces it atomically,
    /// durably, with its mode, owner and group kept (the daemon's user must
    /// still read it).
    static func write(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        do {
            _ = try AccessPolicy(json: String(decoding: data, as: UTF8.self), ownUID: getuid())
        } catch {
            printError("the access file would be invalid, nothing written: \(error)")
            throw ExitCode(2)
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            printError("cannot read \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        let temporary = path + ".tmp-\(getpid())"
        let bytes = [UInt8](data + Data("\n".utf8))
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, info.st_mode & 0o7777)
        var ok = fd >= 0
        if ok {
            ok = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
            ok = ok && fchmod(fd, info.st_mode & 0o7777) == 0 && (fchown(fd, info.st_uid, info.st_gid) == 0 || getuid() != 0) && fsync(fd) == 0
            close(fd)
        }
        guard ok, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            printError("cannot write \(path): \(reason)")
            throw ExitCode(1)
        }
        let folder = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { _ = fsync(folder); close(folder) }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token for an identity; prints it once.")
        @OptionGroup var file: FileOption
        @Option(name: .customLong("identity"), help: "The identity the token is (a name in the file's identities).") var identity: String
        @Option(name: .customLong("days"), help: "Days until it expires (1 to 730).") var days = 90

        func validate() throws {
            if !(1...730).contains(days) { throw ValidationError("--days must be between 1 and 730") }
        }

        func run() throws {
            try TokenCommand.locked(file.path) { try create() }
        }

        func create() throws {
            var object = try TokenCommand.read(file.path)
            var generator = SystemRandomNumberGenerator()
            let idHex = Format.hex((0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let token = "tz_\(idHex)_\(secret)"
            let now = CLI.clock.nowUnixSeconds()
            let expires = CLI.clock.nowUnixSeconds() + Int64(days) * 86_400
            var tokens = object["tokens"] as? [[String: Any]] ?? []
            tokens.append(["id": "tk_" + idHex, "identity": identity, "sha256": SHA256.hex(Array(token.utf8)),
                           "expires_unix": expires, "created": Format.timestamp(unixSeconds: now)])
            object["tokens"] = tokens
            try TokenCommand.write(object, to: file.path)
            print(token)
            printError("token tk_\(idHex) for \(identity), valid \(days) days (until \(Format.timestamp(unixSeconds: expires))). It is shown only now; the file keeps its SHA-256. Reload taizhangd for it to take effect (systemctl reload taizhangd).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens: id, identity, created, expiry.")
        @OptionGroup var file: FileOption

        func run() throws {
            let object = try TokenCommand.read(file.path)
            let now = CLI.clock.nowUnixSeconds()
            let expires: @Sendable ([String: Any]) -> Int64 = { ($0["expires_unix"] as? NSNumber)?.int64Value ?? 0 }
            // For whoever administers the daemon: English only.
            let columns: [Column<[String: Any]>] = [
                Column("id", "id") { $0["id"] as? String ?? "?" }, Column("identity", "identity") { $0["identity"] as? String ?? "?" },
                Column("created", "created") { $0["created"] as? String ?? "" },
                Column("expires", "expires") { Format.timestamp(unixSeconds: expires($0)) },
                Column("state", "state") { expires($0) > now ? "valid" : "expired" },
            ]
            print(Table(columns, object["tokens"] as? [[String: Any]] ?? [], .en).render())
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a token; it stops working at the daemon's next reload.")
        @OptionGroup var file: FileOption
        @Argument(help: "Token id, e.g. tk_0123456789ab.") var id: String

        func run() throws {
            try TokenCommand.locked(file.path) { try revoke() }
        }

        func revoke() throws {
            var object = try TokenCommand.read(file.path)
            let tokens = object["tokens"] as? [[String: Any]] ?? []
            let kept = tokens.filter { ($0["id"] as? String) != id }
            if kept.count == tokens.count {
                printError("no token \(id) in \(file.path)")
                throw ExitCode(2)
            }
            object["tokens"] = kept
            try TokenCommand.write(object, to: file.path)
            printError("revoked \(id); reload taizhangd for it to take effect (systemctl reload taizhangd)")
        }
    }
}
