// Who may do what (issue 8): the roles of a county's organisation, the
// permissions each holds, the identities an access file names (bound to
// Unix users or bearer tokens, and to an admin-unit subtree), and how a
// caller is recognised. Pure: the daemon reads the file and asks.

/// What a method needs. Every served method names exactly one, or none
/// (`Health`), in the server's permission table.
public enum Permission: String, Sendable, CaseIterable, Codable {
    /// Read the ledger: units, projects, assets, entities, contracts,
    /// reports, income, plans, counts, disposals, summaries.
    case ledgerRead = "ledger.read"
    /// Read alerts and scores, and watch them.
    case riskRead = "risk.read"
    /// Run the risk monitor now.
    case riskRun = "risk.run"
    /// Read the audit journal and verify its chain.
    case auditRead = "audit.read"
    /// The daemon's status and method list.
    case systemRead = "system.read"
    /// Take an online backup of the whole ledger (CreateBackup, ReadBackup).
    case systemBackup = "system.backup"
    /// Accept the journal's head after the daemon held the ledger read-only
    /// (AcceptAuditHead): an operator's decision, journaled.
    case auditAccept = "audit.accept"
    /// Create admin units and projects.
    case structureWrite = "structure.write"
    /// Register and change assets and take them through their life cycle
    /// (confirmation, notices, handover, operation, valuation).
    case assetWrite = "asset.write"
    /// Operating entities, their contracts and quarterly reports.
    case operationsWrite = "operations.write"
    /// Record income as received.
    case incomeWrite = "income.write"
    /// Draft a distribution plan and record the village's steps (assembly,
    /// notice, carried out).
    case planDraft = "plan.draft"
    /// Approve a plan: the township's approval and the county filing.
    case planApprove = "plan.approve"
    /// Open, record and close stock-takes.
    case countWrite = "count.write"
    /// Record a disposal (after its approvals) and revitalising plans.
    case disposalWrite = "disposal.write"
    /// Approve or reject a drafted ownership confirmation (separation of duties).
    case ownershipApprove = "ownership.approve"
    /// Approve or reject a drafted disposal (separation of duties).
    case disposalApprove = "disposal.approve"
    /// Take an alert's follow-up steps: acknowledge, assign, plan,
    /// rectify, record a talk (约谈) or a decision on accountability (问责).
    case alertFollow = "alert.follow"
    /// Check a rectified alert: close it (销号) or reopen it.
    case alertClose = "alert.close"
    /// Record a project's milestones, allocations and payments (issue 21).
    case progressWrite = "progress.write"
    /// Register responsible units and set their targets (issue 21).
    case targetsWrite = "targets.write"
    /// What a monitoring agent reads (issue 22): Status, ListAlerts,
    /// WatchAlerts, VerifyAuditChain, and the units and their ranking (the
    /// lights on its dashboard), nothing else.
    case monitorRead = "monitor.read"
    /// Register households and change their entries (issue 23).
    case householdWrite = "household.write"
    /// Read households' ID and phone numbers in clear (RevealHouseholds):
    /// each read journaled. Only the role `personal_data` (and local mode)
    /// holds it; an identity gets it besides its working role.
    case householdReveal = "household.reveal"
    /// Record visits to households 巡问查比 (RecordVisit): the township's,
    /// the county's and the approvers', not the village clerks' whose
    /// plans they check.
    case householdVisit = "household.visit"
    /// Keep an asset's upkeep log 管护记录 (issue 23): inspections, repairs,
    /// maintenance, the village's supervision of household assets.
    case upkeepWrite = "upkeep.write"
}

/// The roles of the county's organisation.
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Reads the ledger and the alerts.
    case viewer
    /// 村会计/村文书: the village's income, plans, counts and reports.
    case villageClerk = "village_clerk"
    /// 乡镇经办: the village clerk's work plus assets, entities and contracts of the township.
    case townshipClerk = "township_clerk"
    /// 县直部门经办: the township clerk's work plus units, projects and disposals.
    case countyClerk = "county_clerk"
    /// 审批人 (township or county): approves plans, ownership confirmations and disposals; reads.
    case approver
    /// 审计: reads everything, the audit journal included; changes nothing.
    case auditor
    /// 系统管理员: the daemon's status and the monitor; no ledger changes
    /// (configuration and tokens are files on the machine).
    case administrator
    /// A monitoring agent (taizhang-agent): `monitor.read` only.
    case monitoring
    /// 帮扶信息查阅: may read households' personal data in clear
    /// (`household.reveal`), each read journaled; given beside a working role.
    case personalData = "personal_data"
    /// The daemon's own user and root when no access file is configured
    /// (a laptop, a test): everything.
    case local

    /// The permissions the role holds.
    public var permissions: Set<Permission> {
        let read: Set<Permission> = [.ledgerRead, .riskRead, .systemRead]
        switch self {
        case .viewer: return read
        case .villageClerk: return read.union([.incomeWrite, .planDraft, .countWrite, .operationsWrite, .alertFollow, .householdWrite, .upkeepWrite])
        case .townshipClerk: return Role.villageClerk.permissions.union([.assetWrite, .progressWrite, .householdVisit])
        case .countyClerk: return Role.townshipClerk.permissions.union([.structureWrite, .disposalWrite, .targetsWrite])
        case .approver: return read.union([.planApprove, .ownershipApprove, .disposalApprove, .alertFollow, .alertClose, .householdVisit])
        case .auditor: return read.union([.auditRead])
        case .administrator: return [.systemRead, .systemBackup, .riskRead, .riskRun, .auditAccept]
        case .monitoring: return [.monitorRead]
        case .personalData: return [.householdReveal]
        case .local: return Set(Permission.allCases)
        }
    }
}

/// An identity of the access file.
public struct AccessIdentity: Sendable, Hashable {
    /// A short name, recorded in the audit journal ("baima-clerk").
    public var name: String
    /// What follow-up steps record of the person (issue 20): it never
    /// changes, so renaming an identity changes nothing it decided. The
    /// file's "id"; its name when the file gives none.
    public var id: String
    /// One role or more (a township's clerk who also approves): the union of their permissions.
    public var roles: [Role]
    /// The admin unit whose subtree it may read and change; empty: the whole ledger.
    public var scope: String
    /// Unix users that are this identity on the Unix socket.
    public var uids: [UInt32]

    /// An identity.
    public init(name: String, id: String = "", roles: [Role], scope: String = "", uids: [UInt32] = []) {
        self.name = name
        self.id = id.isEmpty ? name : id
        self.roles = roles
        self.scope = scope
        self.uids = uids
    }
}

/// A bearer token as the access file keeps it: never the token itself.
public struct AccessToken: Sendable, Hashable {
    /// The public part of the token ("tk_" and 12 hex digits), to list and revoke it.
    public var id: String
    public var identity: String
    /// SHA-256 (hex) of the whole token.
    public var sha256: String
    /// Unix seconds after which it is refused.
    public var expiresUnix: Int64
    /// RFC 3339, for people.
    public var created: String

    /// A token record.
    public init(id: String, identity: String, sha256: String, expiresUnix: Int64, created: String) {
        self.id = id
        self.identity = identity
        self.sha256 = sha256
        self.expiresUnix = expiresUnix
        self.created = created
    }
}

/// Who is calling, once recognised.
public struct Principal: Sendable, Hashable {
    public var name: String
    /// The identity's immutable id (`AccessIdentity.id`); "local" in local mode.
    public var id: String
    public var roles: [Role]
    /// Empty: the whole ledger.
    public var scope: String
    /// How it was recognised: "uid:1001" or "token:tk_0123456789ab".
    public var credential: String

    /// A principal.
    public init(name: String, id: String = "", roles: [Role], scope: String, credential: String) {
        self.name = name
        self.id = id.isEmpty ? name : id
        self.roles = roles
        self.scope = scope
        self.credential = credential
    }

    /// What the audit journal records: "baima-clerk (uid:1001)".
    public var auditIdentity: String { "\(name) (\(credential))" }

    /// The roles as people read them: "village_clerk+approver".
    public var roleNames: String { roles.map(\.rawValue).joined(separator: "+") }

    /// Local mode's single user: separation of duties cannot apply.
    public var isLocal: Bool { roles.contains(.local) }

    public func may(_ permission: Permission) -> Bool { roles.contains { $0.permissions.contains(permission) } }
}

/// What went wrong reading an access file: every problem, with where.
public struct AccessFileError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "; ") }

    public init(problems: [String]) { self.problems = problems }
}

/// The identities and tokens the daemon admits.
public struct AccessPolicy: Sendable, Equatable {
    /// False when no access file is configured: the daemon's own user and
    /// root are `local`, everyone else may only ask for Health.
    public var configured: Bool
    public var identities: [String: AccessIdentity]
    public var tokens: [String: AccessToken]
    private var byUID: [UInt32: String]
    /// The daemon's own uid (local mode).
    public var ownUID: UInt32

    /// Local mode: no access file.
    public static func local(ownUID: UInt32) -> AccessPolicy {
        AccessPolicy(configured: false, identities: [:], tokens: [:], byUID: [:], ownUID: ownUID)
    }

    private init(configured: Bool, identities: [String: AccessIdentity], tokens: [String: AccessToken], byUID: [UInt32: String], ownUID: UInt32) {
        self.configured = configured
        self.identities = identities
        self.tokens = tokens
        self.byUID = byUID
        self.ownUID = ownUID
    }

    /// The policy of an access file's JSON text; every problem at once.
    public init(json text: String, ownUID: UInt32) throws {
        var problems: [String] = []
        let root: JSONValue
        do {
            root = try JSONParser.parse(text)
        } catch {
            throw AccessFileError(problems: ["not valid JSON: \(error)"])
        }
        guard case .object(let members) = root else { throw AccessFileError(problems: ["the file holds a JSON object with \"identities\" and \"tokens\""]) }
        for member in members where member.key != "identities" && member.key != "tokens" {
            problems.append("unknown key \"\(member.key)\" (the keys are identities and tokens)")
        }
        var identities: [String: AccessIdentity] = [:]
        var byUID: [UInt32: String] = [:]
        var ids: [String: String] = [:]
        for (index, item) in (root["identities"]?.array ?? []).enumerated() {
            let at = "identities[\(index)]"
            guard case .object(let fields) = item, let name = item["name"]?.string, AccessPolicy.isName(name) else {
                problems.append("\(at): \"name\" is required: letters, digits, '-', '_' or '.', at most 64")
                continue
            }
            // A misspelt key must not silently widen an identity (a lost "scope" is the whole ledger).
            for field in fields where !["name", "id", "role", "roles", "scope", "uids"].contains(field.key) {
                problems.append("\(at) (\(name)): unknown key \"\(field.key)\" (the keys are name, id, role or roles, scope, uids)")
            }
            let id = item["id"]?.string ?? name
            if let value = item["id"], !(value.string.map(AccessPolicy.isName) ?? false) {
                problems.append("\(at) (\(name)): \"id\" must be a string of letters, digits, '-', '_' or '.', at most 64: the identity's id, never changed once steps record it")
            } else if let other = ids[id], other != name {
                problems.append("\(at) (\(name)): the id \(id) is already \(other)'s")
            }
            ids[id] = name
            // "role": "viewer", or "roles": ["village_clerk", "approver"].
            let texts = item["roles"]?.array?.map { $0.string ?? "" } ?? (item["role"]?.string).map { [$0] } ?? []
            let roles = texts.compactMap { Role(rawValue: $0) }.filter { $0 != .local }
            guard !roles.isEmpty, roles.count == texts.count else {
                problems.append("\(at) (\(name)): \"role\" (or \"roles\") must be one of \(Role.allCases.filter { $0 != .local }.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            if let value = item["scope"], value.string == nil {
                problems.append("\(at) (\(name)): \"scope\" must be a string: the 12-digit admin code in quotes")
            }
            let scope = item["scope"]?.string ?? ""
            if item["scope"]?.string != nil, !AdminUnitRules.isDivisionCode(scope) {
                problems.append("\(at) (\(name)): \"scope\" must be a 12-digit admin code, or absent for the whole ledger")
            }
            let uids = AccessPolicy.uids(item, of: "\(at) (\(name))", name: name, byUID: &byUID, problems: &problems)
            if identities.updateValue(AccessIdentity(name: name, id: id, roles: roles, scope: scope, uids: uids), forKey: name) != nil {
                problems.append("\(at): the name \(name) is used twice")
            }
        }
        var tokens: [String: AccessToken] = [:]
        for (index, item) in (root["tokens"]?.array ?? []).enumerated() {
            let at = "tokens[\(index)]"
            if case .object(let fields) = item {
                for field in fields where !["id", "identity", "sha256", "expires_unix", "created"].contains(field.key) {
                    problems.append("\(at): unknown key \"\(field.key)\"")
                }
            }
            guard let id = item["id"]?.string, AccessPolicy.isTokenId(id),
                  let identity = item["identity"]?.string,
                  let hash = item["sha256"]?.string, hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
                  let expires = item["expires_unix"]?.int64 else {
                problems.append("\(at): needs \"id\" (tk_ and 12 hex digits), \"identity\", \"sha256\" (64 lowercase hex digits) and \"expires_unix\"")
                continue
            }
            if identities[identity] == nil {
                problems.append("\(at) (\(id)): no identity \(identity) is defined")
            }
            if tokens.updateValue(AccessToken(id: id, identity: identity, sha256: hash, expiresUnix: expires,
                                              created: item["created"]?.string ?? ""), forKey: id) != nil {
                problems.append("\(at): the id \(id) is used twice")
            }
        }
        if !problems.isEmpty { throw AccessFileError(problems: problems) }
        self.init(configured: true, identities: identities, tokens: tokens, byUID: byUID, ownUID: ownUID)
    }

    /// An identity's Unix users, each noted in `byUID` (one identity per user).
    private static func uids(_ item: JSONValue, of at: String, name: String, byUID: inout [UInt32: String], problems: inout [String]) -> [UInt32] {
        var uids: [UInt32] = []
        for value in item["uids"]?.array ?? [] {
            guard let number = value.int64, let uid = UInt32(exactly: number) else {
                problems.append("\(at): \"uids\" holds numbers (Unix user ids)")
                continue
            }
            if let other = byUID[uid], other != name {
                problems.append("\(at): uid \(uid) is already \(other)'s")
            }
            byUID[uid] = name
            uids.append(uid)
        }
        return uids
    }

    /// The principal of a Unix peer, or nil (it may only ask for Health).
    public func principal(uid: UInt32) -> Principal? {
        if !configured {
            guard uid == ownUID || uid == 0 else { return nil }
            return Principal(name: "local", roles: [.local], scope: "", credential: "uid:\(uid)")
        }
        guard let name = byUID[uid], let identity = identities[name] else { return nil }
        return Principal(name: identity.name, id: identity.id, roles: identity.roles, scope: identity.scope, credential: "uid:\(uid)")
    }

    /// The principal of `authorization` metadata ("Bearer tz_…") at
    /// `nowUnix`, or nil. Whatever is wrong (no header, a malformed, unknown,
    /// revoked or expired token) gives the same nil: the caller learns no
    /// more than "not authenticated". The hash comparison takes the same
    /// time wherever the strings differ.
    public func principal(authorization: String?, nowUnix: Int64) -> Principal? {
        guard let header = authorization, header.hasPrefix("Bearer "), header.utf8.count <= 256 else { return nil }
        let token = String(header.dropFirst(7))
        guard let id = AccessPolicy.tokenId(of: token) else { return nil }
        return principal(tokenId: id, presentedSHA256: SHA256.hex(Array(token.utf8)), nowUnix: nowUnix)
    }

    /// The principal of a token known by its id and its SHA-256 (a stream
    /// keeps these, not the token, to check it again later).
    public func principal(tokenId id: String, presentedSHA256 presented: String, nowUnix: Int64) -> Principal? {
        // An unknown id still compares against a hash, so timing says nothing.
        let record = tokens[id]
        let matches = AccessPolicy.constantTimeEquals(presented, record?.sha256 ?? String(repeating: "0", count: 64))
        guard let record, matches, nowUnix < record.expiresUnix, let identity = identities[record.identity] else { return nil }
        return Principal(name: identity.name, id: identity.id, roles: identity.roles, scope: identity.scope, credential: "token:\(id)")
    }

    /// The id inside a token "tz_<id hex>_<secret>": "tk_<id hex>".
    public static func tokenId(of token: String) -> String? {
        let parts = token.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "tz", parts[1].utf8.count == 12,
              parts[1].utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return "tk_" + parts[1]
    }

    /// Equality of two strings whose time does not depend on where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95 || byte == 46
        }
    }

    static func isTokenId(_ text: String) -> Bool {
        text.hasPrefix("tk_") && text.utf8.count == 15 && text.utf8.dropFirst(3).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
