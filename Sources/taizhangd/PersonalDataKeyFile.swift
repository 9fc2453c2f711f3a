// Where the daemon's personal-data key comes from (issue 23): systemd's
// credentials (LoadCredential=personal-data.key:…, $CREDENTIALS_DIRECTORY),
// else a key file in the data directory, created at first start with mode
// 0600 and a warning. The file holds 64 hex digits (32 bytes) and a newline.

import Foundation
import Glibc
import TaizhangCore

enum PersonalDataKeyFile {
    /// The credential's name and the data directory's file name.
    static let name = "personal-data.key"

    /// Why a key file cannot be used.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The key and, when it had to be created, a warning. The key must open
    /// the numbers of the register's first households; a ledger that holds
    /// households is never given a new key (their numbers could not be
    /// read, and a second registration of a person would go unnoticed).
    static func load(environment: [String: String], dataDirectory: String, register store: any LedgerStore) throws -> (PersonalDataKey, warning: String?) {
        let sample = try store.stewardshipRecords(StewardshipFilter(.household), after: nil, limit: 3)
        var path = dataDirectory + "/" + name
        var fromCredentials = false
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty, FileManager.default.fileExists(atPath: credentials + "/" + name) {
            (path, fromCredentials) = (credentials + "/" + name, true)
        } else if !FileManager.default.fileExists(atPath: path) {
            if sample.total > 0 {
                throw Problem(description: "the ledger holds \(sample.total) households whose ID and phone numbers are sealed with a key this daemon cannot find (no \(path), no credential \(name)); restore personal-data.key from its backup")
            }
            try create(path, directory: dataDirectory)
            return (try read(path, checkMode: true),
                    "created a personal-data key in \(path) (households' ID and phone numbers are sealed with it): back it up apart from the ledger, or move it to the service's credentials (LoadCredential=\(name):/etc/taizhang/\(name)); without it they cannot be read")
        }
        // systemd's credentials are the service's own (mode and owner set by it).
        let key = try read(path, checkMode: !fromCredentials)
        let households = sample.records.compactMap { record -> Household? in if case .household(let value) = record { value } else { nil } }
        if !households.isEmpty, !households.contains(where: { (try? key.open($0.idNumberSealed, household: $0.id, field: "id_number")) != nil }) {
            throw Problem(description: "the key in \(path) does not open the numbers of households \(households.map(\.id).joined(separator: ", ")): it is not the key they were sealed with; restore the right personal-data.key")
        }
        return (key, nil)
    }

    static func read(_ path: String, checkMode: Bool) throws -> PersonalDataKey {
        try PersonalDataKey(secret: try readSecret(path, checkMode: checkMode))
    }

    /// The 32 bytes a key file holds (64 hex digits, or the raw bytes).
    static func readSecret(_ path: String, checkMode: Bool) throws -> [UInt8] {
        if checkMode {
            var status = stat()
            if stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
                throw Problem(description: "\(path) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); chmod 600 \(path)")
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "\(path) cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let secret = text.count == 64 ? bytes(hex: text) : (data.count == 32 ? Array(data) : nil)
        guard let secret else {
            throw Problem(description: "\(path) holds no key: write 64 hex digits (32 bytes), e.g. from openssl rand -hex 32")
        }
        return secret
    }

    /// A fresh key in a new file, mode 0600 from the start, synced.
    static func create(_ path: String, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw Problem(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let text = Array((hexString(FieldCipher.newKey()) + "\n").utf8)
        guard write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
            throw Problem(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
