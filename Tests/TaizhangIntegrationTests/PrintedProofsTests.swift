// The QR codes on the printed pages (issue 24): the demo county's notice,
// plan notice, write-off ledger and half-year page each carry one code per
// record; zbarimg (zbar-tools) reads every code back from its PNG, and it
// says what the page prints under it; each names its record's latest
// entry, whose proof at that head checks with the daemon's key. No code
// names a household's record.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto
import TaizhangSheets

@Suite(.serialized, .timeLimit(.minutes(4)))
struct PrintedProofsTests {
    /// Every (PNG, printed text) pair of a page's verification codes.
    static func codes(_ html: String) throws -> [(png: Data, text: String)] {
        let pattern = try NSRegularExpression(pattern: #"<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"><figcaption>.*?<code class="qr-text">(.*?)</code>"#)
        return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { match in
            let base64 = String(html[Range(match.range(at: 1), in: html)!])
            let text = String(html[Range(match.range(at: 2), in: html)!]).replacingOccurrences(of: "&amp;", with: "&")
            return (Data(base64Encoded: base64)!, text)
        }
    }

    static func hex(_ data: Data) -> String { data.map { String(format: "%02x", $0) }.joined() }

    /// What zbarimg reads from a PNG.
    static func scan(_ png: Data) throws -> String {
        let path = NSTemporaryDirectory() + "tz-qr-" + UUID().uuidString + ".png"
        try png.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try CLITests.run("/usr/bin/zbarimg", ["--quiet", "--raw", path])
        #expect(run.status == 0, "zbarimg: \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .newlines)
    }

    @Test func everyCodeOnEveryPrintedPage_decodesToWhatThePageSays_andItsProofChecks() async throws {
        let daemon = try DaemonProcess()
        defer { _ = daemon.stop() }
        let load = try CLITests.taizhang(["demo", "load"], socket: daemon.socketPath)
        #expect(load.status == 0, "\(load.stderr)")
        let client = try await daemon.connect()
        defer { Task { await client.close() } }
        let plan = try await client.unary(RPC.Ledger.listDistributionPlans, .init()).plans.first { !$0.allocations.flatMap(\.households).isEmpty }
        let planId = try #require(plan?.id)
        let key = String(try CLITests.taizhang(["audit", "key"], socket: daemon.socketPath).stdout.split(separator: "\n").last ?? "")
        var seen = 0
        for (page, least) in [(["ledger", "export", "--admin", "421024101201", "--format", "html"], 5), (["plan", "export", planId, "--format", "html"], 1),
                              (["disposal", "export", "--format", "html"], 2), (["supervision", "publish", "--half", "2026H2", "--format", "html"], 5)] {
            let run = try CLITests.taizhang(page, socket: daemon.socketPath)
            #expect(run.status == 0, "\(page): \(run.stderr)")
            let codes = try Self.codes(run.stdout)
            #expect(codes.count >= least, "\(page): \(codes.count) codes")
            for (index, code) in codes.enumerated() {
                let read = try Self.scan(code.png)
                #expect(read == code.text, "\(page): the code reads \(read), the page says \(code.text)")
                let stamp = try #require(ProofStamp(text: read))
                #expect(!stamp.recordId.hasPrefix("HH"), "a household's record on a public page")
                // The code names the record's latest entry, in a signed head the daemon holds.
                let proof = try await client.unary(RPC.Ledger.proveRecord, .with { $0.recordID = stamp.recordId; $0.treeSize = stamp.treeSize })
                #expect(proof.entry.seq == stamp.seq)
                #expect(Self.hex(proof.leafHash) == stamp.leafHash && Self.hex(proof.rootHash) == stamp.rootHash)
                #expect(proof.signedHead.checkpoint.hasPrefix(stamp.log + "\n"))
                if index == 0 {
                    // The proof the code tells how to fetch checks offline.
                    let fetched = try CLITests.taizhang(stamp.command.split(separator: " ").dropFirst().map(String.init), socket: daemon.socketPath)
                    let file = try TransparencyTests.write(fetched.stdout)
                    defer { try? FileManager.default.removeItem(atPath: file) }
                    let check = try CLITests.taizhang(["audit", "check", file, "--key", key], socket: "")
                    #expect(check.status == 0, "\(check.stdout)")
                }
                seen += 1
            }
        }
        #expect(seen >= 13)
    }

    /// Asset tags 一物一码: every tag's code reads back as printed and names
    /// its asset; a count recorded by scanning tags (their text given for
    /// the asset) records those assets.
    @Test func assetTags_readBack_andACountTakesTheirScannedText() async throws {
        let daemon = try DaemonProcess()
        defer { _ = daemon.stop() }
        #expect(try CLITests.taizhang(["demo", "load"], socket: daemon.socketPath).status == 0)
        let village = "421024101201"
        let run = try CLITests.taizhang(["asset", "tags", "--admin", village], socket: daemon.socketPath)
        #expect(run.status == 0, "\(run.stderr)")
        let pattern = try NSRegularExpression(pattern: #"<div class="tag"><img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"><b>.*?<code class="qr-text">(.*?)</code>"#)
        let page = run.stdout
        let tags = pattern.matches(in: page, range: NSRange(page.startIndex..., in: page)).map { match in
            (id: String(page[Range(match.range(at: 1), in: page)!]), png: Data(base64Encoded: String(page[Range(match.range(at: 2), in: page)!]))!,
             text: String(page[Range(match.range(at: 3), in: page)!]).replacingOccurrences(of: "&amp;", with: "&"))
        }
        #expect(tags.count >= 5)
        var scanned: [String] = []
        for tag in tags {
            let read = try Self.scan(tag.png)
            #expect(read == tag.text)
            #expect(ProofStamp(text: read)?.recordId == tag.id)
            scanned.append(read)
        }
        let open = try CLITests.taizhang(["stocktake", "open", village, "--year", "2025", "--date", "2026-01-15", "--json"], socket: daemon.socketPath)
        #expect(open.status == 0, "\(open.stderr)")
        let countId = try #require(try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [String: Any])["id"] as! String
        let counted = try CLITests.taizhang(["stocktake", "count", countId, "--found", scanned[0] + ":好", "--lost", scanned[1]], socket: daemon.socketPath)
        #expect(counted.status == 0, "\(counted.stderr)")
        let count = try await daemon.connect().unary(RPC.Ledger.getStockTake, .with { $0.id = countId })
        #expect(count.lines.contains { $0.assetID == tags[0].id && $0.found && $0.condition == "好" })
        #expect(count.lines.contains { $0.assetID == tags[1].id && !$0.found })
    }

    /// The encoder's own checks: every length up to the limit reads back.
    @Test func theEncoder_roundTripsThroughZbarimg_andRefusesTooMuch() throws {
        for text in ["a", "台账", String(repeating: "x", count: 300), String(repeating: "码", count: 300)] {
            let read = try Self.scan(Data(QRCode(text).png()))
            #expect(read == text, "\(text.prefix(10)): read \(read.prefix(10))")
        }
        // A page's code (about 240 bytes of text): a PNG of under 4 KiB.
        #expect(try QRCode(String(repeating: "x", count: 240)).png().count < 4_096)
        #expect(throws: QRCodeError.self) { try QRCode(String(repeating: "x", count: 1_001)) }
        #expect(throws: QRCodeError.self) { try QRCode("") }
    }
}
