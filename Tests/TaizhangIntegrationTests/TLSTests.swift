// TLS on TCP against the real daemon, with certificates made by openssl:
// a client trusting the CA talks to it and authenticates with a token; a
// plain-TCP client gets nothing; client certificates are required when a
// client CA is configured; plain TCP off loopback is refused, TLS off
// loopback is allowed; the CLI speaks TLS with --tls-ca.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct TLSTests {
    /// A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, in a new folder.
    static func certificates() throws -> String {
        let folder = NSTemporaryDirectory() + "tz-tls-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let script = """
            set -e
            cd '\(folder)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Taizhang test CA' 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj '/CN=county-system' 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw AccessFixtureError(message: "openssl failed") }
        return folder
    }

    static let health = "/taizhang.system.v1.System/Health"

    @Test func aTLSClientTalksAndAuthenticates_aPlainOneGetsNothing() async throws {
        let folder = try Self.certificates()
        let access = try AccessFixture.file([(name: "county-viewer", role: "viewer", scope: "", uids: [])])
        let token = try AccessFixture.token(access, identity: "county-viewer")
        let daemon = try DaemonProcess(tcp: true, extraArguments: ["--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key",
                                                                   "--access-file", access])
        defer { daemon.stop() }
        let port = try #require(daemon.tcpPort)
        let client = try await TaizhangClient.connect(.tls(host: "127.0.0.1", port: port, tls: .init(caFile: folder + "/ca.pem")))
        let health = try await client.unary(Self.health, Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        _ = try await client.unary(Fixture.ledger + "ListAdminUnits", Taizhang_Ledger_V1_ListAdminUnitsRequest(),
                                   as: Taizhang_Ledger_V1_ListAdminUnitsResponse.self, metadata: AccessFixture.bearer(token))
        await client.close()
        // Plain TCP to the TLS port: no answer, the connection is closed.
        let plain = try await TaizhangClient.connect(.tcp(host: "127.0.0.1", port: port))
        await #expect(throws: (any Error).self) {
            _ = try await plain.unary(Self.health, Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        }
        await plain.close()
        // A client that does not trust the daemon's CA refuses it.
        let stranger = try await TaizhangClient.connect(.tls(host: "127.0.0.1", port: port, tls: .init(caFile: folder + "/client.pem")))
        await #expect(throws: (any Error).self) {
            _ = try await stranger.unary(Self.health, Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        }
        await stranger.close()
        // The CLI speaks TLS with --tls-ca, and authenticates with a token file.
        let tokenFile = folder + "/token"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let cli = try CLITests.taizhang(["admin", "list", "--host", "127.0.0.1", "--port", String(port), "--tls-ca", folder + "/ca.pem",
                                         "--token-file", tokenFile], socket: "")
        #expect(cli.status == 0, "\(cli.stderr)")
    }

    /// The Python client (clients/python) speaks TLS too: its own test
    /// program runs against the daemon's TLS port.
    @Test func thePythonClient_speaksTLS() throws {
        let folder = try Self.certificates()
        let access = try AccessFixture.file([(name: "county-viewer", role: "viewer", scope: "", uids: [])])
        let tokenFile = folder + "/viewer.token"
        try (try AccessFixture.token(access, identity: "county-viewer") + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(tcp: true, extraArguments: ["--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key",
                                                                   "--access-file", access])
        defer { daemon.stop() }
        let port = try #require(daemon.tcpPort)
        let (status, output) = try JournaldTests.outputAndError(["/usr/bin/env", "python3", ClientsTests.root + "/clients/python/test_tls.py",
                                                                 "localhost", String(port), folder + "/ca.pem", tokenFile, folder + "/client.pem"])
        #expect(status == 0, "\(output)")
        #expect(output.range(of: #"ok \d+ checks"#, options: .regularExpression) != nil, "\(output)")
    }

    @Test func clientCertificates_areRequiredWhenAClientCAIsSet() async throws {
        let folder = try Self.certificates()
        let daemon = try DaemonProcess(tcp: true, extraArguments: ["--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key",
                                                                   "--tls-client-ca", folder + "/ca.pem"])
        defer { daemon.stop() }
        let port = try #require(daemon.tcpPort)
        let without = try await TaizhangClient.connect(.tls(host: "127.0.0.1", port: port, tls: .init(caFile: folder + "/ca.pem")))
        await #expect(throws: (any Error).self) {
            _ = try await without.unary(Self.health, Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        }
        await without.close()
        let with = try await TaizhangClient.connect(.tls(host: "localhost", port: port,
                                                         tls: .init(caFile: folder + "/ca.pem", certificateFile: folder + "/client.pem", keyFile: folder + "/client.key")))
        let health = try await with.unary(Self.health, Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await with.close()
    }

    @Test func offLoopback_plainTCPIsRefused_TLSIsAllowed_badFilesExit78() throws {
        let folder = try Self.certificates()
        #expect(throws: DaemonProcess.StartError.self) { _ = try DaemonProcess(extraArguments: ["--tcp", "0.0.0.0:0"]) }
        let tls = try DaemonProcess(extraArguments: ["--tcp", "0.0.0.0:0", "--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key"])
        #expect(tls.tcpPort != nil)
        tls.stop()
        // A key without its certificate, and an unreadable certificate: configuration errors.
        #expect(throws: DaemonProcess.StartError.self) { _ = try DaemonProcess(extraArguments: ["--tcp", "127.0.0.1:0", "--tls-key", folder + "/server.key"]) }
        #expect(throws: DaemonProcess.StartError.self) {
            _ = try DaemonProcess(extraArguments: ["--tcp", "127.0.0.1:0", "--tls-cert", folder + "/missing.pem", "--tls-key", folder + "/server.key"])
        }
    }
}
