// Bounds on every string and repeated field of every request, over a real
// Unix socket against the real taizhangd. The test walks the served
// FileDescriptorSet itself: for every method, every field reachable from its
// request (nested messages and list entries included) gets a request one
// past its bound, built on the wire by hand, and must come back
// INVALID_ARGUMENT naming that field, with nothing written.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangClient
import TaizhangProto

@Suite(.serialized, .timeLimit(.minutes(3)))
struct RequestBoundsTests {
    /// The bounds docs/protocol.md states, written out independently of the server.
    static let stringMaxBytes = 4_096
    static let repeatedMaxDefault = 100
    static let repeatedMax: [String: Int] = [
        "taizhang.ledger.v1.BatchRegisterAssetsRequest.assets": 10_000,
        "taizhang.ledger.v1.ImportAssetsRequest.assets": 10_000,
        "taizhang.ledger.v1.Asset.documents": 200,
        "taizhang.ledger.v1.RecordHandoverRequest.documents": 200,
        "taizhang.ledger.v1.Handover.documents": 200,
        "taizhang.ledger.v1.Publication.objections": 200,
        "taizhang.ledger.v1.Lifecycle.valuations": 500,
        "taizhang.ledger.v1.OperationContract.payments": 240,
        "taizhang.ledger.v1.OperationContract.amendments": 200,
        "taizhang.ledger.v1.DistributionPlan.income_ids": 500,
        "taizhang.ledger.v1.Allocation.households": 5_000,
        "taizhang.ledger.v1.RecordCountRequest.lines": 2_000,
        "taizhang.ledger.v1.RecordCountRequest.surplus": 2_000,
        "taizhang.ledger.v1.StockTake.scope": 20_000,
        "taizhang.ledger.v1.StockTake.lines": 20_000,
        "taizhang.ledger.v1.StockTake.surplus": 20_000,
        "taizhang.ledger.v1.StockTake.upkeep_overdue": 20_000,
        "taizhang.ledger.v1.Upkeep.documents": 20,
        "taizhang.ledger.v1.AdvanceDistributionPlanRequest.payments": 10_000,
        "taizhang.household.v1.Household.members": 30,
        "taizhang.household.v1.ListHouseholdsRequest.categories": 6,
        "taizhang.household.v1.RevealHouseholdsRequest.ids": 1_000,
        "taizhang.household.v1.ImportHouseholdsRequest.households": 10_000,
    ]

    typealias FieldType = Google_Protobuf_FieldDescriptorProto.TypeEnum

    /// One request one past a bound, and the field the answer must name.
    struct Case {
        let method: String
        let payload: Data
        let field: String
    }

    /// Every case for `message`, each wrapped by `wrap` into the method's request.
    static func cases(method: String, message: String, path: String, messages: [String: Google_Protobuf_DescriptorProto],
                      seen: [String], wrap: (Data) -> Data, into out: inout [Case]) {
        guard let descriptor = messages[message], seen.count < 6, !seen.contains(message) else { return }
        for field in descriptor.field {
            let number = UInt64(field.number)
            let repeated = field.label == .repeated
            let typeName = String(field.typeName.dropFirst())
            if field.type == .message, messages[typeName]?.options.mapEntry == true {
                Issue.record("\(message).\(field.name) is a map; the test does not build maps (none in requests so far)")
                continue
            }
            let name = path + field.name
            if repeated {
                let max = repeatedMax[message + "." + field.name] ?? repeatedMaxDefault
                var body = Data()
                switch field.type {
                case .string, .bytes, .message, .group:
                    for _ in 0...max { body += Wire.tag(number, 2) + Wire.varint(0) }
                case .fixed32, .sfixed32, .float:
                    body = Wire.tag(number, 2) + Wire.varint(UInt64(4 * (max + 1))) + Data(count: 4 * (max + 1))
                case .fixed64, .sfixed64, .double:
                    body = Wire.tag(number, 2) + Wire.varint(UInt64(8 * (max + 1))) + Data(count: 8 * (max + 1))
                default:
                    body = Wire.tag(number, 2) + Wire.varint(UInt64(max + 1)) + Data(count: max + 1)
                }
                out.append(Case(method: method, payload: wrap(body), field: name))
            }
            let element = repeated ? name + "[0]" : name
            switch field.type {
            case .string, .bytes:
                let long = Data(repeating: UInt8(ascii: "a"), count: stringMaxBytes + 1)
                out.append(Case(method: method, payload: wrap(Wire.tag(number, 2) + Wire.varint(UInt64(long.count)) + long), field: element))
            case .message:
                cases(method: method, message: typeName, path: element + ".", messages: messages, seen: seen + [message],
                      wrap: { inner in wrap(Wire.tag(number, 2) + Wire.varint(UInt64(inner.count)) + inner) }, into: &out)
            default:
                break
            }
        }
    }

    @Test func everyFieldOfEveryRequest_pastItsBound_isInvalidArgumentNamingIt() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        let listing = try await client.unary("/taizhang.system.v1.System/ListMethods", Taizhang_System_V1_ListMethodsRequest(),
                                             as: Taizhang_System_V1_ListMethodsResponse.self)
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: listing.fileDescriptorSet)
        var messages: [String: Google_Protobuf_DescriptorProto] = [:]
        func add(_ message: Google_Protobuf_DescriptorProto, _ prefix: String) {
            messages[prefix + message.name] = message
            for nested in message.nestedType { add(nested, prefix + message.name + ".") }
        }
        for file in set.file { for message in file.messageType { add(message, file.package + ".") } }

        var all: [Case] = []
        for method in listing.methods {
            Self.cases(method: method.name, message: method.requestType, path: "", messages: messages, seen: [], wrap: { $0 }, into: &all)
        }
        // Every method with a bounded field (text, bytes, a list or a message) is covered; the walk reaches nested lists.
        let bounded: (Google_Protobuf_FieldDescriptorProto) -> Bool = { [.string, .bytes, .message].contains($0.type) || $0.label == .repeated }
        let withFields = Set(listing.methods.filter { messages[$0.requestType]?.field.contains(where: bounded) ?? false }.map(\.name))
        #expect(Set(all.map(\.method)) == withFields)
        #expect(all.count > 400)
        #expect(all.contains { $0.field == "plan.allocations[0].households" })
        #expect(all.contains { $0.field == "assets[0].lifecycle.publications[0].objections[0].content" })

        let before = try await Self.auditCount(client)
        var failures: [String] = []
        for test in all {
            let response = try await client.call(test.method, payload: test.payload)
            let named = response.status.violations.contains { $0.field == test.field }
            if response.status.code != .invalidArgument || !named {
                failures.append("\(test.method) \(test.field): \(response.status.code) \(response.status.violations.map(\.field))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(all.count) cases: \(failures.prefix(10))")
        #expect(try await Self.auditCount(client) == before)
        await client.close()
    }

    @Test func atTheBound_theBoundsLetTheRequestThrough() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        try await Fixture.seed(client)
        // 4,096 bytes of page token: the method's own check answers, not the bounds.
        var list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.pageToken = String(repeating: "a", count: Self.stringMaxBytes)
        let listed = try await client.call(Fixture.ledger + "ListAssets", payload: try list.serializedData())
        #expect(listed.status.code == .invalidArgument)
        #expect(listed.status.violations.map(\.field) == ["page_token"])
        #expect(!listed.status.violations[0].description_p.contains("at most \(Self.stringMaxBytes)"))
        // 100 owners is the most an asset has, and the bounds agree.
        var asset = Fixture.asset(code: "B-1")
        asset.owners = (0..<100).map { index in
            var owner = asset.owners[0]
            owner.name = "村集体\(index)"
            owner.shareBp = 100
            return owner
        }
        var register = Taizhang_Ledger_V1_RegisterAssetRequest()
        register.asset = asset
        let registered = try await client.call(Fixture.ledger + "RegisterAsset", payload: try register.serializedData())
        #expect(!registered.status.violations.contains { $0.description_p.contains("a request may carry") })
        asset.owners.append(asset.owners[0])
        register.asset = asset
        let refused = try await client.call(Fixture.ledger + "RegisterAsset", payload: try register.serializedData())
        #expect(refused.status.code == .invalidArgument)
        #expect(refused.status.violations.map(\.field) == ["asset.owners"])
        await client.close()
    }

    @Test func metadata_isBounded() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try await daemon.connect()
        let health = "/taizhang.system.v1.System/Health"
        let empty = try Taizhang_System_V1_HealthRequest().serializedData()
        var most: [String: String] = [:]
        for index in 0..<32 { most["x-\(index)"] = String(repeating: "v", count: 4_096) }
        #expect(try await client.call(health, payload: empty, metadata: most).status.code == .ok)
        var tooMany = most
        tooMany["x-32"] = "v"
        let many = try await client.call(health, payload: empty, metadata: tooMany)
        #expect(many.status.code == .invalidArgument)
        #expect(many.status.message.contains("33 metadata entries; at most 32"))
        let long = try await client.call(health, payload: empty, metadata: ["actor": String(repeating: "v", count: 4_097)])
        #expect(long.status.code == .invalidArgument)
        #expect(long.status.message.contains("metadata actor"))
        // The connection is still good.
        #expect(try await client.call(health, payload: empty).status.code == .ok)
        await client.close()
    }

    static func auditCount(_ client: TaizhangClient) async throws -> UInt64 {
        let status = try await client.unary("/taizhang.system.v1.System/Status", Taizhang_System_V1_StatusRequest(),
                                            as: Taizhang_System_V1_StatusResponse.self)
        return status.recordCounts["audit_entry"] ?? 0
    }
}

/// Protobuf wire encoding, by hand.
enum Wire {
    static func varint(_ value: UInt64) -> Data {
        var value = value
        var out = Data()
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    static func tag(_ number: UInt64, _ wireType: UInt64) -> Data { varint(number << 3 | wireType) }
}
