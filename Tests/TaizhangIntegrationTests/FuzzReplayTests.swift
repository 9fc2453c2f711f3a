// The fuzzing harness in the ordinary build: the seed corpus and every kept
// finding (fuzz/regressions) are replayed against an in-process server,
// which must still serve afterwards; the committed seeds must be what the
// harness writes now (they follow the protos).

import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct FuzzReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let binary = (DaemonProcess.binary as NSString).deletingLastPathComponent + "/taizhang-fuzz"

    static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func seedsAndKeptFindings_replayWithoutHarm() throws {
        let (status, text) = try Self.run([Self.root + "/fuzz/seeds", Self.root + "/fuzz/regressions"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("the server still serves"), "\(text)")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/fuzz/seeds").count
            + FileManager.default.contentsOfDirectory(atPath: Self.root + "/fuzz/regressions").filter { !$0.hasPrefix(".") }.count
        #expect(text.contains("replayed \(inputs) inputs"), "\(text)")
    }

    @Test func theCommittedSeeds_areWhatTheHarnessWrites() throws {
        let folder = NSTemporaryDirectory() + "tz-seeds-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try Self.run(["--write-seeds", folder]).0 == 0)
        let fresh = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(fresh == (try FileManager.default.contentsOfDirectory(atPath: Self.root + "/fuzz/seeds").sorted()))
        for name in fresh {
            #expect(FileManager.default.contents(atPath: folder + "/" + name) == FileManager.default.contents(atPath: Self.root + "/fuzz/seeds/" + name),
                    "fuzz/seeds/\(name) is stale: run .build/debug/taizhang-fuzz --write-seeds fuzz/seeds")
        }
    }
}
