// SIGHUP: the daemon re-reads its configuration file, tells systemd
// (RELOADING=1 with MONOTONIC_USEC, then READY=1 and STATUS=), applies the
// live settings at once, names those that need a restart, and keeps every
// setting when the file is bad. Captured on a test NOTIFY_SOCKET.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReloadTests {
    static func monotonicMicros() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    /// The next notification that is not a periodic STATUS= or WATCHDOG=1.
    static func next(_ notify: SystemdTests.NotifySocket) -> String? {
        while let message = notify.receive() {
            if message.hasPrefix("STATUS=") || message == "WATCHDOG=1" { continue }
            return message
        }
        return nil
    }

    static func field(_ message: String, _ name: String) -> String? {
        message.split(separator: "\n").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    static func health(_ client: TaizhangClient, requestId: String) async throws {
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(),
                                            as: Taizhang_System_V1_HealthResponse.self, metadata: ["request-id": requestId])
        #expect(health.status == .serving)
    }

    @Test func sighupAppliesLiveSettingsNamesRestartOnesAndKeepsEverythingOnABadFile() async throws {
        let notify = try SystemdTests.NotifySocket()
        let folder = NSTemporaryDirectory() + "tz-reload-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/taizhangd.conf"
        let log = folder + "/stderr.log"
        try "# as installed\nlog-level = info\nframe-max-bytes = 65536\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(extraArguments: ["--config", config], stderrPath: log, environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.stop() }
        let ready = try #require(Self.next(notify), "no READY=1")
        #expect(ready.hasPrefix("READY=1\n"))
        let before = try await daemon.connect()
        try await Self.health(before, requestId: "reload-at-info")

        // Live: log level and frame limit; needs a restart: tcp.
        try "log-level = debug\nframe-max-bytes = 2048\ntcp = 127.0.0.1:0\n".write(toFile: config, atomically: true, encoding: .utf8)
        let sent = Self.monotonicMicros()
        kill(daemon.pid, SIGHUP)
        let reloading = try #require(Self.next(notify), "no RELOADING=1")
        #expect(reloading.hasPrefix("RELOADING=1\n"), "\(reloading)")
        let usec = try #require(Self.field(reloading, "MONOTONIC_USEC").flatMap { UInt64($0) }, "no MONOTONIC_USEC in \(reloading)")
        #expect(usec >= sent && usec <= Self.monotonicMicros(), "MONOTONIC_USEC \(usec) is not between the signal (\(sent)) and now")
        let reloaded = try #require(Self.next(notify), "no READY=1 after the reload")
        #expect(reloaded.hasPrefix("READY=1\n"), "\(reloaded)")
        let status = Self.field(reloaded, "STATUS") ?? ""
        #expect(status.contains("2 changes applied"), "\(status)")
        #expect(status.contains("restart to apply: tcp"), "\(status)")

        // Debug lines now carry each call's request-id.
        try await Self.health(before, requestId: "reload-at-debug")
        let lines = try String(contentsOfFile: log, encoding: .utf8)
        #expect(lines.contains("request-id=reload-at-debug"), "\(lines)")
        #expect(!lines.contains("request-id=reload-at-info"))
        #expect(lines.contains("reload: applied frame-max-bytes: 65536 → 2048; log-level: info → debug; needs a restart to take effect: tcp"), "\(lines)")
        #expect(!lines.contains("listening on tcp"))

        // A new connection gets the new frame limit.
        let after = try await daemon.connect()
        let refusal = after.expectResponse(callId: 0)
        try await after.sendRaw([0, 0, 0x0c, 0] + [UInt8](repeating: 0x41, count: 3072))
        let refused = try await refusal.get()
        #expect(refused.status.code == .resourceExhausted)
        #expect(refused.status.message.contains("2048"), "\(refused.status.message)")

        // A bad file: every problem logged, nothing changes, READY=1 still.
        try "log-level = loud\nframe-max-bytes = 2048\nmystery = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        let second = try #require(Self.next(notify), "no RELOADING=1")
        #expect(second.hasPrefix("RELOADING=1\n"))
        let failed = try #require(Self.next(notify), "no READY=1 after the failed reload")
        #expect(failed.hasPrefix("READY=1\n"))
        #expect((Self.field(failed, "STATUS") ?? "").contains("failed (2 problems, see the log); running with the previous settings"), "\(failed)")
        try await Self.health(before, requestId: "still-debug")
        let afterBad = try String(contentsOfFile: log, encoding: .utf8)
        #expect(afterBad.contains("\(config):1: log-level must be one of debug, info, notice, warning, error (got \"loud\")"), "\(afterBad)")
        #expect(afterBad.contains("\(config):3: mystery is not a setting"))
        #expect(afterBad.contains("request-id=still-debug"))
        await before.close()
        #expect(daemon.stop() == 0)
    }

    static func riskRuns(_ client: TaizhangClient) async throws -> UInt64 {
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        return status.lastRiskRun.runs
    }

    /// A token revoked with `taizhang token revoke` stops working at the
    /// reload; a new one works from then on; a bad access file changes nothing.
    @Test func reloadAppliesTheAccessFile() async throws {
        let notify = try SystemdTests.NotifySocket()
        let access = try AccessFixture.file([(name: "viewer", role: "viewer", scope: "", uids: [])])
        let old = try AccessFixture.token(access, identity: "viewer")
        let folder = NSTemporaryDirectory() + "tz-reload-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/taizhangd.conf"
        try "access-file = \(access)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(extraArguments: ["--config", config], environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.stop() }
        _ = try #require(Self.next(notify), "no READY=1")
        let client = try await daemon.connect()
        func code(_ token: String) async throws -> Taizhang_Rpc_V1_Code {
            let response = try await client.call(Fixture.ledger + "ListAdminUnits", payload: Data(), metadata: AccessFixture.bearer(token))
            return response.hasStatus ? response.status.code : .ok
        }
        // A stream opened with the token that is about to be revoked.
        let (_, watch) = try client.stream("/taizhang.risk.v1.Risk/WatchAlerts", payload: Data(), metadata: AccessFixture.bearer(old))
        let new = try AccessFixture.token(access, identity: "viewer")
        #expect(try CLITests.taizhang(["token", "revoke", "tk_" + old.split(separator: "_")[1], "--access-file", access], socket: "").status == 0)
        // Until the reload, the daemon holds the file it read (and, on one
        // connection, has taken the stream before this call).
        #expect(try await code(old) == .ok)
        #expect(try await code(new) == .unauthenticated)
        kill(daemon.pid, SIGHUP)
        _ = try #require(Self.next(notify), "no RELOADING=1")
        let ready = try #require(Self.next(notify), "no READY=1")
        #expect((Self.field(ready, "STATUS") ?? "").contains("1 change applied"), "\(ready)")
        #expect(try await code(old) == .unauthenticated)
        #expect(try await code(new) == .ok)
        // The stream ended with the reload.
        await #expect {
            for try await _ in watch {}
        } throws: { error in
            (error as? RPCError)?.status.code == .unauthenticated && (error as? RPCError)?.status.message.contains("no longer admits") == true
        }
        // A broken file: the reload fails, the identities stay.
        try "{\"identities\": [{\"name\": \"viewer\", \"role\": \"emperor\"}]}".write(toFile: access, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        _ = try #require(Self.next(notify), "no RELOADING=1")
        let failed = try #require(Self.next(notify), "no READY=1")
        #expect((Self.field(failed, "STATUS") ?? "").contains("failed"), "\(failed)")
        #expect(try await code(new) == .ok)
        await client.close()
    }

    /// A changed risk file is read again on reload and the monitor runs with
    /// it at once; switching the monitor off waits for a restart.
    @Test func reloadReReadsTheRiskFileAndRunsTheMonitorWithIt() async throws {
        let notify = try SystemdTests.NotifySocket()
        let risk = try RiskMonitorTests.configuration()
        let folder = NSTemporaryDirectory() + "tz-reload-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/taizhangd.conf"
        try "risk-config = \(risk)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(extraArguments: ["--config", config], environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.stop() }
        _ = try #require(Self.next(notify), "no READY=1")
        let client = try await daemon.connect()
        _ = try await RiskMonitorTests.run(client)
        let before = try await Self.riskRuns(client)

        try #"{"risk": {"interval_seconds": 1800, "debounce_millis": 50, "weights": {"output_benefit": 40, "operating_condition": 20, "sales_channels": 10, "poverty_linkage": 20, "support_measures": 10}}}"#
            .write(toFile: risk, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        _ = try #require(Self.next(notify), "no RELOADING=1")
        let ready = try #require(Self.next(notify), "no READY=1")
        #expect((Self.field(ready, "STATUS") ?? "").contains("1 change applied"), "\(ready)")
        // The reload's own run, then the one asked for here.
        _ = try await RiskMonitorTests.run(client)
        #expect(try await Self.riskRuns(client) == before + 2)

        try #"{"risk": {"enabled": false}}"#.write(toFile: risk, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        _ = try #require(Self.next(notify), "no RELOADING=1")
        let off = try #require(Self.next(notify), "no READY=1")
        #expect((Self.field(off, "STATUS") ?? "").contains("restart to apply: risk-config (enabled)"), "\(off)")
        // Still on until the restart.
        _ = try await RiskMonitorTests.run(client)
        #expect(try await Self.riskRuns(client) == before + 3)
        await client.close()
    }

    @Test func aBadFileAtStartIsExit78WithEveryProblemAndAFlagWinsOverTheFile() throws {
        let folder = NSTemporaryDirectory() + "tz-conf-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/taizhangd.conf"
        try "frame-max-bytes = 12\nconnections-max = many\ntcp = 10.0.0.1:7420\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (status, output) = try JournaldTests.outputAndError([DaemonProcess.binary, "--config", config, "--data-dir", folder])
        #expect(status == 78, "\(output)")
        #expect(output.contains("\(config):1: frame-max-bytes must be between 1024 and 67108864 (got 12)"), "\(output)")
        #expect(output.contains("\(config):2: connections-max must be a whole number (got \"many\")"), "\(output)")
        // A flag over the file: the file's bad values stay bad, but the flag's value is the one checked.
        try "log-level = warning\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (flagStatus, flagOutput) = try JournaldTests.outputAndError([DaemonProcess.binary, "--config", config, "--data-dir", folder,
                                                                         "--log-level", "verbose"])
        #expect(flagStatus == 64, "\(flagOutput)")
        #expect(flagOutput.contains("--log-level: log-level must be one of"), "\(flagOutput)")
        // The file's warning level holds the daemon's info lines back; the flag lowers it again.
        let log = folder + "/stderr.log"
        let quiet = try DaemonProcess(dataDirectory: folder + "/a", extraArguments: ["--config", config], stderrPath: log)
        #expect(quiet.stop() == 0)
        #expect(!(try String(contentsOfFile: log, encoding: .utf8)).contains(" info: "))
        let loud = try DaemonProcess(dataDirectory: folder + "/b", extraArguments: ["--config", config, "--log-level", "info"], stderrPath: log)
        #expect(loud.stop() == 0)
        #expect((try String(contentsOfFile: log, encoding: .utf8)).contains(" info: "))
    }
}
