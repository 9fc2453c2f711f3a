// Hears the other daemons of a ledger: each writer sends
// `NOTIFY taizhang_journal, '<head seq> <writer id>'` inside the group it
// commits (PostgreSQL delivers it at COMMIT), and the leading risk monitor
// `NOTIFY taizhang_alerts, '<event seq>'` with the alerts it stores. A
// follower LISTENs on one channel, on a connection of its own, and hands
// each notice on: the store takes the commits in before its next read of
// the state would miss them; the alert tail sends the events to the
// WatchAlerts streams.

import CLibPQ
import Foundation
import Synchronization
import TaizhangStore

final class PostgresFollower: StoreFollower, @unchecked Sendable {
    // @unchecked: `connection` is used by the follower's thread alone.
    private let conninfo: String
    private let channel: String
    /// Called with each notice's payload, and with "" after (re)connecting
    /// (notices sent while no one listened are lost: look once).
    private let heard: @Sendable (String) -> Void
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private var connection: PostgresConnection?

    init(conninfo: String, channel: String, heard: @escaping @Sendable (String) -> Void) {
        self.conninfo = conninfo
        self.channel = channel
        self.heard = heard
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "taizhang-follow-\(channel)"
        thread.start()
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        done.wait()
    }

    /// Listens until stopped; a lost connection is made again once a second.
    private func run() {
        while !stopped.load(ordering: .acquiring) {
            if connection == nil {
                do {
                    let opened = try PostgresConnection(conninfo: conninfo)
                    try opened.execute("LISTEN \(channel)")
                    connection = opened
                    // Notices sent while no one listened: look once.
                    heard("")
                } catch {
                    StoreLog.debug("the follower cannot listen on \(channel) yet: \(error)")
                    wait(descriptor: -1, millis: 1_000)
                    continue
                }
            }
            guard let connection else { continue }
            wait(descriptor: PQsocket(connection.handle), millis: 250)
            guard PQconsumeInput(connection.handle) == 1 else {
                StoreLog.debug("the follower's connection was lost: \(connection.lastError)")
                self.connection = nil
                continue
            }
            while let notice = PQnotifies(connection.handle) {
                let payload = String(cString: notice.pointee.extra)
                PQfreemem(notice)
                heard(payload)
            }
        }
        connection = nil
    }

    /// Waits until `descriptor` can be read or `millis` pass (just the time
    /// with no descriptor), so `stop` is seen within that time.
    private func wait(descriptor: Int32, millis: Int32) {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&poller, descriptor >= 0 ? 1 : 0, millis)
    }
}
