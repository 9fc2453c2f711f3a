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
