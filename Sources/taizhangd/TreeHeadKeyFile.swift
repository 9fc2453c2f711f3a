// Where the daemon's tree-head signing key comes from (issue 24): systemd's
// credentials (LoadCredential=tree-head.key:…, $CREDENTIALS_DIRECTORY),
// else a key file in the data directory, created at first start with mode
// 0600 and a warning; never created for a ledger that already holds signed
// heads (their key is lost: a person decides). The file holds the Ed25519
// private key (its 32-byte seed) as 64 hex digits and a newline, as the
// personal-data key does. `tree-head.retired-keys` in the data directory
// lists the public keys it signed with before (one `ed25519:…` a line).

import Foundation
import TaizhangCore

enum TreeHeadKeyFile {
    static let name = "tree-head.key"
    static let retiredName = "tree-head.retired-keys"

    /// The key, the retired ones, and, when the key had to be created, a warning.
    static func load(environment: [String: String], dataDirectory: String, signedHeads: Int) throws
        -> (Ed25519SigningKey, retired: [Ed25519PublicKey], warning: String?) {
        let retired = try retiredKeys(dataDirectory + "/" + retiredName)
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty, FileManager.default.fileExists(atPath: credentials + "/" + name) {
            // systemd's credentials are the service's own (mode and owner set by it).
            return (try Ed25519SigningKey(seed: PersonalDataKeyFile.readSecret(credentials + "/" + name, checkMode: false)), retired, nil)
        }
        let path = dataDirectory + "/" + name
        var warning: String?
        if !FileManager.default.fileExists(atPath: path) {
            if signedHeads > 0 {
                throw PersonalDataKeyFile.Problem(description: "the ledger holds \(signedHeads) signed tree heads, and this daemon cannot find the key that signed them (no \(path), no credential \(name)): restore tree-head.key from its backup. If it is lost, make a new one by hand (openssl rand -hex 32 > \(path); chmod 600 \(path)), list the old public key in \(dataDirectory)/\(retiredName), and publish the new one")
            }
            try PersonalDataKeyFile.create(path, directory: dataDirectory)
            warning = "created a tree-head signing key in \(path) (the journal's signed heads, and every proof handed out, are checked with its public key, `taizhang audit key`): back it up apart from the ledger, or move it to the service's credentials (LoadCredential=\(name):/etc/taizhang/\(name))"
        }
        return (try Ed25519SigningKey(seed: PersonalDataKeyFile.readSecret(path, checkMode: true)), retired, warning)
    }

    /// The public keys listed in `path` (none when there is no file).
    static func retiredKeys(_ path: String) throws -> [Ed25519PublicKey] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }.enumerated().map { number, line in
                do { return try Ed25519PublicKey(text: line) } catch {
                    throw PersonalDataKeyFile.Problem(description: "\(path), line \(number + 1): \(error)")
                }
            }
    }
}
