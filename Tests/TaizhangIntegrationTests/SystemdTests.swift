// taizhangd under systemd's protocols without systemd as PID 1: the unit
// files pass `systemd-analyze verify` and rate OK or better in
// `systemd-analyze security`; the notify sequence arrives on a test
// NOTIFY_SOCKET (READY only once the listeners accept, STATUS, WATCHDOG at
// half the configured interval, STOPPING);
// the real `systemd-socket-activate` passes a Unix and a TCP socket that the
// daemon adopts, serves, and leaves in place on exit.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct SystemdTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The units with ExecStart pointing at the built daemon (verify wants the binary to exist).
    static func stagedUnits() throws -> String {
        let folder = NSTemporaryDirectory() + "tz-units-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["taizhangd.service", "taizhangd.socket", "taizhangd-tcp.socket", "taizhang-agent.service"] {
            var text = try String(contentsOfFile: root + "/systemd/" + name, encoding: .utf8)
            text = text.replacingOccurrences(of: "/usr/local/bin/taizhang-agent", with: AgentProcess.binary)
            text = text.replacingOccurrences(of: "/usr/local/bin/taizhangd", with: DaemonProcess.binary)
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        return folder
    }

    @Test func theUnitsVerifyAndRateOKOrBetter() throws {
        let folder = try Self.stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (verified, output) = try JournaldTests.outputAndError(["/usr/bin/systemd-analyze", "verify", "--man=no",
                                                                   folder + "/taizhangd.service", folder + "/taizhangd.socket",
                                                                   folder + "/taizhangd-tcp.socket", folder + "/taizhang-agent.service"])
        #expect(verified == 0, "\(output)")
        for unit in ["taizhangd.service", "taizhang-agent.service"] {
            let (_, security) = try JournaldTests.outputAndError(["/usr/bin/systemd-analyze", "security", "--offline=yes", "--no-pager",
                                                                  folder + "/" + unit])
            let line = security.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
            // "→ Overall exposure level for taizhangd.service: 1.9 OK 🙂"
            let words = line.split(separator: " ")
            let score = words.compactMap { Double($0) }.first ?? 10
            #expect(score < 5, "\(unit): \(line)")
            #expect(["OK", "SAFE", "PERFECT"].contains { line.contains($0) }, "\(unit): \(line)")
        }
    }

    /// The PostgreSQL drop-in (issue 25) is read with the unit and every
    /// line of it is one systemd knows.
    @Test func thePostgreSQLDropIn_verifiesWithTheUnit() throws {
        let folder = try Self.stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/taizhangd.service.d", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.root + "/systemd/taizhangd.service.d/postgresql.conf",
                                         toPath: folder + "/taizhangd.service.d/postgresql.conf")
        let (verified, output) = try JournaldTests.outputAndError(["/usr/bin/env", "SYSTEMD_UNIT_PATH=\(folder):", "/usr/bin/systemd-analyze", "verify",
                                                                   "--man=no", folder + "/taizhangd.service", folder + "/taizhangd.socket"])
        #expect(verified == 0, "\(output)")
        #expect(!output.contains("ignoring"), "\(output)")
        // A key systemd does not know is only warned of: the check above would see it.
        try "[Service]\nIPAddressAllowed=192.0.2.1\n".write(toFile: folder + "/taizhangd.service.d/typo.conf", atomically: true, encoding: .utf8)
        let (_, typo) = try JournaldTests.outputAndError(["/usr/bin/env", "SYSTEMD_UNIT_PATH=\(folder):", "/usr/bin/systemd-analyze", "verify",
                                                          "--man=no", folder + "/taizhangd.service", folder + "/taizhangd.socket"])
        #expect(typo.contains("ignoring"), "\(typo)")
    }

    /// A datagram socket at a temporary path, like systemd's notify socket.
    final class NotifySocket {
        let path: String
        let descriptor: CInt

        init() throws {
            path = NSTemporaryDirectory() + "tz-notify-" + String(UUID().uuidString.prefix(8))
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                _ = path.utf8CString.withUnsafeBytes { memcpy(raw.baseAddress!, $0.baseAddress!, min($0.count, raw.count - 1)) }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw DaemonProcess.StartError(description: "cannot bind \(path)") }
            // A bounded wait for each datagram, so a missing one fails the test instead of hanging it.
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram within `seconds`, or nil.
        func receive(within seconds: Int) -> String? {
            var timeout = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            defer {
                var long = timeval(tv_sec: 20, tv_usec: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &long, socklen_t(MemoryLayout<timeval>.size))
            }
            return receive()
        }

        /// The next datagram, or nil after the timeout.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            return String(decoding: buffer[0..<count], as: UTF8.self)
        }

        deinit {
            close(descriptor)
            unlink(path)
        }
    }

    @Test func readyComesOnlyOnceTheListenersAcceptThenStatusAndStopping() async throws {
        let notify = try NotifySocket()
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration()],
                                       environment: ["NOTIFY_SOCKET": notify.path])
        let ready = try #require(notify.receive(), "no READY=1")
        #expect(ready.hasPrefix("READY=1\n"), "\(ready)")
        #expect(ready.contains("STATUS=Listening on unix:\(daemon.socketPath);"))
        #expect(ready.contains("assets, 0 operating entities"))
        // READY means a call succeeds now.
        let client = try await daemon.connect()
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(),
                                            as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await client.close()
        #expect(daemon.stop() == 0)
        let stopping = try #require(notify.receive(), "no STOPPING=1")
        #expect(stopping.hasPrefix("STOPPING=1\n"), "\(stopping)")
    }

    @Test func watchdogPingsComeAtHalfTheConfiguredInterval() throws {
        let notify = try NotifySocket()
        // WatchdogSec=400ms: a ping every 200 ms while healthy.
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration()],
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { daemon.stop() }
        var pings: [Date] = []
        while pings.count < 4, let message = notify.receive() {
            if message.contains("WATCHDOG=1") { pings.append(Date()) }
        }
        try #require(pings.count == 4, "only \(pings.count) WATCHDOG=1 pings")
        let gaps = zip(pings.dropFirst(), pings).map { $0.timeIntervalSince($1) }
        // 200 ms apart, give or take a loaded machine; never a burst.
        #expect(gaps.allSatisfy { $0 > 0.1 && $0 < 1.5 }, "\(gaps)")
    }

    @Test func aWedgedStoreGetsNoWatchdogPings() throws {
        let notify = try NotifySocket()
        // The store's writer answers only after a second (fault injection);
        // the watchdog allows it 100 ms: no ping goes out, so systemd would restart it.
        let daemon = try DaemonProcess(extraArguments: ["--risk-config", try RiskMonitorTests.configuration(), "--fault-commit-delay-ms", "1500"],
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { daemon.stop() }
        let ready = try #require(notify.receive(), "no READY=1")
        #expect(ready.hasPrefix("READY=1"))
        var pinged = false
        while let message = notify.receive(within: 1) {
            if message.contains("WATCHDOG=1") { pinged = true; break }
        }
        #expect(!pinged)
    }

    @Test func socketActivationWithAUnixAndATCPSocket() async throws {
        let folder = NSTemporaryDirectory() + "tz-act-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/tz.sock"
        // A free port: bind port 0, read it, let it go.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(probe)

        // Over TCP a token is the identity.
        let access = try AccessFixture.file([(name: "county-clerk", role: "county_clerk", scope: "", uids: [])])
        let token = try AccessFixture.token(access, identity: "county-clerk")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        process.arguments = ["-l", path, "-l", "127.0.0.1:\(port)", "--fdname=unix:tcp",
                             DaemonProcess.binary, "--data-dir", folder, "--risk-config", try RiskMonitorTests.configuration(), "--access-file", access]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // systemd-socket-activate says "Listening on …" for each socket before it waits.
        var text = ""
        while text.components(separatedBy: "Listening on").count < 3 {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("Listening on \(path)"), "\(text)")
        // The first connection starts taizhangd, which adopts both sockets.
        let unix = try await TaizhangClient.connect(.unix(path: path))
        let health = try await unix.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(),
                                          as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        let tcp = try await TaizhangClient.connect(.tcp(host: "127.0.0.1", port: port))
        var unit = Taizhang_Ledger_V1_CreateAdminUnitRequest()
        unit.unit.code = "421024000000"
        unit.unit.name = "江陵县"
        unit.unit.level = .county
        let created = try await tcp.unary("/taizhang.ledger.v1.Ledger/CreateAdminUnit", unit, as: Taizhang_Ledger_V1_AdminUnit.self,
                                          metadata: AccessFixture.bearer(token))
        #expect(created.code == "421024000000")
        await unix.close()
        await tcp.close()
        kill(process.processIdentifier, SIGTERM)
        exited.wait()
        #expect(process.terminationStatus == 0)
        // The socket file is the manager's: the daemon leaves it.
        #expect(FileManager.default.fileExists(atPath: path))
        try? FileManager.default.removeItem(atPath: folder)
    }
}
