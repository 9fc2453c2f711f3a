// Reading and setting a request's string fields by field number, for the
// rules declared in proto/ (scope fields named by path). SwiftProtobuf has
// no reflection by name: a visitor walks the message to read, and a field
// appended to the serialized bytes sets (for a singular field the last
// value on the wire wins).

import Foundation
import SwiftProtobuf

enum FieldStrings {
    /// Every string at `numbers` (a path of field numbers ending at a string
    /// or repeated string field, through singular message fields).
    static func values(at numbers: [Int], in message: some SwiftProtobuf.Message) throws -> [String] {
        var visitor = StringCollector(numbers: numbers[...])
        try message.traverse(visitor: &visitor)
        return visitor.values
    }

    /// `message` with its top-level string field `number` set to `value`.
    static func setting<M: SwiftProtobuf.Message>(_ value: String, at number: Int, in message: M) throws -> M {
        var bytes: [UInt8] = try message.serializedBytes()
        func varint(_ value: Int) {
            var rest = UInt64(value)
            while rest >= 0x80 {
                bytes.append(UInt8(rest & 0x7f) | 0x80)
                rest >>= 7
            }
            bytes.append(UInt8(rest))
        }
        varint(number << 3 | 2)
        varint(value.utf8.count)
        bytes.append(contentsOf: value.utf8)
        return try M(serializedBytes: bytes)
    }
}

/// Collects the strings at a path of field numbers.
private struct StringCollector: Visitor {
    let numbers: ArraySlice<Int>
    var values: [String] = []

    init(numbers: ArraySlice<Int>) { self.numbers = numbers }

    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
        if numbers.count == 1, fieldNumber == numbers.first { values.append(value) }
    }

    mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
        guard numbers.count > 1, fieldNumber == numbers.first else { return }
        var nested = StringCollector(numbers: numbers.dropFirst())
        try value.traverse(visitor: &nested)
        values += nested.values
    }

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
    mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {}
    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {}
    mutating func visitMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws {}
    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws where ValueType.RawValue == Int {}
    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type, value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws {}
    mutating func visitExtensionFields(fields: ExtensionFieldValueSet, start: Int, end: Int) throws {}
    mutating func visitExtensionFieldsAsMessageSet(fields: ExtensionFieldValueSet, start: Int, end: Int) throws {}
    mutating func visitUnknown(bytes: Data) throws {}
}
