// Every status the server produces for bad input, over a real Unix socket
// against the real taizhangd.

import Foundation
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(2)))
struct StatusCodeTests {
    @Test func validRegistration_isOKAndEchoesRequestId() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var request = Taizhang_Ledger_V1_RegisterAssetRequest()
        request.asset = Fixture.asset(code: "A-1")
        let response = try await client.call(Fixture.ledger + "RegisterAsset", payload: try request.serializedData(),
                                             metadata: ["request-id": "county-42", "actor": "王会计"])
        #expect(!response.hasStatus || response.status.code == .ok)
        #expect(response.endOfStream)
        #expect(response.metadata["request-id"] == "county-42")
        let asset = try Taizhang_Ledger_V1_Asset(serializedBytes: response.payload)
        #expect(asset.id == "ZC00000001")
        #expect(asset.version == 1)
        // Depreciation as of today: 3,333 fen a month since June 2019 (25 years, operating).
        #expect(asset.accumulatedDepreciationFen > 0)
        #expect(asset.accumulatedDepreciationFen % 3_333 == 0)
        #expect(asset.netValueFen == 1_000_000 - asset.accumulatedDepreciationFen)
        var get = Taizhang_Ledger_V1_GetAssetRequest()
        get.id = asset.id
        let read = try await client.unary(Fixture.ledger + "GetAsset", get, as: Taizhang_Ledger_V1_Asset.self)
        #expect(read == asset)
        var audit = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        audit.recordID = asset.id
        let entries = try await client.unary(Fixture.ledger + "ListAuditEntries", audit, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self)
        #expect(entries.entries.count == 1)
        #expect(entries.entries[0].actor == "王会计")
        // Local mode (no access file): the daemon's own user is "local".
        #expect(entries.entries[0].identity == "local (uid:\(getuid()))")
        #expect(entries.entries[0].requestID == "county-42")
        await client.close()
    }

    @Test func invalidAsset_isInvalidArgumentListingEveryBadField() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = Fixture.asset()
        asset.funding[1].amountFen += 1
        asset.owners[0].shareBp = 9_000
        asset.category = .unspecified
        asset.acquiredDate = "2019-02-30"
        asset.originalValueFen = 1_000_000
        asset.usageStatus = .UNRECOGNIZED(42)
        await #expect {
            _ = try await Fixture.register(client, asset)
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            let fields = Set(error.status.violations.map(\.field))
            return error.status.code == .invalidArgument
                && fields == ["asset.funding", "asset.owners", "asset.category", "asset.acquired_date", "asset.usage_status"]
        }
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 0)
        await client.close()
    }

    @Test func negativeMoney_isInvalidArgument() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = Fixture.asset()
        asset.funding[0].amountFen = -1
        asset.funding[1].amountFen = 1_000_001
        await #expect {
            _ = try await Fixture.register(client, asset)
        } throws: { error in
            (error as? RPCError)?.status.violations.map(\.field) == ["asset.funding[0].amount_fen"]
        }
        await client.close()
    }

    @Test func unknownReferences_areInvalidArgument_duplicateCodeAlreadyExists() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = Fixture.asset(village: "421024109999")
        asset.projectID = "JL-NONE"
        await #expect {
            _ = try await Fixture.register(client, asset)
        } throws: { error in
            Set((error as? RPCError)?.status.violations.map(\.field) ?? []) == ["asset.admin_code", "asset.project_id"]
        }
        _ = try await Fixture.register(client, Fixture.asset(code: "DUP"))
        await #expect {
            _ = try await Fixture.register(client, Fixture.asset(code: "DUP"))
        } throws: { error in
            (error as? RPCError)?.status.code == .alreadyExists
        }
        await client.close()
    }

    @Test func missingRecord_isNotFound_unknownMethodUnimplemented() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        var get = Taizhang_Ledger_V1_GetAssetRequest()
        get.id = "ZC99999999"
        let notFound = try await client.call(Fixture.ledger + "GetAsset", payload: try get.serializedData())
        #expect(notFound.status.code == .notFound)
        #expect(notFound.status.message.contains("ZC99999999"))
        let unknown = try await client.call("/taizhang.ledger.v1.Ledger/Frobnicate", payload: Data())
        #expect(unknown.status.code == .unimplemented)
        #expect(unknown.status.message.contains("Frobnicate"))
        await client.close()
    }

    @Test func unparsablePayload_isInvalidArgument_andConnectionStaysOpen() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let garbage = try await client.call(Fixture.ledger + "GetAsset", payload: Data([0xFF, 0xFF, 0xFF]))
        #expect(garbage.status.code == .invalidArgument)
        #expect(garbage.status.message.contains("taizhang.ledger.v1.GetAssetRequest"))
        // A frame whose body is not a Request: call_id 0, INVALID_ARGUMENT, connection open.
        let envelopeError = client.expectResponse(callId: 0)
        try await client.sendRaw([0, 0, 0, 3, 0xFF, 0xFF, 0xFF])
        let response = try await envelopeError.get()
        #expect(response.callID == 0)
        #expect(response.status.code == .invalidArgument)
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await client.close()
    }

    @Test func oversizedFrame_isResourceExhaustedAndTheConnectionCloses() async throws {
        let daemon = try DaemonProcess(extraArguments: ["--frame-max-bytes", "1024"])
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let refusal = client.expectResponse(callId: 0)
        // Announces 1025 bytes and sends them, as a real client would.
        try await client.sendRaw([0, 0, 4, 1] + [UInt8](repeating: 0x41, count: 1025))
        let response = try await refusal.get()
        #expect(response.status.code == .resourceExhausted)
        #expect(response.status.message.contains("1024"))
        try await client.waitForClose()
        #expect(!client.isActive)
        // The daemon stays up for others.
        let other = try await daemon.connect()
        let health = try await other.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await other.close()
    }

    @Test func staleExpectedVersion_isAborted() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = try await Fixture.register(client, Fixture.asset())
        asset.note = "第一次修改"
        var update = Taizhang_Ledger_V1_UpdateAssetRequest()
        update.asset = asset
        update.expectedVersion = 1
        let updated = try await client.unary(Fixture.ledger + "UpdateAsset", update, as: Taizhang_Ledger_V1_Asset.self)
        #expect(updated.version == 2)
        update.asset.note = "基于旧版本的修改"
        let stale = try await client.call(Fixture.ledger + "UpdateAsset", payload: try update.serializedData())
        #expect(stale.status.code == .aborted)
        #expect(stale.status.message.contains("version 2"))
        await client.close()
    }

    @Test func idempotentRetry_returnsTheFirstResponse_differentPayloadFailedPrecondition() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let first = try await Fixture.register(client, Fixture.asset(code: "IDEM"), metadata: ["idempotency-key": "county-req-1"])
        let retry = try await Fixture.register(client, Fixture.asset(code: "IDEM"), metadata: ["idempotency-key": "county-req-1"])
        #expect(first == retry)
        await #expect {
            _ = try await Fixture.register(client, Fixture.asset(code: "OTHER"), metadata: ["idempotency-key": "county-req-1"])
        } throws: { error in
            (error as? RPCError)?.status.code == .failedPrecondition
        }
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(), as: Taizhang_System_V1_StatusResponse.self)
        #expect(status.recordCounts["asset"] == 1)
        await client.close()
    }

    @Test func batch_reportsEveryBadItemWithItsIndex_andRegistersNothing() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var batch = Taizhang_Ledger_V1_BatchRegisterAssetsRequest()
        batch.assets = (0..<50).map { Fixture.asset(code: "B\($0)") }
        batch.assets[7].owners[0].shareBp = 100
        batch.assets[31].acquiredDate = "yesterday"
        let refused = try await client.call(Fixture.ledger + "BatchRegisterAssets", payload: try batch.serializedData())
        #expect(refused.status.code == .invalidArgument)
        #expect(refused.status.violations.map(\.field) == ["assets[7].owners", "assets[31].acquired_date"])
        batch.assets[7] = Fixture.asset(code: "B7")
        batch.assets[31] = Fixture.asset(code: "B31")
        let accepted = try await client.unary(Fixture.ledger + "BatchRegisterAssets", batch, as: Taizhang_Ledger_V1_BatchRegisterAssetsResponse.self)
        #expect(accepted.ids.count == 50)
        var list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.adminCode = "421024000000"
        list.pageSize = 20
        var seen: [String] = []
        repeat {
            let page = try await client.unary(Fixture.ledger + "ListAssets", list, as: Taizhang_Ledger_V1_ListAssetsResponse.self)
            #expect(page.totalSize == 50)
            seen += page.assets.map(\.id)
            list.pageToken = page.nextPageToken
        } while !list.pageToken.isEmpty
        #expect(seen == accepted.ids)
        await client.close()
    }

    @Test func listing_limitsAndBadTokens() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.pageToken = "not-a-token"
        let badToken = try await client.call(Fixture.ledger + "ListAssets", payload: try list.serializedData())
        #expect(badToken.status.code == .invalidArgument)
        #expect(badToken.status.violations.map(\.field) == ["page_token"])
        list.pageToken = ""
        list.pageSize = -1
        let negative = try await client.call(Fixture.ledger + "ListAssets", payload: try list.serializedData())
        #expect(negative.status.violations.map(\.field) == ["page_size"])
        list.pageSize = 0
        list.adminCode = "421024555000"
        let unknownUnit = try await client.call(Fixture.ledger + "ListAssets", payload: try list.serializedData())
        #expect(unknownUnit.status.violations.map(\.field) == ["admin_code"])
        await client.close()
    }

    @Test func callIdZero_isReservedAndRefused() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let response = try await client.send(try Fixture.request("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), callId: 0))
        #expect(response.status.code == .invalidArgument)
        #expect(response.status.message.contains("call_id 0"))
        await client.close()
    }

    @Test func auditListing_pagesExactly_andHugeAfterSeqIsHarmless() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)   // 6 audit entries
        var request = Taizhang_Ledger_V1_ListAuditEntriesRequest()
        request.pageSize = 3
        let first = try await client.unary(Fixture.ledger + "ListAuditEntries", request, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self)
        #expect(first.entries.map(\.seq) == [1, 2, 3])
        #expect(first.nextAfterSeq == 3)
        request.afterSeq = 3
        let second = try await client.unary(Fixture.ledger + "ListAuditEntries", request, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self)
        #expect(second.entries.map(\.seq) == [4, 5, 6])
        #expect(second.nextAfterSeq == 0)
        request.afterSeq = .max
        let none = try await client.unary(Fixture.ledger + "ListAuditEntries", request, as: Taizhang_Ledger_V1_ListAuditEntriesResponse.self)
        #expect(none.entries.isEmpty)
        let health = try await client.unary("/taizhang.system.v1.System/Health", Taizhang_System_V1_HealthRequest(), as: Taizhang_System_V1_HealthResponse.self)
        #expect(health.status == .serving)
        await client.close()
    }

    @Test func oversizedText_isRefusedByBytesEvenWithCombiningMarks() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        var asset = Fixture.asset()
        asset.note = "a" + String(repeating: "\u{0301}", count: 1000)   // one character, 2001 bytes
        await #expect {
            _ = try await Fixture.register(client, asset)
        } throws: { error in
            (error as? RPCError)?.status.violations.map(\.field) == ["asset.note"]
        }
        await client.close()
    }

    @Test func nonLoopbackTCP_isRefusedWithoutTheOptIn() throws {
        #expect(throws: DaemonProcess.StartError.self) {
            _ = try DaemonProcess(extraArguments: ["--tcp", "0.0.0.0:0"])
        }
    }
}
