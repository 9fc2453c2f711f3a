// The store's SQL, turned into PostgreSQL's: `?` parameters become `$n`,
// and the transactions' openings say what the store means by them. The
// rest of the store's SQL is written in what the two engines share
// (upserts as `ON CONFLICT … DO UPDATE`, not `INSERT OR REPLACE`).

import Foundation

enum PostgresSQL {
    /// `sql` with its `?` parameters numbered (`$1`, `$2`, …) outside
    /// quoted text and names, and SQLite's `CROSS JOIN … ON` (a join whose
    /// order SQLite's planner must keep) a plain `JOIN … ON`; SQLite's
    /// index hints (`INDEXED BY name`) are left out: PostgreSQL's planner
    /// takes none.
    static func translate(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        while let hint = out.range(of: " INDEXED BY ") {
            let name = out[hint.upperBound...].firstIndex(where: { $0 == " " || $0 == "\n" || $0 == ")" }) ?? out.endIndex
            out.removeSubrange(hint.lowerBound..<name)
        }
        if out.contains(" CROSS JOIN "), out.contains(" ON ") {
            out = out.replacingOccurrences(of: " CROSS JOIN ", with: " JOIN ")
        }
        return out
    }

    /// A transaction's opening as the store writes it, in PostgreSQL's
    /// terms: `BEGIN IMMEDIATE` (a writer's group) takes the journal's
    /// advisory lock for the transaction, so the writers of every daemon
    /// append one at a time; `BEGIN` (a read) is one snapshot for all its
    /// statements, as a SQLite read transaction is.
    static func transaction(_ sql: String, journalLockKey: Int64) -> String {
        switch sql {
        case "BEGIN IMMEDIATE": return "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(\(journalLockKey))"
        case "BEGIN": return "BEGIN ISOLATION LEVEL REPEATABLE READ"
        default: return sql
        }
    }
}
