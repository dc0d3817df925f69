import EventStore
import Foundation
import PostgresClient
import Testing
import VigilAudit
import VigilTestSupport

/// What docs/sharding.md says can run on one machine, run: appends routed by stream to two clusters
/// through PL/Proxy, each shard's log whole and verifiable on its own and read in its own commit order,
/// read models that merge by summing; and a time-partitioned log whose guards hold on every partition.
@Suite("Sharding and partitioning, as far as one machine goes", .serialized)
struct ShardingTests {
    var db: String { TestDatabase.projectFolder.appendingPathComponent("scripts/db").path }

    /// A private cluster of its own (scripts/db with VIGIL_CLUSTER), its database `vigil` migrated; its conninfo.
    func shard(_ name: String) throws -> String {
        let environment = ["VIGIL_CLUSTER": name, "VIGIL_DATABASE": "vigil"]
        try #require(try runProgram("/bin/bash", [db, "start"], environment: environment).status == 0, "scripts/db start \(name)")
        let url = try runProgram("/bin/bash", [db, "url"], environment: environment).stdout
        let conninfo = try #require(url.split(separator: "'").dropFirst().first.map(String.init))
        let socket = try #require(conninfo.components(separatedBy: "host=").last?.components(separatedBy: " ").first)
        let migrate = try VigilBinary.run(["db", "migrate", "--quiet"], database: "vigil", environment: ["PGHOST": socket, "PGUSER": "vigil", "PGPORT": "5432"])
        try #require(migrate.status == 0, "\(migrate.stderr)")
        return conninfo
    }

    func dropShard(_ name: String, _ conninfo: String?) {
        let environment = ["VIGIL_CLUSTER": name]
        _ = try? runProgram("/bin/bash", [db, "stop"], environment: environment)
        if let home = conninfo?.components(separatedBy: "host=").last?.components(separatedBy: "/\(name)/run").first {
            try? FileManager.default.removeItem(atPath: "\(home)/\(name)")
        }
    }

    @Test("PL/Proxy routes each stream's appends to one of two clusters; each shard verifies alone and the read models add up")
    func plproxy() throws {
        let names = ["sharda\(UInt32.random(in: 0..<UInt32.max))", "shardb\(UInt32.random(in: 0..<UInt32.max))"]
        var shards: [String?] = [nil, nil]
        defer { for (i, name) in names.enumerated() { dropShard(name, shards[i]) } }
        shards[0] = try shard(names[0])
        shards[1] = try shard(names[1])
        let proxy = try TestDatabase.connect(try TestDatabase.create("proxy"))
        try proxy.execute("CREATE EXTENSION plproxy")
        try proxy.execute(
            "CREATE SERVER vigil_shards FOREIGN DATA WRAPPER plproxy OPTIONS (p0 \(try proxy.quoteLiteral(shards[0]!)), p1 \(try proxy.quoteLiteral(shards[1]!)))")
        try proxy.execute("CREATE USER MAPPING FOR PUBLIC SERVER vigil_shards")
        // The proxy's append: the same arguments as vigil.append, run on the shard hashtext(stream) picks.
        try proxy.execute(
            """
            CREATE FUNCTION public.append(p_stream_id text, p_expected_version bigint, p_events jsonb, p_metadata jsonb,
                p_command_id text, p_actor text, p_correlation_id uuid, p_causation_id uuid)
            RETURNS TABLE (global_position bigint, stream_version bigint) AS $$
                CLUSTER 'vigil_shards';
                RUN ON hashtext(p_stream_id);
                SELECT global_position, stream_version FROM vigil.append(p_stream_id, p_expected_version, p_events, p_metadata,
                    p_command_id, p_actor, p_correlation_id, p_causation_id);
            $$ LANGUAGE plproxy
            """)
        let missions = 60
        for i in 0..<missions {
            let data = """
                {"missionId":"m-\(i)","name":"Mission \(i)","sendingState":"CN","kind":"embassy","city":"City \(i)","country":"US",\
                "timeZone":"America/New_York","registeredAt":"2026-12-07T00:00:00Z"}
                """
            let id = CommandEventId.derive(commandId: "shard-\(i)", index: 0).uuidString.lowercased()
            let events = "[{\"id\":\"\(id)\",\"type\":\"MissionRegistered\",\"data\":\(data)}]"
            let rows = try proxy.query(
                "SELECT * FROM public.append(\("mission-m-\(i)"), NULL, \(events)::jsonb, '{}'::jsonb, \("shard-\(i)"), 'sharding-test', NULL, NULL)")
            #expect(try rows[0].int64("stream_version") == 1)
        }
        // Each stream on exactly one shard, the one hashtext picks; together, every event once.
        var counts: [Int] = []
        var reported = 0
        for (i, conninfo) in shards.enumerated() {
            let connection = try Connection(conninfo: conninfo!)
            let streams = try connection.query("SELECT stream_id, (hashtext(stream_id) & 1) AS part FROM vigil.events").map {
                (try $0.string("stream_id"), try $0.int("part"))
            }
            #expect(streams.allSatisfy { $0.1 == i }, "shard \(i) holds only its streams")
            counts.append(streams.count)
            // Each shard is a whole Vigil log: its own commit order, hash chains and guards verify alone.
            let socket = conninfo!.components(separatedBy: "host=").last!.components(separatedBy: " ").first!
            let environment = ["PGHOST": socket, "PGUSER": "vigil", "PGPORT": "5432"]
            let verify = try VigilBinary.run(["audit", "verify"], database: "vigil", environment: environment)
            #expect(verify.status == 0, "shard \(i): \(verify.stdout) \(verify.stderr)")
            let rebuild = try VigilBinary.run(["projections", "rebuild", "--all"], database: "vigil", environment: environment)
            #expect(rebuild.status == 0, "shard \(i): \(rebuild.stderr)")
            let report = try VigilBinary.json(["report", "missions"], database: "vigil", environment: environment)
            reported += ((report as? [String: Any])?["rows"] as? [Any])?.count ?? 0
        }
        #expect(counts.allSatisfy { $0 > 0 } && counts.reduce(0, +) == missions, "\(counts)")
        #expect(reported == missions, "the shards' read models merge by key: every mission once")
        // A second append to a stream goes to the same shard and finds its head there.
        let again = try proxy.query(
            "SELECT * FROM public.append('mission-m-7', 1, \("[{\"id\":\"\(CommandEventId.derive(commandId: "shard-close-7", index: 0).uuidString.lowercased())\",\"type\":\"MissionClosed\",\"data\":{\"missionId\":\"m-7\",\"reason\":\"x\",\"closedAt\":\"2026-12-07T00:00:00Z\"}}]")::jsonb, '{}'::jsonb, 'shard-close-7', 'sharding-test', NULL, NULL)")
        #expect(try again[0].int64("stream_version") == 2)
    }

    @Test("a time-partitioned log: events land in their year, every partition refuses change, a detached year keeps guards")
    func partitionedLog() throws {
        let connection = try TestDatabase.connect(try TestDatabase.create("partitioned"))
        let sql = try String(contentsOf: TestDatabase.projectFolder.appendingPathComponent("docs/sql/partitioned-log.sql"), encoding: .utf8)
        try connection.execute(sql)
        try connection.execute(
            """
            INSERT INTO vigil_archive.events (stream_id, stream_version, event_id, event_type, data, recorded_at, hash) VALUES
              ('gathering-dad-2004-washington', 1, gen_random_uuid(), 'GatheringScheduled', '{}', '2004-12-20', '\\x00'),
              ('gathering-dad-2004-washington', 2, gen_random_uuid(), 'GatheringHeld', '{}', '2026-01-02', '\\x00'),
              ('mission-m-1', 1, gen_random_uuid(), 'MissionRegistered', '{}', '2031-05-01', '\\x00')
            """)
        let placed = try connection.query("SELECT tableoid::regclass::text AS part FROM vigil_archive.events ORDER BY global_position").map { try $0.string("part") }
        #expect(placed == ["vigil_archive.events_2004", "vigil_archive.events_2026", "vigil_archive.events_other"])
        for statement in [
            "UPDATE vigil_archive.events SET data = '{\"attendance\":5000}'", "UPDATE vigil_archive.events_2004 SET data = '{}'",
            "DELETE FROM vigil_archive.events_2026", "TRUNCATE vigil_archive.events", "TRUNCATE vigil_archive.events_2004",
            "TRUNCATE vigil_archive.events_other",
        ] {
            #expect(throws: PostgresError.self, "\(statement)") { try connection.execute(statement) }
        }
        #expect(try connection.query("SELECT count(*) AS n FROM vigil_archive.events")[0].int("n") == 3)
        // The trade-off the document names: uniqueness of a stream's versions is per partition.
        try connection.execute(
            "INSERT INTO vigil_archive.events (stream_id, stream_version, event_id, event_type, data, recorded_at, hash) VALUES ('mission-m-1', 1, gen_random_uuid(), 'MissionRegistered', '{}', '2026-03-01', '\\x00')")
        // Archiving: the detached year keeps refusing change.
        try connection.execute("SELECT vigil_archive.detach_partition('events_2004')")
        #expect(throws: PostgresError.self) { try connection.execute("DELETE FROM vigil_archive.events_2004") }
        #expect(try connection.query("SELECT count(*) AS n FROM vigil_archive.events_2004")[0].int("n") == 1)
        #expect(try connection.query("SELECT count(*) AS n FROM vigil_archive.events")[0].int("n") == 3)
    }
}
