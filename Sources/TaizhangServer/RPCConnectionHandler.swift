// One connection's protocol: decodes Requests, enforces the per-connection
// limits, dispatches to the method table, tracks calls in flight (cancel,
// deadlines, duplicate call ids) and writes Responses. Runs on the
// connection's event loop; completions from other threads hop back to it.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import TaizhangCore
import TaizhangProto
import TaizhangStore
import TaizhangWire

/// Sent to every connection once the calls in flight have drained.
struct ServerStopping: Sendable {}

/// While draining, only the system service (health, status) is answered.
private let systemPrefix = "/" + RPC.System.service + "/"

/// The server side of one connection.
final class RPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct InFlight {
        /// Tells this call from a later one that reuses its call_id.
        let serial: UInt64
        let method: String
        let requestId: String
        let startedNanos: UInt64
        /// The identity whose per-identity limits the call counts against (nil: none).
        var limitKey: String? = nil
        var ticket: (any MutationTicket)?
        var deadline: Scheduled<Void>?
        /// The deadline passed or a cancel came, but the mutation had already
        /// started: its real outcome is sent when it arrives.
        var overdue = false
        /// A server-streaming call's stream.
        var stream: ServerStream?
        /// Bytes of items written while the channel was not writable (a
        /// client that does not read its stream is cut off past `streamBacklogMaxBytes`).
        var backlogBytes = 0
    }

    /// Most bytes of stream items queued for a connection that does not read them.
    static let streamBacklogMaxBytes = 32 << 20

    private let server: ServerState
    private var calls: [UInt64: InFlight] = [:]
    private var nextSerial: UInt64 = 0
    private var identity = "unknown"
    /// The Unix peer's user (SO_PEERCRED); nil on TCP.
    private var peerUID: UInt32?
    private var needsFlush = false
    private var admitted = false
    /// An oversized frame was refused: the stream is abandoned, the refusal
    /// is being written, and the connection closes when it is out.
    private var refusing = false
    private var context: ChannelHandlerContext?

    private let progress: FrameProgress
    /// The periodic check of the idle and slow-frame limits.
    private var timeoutCheck: RepeatedTask?
    /// When the last call ended (idle time counts from the later of this and the last byte).
    private var lastCallEndedNanos: UInt64 = 0
    /// When this connection's streams were last checked against the access policy.
    private var lastStreamCheckNanos: UInt64 = 0

    init(server: ServerState, progress: FrameProgress? = nil) {
        self.server = server
        self.progress = progress ?? FrameProgress(clock: server.clock)
    }

    // MARK: Connection life

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        guard server.admit(context.channel) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        identify(context.channel)
        scheduleTimeoutCheck(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeoutCheck?.cancel()
        timeoutCheck = nil
        if admitted { server.release(context.channel) }
        for (_, call) in calls {
            call.deadline?.cancel()
            if let stream = call.stream {
                server.unregister(stream)
                stream.ended()
            }
            // A mutation whose whole frame arrived is still applied (the
            // protocol loses only a partial frame); its answer has nowhere to go.
            released(call)
        }
        calls.removeAll()
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the refusal, the decoder reports every further read as an
        // error; the rest of the oversized body is ignored until the close.
        if refusing { return }
        if let tooLarge = error as? FrameTooLargeError {
            // The stream cannot be trusted after an oversized frame: answer once and close.
            closeAfter(Taizhang_Rpc_V1_Status(code: .resourceExhausted,
                message: "frame of \(tooLarge.announcedBytes) bytes exceeds the limit of \(tooLarge.maxBytes) bytes; split the request (e.g. smaller batches); closing the connection"),
                context: context)
            return
        }
        context.close(promise: nil)
    }

    /// Backpressure: a client that sends faster than it reads its answers
    /// stops being read until the answers drain.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable && !refusing
        try? context.channel.syncOptions?.setOption(.autoRead, value: writable)
        if writable { context.read() }
        context.fireChannelWritabilityChanged()
    }

    /// The server is stopping and has drained: say so on call_id 0, then close.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ServerStopping {
            closeAfter(.init(code: .unavailable, message: "the server is shutting down; retry against the restarted daemon"), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    // MARK: Calls

    /// A call let in: its context, caller, the identity whose limits it
    /// counts against, and when it started.
    private struct Admitted {
        let call: CallContext
        let principal: Principal?
        let limitKey: String?
        let startedNanos: UInt64
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let body = unwrapInboundIn(data)
        let request: Taizhang_Rpc_V1_Request
        do {
            request = try Frames.decode(Taizhang_Rpc_V1_Request.self, from: body)
        } catch {
            reply(callId: 0, requestId: "", status: .init(code: .invalidArgument,
                message: "the frame body is not a valid taizhang.rpc.v1.Request; see docs/protocol.md"), context: context)
            return
        }
        let callId = request.callID
        if request.cancel {
            cancel(callId: callId, context: context)
            return
        }
        let requestId = request.metadata["request-id"].flatMap { $0.isEmpty ? nil : $0.truncatedUTF8(maxBytes: 128) } ?? server.makeRequestId()
        if let problem = RequestBounds.envelopeProblem(request) {
            reply(callId: callId, requestId: requestId, status: .init(code: .invalidArgument, message: problem), context: context)
            return
        }
        if callId == 0 {
            reply(callId: 0, requestId: requestId, status: .init(code: .invalidArgument,
                message: "call_id 0 is reserved for errors that belong to no call; number calls from 1"), context: context)
            return
        }
        if calls[callId] != nil {
            reply(callId: callId, requestId: requestId, status: .init(code: .failedPrecondition,
                message: "call_id \(callId) is already in flight on this connection; use a new call_id for a new call"), context: context)
            return
        }
        if server.draining.load(ordering: .relaxed), !request.method.hasPrefix(systemPrefix) {
            reply(callId: callId, requestId: requestId, status: .init(code: .unavailable,
                message: "the server is shutting down; retry against the restarted daemon"), context: context)
            return
        }
        let callsInFlightMax = server.callsInFlightMax.load(ordering: .relaxed)
        if calls.count >= callsInFlightMax {
            reply(callId: callId, requestId: requestId, status: .init(code: .resourceExhausted,
                message: "\(calls.count) calls are already in flight on this connection (limit \(callsInFlightMax)); wait for some to finish or open another connection"), context: context)
            return
        }
        guard let method = server.methods[request.method] else {
            reply(callId: callId, requestId: requestId, status: .init(code: .unimplemented,
                message: "unknown method \"\(request.method)\"; System/ListMethods lists every method, e.g. \(RPC.Ledger.getAsset.path)"), context: context)
            return
        }
        guard let admitted = admit(request, method: method, callId: callId, requestId: requestId, context: context) else { return }
        dispatch(request, method: method, admitted: admitted, callId: callId, requestId: requestId, context: context)
    }

    /// Who is calling and whether they may: the caller's identity and the
    /// method's declaration, the idempotency key, the identity's limits.
    /// Nil when the call was refused (and answered).
    @inline(__always)
    private func admit(_ request: Taizhang_Rpc_V1_Request, method: MethodSpec, callId: UInt64, requestId: String,
                       context: ChannelHandlerContext) -> Admitted? {
        // Who is calling: a token when one is sent, else the Unix peer's user.
        let authorization = request.metadata["authorization"]
        let principal = authorization != nil
            ? server.access.withLock { $0.principal(authorization: authorization, nowUnix: server.clock.nowUnixSeconds()) }
            : peerUID.flatMap { uid in server.access.withLock { $0.principal(uid: uid) } }
        guard let declaration = method.declaration else {
            reply(callId: callId, requestId: requestId, status: .init(code: .permissionDenied,
                message: "\(method.name) has no declaration in proto/; nobody may call it"), context: context)
            return nil
        }
        if let refusal = declaration.refusal(principal) {
            reply(callId: callId, requestId: requestId, status: refusal, context: context)
            return nil
        }
        let started = server.clock.monotonicNanos()
        var call = CallContext(method: method.name, requestId: requestId, identity: principal?.auditIdentity ?? identity,
                               actor: (request.metadata["actor"] ?? "").truncatedUTF8(maxBytes: 200),
                               idempotencyKey: method.mutation ? request.metadata["idempotency-key"].flatMap { $0.isEmpty ? nil : $0 } : nil)
        call.principal = principal
        call.store = server.store
        call.declaration = declaration
        if let key = call.idempotencyKey, key.utf8.count > 128 {
            reply(callId: callId, requestId: requestId, status: .init(code: .invalidArgument,
                message: "idempotency-key is longer than 128 bytes; use a UUID or similar"), context: context)
            return nil
        }
        // Per identity, over all its connections: calls in flight and calls a
        // second (the last refusal before the call counts as in flight).
        // Health (public) is never limited: probes must get through.
        let limited = principal != nil && !declaration.isPublic
        if limited, let principal, let (message, retryAfter) = server.admitCall(identity: principal.name) {
            write(.failure(callId: callId, status: .init(code: .resourceExhausted, message: message),
                           metadata: ["request-id": requestId, "retry-after-ms": String(retryAfter)]), context: context)
            return nil
        }
        return Admitted(call: call, principal: principal, limitKey: limited ? principal?.name : nil, startedNanos: started)
    }

    /// Starts the admitted call: a stream, or a unary handler whose answer
    /// comes now or later.
    @inline(__always)
    private func dispatch(_ request: Taizhang_Rpc_V1_Request, method: MethodSpec, admitted: Admitted,
                          callId: UInt64, requestId: String, context: ChannelHandlerContext) {
        let (call, principal) = (admitted.call, admitted.principal)
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        nextSerial += 1
        let serial = nextSerial
        // Registered before the handler runs, so a completion that comes at
        // once (even from inside the handler) finds its call.
        calls[callId] = InFlight(serial: serial, method: method.name, requestId: requestId, startedNanos: admitted.startedNanos, limitKey: admitted.limitKey)
        server.callsInFlight.wrappingAdd(1, ordering: .relaxed)
        if let streamHandler = method.streamHandler {
            let authorization = request.metadata["authorization"]
            let admission = principal.flatMap { principal in
                call.declaration.map { StreamAdmission(method: $0, authorization: authorization, uid: authorization == nil ? peerUID : nil, principal: principal) }
            }
            let stream = ServerStream(admission: admission, send: { bytes in
                loop.execute { bound.value.streamItem(callId: callId, serial: serial, bytes: bytes) }
            }, finish: { status in
                let result: CallResult = status.code == .ok ? .ok([]) : .failed(status)
                loop.execute { bound.value.finish(callId: callId, serial: serial, result: result) }
            })
            calls[callId]?.stream = stream
            server.register(stream)
            if request.timeoutMs > 0 {
                calls[callId]?.deadline = loop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(request.timeoutMs))) { [self] in
                    self.expire(callId: callId, serial: serial)
                }
            }
            if let refusal = streamHandler(call, request.payload, stream) {
                finish(callId: callId, serial: serial, result: .failed(refusal), flush: false)
            }
            return
        }
        let disposition = method.handler(call, request.payload) { result in
            if loop.inEventLoop {
                bound.value.finish(callId: callId, serial: serial, result: result)
            } else {
                loop.execute { bound.value.finish(callId: callId, serial: serial, result: result) }
            }
        }
        switch disposition {
        case .completed(let result):
            finish(callId: callId, serial: serial, result: result, flush: false)
        case .pending(let ticket):
            guard var inFlight = calls[callId], inFlight.serial == serial else { return }
            inFlight.ticket = ticket
            if request.timeoutMs > 0 {
                inFlight.deadline = loop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(request.timeoutMs))) { [self] in
                    self.expire(callId: callId, serial: serial)
                }
            }
            calls[callId] = inFlight
        }
    }

    private func finish(callId: UInt64, serial: UInt64, result: CallResult, flush: Bool = true) {
        // A call that already ended (deadline, cancel) may complete late; its
        // call_id may by then belong to a newer call, which must not get it.
        guard let context, let call = calls[callId], call.serial == serial else { return }
        calls[callId] = nil
        call.deadline?.cancel()
        if let stream = call.stream {
            server.unregister(stream)
            stream.ended()
        }
        released(call)
        respond(callId: callId, requestId: call.requestId, method: call.method, startedNanos: call.startedNanos, result: result, context: context)
        if flush {
            needsFlush = false
            context.flush()
        }
    }

    private func expire(callId: UInt64, serial: UInt64) {
        guard calls[callId]?.serial == serial else { return }
        end(callId: callId, code: .deadlineExceeded,
            message: "the deadline (timeout_ms) passed before the call finished; a mutation was not applied")
    }

    private func cancel(callId: UInt64, context: ChannelHandlerContext) {
        end(callId: callId, code: .cancelled, message: "cancelled by the client; a mutation was not applied")
    }

    /// Ends a call early unless its mutation already started, in which case
    /// its real outcome will be sent (it may well have committed).
    private func end(callId: UInt64, code: Taizhang_Rpc_V1_Code, message: String) {
        guard let context, var call = calls[callId] else { return }
        if let ticket = call.ticket, !ticket.withdraw() {
            call.overdue = true
            calls[callId] = call
            return
        }
        calls[callId] = nil
        call.deadline?.cancel()
        if let stream = call.stream {
            server.unregister(stream)
            stream.ended()
        }
        released(call)
        let text = call.stream == nil ? message : (code == .cancelled ? "cancelled by the client" : "the deadline (timeout_ms) passed; the stream ended")
        respond(callId: callId, requestId: call.requestId, method: call.method, startedNanos: call.startedNanos,
                result: .failed(.init(code: code, message: text)), context: context)
        context.flush()
    }

    /// Writes one item of a stream that is still open.
    private func streamItem(callId: UInt64, serial: UInt64, bytes: [UInt8]) {
        guard let context, var call = calls[callId], call.serial == serial, call.stream != nil else { return }
        if context.channel.isWritable {
            call.backlogBytes = 0
        } else {
            call.backlogBytes += bytes.count
            if call.backlogBytes > RPCConnectionHandler.streamBacklogMaxBytes {
                calls[callId] = call
                finish(callId: callId, serial: serial, result: .failed(.init(code: .resourceExhausted,
                    message: "the stream was ended: \(RPCConnectionHandler.streamBacklogMaxBytes >> 20) MiB of items waited for the client to read them; read the stream faster, or filter it (min_level, admin_code), and watch again from the last seq")))
                return
            }
        }
        calls[callId] = call
        var response = Taizhang_Rpc_V1_Response()
        response.callID = callId
        response.payload = Data(bytes)
        response.endOfStream = false
        guard let frame = try? Frames.encode(response, allocator: context.channel.allocator) else { return }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func respond(callId: UInt64, requestId: String, method: String, startedNanos: UInt64, result: CallResult,
                         context: ChannelHandlerContext) {
        let frame: ByteBuffer
        let code: Int
        switch result {
        case .ok(let bytes):
            frame = ResponseFrame.encode(callId: callId, status: nil, payload: bytes, requestId: requestId,
                                         allocator: context.channel.allocator)
            code = 0
        case .okEncodedOnLoop(let encode):
            frame = ResponseFrame.encode(callId: callId, status: nil, payload: encode(), requestId: requestId,
                                         allocator: context.channel.allocator)
            code = 0
        case .failed(let status):
            frame = ResponseFrame.encode(callId: callId, status: status, payload: [], requestId: requestId,
                                         allocator: context.channel.allocator)
            code = status.code.rawValue
        }
        let micros = (server.clock.monotonicNanos() &- startedNanos) / 1000
        server.statistics.record(method: method, code: code, micros: micros)
        if DaemonLog.enabled(.debug) {
            var metadata: Logger.Metadata = ["request-id": "\(requestId)", "method": "\(method)", "code": "\(StatusNames.name(code))",
                                             "duration-us": "\(micros)", "peer": "\(identity)"]
            if case .failed(let status) = result { metadata["status-message"] = "\(status.message)" }
            DaemonLog.debug("call \(method) \(StatusNames.name(code)) in \(micros) µs", metadata: metadata)
        }
        context.write(wrapOutboundOut(frame), promise: nil)
        needsFlush = true
    }

    // MARK: Slow and idle clients

    /// Checks, a few times per limit, whether a frame has been half received
    /// for longer than `frame-timeout-ms`, or the connection has had no call
    /// in flight and no byte for `idle-timeout-ms`; either closes it, after
    /// a status on call_id 0 saying why.
    private func scheduleTimeoutCheck(context: ChannelHandlerContext) {
        let policy = server.connectionPolicy.withLock { $0 }
        let shortest = policy.idleTimeoutMillis > 0 ? min(policy.idleTimeoutMillis, policy.frameTimeoutMillis) : policy.frameTimeoutMillis
        let interval = TimeAmount.milliseconds(max(25, min(1000, shortest / 4)))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timeoutCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.checkTimeouts()
        }
    }

    private func checkTimeouts() {
        guard let context, !refusing else { return }
        let policy = server.connectionPolicy.withLock { $0 }
        let now = server.clock.monotonicNanos()
        var reason: Taizhang_Rpc_V1_Status?
        if let started = progress.frameStartedNanos, now &- started > UInt64(policy.frameTimeoutMillis) * 1_000_000 {
            reason = .init(code: .deadlineExceeded, message: "a frame began \((now &- started) / 1_000_000) ms ago and is still incomplete (frame-timeout-ms \(policy.frameTimeoutMillis)); closing the connection")
        } else if policy.idleTimeoutMillis > 0, calls.isEmpty, progress.frameStartedNanos == nil,
                  now &- max(progress.lastByteNanos, lastCallEndedNanos) > UInt64(policy.idleTimeoutMillis) * 1_000_000 {
            reason = .init(code: .unavailable, message: "the connection was idle for \(policy.idleTimeoutMillis) ms (idle-timeout-ms); closing it; reconnect when needed")
        }
        // Streams hold their caller's admission only while it lasts (checked about once a second).
        if now &- lastStreamCheckNanos >= 1_000_000_000 {
            lastStreamCheckNanos = now
            let streams = calls.values.compactMap(\.stream)
            if !streams.isEmpty { server.revalidate(streams) }
        }
        guard let reason else { return }
        timeoutCheck?.cancel()
        timeoutCheck = nil
        closeAfter(reason, context: context)
    }

    /// Stops reading, sends `status` on call_id 0 and closes once it is
    /// written (or after 5 s: a peer that never reads cannot hold the connection).
    private func closeAfter(_ status: Taizhang_Rpc_V1_Status, context: ChannelHandlerContext) {
        refusing = true
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(5)) { context.close(promise: nil) }
        guard let frame = try? Frames.encode(Taizhang_Rpc_V1_Response.failure(callId: 0, status: status), allocator: context.channel.allocator) else {
            context.close(promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(frame), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        needsFlush = false
    }

    /// A call is over: it no longer counts in flight, nor against its identity.
    /// The connection's idle time counts from then too.
    private func released(_ call: InFlight) {
        lastCallEndedNanos = server.clock.monotonicNanos()
        server.callsInFlight.wrappingSubtract(1, ordering: .relaxed)
        if let key = call.limitKey { server.releaseCall(identity: key) }
    }

    private func reply(callId: UInt64, requestId: String, status: Taizhang_Rpc_V1_Status, context: ChannelHandlerContext) {
        write(.failure(callId: callId, status: status, metadata: requestId.isEmpty ? [:] : ["request-id": requestId]), context: context)
    }

    private func write(_ response: Taizhang_Rpc_V1_Response, context: ChannelHandlerContext) {
        guard let frame = try? Frames.encode(response, allocator: context.channel.allocator) else { return }
        context.write(wrapOutboundOut(frame), promise: nil)
        needsFlush = true
    }

    // MARK: Identity

    /// Sets the identity: "uid:N" from SO_PEERCRED on a Unix socket;
    /// "tcp:ADDRESS" otherwise (token authentication arrives with the
    /// security work).
    private func identify(_ channel: any Channel) {
        guard let address = channel.remoteAddress ?? channel.localAddress else { return }
        if case .unixDomainSocket = address {
            identity = "unix:unknown"
            guard let provider = channel as? any SocketOptionProvider else { return }
            let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: .socket, name: .init(rawValue: SO_PEERCRED))
            credentials.assumeIsolated().whenSuccess { [self] (credentials: PeerCredentials) in
                self.identity = "uid:\(credentials.uid)"
                self.peerUID = credentials.uid
            }
        } else {
            identity = "tcp:\(channel.remoteAddress?.ipAddress ?? "?")"
        }
    }
}

/// `struct ucred` of <sys/socket.h> (hidden from Swift without _GNU_SOURCE).
struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
