// The errors of the domain: a code (the wire's status codes), a message for a
// person, and every bad field. The wire layer converts them to a Status.

/// The outcome classes a client can rely on (the same numbers as gRPC's).
public enum ErrorCode: Int, Sendable, CaseIterable {
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16
}

/// One bad field of a request: its path and what is wrong with it.
public struct FieldViolation: Sendable, Hashable, Codable {
    /// Path in the request message, e.g. "asset.funding[2].amount_fen".
    public var field: String
    /// What is wrong, for a person.
    public var description: String

    /// A violation of `field`.
    public init(field: String, description: String) {
        self.field = field
        self.description = description
    }

    /// The same violation with `prefix` put before its path.
    public func prefixed(_ prefix: String) -> FieldViolation {
        FieldViolation(field: prefix.isEmpty ? field : "\(prefix).\(field)", description: description)
    }
}

/// An error that goes back to the caller.
public struct LedgerError: Error, Sendable, Hashable {
    /// The status code.
    public var code: ErrorCode
    /// What was wrong and what to do, for a person.
    public var message: String
    /// Every bad field, when the request was invalid.
    public var violations: [FieldViolation]

    /// An error with a code, message and optional violations.
    public init(_ code: ErrorCode, _ message: String, violations: [FieldViolation] = []) {
        self.code = code
        self.message = message
        self.violations = violations
    }

    /// INVALID_ARGUMENT listing every violation.
    public static func invalid(_ violations: [FieldViolation], what: String = "request") -> LedgerError {
        let count = violations.count
        let noun = count == 1 ? "field is" : "fields are"
        return LedgerError(.invalidArgument, "the \(what) is invalid: \(count) \(noun) wrong; see violations", violations: violations)
    }
}
