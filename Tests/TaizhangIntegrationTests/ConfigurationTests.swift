// The county's own calendar and depreciation policy, given to the real
// daemon as files: they change deadlines and depreciation, and a bad file
// stops the daemon at start with a message.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ConfigurationTests {
    static func file(_ name: String, _ text: String) throws -> String {
        let directory = NSTemporaryDirectory() + "tz-config-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Confirmed 2026-11-09, on notice from 2026-11-10, closed 2026-11-20: the
    /// handover deadline (30 working days) falls on 1 January 2027.
    static func handoverDue(_ daemon: DaemonProcess) async throws -> Taizhang_Ledger_V1_Lifecycle {
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let asset = try await Fixture.register(client, Fixture.asset(code: "CAL"))
        _ = try await LifecycleTests.step(client, "ConfirmOwnership", LifecycleTests.confirm(asset.id, date: "2026-11-09"))
        _ = try await LifecycleTests.step(client, "OpenPublication", LifecycleTests.open(asset.id, "2026-11-10"))
        let closed = try await LifecycleTests.step(client, "ClosePublication", LifecycleTests.close(asset.id, "2026-11-20"))
        await client.close()
        return closed.lifecycle
    }

    @Test func aLoadedYear_makesADeadlineFinal() async throws {
        // Without 2027: weekends only, 1 January 2027 counts as a working day, provisional.
        let builtIn = try DaemonProcess()
        defer { builtIn.stop() }
        let provisional = try await Self.handoverDue(builtIn)
        #expect(provisional.handoverDue == "2027-01-01")
        #expect(provisional.handoverDueProvisional)
        // With a 2027 calendar that gives 1 January off, the deadline moves to Monday 4 January and is final.
        let path = try Self.file("2027.json", #"{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#)
        let loaded = try DaemonProcess(extraArguments: ["--holidays-dir", (path as NSString).deletingLastPathComponent])
        defer { loaded.stop() }
        let final = try await Self.handoverDue(loaded)
        #expect(final.handoverDue == "2027-01-04")
        #expect(!final.handoverDueProvisional)
    }

    @Test func status_warnsWhileNextYearsCalendarIsMissing() async throws {
        // Built in: 2016–2026. From November 2026 on, a year the daemon must count is always missing.
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.warnings.count == 1)
        #expect(status.warnings.first?.contains("holiday calendar for 20") == true)
        await client.close()
    }

    @Test func aPolicyFile_changesWhatDepreciates() async throws {
        let path = try Self.file("policy.json", #"{"depreciate_public_welfare": true, "start": "month_after"}"#)
        let daemon = try DaemonProcess(extraArguments: ["--depreciation-policy", path])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var road = Fixture.asset(code: "ROAD")
        road.category = .publicWelfare
        road.subType = "村组道路"
        let asset = try await Fixture.register(client, road)
        var request = Taizhang_Ledger_V1_GetDepreciationRequest()
        request.assetID = asset.id
        request.asOf = "2019-12-31"
        let report = try await client.unary(Fixture.ledger + "GetDepreciation", request, as: Taizhang_Ledger_V1_DepreciationReport.self)
        #expect(report.depreciated)
        #expect(report.startConvention == "month_after")
        // From July 2019 (the month after June): 6 × 3,333 fen.
        #expect(report.accumulatedFen == 6 * 3_333)
        await client.close()
    }

    @Test func badConfigurationFiles_stopTheDaemonAtStart() throws {
        let policy = try Self.file("policy.json", #"{"classes": [{"code": "x", "name": "x", "minimum_years": 0, "sub_types": []}]}"#)
        #expect(throws: DaemonProcess.StartError.self) { _ = try DaemonProcess(extraArguments: ["--depreciation-policy", policy]) }
        let unknown = try Self.file("policy.json", #"{"salvage": 5}"#)
        #expect(throws: DaemonProcess.StartError.self) { _ = try DaemonProcess(extraArguments: ["--depreciation-policy", unknown]) }
        let calendar = try Self.file("2027.json", #"{"year": 2027, "days": [{"date": "2027-02-30", "isOffDay": true}]}"#)
        #expect(throws: DaemonProcess.StartError.self) {
            _ = try DaemonProcess(extraArguments: ["--holidays-dir", (calendar as NSString).deletingLastPathComponent])
        }
    }
}
