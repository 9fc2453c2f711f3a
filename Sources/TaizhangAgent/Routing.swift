// Routing, silences and grouping, all pure: which receivers a notice goes
// to (the routes in order, the first that matches unless it says
// continue), which notices a silence holds back, and how the notices of one
// flush become messages (one per receiver, daemon, township and
// transition, split at the receiver's max-alerts-per-message).

#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif

/// A silence: notices it matches are not sent until it ends.
public struct Silence: Codable, Sendable, Equatable {
    public var id: String
    public var daemon: String?
    public var adminCode: String?
    public var kinds: [String]
    /// Only notices at or below this level are silenced; nil: any.
    public var maxLevel: NoticeLevel?
    public var startsAt: Date
    public var endsAt: Date
    public var reason: String
    public var createdBy: String

    public init(id: String, daemon: String? = nil, adminCode: String? = nil, kinds: [String] = [], maxLevel: NoticeLevel? = nil,
                startsAt: Date, endsAt: Date, reason: String, createdBy: String) {
        (self.id, self.daemon, self.adminCode, self.kinds, self.maxLevel) = (id, daemon, adminCode, kinds, maxLevel)
        (self.startsAt, self.endsAt, self.reason, self.createdBy) = (startsAt, endsAt, reason, createdBy)
    }

    public func isActive(at now: Date) -> Bool { startsAt <= now && now < endsAt }

    public func matches(_ notice: Notice) -> Bool {
        if let daemon, daemon != notice.daemon { return false }
        if let adminCode, !AdminCodes.contains(adminCode, notice.adminCode) { return false }
        if !kinds.isEmpty, !kinds.contains(notice.kind) { return false }
        if let maxLevel, notice.routeLevel > maxLevel { return false }
        return true
    }
}

public enum Routing {
    /// Whether `route` takes `notice`.
    public static func matches(_ route: Route, _ notice: Notice) -> Bool {
        if let daemon = route.daemon, daemon != notice.daemon { return false }
        if let admin = route.adminCode, !AdminCodes.contains(admin, notice.routeAdminCode) { return false }
        if !route.kinds.isEmpty, !route.kinds.contains(notice.kind) { return false }
        return notice.routeLevel >= route.minLevel
    }

    /// The routes that take `notice`, in order: the first match, and the
    /// ones after it while the matched routes say continue.
    public static func routes(for notice: Notice, in routes: [Route]) -> [Route] {
        var taken: [Route] = []
        for route in routes where matches(route, notice) {
            taken.append(route)
            if !route.continues { break }
        }
        return taken
    }

    /// The receivers of `notice` (each once), unless an active silence holds it.
    public static func receivers(for notice: Notice, routes: [Route], silences: [Silence], now: Date) -> (receivers: [String], silencedBy: Silence?) {
        if let silence = silences.first(where: { $0.isActive(at: now) && $0.matches(notice) }) { return ([], silence) }
        var names: [String] = []
        for route in Routing.routes(for: notice, in: routes) where !names.contains(route.receiver) { names.append(route.receiver) }
        return (names, nil)
    }

    /// The messages of one flush: the notices grouped per receiver, daemon,
    /// township and transition, in the order they came, each group split
    /// into messages of at most the receiver's `maxAlertsPerMessage`.
    public static func messages(_ notices: [Notice], configuration: AgentConfiguration, silences: [Silence], now: Date)
        -> (messages: [NoticeMessage], silenced: Int) {
        var order: [String] = []
        var groups: [String: NoticeMessage] = [:]
        var silenced = 0
        for notice in notices {
            let (receivers, silence) = Routing.receivers(for: notice, routes: configuration.routes, silences: silences, now: now)
            if silence != nil { silenced += 1; continue }
            for receiver in receivers {
                let groupKey = "\(notice.daemon)/\(notice.township)/\(notice.transition)"
                let id = receiver + "\u{0}" + groupKey
                if groups[id] == nil {
                    order.append(id)
                    groups[id] = NoticeMessage(receiver: receiver, groupKey: groupKey, notices: [])
                }
                groups[id]!.notices.append(notice)
            }
        }
        var messages: [NoticeMessage] = []
        for id in order {
            guard let group = groups[id] else { continue }
            let limit = configuration.receivers.first { $0.name == group.receiver }?.maxAlertsPerMessage ?? 100
            var start = 0
            while start < group.notices.count {
                let end = min(start + limit, group.notices.count)
                messages.append(NoticeMessage(receiver: group.receiver, groupKey: group.groupKey, notices: Array(group.notices[start..<end])))
                start = end
            }
        }
        return (messages, silenced)
    }
}
