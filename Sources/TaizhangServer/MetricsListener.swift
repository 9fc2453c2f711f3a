// The optional HTTP listener for monitoring: GET /metrics in the Prometheus
// text format and GET /healthz for probes. One request per connection
// (Connection: close), a few connections at once, an idle timeout: it is
// for a scraper and a probe on the same host, not for the public.

import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Handles one HTTP connection of the metrics listener.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Most connections open at once; more are closed at once.
    static let connectionsMax = 16
    /// A connection that sends nothing for this long is closed.
    static let idleTimeout = TimeAmount.seconds(10)
    /// A connection is closed this long after it opened, answered or not
    /// (a client trickling bytes cannot hold a slot).
    static let connectionMaxAge = TimeAmount.seconds(30)
    /// Largest request body read (GET has none).
    static let bodyMaxBytes = 4096

    private let metrics: ServerMetrics
    private let health: @Sendable () -> (healthy: Bool, reason: String)
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var answered = false

    init(metrics: ServerMetrics, health: @escaping @Sendable () -> (healthy: Bool, reason: String)) {
        self.metrics = metrics
        self.health = health
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.eventLoop.scheduleTask(in: MetricsHTTPHandler.connectionMaxAge) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > MetricsHTTPHandler.bodyMaxBytes, !answered {
                respond(context: context, status: .payloadTooLarge, contentType: "text/plain; charset=utf-8",
                        body: Array("request body too large\n".utf8), includeBody: true)
            }
        case .end:
            guard let head, !answered else { return }
            route(head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else if event as? ChannelEvent == .inputClosed {
            // The client is done sending; close once answered (or now, with nothing asked).
            if !answered || head == nil { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !answered, error is HTTPParserError {
            respond(context: context, status: .badRequest, contentType: "text/plain; charset=utf-8",
                    body: Array("malformed HTTP request\n".utf8), includeBody: true)
        } else {
            context.close(promise: nil)
        }
    }

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard head.method == .GET || head.method == .HEAD else {
            respond(context: context, status: .methodNotAllowed, contentType: "text/plain; charset=utf-8",
                    body: Array("only GET and HEAD are served\n".utf8), includeBody: true, extra: [("Allow", "GET, HEAD")])
            return
        }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let includeBody = head.method == .GET
        // Both answers may block (a scrape reads the store; a health check
        // waits for every event loop, this one included): work off the loop.
        let promise = context.eventLoop.makePromise(of: (HTTPResponseStatus, String, [UInt8]).self)
        switch path {
        case "/metrics":
            let metrics = self.metrics
            DispatchQueue.global().async {
                promise.succeed((.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.render()))
            }
        case "/healthz":
            let health = self.health
            DispatchQueue.global().async {
                let (healthy, reason) = health()
                promise.succeed(healthy ? (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8))
                                        : (.serviceUnavailable, "text/plain; charset=utf-8", Array("not serving: \(reason)\n".utf8)))
            }
        default:
            promise.succeed((.notFound, "text/plain; charset=utf-8", Array("not found; served paths: /metrics, /healthz\n".utf8)))
        }
        answered = true
        promise.futureResult.assumeIsolated().whenSuccess { [self] (status, contentType, body) in
            self.respond(context: context, status: status, contentType: contentType, body: body, includeBody: includeBody)
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, contentType: String, body: [UInt8],
                         includeBody: Bool, extra: [(String, String)] = []) {
        answered = true
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count)), ("Connection", "close")])
        headers.add(contentsOf: extra)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if includeBody {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

extension TaizhangServer {
    /// Binds the metrics listener (/metrics, /healthz) at `host`:`port` on the
    /// server's event loops; `stopMetrics` closes it (the daemon's
    /// MetricsService, after the RPC listeners drained).
    /// Returns "http://HOST:PORT".
    public func startMetricsListener(host: String, port: Int) throws -> String {
        let metrics = self.metrics
        let open = Atomic<Int>(0)
        let health: @Sendable () -> (healthy: Bool, reason: String) = { [self] in self.health(timeoutMillis: 2000) }
        let channel = try ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 32)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A client may send its request and shut down its side: still answer it.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                let count = open.wrappingAdd(1, ordering: .relaxed).newValue
                channel.closeFuture.whenComplete { _ in open.wrappingSubtract(1, ordering: .relaxed) }
                if count > MetricsHTTPHandler.connectionsMax {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: MetricsHTTPHandler.idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(metrics: metrics, health: health))
                }
            }
            .bind(host: host, port: port).wait()
        metricsListeners.withLock { $0.append(channel) }
        let bound = channel.localAddress?.port ?? port
        return host.contains(":") ? "http://[\(host)]:\(bound)" : "http://\(host):\(bound)"
    }
}
