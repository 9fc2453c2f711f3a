// The server's settings: where it listens and its limits. Immutable.

import Foundation
import TaizhangCore
import TaizhangWire

/// Limits on clients: an idle or slow connection is closed; an identity
/// has at most so many calls in flight (over all its connections) and, when
/// set, so many calls a second.
public struct ConnectionPolicy: Sendable, Hashable {
    /// A connection with no call in flight and nothing received for this
    /// long is closed; 0: never.
    public var idleTimeoutMillis: Int64 = 300_000
    /// A frame begun must be complete within this long, or the connection is closed.
    public var frameTimeoutMillis: Int64 = 30_000
    /// Calls in flight of one identity, over all its connections.
    public var identityCallsInFlightMax = 1024
    /// Calls one identity may start per second (a burst of as many); 0: no limit.
    public var identityCallsPerSecond = 0

    public init() {}
}

/// The PEM files of TLS on TCP.
public struct TLSFiles: Sendable, Hashable {
    public var certificateChain: String
    public var privateKey: String
    /// When set, clients must present a certificate signed by this CA.
    public var clientCA: String?

    public init(certificateChain: String, privateKey: String, clientCA: String? = nil) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
    }
}

/// Where a listener binds.
public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case unixDomainSocket(path: String)
        case hostname(String, port: Int)
    }
    let kind: Kind

    /// A Unix domain stream socket at `path`.
    public static func unixDomainSocket(path: String) -> BindAddress { BindAddress(kind: .unixDomainSocket(path: path)) }
    /// A TCP address.
    public static func hostname(_ host: String, port: Int) -> BindAddress { BindAddress(kind: .hostname(host, port: port)) }

    public var description: String {
        switch kind {
        case .unixDomainSocket(let path): return "unix:\(path)"
        case .hostname(let host, let port): return host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        }
    }
}

/// The server's settings, with the defaults of PROTOCOL.md.
public struct ServerConfiguration: Sendable {
    /// Listeners; at least one.
    public var listeners: [BindAddress]
    /// Largest frame body accepted (4 MiB).
    public var frameMaxBytes: Int = WireLimits.defaultFrameMaxBytes
    /// Calls in flight on one connection (1024).
    public var callsInFlightMaxPerConnection: Int = WireLimits.defaultCallsInFlightMaxPerConnection
    /// Open connections (4096).
    public var connectionsMax: Int = WireLimits.defaultConnectionsMax
    /// How long in-flight calls may run after SIGTERM, in milliseconds.
    public var drainTimeoutMillis: Int64 = 10_000
    /// TLS on TCP listeners (PEM files); nil: plain TCP.
    public var tls: TLSFiles?
    /// Where CreateBackup keeps its snapshots (the data directory's
    /// `backups`); nil: no backups.
    public var backupDirectory: String?
    /// Per identity and slow-client limits (`idle-timeout-ms`, …).
    public var connectionPolicy = ConnectionPolicy()
    /// Event loop threads. Default: one per core but one, which is left to
    /// the store's writer thread (on 2 cores: one event loop).
    public var eventLoopThreads: Int = max(1, System.coreCount - 1)
    /// The daemon's version, for Status.
    public var version: String = "0.1.0"
    /// The county's depreciation policy (004 §17).
    public var depreciationPolicy = DepreciationPolicy()
    /// The working-day calendar for notices and deadlines (004 §15, §19).
    public var calendar = WorkingDayCalendar.builtIn()
    /// The risk monitor's settings.
    public var risk = RiskConfiguration()
    /// The key that seals households' ID and phone numbers (issue 23).
    /// taizhangd reads it from its credentials or its key file; the default,
    /// a fresh key, serves a server built in a test (nothing it seals
    /// outlives the process).
    public var personalDataKey = try! PersonalDataKey(secret: FieldCipher.newKey())
    /// Where alert events go.
    public var alertsTo: AlertDestination = .auto
    /// Who is admitted (`access-file`); local mode by default.
    public var access = AccessPolicy.local(ownUID: getuid())

    /// Settings for the given listeners.
    public init(listeners: [BindAddress]) {
        self.listeners = listeners
    }
}

import NIOCore
