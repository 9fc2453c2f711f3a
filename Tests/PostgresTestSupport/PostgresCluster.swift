// PostgreSQL clusters the tests start themselves (issue 25): Debian's
// postgresql-15; `initdb` and the server run as the unprivileged `postgres`
// user (initdb refuses root) on folders that user owns under the temporary
// folder, trust authentication, Unix sockets only (each cluster its own
// socket folder); a standby is a `pg_basebackup -R` of its primary,
// promoted with `pg_ctl promote`.

import Foundation
import Synchronization

public final class PostgresCluster: @unchecked Sendable {
    public static let bin = "/usr/lib/postgresql/15/bin"
    public static let user = "postgres"
    public static let port = 5432

    public let data: String
    public let sockets: String

    /// Whether Debian's PostgreSQL 15 is installed (scripts/install-deps installs it).
    public static var installed: Bool { FileManager.default.isExecutableFile(atPath: bin + "/initdb") }

    /// What a program printed, and how it ended.
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs a program to its end.
    static func execute(_ executable: String, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs a PostgreSQL tool as the `postgres` user.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> Run {
        let path = tool.hasPrefix("/") ? tool : bin + "/" + tool
        return try execute("/usr/sbin/runuser", ["-u", user, "--", path] + arguments)
    }

    /// A folder under the temporary folder owned by the `postgres` user.
    static func folder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "tz-pg-\(name)-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let chown = try execute("/bin/chown", [user, path])
        guard chown.status == 0 else { throw ClusterError(description: "chown \(path): \(chown.stderr)") }
        return path
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private init(data: String, sockets: String) {
        self.data = data
        self.sockets = sockets
    }

    /// A new primary, started.
    public static func primary() throws -> PostgresCluster {
        let cluster = PostgresCluster(data: try folder("data"), sockets: try folder("sock"))
        let initdb = try run("initdb", ["-D", cluster.data, "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8", "--locale", "C"])
        guard initdb.status == 0 else { throw ClusterError(description: "initdb: \(initdb.stderr)") }
        try cluster.start()
        return cluster
    }

    /// A streaming standby of `primary`, started.
    public static func standby(of primary: PostgresCluster) throws -> PostgresCluster {
        let cluster = PostgresCluster(data: try folder("standby"), sockets: try folder("sock"))
        // A fast checkpoint: the default (spread) waits out most of checkpoint_timeout.
        let backup = try run("pg_basebackup", ["-D", cluster.data, "-R", "-X", "stream", "-c", "fast", "-h", primary.sockets, "-p", String(port),
                                               "-U", user, "--no-sync", "-d", "application_name=standby"])
        guard backup.status == 0 else { throw ClusterError(description: "pg_basebackup: \(backup.stderr)") }
        // The backup made the primary_conninfo; the standby answers on its own socket folder.
        try cluster.start()
        return cluster
    }

    /// A standby of `primary` that the primary waits for at each commit
    /// (`synchronous_standby_names`), once it reports itself in sync.
    public static func synchronousStandby(of primary: PostgresCluster) throws -> PostgresCluster {
        let standby = try standby(of: primary)
        _ = try primary.query("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
        _ = try primary.query("SELECT pg_reload_conf()")
        var state = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while state != "sync", ContinuousClock.now < deadline {
            state = try primary.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")
        }
        guard state == "sync" else {
            standby.remove()
            throw ClusterError(description: "the standby did not report itself in sync within 30 s (state \"\(state)\")")
        }
        return standby
    }

    /// The running server: the postmaster itself, a child of the test
    /// (started through setpriv, which execs it as the postgres user).
    /// Not through `pg_ctl start`: the server it leaves behind would
    /// inherit the descriptor Foundation watches for the exit of pg_ctl,
    /// which would then never be seen.
    private var server: Process?

    /// Starts the server and waits until it takes connections.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=\(Self.user)", "--regid=\(Self.user)", "--init-groups", "--", Self.bin + "/postgres", "-D", data,
                             "-c", "listen_addresses=", "-k", sockets, "-p", String(Self.port)]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let log = data + "/server.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        server = process
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if try Self.run("pg_isready", ["-q", "-h", sockets, "-p", String(Self.port)]).status == 0 { return }
        }
        throw ClusterError(description: "postgres did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// Stops the server (fast shutdown: SIGINT); nothing if it is not running.
    public func stop() {
        guard let server, server.isRunning else { return }
        kill(server.processIdentifier, SIGINT)
        server.waitUntilExit()
    }

    /// SIGKILL to the postmaster and every process of the server, as a
    /// crash of the primary's machine would stop them all at once.
    public func kill9() throws {
        guard let server else { throw ClusterError(description: "not running") }
        // The children first listed: once the postmaster is gone they are another's.
        let children = (try? Self.execute("/usr/bin/pgrep", ["-P", String(server.processIdentifier)]))?.stdout
            .split(separator: "\n").compactMap { Int32($0) } ?? []
        kill(server.processIdentifier, SIGKILL)
        for child in children { kill(child, SIGKILL) }
        server.waitUntilExit()
    }

    public func promote() throws {
        let promoted = try Self.run("pg_ctl", ["-D", data, "-w", "promote"])
        guard promoted.status == 0 else { throw ClusterError(description: "pg_ctl promote: \(promoted.stderr)") }
    }

    /// The rows of `sql` (psql's unaligned, tuples-only output), or the error.
    public func query(_ sql: String, database: String = "postgres") throws -> String {
        let result = try Self.run("psql", ["-h", sockets, "-p", String(Self.port), "-U", Self.user, "-d", database, "-X", "-A", "-t",
                                           "-v", "ON_ERROR_STOP=1", "-c", sql])
        guard result.status == 0 else { throw ClusterError(description: "psql \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A libpq connection string for `database` on this cluster.
    public func conninfo(_ database: String = "postgres") -> String {
        "host=\(sockets) port=\(Self.port) user=\(Self.user) dbname=\(database)"
    }

    /// A new, empty database on this cluster; its name.
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        _ = try query("CREATE DATABASE \(name)")
        return name
    }

    /// One primary for the whole test process, started on first use and
    /// stopped when the process exits; each test takes a database of its own.
    public static func shared() throws -> PostgresCluster {
        try sharedCluster.withLock { cluster in
            if let cluster { return cluster }
            let started = try primary()
            cluster = started
            atexit { PostgresCluster.stopShared() }
            return started
        }
    }

    private static let sharedCluster = Mutex<PostgresCluster?>(nil)

    private static func stopShared() {
        let cluster = sharedCluster.withLock { $0 }
        cluster?.remove()
    }

    /// Stops the server and removes its folders.
    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: data)
        try? FileManager.default.removeItem(atPath: sockets)
    }
}
