// The PostgreSQL machinery the store's tests will stand on (issue 25, first
// step): a primary and a synchronous streaming standby started by the test
// as an unprivileged user; a commit acknowledged by the primary is on the
// standby; the primary killed with SIGKILL, the standby promoted, every
// acknowledged row is there and the new primary takes writes.

import Foundation
import PostgresTestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(3)))
struct PostgresClusterTests {
    @Test func aSynchronousStandby_promotedAfterThePrimaryIsKilled_losesNoAcknowledgedRow() throws {
        try #require(PostgresCluster.installed, "postgresql-15 is missing: scripts/install-deps installs it")
        let primary = try PostgresCluster.primary()
        defer { primary.remove() }
        // Synchronous: a commit is acknowledged once the standby has it.
        let standby = try PostgresCluster.synchronousStandby(of: primary)
        defer { standby.remove() }
        #expect(try standby.query("SELECT pg_is_in_recovery()") == "t")
        #expect(try primary.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'") == "sync")
        _ = try primary.query("CREATE TABLE acknowledged (n integer PRIMARY KEY)")
        for n in 1...100 { _ = try primary.query("INSERT INTO acknowledged VALUES (\(n))") }
        try primary.kill9()
        try standby.promote()
        #expect(try standby.query("SELECT pg_is_in_recovery()") == "f")
        #expect(try standby.query("SELECT count(*), sum(n) FROM acknowledged") == "100|5050")
        _ = try standby.query("INSERT INTO acknowledged VALUES (101)")
        #expect(try standby.query("SELECT count(*) FROM acknowledged") == "101")
    }
}
