// The access file and the roles: every problem of a bad file at once, who a
// Unix user or a token is, and what each role may do.

import Testing
import TaizhangCore

struct AccessPolicyTests {
    static let sample = """
        {"identities": [
          {"name": "baima-clerk", "role": "village_clerk", "scope": "421024101201", "uids": [1001, 1002]},
          {"name": "xionghe-both", "roles": ["township_clerk", "approver"], "scope": "421024101000"},
          {"name": "county-auditor", "role": "auditor"}
        ],
         "tokens": [{"id": "tk_0123456789ab", "identity": "xionghe-both",
                     "sha256": "\(SHA256.hex(Array("tz_0123456789ab_secret".utf8)))", "expires_unix": 2000000000}]}
        """

    @Test func unixUsersAndTokens_becomeTheirIdentities() throws {
        let policy = try AccessPolicy(json: Self.sample, ownUID: 999)
        let clerk = try #require(policy.principal(uid: 1002))
        #expect(clerk.name == "baima-clerk" && clerk.scope == "421024101201" && clerk.auditIdentity == "baima-clerk (uid:1002)")
        #expect(clerk.may(.incomeWrite) && !clerk.may(.assetWrite) && !clerk.may(.planApprove))
        #expect(policy.principal(uid: 999) == nil) // the daemon's own user is nobody special once a file is configured
        #expect(policy.principal(uid: 0) == nil)
        let both = try #require(policy.principal(authorization: "Bearer tz_0123456789ab_secret", nowUnix: 1_900_000_000))
        #expect(both.name == "xionghe-both" && both.may(.assetWrite) && both.may(.planApprove) && both.credential == "token:tk_0123456789ab")
        // Expired, wrong secret, unknown id, malformed: all nil alike.
        for (header, now) in [("Bearer tz_0123456789ab_secret", Int64(2_000_000_000)), ("Bearer tz_0123456789ab_secreT", 0),
                              ("Bearer tz_aaaaaaaaaaaa_secret", 0), ("Bearer tz_0123456789AB_secret", 0), ("bearer tz_0123456789ab_secret", 0), ("", 0)] {
            #expect(policy.principal(authorization: header, nowUnix: now) == nil, "\(header)")
        }
    }

    @Test func localMode_isTheDaemonsUserAndRoot() {
        let policy = AccessPolicy.local(ownUID: 999)
        #expect(policy.principal(uid: 999)?.isLocal == true)
        #expect(policy.principal(uid: 0)?.may(.auditRead) == true)
        #expect(policy.principal(uid: 1000) == nil)
        #expect(policy.principal(authorization: "Bearer tz_0123456789ab_x", nowUnix: 0) == nil)
    }

    @Test func aBadFile_listsEveryProblem() {
        let text = """
            {"identities": [
              {"name": "a", "role": "superuser"},
              {"name": "b", "role": "viewer", "scope": "4210", "uids": [5, "x"]},
              {"name": "c", "role": "viewer", "uids": [5]},
              {"name": "c", "role": "local"},
              {"role": "viewer"}
            ],
             "tokens": [{"id": "tk_0123456789ab", "identity": "nobody", "sha256": "00", "expires_unix": 1},
                        {"id": "tk_0123456789ab", "identity": "b", "sha256": "\(String(repeating: "a", count: 64))", "expires_unix": 1},
                        {"id": "tk_0123456789ac", "identity": "nobody", "sha256": "\(String(repeating: "a", count: 64))", "expires_unix": 1}],
             "admins": []}
            """
        do {
            _ = try AccessPolicy(json: text, ownUID: 0)
            Issue.record("a bad file was accepted")
        } catch let error as AccessFileError {
            let all = error.problems.joined(separator: "\n")
            #expect(error.problems.count == 9, "\(all)")
            for words in ["unknown key \"admins\"", "identities[0] (a): \"role\"", "identities[1] (b): \"scope\"", "identities[1] (b): \"uids\"",
                          "identities[2] (c): uid 5 is already b's", "identities[3] (c): \"role\"", "identities[4]: \"name\" is required",
                          "tokens[0]: needs", "tokens[2] (tk_0123456789ac): no identity nobody"] {
                #expect(all.contains(words) || words == "tokens[0]: needs" && all.contains("tokens[0]"), "missing: \(words)\n\(all)")
            }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func rolesMatchTheOrganisation() {
        #expect(Role.viewer.permissions == [.ledgerRead, .riskRead, .systemRead])
        #expect(Role.auditor.permissions.contains(.auditRead) && !Role.auditor.permissions.contains { $0.rawValue.hasSuffix(".write") })
        #expect(Role.administrator.permissions.allSatisfy { !$0.rawValue.hasSuffix(".write") && $0 != .ledgerRead })
        #expect(Role.villageClerk.permissions.isSubset(of: Role.townshipClerk.permissions))
        #expect(Role.townshipClerk.permissions.isSubset(of: Role.countyClerk.permissions))
        #expect(!Role.countyClerk.permissions.contains(.planApprove) && Role.approver.permissions.contains(.planApprove))
        #expect(AccessPolicy.constantTimeEquals("abc", "abc") && !AccessPolicy.constantTimeEquals("abc", "abd") && !AccessPolicy.constantTimeEquals("abc", "abcd"))
    }

    /// A scope written as a number, or a misspelt key, must not become "the whole ledger".
    @Test func aLostScope_isAProblem_notTheWholeLedger() {
        for identity in [#"{"name": "c", "role": "village_clerk", "scope": 421024101201}"#,
                         #"{"name": "c", "role": "village_clerk", "scpoe": "421024101201"}"#,
                         #"{"name": "c", "role": "village_clerk", "scope": null}"#] {
            #expect(throws: AccessFileError.self, "\(identity)") { try AccessPolicy(json: #"{"identities": ["# + identity + "]}", ownUID: 0) }
        }
        #expect(throws: AccessFileError.self) {
            try AccessPolicy(json: #"{"identities": [{"name": "c", "role": "viewer"}], "tokens": [{"id": "tk_0123456789ab", "identity": "c", "sha256": "\#(String(repeating: "a", count: 64))", "expires_unix": 1, "expires": 2}]}"#, ownUID: 0)
        }
    }
}
