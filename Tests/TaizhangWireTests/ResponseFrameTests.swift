// The hand-written response frame equals SwiftProtobuf's encoding.

import Foundation
import NIOCore
import Testing
import TaizhangProto
@testable import TaizhangWire

struct ResponseFrameTests {
    @Test(arguments: [(UInt64(0), false, 0, ""), (UInt64(1), false, 3, "r-1"), (UInt64(300), true, 0, "tz-ab-99"),
                      (UInt64.max, true, 1000, String(repeating: "x", count: 200))])
    func handWrittenFrame_matchesSwiftProtobuf(callId: UInt64, failed: Bool, payloadBytes: Int, requestId: String) throws {
        var expected = Taizhang_Rpc_V1_Response()
        expected.callID = callId
        expected.endOfStream = true
        let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0) }
        expected.payload = Data(payload)
        if !requestId.isEmpty { expected.metadata = ["request-id": requestId] }
        var status: Taizhang_Rpc_V1_Status?
        if failed {
            status = Taizhang_Rpc_V1_Status(code: .notFound, message: "没有这项资产", violations: [])
            expected.status = status!
        }
        let frame = ResponseFrame.encode(callId: callId, status: status, payload: payload, requestId: requestId,
                                         allocator: ByteBufferAllocator())
        let reference = try Frames.encode(expected, allocator: ByteBufferAllocator())
        #expect(Array(frame.readableBytesView) == Array(reference.readableBytesView))
    }
}
