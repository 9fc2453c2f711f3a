// The method table: every served method, its message types, whether it is a
// mutation, and its handler. Handlers run on the connection's event loop;
// those that must wait (durable writes, disk reads) answer later.

import Dispatch
import Foundation
import NIOCore
import SwiftProtobuf
import TaizhangCore
import TaizhangProto
import TaizhangStore
import TaizhangWire
import Synchronization

/// One call as a handler sees it.
public struct CallContext: Sendable {
    /// "/taizhang.ledger.v1.Ledger/GetAsset".
    public let method: String
    /// Echoed in the response metadata and written in log lines.
    public let requestId: String
    /// The authenticated identity as the audit journal records it:
    /// "baima-clerk (uid:1001)", "local (uid:0)", or the bare credential of
    /// an unauthenticated caller ("uid:65534", "tcp:10.0.0.9").
    public let identity: String
    /// Who is calling, when recognised (nil: only public methods run).
    public var principal: Principal? = nil
    /// The ledger, for the scope checks of reads (nil in unit tests of handlers).
    var store: (any LedgerStore)? = nil
    /// The `actor` metadata: a person's name for the audit trail.
    public let actor: String
    /// The `idempotency-key` metadata, when given.
    public let idempotencyKey: String?
    /// The method's declaration in proto/ (nil only in unit tests of handlers).
    var declaration: MethodDeclaration? = nil
}

/// How a call ended.
public enum CallResult: Sendable {
    case ok([UInt8])
    /// Success whose response is encoded on the event loop when sent (so the
    /// store's writer thread does not spend its time encoding).
    case okEncodedOnLoop(@Sendable () -> [UInt8])
    case failed(Taizhang_Rpc_V1_Status)
}

/// What a handler did with a call.
public enum CallDisposition {
    /// Answered at once; the completion will not be called.
    case completed(CallResult)
    /// Work continues; the completion is called exactly once, from any thread.
    /// A ticket, when given, can withdraw a queued mutation on cancel or deadline.
    case pending(ticket: (any MutationTicket)?)
}

/// A method's handler.
public typealias MethodHandler = @Sendable (_ call: CallContext, _ payload: Data,
                                            _ completion: @escaping @Sendable (CallResult) -> Void) -> CallDisposition

/// One served method.
public struct MethodSpec: Sendable {
    public let name: String
    public let requestType: String
    public let responseType: String
    public let serverStreaming: Bool
    /// Mutations honour idempotency-key and are audited.
    public let mutation: Bool
    public let handler: MethodHandler
    /// Set on server-streaming methods (then `handler` is not called).
    public var streamHandler: StreamHandler? = nil

    /// The spec of `method`, served by `handler`.
    init<Request, Response>(_ method: RPCMethod<Request, Response>, mutation: Bool, handler: @escaping MethodHandler) {
        self.init(name: method.path, requestType: Request.protoMessageName, responseType: Response.protoMessageName,
                  serverStreaming: method.serverStreaming, mutation: mutation, handler: handler)
    }

    init(name: String, requestType: String, responseType: String, serverStreaming: Bool, mutation: Bool, handler: @escaping MethodHandler) {
        self.name = name
        self.requestType = requestType
        self.responseType = responseType
        self.serverStreaming = serverStreaming
        self.mutation = mutation
        self.handler = handler
    }
    /// Its declaration in proto/, bound when the server starts (a method
    /// without one is not served: the server does not start).
    public internal(set) var declaration: MethodDeclaration? = nil
}

/// A server-streaming method's handler: starts the stream and returns nil,
/// or refuses the call at once with a status.
public typealias StreamHandler = @Sendable (_ call: CallContext, _ payload: Data, _ stream: ServerStream) -> Taizhang_Rpc_V1_Status?

/// One server-streaming call as its handler holds it. Thread-safe: items and
/// the end may come from any thread; they reach the connection's event loop
/// in order.
public final class ServerStream: Sendable {
    private let sendItem: @Sendable ([UInt8]) -> Void
    private let finishCall: @Sendable (Taizhang_Rpc_V1_Status) -> Void
    private let endHandlers = Mutex<[@Sendable () -> Void]?>([])
    /// How its caller was admitted, to check again while it runs.
    let admission: StreamAdmission?

    init(admission: StreamAdmission? = nil, send: @escaping @Sendable ([UInt8]) -> Void,
         finish: @escaping @Sendable (Taizhang_Rpc_V1_Status) -> Void) {
        self.admission = admission
        sendItem = send
        finishCall = finish
    }

    /// Sends one item (a serialized response message).
    public func send(_ item: [UInt8]) {
        if !isEnded { sendItem(item) }
    }

    /// Ends the stream with `status` (OK or an error).
    public func finish(_ status: Taizhang_Rpc_V1_Status) {
        finishCall(status)
    }

    /// Runs `body` once when the stream ends, whatever ends it (finish,
    /// cancel, deadline, disconnect, shutdown); at once if it already ended.
    public func onEnd(_ body: @escaping @Sendable () -> Void) {
        let runNow = endHandlers.withLock { handlers -> Bool in
            guard handlers != nil else { return true }
            handlers!.append(body)
            return false
        }
        if runNow { body() }
    }

    public var isEnded: Bool { endHandlers.withLock { $0 == nil } }

    /// Called by the connection when the call is over.
    func ended() {
        let handlers = endHandlers.withLock { handlers -> [@Sendable () -> Void] in
            let pending = handlers ?? []
            handlers = nil
            return pending
        }
        for handler in handlers { handler() }
    }
}

/// How a stream's caller was admitted: a stream outlives the moment its
/// credential was checked, so it is checked again when the access file is
/// reloaded and while it runs (a token expires, is revoked, or its identity
/// loses the permission or changes scope: the stream ends).
struct StreamAdmission: Sendable {
    let method: MethodDeclaration
    /// The bearer token's id and SHA-256 (never the token itself), or the Unix user.
    let token: (id: String, sha256: String)?
    let uid: UInt32?
    let principal: Principal

    init(method: MethodDeclaration, authorization: String?, uid: UInt32?, principal: Principal) {
        self.method = method
        let presented = authorization.map { String($0.dropFirst("Bearer ".count)) }
        token = presented.flatMap { token in AccessPolicy.tokenId(of: token).map { ($0, SHA256.hex(Array(token.utf8))) } }
        self.uid = authorization == nil ? uid : nil
        self.principal = principal
    }

    /// Why the caller may no longer hold the stream, under `policy`; nil when it may.
    func refusal(under policy: AccessPolicy, nowUnix: Int64) -> Taizhang_Rpc_V1_Status? {
        let now = token.map { policy.principal(tokenId: $0.id, presentedSHA256: $0.sha256, nowUnix: nowUnix) } ?? uid.flatMap { policy.principal(uid: $0) }
        guard let now else {
            return .init(code: .unauthenticated, message: "the credential this stream was opened with no longer admits anyone (expired, revoked, or removed from the access file)")
        }
        if let refusal = method.refusal(now) { return refusal }
        if now.name != principal.name || now.scope != principal.scope {
            return .init(code: .permissionDenied, message: "the stream was opened as \(principal.name); the access file now makes its credential \(now.name) with scope \(now.scope.isEmpty ? "the whole ledger" : now.scope); open it again")
        }
        return nil
    }
}

/// Building method specs from typed closures.
enum Method {
    /// A read answered on the event loop.
    static func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (CallContext, Request) throws -> Response
    ) -> MethodSpec {
        MethodSpec(method, mutation: false) { call, payload, _ in
            .completed(run(call, payload, body))
        }
    }

    /// A server-streaming method.
    static func streaming<Request: SwiftProtobuf.Message, Item: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Item>,
        _ body: @escaping @Sendable (CallContext, Request, ServerStream) throws -> Void
    ) -> MethodSpec {
        var spec = MethodSpec(method, mutation: false) { _, _, _ in
            .completed(.failed(Taizhang_Rpc_V1_Status(code: .internal, message: "a streaming method was called as a unary one")))
        }
        spec.streamHandler = { call, payload, stream in
            do {
                var request = try RequestBounds.decode(Request.self, payload)
                if let store = call.store, try !ScopeGuard.narrow(&request, call: call, store: store) {
                    return Taizhang_Rpc_V1_Status(code: .permissionDenied, message: "nothing of the admin unit asked for lies in \(call.principal?.scope ?? "") or below")
                }
                try body(call, request, stream)
                return nil
            } catch {
                return StatusMapping.status(for: error, requestType: Request.protoMessageName)
            }
        }
        return spec
    }

    /// A read answered on the event loop whose body returns the serialized response.
    static func encoded<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (CallContext, Request) throws -> [UInt8]
    ) -> MethodSpec {
        MethodSpec(method, mutation: false) { call, payload, _ in
            do {
                var request = try RequestBounds.decode(Request.self, payload)
                if let store = call.store, try !ScopeGuard.narrow(&request, call: call, store: store) {
                    return .completed(.ok(try Response().serializedBytes()))
                }
                return .completed(.ok(try body(call, request)))
            } catch {
                return .completed(.failed(StatusMapping.status(for: error, requestType: Request.protoMessageName)))
            }
        }
    }

    /// A listing read from the ledger file, answered off the event loop (a
    /// cold read there would stall every connection of the loop) on a
    /// few workers (`ReadQueue.file`); at most `ReadQueue.file.queuedMax` wait, the rest are
    /// refused with RESOURCE_EXHAUSTED.
    static func fileRead<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (CallContext, Request) throws -> [UInt8]
    ) -> MethodSpec {
        let answer = encoded(method, body).handler
        return MethodSpec(method, mutation: false) { call, payload, completion in
            guard ReadQueue.file.admit() else {
                return .completed(.failed(Taizhang_Rpc_V1_Status(code: .resourceExhausted,
                    message: "\(ReadQueue.file.queuedMax) reads are already waiting for the ledger file; retry in a moment")))
            }
            ReadQueue.file.queue.async {
                defer { ReadQueue.file.done() }
                if case .completed(let result) = answer(call, payload, completion) { completion(result) }
            }
            return .pending(ticket: nil)
        }
    }

    /// A read of one record: answered on the event loop when `inMemory`
    /// says the store holds it in memory, else off the loop like `fileRead`.
    static func pointRead<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>,
        inMemory: @escaping @Sendable (Request) -> Bool,
        _ body: @escaping @Sendable (CallContext, Request) throws -> [UInt8]
    ) -> MethodSpec {
        let onLoop = encoded(method, body).handler
        let offLoop = fileRead(method, body).handler
        return MethodSpec(method, mutation: false) { call, payload, completion in
            // A request that does not decode is refused on the loop.
            guard let request = try? RequestBounds.decode(Request.self, payload), !inMemory(request) else {
                return onLoop(call, payload, completion)
            }
            return offLoop(call, payload, completion)
        }
    }

    /// A read that touches the disk, answered from one serial background
    /// queue; at most `ReadQueue.audit.queuedMax` wait, the rest are refused.
    static func blocking<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>,
        _ body: @escaping @Sendable (CallContext, Request) throws -> Response
    ) -> MethodSpec {
        MethodSpec(method, mutation: false) { call, payload, completion in
            guard ReadQueue.audit.admit() else {
                return .completed(.failed(Taizhang_Rpc_V1_Status(code: .resourceExhausted,
                    message: "\(ReadQueue.audit.queuedMax) disk reads (audit verification, audit listing) are already waiting; retry in a moment")))
            }
            ReadQueue.audit.queue.async {
                defer { ReadQueue.audit.done() }
                completion(run(call, payload, body))
            }
            return .pending(ticket: nil)
        }
    }

    /// A mutation: validated on the event loop, then queued to the store and
    /// answered once durable. `readsFile`: its plan reads records from the
    /// ledger file, so it is staged off the loop (`staged`).
    static func mutation<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>, store: any LedgerStore, readsFile: Bool = false, digest: RequestDigest = .sha256,
        plan: @escaping @Sendable (CallContext, Request) throws -> TaizhangCore.Mutation,
        respond: @escaping @Sendable (MutationOutcome) -> Response
    ) -> MethodSpec {
        staged(method, store: store, readsFile: readsFile, digest: digest, plan: { call, request in .submit(try plan(call, request)) }, respond: respond)
    }

    /// How a mutation's payload is digested for the journal's and the
    /// idempotency records' `request_sha256`.
    enum RequestDigest: Sendable {
        /// SHA-256 of the payload.
        case sha256
        /// HMAC-SHA256 under a secret key: for payloads holding personal
        /// data in clear, whose plain hash could be matched against guesses
        /// by anyone who reads the journal.
        case keyed(@Sendable ([UInt8]) -> String)

        func hex(_ payload: Data) -> String {
            switch self {
            case .sha256: return SHA256.hex(payload)
            case .keyed(let digest): return digest(Array(payload))
            }
        }
    }

    /// What a staged mutation's request asks for.
    enum Staged<Response: SwiftProtobuf.Message> {
        /// Queue this mutation.
        case submit(TaizhangCore.Mutation)
        /// Answer now; nothing is written (an import chunk held in memory).
        case answer(Response)
    }

    /// A mutation whose request may instead be answered at once. It is
    /// decoded, checked against the caller's scope and planned on the event
    /// loop, unless that reads the ledger file (a cold read there would stall
    /// every connection of the loop): a plan that `readsFile`, or a scoped
    /// caller naming an entity or a contract (`ScopeGuard.preflight` reads
    /// where it lies). Such a call is staged on `ReadQueue.staging` (one
    /// worker: such calls reach the store in the order they arrived), with
    /// a ticket that withdraws it until it reaches the store (`StagedTicket`).
    static func staged<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>, store: any LedgerStore, readsFile: Bool = false, digest: RequestDigest = .sha256,
        plan: @escaping @Sendable (CallContext, Request) throws -> Staged<Response>,
        respond: @escaping @Sendable (MutationOutcome) -> Response
    ) -> MethodSpec {
        MethodSpec(method, mutation: true) { call, payload, completion in
            let stage = { @Sendable (submit: (() -> any MutationTicket) -> (any MutationTicket)?) -> CallDisposition in
                let mutation: TaizhangCore.Mutation
                do {
                    let request = try RequestBounds.decode(Request.self, payload)
                    if let store = call.store { try ScopeGuard.preflight(request, call: call, store: store) }
                    switch try plan(call, request) {
                    case .submit(let planned): mutation = planned
                    case .answer(let response): return .completed(.ok(try response.serializedBytes()))
                    }
                } catch {
                    return .completed(.failed(StatusMapping.status(for: error, requestType: Request.protoMessageName)))
                }
                let ticket = submit { Self.submit(mutation, call: call, payload: payload, store: store, digest: digest, respond: respond, completion: completion) }
                return .pending(ticket: ticket)
            }
            guard readsFile || ScopeGuard.readsFile(call, store) else { return stage { $0() } }
            return offLoop(completion, stage)
        }
    }

    /// Runs `stage` on `ReadQueue.staging` (one worker: calls reach the
    /// store in the order they arrived), with a ticket that withdraws the
    /// call until it reaches the store; RESOURCE_EXHAUSTED when the queue is full.
    private static func offLoop(_ completion: @escaping @Sendable (CallResult) -> Void,
                                _ stage: @escaping @Sendable ((() -> any MutationTicket) -> (any MutationTicket)?) -> CallDisposition) -> CallDisposition {
        guard ReadQueue.staging.admit() else {
            return .completed(.failed(Taizhang_Rpc_V1_Status(code: .resourceExhausted,
                message: "\(ReadQueue.staging.queuedMax) changes are already waiting to be checked against the ledger file; retry in a moment")))
        }
        let staging = StagedTicket()
        ReadQueue.staging.queue.async {
            defer { ReadQueue.staging.done() }
            // Withdrawn (deadline, cancel) while it waited: already answered.
            guard !staging.withdrawn else { return }
            if case .completed(let result) = stage(staging.submit) { completion(result) }
        }
        return .pending(ticket: staging)
    }

    /// A read whose every call is first an entry of the audit journal (a
    /// read of personal data in clear): staged off the event loop like a
    /// mutation that reads the file; `plan` checks the request, reads what
    /// it will answer and gives the journal's mutation; once that entry is
    /// durable, `answer` makes the response. The answer is never kept for
    /// an idempotency key (it would keep what the journal was to guard).
    static func journaledRead<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: RPCMethod<Request, Response>, store: any LedgerStore,
        plan: @escaping @Sendable (CallContext, Request) throws -> (TaizhangCore.Mutation, answer: @Sendable () throws -> Response)
    ) -> MethodSpec {
        MethodSpec(method, mutation: true) { call, payload, completion in
            offLoop(completion) { submit in
                let planned: (TaizhangCore.Mutation, answer: @Sendable () throws -> Response)
                do {
                    let request = try RequestBounds.decode(Request.self, payload)
                    if let store = call.store { try ScopeGuard.preflight(request, call: call, store: store) }
                    planned = try plan(call, request)
                } catch {
                    return .completed(.failed(StatusMapping.status(for: error, requestType: Request.protoMessageName)))
                }
                let ticket = submit {
                    Self.submit(planned.0, call: call, payload: payload, store: store, remember: false, respond: { _ in Response() }) { result in
                        if case .failed = result { return completion(result) }
                        do { completion(.ok(try planned.answer().serializedBytes())) } catch {
                            completion(.failed(StatusMapping.status(for: error)))
                        }
                    }
                }
                return .pending(ticket: ticket)
            }
        }
    }

    /// Queues a planned mutation to the store; `completion` gets its answer
    /// once durable. `remember`: keep the answer for the call's idempotency key.
    private static func submit<Response: SwiftProtobuf.Message>(
        _ mutation: TaizhangCore.Mutation, call: CallContext, payload: Data, store: any LedgerStore, remember: Bool = true,
        digest: RequestDigest = .sha256,
        respond: @escaping @Sendable (MutationOutcome) -> Response, completion: @escaping @Sendable (CallResult) -> Void
    ) -> any MutationTicket {
        var context = CallerContext(identity: call.identity, actor: call.actor, method: call.method,
                                    requestId: call.requestId, requestSHA256: digest.hex(payload),
                                    idempotencyKey: remember ? call.idempotencyKey : nil)
        if let principal = call.principal {
            context.idempotencyOwner = principal.name
            // Local mode has one user: the person is whom `actor` names.
            if !principal.isLocal {
                context.person = FollowUpPerson(id: principal.id, name: principal.name)
                context.identityId = principal.id
            } else if !call.actor.isEmpty {
                context.person = FollowUpPerson(id: "actor:" + call.actor, name: call.actor)
            }
        }
        if let principal = call.principal, let codes = ScopeGuard.codes(call, store) {
            context.scope = codes
            context.scopeHolder = "\(principal.name) (scope \(principal.scope))"
        }
        return store.submit(mutation, context: context, encode: { outcome in
            (try? respond(outcome).serializedBytes()) ?? []
        }, completion: { reply in
            switch reply {
            case .success(.replayed(let bytes)), .success(.applied(_, encoded: .some(let bytes))):
                completion(.ok(bytes))
            case .success(.applied(let outcome, encoded: nil)):
                completion(.okEncodedOnLoop { (try? respond(outcome).serializedBytes()) ?? [] })
            case .failure(let error):
                completion(.failed(StatusMapping.status(for: error)))
            }
        })
    }

    private static func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ call: CallContext, _ payload: Data, _ body: (CallContext, Request) throws -> Response
    ) -> CallResult {
        do {
            var request = try RequestBounds.decode(Request.self, payload)
            if let store = call.store, try !ScopeGuard.narrow(&request, call: call, store: store) {
                return .ok(try Response().serializedBytes())
            }
            let response = try body(call, request)
            return .ok(try response.serializedBytes())
        } catch {
            let status = StatusMapping.status(for: error, requestType: Request.protoMessageName)
            if status.code == .internal {
                DaemonLog.error("\(call.method) failed (request-id \(call.requestId)): \(error)",
                                metadata: ["request-id": "\(call.requestId)", "method": "\(call.method)", "code": "INTERNAL"])
            }
            return .failed(status)
        }
    }
}

/// The ticket of a mutation staged off the event loop: withdrawn before it
/// reaches the store, it never does (and its answer is never sent: the
/// connection already answered DEADLINE_EXCEEDED or CANCELLED); after, the
/// store's own ticket decides.
final class StagedTicket: MutationTicket {
    private enum State {
        case staging
        case withdrawn
        case submitted(any MutationTicket)
    }
    private let state = Mutex(State.staging)

    func withdraw() -> Bool {
        state.withLock { state in
            switch state {
            case .staging, .withdrawn:
                state = .withdrawn
                return true
            case .submitted(let ticket):
                return ticket.withdraw()
            }
        }
    }

    /// Whether the call was withdrawn before it reached the store (its
    /// staging need not be done).
    var withdrawn: Bool {
        state.withLock { if case .withdrawn = $0 { true } else { false } }
    }

    /// Submits through `body` unless the call was withdrawn first (nil then).
    func submit(_ body: () -> any MutationTicket) -> (any MutationTicket)? {
        state.withLock { state in
            guard case .staging = state else { return nil }
            let ticket = body()
            state = .submitted(ticket)
            return ticket
        }
    }
}

/// Workers for reads off the event loop, and how many reads may wait for
/// them. A fixed few workers (serial queues taken in turn), not a thread per
/// read: on two cores more threads only contend, and each runs on one of
/// the store's kept read connections instead of opening its own.
final class ReadQueue: Sendable {
    private let workers: [DispatchQueue]
    private let next = Atomic<Int>(0)
    /// Most reads running or waiting at once; past it they are refused.
    let queuedMax: Int
    private let waiting = Atomic<Int>(0)

    init(label: String, workers: Int, queuedMax: Int) {
        self.workers = (0..<max(1, workers)).map { DispatchQueue(label: "\(label)-\($0)") }
        self.queuedMax = queuedMax
    }

    /// The queue for the next read (in turn).
    var queue: DispatchQueue {
        workers[Int(UInt(bitPattern: next.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(workers.count))]
    }

    func admit() -> Bool {
        if waiting.wrappingAdd(1, ordering: .relaxed).newValue > queuedMax {
            waiting.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func done() {
        waiting.wrappingSubtract(1, ordering: .relaxed)
    }
}

extension ReadQueue {
    /// The one worker for reads of the audit journal (verification,
    /// listing) and other reads that walk a whole table.
    static let audit = ReadQueue(label: "taizhang.blocking-reads", workers: 1, queuedMax: 64)
    /// Reads of the ledger file: listings, summaries, assets not in the
    /// cache; as many workers as the store keeps read connections.
    static let file = ReadQueue(label: "taizhang.file-reads", workers: 4, queuedMax: 4_096)
    /// Mutations staged off the event loop (`Method.staged`): one worker,
    /// so they reach the store in the order they arrived, and apart from
    /// the reads (a long listing does not hold them up).
    static let staging = ReadQueue(label: "taizhang.mutation-staging", workers: 1, queuedMax: 4_096)
}

/// Domain and decoding errors to wire statuses: the one place they convert.
enum StatusMapping {
    static func status(for error: any Error, requestType: String = "") -> Taizhang_Rpc_V1_Status {
        switch error {
        case let error as LedgerError:
            return Taizhang_Rpc_V1_Status(
                code: Taizhang_Rpc_V1_Code(rawValue: error.code.rawValue) ?? .unknown, message: error.message,
                violations: error.violations.map { violation in
                    var out = Taizhang_Rpc_V1_FieldViolation()
                    out.field = violation.field
                    out.description_p = violation.description
                    return out
                })
        case is SwiftProtobuf.BinaryDecodingError:
            return Taizhang_Rpc_V1_Status(code: .invalidArgument,
                message: "the payload is not a valid \(requestType) message; serialize the method's request type into Request.payload")
        default:
            return Taizhang_Rpc_V1_Status(code: .internal, message: "internal error; the daemon's log has the details under this call's request-id")
        }
    }
}
