// SIGHUP: re-read the configuration file, apply what can change while the
// daemon runs (log level, limits, holiday calendars, the risk monitor's
// weights and schedule), report what needs a restart, and tell systemd
// (RELOADING=1 with MONOTONIC_USEC, then READY=1 and a STATUS= line).

import Foundation
import Synchronization
import TaizhangCore
import TaizhangServer
import TaizhangStore

/// Reloads the settings on SIGHUP. Runs on the signal queue, one at a time.
final class Reloader: Sendable {
    private struct Running: Sendable {
        var settings: DaemonSettings
        var files: SettingsFiles
        var needRestart: [String] = []
        var lastReload = ""
    }

    private let configFile: String?
    private let defaultConfigPath: String
    private let flags: [DaemonSettings.Assignment]
    private let started: DaemonSettings
    private let server: TaizhangServer
    private let listening: String
    private let running: Mutex<Running>

    /// `configFile` is --config as given (nil: the default path, read when it exists).
    init(configFile: String?, defaultConfigPath: String, flags: [DaemonSettings.Assignment], started: DaemonSettings,
         files: SettingsFiles, server: TaizhangServer, listening: String) {
        self.configFile = configFile
        self.defaultConfigPath = defaultConfigPath
        self.flags = flags
        self.started = started
        self.server = server
        self.listening = listening
        running = Mutex(Running(settings: started, files: files))
    }

    /// The drain timeout in effect.
    var drainTimeoutMillis: Int64 { running.withLock { $0.settings.drainTimeoutMillis } }

    /// systemd's STATUS= line: addresses, counts, the last risk run, and
    /// settings that wait for a restart.
    func statusLine() -> String {
        let (needRestart, lastReload) = running.withLock { ($0.needRestart, $0.lastReload) }
        var line = "Listening on \(listening); \(server.statusLine())"
        if !lastReload.isEmpty { line += "; \(lastReload)" }
        if !needRestart.isEmpty { line += "; restart to apply: \(needRestart.joined(separator: ", "))" }
        return line
    }

    /// Re-reads the file and applies it; on any problem keeps every setting
    /// as it was.
    func reload() {
        let configPath = DaemonSettings.configPath(given: configFile, defaultPath: defaultConfigPath)
        let source = configPath ?? "(no configuration file; flags only)"
        ServiceManager.notify("RELOADING=1\nMONOTONIC_USEC=\(ServiceManager.monotonicMicros())\nSTATUS=Reloading \(source)")
        Log.notice("reload: reading \(source)", metadata: ["config": "\(source)"])
        let next: DaemonSettings
        let nextFiles: SettingsFiles
        do {
            (next, nextFiles) = try DaemonSettings.loadWithFiles(path: configPath, flags: flags)
        } catch {
            for problem in error.problems { Log.error("reload: \(problem)", metadata: ["config": "\(source)"]) }
            let summary = "reload at \(Self.now()) failed (\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s"), see the log); running with the previous settings"
            running.withLock { $0.lastReload = summary }
            ServiceManager.notify("READY=1\nSTATUS=\(statusLine())")
            return
        }
        let plan = running.withLock {
            ReloadPlan(started: started, running: $0.settings, runningFiles: $0.files, next: next, nextFiles: nextFiles)
        }
        // Apply the live keys; restart-only keys keep their running values.
        DaemonLog.level = next.logLevel
        server.setLimits(frameMaxBytes: next.frameMaxBytes, callsInFlightMax: next.callsInFlightMax,
                         connectionsMax: next.connectionsMax, drainTimeoutMillis: next.drainTimeoutMillis)
        server.setConnectionPolicy(next.connectionPolicy)
        server.setCalendar(nextFiles.calendar)
        server.setAccess(nextFiles.access)
        // The monitor runs again only when its settings changed.
        let runningRisk = running.withLock { $0.files.risk }
        let riskApplied = nextFiles.risk == runningRisk || server.setRiskConfiguration(nextFiles.risk)
        running.withLock { running in
            var effective = running.settings
            for key in DaemonSettings.keys where key.live {
                // A risk file the monitor refused (it switches the monitor on or off) is not running.
                if key.name == "risk-config", !riskApplied { continue }
                effective.copy(key.name, from: next)
            }
            running.settings = effective
            running.files.holidayYears = nextFiles.holidayYears
            running.files.access = nextFiles.access
            if riskApplied { running.files.risk = nextFiles.risk }
            running.needRestart = plan.needRestart
            running.lastReload = "reloaded at \(Self.now()): " + (plan.applied.isEmpty ? "nothing changed" : "\(plan.applied.count) change\(plan.applied.count == 1 ? "" : "s") applied")
        }
        let applied = plan.applied.isEmpty ? "nothing to apply" : "applied " + plan.applied.joined(separator: "; ")
        let restart = plan.needRestart.isEmpty ? "" : "; needs a restart to take effect: " + plan.needRestart.joined(separator: ", ")
        Log.notice("reload: \(applied)\(restart)", metadata: ["config": "\(source)"])
        ServiceManager.notify("READY=1\nSTATUS=\(statusLine())")
    }

    private static func now() -> String {
        String(Timestamp.rfc3339(unixMillis: Taizhangd.clock.nowUnixMillis()).prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}

extension DaemonSettings {
    /// Sets the key `name` to its value in `other`.
    mutating func copy(_ name: String, from other: DaemonSettings) {
        switch name {
        case "frame-max-bytes": frameMaxBytes = other.frameMaxBytes
        case "calls-in-flight-max": callsInFlightMax = other.callsInFlightMax
        case "connections-max": connectionsMax = other.connectionsMax
        case "drain-timeout-ms": drainTimeoutMillis = other.drainTimeoutMillis
        case "idle-timeout-ms": connectionPolicy.idleTimeoutMillis = other.connectionPolicy.idleTimeoutMillis
        case "frame-timeout-ms": connectionPolicy.frameTimeoutMillis = other.connectionPolicy.frameTimeoutMillis
        case "identity-calls-in-flight-max": connectionPolicy.identityCallsInFlightMax = other.connectionPolicy.identityCallsInFlightMax
        case "identity-calls-per-second": connectionPolicy.identityCallsPerSecond = other.connectionPolicy.identityCallsPerSecond
        case "holidays-dir": holidaysDirectory = other.holidaysDirectory
        case "risk-config": riskConfigurationFile = other.riskConfigurationFile
        case "access-file": accessFile = other.accessFile
        case "log-level": logLevel = other.logLevel
        default: break
        }
    }
}
