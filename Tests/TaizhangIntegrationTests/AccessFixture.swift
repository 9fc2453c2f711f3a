// Access files for tests: identities written as JSON, tokens made by the
// real `taizhang token create` (so the CLI's hashing is what the daemon checks).

import Foundation

enum AccessFixture {
    /// An identity of the file: name, role ("a+b" for several roles), scope
    /// ("" for the whole ledger), Unix uids.
    typealias Identity = (name: String, role: String, scope: String, uids: [UInt32])

    /// Writes an access file with `identities` and no tokens; returns its path.
    static func file(_ identities: [Identity]) throws -> String {
        let path = NSTemporaryDirectory() + "tz-access-" + UUID().uuidString + ".json"
        let entries: [[String: Any]] = identities.map { identity in
            var entry: [String: Any] = ["name": identity.name, "uids": identity.uids.map(Int.init)]
            if identity.role.contains("+") {
                entry["roles"] = identity.role.split(separator: "+").map(String.init)
            } else {
                entry["role"] = identity.role
            }
            if !identity.scope.isEmpty { entry["scope"] = identity.scope }
            return entry
        }
        let data = try JSONSerialization.data(withJSONObject: ["identities": entries, "tokens": [Any]()], options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A new token for `identity`, made by `taizhang token create`.
    static func token(_ path: String, identity: String, days: Int = 30) throws -> String {
        let run = try CLITests.taizhang(["token", "create", "--access-file", path, "--identity", identity, "--days", String(days)], socket: "")
        guard run.status == 0 else { throw AccessFixtureError(message: "token create failed: \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func bearer(_ token: String) -> [String: String] { ["authorization": "Bearer " + token] }
}

struct AccessFixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
