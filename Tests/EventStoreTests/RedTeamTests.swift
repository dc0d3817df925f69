@testable import EventStore
import Foundation
import PostgresClient
import Testing
import VigilAudit
import VigilTestSupport

/// Attacks on the log by the roles that hold it: an organiser's login (a member of vigil_writer), the
/// owner of the schema, and a superuser. Each attack is refused by the database or found by verify.
/// Every test works in a database of its own and changes no cluster-wide role, so suites running beside
/// this one are not disturbed.
@Suite("Red team")
struct RedTeamTests {
    /// A fresh database with a few appends on two streams; returns its name.
    func logWithEvents(_ label: String) throws -> String {
        let database = try TestDatabase.create("red_\(label)")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        for i in 0..<3 {
            try store.append(to: "gathering-g1", expected: i == 0 ? .noStream : .exact(Int64(i)),
                             events: [event("GatheringScheduled", "{\"i\": \(i)}")], metadata: meta("g1-\(i)"))
            try store.append(to: "mission-m1", expected: .any, events: [event("E", "{\"i\": \(i)}"), event()],
                             metadata: meta("m1-\(i)"))
        }
        return database
    }

    /// The same log written before migration 0037, when each command also wrote a record in
    /// vigil.commands (the PL/pgSQL append of 0036 with ids of the caller's), then migrated to today.
    func legacyLogWithEvents(_ label: String) throws -> String {
        let database = try TestDatabase.create("red_\(label)", through: "0036")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        for i in 0..<3 {
            for (stream, command, events) in [
                ("gathering-g1", "g1-\(i)", #"[{"id": "\#(UUID())", "type": "GatheringScheduled", "data": {"i": \#(i)}}]"#),
                ("mission-m1", "m1-\(i)",
                 #"[{"id": "\#(UUID())", "type": "E", "data": {"i": \#(i)}}, {"id": "\#(UUID())", "type": "T", "data": {}}]"#),
            ] {
                try writer.query("SELECT * FROM vigil.append(\(stream), NULL, \(events)::jsonb, '{}', \(command), 'test', NULL, NULL)")
            }
        }
        try Migrator(directory: TestDatabase.schemaDirectory).migrate(try TestDatabase.connect(database))
        return database
    }

    func auditor(_ database: String) throws -> EventStore {
        EventStore(connection: try TestDatabase.connect(database, as: "vigil_auditor"))
    }

    /// The names of the guards that do not hold.
    func failedGuards(_ database: String) throws -> [String] {
        try auditor(database).verifyGuards().filter { !$0.holds }.map(\.name)
    }

    /// Runs `sql` as the owner with the append-only triggers off, as a tamperer with the owner's rights
    /// would, and puts the triggers back as they were (ALWAYS).
    func behindTheTriggers(_ database: String, _ sql: String) throws {
        let owner = try TestDatabase.connect(database)
        try owner.execute(
            """
            ALTER TABLE vigil.events DISABLE TRIGGER events_append_only;
            ALTER TABLE vigil.commands DISABLE TRIGGER commands_append_only;
            \(sql);
            ALTER TABLE vigil.events ENABLE ALWAYS TRIGGER events_append_only;
            ALTER TABLE vigil.commands ENABLE ALWAYS TRIGGER commands_append_only;
            """)
    }

    // MARK: An organiser's login

    @Test("a writer's login cannot INSERT a forged event, backdated, for another actor, with its hash recomputed")
    func writerForgesAnEvent() throws {
        let database = try logWithEvents("forge")
        let login = try Login(database, member: "vigil_writer")
        defer { try? login.drop() }
        let error = try #require(throws: PostgresError.self) {
            let writer = try login.connect()
            // Yesterday's attack, word for word: the hash recomputed by the formula of 0003, a forged
            // position, recording time and transaction, and (before 0015) the stream's head moved to match.
            try writer.execute(
                """
                WITH forged AS (
                    SELECT 'gathering-g1'::text AS stream_id, 4::bigint AS version, gen_random_uuid() AS id,
                           '{"attendance": 5000}'::jsonb AS data, '2004-12-22 17:00Z'::timestamptz AS at, e.hash AS previous
                      FROM vigil.events e WHERE e.stream_id = 'gathering-g1' ORDER BY e.stream_version DESC LIMIT 1)
                INSERT INTO vigil.events (global_position, stream_id, stream_version, event_id, event_type, data,
                                          metadata, command_id, actor, recorded_at, transaction_id, hash)
                OVERRIDING SYSTEM VALUE
                SELECT 1000, stream_id, version, id, 'GatheringHeld', data, '{}', 'forged', 'someone-else', at, '1',
                       sha256(previous || convert_to(jsonb_build_array(stream_id, version, id, 'GatheringHeld', 1, data,
                           '{}'::jsonb, 'forged', NULL::uuid, NULL::uuid, 'someone-else',
                           (extract(epoch FROM at) * 1000000)::bigint)::text, 'UTF8'))
                  FROM forged
                """)
        }
        #expect(error.sqlState == .insufficientPrivilege)
        #expect(try auditor(database).readStream("gathering-g1").map(\.type) == Array(repeating: "GatheringScheduled", count: 3))
    }

    @Test("a writer's login cannot change, remove or add the log's rows or its bookkeeping")
    func writerChangesBookkeeping() throws {
        let database = try logWithEvents("bookkeeping")
        let login = try Login(database, member: "vigil_writer")
        defer { try? login.drop() }
        let writer = try login.connect()
        for sql in [
            "INSERT INTO vigil.commands (command_id, stream_id, first_version, last_version) VALUES ('x', 'x', 1, 1)",
            "UPDATE vigil.commands SET last_version = 1", "DELETE FROM vigil.commands", "UPDATE vigil.events SET actor = 'x'",
            "DELETE FROM vigil.events WHERE stream_id = 'mission-m1'", "TRUNCATE vigil.events, vigil.commands",
            "INSERT INTO vigil_read.checkpoints (projection) VALUES ('x')", "DELETE FROM vigil_read.missions",
            "INSERT INTO vigil_read.quarantine (global_position, transaction_id, projection, event_type, stream_id, reason) "
                + "VALUES (1, '1', 'missions', 'X', 'x', 'x')",
        ] {
            #expect(throws: PostgresError.self, "\(sql)") { try writer.execute(sql) }
        }
        #expect(try auditor(database).verifyChains().holds)
        #expect(try auditor(database).eventCount() == 9)
    }

    @Test("a writer's login cannot replace the log's functions, switch its triggers off or turn replication on")
    func writerTouchesTheGuards() throws {
        let database = try logWithEvents("guards")
        let login = try Login(database, member: "vigil_writer")
        defer { try? login.drop() }
        let writer = try login.connect()
        for sql in [
            "CREATE OR REPLACE FUNCTION vigil.event_hash(previous bytea, canonical text) RETURNS bytea LANGUAGE sql RETURN previous",
            "ALTER TABLE vigil.events DISABLE TRIGGER events_append_only", "SET session_replication_role = replica",
            "ALTER FUNCTION vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb) SECURITY INVOKER",
        ] {
            let error = try #require(throws: PostgresError.self, "\(sql)") { try writer.execute(sql) }
            #expect(error.sqlState == .insufficientPrivilege, "\(sql): \(error)")
        }
        #expect(try failedGuards(database).isEmpty)
    }

    @Test("the position, the recording time, the transaction and the login are the server's, whatever the writer says")
    func serverFieldsAreTheServers() throws {
        let database = try TestDatabase.create("red_server")
        let login = try Login(database, member: "vigil_writer")
        defer { try? login.drop() }
        let writer = try login.connect()
        let before = Date()
        let rows = try writer.query(
            """
            SELECT global_position, stream_version, transaction_id::text AS xid,
                   pg_current_xact_id()::text AS mine
              FROM vigil.append('s', 0, jsonb_build_array(jsonb_build_object('id', vigil.command_event_id('c-1', 0), 'type', 'T', 'data', '{}'::jsonb)),
                                '{"login": "someone-else", "client": "psql"}', 'c-1', 'alice', NULL, NULL)
            """)
        let row = try #require(rows.first)
        #expect(try row.int64("global_position") == 1)
        #expect(try row.string("xid") == (try row.string("mine")))
        let stored = try #require(try auditor(database).readStream("s").first)
        #expect(stored.metadata.contains("\"login\": \"\(login.name)\""), "\(stored.metadata)")
        #expect(!stored.metadata.contains("someone-else"))
        #expect(stored.recordedAt >= before.addingTimeInterval(-5) && stored.recordedAt <= Date().addingTimeInterval(5))
    }

    @Test("vigil.append refuses REPEATABLE READ and SERIALIZABLE, where its locks would read stale heads")
    func appendRefusesOtherIsolation() throws {
        let database = try TestDatabase.create("red_isolation")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        for level in [Connection.IsolationLevel.repeatableRead, .serializable] {
            let error = try #require(throws: PostgresError.self) {
                try writer.withTransaction(level) {
                    try EventStore(connection: writer).append(to: "s", expected: .any, events: [event()], metadata: meta())
                }
            }
            #expect(error.sqlState?.code == "0A000", "\(error)")
        }
        #expect(try EventStore(connection: writer).eventCount() == 0)
    }

    // MARK: The owner, and a superuser

    @Test("UPDATE, DELETE and TRUNCATE are refused under session_replication_role = replica too")
    func replicaRole() throws {
        let database = try logWithEvents("replica")
        let superuser = try TestDatabase.connect(database)
        try superuser.execute("SET session_replication_role = replica")
        for sql in [
            "UPDATE vigil.events SET data = '{\"i\": 99}' WHERE stream_id = 'gathering-g1'",
            "DELETE FROM vigil.events WHERE stream_id = 'mission-m1'", "TRUNCATE vigil.events, vigil.commands",
            "DELETE FROM vigil.commands",
        ] {
            let error = try #require(throws: PostgresError.self, "\(sql)") { try superuser.execute(sql) }
            #expect(error.sqlState == .immutableEvent, "\(sql): \(error)")
        }
        #expect(try auditor(database).verifyChains().holds)
    }

    @Test("a trigger switched off, or enabled for origin sessions only, is named by verify")
    func triggersSwitchedOff() throws {
        let database = try logWithEvents("triggers")
        let owner = try TestDatabase.connect(database)
        #expect(try failedGuards(database).isEmpty)
        try owner.execute("ALTER TABLE vigil.events DISABLE TRIGGER events_append_only")
        #expect(try failedGuards(database) == [
            "trigger events_append_only on vigil.events fires always (also under session_replication_role = replica)"
        ])
        try owner.execute("ALTER TABLE vigil.events ENABLE TRIGGER events_append_only")
        #expect(try failedGuards(database) == [
            "trigger events_append_only on vigil.events fires always (also under session_replication_role = replica)"
        ])
        try owner.execute(
            """
            ALTER TABLE vigil.events ENABLE ALWAYS TRIGGER events_append_only;
            CREATE FUNCTION vigil.quiet() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER events_quiet BEFORE INSERT ON vigil.commands FOR EACH ROW EXECUTE FUNCTION vigil.quiet();
            """)
        #expect(try failedGuards(database) == ["vigil.commands has no trigger but commands_append_only"])
    }

    @Test("vigil_writer given back the blind indexes of vault.signatures (table or column) is named by verify: its refusals would put them in the server's log")
    func blindIndexGrantNamed() throws {
        let database = try logWithEvents("vault_grant")
        let owner = try TestDatabase.connect(database)
        #expect(try failedGuards(database).isEmpty)
        let name = "vigil_writer cannot read vault.signatures.blind_index itself (0038): a unique refusal in its sessions leaves a person's blind index out of the server's log"
        for (grant, revoke) in [
            ("GRANT SELECT ON vault.signatures TO vigil_writer", "REVOKE SELECT ON vault.signatures FROM vigil_writer"),
            ("GRANT SELECT (blind_index) ON vault.signatures TO vigil_writer", "REVOKE SELECT (blind_index) ON vault.signatures FROM vigil_writer"),
        ] {
            try owner.execute(grant)
            #expect(try failedGuards(database) == [name], "\(grant)")
            try owner.execute(revoke)
        }
        // REVOKE of the table's SELECT took the columns' too: put back what 0038 grants.
        try owner.execute("GRANT SELECT (petition_id, subject_id, consent) ON vault.signatures TO vigil_writer")
        #expect(try failedGuards(database).isEmpty)
    }

    @Test("an advisory lock granted back to PUBLIC, to the reporter, or to a group a reporter's login may be in, is named by verify (0040)")
    func advisoryLockGrantNamed() throws {
        let database = try logWithEvents("advisory_grant")
        let owner = try TestDatabase.connect(database)
        #expect(try failedGuards(database).isEmpty)
        let name = "only vigil_writer, vigil_projector, vigil_auditor and the log's owner may take an advisory lock (0040): a reporter's login holding a stream's or a petition's could stall its appends or signatures"
        try owner.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_test_web_readers') THEN CREATE ROLE vigil_test_web_readers NOLOGIN; END IF; END $$")
        for grantee in ["PUBLIC", "vigil_reporter", "vigil_test_web_readers"] {
            for function in ["pg_advisory_lock(bigint)", "pg_try_advisory_xact_lock_shared(integer, integer)"] {
                try owner.execute("GRANT EXECUTE ON FUNCTION \(function) TO \(grantee)")
                #expect(try failedGuards(database) == [name], "\(function) to \(grantee)")
                try owner.execute("REVOKE EXECUTE ON FUNCTION \(function) FROM \(grantee)")
            }
        }
        #expect(try failedGuards(database).isEmpty)
    }

    @Test("the vault's triggers (an erasure takes the signature; a signature names a subject) switched off or origin-only are named by verify")
    func vaultTriggersSwitchedOff() throws {
        let database = try logWithEvents("vault_triggers")
        let owner = try TestDatabase.connect(database)
        #expect(try failedGuards(database).isEmpty)
        for (table, trigger, guardName) in [
            ("vault.subjects", "subjects_forget_signature",
             "erasing a subject erases its signature in every session: the trigger subjects_forget_signature on vault.subjects is enabled always"),
            ("vault.signatures", "signatures_name_a_subject",
             "every signature names a subject, in every session: the trigger signatures_name_a_subject on vault.signatures is enabled always"),
        ] {
            for switched in ["DISABLE", "ENABLE"] {
                try owner.execute("ALTER TABLE \(table) \(switched) TRIGGER \(trigger)")
                #expect(try failedGuards(database) == [guardName], "\(switched) \(trigger)")
            }
            try owner.execute("ALTER TABLE \(table) ENABLE ALWAYS TRIGGER \(trigger)")
            #expect(try failedGuards(database).isEmpty)
        }
        try owner.execute(
            "CREATE OR REPLACE FUNCTION vault.refuse_orphan_signatures() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
        #expect(try failedGuards(database) == ["the definition of vault.refuse_orphan_signatures() is the one migration 0035 creates"])
    }

    @Test("the owner replacing the hash, canonical, guard or append function is named by verify")
    func functionsReplaced() throws {
        let replacements = [
            ("CREATE OR REPLACE FUNCTION vigil.event_hash(previous bytea, canonical text) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE RETURN sha256(convert_to(canonical, 'UTF8'))",
             "the definition of vigil.event_hash(bytea, text) is the one migration 0014 creates"),
            ("CREATE OR REPLACE FUNCTION vigil.event_canonical(e vigil.events) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE RETURN e.event_id::text",
             "the definition of vigil.event_canonical(vigil.events) is the one migration 0014 creates"),
            ("CREATE OR REPLACE FUNCTION vigil.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
             "the definition of vigil.refuse_change() is the one migration 0005 creates"),
            // The vault's erasure of a subject's signature, made to run as the owner something else.
            ("CREATE OR REPLACE FUNCTION vault.forget_signature() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN RETURN NULL; END $$",
             "the definition of vault.forget_signature() is the one migration 0031 creates"),
        ]
        for (sql, guardName) in replacements {
            let database = try logWithEvents("replace")
            try TestDatabase.connect(database).execute(sql)
            #expect(try failedGuards(database) == [guardName], "\(sql)")
        }
        // The guard function replaced by one that lets changes through: the change goes in, verify names both.
        let database = try logWithEvents("guardfn")
        let owner = try TestDatabase.connect(database)
        try owner.execute(replacements[2].0)
        try owner.execute("UPDATE vigil.events SET data = '{\"i\": 7}' WHERE stream_id = 'gathering-g1' AND stream_version = 2")
        #expect(try failedGuards(database) == [replacements[2].1])
        #expect(try auditor(database).verifyChains().firstBreak?.version == 2)
    }

    @Test("the owner making vigil.append run as the caller, as another role or with another search_path, or opening its PL/pgSQL rest to organisers, is named by verify")
    func appendWeakened() throws {
        let append = "vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb)"
        let general = "vigil.append_general(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb)"
        let appendGuard = "vigil.append runs as vigil_log_owner (SECURITY DEFINER), in C, with no setting a caller could have changed"
        let generalGuard = "vigil.append_general (the PL/pgSQL rest of the append) is owned by vigil_log_owner, runs with its caller's rights, search_path pinned and a lock timeout, and nobody but its owner may run it"
        for (sql, guardName) in [
            ("ALTER FUNCTION \(append) SECURITY INVOKER", appendGuard), ("ALTER FUNCTION \(append) OWNER TO vigil_writer", appendGuard),
            ("ALTER FUNCTION \(append) SET search_path = public, pg_catalog", appendGuard),
            // The PL/pgSQL rest called straight by an organiser, made to run as its owner, or unpinned.
            ("GRANT EXECUTE ON FUNCTION \(general) TO vigil_writer", generalGuard),
            ("GRANT EXECUTE ON FUNCTION \(general) TO PUBLIC", generalGuard),
            ("ALTER FUNCTION \(general) SECURITY DEFINER", generalGuard),
            ("ALTER FUNCTION \(general) RESET search_path", generalGuard),
        ] {
            let database = try logWithEvents("weakened")
            try TestDatabase.connect(database).execute(sql)
            let failed = try failedGuards(database)
            #expect(failed.contains(guardName), "\(sql): \(failed)")
        }
    }

    @Test("the owner granting columns of the log or the position sequence, or unpinning lag()'s search_path, is named by verify")
    func narrowGrantsAndLag() throws {
        for (sql, guardName) in [
            ("GRANT INSERT (stream_id, hash) ON vigil.events TO vigil_writer", "no column of vigil.events is granted to anyone on its own"),
            ("GRANT USAGE ON SEQUENCE vigil.events_global_position_seq TO vigil_writer",
             "vigil_writer may not draw or set positions (vigil.events_global_position_seq)"),
            ("ALTER FUNCTION vigil_read.lag() SET search_path = pg_catalog",
             "vigil_read.lag() runs with search_path pinned to pg_catalog, pg_temp (pg_temp last, never first)"),
        ] {
            let database = try logWithEvents("narrow")
            try TestDatabase.connect(database).execute(sql)
            #expect(try failedGuards(database).contains(guardName), "\(sql)")
        }
    }

    @Test("the owner granting the writer INSERT, or the reporter SELECT, on the log is named by verify")
    func grantsWidened() throws {
        let database = try logWithEvents("grants")
        let owner = try TestDatabase.connect(database)
        try owner.execute("GRANT INSERT ON vigil.events TO vigil_writer; GRANT SELECT ON vigil.commands TO vigil_reporter")
        #expect(Set(try failedGuards(database)) == ["vigil_writer may not INSERT vigil.events", "vigil_reporter may not SELECT vigil.commands"])
    }

    @Test("row-level security that hides events from the auditor is named by verify")
    func rowLevelSecurity() throws {
        let database = try logWithEvents("rls")
        try TestDatabase.connect(database).execute(
            """
            ALTER TABLE vigil.events ENABLE ROW LEVEL SECURITY;
            CREATE POLICY hide ON vigil.events FOR SELECT USING (stream_id <> 'mission-m1');
            """)
        #expect(try auditor(database).eventCount() == 3)
        #expect(try failedGuards(database) == [
            "vigil.events is a plain table, without row-level security or rules that could hide or rewrite its rows"
        ])
    }

    @Test("an event changed behind the triggers' back is found, and so is one whose position was swapped")
    func eventChangedOrReordered() throws {
        let database = try logWithEvents("changed")
        try behindTheTriggers(database, "UPDATE vigil.events SET data = '{\"i\": 99}' WHERE stream_id = 'gathering-g1' AND stream_version = 2")
        let changed = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(changed.streamId == "gathering-g1")
        #expect(changed.version == 2)

        // Two events of one stream trade positions: every hash still matches its payload and its
        // predecessor, but it covers the position too.
        let swapped = try logWithEvents("swapped")
        try behindTheTriggers(
            swapped,
            """
            ALTER TABLE vigil.events ALTER COLUMN global_position SET GENERATED BY DEFAULT;
            UPDATE vigil.events SET global_position = -global_position WHERE stream_id = 'gathering-g1' AND stream_version IN (1, 2);
            UPDATE vigil.events SET global_position = CASE stream_version
                WHEN 1 THEN (SELECT -global_position FROM vigil.events WHERE stream_id = 'gathering-g1' AND stream_version = 2)
                ELSE (SELECT -global_position FROM vigil.events WHERE stream_id = 'gathering-g1' AND stream_version = 1) END
             WHERE stream_id = 'gathering-g1' AND stream_version IN (1, 2);
            ALTER TABLE vigil.events ALTER COLUMN global_position SET GENERATED ALWAYS
            """)
        let reordered = try #require(try auditor(swapped).verifyChains().firstBreak)
        #expect(reordered.streamId == "gathering-g1")
    }

    @Test("an event moved to the old hash formula, its hash recomputed without its position, is found")
    func downgradedFormula() throws {
        let database = try logWithEvents("downgrade")
        try behindTheTriggers(
            database,
            """
            UPDATE vigil.events e SET hash_version = 1,
                   hash = vigil.event_hash((SELECT p.hash FROM vigil.events p WHERE p.stream_id = e.stream_id
                                              AND p.stream_version = e.stream_version - 1),
                                           vigil.event_canonical(1::smallint, e.global_position, e.stream_id, e.stream_version,
                                               e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.command_id,
                                               e.correlation_id, e.causation_id, e.actor, e.recorded_at))
             WHERE e.stream_id = 'gathering-g1' AND e.stream_version = 3
            """)
        let broken = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(broken.streamId == "gathering-g1")
        #expect(broken.version == 3)
        #expect(broken.reason.contains("old hash formula"), "\(broken.reason)")
    }

    @Test("a stream's tail removed, from a log written before 0037, is found: its command's record points past the last event")
    func tailRemoved() throws {
        let database = try legacyLogWithEvents("tail")
        try behindTheTriggers(database, "DELETE FROM vigil.events WHERE stream_id = 'gathering-g1' AND stream_version = 3")
        let broken = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(broken.streamId == "gathering-g1")
        #expect(broken.version == 3)
        #expect(broken.reason.contains("command g1-2"), "\(broken.reason)")
    }

    @Test("a whole stream removed, from a log written before 0037, is found by its commands' records; removed with them, it leaves a gap that verify lists")
    func streamRemoved() throws {
        let database = try legacyLogWithEvents("stream")
        try behindTheTriggers(database, "DELETE FROM vigil.events WHERE stream_id = 'mission-m1'")
        let broken = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(broken.streamId == "mission-m1")
        #expect(broken.reason.contains("none of them is in the log"), "\(broken.reason)")

        let all = try legacyLogWithEvents("stream_all")
        try behindTheTriggers(all, "DELETE FROM vigil.events WHERE stream_id = 'mission-m1'; DELETE FROM vigil.commands WHERE stream_id = 'mission-m1'")
        let report = try auditor(all).verifyChains()
        // Positions 1–9: gathering-g1 holds 1, 4 and 7; mission-m1 held 2–3, 5–6 and 8–9.
        #expect(report.gaps == [.init(first: 2, last: 3), .init(first: 5, last: 6)])
        #expect(report.missingPositions == 4)
        #expect(report.events == 3)
        #expect(report.streams == 1)
        // The tail of the log (8–9) leaves no gap below the last position: only an anchor names the last one.
    }

    @Test("an event written before 0037 whose command's record was removed is found")
    func commandRecordRemoved() throws {
        let database = try legacyLogWithEvents("command")
        try behindTheTriggers(database, "DELETE FROM vigil.commands WHERE command_id = 'm1-1'")
        let broken = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(broken.streamId == "mission-m1")
        #expect(broken.reason.contains("command m1-1 has no record"), "\(broken.reason)")
    }

    @Test("since 0037 a command's record is its events: a stream's tail removed leaves a gap that verify lists, an anchor names it, and a command's first event removed breaks its chain")
    func tailRemovedSince0037() throws {
        let database = try logWithEvents("tail37")
        #expect(try TestDatabase.connect(database).query("SELECT count(*) AS n FROM vigil.commands").first?.int64("n") == 0)
        let anchor = try LogAnchor.make(store: try auditor(database), key: AnchorKey())
        // Positions: gathering-g1 holds 1, 4 and 7; mission-m1 2–3, 5–6 and 8–9. g1's last event is 7.
        try behindTheTriggers(database, "DELETE FROM vigil.events WHERE stream_id = 'gathering-g1' AND stream_version = 3")
        let report = try auditor(database).verifyChains()
        #expect(report.firstBreak == nil, "the events and the command's record went together")
        #expect(report.gaps == [.init(first: 7, last: 7)])
        let against = try auditor(database).verify(against: anchor)
        #expect(!against.holds, "the anchor taken before names the stream's head it had")

        // m1-2's last event is the log's last (position 9): no position shows its removal, its first event's
        // count of the command's events does.
        let last = try logWithEvents("last37")
        try behindTheTriggers(last, "DELETE FROM vigil.events WHERE stream_id = 'mission-m1' AND stream_version = 6")
        let counted = try #require(try auditor(last).verifyChains().firstBreak)
        #expect(counted.streamId == "mission-m1")
        #expect(counted.version == 5)
        #expect(counted.reason.contains("appended 2 events, and only 1"), "\(counted.reason)")
        // No anchor vouches for it, and an export of it shows the same without a database.
        #expect(throws: AuditError.brokenLog(.commandEventsMissing(
            EventPlace(position: 8, stream: "mission-m1", version: 5), command: "m1-2", declared: 2, present: 1))) {
            try LogAnchor.make(store: try auditor(last), key: AnchorKey())
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("red-last37-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = AnchorKey()
        try LogAnchor.sign(lastPosition: 0, streams: 0, events: 0, merkleRoot: MerkleTree.root(of: []), madeAt: Date(), key: key)
            .write(to: folder.appendingPathComponent("anchor.json"))
        try auditor(last).export(to: folder.appendingPathComponent("log.ndjson"))
        let offline = try LogAudit.verify(
            export: folder.appendingPathComponent("log.ndjson"), anchor: folder.appendingPathComponent("anchor.json"), trustedKey: nil)
        #expect(offline.failure == .commandEventsMissing(
            EventPlace(position: 8, stream: "mission-m1", version: 5, line: 8), command: "m1-2", declared: 2, present: 1))
        let python = try SecondVerifier.run(folder.appendingPathComponent("log.ndjson").path, folder.appendingPathComponent("anchor.json").path)
        #expect(python.status == 1 && python.output.contains("line 8: its command m1-2 appended 2 events, and 1"), "\(python.output)")

        // m1-2 appended versions 5 and 6; without 5, 6 is out of place in its stream and in its command.
        let first = try logWithEvents("first37")
        try behindTheTriggers(first, "DELETE FROM vigil.events WHERE stream_id = 'mission-m1' AND stream_version = 5")
        let broken = try #require(try auditor(first).verifyChains().firstBreak)
        #expect(broken.streamId == "mission-m1")
        #expect(broken.version == 6)
    }

    @Test("an event whose id is not the one its command gives it, put in with its hash recomputed by the owner, is found")
    func eventIdForged() throws {
        let database = try logWithEvents("idforged")
        // A new event at the head of gathering-g1 for a command never appended, with a random id and a hash
        // that chains on the head: the chain holds, the id does not.
        try forgeHeldEvent(database, command: "forged-1")
        let broken = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(broken.streamId == "gathering-g1")
        #expect(broken.version == 4)
        #expect(broken.reason.contains("command forged-1"), "\(broken.reason)")
        // An export has no commands' records: an id of the older kind (random) is not judged there.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("red-idforged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try LogAnchor.sign(lastPosition: 0, streams: 0, events: 0, merkleRoot: MerkleTree.root(of: []), madeAt: Date(), key: AnchorKey())
            .write(to: folder.appendingPathComponent("anchor.json"))
        func verifyExport(_ name: String) throws -> AnchorVerification {
            try LogAudit.verify(export: folder.appendingPathComponent(name), anchor: folder.appendingPathComponent("anchor.json"), trustedKey: nil)
        }
        func python(_ name: String) throws -> (status: Int32, output: String) {
            try SecondVerifier.run(folder.appendingPathComponent(name).path, folder.appendingPathComponent("anchor.json").path)
        }
        try auditor(database).export(to: folder.appendingPathComponent("log.ndjson"))
        #expect(try verifyExport("log.ndjson").failure == nil)
        #expect(try python("log.ndjson").status == 0)

        // The same with an id of the command kind that is not its command's: named in the database, the
        // export, and by the second verifier.
        let derivedKind = try logWithEvents("idforged8")
        try forgeHeldEvent(derivedKind, command: "forged-1", id: "vigil.command_event_id('someone-else', 0)")
        #expect(try auditor(derivedKind).verifyChains().firstBreak?.reason.contains("command forged-1") == true)
        try auditor(derivedKind).export(to: folder.appendingPathComponent("derived.ndjson"))
        #expect(try verifyExport("derived.ndjson").failure == .foreignEventId(
            EventPlace(position: 100, stream: "gathering-g1", version: 4, line: 10), command: "forged-1", index: 0))
        let derivedPython = try python("derived.ndjson")
        #expect(derivedPython.status == 1 && derivedPython.output.contains("line 10: its id is not the one its command forged-1"),
                "\(derivedPython.output)")

        // An event that names no command, put in the same way: verify names it, and so does the export.
        let unnamed = try logWithEvents("idunnamed")
        try forgeHeldEvent(unnamed, command: nil)
        let named = try #require(try auditor(unnamed).verifyChains().firstBreak)
        #expect(named.position == 100 && named.reason.contains("names no command"), "\(named.reason)")
        try auditor(unnamed).export(to: folder.appendingPathComponent("unnamed.ndjson"))
        #expect(try verifyExport("unnamed.ndjson").failure == .noCommand(EventPlace(position: 100, stream: "gathering-g1", version: 4, line: 10), idsFrom: 1))
        let unnamedPython = try python("unnamed.ndjson")
        #expect(unnamedPython.status == 1 && unnamedPython.output.contains("line 10: it names no command"), "\(unnamedPython.output)")
        // The untouched log holds in both verifiers.
        let clean = try logWithEvents("idclean")
        try auditor(clean).export(to: folder.appendingPathComponent("clean.ndjson"))
        let cleanPython = try python("clean.ndjson")
        #expect(cleanPython.status == 0, "\(cleanPython.output)")
    }

    @Test("a log begun before 0037 (ids chosen by callers) and continued since verifies offline in both verifiers, and anchors")
    func legacyExportHolds() throws {
        let database = try legacyLogWithEvents("legacyexport")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        try store.append(to: "mission-m1", expected: .any, events: [event("E"), event(), event()], metadata: meta("m1-new"))
        try store.append(to: "gathering-g1", expected: .any, events: [event("GatheringHeld")], metadata: meta("g1-new"))
        #expect(try auditor(database).verifyChains().firstBreak == nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("red-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let anchor = try LogAnchor.make(store: try auditor(database), key: AnchorKey())
        try anchor.write(to: folder.appendingPathComponent("anchor.json"))
        try auditor(database).export(to: folder.appendingPathComponent("log.ndjson"))
        #expect(try LogAudit.verify(
            export: folder.appendingPathComponent("log.ndjson"), anchor: folder.appendingPathComponent("anchor.json"), trustedKey: nil).failure == nil)
        let python = try SecondVerifier.run(folder.appendingPathComponent("log.ndjson").path, folder.appendingPathComponent("anchor.json").path)
        #expect(python.status == 0, "\(python.output)")
    }

    @Test("a store on a database not yet at 0037 chooses random ids, as binaries before it did, and the ids of the command's kind once it is migrated, in the same store; a log where an earlier binary wrote ids of that kind first verifies in the three verifiers")
    func storeBefore0037() throws {
        let database = try TestDatabase.create("red_store36", through: "0036")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        try store.append(to: "mission-m1", expected: .noStream, events: [event(), event()], metadata: meta("before-1"))
        // What the binaries of 0037 before this check did on such a database: ids of the command kind, and
        // (the append of 0036) no count on the first event, but a record in vigil.commands.
        let earlier = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        earlier.databaseDerivesIds = true
        try earlier.append(to: "mission-m2", expected: .noStream, events: [event(), event()], metadata: meta("before-2"))
        try Migrator(directory: TestDatabase.schemaDirectory).migrate(try TestDatabase.connect(database))
        try store.append(to: "mission-m1", expected: .exact(2), events: [event(), event()], metadata: meta("after-1"))
        let ids = try auditor(database).connection.query(
            "SELECT command_id, event_id = vigil.command_event_id(command_id, (stream_version - 1)::integer % 2) AS derived FROM vigil.events ORDER BY global_position")
        #expect(try ids.map { try $0.string("command_id") } == ["before-1", "before-1", "before-2", "before-2", "after-1", "after-1"])
        #expect(try ids.map { try $0.bool("derived") } == [false, false, true, true, true, true])
        #expect(try auditor(database).verifyChains().firstBreak == nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("red-store36-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try LogAnchor.make(store: try auditor(database), key: AnchorKey()).write(to: folder.appendingPathComponent("anchor.json"))
        try auditor(database).export(to: folder.appendingPathComponent("log.ndjson"))
        #expect(try LogAudit.verify(
            export: folder.appendingPathComponent("log.ndjson"), anchor: folder.appendingPathComponent("anchor.json"), trustedKey: nil).failure == nil)
        #expect(try SecondVerifier.run(folder.appendingPathComponent("log.ndjson").path, folder.appendingPathComponent("anchor.json").path).status == 0)
    }

    @Test("0037 arriving between the store's question and its append: the append refused for its random ids is sent once more with the command's ids, and nothing is left behind")
    func migratedBetweenQuestionAndAppend() throws {
        let database = try TestDatabase.create("red_race37")
        // The question answers "not yet" once, then "yes": as if 0037 were applied just after it was asked.
        try TestDatabase.connect(database).execute(
            "CREATE SEQUENCE public.probe_answers; GRANT USAGE ON SEQUENCE public.probe_answers TO vigil_writer")
        let store = EventStore(connection: try TestDatabase.connect(database, as: "vigil_writer"))
        store.derivesIdsQuestion = "SELECT nextval('public.probe_answers') > 1 AS derives"
        let result = try store.append(to: "mission-m1", expected: .noStream, events: [event(), event()], metadata: meta("race-1"))
        #expect(result.events.map(\.version) == [1, 2])
        let asked = try TestDatabase.connect(database).query("SELECT last_value FROM public.probe_answers").first?.int64("last_value")
        #expect(asked == 2)
        let ids = try auditor(database).connection.query(
            "SELECT global_position, event_id = vigil.command_event_id(command_id, (stream_version - 1)::integer) AS derived FROM vigil.events ORDER BY global_position")
        #expect(try ids.map { try $0.bool("derived") } == [true, true])
        // The refused first try drew no position.
        #expect(try ids.map { try $0.int64("global_position") } == [1, 2])
        let report = try auditor(database).verifyChains()
        #expect(report.firstBreak == nil && report.gaps.isEmpty)
        // A single event takes the C path's refusal and the same second try.
        store.databaseDerivesIds = false
        try TestDatabase.connect(database).execute("SELECT setval('public.probe_answers', 1, false)")
        try store.append(to: "mission-m1", expected: .exact(2), events: [event()], metadata: meta("race-2"))
        #expect(try auditor(database).connection.query(
            "SELECT count(*) AS n FROM vigil.events WHERE event_id = vigil.command_event_id(command_id, 0) AND command_id = 'race-2'"
        ).first?.int64("n") == 1)
    }

    /// A new event at the head of gathering-g1 (position 100, version 4) for `command` (or none), with
    /// the id SQL `id` makes (a random one) and a hash that chains on the head, put in behind the triggers as the owner could.
    func forgeHeldEvent(_ database: String, command: String?, id: String = "gen_random_uuid()") throws {
        let quoted = command.map { "'\($0)'" } ?? "NULL"
        try behindTheTriggers(
            database,
            """
            INSERT INTO vigil.events (global_position, stream_id, stream_version, event_id, event_type, data, metadata,
                                      command_id, actor, recorded_at, hash, hash_version)
            OVERRIDING SYSTEM VALUE
            SELECT 100, 'gathering-g1', 4, x.id, 'GatheringHeld', '{"attendance": 5000}', '{}', \(quoted), 'someone', x.at,
                   vigil.event_hash(h.hash, vigil.event_canonical(2::smallint, 100, 'gathering-g1', 4, x.id,
                       'GatheringHeld', 1, '{"attendance": 5000}', '{}', \(quoted), NULL, NULL, 'someone', x.at)), 2
              FROM vigil.events h, (SELECT \(id) AS id, now() AS at) x
             WHERE h.stream_id = 'gathering-g1' AND h.stream_version = 3
            """)
    }

    @Test("an event recorded before 0037 under the id a later command needs: that command is refused (exit 5), never answered with it, and verify names the event")
    func idTakenBefore0037() throws {
        let database = try TestDatabase.create("red_taken", through: "0036")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        let planted = CommandEventId.derive(commandId: "victim", index: 0)
        let events = #"[{"id": "\#(planted)", "type": "T", "data": {}}]"#
        try writer.query(
            "SELECT * FROM vigil.append('mission-planted', NULL, \(events)::jsonb, '{\"commandFingerprint\": \"aabb\"}', 'attacker', 'x', NULL, NULL)")
        try Migrator(directory: TestDatabase.schemaDirectory).migrate(try TestDatabase.connect(database))
        let store = EventStore(connection: writer)
        #expect(try !store.wasHandled("victim", fingerprint: [0xaa, 0xbb]))
        for fingerprint in [[0xaa, 0xbb], nil] as [[UInt8]?] {
            #expect(throws: EventStoreError.keyReused(commandId: "victim")) {
                try store.append(to: "mission-victim", expected: .noStream, events: [event()],
                                 metadata: EventMetadata(commandId: "victim", actor: "x"), fingerprint: fingerprint)
            }
        }
        #expect(try store.version(of: "mission-victim") == 0)
        let broken = try #require(try auditor(database).verifyChains().firstBreak)
        #expect(broken.streamId == "mission-planted")
        #expect(broken.reason.contains("took an id another command needs"), "\(broken.reason)")
    }

    @Test("a reporter's temporary type cannot run code as the migrator through vigil_read.lag()")
    func lagSearchPath() throws {
        let database = try logWithEvents("lagpath")
        // lag() casts once per projection's checkpoint (every projection has one from the start, 0033).
        try TestDatabase.connect(database).execute("INSERT INTO vigil_read.checkpoints (projection) VALUES ('missions') ON CONFLICT DO NOTHING")
        let login = try Login(database, member: "vigil_reporter")
        defer { try? login.drop() }
        let reporter = try login.connect()
        // pg_temp, when a search_path leaves it out, is searched first for types: a domain named text
        // whose CHECK runs the caller's function, with the rights of whoever the cast runs as.
        try reporter.execute(
            """
            CREATE FUNCTION pg_temp.grab(pg_catalog.text) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN EXECUTE 'CREATE TABLE vigil.grabbed (x int)'; RETURN true; END $$;
            CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.grab(VALUE))
            """)
        _ = try? reporter.query("SELECT * FROM vigil_read.lag()")
        let owner = try TestDatabase.connect(database)
        #expect(try owner.query("SELECT to_regclass('vigil.grabbed') IS NULL AS untouched").first?.bool("untouched") == true)
    }

    @Test("vigil.append refuses an append without a command id, or with more than 32 conditions, and draws no position")
    func appendLimits() throws {
        let database = try logWithEvents("limits")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        let events = #"[{"id": "6f1c7f5e-0d1e-4a51-9b55-3b1b6a0f2a10", "type": "E", "data": {}}]"#
        let conditions = "[" + (0..<33).map { #"{"stream": "s\#($0)", "version": 0}"# }.joined(separator: ",") + "]"
        let before = try writer.query("SELECT max(global_position) AS p FROM vigil.events").first?.int64("p")
        for (command, conditions) in [(nil, nil), ("limits-1", conditions)] as [(String?, String?)] {
            #expect {
                try writer.query(
                    "SELECT * FROM vigil.append('gathering-lim', NULL, \(events)::jsonb, '{}'::jsonb, \(command), 'x', NULL, NULL, NULL, \(conditions)::jsonb)")
            } throws: { ($0 as? PostgresError)?.sqlState?.code == "22023" }
        }
        let accepted = #"[{"id": "\#(CommandEventId.derive(commandId: "limits-2", index: 0))", "type": "E", "data": {}}]"#
        try writer.query("SELECT * FROM vigil.append('gathering-lim', NULL, \(accepted)::jsonb, '{}'::jsonb, 'limits-2', 'x', NULL, NULL)")
        // The refused appends drew no position: the next one follows the last event before them.
        #expect(try writer.query("SELECT max(global_position) AS p FROM vigil.events").first?.int64("p") == (before ?? 0) + 1)
    }

    @Test("vigil.append records the clock's time, not the start of a transaction held open")
    func noBackdating() throws {
        let database = try logWithEvents("backdate")
        let writer = try TestDatabase.connect(database, as: "vigil_writer")
        try writer.execute("BEGIN")
        let started = try writer.query("SELECT now() AS t").first?.string("t")
        usleep(1_200_000)
        let store = EventStore(connection: writer)
        try store.append(to: "gathering-late", expected: .noStream, events: [event()], metadata: meta())
        try writer.execute("COMMIT")
        let row = try TestDatabase.connect(database).query(
            "SELECT recorded_at - \(started ?? "")::timestamptz >= interval '1 second' AS later FROM vigil.events WHERE stream_id = 'gathering-late'")
        #expect(try row.first?.bool("later") == true)
    }

    @Test("an append takes its transaction id after its locks (commit-order readers) and before its positions (anchors)")
    func transactionIdOrder() throws {
        let database = try logWithEvents("xid")
        // Another session holds the stream's lock, so the append waits inside vigil.append.
        let holder = try TestDatabase.connect(database)
        try holder.execute("BEGIN")
        try holder.query("SELECT pg_advisory_xact_lock(hashtextextended('gathering-g1', 0))")
        let pidSeen = Locked<Int32?>(nil)
        let finished = Locked<Bool>(false)
        let thread = Thread {
            defer { finished.withLock { $0 = true } }
            guard let appender = try? EventStore(connection: TestDatabase.connect(database, as: "vigil_writer")) else { return }
            pidSeen.withLock { $0 = appender.connection.backendPID }
            _ = try? appender.append(to: "gathering-g1", expected: .any, events: [event()], metadata: meta())
        }
        thread.start()
        var pid: Int32 = 0
        while pid == 0 && !finished.withLock({ $0 }) {
            pid = pidSeen.withLock { $0 } ?? 0
            usleep(1_000)
        }
        let watcher = try TestDatabase.connect(database)
        var waiting: Row?
        for _ in 0..<500 {
            waiting = try watcher.query(
                "SELECT backend_xid IS NOT NULL AS has_xid FROM pg_stat_activity WHERE pid = \(pid) AND wait_event_type = 'Lock'").first
            if waiting != nil { break }
            usleep(10_000)
        }
        let hasTransactionId = try waiting?.bool("has_xid")
        try holder.execute("COMMIT")
        while !finished.withLock({ $0 }) { usleep(5_000) }
        #expect(hasTransactionId == false, "the append had its transaction id while it waited for the lock (nil: it never waited)")
        let order = try TestDatabase.connect(database).query(
            """
            SELECT strpos(d, 'PERFORM pg_current_xact_id()') BETWEEN strpos(d, 'pg_advisory_xact_lock(') AND strpos(d, 'nextval(') AS holds
              FROM (SELECT pg_get_functiondef('vigil.append(text, bigint, jsonb, jsonb, text, text, uuid, uuid, bytea, jsonb)'::regprocedure) AS d) f
            """)
        #expect(try order.first?.bool("holds") == true)
    }

    @Test("a fresh database passes every guard; the compiled-in digests are those of the migrations")
    func freshDatabase() throws {
        let database = try logWithEvents("fresh")
        let guards = try auditor(database).verifyGuards()
        for check in guards where !check.holds {
            // A migration that redefines a guarded function needs its new digest in EventStore+Verify.swift.
            let owner = try TestDatabase.connect(database)
            try owner.execute("SET search_path = pg_catalog")
            let digests = try owner.query(
                """
                SELECT p.oid::regprocedure::text AS f,
                       encode(sha256(convert_to(pg_get_functiondef(p.oid), 'UTF8')), 'hex') AS digest
                  FROM pg_proc p WHERE p.pronamespace = 'vigil'::regnamespace
                """)
            Issue.record("guard failed: \(check.name); digests now: \(try digests.map { "\(try $0.string("f")) \(try $0.string("digest"))" })")
        }
        #expect(guards.count > 30)
        #expect(try auditor(database).verifyChains().holds)
        #expect(try auditor(database).verifyChains().gaps.isEmpty)
    }
}
