// journald's native protocol for the daemon and the agent: one entry of
// structured fields through sd_journal_sendv (sd_journal_send is variadic,
// which Swift cannot call).

import CSystemd

public enum JournalEntry {
    /// Sends one entry of `fields` (NAME, value); returns sd_journal_sendv's
    /// result (negative: an errno).
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Int32 {
        let entries = fields.map { key, value in Array("\(key)=\(value)".utf8) }
        var result: Int32 = 0
        // Each entry's bytes stay alive (and unmoved) while sd_journal_sendv runs.
        func send(_ index: Int, _ vectors: inout [iovec]) {
            if index == entries.count {
                result = vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
                return
            }
            entries[index].withUnsafeBytes { bytes in
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                send(index + 1, &vectors)
            }
        }
        var vectors: [iovec] = []
        vectors.reserveCapacity(entries.count)
        send(0, &vectors)
        return result
    }
}
