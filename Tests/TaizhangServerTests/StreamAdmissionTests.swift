// A stream's caller is checked again while the stream runs: a token that
// expires, is revoked, or whose identity loses the permission or changes
// scope ends the stream.

import Foundation
import Testing
import TaizhangCore
@testable import TaizhangServer

struct StreamAdmissionTests {
    static let token = "tz_0123456789ab_" + String(repeating: "s", count: 43)

    static func policy(role: String = "viewer", scope: String = "", expires: Int64 = 2_000_000_000, revoked: Bool = false) throws -> AccessPolicy {
        let scopeField = scope.isEmpty ? "" : ", \"scope\": \"\(scope)\""
        let tokens = revoked ? "[]" : """
            [{"id": "tk_0123456789ab", "identity": "watcher", "sha256": "\(SHA256.hex(Array(token.utf8)))", "expires_unix": \(expires), "created": "2026-11-01T00:00:00Z"}]
            """
        return try AccessPolicy(json: """
            {"identities": [{"name": "watcher", "role": "\(role)"\(scopeField), "uids": [1001]}], "tokens": \(tokens)}
            """, ownUID: 0)
    }

    static func admission(_ policy: AccessPolicy, token: Bool = true, method: String = "/taizhang.risk.v1.Risk/WatchAlerts") throws -> StreamAdmission {
        let authorization = token ? "Bearer " + Self.token : nil
        let principal = try #require(token ? policy.principal(authorization: authorization, nowUnix: 1_900_000_000) : policy.principal(uid: 1001))
        let declaration = try #require(try MethodDeclarations.served.get()[method])
        return StreamAdmission(method: declaration, authorization: authorization, uid: token ? nil : 1001, principal: principal)
    }

    @Test func theSamePolicy_keepsTheStream() throws {
        let policy = try Self.policy()
        #expect(try Self.admission(policy).refusal(under: policy, nowUnix: 1_900_000_000) == nil)
        #expect(try Self.admission(policy, token: false).refusal(under: policy, nowUnix: 1_900_000_000) == nil)
    }

    @Test func anExpiredOrRevokedToken_endsIt_unauthenticated() throws {
        let admission = try Self.admission(try Self.policy())
        #expect(admission.refusal(under: try Self.policy(), nowUnix: 2_000_000_000)?.code == .unauthenticated)
        #expect(admission.refusal(under: try Self.policy(revoked: true), nowUnix: 1_900_000_000)?.code == .unauthenticated)
    }

    @Test func aLostPermissionOrAChangedScope_endsIt_permissionDenied() throws {
        // Every role may watch alerts; the check is the permission table's, so take a method only auditors may call.
        let audit = "/taizhang.ledger.v1.Ledger/ListAuditEntries"
        let admission = try Self.admission(try Self.policy(role: "auditor"), method: audit)
        let lost = admission.refusal(under: try Self.policy(role: "viewer"), nowUnix: 1_900_000_000)
        #expect(lost?.code == .permissionDenied)
        #expect(lost?.message.contains("audit.read") == true)
        let moved = try Self.admission(try Self.policy()).refusal(under: try Self.policy(scope: "421024101000"), nowUnix: 1_900_000_000)
        #expect(moved?.code == .permissionDenied)
        #expect(moved?.message.contains("421024101000") == true)
        let uid = try Self.admission(try Self.policy(role: "auditor"), token: false, method: audit)
        #expect(uid.refusal(under: try Self.policy(role: "viewer"), nowUnix: 1_900_000_000)?.code == .permissionDenied)
    }
}
