// Asset tags 一物一码 (issue 24): a sheet of labels for the yearly count,
// each with the asset's number, name, village, owners and year, and a QR
// code holding its id and its latest journal entry's leaf hash under a
// signed head (`ProofStamp`). A count may be recorded by scanning one: the
// CLI takes the code's text where it takes an asset's id.

import Foundation

/// One label's printed fields.
public struct AssetTag: Sendable {
    public var number: String
    public var name: String
    public var village: String
    public var owners: String
    public var year: String
    public var stamp: ProofStamp

    public init(number: String, name: String, village: String, owners: String, year: String, stamp: ProofStamp) {
        self.number = number
        self.name = name
        self.village = village
        self.owners = owners
        self.year = year
        self.stamp = stamp
    }
}

public enum AssetTags {
    /// The printable sheet: A4, three labels across.
    public static func html(_ tags: [AssetTag], unitName: String, publicKey: String, english: Bool = false) throws -> String {
        let escape = NoticePage.escape
        let title = english ? "Asset tags: \(unitName)" : "\(unitName)扶贫项目资产标签（一物一码）"
        var out = HTMLPage.head(title: title, english: english, landscape: false)
        let meta = english ? "\(tags.count) assets; scan a tag to record it in a count, or to fetch its proof (key \(publicKey))"
                           : "共 \(tags.count) 项资产；清查盘点时扫码登记，或扫码获取存证证明（公钥 \(publicKey)）"
        out += "<p class=\"meta\">\(escape(meta))</p>\n"
        out += "<style>div.tag { display: inline-block; width: 60mm; height: 44mm; border: 1px dashed #000; margin: 1mm; padding: 2mm; "
            + "vertical-align: top; page-break-inside: avoid; overflow: hidden; font-size: 8pt; } "
            + "div.tag img { float: right; width: 26mm; height: 26mm; image-rendering: pixelated; } "
            + "div.tag b { font-size: 10pt; } div.tag code { display: block; clear: both; font-size: 4pt; word-break: break-all; }</style>\n"
        let labels = english ? ["Number", "Village", "Owners", "Year"] : ["编号", "所在村", "所有权人", "年度"]
        for tag in tags {
            let code = try QRCode(tag.stamp.text)
            out += "<div class=\"tag\"><img alt=\"\(escape(tag.stamp.recordId))\" src=\"\(code.dataURI())\"><b>\(escape(tag.name))</b><br>"
            out += zip(labels, [tag.number, tag.village, tag.owners, tag.year]).map { "\(escape($0))：\(escape($1))" }.joined(separator: "<br>")
            out += "<code class=\"qr-text\">\(escape(tag.stamp.text))</code></div>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// The asset a count names: its id, or a tag's code text read by a scanner.
    public static func assetId(_ text: String) -> String {
        ProofStamp(text: text)?.recordId ?? text
    }
}
