// Writing frames and building envelope messages.

import NIOCore
import SwiftProtobuf
import TaizhangProto

/// Frame encoding helpers.
public enum Frames {
    /// `message` serialized behind its 4-byte big-endian length.
    public static func encode<M: SwiftProtobuf.Message>(_ message: M, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let body: [UInt8] = try message.serializedBytes()
        var buffer = allocator.buffer(capacity: 4 + body.count)
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    /// Decodes one frame body as `M`.
    public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from body: ByteBuffer) throws -> M {
        try M(serializedBytes: body.readableBytesSpan)
    }
}

extension Taizhang_Rpc_V1_Status {
    /// A status with a code, message and violations.
    public init(code: Taizhang_Rpc_V1_Code, message: String, violations: [Taizhang_Rpc_V1_FieldViolation] = []) {
        self.init()
        self.code = code
        self.message = message
        self.violations = violations
    }
}

extension Taizhang_Rpc_V1_Response {
    /// The final response of a call that failed.
    public static func failure(callId: UInt64, status: Taizhang_Rpc_V1_Status, metadata: [String: String] = [:]) -> Self {
        var response = Self()
        response.callID = callId
        response.status = status
        response.endOfStream = true
        response.metadata = metadata
        return response
    }
}

/// The hot path's response writer: encodes a `taizhang.rpc.v1.Response`
/// frame straight into a ByteBuffer, so the payload is copied once rather
/// than serialized into the envelope a second time. The bytes are exactly
/// what SwiftProtobuf writes for the same message (fields in number order).
public enum ResponseFrame {
    /// The frame of a final response.
    public static func encode(callId: UInt64, status: Taizhang_Rpc_V1_Status?, payload: [UInt8], requestId: String,
                              allocator: ByteBufferAllocator) -> ByteBuffer {
        let statusBytes: [UInt8] = status.flatMap { try? $0.serializedBytes() } ?? []
        let key = "request-id"
        let entryLength = requestId.isEmpty ? 0 : 1 + varintSize(UInt64(key.utf8.count)) + key.utf8.count
            + 1 + varintSize(UInt64(requestId.utf8.count)) + requestId.utf8.count
        var bodyLength = 0
        if callId != 0 { bodyLength += 1 + varintSize(callId) }
        if status != nil { bodyLength += 1 + varintSize(UInt64(statusBytes.count)) + statusBytes.count }
        if !payload.isEmpty { bodyLength += 1 + varintSize(UInt64(payload.count)) + payload.count }
        bodyLength += 2
        if entryLength > 0 { bodyLength += 1 + varintSize(UInt64(entryLength)) + entryLength }

        var buffer = allocator.buffer(capacity: 4 + bodyLength)
        buffer.writeInteger(UInt32(bodyLength))
        if callId != 0 {
            buffer.writeInteger(UInt8(0x08))
            writeVarint(callId, into: &buffer)
        }
        if status != nil {
            buffer.writeInteger(UInt8(0x12))
            writeVarint(UInt64(statusBytes.count), into: &buffer)
            buffer.writeBytes(statusBytes)
        }
        if !payload.isEmpty {
            buffer.writeInteger(UInt8(0x1A))
            writeVarint(UInt64(payload.count), into: &buffer)
            buffer.writeBytes(payload)
        }
        buffer.writeInteger(UInt8(0x20))
        buffer.writeInteger(UInt8(0x01))
        if entryLength > 0 {
            buffer.writeInteger(UInt8(0x2A))
            writeVarint(UInt64(entryLength), into: &buffer)
            buffer.writeInteger(UInt8(0x0A))
            writeVarint(UInt64(key.utf8.count), into: &buffer)
            buffer.writeString(key)
            buffer.writeInteger(UInt8(0x12))
            writeVarint(UInt64(requestId.utf8.count), into: &buffer)
            buffer.writeString(requestId)
        }
        return buffer
    }

    static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    static func writeVarint(_ value: UInt64, into buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }
}
