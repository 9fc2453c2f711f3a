// Slow and idle clients (issue 8): the bytes of a connection as they
// arrive, before the frame decoder, so the connection knows whether a frame
// is half received and since when, and when it last heard anything. A
// client that sends one byte a minute, or opens a connection and says
// nothing, does not hold a slot forever (RPCConnectionHandler closes it).

import NIOCore
import TaizhangCore

/// What the guard saw, read by the connection's handler (same event loop).
final class FrameProgress {
    /// When the frame now half received began; nil between frames.
    var frameStartedNanos: UInt64?
    /// When the last bytes arrived (or the connection opened).
    var lastByteNanos: UInt64
    /// The server's clock.
    let clock: any WallClock
    /// Bytes of the length prefix seen so far, and body bytes still to come.
    fileprivate var headerBytes: [UInt8] = []
    fileprivate var bodyRemaining = 0

    init(clock: any WallClock) {
        self.clock = clock
        lastByteNanos = clock.monotonicNanos()
    }
}

/// Passes bytes through, following the frame boundaries (a big-endian
/// uint32 length, then the body).
final class SlowFrameGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let progress: FrameProgress

    init(progress: FrameProgress) {
        self.progress = progress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = progress.clock.monotonicNanos()
        progress.lastByteNanos = now
        let view = buffer.readableBytesView
        var index = view.startIndex
        while index < view.endIndex {
            if progress.bodyRemaining > 0 {
                let take = min(progress.bodyRemaining, view.endIndex - index)
                progress.bodyRemaining -= take
                index += take
                if progress.bodyRemaining == 0 { progress.frameStartedNanos = nil }
                continue
            }
            if progress.headerBytes.isEmpty, progress.frameStartedNanos == nil { progress.frameStartedNanos = now }
            progress.headerBytes.append(view[index])
            index += 1
            if progress.headerBytes.count == 4 {
                progress.bodyRemaining = progress.headerBytes.reduce(0) { $0 << 8 | Int($1) }
                progress.headerBytes.removeAll(keepingCapacity: true)
            }
            if progress.headerBytes.isEmpty, progress.bodyRemaining == 0 { progress.frameStartedNanos = nil }
        }
        if progress.headerBytes.isEmpty, progress.bodyRemaining == 0 {
            progress.frameStartedNanos = nil
        } else if progress.frameStartedNanos == nil {
            progress.frameStartedNanos = now
        }
        context.fireChannelRead(data)
    }
}
