// Starts the real taizhangd binary in a temporary data directory and hands
// the test its addresses; stops it with a signal and reports the exit.

import Foundation
import PostgresTestSupport
import Synchronization
import TaizhangClient
import TaizhangProto

/// A running taizhangd.
final class DaemonProcess: Sendable {
    let dataDirectory: String
    let socketPath: String
    let tcpPort: Int?
    /// "http://127.0.0.1:PORT" of --metrics-listen, if asked.
    let metricsURL: String?
    private let process: Process
    private let box: ExitBox

    final class ExitBox: Sendable {
        let status = Mutex<Int32?>(nil)
        let exited = DispatchSemaphore(value: 0)
    }

    /// The taizhangd binary beside the test runner (`swift build` puts both
    /// in .build/debug), or $TAIZHANGD.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["TAIZHANGD"] { return path }
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: runner).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("taizhangd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "taizhangd-not-found-run-swift-build-first"
    }

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts taizhangd and waits until it prints "ready" (or exits).
    /// `wrapper`, when given, is the command that runs taizhangd: its
    /// arguments are followed by taizhangd's path and arguments.
    /// `stderrPath`, when given, receives the daemon's standard error (its log).
    /// `environment` adds variables (e.g. NOTIFY_SOCKET) to the daemon's.
    init(dataDirectory: String? = nil, tcp: Bool = false, extraArguments: [String] = [], wrapper: [String] = [],
         stderrPath: String? = nil, environment: [String: String] = [:]) throws {
        let directory = dataDirectory ?? (NSTemporaryDirectory() + "tz-" + String(UUID().uuidString.prefix(8)))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.dataDirectory = directory
        let store = extraArguments.contains("--store") ? [] : try DaemonProcess.testStore(directory)
        socketPath = directory + "/tz.sock"
        let process = Process()
        // No configuration file unless the test names one (not the machine's /etc/taizhang/taizhangd.conf).
        let configuration = extraArguments.contains("--config") ? [] : ["--config", ""]
        // A cache of 1 MiB (some 200 of the tests' assets): reads hit it and
        // miss it, so the paths that read the ledger file run in every test.
        let cache = extraArguments.contains("--cache-mib") || extraArguments.contains("--config") ? [] : ["--cache-mib", "1"]
        let arguments = configuration + ["--data-dir", directory, "--unix", socketPath] + (tcp ? ["--tcp", "127.0.0.1:0"] : []) + cache + store
            + extraArguments
        if let command = wrapper.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(wrapper.dropFirst()) + [DaemonProcess.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: DaemonProcess.binary)
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdout = Pipe()
        process.standardOutput = stdout
        if let stderrPath {
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
        } else {
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        }
        let box = ExitBox()
        self.box = box
        process.terminationHandler = { finished in
            box.status.withLock { $0 = finished.terminationStatus }
            box.exited.signal()
        }
        try process.run()
        self.process = process
        // Read the announcement: blocking reads, no sleeping.
        var text = ""
        let handle = stdout.fileHandleForReading
        while !text.contains("taizhangd: ready\n") {
            let chunk = handle.availableData
            if chunk.isEmpty {
                throw StartError(description: "taizhangd exited before it was ready; output: \(text)")
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        var port: Int?
        var metricsURL: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("taizhangd: listening on tcp:") { port = Int(line.split(separator: ":").last ?? "") }
            if line.hasPrefix("taizhangd: listening on http://") { metricsURL = String(line.dropFirst("taizhangd: listening on ".count)) }
        }
        tcpPort = port
        self.metricsURL = metricsURL
    }

    var pid: Int32 { process.processIdentifier }

    /// With TAIZHANG_TEST_STORE=postgresql (scripts/test runs some suites
    /// so), each new data directory's ledger is a new database on the test
    /// process's PostgreSQL cluster, named in the directory's
    /// `test-store.uri` so a daemon restarted on the directory finds it.
    static func testStore(_ directory: String) throws -> [String] {
        let named = directory + "/test-store.uri"
        if let uri = try? String(contentsOfFile: named, encoding: .utf8) { return ["--store", uri] }
        guard ProcessInfo.processInfo.environment["TAIZHANG_TEST_STORE"] == "postgresql" else { return [] }
        let uri = try postgresURI().uri
        try uri.write(toFile: named, atomically: true, encoding: .utf8)
        return ["--store", uri]
    }

    /// A new database on the test process's cluster: its `--store` URI and name.
    static func postgresURI() throws -> (uri: String, database: String) {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase()
        return ("postgresql://\(PostgresCluster.user)@/\(database)?host=\(cluster.sockets)&port=\(PostgresCluster.port)", database)
    }

    /// Another daemon of `daemon`'s ledger: a data directory of its own
    /// holding copies of its keys (the daemons of one ledger share them
    /// through their credentials), started with `extraArguments`.
    static func sharing(_ daemon: DaemonProcess, extraArguments: [String]) throws -> DaemonProcess {
        let directory = NSTemporaryDirectory() + "tz-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for key in ["tree-head.key", "personal-data.key"] {
            try FileManager.default.copyItem(atPath: daemon.dataDirectory + "/" + key, toPath: directory + "/" + key)
        }
        return try DaemonProcess(dataDirectory: directory, extraArguments: extraArguments)
    }

    /// Connects over the Unix socket.
    func connect() async throws -> TaizhangClient {
        try await TaizhangClient.connect(.unix(path: socketPath))
    }

    /// Sends `signal` and waits for the exit; returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        if box.status.withLock({ $0 }) == nil {
            kill(process.processIdentifier, signal)
            box.exited.wait()
            box.exited.signal()
        }
        return box.status.withLock { $0 } ?? -1
    }

    /// Waits for the process to exit by itself.
    func waitForExit() -> Int32 {
        box.exited.wait()
        box.exited.signal()
        return box.status.withLock { $0 } ?? -1
    }

    /// How the process ended: true when a signal killed it.
    var terminatedBySignal: Bool { process.terminationReason == .uncaughtSignal }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Requests for the demo's smallest ledger.
enum Fixture {
    static let ledger = "/taizhang.ledger.v1.Ledger/"

    static func seed(_ client: TaizhangClient) async throws {
        for (code, name, level, parent) in [("421024000000", "江陵县", Taizhang_Ledger_V1_AdminLevel.county, ""),
                                            ("421024101000", "熊河镇", .township, "421024000000"),
                                            ("421024101201", "白马村", .village, "421024101000"),
                                            ("421024102000", "沙岗镇", .township, "421024000000"),
                                            ("421024102201", "新河村", .village, "421024102000")] {
            var request = Taizhang_Ledger_V1_CreateAdminUnitRequest()
            request.unit.code = code
            request.unit.name = name
            request.unit.level = level
            request.unit.parentCode = parent
            _ = try await client.unary(ledger + "CreateAdminUnit", request, as: Taizhang_Ledger_V1_AdminUnit.self)
        }
        var project = Taizhang_Ledger_V1_CreateProjectRequest()
        project.project.id = "JL-2019-001"
        project.project.name = "熊河镇光伏扶贫项目"
        project.project.year = 2019
        project.project.implementingUnit = "县发展和改革局"
        project.project.adminCode = "421024101000"
        _ = try await client.unary(ledger + "CreateProject", project, as: Taizhang_Ledger_V1_Project.self)
    }

    static func asset(code: String = "", village: String = "421024101201", value: Int64 = 1_000_000) -> Taizhang_Ledger_V1_Asset {
        var asset = Taizhang_Ledger_V1_Asset()
        asset.code = code
        asset.name = "白马村光伏电站"
        asset.category = .operating
        asset.subType = "光伏电站"
        asset.projectID = "JL-2019-001"
        asset.adminCode = village
        asset.acquiredDate = "2019-06-30"
        asset.usefulLifeYears = 25
        asset.quantity = "100"
        asset.unit = "千瓦"
        asset.originalValueFen = value
        var central = Taizhang_Ledger_V1_Funding()
        central.source = .centralSpecial
        central.amountFen = value * 6 / 10
        var integrated = Taizhang_Ledger_V1_Funding()
        integrated.source = .integrated
        integrated.amountFen = value - central.amountFen
        asset.funding = [central, integrated]
        var owner = Taizhang_Ledger_V1_Owner()
        owner.name = "白马村股份经济合作社"
        owner.kind = .villageCollective
        owner.adminCode = village
        owner.shareBp = 10_000
        asset.owners = [owner]
        return asset
    }

    static func register(_ client: TaizhangClient, _ asset: Taizhang_Ledger_V1_Asset, metadata: [String: String] = [:]) async throws -> Taizhang_Ledger_V1_Asset {
        var request = Taizhang_Ledger_V1_RegisterAssetRequest()
        request.asset = asset
        return try await client.unary(ledger + "RegisterAsset", request, as: Taizhang_Ledger_V1_Asset.self, metadata: metadata)
    }

    static func request(_ method: String, _ message: some SwiftProtobuf.Message, callId: UInt64, timeoutMillis: UInt32 = 0,
                        metadata: [String: String] = [:]) throws -> Taizhang_Rpc_V1_Request {
        var request = Taizhang_Rpc_V1_Request()
        request.callID = callId
        request.method = method
        request.payload = try message.serializedData()
        request.timeoutMs = timeoutMillis
        request.metadata = metadata
        return request
    }
}

import SwiftProtobuf
