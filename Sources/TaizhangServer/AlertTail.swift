// On a ledger several daemons share (PostgreSQL), one risk monitor at a
// time changes the alerts (AlertStore.lead), and every daemon's WatchAlerts
// streams get the events from the database: a thread reads the events
// after the last one it published, in seq order, whichever daemon's
// monitor stored them. It looks when poked (this daemon's monitor stored
// some, or `NOTIFY taizhang_alerts` was heard) and at least once a second,
// so a notice lost with a connection delays an event by a second at most.

import Foundation
import Synchronization
import TaizhangCore
import TaizhangStore

final class AlertTail: @unchecked Sendable {
    // @unchecked: `published` is used by the tail's thread alone; the rest is behind `lock`.
    let alerts: AlertStore
    let hub: AlertHub
    /// The longest wait between two looks.
    static let lookMillis = 1_000
    /// Events read per page.
    static let pageSize = 512
    private let lock = NSCondition()
    private var poked = false
    private var stopping = false
    private var started = false
    private var published: Int64
    private let done = DispatchSemaphore(value: 0)
    /// Looks that failed in a row (logged once, then on recovery).
    private var failing = false

    init(alerts: AlertStore, hub: AlertHub) {
        self.alerts = alerts
        self.hub = hub
        // Events stored before the start are replayed from the database on request, not sent live.
        published = alerts.lastSeq
    }

    /// Starts the thread; a second call does nothing.
    func start() {
        lock.lock()
        defer { lock.unlock() }
        guard !started, !stopping else { return }
        started = true
        let thread = Thread { [self] in
            loop()
            done.signal()
        }
        thread.name = "taizhang-alert-tail"
        thread.start()
    }

    /// Looks at once.
    func poke() {
        lock.lock()
        poked = true
        lock.signal()
        lock.unlock()
    }

    func stop() {
        lock.lock()
        let wasStarted = started && !stopping
        stopping = true
        lock.signal()
        lock.unlock()
        if wasStarted { done.wait() }
    }

    private func loop() {
        while true {
            lock.lock()
            let deadline = Date(timeIntervalSinceNow: Double(Self.lookMillis) / 1000)
            while !poked, !stopping, lock.wait(until: deadline) {}
            let stop = stopping
            poked = false
            lock.unlock()
            if stop { return }
            look()
        }
    }

    /// Takes in what the leader stored and publishes the events not yet published, in order.
    func look() {
        do {
            try alerts.refresh()
            // The database went back (a restore): go on from its newest.
            if published > alerts.lastSeq { published = alerts.lastSeq }
            while true {
                let page = try alerts.events(after: published, limit: Self.pageSize)
                guard let last = page.last else { break }
                hub.publish(page)
                published = last.seq
                if page.count < Self.pageSize { break }
            }
            if failing {
                failing = false
                DaemonLog.info("alert tail: the alert events are read again")
            }
        } catch {
            if !failing { DaemonLog.error("alert tail: the alert events could not be read (tried again every second): \(error)") }
            failing = true
        }
    }
}
