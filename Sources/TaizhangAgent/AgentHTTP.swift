// The agent's HTTP, on SwiftNIO: a small HTTP/1.1 client for webhook
// deliveries (one POST per connection, http or https, the whole exchange
// under one timeout, at most 64 KiB of response body) and the listener for
// the dashboard, /metrics and the server-sent-events stream (one request per
// connection, a few dozen connections and event streams at once, an idle
// timeout; it is for an operator's browser and a scraper, not the public).

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

// MARK: - Client

/// A complete HTTP response: its status and body.
public struct HTTPResult: Sendable {
    public let status: Int
    public let body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Why a POST got no complete response.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Posts webhook deliveries, one connection per call.
public final class AgentHTTPClient: Sendable {
    /// Largest response body read; more is an error.
    static let bodyMaxBytes = 64 * 1024

    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup) {
        self.group = group
    }

    /// POSTs `body` to `url` ("http://host[:port]/path?query" or "https://…"). https checks the
    /// server certificate against `caFile` (PEM) when given, else the system's roots, and the host name
    /// (SNI set to the host unless it is an IP literal). Sends Host, Content-Length, Connection: close,
    /// User-Agent: taizhang-agent and the given headers. Reads the whole response (at most 64 KiB of body;
    /// more is an error), Content-Length, chunked or close-delimited. Throws HTTPClientError on a bad URL,
    /// connection refused, TLS failure, timeout (the whole exchange, connect included, within `timeout`)
    /// or a response that ends early. One connection per call.
    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeAmount,
                     caFile: String?) async throws -> HTTPResult {
        let target = try AgentURL(url)
        let label = target.label
        let tls = try target.secure ? AgentHTTPClient.tlsContext(caFile: caFile, label: label) : nil
        let loop = group.next()
        let promise = loop.makePromise(of: HTTPResult.self)
        let millis = timeout.nanoseconds / 1_000_000
        let timeoutTask = loop.scheduleTask(in: timeout) {
            promise.fail(HTTPClientError("\(label): no complete response within \(millis) ms"))
        }
        promise.futureResult.whenComplete { _ in timeoutTask.cancel() }
        let head = AgentHTTPClient.requestHead(target, headers: headers, bodyCount: body.count)
        AgentHTTPClient.connect(target, on: loop, tls: tls, timeout: timeout, promise: promise).whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(HTTPClientError(AgentHTTPClient.describe(error, label: label)))
            case .success(let channel):
                // Closed once answered, failed or timed out (at once if that already happened).
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if !body.isEmpty {
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
                }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
                    promise.fail(HTTPClientError(AgentHTTPClient.describe(error, label: label)))
                }
            }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(HTTPClientError("\(label): cancelled"))
        }
    }

    /// Connects to `target` on `loop`: TLS first for https, then the HTTP
    /// codec, then the handler that completes `promise`.
    private static func connect(_ target: AgentURL, on loop: any EventLoop, tls: NIOSSLContext?, timeout: TimeAmount,
                                promise: EventLoopPromise<HTTPResult>) -> EventLoopFuture<any Channel> {
        // An IP address is not a server name (SNI): the certificate's IP SAN is checked instead.
        let serverName: String? = (try? SocketAddress(ipAddress: target.host, port: 0)) == nil ? target.host : nil
        let label = target.label
        return ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseCollector(promise: promise, label: label))
                }
            }
            .connect(host: target.host, port: target.port)
    }

    /// The client TLS context: TLS 1.2 or later, the server checked against
    /// the PEM certificates in `caFile`, or the system's roots.
    static func tlsContext(caFile: String?, label: String) throws -> NIOSSLContext {
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let caFile {
                let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !certificates.isEmpty else { throw HTTPClientError("no certificate in it") }
                configuration.trustRoots = .certificates(certificates)
            }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            let file = caFile.map { " with CA file \($0)" } ?? ""
            throw HTTPClientError("\(label): cannot set up TLS\(file): \(error)")
        }
    }

    /// The request head: Host, User-Agent (the caller's wins), the caller's
    /// headers except the framing ones, Content-Length, Connection: close.
    static func requestHead(_ target: AgentURL, headers given: [(String, String)], bodyCount: Int) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "User-Agent", value: "taizhang-agent")
        for (name, value) in given {
            switch name.lowercased() {
            case "host", "content-length", "connection", "transfer-encoding":
                continue
            case "user-agent":
                headers.replaceOrAdd(name: "User-Agent", value: value)
            default:
                headers.add(name: name, value: value)
            }
        }
        headers.add(name: "Content-Length", value: String(bodyCount))
        headers.add(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: .POST, uri: target.path, headers: headers)
    }

    /// A message for `error`, prefixed with the scheme, host and port (never
    /// the path or query, which may hold a token).
    static func describe(_ error: any Error, label: String) -> String {
        switch error {
        case let clientError as HTTPClientError:
            return clientError.description
        case let connectError as NIOConnectionError:
            let refused = connectError.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            if refused { return "\(label): connection refused" }
            if !connectError.connectionErrors.isEmpty {
                return "\(label): cannot connect: " + connectError.connectionErrors.map { "\($0.error)" }.joined(separator: "; ")
            }
            if let dnsError = connectError.dnsAError ?? connectError.dnsAAAAError {
                return "\(label): cannot resolve the host name: \(dnsError)"
            }
            return "\(label): cannot connect: \(connectError)"
        case let channelError as ChannelError:
            if case .connectTimeout = channelError { return "\(label): timed out connecting" }
            return "\(label): connection failed: \(channelError)"
        case let ioError as IOError:
            return "\(label): connection failed: \(ioError)"
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return "\(label): TLS failure: \(error)"
        case let parserError as HTTPParserError:
            return "\(label): malformed or truncated HTTP response (\(parserError))"
        default:
            return "\(label): \(error)"
        }
    }
}

/// An http or https URL, split for a request.
struct AgentURL: Sendable {
    let secure: Bool
    let host: String
    let port: Int
    /// The request target: path and query ("/" when empty), no fragment.
    let path: String

    var defaultPort: Int { secure ? 443 : 80 }
    /// "https://host:port", for messages.
    var label: String { (secure ? "https://" : "http://") + bracketedHost + ":\(port)" }
    var hostHeader: String { port == defaultPort ? bracketedHost : bracketedHost + ":\(port)" }
    private var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    init(_ url: String) throws {
        let rest: Substring
        if url.lowercased().hasPrefix("http://") {
            secure = false
            rest = url.dropFirst(7)
        } else if url.lowercased().hasPrefix("https://") {
            secure = true
            rest = url.dropFirst(8)
        } else {
            throw HTTPClientError("bad URL: it must start with http:// or https://")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        if target.isEmpty {
            path = "/"
        } else if target.hasPrefix("?") {
            path = "/" + String(target)
        } else {
            path = String(target)
        }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPClientError("bad URL: the path has spaces, control or non-ASCII characters (percent-encode them)")
        }
        let hostPort = try AgentURL.hostAndPort(rest[..<authorityEnd], defaultPort: secure ? 443 : 80)
        host = hostPort.host
        port = hostPort.port
    }

    /// "host", "host:port", "[v6]" or "[v6]:port".
    private static func hostAndPort(_ authority: Substring, defaultPort: Int) throws -> (host: String, port: Int) {
        guard !authority.contains("@") else { throw HTTPClientError("bad URL: user:password@ is not supported") }
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw HTTPClientError("bad URL: no ] after [") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw HTTPClientError("bad URL: junk after ]") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        // Printable ASCII, no brackets (0x5B, 0x5D) left over.
        let printable: (UInt8) -> Bool = { (0x21...0x7E).contains($0) && $0 != 0x5B && $0 != 0x5D }
        guard !host.isEmpty, host.utf8.allSatisfy(printable) else {
            throw HTTPClientError("bad URL: no host, or a host with spaces or non-ASCII characters")
        }
        var port = defaultPort
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw HTTPClientError("bad URL: bad port \"\(portText)\"")
            }
            port = number
        }
        return (String(host), port)
    }
}

/// Collects one response into the promise; fails it on an error or an end
/// before the response is complete.
final class HTTPResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPResult>
    private let label: String
    private var status: Int?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<HTTPResult>, label: String) {
        self.promise = promise
        self.label = label
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.removeAll()
        case .body(let buffer):
            guard body.count + buffer.readableBytes <= AgentHTTPClient.bodyMaxBytes else {
                promise.fail(HTTPClientError("\(label): response body larger than \(AgentHTTPClient.bodyMaxBytes) bytes"))
                context.close(promise: nil)
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let status else { return }
            if (100..<200).contains(status), status != 101 {
                // An interim response (100 Continue …): the real one follows.
                self.status = nil
                return
            }
            promise.succeed(HTTPResult(status: status, body: body))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(HTTPClientError("\(label): connection closed before the response was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS peer closing without close_notify: a close-delimited body
        // still ends cleanly, a truncated one fails in the decoder.
        if let tlsError = error as? NIOSSLError, tlsError == .uncleanShutdown { return }
        promise.fail(HTTPClientError(AgentHTTPClient.describe(error, label: label)))
        context.close(promise: nil)
    }
}

// MARK: - Server

/// One answer of the agent's listener.
public struct HTTPReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// What the route makes of a request.
public enum HTTPRoute: Sendable {
    case reply(HTTPReply)
    /// Keep the connection as a server-sent-events stream: 200 with
    /// "Content-Type: text/event-stream", "Cache-Control: no-cache" and
    /// chunked framing (HTTP/1.1; close-delimited for HTTP/1.0); `first` at
    /// once, then every text passed to `broadcast`.
    case eventStream(first: String)
}

/// The listener's limits.
enum AgentHTTPLimits {
    /// Most connections open at once; more are closed at once.
    static let connectionsMax = 64
    /// Most event streams open at once; more get 503.
    static let streamsMax = 32
    /// Largest request head (request line and headers).
    static let headMaxBytes = 8 * 1024
    /// Largest request body read (GET has none).
    static let bodyMaxBytes = 4096
    /// A connection (not a stream) that sends nothing for this long is closed.
    static let idleTimeout = TimeAmount.seconds(10)
    /// A connection that is not a stream is closed this long after it opened
    /// (a client trickling bytes cannot hold a slot).
    static let connectionMaxAge = TimeAmount.seconds(30)
    /// A comment line goes to every stream this often, so proxies keep it.
    static let pingInterval = TimeAmount.seconds(15)
    /// A stream with more than this written but not yet sent is dropped.
    static let streamBufferMax = 1 << 20

    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = AgentHTTPLimits.headMaxBytes
        limits.maxHeaderListSize = AgentHTTPLimits.headMaxBytes
        return limits
    }()
}

/// The agent's dashboard listener.
public final class AgentHTTPServer: Sendable {
    /// The bound port.
    public let port: Int
    private let listener: any Channel
    private let registry: AgentHTTPRegistry

    private init(listener: any Channel, registry: AgentHTTPRegistry, port: Int) {
        self.listener = listener
        self.registry = registry
        self.port = port
    }

    /// Binds `host:port` (port 0: any free port). `route(method, uri)` answers each request (uri includes the
    /// query string). Requests other than GET/HEAD get 405 without calling route.
    public static func start(group: any EventLoopGroup, host: String, port: Int,
                             route: @escaping @Sendable (_ method: String, _ uri: String) -> HTTPRoute) async throws -> AgentHTTPServer {
        let registry = AgentHTTPRegistry()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A client may send its request and shut down its side: still answer it.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                guard registry.admit(channel) else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: AgentHTTPLimits.idleTimeout))
                    // No pipelining assistance: it stops reading while a response is
                    // open, and a stream's client going away must be seen at once.
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false,
                                                         withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                                                         withDecoderLimitConfiguration: AgentHTTPLimits.decoderLimits)
                    try sync.addHandler(AgentHTTPHandler(registry: registry, route: route))
                }
            }
            .bind(host: host, port: port).get()
        return AgentHTTPServer(listener: channel, registry: registry, port: channel.localAddress?.port ?? port)
    }

    /// Writes `text` (already framed as SSE, e.g. "event: state\ndata: {…}\n\n") to every open event stream.
    public func broadcast(_ text: String) {
        registry.broadcast(ByteBuffer(string: text))
    }

    /// How many event streams are open.
    public var openStreams: Int {
        registry.streamCount
    }

    /// Stops listening and closes every connection.
    public func close() async {
        let connections = registry.shutDown()
        listener.close(promise: nil)
        try? await listener.closeFuture.get()
        for connection in connections { connection.close(promise: nil) }
        for connection in connections { try? await connection.closeFuture.get() }
    }
}

/// The listener's open connections and event streams.
final class AgentHTTPRegistry: Sendable {
    private struct State {
        var closed = false
        var connections: [ObjectIdentifier: any Channel] = [:]
        var streams: [ObjectIdentifier: EventStreamSink] = [:]
    }

    private let state = Mutex(State())

    /// Counts `channel` in, unless the listener is closed or full.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = state.withLock { state -> Bool in
            guard !state.closed, state.connections.count < AgentHTTPLimits.connectionsMax else { return false }
            state.connections[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [self] _ in
                state.withLock { state in
                    state.connections[id] = nil
                    state.streams[id] = nil
                }
            }
        }
        return admitted
    }

    /// Counts a stream in, unless there are already as many as allowed.
    func addStream(_ sink: EventStreamSink) -> Bool {
        let id = ObjectIdentifier(sink.channel)
        let added = state.withLock { state -> Bool in
            guard !state.closed, state.streams.count < AgentHTTPLimits.streamsMax else { return false }
            state.streams[id] = sink
            return true
        }
        // Also when the channel closed already: the callback then runs at once.
        if added {
            sink.channel.closeFuture.whenComplete { [self] _ in state.withLock { $0.streams[id] = nil } }
        }
        return added
    }

    func broadcast(_ buffer: ByteBuffer) {
        let sinks = state.withLock { Array($0.streams.values) }
        for sink in sinks { sink.send(buffer) }
    }

    var streamCount: Int {
        state.withLock { $0.streams.count }
    }

    /// Refuses new connections; returns the open ones.
    func shutDown() -> [any Channel] {
        state.withLock { state in
            state.closed = true
            return Array(state.connections.values)
        }
    }
}

/// One event stream: writes from any thread, bounded by what is still
/// waiting to be sent.
final class EventStreamSink: Sendable {
    static let ping = ByteBuffer(string: ": ping\n\n")

    let channel: any Channel
    /// Bytes written but not yet handed to the socket.
    private let pending = Atomic<Int>(0)

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Writes `buffer` as a body part; a client that does not read and lets
    /// more than `streamBufferMax` pile up is dropped. Writes to a closed
    /// channel fail and are dropped.
    func send(_ buffer: ByteBuffer) {
        let bytes = buffer.readableBytes
        guard bytes > 0 else { return }  // an empty chunk would end the stream
        let pendingNow = pending.wrappingAdd(bytes, ordering: .relaxed).newValue
        guard pendingNow <= AgentHTTPLimits.streamBufferMax else {
            pending.wrappingSubtract(bytes, ordering: .relaxed)
            channel.close(promise: nil)
            return
        }
        channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer))).whenComplete { [self] _ in
            pending.wrappingSubtract(bytes, ordering: .relaxed)
        }
    }
}

/// Handles one connection of the listener: one request, answered by the
/// route, or turned into an event stream.
final class AgentHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: AgentHTTPRegistry
    private let route: @Sendable (String, String) -> HTTPRoute
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var answered = false
    private var streaming = false
    private var maxAge: Scheduled<Void>?

    init(registry: AgentHTTPRegistry, route: @escaping @Sendable (String, String) -> HTTPRoute) {
        self.registry = registry
        self.route = route
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        maxAge = context.eventLoop.assumeIsolated().scheduleTask(in: AgentHTTPLimits.connectionMaxAge) { [self] in
            if !self.streaming { channel.close(promise: nil) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        maxAge?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if self.head == nil { self.head = head }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > AgentHTTPLimits.bodyMaxBytes, !answered {
                let readable = head?.method == .GET || head?.method == .HEAD
                respond(context: context, status: readable ? .payloadTooLarge : .methodNotAllowed,
                        body: readable ? "request body too large\n" : "only GET and HEAD are served\n",
                        extra: readable ? [] : [("Allow", "GET, HEAD")])
            }
        case .end:
            guard let head, !answered else { return }
            dispatch(head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // A stream's client sends nothing after its request: that is fine.
            if !streaming { context.close(promise: nil) }
        } else if event as? ChannelEvent == .inputClosed {
            // Nothing asked, or a stream whose client went away: close. An
            // answer on its way closes the connection itself.
            if !answered || streaming { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !answered, let parserError = error as? HTTPParserError {
            if parserError == .headerOverflow {
                respond(context: context, status: .requestHeaderFieldsTooLarge,
                        body: "request head too large (at most \(AgentHTTPLimits.headMaxBytes) bytes)\n")
            } else {
                respond(context: context, status: .badRequest, body: "malformed HTTP request\n")
            }
        } else {
            context.close(promise: nil)
        }
    }

    /// Answers a complete request: 405 for a method other than GET or HEAD,
    /// else what the route says (asked off the event loop: it may block).
    private func dispatch(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        answered = true
        guard head.method == .GET || head.method == .HEAD else {
            respond(context: context, status: .methodNotAllowed, body: "only GET and HEAD are served\n",
                    extra: [("Allow", "GET, HEAD")])
            return
        }
        let includeBody = head.method == .GET
        let route = self.route
        let method = head.method.rawValue
        let uri = head.uri
        let promise = context.eventLoop.makePromise(of: HTTPRoute.self)
        DispatchQueue.global().async {
            promise.succeed(route(method, uri))
        }
        promise.futureResult.assumeIsolated().whenSuccess { [self] answer in
            switch answer {
            case .reply(let reply):
                self.respond(context: context, status: HTTPResponseStatus(statusCode: reply.status),
                             contentType: reply.contentType, body: reply.body, includeBody: includeBody)
            case .eventStream(let first):
                self.startStream(context: context, version: head.version, first: first, includeBody: includeBody)
            }
        }
    }

    /// Turns the connection into an event stream (or answers 503 when there
    /// are too many, or the head alone for HEAD).
    private func startStream(context: ChannelHandlerContext, version: HTTPVersion, first: String, includeBody: Bool) {
        guard context.channel.isActive else { return }
        let streamHeaders = [("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no")]
        guard includeBody else {
            respond(context: context, status: .ok, contentType: "text/event-stream", body: [], includeBody: false,
                    extra: streamHeaders)
            return
        }
        let sink = EventStreamSink(channel: context.channel)
        guard registry.addStream(sink) else {
            respond(context: context, status: .serviceUnavailable,
                    body: "too many event streams open (at most \(AgentHTTPLimits.streamsMax)); try again later\n")
            return
        }
        streaming = true
        maxAge?.cancel()
        var headers = HTTPHeaders([("Content-Type", "text/event-stream"), ("Connection", "close")])
        headers.add(contentsOf: streamHeaders)
        // No Content-Length: the encoder frames the body chunked for HTTP/1.1;
        // for HTTP/1.0 the close ends it.
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))),
                              promise: nil)
        sink.send(ByteBuffer(string: first))
        let interval = AgentHTTPLimits.pingInterval
        let ping = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            sink.send(EventStreamSink.ping)
        }
        context.channel.closeFuture.whenComplete { _ in ping.cancel() }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String,
                         extra: [(String, String)] = []) {
        respond(context: context, status: status, contentType: "text/plain; charset=utf-8", body: Array(body.utf8),
                includeBody: head?.method != .HEAD, extra: extra)
    }

    /// Writes a whole reply with Connection: close, then closes.
    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, contentType: String, body: [UInt8],
                         includeBody: Bool, extra: [(String, String)] = []) {
        answered = true
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count)), ("Connection", "close")])
        headers.add(contentsOf: extra)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if includeBody, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
