// The frame decoder through EmbeddedChannel: split and coalesced frames,
// zero length, the cap, malicious lengths, and a stream ending mid-frame.

import NIOCore
import NIOEmbedded
import Testing
@testable import TaizhangWire

struct FrameDecoderTests {
    static func channel(cap: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameMaxBytes: cap)))
        return channel
    }

    static func frame(_ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        let length = UInt32(body.count)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        return bytes + body
    }

    static func write(_ channel: EmbeddedChannel, _ bytes: [UInt8]) throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try channel.writeInbound(buffer)
    }

    static func readFrames(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while let body = try channel.readInbound(as: ByteBuffer.self) {
            frames.append(Array(body.readableBytesView))
        }
        return frames
    }

    @Test func frameSplitAcrossManyWrites_isDeliveredWhole() throws {
        let channel = try Self.channel()
        let bytes = Self.frame([1, 2, 3, 4, 5])
        for byte in bytes {
            #expect(try Self.readFrames(channel).isEmpty)
            try Self.write(channel, [byte])
        }
        #expect(try Self.readFrames(channel) == [[1, 2, 3, 4, 5]])
        _ = try channel.finish()
    }

    @Test func coalescedFrames_areDeliveredSeparately() throws {
        let channel = try Self.channel()
        try Self.write(channel, Self.frame([9]) + Self.frame([]) + Self.frame([7, 7]) + Array(Self.frame([1, 2, 3]).prefix(5)))
        #expect(try Self.readFrames(channel) == [[9], [], [7, 7]])
        try Self.write(channel, [2, 3])
        #expect(try Self.readFrames(channel) == [[1, 2, 3]])
        _ = try channel.finish()
    }

    @Test func zeroLengthFrame_isAnEmptyBody() throws {
        let channel = try Self.channel()
        try Self.write(channel, [0, 0, 0, 0])
        #expect(try Self.readFrames(channel) == [[]])
        _ = try channel.finish()
    }

    @Test func frameAtTheCap_isAccepted() throws {
        let channel = try Self.channel(cap: 16)
        try Self.write(channel, Self.frame([UInt8](repeating: 0xAB, count: 16)))
        #expect(try Self.readFrames(channel).map(\.count) == [16])
        _ = try channel.finish()
    }

    @Test func frameOverTheCap_failsOnItsHeaderBeforeAnyBody() throws {
        let channel = try Self.channel(cap: 16)
        #expect(throws: FrameTooLargeError(announcedBytes: 17, maxBytes: 16)) {
            try Self.write(channel, [0, 0, 0, 17])
        }
    }

    @Test(arguments: [UInt32.max, UInt32(Int32.max), UInt32(1 << 31), UInt32(4 * 1024 * 1024 + 1)])
    func maliciousLengths_areRefusedAtTheHeader(length: UInt32) throws {
        let channel = try Self.channel(cap: 4 * 1024 * 1024)
        let header = [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        #expect(throws: FrameTooLargeError.self) {
            try Self.write(channel, header)
        }
    }

    @Test func streamEndingMidFrame_losesOnlyThatFrame() throws {
        let channel = try Self.channel()
        try Self.write(channel, Self.frame([1]) + [0, 0, 0, 9, 1, 2])
        #expect(try Self.readFrames(channel) == [[1]])
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(try Self.readFrames(channel).isEmpty)
    }

    @Test func headerSplitAcrossWrites_isReassembled() throws {
        let channel = try Self.channel()
        try Self.write(channel, [0, 0])
        try Self.write(channel, [0, 2, 5])
        #expect(try Self.readFrames(channel).isEmpty)
        try Self.write(channel, [6])
        #expect(try Self.readFrames(channel) == [[5, 6]])
        _ = try channel.finish()
    }
}
