// The C client (clients/c, protobuf-c) and the Python client
// (clients/python) against the real daemon: each builds, runs its own test
// program (the C one under valgrind: zero errors, zero leaks) and its
// example (register an asset, list the village's ledger, follow alerts).

import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClientsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func exampleArguments(_ daemon: DaemonProcess) -> [String] {
        ["--socket", daemon.socketPath, "--village", "421024101201", "--project", "JL-2019-001", "--follow-seconds", "0"]
    }

    /// The example's lines: it registers `id`, after which 白马村 holds `village` assets.
    static func expectExampleOutput(_ output: String, id: String, village: Int) {
        #expect(output.contains("registered \(id) 村级光伏电站, 10000.00 yuan"), "\(output)")
        #expect(output.contains("ledger ZC00000001\t白马村光伏电站"), "\(output)")
        #expect(output.contains("village 421024101201: \(village) assets"), "\(output)")
        #expect(output.contains("stopped following alerts"), "\(output)")
    }

    @Test func theCClientPassesItsTestsUnderValgrindAndItsExampleRuns() throws {
        let (built, buildOutput) = try JournaldTests.outputAndError(["/usr/bin/make", "-C", Self.root + "/clients/c", "-j2"])
        try #require(built == 0, "make failed: \(buildOutput)")
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let (status, output) = try JournaldTests.outputAndError(["/usr/bin/make", "-s", "-C", Self.root + "/clients/c", "test",
                                                                 "SOCKET=" + daemon.socketPath])
        #expect(status == 0, "\(output)")
        #expect(output.range(of: #"ok \d+ checks"#, options: .regularExpression) != nil, "\(output)")
        #expect(!output.contains("FAIL"), "\(output)")
        // The test program seeded 白马村 with ZC00000001 to ZC00000003, and 1,200 assets in another village.
        let (example, exampleOutput) = try JournaldTests.outputAndError([Self.root + "/clients/c/build/taizhang-c-example"]
                                                                        + Self.exampleArguments(daemon))
        #expect(example == 0, "\(exampleOutput)")
        Self.expectExampleOutput(exampleOutput, id: "ZC00001204", village: 4)
    }

    @Test func thePythonClientPassesItsTestsAndItsExampleRuns() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let (status, output) = try JournaldTests.outputAndError(["/usr/bin/env", "python3", Self.root + "/clients/python/test_client.py",
                                                                 daemon.socketPath])
        #expect(status == 0, "\(output)")
        #expect(output.range(of: #"ok \d+ checks"#, options: .regularExpression) != nil, "\(output)")
        let (example, exampleOutput) = try JournaldTests.outputAndError(["/usr/bin/env", "python3", Self.root + "/clients/python/example.py"]
                                                                        + Self.exampleArguments(daemon))
        #expect(example == 0, "\(exampleOutput)")
        Self.expectExampleOutput(exampleOutput, id: "ZC00000002", village: 2)
    }
}
