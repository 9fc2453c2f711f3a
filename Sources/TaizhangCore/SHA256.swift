// SHA-256 (FIPS 180-4), for the audit chain and request digests, computed by
// OpenSSL's libcrypto: with the CPU's SHA extensions it is about ten times
// faster than portable code, and hashing sits on the durable-write path.

import CCrypto

/// A SHA-256 computation: feed bytes, then take the digest.
public struct SHA256: Sendable {
    private var pending: [UInt8] = []

    /// A fresh computation.
    public init() {}

    /// Feeds bytes.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
    }

    /// Feeds the UTF-8 bytes of a string.
    public mutating func update(_ text: String) {
        pending.append(contentsOf: text.utf8)
    }

    /// The digest of everything fed so far.
    public func finalize() -> [UInt8] {
        SHA256.digest(pending)
    }

    /// The digest of `bytes`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return digest(Array(bytes))
    }

    /// The digest of `bytes` as 64 lowercase hex digits.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        hexString(hash(bytes))
    }

    private static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }

    private static func digest(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { digest in
            EVP_Digest(raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), raw.count, digest.baseAddress, &length, EVP_sha256(), nil)
        }
        // EVP_Digest fails only on allocation failure inside OpenSSL.
        precondition(ok == 1 && length == 32, "libcrypto could not compute SHA-256")
        return out
    }
}

/// Lowercase hex of `bytes`.
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// HMAC-SHA256 (RFC 2104) over TaizhangCore's SHA-256.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}
