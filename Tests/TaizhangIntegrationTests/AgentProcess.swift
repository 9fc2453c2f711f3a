// The real taizhang-agent binary and a real webhook receiver
// (scripts/webhook-sink, Python's http.server) for the agent's tests.

import Foundation
import Synchronization
import TaizhangClient

/// A running taizhang-agent.
final class AgentProcess: Sendable {
    let configPath: String
    let stateDirectory: String
    let url: String?
    private let process: Process

    static var binary: String { (DaemonProcess.binary as NSString).deletingLastPathComponent + "/taizhang-agent" }

    /// Writes `config` (the global keys and sections after state-dir) and
    /// starts the agent; returns once it printed "ready".
    /// `wrapper`, when given, runs the agent: its arguments are followed by
    /// the agent's path and arguments (a private mount namespace with its own journald).
    init(stateDirectory: String, config: String, stderrPath: String? = nil, environment: [String: String] = [:], wrapper: [String] = []) throws {
        self.stateDirectory = stateDirectory
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        configPath = stateDirectory + ".conf"
        try ("state-dir = \(stateDirectory)\n" + config).write(toFile: configPath, atomically: true, encoding: .utf8)
        let process = Process()
        if let command = wrapper.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(wrapper.dropFirst()) + [Self.binary, "run", "--config", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["run", "--config", configPath]
        }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let stdout = Pipe()
        process.standardOutput = stdout
        if let stderrPath {
            if !FileManager.default.fileExists(atPath: stderrPath) { _ = FileManager.default.createFile(atPath: stderrPath, contents: nil) }
            let handle = FileHandle(forWritingAtPath: stderrPath)
            handle?.seekToEndOfFile()
            process.standardError = handle
        } else {
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        }
        try process.run()
        self.process = process
        var text = ""
        while !text.contains("taizhang-agent: ready\n") {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { throw DaemonProcess.StartError(description: "taizhang-agent exited before it was ready: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        url = text.split(separator: "\n").first { $0.hasPrefix("taizhang-agent: listening on ") }
            .map { String($0.dropFirst("taizhang-agent: listening on ".count)) }
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends `signal` and waits for the exit.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `taizhang-agent ARGUMENTS --config` against this agent's file.
    static func command(_ arguments: [String], config: String) throws -> CLITests.Run {
        try CLITests.run(binary, arguments + ["--config", config])
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// scripts/webhook-sink: every POST body, one JSON document per line.
final class WebhookSink: Sendable {
    let out: String
    let downFile: String
    let url: String
    private let process: Process

    init() throws {
        let folder = NSTemporaryDirectory() + "tz-sink-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        out = folder + "/received.jsonl"
        downFile = folder + "/down"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [ClientsTests.root + "/scripts/webhook-sink", "--out", out, "--down", downFile]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        self.process = process
        var text = ""
        while !text.contains("\n") {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { throw DaemonProcess.StartError(description: "webhook-sink exited: \(text)") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        url = String(text.split(separator: "\n")[0].dropFirst("webhook-sink: listening on ".count))
    }

    /// Every alert received, in order (duplicates included).
    struct Received { let key: String; let transition: String; let level: String; let daemon: String; let kind: String; let message: String }

    func received() -> [Received] {
        guard let data = FileManager.default.contents(atPath: out) else { return [] }
        var all: [Received] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let record = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let body = record["body"] as? [String: Any], let alerts = body["alerts"] as? [[String: Any]] else { continue }
            for alert in alerts {
                all.append(Received(key: alert["key"] as? String ?? "", transition: alert["transition"] as? String ?? "",
                                    level: alert["level"] as? String ?? "", daemon: alert["daemon"] as? String ?? "",
                                    kind: alert["kind"] as? String ?? "", message: alert["message"] as? String ?? ""))
            }
        }
        return all
    }

    /// Waits (reading the file again as it grows) until `done` holds, at most `seconds`.
    func wait(seconds: Double, until done: ([Received]) -> Bool) async -> [Received] {
        let deadline = Date().addingTimeInterval(seconds)
        var all = received()
        while !done(all), Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            all = received()
        }
        return all
    }

    func setDown(_ down: Bool) {
        if down { FileManager.default.createFile(atPath: downFile, contents: Data()) } else { unlink(downFile) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
