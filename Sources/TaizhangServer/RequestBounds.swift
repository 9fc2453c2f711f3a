// Ceilings on every string, bytes and repeated field of every request,
// checked once where a request is decoded, before any method sees it. The
// methods' own rules are narrower (a name 150 bytes, text 1,500, owners 100,
// approvals 10…) and say so in their own words; this layer guarantees that
// no field, including ones a method ignores, is unbounded. Field names come
// from the FileDescriptorSet the daemon serves, so a violation names the
// field as docs/protocol.md does: "plan.allocations[2].households".

import Foundation
import SwiftProtobuf
import TaizhangCore
import TaizhangProto

enum RequestBounds {
    /// UTF-8 bytes of any string, and bytes of any bytes field.
    static let stringMaxBytes = 4_096
    /// Entries of a repeated or map field not listed in `repeatedMax`.
    static let repeatedMaxDefault = 100
    /// Violations listed in one answer; a request breaking more is refused with these.
    static let violationsMax = 50

    /// A payload this short cannot break a bound: every entry of a repeated
    /// field takes at least a byte, so none can hold more than this many.
    static let payloadFloor = min(stringMaxBytes, fields.values.flatMap(\.values).map(\.maxCount).min() ?? 1)

    /// What the bounds need to know of a field.
    struct Field: Sendable {
        let name: String
        let repeated: Bool
        let maxCount: Int
    }

    /// Full message name → field number → field, from the served protos:
    /// a repeated field declared with (taizhang.rpc.v1.max_entries) holds
    /// that many entries, any other `repeatedMaxDefault`.
    static let fields: [String: [Int: Field]] = {
        guard let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: SystemService.fileDescriptorSet,
                                                                extensions: Taizhang_Rpc_V1_Options_Extensions) else { return [:] }
        var table: [String: [Int: Field]] = [:]
        func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
            let fullName = prefix + message.name
            var byNumber: [Int: Field] = [:]
            for field in message.field {
                let repeated = field.label == .repeated
                byNumber[Int(field.number)] = Field(name: field.name, repeated: repeated,
                                                    maxCount: !repeated ? 1 : field.options.hasTaizhang_Rpc_V1_maxEntries
                                                        ? Int(field.options.Taizhang_Rpc_V1_maxEntries) : repeatedMaxDefault)
            }
            table[fullName] = byNumber
            for nested in message.nestedType { add(nested, prefix: fullName + ".") }
        }
        for file in set.file {
            for message in file.messageType { add(message, prefix: file.package.isEmpty ? "" : file.package + ".") }
        }
        return table
    }()

    /// Throws INVALID_ARGUMENT listing every field of `message` over its bound.
    static func check<M: SwiftProtobuf.Message>(_ message: M, payloadBytes: Int) throws {
        guard payloadBytes > payloadFloor else { return }
        // A first pass only finds whether anything is over (no field's path
        // is spelled); the second, naming each, runs only then.
        var probe = BoundsProbe(message: M.protoMessageName)
        try message.traverse(visitor: &probe)
        guard probe.over else { return }
        var visitor = BoundsVisitor(message: M.protoMessageName, path: "")
        try message.traverse(visitor: &visitor)
        if !visitor.violations.isEmpty {
            throw LedgerError.invalid(visitor.violations, what: "request")
        }
    }

    /// Entries of a call's metadata, and bytes of a key, a value and a method name.
    static let metadataMaxEntries = 32
    static let metadataKeyMaxBytes = 64
    static let metadataValueMaxBytes = 4_096
    static let methodMaxBytes = 256

    /// What is wrong with the envelope of a call, if anything.
    static func envelopeProblem(_ request: Taizhang_Rpc_V1_Request) -> String? {
        if request.method.utf8.count > methodMaxBytes {
            return "the method name is \(request.method.utf8.count) bytes; at most \(methodMaxBytes)"
        }
        if request.metadata.count > metadataMaxEntries {
            return "the call carries \(request.metadata.count) metadata entries; at most \(metadataMaxEntries)"
        }
        func tooLong(_ entry: (key: String, value: String)) -> Bool {
            entry.key.utf8.count > metadataKeyMaxBytes || entry.value.utf8.count > metadataValueMaxBytes
        }
        // The common case allocates nothing.
        if request.metadata.contains(where: tooLong) {
            let bad = request.metadata.filter(tooLong)
            let names = bad.keys.sorted().map { String($0.prefix(metadataKeyMaxBytes)) }.joined(separator: ", ")
            return "metadata \(names): a key is at most \(metadataKeyMaxBytes) bytes and a value at most \(metadataValueMaxBytes)"
        }
        return nil
    }

    /// Decodes a request and checks its bounds.
    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ payload: Data) throws -> M {
        let message = try M(serializedBytes: payload)
        try check(message, payloadBytes: payload.count)
        return message
    }
}

/// Counts every field's entries and measures every string of one message,
/// recursing into its messages.
private struct BoundsVisitor: EntryCounting {
    let path: String
    let fields: [Int: RequestBounds.Field]
    var counts: [Int: Int] = [:]
    var violations: [FieldViolation] = []

    init(message: String, path: String) {
        self.path = path
        self.fields = RequestBounds.fields[message] ?? [:]
    }

    private func field(_ number: Int) -> RequestBounds.Field {
        fields[number] ?? RequestBounds.Field(name: "#\(number)", repeated: false, maxCount: RequestBounds.repeatedMaxDefault)
    }

    private mutating func add(_ field: String, _ description: String) {
        if violations.count < RequestBounds.violationsMax {
            violations.append(.init(field: field, description: description))
        }
    }

    /// Counts one entry of field `number`; the path of that entry.
    private mutating func entry(_ number: Int) -> String {
        let field = field(number)
        let count = (counts[number] ?? 0) + 1
        counts[number] = count
        if count == field.maxCount + 1 {
            add(path + field.name, "has more than \(field.maxCount) entries, the most a request may carry")
        }
        return field.repeated ? "\(path)\(field.name)[\(count - 1)]" : path + field.name
    }

    private mutating func measure(_ bytes: Int, _ number: Int) {
        let path = entry(number)
        if bytes > RequestBounds.stringMaxBytes {
            add(path, "is \(bytes) bytes; a request's text is at most \(RequestBounds.stringMaxBytes) bytes")
        }
    }

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws { _ = entry(fieldNumber) }
    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws { _ = entry(fieldNumber) }
    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws { _ = entry(fieldNumber) }
    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws { _ = entry(fieldNumber) }
    mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws { _ = entry(fieldNumber) }
    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws { measure(value.utf8.count, fieldNumber) }
    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws { measure(value.count, fieldNumber) }

    mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
        let path = entry(fieldNumber)
        guard violations.count < RequestBounds.violationsMax else { return }
        var nested = BoundsVisitor(message: M.protoMessageName, path: path + ".")
        try value.traverse(visitor: &nested)
        for violation in nested.violations { add(violation.field, violation.description) }
    }

    mutating func entries(_ count: Int, _ number: Int) {
        let field = field(number)
        if count > field.maxCount {
            add(path + field.name, "has \(count) entries; a request may carry at most \(field.maxCount)")
        }
    }

}

/// Whether any field of one message, or of the messages in it, is over its
/// bound: `BoundsVisitor`'s checks without the paths and the list.
private struct BoundsProbe: EntryCounting {
    let fields: [Int: RequestBounds.Field]
    /// Entries seen of each repeated field.
    var counts: [Int: Int] = [:]
    var over = false

    init(message: String) {
        self.fields = RequestBounds.fields[message] ?? [:]
    }

    private mutating func entry(_ number: Int) {
        // A singular field the served protos declare is seen once.
        let field = fields[number]
        guard field?.repeated != false else { return }
        let count = (counts[number] ?? 0) + 1
        counts[number] = count
        if count > field?.maxCount ?? RequestBounds.repeatedMaxDefault { over = true }
    }

    private mutating func measure(_ bytes: Int, _ number: Int) {
        entry(number)
        if bytes > RequestBounds.stringMaxBytes { over = true }
    }

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws { entry(fieldNumber) }
    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws { entry(fieldNumber) }
    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws { entry(fieldNumber) }
    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws { entry(fieldNumber) }
    mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws { entry(fieldNumber) }
    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws { measure(value.utf8.count, fieldNumber) }
    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws { measure(value.count, fieldNumber) }

    mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
        entry(fieldNumber)
        guard !over else { return }
        var nested = BoundsProbe(message: M.protoMessageName)
        try value.traverse(visitor: &nested)
        if nested.over { over = true }
    }

    mutating func entries(_ count: Int, _ number: Int) {
        if count > fields[number]?.maxCount ?? RequestBounds.repeatedMaxDefault { over = true }
    }

}

/// A visitor that counts a map's entries (`entries`) and ignores
/// extensions and unknown fields: what both bounds passes do alike.
private protocol EntryCounting: Visitor {
    /// Notes that field `number` holds `count` entries.
    mutating func entries(_ count: Int, _ number: Int)
}

extension EntryCounting {
    mutating func visitMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws { entries(value.count, fieldNumber) }

    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws where ValueType.RawValue == Int { entries(value.count, fieldNumber) }

    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type, value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws { entries(value.count, fieldNumber) }

    mutating func visitExtensionFields(fields: ExtensionFieldValueSet, start: Int, end: Int) throws {}
    mutating func visitExtensionFieldsAsMessageSet(fields: ExtensionFieldValueSet, start: Int, end: Int) throws {}
    mutating func visitUnknown(bytes: Data) throws {}
}
