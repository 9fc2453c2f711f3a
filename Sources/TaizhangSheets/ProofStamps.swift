// The QR codes on printed pages (issue 24, docs/transparency.md): each
// record on a page gets one holding its latest journal entry's leaf hash,
// the size and root of a signed tree head, and how to get the proof; the
// text the code holds is printed under it, so what a phone reads can be
// compared with what the page says.

import Foundation

/// What a record's QR code says.
public struct ProofStamp: Sendable, Hashable {
    /// The log: the signed head's origin, "taizhang/<ledger id>".
    public var log: String
    public var recordId: String
    /// The entry's sequence number (its leaf is seq − 1).
    public var seq: UInt64
    /// The entry's leaf hash, 64 hex digits.
    public var leafHash: String
    public var treeSize: UInt64
    public var rootHash: String

    public init(log: String, recordId: String, seq: UInt64, leafHash: String, treeSize: UInt64, rootHash: String) {
        self.log = log
        self.recordId = recordId
        self.seq = seq
        self.leafHash = leafHash
        self.treeSize = treeSize
        self.rootHash = rootHash
    }

    /// The code's text: a URI whose fields name the proof to ask for
    /// (`taizhang audit prove --record RECORD --size SIZE`).
    public var text: String {
        "taizhang:prove?log=\(log)&record=\(recordId)&seq=\(seq)&leaf=\(leafHash)&size=\(treeSize)&root=\(rootHash)"
    }

    /// The stamp a code's text holds, or nil when it is not one.
    public init?(text: String) {
        guard text.hasPrefix("taizhang:prove?") else { return nil }
        var fields: [String: String] = [:]
        for pair in text.dropFirst("taizhang:prove?".count).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, fields[parts[0]] == nil else { return nil }
            fields[parts[0]] = parts[1]
        }
        guard fields.count == 6, let log = fields["log"], let record = fields["record"], !record.isEmpty,
              let seq = fields["seq"].flatMap(UInt64.init), let leaf = fields["leaf"], leaf.utf8.count == 64,
              let size = fields["size"].flatMap(UInt64.init), let root = fields["root"], root.utf8.count == 64 else { return nil }
        self.init(log: log, recordId: record, seq: seq, leafHash: leaf, treeSize: size, rootHash: root)
    }

    /// The command that fetches the proof.
    public var command: String { "taizhang audit prove --record \(recordId) --size \(treeSize)" }
}

/// The section of QR codes at the end of a printed page.
public enum ProofSection {
    /// `page` with a section of one code per stamp (labelled) before its end.
    public static func insert(into page: String, _ stamps: [(label: String, stamp: ProofStamp)], publicKey: String, english: Bool) throws -> String {
        guard !stamps.isEmpty, let end = page.range(of: "</body>", options: .backwards) else { return page }
        let escape = NoticePage.escape
        let intro = english
            ? "Each record below is in the audit journal's transparency log. Scan its code, fetch the proof it names (\(stamps[0].stamp.command)), and check it with the county's public key \(publicKey) (`taizhang audit check`, or clients/python/taizhang_verify.py)."
            : "下列每条记录均已写入审计日志（透明日志）。扫描其核验码，按码中所示获取证明（\(stamps[0].stamp.command)），再以本县公钥 \(publicKey) 核验（taizhang audit check，或 clients/python/taizhang_verify.py）。"
        var section = "<section class=\"proofs\">\n<h2>\(escape(english ? "Verification codes" : "存证核验码"))</h2>\n<p class=\"proof-intro\">\(escape(intro))</p>\n"
        section += "<style>section.proofs figure { display: inline-block; width: 62mm; margin: 2mm; vertical-align: top; page-break-inside: avoid; } "
            + "section.proofs img { width: 32mm; height: 32mm; image-rendering: pixelated; } "
            + "section.proofs code { display: block; font-size: 6pt; word-break: break-all; }</style>\n"
        for (label, stamp) in stamps {
            let code = try QRCode(stamp.text)
            section += "<figure class=\"qr\"><img alt=\"\(escape(stamp.recordId))\" src=\"\(code.dataURI())\">"
            section += "<figcaption>\(escape(label))<code class=\"qr-text\">\(escape(stamp.text))</code></figcaption></figure>\n"
        }
        section += "</section>\n"
        var out = page
        out.insert(contentsOf: section, at: end.lowerBound)
        return out
    }
}
