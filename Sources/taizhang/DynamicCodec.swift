// Encodes JSON into protobuf binary and decodes binary into JSON using only
// a FileDescriptorSet, so `taizhang call` can speak any method the server
// lists, including ones newer than this CLI (what grpcurl does for gRPC).
// Follows the proto3 JSON mapping: lowerCamelCase or original field names,
// enums by name or number, 64-bit integers as strings, bytes as base64.

import Foundation
import SwiftProtobuf

/// A codec over one FileDescriptorSet.
struct DynamicCodec {
    typealias FieldType = Google_Protobuf_FieldDescriptorProto.TypeEnum
    private var messages: [String: Google_Protobuf_DescriptorProto] = [:]
    private var enums: [String: Google_Protobuf_EnumDescriptorProto] = [:]

    struct CodecError: Error, CustomStringConvertible {
        let description: String
    }

    init(fileDescriptorSet: Data) throws {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: fileDescriptorSet)
        for file in set.file {
            let prefix = file.package.isEmpty ? "" : "." + file.package
            for message in file.messageType { index(message, scope: prefix) }
            for enumType in file.enumType { enums[prefix + "." + enumType.name] = enumType }
        }
    }

    private mutating func index(_ message: Google_Protobuf_DescriptorProto, scope: String) {
        let name = scope + "." + message.name
        messages[name] = message
        for nested in message.nestedType { index(nested, scope: name) }
        for enumType in message.enumType { enums[name + "." + enumType.name] = enumType }
    }

    private func message(_ name: String) throws -> Google_Protobuf_DescriptorProto {
        let key = name.hasPrefix(".") ? name : "." + name
        guard let message = messages[key] else { throw CodecError(description: "unknown message type \(name)") }
        return message
    }

    // MARK: JSON → binary

    /// Encodes a JSON object (as parsed by JSONSerialization) as message `typeName`.
    func encode(_ json: Any, as typeName: String) throws -> Data {
        guard let object = json as? [String: Any] else {
            throw CodecError(description: "\(typeName) must be a JSON object")
        }
        let descriptor = try message(typeName)
        var out = Data()
        for (key, value) in object {
            guard let field = descriptor.field.first(where: { $0.name == key || $0.jsonName == key }) else {
                throw CodecError(description: "\(typeName) has no field \"\(key)\"")
            }
            if value is NSNull { continue }
            try encodeField(field, value, into: &out)
        }
        return out
    }

    private func mapEntry(_ field: Google_Protobuf_FieldDescriptorProto) -> Google_Protobuf_DescriptorProto? {
        guard field.type == .message, field.label == .repeated, let entry = try? message(field.typeName),
              entry.options.mapEntry else { return nil }
        return entry
    }

    private func encodeField(_ field: Google_Protobuf_FieldDescriptorProto, _ value: Any, into out: inout Data) throws {
        if let entry = mapEntry(field) {
            guard let object = value as? [String: Any] else { throw CodecError(description: "\(field.name) must be a JSON object") }
            for (key, item) in object {
                var body = Data()
                try encodeSingle(entry.field[0], key, into: &body)
                try encodeSingle(entry.field[1], item, into: &body)
                writeTag(field.number, wireType: 2, into: &out)
                writeVarint(UInt64(body.count), into: &out)
                out.append(body)
            }
            return
        }
        if field.label == .repeated {
            guard let items = value as? [Any] else { throw CodecError(description: "\(field.name) must be a JSON array") }
            for item in items { try encodeSingle(field, item, into: &out) }
            return
        }
        try encodeSingle(field, value, into: &out)
    }

    private func encodeSingle(_ field: Google_Protobuf_FieldDescriptorProto, _ value: Any, into out: inout Data) throws {
        func integer() throws -> Int64 {
            if let number = value as? NSNumber, !(value is Bool) { return number.int64Value }
            if let text = value as? String, let number = Int64(text) { return number }
            throw CodecError(description: "\(field.name) must be an integer")
        }
        func unsigned() throws -> UInt64 {
            if let number = value as? NSNumber, !(value is Bool) { return number.uint64Value }
            if let text = value as? String, let number = UInt64(text) { return number }
            throw CodecError(description: "\(field.name) must be a non-negative integer")
        }
        switch field.type {
        case .int32, .int64:
            writeTag(field.number, wireType: 0, into: &out)
            writeVarint(UInt64(bitPattern: try integer()), into: &out)
        case .uint32, .uint64:
            writeTag(field.number, wireType: 0, into: &out)
            writeVarint(try unsigned(), into: &out)
        case .sint32, .sint64:
            let number = try integer()
            writeTag(field.number, wireType: 0, into: &out)
            writeVarint(UInt64(bitPattern: (number << 1) ^ (number >> 63)), into: &out)
        case .bool:
            guard let flag = value as? Bool else { throw CodecError(description: "\(field.name) must be true or false") }
            writeTag(field.number, wireType: 0, into: &out)
            writeVarint(flag ? 1 : 0, into: &out)
        case .enum:
            let number: Int64
            if let name = value as? String {
                guard let enumType = enums[field.typeName], let match = enumType.value.first(where: { $0.name == name }) else {
                    throw CodecError(description: "\(field.name): \"\(name)\" is not a value of \(field.typeName.dropFirst())")
                }
                number = Int64(match.number)
            } else {
                number = try integer()
            }
            writeTag(field.number, wireType: 0, into: &out)
            writeVarint(UInt64(bitPattern: number), into: &out)
        case .fixed32, .sfixed32, .float:
            writeTag(field.number, wireType: 5, into: &out)
            let bits: UInt32
            if field.type == .float {
                guard let number = value as? NSNumber else { throw CodecError(description: "\(field.name) must be a number") }
                bits = number.floatValue.bitPattern
            } else {
                bits = UInt32(truncatingIfNeeded: try integer())
            }
            withUnsafeBytes(of: bits.littleEndian) { out.append(contentsOf: $0) }
        case .fixed64, .sfixed64, .double:
            writeTag(field.number, wireType: 1, into: &out)
            let bits: UInt64
            if field.type == .double {
                guard let number = value as? NSNumber else { throw CodecError(description: "\(field.name) must be a number") }
                bits = number.doubleValue.bitPattern
            } else {
                bits = UInt64(bitPattern: try integer())
            }
            withUnsafeBytes(of: bits.littleEndian) { out.append(contentsOf: $0) }
        case .string:
            guard let text = value as? String else { throw CodecError(description: "\(field.name) must be a string") }
            writeLengthDelimited(field.number, Data(text.utf8), into: &out)
        case .bytes:
            guard let text = value as? String, let bytes = Data(base64Encoded: text) else {
                throw CodecError(description: "\(field.name) must be base64")
            }
            writeLengthDelimited(field.number, bytes, into: &out)
        case .message:
            writeLengthDelimited(field.number, try encode(value, as: field.typeName), into: &out)
        default:
            throw CodecError(description: "\(field.name): field type \(field.type) is not supported")
        }
    }

    private func writeTag(_ number: Int32, wireType: UInt64, into out: inout Data) {
        writeVarint(UInt64(number) << 3 | wireType, into: &out)
    }

    private func writeLengthDelimited(_ number: Int32, _ bytes: Data, into out: inout Data) {
        writeTag(number, wireType: 2, into: &out)
        writeVarint(UInt64(bytes.count), into: &out)
        out.append(bytes)
    }

    private func writeVarint(_ value: UInt64, into out: inout Data) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    // MARK: binary → JSON

    /// Decodes `bytes` as `typeName` into a JSON-ready dictionary (original field names).
    func decode(_ bytes: Data, as typeName: String) throws -> [String: Any] {
        let descriptor = try message(typeName)
        var reader = Reader(bytes: [UInt8](bytes))
        var result: [String: Any] = [:]
        while !reader.atEnd {
            let tag = try reader.varint()
            let number = Int32(tag >> 3)
            let wireType = tag & 7
            guard let field = descriptor.field.first(where: { $0.number == number }) else {
                try reader.skip(wireType: wireType)
                continue
            }
            if let entry = mapEntry(field) {
                let body = try reader.lengthDelimited()
                let pair = try decode(Data(body), as: field.typeName)
                let keyName = entry.field[0].name
                let valueName = entry.field[1].name
                var map = result[field.name] as? [String: Any] ?? [:]
                map["\(pair[keyName] ?? "")"] = pair[valueName] ?? defaultValue(entry.field[1])
                result[field.name] = map
                continue
            }
            var values: [Any] = []
            if wireType == 2, field.type != .string, field.type != .bytes, field.type != .message {
                var packed = Reader(bytes: try reader.lengthDelimited())
                while !packed.atEnd { values.append(try decodeScalar(field, wireType: field.packedWireType, &packed)) }
            } else {
                values.append(try decodeScalar(field, wireType: wireType, &reader))
            }
            if field.label == .repeated {
                result[field.name] = (result[field.name] as? [Any] ?? []) + values
            } else if let last = values.last {
                result[field.name] = last
            }
        }
        return result
    }

    private func defaultValue(_ field: Google_Protobuf_FieldDescriptorProto) -> Any {
        switch field.type {
        case .string, .bytes: return ""
        case .bool: return false
        case .message: return [String: Any]()
        default: return 0
        }
    }

    private func decodeScalar(_ field: Google_Protobuf_FieldDescriptorProto, wireType: UInt64, _ reader: inout Reader) throws -> Any {
        switch field.type {
        case .int32: return Int32(truncatingIfNeeded: try reader.varint())
        case .int64: return String(Int64(bitPattern: try reader.varint()))
        case .uint32: return UInt32(truncatingIfNeeded: try reader.varint())
        case .uint64: return String(try reader.varint())
        case .sint32, .sint64:
            let raw = try reader.varint()
            let value = Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
            return field.type == .sint32 ? Int32(truncatingIfNeeded: value) as Any : String(value) as Any
        case .bool: return try reader.varint() != 0
        case .enum:
            let number = Int32(truncatingIfNeeded: try reader.varint())
            return enums[field.typeName]?.value.first { $0.number == number }?.name ?? Int(number)
        case .fixed32: return try reader.fixed32()
        case .sfixed32: return Int32(bitPattern: try reader.fixed32())
        case .float: return Float(bitPattern: try reader.fixed32())
        case .fixed64: return String(try reader.fixed64())
        case .sfixed64: return String(Int64(bitPattern: try reader.fixed64()))
        case .double: return Double(bitPattern: try reader.fixed64())
        case .string: return String(decoding: try reader.lengthDelimited(), as: UTF8.self)
        case .bytes: return Data(try reader.lengthDelimited()).base64EncodedString()
        case .message: return try decode(Data(try reader.lengthDelimited()), as: field.typeName)
        default: throw CodecError(description: "\(field.name): field type \(field.type) is not supported")
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var atEnd: Bool { offset >= bytes.count }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count, shift < 64 {
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            throw CodecError(description: "truncated varint")
        }

        mutating func fixed32() throws -> UInt32 {
            guard offset + 4 <= bytes.count else { throw CodecError(description: "truncated fixed32") }
            var value: UInt32 = 0
            for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
            offset += 4
            return value
        }

        mutating func fixed64() throws -> UInt64 {
            guard offset + 8 <= bytes.count else { throw CodecError(description: "truncated fixed64") }
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            offset += 8
            return value
        }

        mutating func lengthDelimited() throws -> [UInt8] {
            let length = Int(try varint())
            guard length >= 0, offset + length <= bytes.count else { throw CodecError(description: "truncated field") }
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }

        mutating func skip(wireType: UInt64) throws {
            switch wireType {
            case 0: _ = try varint()
            case 1: _ = try fixed64()
            case 2: _ = try lengthDelimited()
            case 5: _ = try fixed32()
            default: throw CodecError(description: "unsupported wire type \(wireType)")
            }
        }
    }
}

extension Google_Protobuf_FieldDescriptorProto {
    /// The wire type of one element of a packed repeated field.
    var packedWireType: UInt64 {
        switch type {
        case .fixed32, .sfixed32, .float: return 5
        case .fixed64, .sfixed64, .double: return 1
        default: return 0
        }
    }
}
