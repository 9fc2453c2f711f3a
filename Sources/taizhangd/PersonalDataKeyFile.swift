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

    /// The key and, when it had to be created or sits beside the data, a warning.
    static func load(environment: [String: String], dataDirectory: String) throws -> (PersonalDataKey, warning: String?) {
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            let path = credentials + "/" + name
            if FileManager.default.fileExists(atPath: path) {
                return (try read(path, checkMode: false), nil)
            }
        }
        let path = dataDirectory + "/" + name
        if FileManager.default.fileExists(atPath: path) {
            return (try read(path, checkMode: true), nil)
        }
        try create(path, directory: dataDirectory)
        return (try read(path, checkMode: true),
                "created a personal-data key in \(path) (households' ID and phone numbers are sealed with it): back it up apart from the ledger, or move it to the service's credentials (LoadCredential=\(name):/etc/taizhang/\(name)); without it they cannot be read")
    }

    static func read(_ path: String, checkMode: Bool) throws -> PersonalDataKey {
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
        return try PersonalDataKey(secret: secret)
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
