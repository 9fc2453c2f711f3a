// Splits the byte stream into frames: a big-endian uint32 length, then that
// many body bytes. The cap is checked as soon as the length is readable, so a
// frame announcing too much is refused before any of its body is buffered.

import NIOCore

/// A frame announced more bytes than the server accepts.
public struct FrameTooLargeError: Error, Hashable, CustomStringConvertible {
    /// The announced body length.
    public let announcedBytes: UInt32
    /// The configured cap.
    public let maxBytes: Int

    public var description: String {
        "frame of \(announcedBytes) bytes exceeds the limit of \(maxBytes) bytes"
    }
}

/// Decodes length-prefixed frames into their bodies.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The largest body accepted, in bytes.
    public let frameMaxBytes: Int

    /// A decoder with the given cap (PROTOCOL.md default: 4 MiB).
    public init(frameMaxBytes: Int = WireLimits.defaultFrameMaxBytes) {
        self.frameMaxBytes = frameMaxBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else {
            return .needMoreData
        }
        guard Int(length) <= frameMaxBytes else {
            throw FrameTooLargeError(announcedBytes: length, maxBytes: frameMaxBytes)
        }
        guard buffer.readableBytes >= 4 + Int(length) else {
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(body))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Whole frames still buffered are delivered; a partial frame at the
        // end of the stream is dropped (PROTOCOL.md: only that frame is lost).
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
