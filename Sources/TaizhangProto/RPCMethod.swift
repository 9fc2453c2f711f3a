// A method as code names it: its path, typed by its request and response.
// The table of every method (Generated/Methods.swift) is generated from
// proto/, so no hand-written code spells a method path.

import SwiftProtobuf

/// The namespace of the generated method table: `RPC.Ledger.getAsset`.
public enum RPC {}

/// One served method, typed by its request and response messages.
public struct RPCMethod<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>: AnyRPCMethod {
    /// "/taizhang.ledger.v1.Ledger/GetAsset", as the envelope carries it.
    public let path: String
    /// Whether the response is a stream of `Response` messages.
    public let serverStreaming: Bool

    /// A method at `path`.
    public init(path: String, serverStreaming: Bool) {
        self.path = path
        self.serverStreaming = serverStreaming
    }

    /// The request's full protobuf name.
    public var requestType: String { Request.protoMessageName }
    /// The response's full protobuf name.
    public var responseType: String { Response.protoMessageName }
}

/// A method of any request and response type.
public protocol AnyRPCMethod: Sendable {
    /// "/taizhang.ledger.v1.Ledger/GetAsset".
    var path: String { get }
    /// Whether the response is a stream.
    var serverStreaming: Bool { get }
    /// The request's full protobuf name.
    var requestType: String { get }
    /// The response's full protobuf name.
    var responseType: String { get }
}

extension AnyRPCMethod {
    /// "GetAsset".
    public var name: String { String(path[path.index(after: path.lastIndex(of: "/")!)...]) }
    /// "taizhang.ledger.v1.Ledger".
    public var service: String { String(path.dropFirst().prefix(while: { $0 != "/" })) }
}
