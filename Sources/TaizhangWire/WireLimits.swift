// The protocol's limits and their defaults (PROTOCOL.md "Framing", "Calls").

/// Defaults of the wire's limits.
public enum WireLimits {
    /// Largest frame body: 4 MiB.
    public static let defaultFrameMaxBytes = 4 * 1024 * 1024
    /// Calls in flight on one connection.
    public static let defaultCallsInFlightMaxPerConnection = 1024
    /// Open connections.
    public static let defaultConnectionsMax = 4096
}
