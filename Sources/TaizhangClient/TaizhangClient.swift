// An async client for the Taizhang protocol: one connection, many calls in
// flight, responses paired by call_id. Used by the CLI and the tests.

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import SwiftProtobuf
import TaizhangProto
import TaizhangWire

/// A call that ended with a non-OK status.
public struct RPCError: Error, CustomStringConvertible, Sendable {
    /// The status the server sent.
    public let status: Taizhang_Rpc_V1_Status
    /// The response metadata (request-id).
    public let metadata: [String: String]

    public var description: String {
        var text = "\(status.code) (\(status.code.rawValue)): \(status.message)"
        for violation in status.violations {
            text += "\n  \(violation.field): \(violation.description_p)"
        }
        return text
    }
}

/// The connection closed before the call's response arrived.
public struct ConnectionClosedError: Error, CustomStringConvertible, Sendable {
    public var description: String { "the connection to taizhangd closed before the response arrived" }
}

/// A connection to taizhangd.
public final class TaizhangClient: Sendable {
    private let channel: any Channel
    private let pending: PendingCalls
    private let nextCallId = Atomic<UInt64>(1)
    private let ownedGroup: MultiThreadedEventLoopGroup?

    /// Where to connect.
    public enum Target: Sendable, CustomStringConvertible {
        case unix(path: String)
        case tcp(host: String, port: Int)
        /// TCP with TLS: the server's certificate is checked against `tls.caFile`
        /// (and its name against `host`, unless `tls.serverName` says otherwise).
        case tls(host: String, port: Int, tls: ClientTLS)

        public var description: String {
            switch self {
            case .unix(let path): return "unix:\(path)"
            case .tcp(let host, let port): return "tcp:\(host):\(port)"
            case .tls(let host, let port, _): return "tls:\(host):\(port)"
            }
        }
    }

    /// What a TLS connection trusts and presents.
    public struct ClientTLS: Sendable {
        /// PEM CA certificate(s) the server's certificate must chain to; nil: the system's.
        public var caFile: String?
        /// PEM certificate and key to present, when the server asks for one.
        public var certificateFile: String?
        public var keyFile: String?
        /// The name to check the certificate against; nil: the host.
        public var serverName: String?

        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.serverName = serverName
        }

        func context() throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let caFile { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
            if let certificateFile, let keyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: configuration)
        }
    }

    private init(channel: any Channel, pending: PendingCalls, ownedGroup: MultiThreadedEventLoopGroup?) {
        self.channel = channel
        self.pending = pending
        self.ownedGroup = ownedGroup
    }

    /// Connects to `target`, within `timeoutMillis`.
    public static func connect(_ target: Target, timeoutMillis: Int64 = 5_000,
                               group: (any EventLoopGroup)? = nil) async throws -> TaizhangClient {
        let owned = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let pending = PendingCalls()
        var tls: (NIOSSLContext, String?)?
        if case .tls(let host, _, let options) = target {
            do {
                // An IP address is not a server name (SNI): the certificate's IP SAN is checked instead.
                let name = options.serverName ?? host
                tls = (try options.context(), name.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : name)
            } catch {
                try? await owned?.shutdownGracefully()
                throw error
            }
        }
        let bootstrap = ClientBootstrap(group: group ?? owned!)
            .connectTimeout(.milliseconds(timeoutMillis))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let (context, name) = tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameMaxBytes: 64 * 1024 * 1024)))
                    try channel.pipeline.syncOperations.addHandler(ClientHandler(pending: pending))
                }
            }
        do {
            let channel: any Channel
            switch target {
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port), .tls(let host, let port, _):
                channel = try await bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1).connect(host: host, port: port).get()
            }
            return TaizhangClient(channel: channel, pending: pending, ownedGroup: owned)
        } catch {
            try? await owned?.shutdownGracefully()
            throw error
        }
    }

    /// Sends `request` as is (any call_id, cancel, metadata) and returns the
    /// final response for its call_id.
    public func send(_ request: Taizhang_Rpc_V1_Request) async throws -> Taizhang_Rpc_V1_Response {
        let promise = channel.eventLoop.makePromise(of: Taizhang_Rpc_V1_Response.self)
        pending.register(request.callID, promise)
        let frame = try Frames.encode(request, allocator: channel.allocator)
        channel.writeAndFlush(frame).whenFailure { [pending] error in pending.fail(request.callID, error) }
        return try await promise.futureResult.get()
    }

    /// Sends a request without waiting; the returned future (registered
    /// before the bytes leave) completes with its final response.
    @discardableResult
    public func sendWithoutWaiting(_ request: Taizhang_Rpc_V1_Request) throws -> EventLoopFuture<Taizhang_Rpc_V1_Response> {
        let promise = channel.eventLoop.makePromise(of: Taizhang_Rpc_V1_Response.self)
        pending.register(request.callID, promise)
        let frame = try Frames.encode(request, allocator: channel.allocator)
        channel.writeAndFlush(frame).whenFailure { [pending] error in pending.fail(request.callID, error) }
        return promise.futureResult
    }

    /// Sends a request and registers nothing (pair it with `expectResponse`).
    public func write(_ request: Taizhang_Rpc_V1_Request) throws {
        channel.writeAndFlush(try Frames.encode(request, allocator: channel.allocator), promise: nil)
    }

    /// Starts waiting for the response to `callId` now (e.g. call_id 0,
    /// before sending what provokes it), so it cannot arrive unheard.
    public func expectResponse(callId: UInt64) -> EventLoopFuture<Taizhang_Rpc_V1_Response> {
        let promise = channel.eventLoop.makePromise(of: Taizhang_Rpc_V1_Response.self)
        pending.register(callId, promise)
        return promise.futureResult
    }

    /// Sends raw bytes (for tests of the framing).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }


    /// A fresh call id.
    public func makeCallId() -> UInt64 {
        nextCallId.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Calls `method` with raw payload bytes.
    public func call(_ method: String, payload: Data, metadata: [String: String] = [:], timeoutMillis: UInt32 = 0) async throws -> Taizhang_Rpc_V1_Response {
        var request = Taizhang_Rpc_V1_Request()
        request.callID = makeCallId()
        request.method = method
        request.payload = payload
        request.metadata = metadata
        request.timeoutMs = timeoutMillis
        return try await send(request)
    }

    /// Calls a unary method; throws `RPCError` on a non-OK status.
    public func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>, _ request: Request, as: Response.Type = Response.self,
        metadata: [String: String] = [:], timeoutMillis: UInt32 = 0
    ) async throws -> Response {
        try await unary(method.path, request, as: Response.self, metadata: metadata, timeoutMillis: timeoutMillis)
    }

    /// Starts a server-streaming call of `method` (see `stream(_:payload:)`).
    public func stream<Request: SwiftProtobuf.Message, Item: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Item>, _ request: Request, metadata: [String: String] = [:], timeoutMillis: UInt32 = 0
    ) throws -> (callId: UInt64, items: AsyncThrowingStream<Data, any Error>) {
        try stream(method.path, payload: try request.serializedData(), metadata: metadata, timeoutMillis: timeoutMillis)
    }

    /// Calls a unary method by its path; throws `RPCError` on a non-OK status.
    public func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, as: Response.Type = Response.self,
        metadata: [String: String] = [:], timeoutMillis: UInt32 = 0
    ) async throws -> Response {
        let response = try await call(method, payload: try request.serializedData(), metadata: metadata, timeoutMillis: timeoutMillis)
        if response.hasStatus, response.status.code != .ok {
            throw RPCError(status: response.status, metadata: response.metadata)
        }
        return try Response(serializedBytes: response.payload)
    }

    /// Starts a server-streaming call. Its items (serialized response
    /// messages) arrive on the returned sequence, which ends when the server
    /// ends the stream: normally on OK, by throwing `RPCError` otherwise
    /// (CANCELLED after `cancel`, UNAVAILABLE on shutdown).
    public func stream(_ method: String, payload: Data, metadata: [String: String] = [:], timeoutMillis: UInt32 = 0)
        throws -> (callId: UInt64, items: AsyncThrowingStream<Data, any Error>) {
        var request = Taizhang_Rpc_V1_Request()
        request.callID = makeCallId()
        request.method = method
        request.payload = payload
        request.metadata = metadata
        request.timeoutMs = timeoutMillis
        let (items, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        pending.registerStream(request.callID, continuation)
        let frame = try Frames.encode(request, allocator: channel.allocator)
        let callId = request.callID
        channel.writeAndFlush(frame).whenFailure { [pending] error in pending.failStream(callId, error) }
        return (callId, items)
    }

    /// Asks the server to end call `callId` (a stream ends with CANCELLED).
    public func cancel(callId: UInt64) throws {
        var request = Taizhang_Rpc_V1_Request()
        request.callID = callId
        request.cancel = true
        try write(request)
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Waits until the server closes the connection.
    public func waitForClose() async throws {
        try await channel.closeFuture.get()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
        try? await ownedGroup?.shutdownGracefully()
    }
}

/// Calls waiting for their responses.
final class PendingCalls: Sendable {
    /// The waiters per call id, first come first served (a test may wait
    /// twice on one id), or nil once the connection closed: one lock for
    /// both, so a call registered as the connection closes is failed, never
    /// left waiting forever.
    private let calls = Mutex<[UInt64: [EventLoopPromise<Taizhang_Rpc_V1_Response>]]?>([:])
    /// Open server-streaming calls.
    private let streams = Mutex<[UInt64: AsyncThrowingStream<Data, any Error>.Continuation]?>([:])
    /// Why the connection ended, once it did: the status the server sent on
    /// call_id 0 before closing (shutdown, idle, a bad frame), else closed.
    private let ending = Mutex<RPCError?>(nil)

    private var endError: any Error { ending.withLock { $0 } ?? ConnectionClosedError() }

    func registerStream(_ callId: UInt64, _ continuation: AsyncThrowingStream<Data, any Error>.Continuation) {
        let accepted = streams.withLock { streams -> Bool in
            guard streams != nil else { return false }
            streams![callId] = continuation
            return true
        }
        if !accepted { continuation.finish(throwing: endError) }
    }

    func failStream(_ callId: UInt64, _ error: any Error) {
        streams.withLock { $0?.removeValue(forKey: callId) }?.finish(throwing: error)
    }

    /// Delivers a response to its stream; false when no stream has its call id.
    private func deliverToStream(_ response: Taizhang_Rpc_V1_Response) -> Bool {
        if response.endOfStream {
            guard let continuation = streams.withLock({ $0?.removeValue(forKey: response.callID) }) else { return false }
            if response.hasStatus, response.status.code != .ok {
                continuation.finish(throwing: RPCError(status: response.status, metadata: response.metadata))
            } else {
                continuation.finish()
            }
            return true
        }
        guard let continuation = streams.withLock({ $0?[response.callID] }) else { return false }
        continuation.yield(response.payload)
        return true
    }

    func register(_ callId: UInt64, _ promise: EventLoopPromise<Taizhang_Rpc_V1_Response>) {
        let accepted = calls.withLock { calls -> Bool in
            guard calls != nil else { return false }
            calls![callId, default: []].append(promise)
            return true
        }
        if !accepted { promise.fail(endError) }
    }

    private func take(_ callId: UInt64) -> EventLoopPromise<Taizhang_Rpc_V1_Response>? {
        calls.withLock { calls in
            guard var waiting = calls?[callId], !waiting.isEmpty else { return nil }
            let first = waiting.removeFirst()
            calls?[callId] = waiting.isEmpty ? nil : waiting
            return first
        }
    }

    func complete(_ response: Taizhang_Rpc_V1_Response) {
        if response.callID != 0, deliverToStream(response) { return }
        guard response.endOfStream || response.callID == 0 else { return }
        if let waiter = take(response.callID) {
            waiter.succeed(response)
        } else if response.callID == 0, response.hasStatus {
            // The server says why it is closing the connection: every call
            // still waiting, and every later one, fails with that status.
            ending.withLock { $0 = RPCError(status: response.status, metadata: response.metadata) }
            failAll()
        }
    }

    func fail(_ callId: UInt64, _ error: any Error) {
        take(callId)?.fail(error)
    }

    func failAll() {
        let all = calls.withLock { calls in
            defer { calls = nil }
            return (calls ?? [:]).values.flatMap { $0 }
        }
        let error = endError
        for promise in all { promise.fail(error) }
        let open = streams.withLock { streams in
            defer { streams = nil }
            return Array((streams ?? [:]).values)
        }
        for continuation in open { continuation.finish(throwing: error) }
    }
}

/// Pairs incoming responses with waiting calls.
final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let pending: PendingCalls

    init(pending: PendingCalls) {
        self.pending = pending
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let body = unwrapInboundIn(data)
        guard let response = try? Frames.decode(Taizhang_Rpc_V1_Response.self, from: body) else {
            context.close(promise: nil)
            return
        }
        pending.complete(response)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending.failAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
