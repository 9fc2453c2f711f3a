// Where the daemon's tree-head signing key comes from (issue 24): systemd's
// credentials (LoadCredential=tree-head.key:…, $CREDENTIALS_DIRECTORY),
// else a key file in the data directory, created at first start with mode
// 0600 and a warning. The file holds the Ed25519 private key (its 32-byte
// seed) as 64 hex digits and a newline, as the personal-data key does.

import Foundation
import TaizhangCore

enum TreeHeadKeyFile {
    static let name = "tree-head.key"

    /// The key and, when it had to be created, a warning.
    static func load(environment: [String: String], dataDirectory: String) throws -> (Ed25519SigningKey, warning: String?) {
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty, FileManager.default.fileExists(atPath: credentials + "/" + name) {
            // systemd's credentials are the service's own (mode and owner set by it).
            return (try Ed25519SigningKey(seed: PersonalDataKeyFile.readSecret(credentials + "/" + name, checkMode: false)), nil)
        }
        let path = dataDirectory + "/" + name
        var warning: String?
        if !FileManager.default.fileExists(atPath: path) {
            try PersonalDataKeyFile.create(path, directory: dataDirectory)
            warning = "created a tree-head signing key in \(path) (the journal's signed heads, and every proof handed out, are checked with its public key, `taizhang audit key`): back it up apart from the ledger, or move it to the service's credentials (LoadCredential=\(name):/etc/taizhang/\(name))"
        }
        return (try Ed25519SigningKey(seed: PersonalDataKeyFile.readSecret(path, checkMode: true)), warning)
    }
}
