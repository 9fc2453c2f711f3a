// taizhang call METHOD 'JSON': any method, encoded with the descriptors that
// System/ListMethods serves (nothing compiled in about the method).

import ArgumentParser
import Foundation
import TaizhangClient
import TaizhangProto

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call any method with a JSON request; prints the JSON response.",
        discussion: """
        Example: taizhang call /taizhang.ledger.v1.Ledger/GetAsset '{"id": "ZC00000001"}'
        The short form Ledger/GetAsset also works. Field names may be proto (snake_case) or JSON (camelCase);
        enums by name; 64-bit integers as numbers or strings. The response prints with proto field names.
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The method: /package.Service/Method, or Service/Method.")
    var method: String

    @Argument(help: "The request as JSON (default {}); - reads it from standard input.")
    var json: String = "{}"

    @Option(name: .customLong("idempotency-key"), help: "Send this idempotency-key with the call.")
    var idempotencyKey: String?

    func run() async throws {
        let client = try await global.connect()
        defer { Task { await client.close() } }
        let listing = try await global.call(client, RPC.System.listMethods, Taizhang_System_V1_ListMethodsRequest(),
                                            as: Taizhang_System_V1_ListMethodsResponse.self)
        let wanted = method.hasPrefix("/") ? method : "/" + method
        guard let descriptor = listing.methods.first(where: { $0.name == wanted || $0.name.hasSuffix("." + wanted.dropFirst()) }) else {
            printError("taizhangd serves no method \(method); `taizhang methods` lists them")
            throw ExitCode(2)
        }
        let codec = try DynamicCodec(fileDescriptorSet: listing.fileDescriptorSet)
        let text = json == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : json
        let payload: Data
        do {
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            payload = try codec.encode(parsed, as: descriptor.requestType)
        } catch let error as DynamicCodec.CodecError {
            printError("the request does not fit \(descriptor.requestType): \(error)")
            throw ExitCode(2)
        } catch {
            printError("the request is not valid JSON: \(error.localizedDescription)")
            throw ExitCode(2)
        }
        var metadata = global.metadata
        if let idempotencyKey { metadata["idempotency-key"] = idempotencyKey }
        let response = try await client.call(descriptor.name, payload: payload, metadata: metadata, timeoutMillis: global.timeoutMillis)
        if response.hasStatus, response.status.code != .ok {
            try global.printJSON(response.status)
            throw ExitCode(Int32(10 + response.status.code.rawValue))
        }
        let decoded = try codec.decode(response.payload, as: descriptor.responseType)
        let out = try JSONSerialization.data(withJSONObject: decoded, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: out, as: UTF8.self))
    }
}

import SwiftProtobuf
