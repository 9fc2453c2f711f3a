// What the server needs of each method, read from its declaration in
// proto/ (the option (taizhang.rpc.v1.method), see options.proto) when the
// daemon starts: the permissions that admit a caller, whether it changes
// the ledger, and how the caller's scope applies to its request. A served
// method without a complete declaration stops the daemon from starting.

import Foundation
import SwiftProtobuf
import TaizhangCore
import TaizhangProto

/// One method's declaration, checked and resolved against the descriptors.
public final class MethodDeclaration: Sendable {
    /// "/taizhang.ledger.v1.Ledger/GetAsset".
    public let path: String
    /// Any one of these admits a caller; empty only when `isPublic`.
    public let permissions: [Permission]
    /// Anyone may call it, unauthenticated.
    public let isPublic: Bool
    /// Audited, durable before answered, honours idempotency-key.
    public let mutation: Bool
    /// How the caller's scope applies to the request.
    let scope: ScopeDeclaration

    init(path: String, permissions: [Permission], isPublic: Bool, mutation: Bool, scope: ScopeDeclaration) {
        self.path = path
        self.permissions = permissions
        self.isPublic = isPublic
        self.mutation = mutation
        self.scope = scope
    }

    /// Why `principal` may not call the method, or nil when it may.
    func refusal(_ principal: Principal?) -> Taizhang_Rpc_V1_Status? {
        if isPublic { return nil }
        guard let principal else {
            return .init(code: .unauthenticated, message: "authentication required: connect as a Unix user the access file names, or send a valid token as \"authorization: Bearer …\"")
        }
        if permissions.contains(where: principal.may) { return nil }
        return .init(code: .permissionDenied,
                     message: "\(path) needs the permission \(permissions.map(\.rawValue).joined(separator: " or ")); \(principal.name) (role \(principal.roleNames)) does not have it")
    }
}

/// The scope part of a declaration, with field names resolved to numbers.
struct ScopeDeclaration: Sendable {
    /// A request field naming records of one kind.
    struct Record: Sendable {
        /// "contract.entity_id".
        let name: String
        /// Field numbers from the request down to the string field.
        let numbers: [Int]
        let kind: Taizhang_Rpc_V1_RecordKind
    }
    var records: [Record] = []
    /// A read's top-level admin-unit filter: its name and number.
    var narrow: (name: String, number: Int)? = nil
    var requireRecord = false
    /// What the method does that spans the whole ledger, when it does.
    var wholeLedger: String? = nil
}

/// A declaration that cannot be served: every problem, each naming its method.
public struct DeclarationError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "the method declarations in proto/ are incomplete (docs/architecture.md, \"Adding a method\"):\n  " + problems.joined(separator: "\n  ")
    }
}

enum MethodDeclarations {
    /// The declarations of every method of the served protos.
    static func load(_ descriptorSet: [UInt8]) throws -> [String: MethodDeclaration] {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: descriptorSet, extensions: Taizhang_Rpc_V1_Options_Extensions)
        var messages: [String: Google_Protobuf_DescriptorProto] = [:]
        for file in set.file {
            for message in file.messageType { messages[".\(file.package).\(message.name)"] = message }
        }
        var declarations: [String: MethodDeclaration] = [:]
        var problems: [String] = []
        for file in set.file where file.package.hasPrefix("taizhang.") {
            for service in file.service {
                for method in service.method {
                    let path = "/\(file.package).\(service.name)/\(method.name)"
                    var found: [String] = []
                    let declaration = resolve(method, path: path, request: messages[method.inputType], messages: messages, problems: &found)
                    problems += found.map { "\(path): \($0)" }
                    if found.isEmpty, let declaration { declarations[path] = declaration }
                }
            }
        }
        if !problems.isEmpty { throw DeclarationError(problems: problems) }
        return declarations
    }

    /// The declaration of `method`, or nil with its problems.
    private static func resolve(_ method: Google_Protobuf_MethodDescriptorProto, path: String, request: Google_Protobuf_DescriptorProto?,
                                messages: [String: Google_Protobuf_DescriptorProto], problems: inout [String]) -> MethodDeclaration? {
        guard method.options.hasTaizhang_Rpc_V1_method else {
            problems.append("no option (taizhang.rpc.v1.method): declare its permissions, effect and scope beside it")
            return nil
        }
        let rule = method.options.Taizhang_Rpc_V1_method
        var permissions: [Permission] = []
        for name in rule.permissions {
            if let permission = Permission(rawValue: name) { permissions.append(permission) } else {
                problems.append("unknown permission \"\(name)\"; the permissions are \(Permission.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if rule.public == !rule.permissions.isEmpty {
            problems.append(rule.public ? "a public method takes no permissions" : "no permissions: name at least one, or declare it public")
        }
        if rule.effect != .read && rule.effect != .mutation { problems.append("effect must be READ or MUTATION") }
        guard rule.hasScope else {
            problems.append("no scope: declare scope {} when the request names nothing the caller's scope must cover")
            return nil
        }
        guard let request else {
            problems.append("its request type \(method.inputType) is not among the served messages")
            return nil
        }
        let scope = resolveScope(rule.scope, request: request, messages: messages, problems: &problems)
        return MethodDeclaration(path: path, permissions: permissions, isPublic: rule.public, mutation: rule.effect == .mutation, scope: scope)
    }

    private static func resolveScope(_ rule: Taizhang_Rpc_V1_ScopeRule, request: Google_Protobuf_DescriptorProto,
                                     messages: [String: Google_Protobuf_DescriptorProto], problems: inout [String]) -> ScopeDeclaration {
        var scope = ScopeDeclaration()
        for record in rule.records {
            if case .unspecified = record.kind { problems.append("scope record \(record.field) has no kind") }
            if case .UNRECOGNIZED = record.kind {
                problems.append("scope record \(record.field) has no kind")
            }
            if let numbers = stringField(record.field, in: request, messages: messages, topLevel: false, problems: &problems) {
                scope.records.append(.init(name: record.field, numbers: numbers, kind: record.kind))
            }
        }
        if !rule.narrow.isEmpty, let numbers = stringField(rule.narrow, in: request, messages: messages, topLevel: true, problems: &problems) {
            scope.narrow = (rule.narrow, numbers[0])
        }
        scope.requireRecord = rule.requireRecord
        if rule.requireRecord && rule.records.isEmpty { problems.append("require_record without records") }
        if !rule.wholeLedger.isEmpty { scope.wholeLedger = rule.wholeLedger }
        return scope
    }

    /// The field numbers of the string field at dotted `path` in `message`.
    private static func stringField(_ path: String, in message: Google_Protobuf_DescriptorProto,
                                    messages: [String: Google_Protobuf_DescriptorProto], topLevel: Bool,
                                    problems: inout [String]) -> [Int]? {
        let names = path.split(separator: ".").map(String.init)
        var current = message
        var numbers: [Int] = []
        for (index, name) in names.enumerated() {
            guard let field = current.field.first(where: { $0.name == name }) else {
                problems.append("scope field \(path): \(current.name) has no field \(name)")
                return nil
            }
            numbers.append(Int(field.number))
            let last = index == names.count - 1
            if last {
                guard field.type == .string, !(topLevel && field.label == .repeated) else {
                    problems.append("scope field \(path) is not a\(topLevel ? " singular" : "") string field")
                    return nil
                }
            } else {
                guard field.type == .message, field.label != .repeated, let next = messages[field.typeName] else {
                    problems.append("scope field \(path): \(name) is not a singular message field")
                    return nil
                }
                current = next
            }
        }
        if topLevel && numbers.count != 1 {
            problems.append("scope field \(path) must be a field of the request itself")
            return nil
        }
        return numbers
    }

    /// `specs` with their declarations; throws when a served method has no
    /// declaration, a declared one is not served, or an effect disagrees.
    static func bind(_ specs: [MethodSpec], to declarations: [String: MethodDeclaration]) throws -> [MethodSpec] {
        var problems: [String] = []
        var bound: [MethodSpec] = []
        for var spec in specs {
            guard let declaration = declarations[spec.name] else {
                problems.append("\(spec.name) is served but proto/ declares nothing for it: add option (taizhang.rpc.v1.method)")
                continue
            }
            if declaration.mutation != spec.mutation {
                problems.append("\(spec.name) is declared \(declaration.mutation ? "MUTATION" : "READ") but served as \(spec.mutation ? "a mutation" : "a read")")
            }
            spec.declaration = declaration
            bound.append(spec)
        }
        let served = Set(specs.map(\.name))
        for path in declarations.keys.sorted() where !served.contains(path) {
            problems.append("\(path) is declared in proto/ but no handler serves it")
        }
        if !problems.isEmpty { throw DeclarationError(problems: problems) }
        return bound
    }

    /// The declarations of the served protos, loaded once.
    static let served: Result<[String: MethodDeclaration], any Error> = Result {
        try load(Array(SystemService.fileDescriptorSet))
    }
}
