import EventStore
import Foundation
import PostgresClient
import Testing
import VigilTestSupport

/// One whole day of action across time zones, through the built binary, read back as JSON.
@Suite("A day of action end to end")
struct DayOfActionTests {
    let database: String

    init() throws {
        database = try TestDatabase.create("day")
    }

    @discardableResult
    func vigil(_ arguments: [String]) throws -> [String: Any] {
        let object = try VigilBinary.json(arguments, database: database)
        return object as? [String: Any] ?? [:]
    }

    func data(_ outcome: [String: Any]) -> [String: Any] {
        ((outcome["events"] as? [[String: Any]])?.first?["data"] as? [String: Any]) ?? [:]
    }

    @Test("schedule in five zones, reschedule one, cancel one, hold the rest, deliver with mixed outcomes")
    func dayOfAction() throws {
        let places: [(id: String, city: String, country: String, zone: String)] = [
            ("prc-consulate-sydney", "Sydney", "AU", "Australia/Sydney"), ("prc-embassy-seoul", "Seoul", "KR", "Asia/Seoul"),
            ("prc-embassy-london", "London", "GB", "Europe/London"),
            ("prc-embassy-washington", "Washington", "US", "America/New_York"),
            ("prc-consulate-los-angeles", "Los Angeles", "US", "America/Los_Angeles"),
        ]
        try vigil([
            "campaign", "launch", "dad-2024", "--title", "Day of action", "--cause", "Forced repatriation",
            "--coalition", "North Korea Freedom Coalition", "--addressee", "President Xi Jinping",
            "--demand", "Stop the forced repatriation of North Korean refugees",
        ])
        var starts: [String: String] = [:]
        for place in places {
            try vigil([
                "mission", "register", place.id, "--name", "Mission in \(place.city)", "--sending-state", "CN",
                "--kind", "embassy", "--city", place.city, "--country", place.country, "--zone", place.zone,
            ])
            let scheduled = try vigil([
                "gathering", "schedule", "dad-2024-\(place.country.lowercased())-\(place.city.lowercased().replacingOccurrences(of: " ", with: "-"))",
                "--mission", place.id, "--campaign", "dad-2024", "--kind", "vigil", "--at", "2024-12-22 12:00", "--expected", "50",
            ])
            starts[place.city] = data(scheduled)["startsAt"] as? String
        }
        // Noon on 22 December: Sydney (UTC+11) first, Los Angeles (UTC-8) nineteen hours later.
        #expect(starts["Sydney"] == "2024-12-22T01:00:00Z")
        #expect(starts["Seoul"] == "2024-12-22T03:00:00Z")
        #expect(starts["London"] == "2024-12-22T12:00:00Z")
        #expect(starts["Washington"] == "2024-12-22T17:00:00Z")
        #expect(starts["Los Angeles"] == "2024-12-22T20:00:00Z")

        let moved = try vigil(["gathering", "reschedule", "dad-2024-gb-london", "--at", "2024-12-22 15:30", "--reason", "police request"])
        #expect(data(moved)["startsAt"] as? String == "2024-12-22T15:30:00Z")
        try vigil(["gathering", "cancel", "dad-2024-kr-seoul", "--reason", "permit refused"])
        for id in ["dad-2024-au-sydney", "dad-2024-gb-london", "dad-2024-us-washington", "dad-2024-us-los-angeles"] {
            try vigil(["gathering", "held", id, "--attendance", "40"])
        }
        try vigil(["gathering", "read-names", "dad-2024-us-washington", "--names", "120", "--readers", "8", "--list-ref", "dad-2024-list"])

        try vigil(["petition", "draft", "dad-2024-petition", "--campaign", "dad-2024", "--title", "Stop repatriation",
                   "--addressee", "President Xi Jinping", "--text", "탈북자 강제북송을 중단하라. 停止遣返脱北者。"])
        try vigil(["petition", "open", "dad-2024-petition"])
        try vigil(["petition", "count", "dad-2024-petition", "--channel", "paper", "--count", "KR=800", "--count", "US=120"])
        try vigil(["petition", "close", "dad-2024-petition"])
        let outcomes = [
            ("dad-2024-au-sydney", "prc-consulate-sydney", "accepted"), ("dad-2024-gb-london", "prc-embassy-london", "refused"),
            ("dad-2024-us-washington", "prc-embassy-washington", "blocked"),
            ("dad-2024-us-los-angeles", "prc-consulate-los-angeles", "nobody-came-out"),
        ]
        for (gathering, mission, outcome) in outcomes {
            var arguments = ["petition", "deliver", "dad-2024-petition", "at-\(mission)", "--mission", mission,
                             "--gathering", gathering, "--outcome", outcome]
            if outcome == "accepted" { arguments += ["--received-by", "the duty officer"] }
            let delivered = try vigil(arguments)
            #expect(data(delivered)["outcome"] as? String == outcome)
            #expect(data(delivered)["version"] as? Int == 1)
        }
        // Delivering to a cancelled gathering is refused and appends nothing.
        let refused = try VigilBinary.run(
            ["petition", "deliver", "dad-2024-petition", "at-seoul", "--mission", "prc-embassy-seoul", "--gathering", "dad-2024-kr-seoul",
             "--outcome", "accepted"], database: database)
        #expect(refused.status == 6)

        // The petition's text went in and came back exactly, Korean and Chinese alike.
        let store = EventStore(connection: try TestDatabase.connect(database))
        let drafted = try store.readStream("petition-dad-2024-petition").first
        #expect(drafted?.data.contains("탈북자 강제북송을 중단하라. 停止遣返脱北者。") == true)

        // Each command caught the projections up, unless another test's transaction held them back past
        // its deadline (a CI run here lost the last delivery that way).
        #expect(try VigilBinary.projectionsCaughtUp(database: database))
        let missions = try #require(try VigilBinary.json(["report", "missions"], database: database) as? [String: Any])
        let report = try #require(missions["rows"] as? [[String: Any]])
        let byMission = Dictionary(uniqueKeysWithValues: report.compactMap { row in
            ((row["mission"] as? [String: Any])?["missionId"] as? String).map { ($0, row) }
        })
        func figure(_ mission: String, _ name: String) -> Int? { (byMission[mission]?["figures"] as? [String: Int])?[name] }
        #expect(figure("prc-embassy-seoul", "gatheringsCancelled") == 1)
        #expect(figure("prc-embassy-london", "gatheringsHeld") == 1)
        #expect(figure("prc-consulate-sydney", "deliveriesAccepted") == 1)
        #expect(figure("prc-embassy-washington", "deliveriesBlocked") == 1)
        #expect(figure("prc-consulate-los-angeles", "deliveriesNobodyCameOut") == 1)
        #expect(figure("prc-embassy-london", "deliveriesRefused") == 1)
        #expect(figure("prc-embassy-washington", "namesRead") == 120)
        #expect(byMission["prc-embassy-london"]?["firstHeldLocal"] as? String == "2024-12-22 15:30")
        #expect(byMission["prc-consulate-sydney"]?["firstHeldLocal"] as? String == "2024-12-22 12:00")
        let held = report.compactMap { ($0["figures"] as? [String: Int])?["gatheringsHeld"] }.reduce(0, +)
        #expect(held == 4)

        // The campaign's figures are the sums over its missions.
        let campaign = try #require(try VigilBinary.json(["report", "campaign", "dad-2024"], database: database) as? [String: Any])
        let row = try #require((campaign["rows"] as? [[String: Any]])?.first)
        let figures = try #require(row["figures"] as? [String: Int])
        for (name, value) in figures {
            let sum = report.compactMap { ($0["figures"] as? [String: Int])?[name] }.reduce(0, +)
            #expect(sum == value, "\(name): missions add up to \(sum), the campaign says \(value)")
        }
        #expect(row["missionsReached"] as? Int == 5)
        #expect(row["countriesReached"] as? Int == 4)
        #expect((row["signatures"] as? [String: Any])?["total"] as? Int == 920)

        // The day: one row per city, Sydney first and Los Angeles last, each at noon on its own clock.
        let day = try #require(try VigilBinary.json(["report", "day", "dad-2024"], database: database) as? [String: Any])
        let cities = try #require(day["rows"] as? [[String: Any]])
        #expect(cities.compactMap { $0["city"] as? String } == ["Sydney", "Seoul", "London", "Washington", "Los Angeles"])
        #expect(cities.first?["localStart"] as? String == "2024-12-22 12:00")
        #expect(cities.last?["localStart"] as? String == "2024-12-22 12:00")
        let verify = try VigilBinary.run(["audit", "verify"], database: database)
        #expect(verify.status == 0)
    }

    @Test("a signer's name or e-mail never reaches the log, and the same signer counts once")
    func signersArePseudonymous() throws {
        try vigil(["petition", "draft", "privacy", "--title", "T", "--addressee", "A", "--text", "Stop."])
        try vigil(["petition", "open", "privacy"])
        let signed = try vigil(["petition", "sign", "privacy", "--email", "Kim.Min-jun@Example.org", "--country", "KR"])
        // The event holds a random subject id, and nothing derived from the identity.
        let subject = try #require(data(signed)["subjectId"] as? String)
        #expect(UUID(uuidString: subject) != nil)
        #expect(data(signed)["signerRef"] == nil)
        try vigil(["petition", "sign", "privacy", "--name", "Lee  Young-hee", "--country", "KR"])
        let again = try VigilBinary.run(["petition", "sign", "privacy", "--name", "lee young-hee", "--country", "kr"], database: database)
        #expect(again.status == 6)
        let owner = try TestDatabase.connect(database)
        let leaks = try owner.query(
            """
            SELECT count(*) AS n FROM vigil.events
             WHERE data::text ILIKE '%min-jun%' OR data::text ILIKE '%young-hee%' OR metadata::text ILIKE '%min-jun%'
                OR data::text ILIKE '%example.org%'
            """)
        #expect(try leaks[0].int("n") == 0)
    }
}

@Suite("Hostile but valid text is data, kept exactly")
struct HostileTextTests {
    @Test("quotes, SQL metacharacters, backslashes, right-to-left marks and emoji round-trip through the CLI")
    func roundTrip() throws {
        let database = try TestDatabase.create("hostile")
        let texts = [
            "Robert'); DROP TABLE vigil.events;--", "\"quoted\" 'single' `back`", "back\\slash \\x00 $1 %s {}",
            "\u{202E}reversed\u{202C} and 🕯️ candle", "탈북자 강제북송 중단 — 停止遣返脱北者",
        ]
        for (i, text) in texts.enumerated() {
            let run = try VigilBinary.run(
                ["mission", "register", "m-hostile-\(i)", "--name", text, "--sending-state", "CN", "--kind", "embassy",
                 "--city", text, "--country", "US", "--zone", "America/New_York", "--address", text], database: database)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let owner = try TestDatabase.connect(database)
        for (i, text) in texts.enumerated() {
            let rows = try owner.query("SELECT data->>'name' AS name, data->>'address' AS address FROM vigil.events WHERE stream_id = \("mission-m-hostile-\(i)")")
            #expect(try rows[0].string("name") == text)
            #expect(try rows[0].string("address") == text)
            let read = try owner.query("SELECT name FROM vigil_read.missions WHERE mission_id = \("m-hostile-\(i)")")
            #expect(try read[0].string("name") == text)
        }
        #expect(try owner.query("SELECT to_regclass('vigil.events') IS NOT NULL AS still")[0].bool("still"))
    }
}

/// A fresh database holding an open petition `id`.
func openPetition(_ id: String, in label: String) throws -> String {
    let database = try TestDatabase.create(label)
    for arguments in [["petition", "draft", id, "--title", "T", "--addressee", "A", "--text", "X"], ["petition", "open", id]] {
        let run = try VigilBinary.run(arguments, database: database)
        guard run.status == 0 else { throw TestFailure("vigil \(arguments.joined(separator: " ")): \(run.stderr)") }
    }
    return database
}

@Suite("Importing signers from a file")
struct ImportCLITests {
    @Test("an import records only references, leaves out repeats, and appends nothing when run again")
    func importFile() throws {
        let database = try openPetition("imp", in: "import")
        let log = try ServerLog(TestDatabase.connect(database))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("signers-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        var csv = "email,country\n"
        for i in 0..<1_234 { csv += "person\(i)@example.org,\(["KR", "US", ""][i % 3])\n" }
        csv += "PERSON7@Example.org,KR\n\"quoted,person@example.org\",US\n"
        try csv.write(to: file, atomically: true, encoding: .utf8)
        // The JSON summary on stdout, and (asked for) which way each batch went into the vault on stderr.
        func importing(_ path: String, into petition: String = "imp") throws -> (summary: [String: Int]?, batches: String) {
            let run = try VigilBinary.run(
                ["petition", "import", petition, "--file", path, "--batch", "500", "--format", "json"], database: database,
                environment: ["VIGIL_IMPORT_TIMINGS": "1"])
            guard run.status == 0 else { throw TestFailure("vigil petition import: \(run.stderr)") }
            let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Int]
            return (summary, run.stderr.split(separator: "\n").first { $0.hasPrefix("import batches: ") }.map(String.init) ?? "")
        }
        let first = try importing(file.path)
        // 1,234 people, one of them twice in another case, and one quoted address with a comma in it.
        #expect(first.summary?["imported"] == 1_235)
        #expect(first.summary?["duplicatesSkipped"] == 1)
        #expect(first.summary?["rows"] == 1_236)
        // The first two batches go by COPY straight into the vault; the third holds the repeat of a signer
        // of the first, which the look before the COPY finds, and goes the slower way.
        #expect(first.batches == "import batches: 2 copied, 1 staged")
        let owner = try TestDatabase.connect(database)
        // Neither the subject ids' order nor the rows' physical order follows the blind indexes' (or the
        // file's): after an erasure, the neighbours of the erased row would bracket its blind index.
        for order in ["g.subject_id", "g.ctid", "s.ctid"] {
            let rows = try owner.query(
                "SELECT encode(g.blind_index, 'hex') AS h, s.sealed FROM vault.signatures g JOIN vault.subjects s USING (subject_id) ORDER BY \(unescaped: order)")
            let indexes = try rows.map { try $0.string("h") }
            #expect(indexes.count == 1_235)
            #expect(indexes != indexes.sorted(), "rows ordered by \(order) follow their blind indexes")
            // Runs of neighbours in blind-index order: about one in two pairs at random, every one when sorted.
            let ascending = zip(indexes, indexes.dropFirst()).filter { $0 < $1 }.count
            #expect(ascending < 800, "\(ascending) of 1,234 neighbours by \(order) ascend")
        }
        let again = try importing(file.path)
        // Everyone in it has signed: the vault's blind indexes say so, and nothing is appended; no batch
        // tries a COPY (each batch's blind indexes are looked for first), so nothing is written at all.
        #expect(again.summary?["batchesAppended"] == 0)
        #expect(again.summary?["imported"] == 0)
        #expect(again.summary?["duplicatesSkipped"] == 1_236)
        #expect(again.batches == "import batches: 0 copied, 3 staged")
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events WHERE event_type = 'SignaturesImported'")[0].int("n") == 3)
        #expect(try owner.query("SELECT count(*) AS n FROM vault.signatures")[0].int("n") == 1_235)
        #expect(try owner.query("SELECT count(*) AS n FROM vault.subjects")[0].int("n") == 1_235)
        let signatures = try owner.query("SELECT sum(online) AS n FROM vigil_read.campaign_signatures")[0].int("n")
        #expect(signatures == 1_235)

        // A file overlapping the first: 234 on record, 766 new, one of them twice in a batch. The batch
        // that starts with signers on record goes the slower way; the other by COPY, its repeat left out.
        let overlap = FileManager.default.temporaryDirectory.appendingPathComponent("signers-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: overlap) }
        var overlapping = "email,country\n"
        for i in 1_000..<2_000 {
            overlapping += "person\(i)@example.org,\(["KR", "US", ""][i % 3])\n"
            if i == 1_700 { overlapping += "Person1600@example.org,US\n" }
        }
        try overlapping.write(to: overlap, atomically: true, encoding: .utf8)
        let more = try importing(overlap.path)
        #expect(more.summary?["imported"] == 766)
        #expect(more.summary?["duplicatesSkipped"] == 235)
        #expect(more.batches == "import batches: 2 copied, 1 staged")
        #expect(try owner.query("SELECT count(*) AS n FROM vault.signatures")[0].int("n") == 2_001)
        #expect(try owner.query("SELECT count(*) AS n FROM vault.subjects")[0].int("n") == 2_001)
        #expect(try owner.query("SELECT sum(online) AS n FROM vigil_read.campaign_signatures")[0].int("n") == 2_001)
        // Imports are counted as commands for an operator's metrics: two that appended, one that did not.
        let counts = try owner.query(
            "SELECT outcome, commands FROM vigil_ops.command_counts WHERE kind = 'petition.import' ORDER BY outcome")
        #expect(try counts.map { "\(try $0.string("outcome")) \(try $0.int("commands"))" } == ["appended 2", "repeated 1"])
        // Every signature has its subject, and the other way round.
        #expect(
            try owner.query(
                "SELECT count(*) AS n FROM vault.signatures g FULL JOIN vault.subjects s USING (subject_id) WHERE g.subject_id IS NULL OR s.subject_id IS NULL"
            )[0].int("n") == 0)

        // Under an idempotency key, a retry skips the batches done without sealing them again.
        for arguments in [["petition", "draft", "imp-two", "--title", "T", "--addressee", "A", "--text", "X"], ["petition", "open", "imp-two"]] {
            #expect(try VigilBinary.run(arguments, database: database).status == 0)
        }
        let keyed = ["petition", "import", "imp-two", "--file", file.path, "--batch", "500", "--idempotency-key", "import-1", "--format", "json"]
        #expect(try VigilBinary.run(keyed, database: database).status == 0)
        let retried = try VigilBinary.json(Array(keyed.dropLast(2)), database: database) as? [String: Int]
        #expect(retried?["batchesAlreadyDone"] == 3)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events WHERE data::text ILIKE '%example.org%'")[0].int("n") == 0)
        // No import met a signer on record in a COPY: the server's log would hold the refusal with its key,
        // the petition and the person's blind index, which no erasure reaches.
        let blindIndexes = Set(try owner.query("SELECT encode(blind_index, 'hex') AS h FROM vault.signatures").map { try $0.string("h") })
        if let log {
            let logged = try log.holds(anyOf: blindIndexes)
            #expect(logged.isEmpty, "the server's log holds \(logged.count) blind indexes of this test's signers")
        }
    }

    @Test("a spreadsheet's CSV: byte-order mark, CRLF, quotes with doubled quotes, blanks, empty lines, names")
    func spreadsheetFile() throws {
        let database = try openPetition("imp", in: "import_csv")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("signers-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        let csv = "\u{FEFF}Name , Country\r\n"
            + "Kim Ji-hoon,KR\r\n"
            + "\r\n"
            + "  \"O'Brien, \"\"Pat\"\"\" , ie \r\n"
            + "  kim   JI-HOON ,kr\r\n"
        try Data(csv.utf8).write(to: file)
        let result = try VigilBinary.json(["petition", "import", "imp", "--file", file.path], database: database) as? [String: Int]
        // The third is the first again: blanks inside a name collapse and case folds.
        #expect(result?["rows"] == 3)
        #expect(result?["imported"] == 2)
        #expect(result?["duplicatesSkipped"] == 1)

        // Old Mac files end lines with CR alone: rows are still told apart and numbered.
        try Data("email,country\rok-cr@example.org,KR\r\rnot-an-email,KR\r".utf8).write(to: file)
        let lonelyCR = try VigilBinary.run(["petition", "import", "imp", "--file", file.path], database: database)
        #expect(lonelyCR.status == 3)
        #expect(lonelyCR.stderr.contains("row 4: email: is not an e-mail address"))

        try Data("name,country\n\"Kim,KR\n".utf8).write(to: file)
        let unclosed = try VigilBinary.run(["petition", "import", "imp", "--file", file.path], database: database)
        #expect(unclosed.status == 3)
        #expect(unclosed.stderr.contains("line 2 has a quoted field that is never closed"))

        try Data("name,country\n\n\"Line\nBreak\",US\n".utf8).write(to: file)
        let lineBreak = try VigilBinary.run(["petition", "import", "imp", "--file", file.path], database: database)
        #expect(lineBreak.status == 3)
        #expect(lineBreak.stderr.contains("row 3: name: holds the control character U+A"))
    }
}

@Suite("Signing from standard input")
struct SignFromStandardInputTests {
    @Test("a name or a note given as - comes from standard input: sealed as given, never in the process's arguments; one per command")
    func sealedValues() throws {
        let database = try TestDatabase.create("sealed_stdin")
        let launch = ["campaign", "launch", "c-in", "--title", "T", "--cause", "C", "--coalition", "K", "--addressee", "A", "--demand", "D"]
        #expect(try VigilBinary.run(launch, database: database).status == 0)
        let endorse = ["campaign", "endorse", "c-in", "e-1", "--endorser", "-", "--office", "Member of the National Assembly"]
        let run = try VigilBinary.run(endorse, database: database, input: "Kim Hidden-Endorser\n")
        #expect(run.status == 0, "\(run.stderr)")
        let owner = try TestDatabase.connect(database)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events WHERE data::text ILIKE '%hidden-endorser%'")[0].int("n") == 0)
        let revealed = try VigilBinary.run(["audit", "replay", "campaign", "c-in", "--reveal", "restricted", "--format", "json"], database: database)
        #expect(revealed.status == 0, "\(revealed.stderr)")
        #expect(revealed.stdout.contains("Kim Hidden-Endorser") && !revealed.stdout.contains("Kim Hidden-Endorser\\n"))
        // Two values from one standard input, or nothing there: refused as usage errors, nothing appended.
        let before = try owner.query("SELECT count(*) AS n FROM vigil.events")[0].int("n")
        let two = try VigilBinary.run(["campaign", "endorse", "c-in", "e-2", "--endorser", "-", "--office=-"], database: database, input: "A\nB\n")
        #expect(two.status == 64 && two.stderr.contains("--endorser and --office both ask for standard input"), "\(two.stderr)")
        let empty = try VigilBinary.run(["campaign", "endorse", "c-in", "e-3", "--endorser", "-", "--office", "O"], database: database, input: "")
        #expect(empty.status == 64 && empty.stderr.contains("standard input was empty"), "\(empty.stderr)")
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events")[0].int("n") == before)
        // A value that begins with "-" (notes as a list) is a value, not an option.
        let concluded = try VigilBinary.run(["campaign", "conclude", "c-in", "--summary", "-"], database: database, input: "- three arrested\n- kettled\n")
        #expect(concluded.status == 0, "\(concluded.stderr)")
        let summary = try VigilBinary.run(["audit", "replay", "campaign", "c-in", "--reveal", "organiser", "--format", "json"], database: database)
        #expect(summary.stdout.contains("- three arrested\\n- kettled"), "\(summary.stdout)")
    }

    @Test("typed at a terminal, a value given as - is asked for on standard error; piped, nothing is said")
    func promptAtTerminal() throws {
        let database = try openPetition("tty", in: "stdin_tty")
        let launch = ["campaign", "launch", "c-tty", "--title", "T", "--cause", "C", "--coalition", "K", "--addressee", "A", "--demand", "D"]
        #expect(try VigilBinary.run(launch, database: database).status == 0)
        // `script` (util-linux) runs the command on a pseudo-terminal and feeds it what the test types.
        func atTerminal(_ arguments: [String], typing: String) throws -> VigilBinary.Run {
            let command = ([VigilBinary.url.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
            return try VigilBinary.run(
                ["-qec", command, "/dev/null"], database: database, input: typing,
                launch: .init(executable: URL(fileURLWithPath: "/usr/bin/script")))
        }
        let endorse = ["campaign", "endorse", "c-tty", "e-1", "--endorser", "-", "--office", "Mayor"]
        let typed = try atTerminal(endorse, typing: "Kim Typed-Endorser\n\u{04}")
        #expect(typed.status == 0, "\(typed.stdout)")
        #expect(typed.stdout.contains("--endorser -: type the value, then press Ctrl-D on a line of its own"), "\(typed.stdout)")
        let revealed = try VigilBinary.run(["audit", "replay", "campaign", "c-tty", "--reveal", "restricted", "--format", "json"], database: database)
        #expect(revealed.stdout.contains("\"Kim Typed-Endorser\""), "\(revealed.stdout)")
        let signed = try atTerminal(["petition", "sign", "tty", "--email", "-", "--country", "KR"], typing: "typed.person@example.org\n")
        #expect(signed.status == 0, "\(signed.stdout)")
        #expect(signed.stdout.contains("--email -: type the signer's e-mail address, then press Enter"), "\(signed.stdout)")
        let erased = try atTerminal(["person", "erase"], typing: "typed.person@example.org\n")
        #expect(erased.status == 0, "\(erased.stdout)")
        #expect(erased.stdout.contains("type the person's e-mail address, then press Enter (or give --subject ID instead)"), "\(erased.stdout)")
        // Asked for help, nothing is read: the help is printed without waiting for anything typed.
        let help = try atTerminal(["campaign", "endorse", "c-tty", "e-9", "--endorser", "-", "--help"], typing: "")
        #expect(help.status == 0 && help.stdout.contains("USAGE") && !help.stdout.contains("type the value"), "\(help.stdout)")
        // From a pipe the same commands say nothing of the kind.
        let piped = try VigilBinary.run(["campaign", "endorse", "c-tty", "e-2", "--endorser", "-", "--office", "Mayor"], database: database, input: "Lee Piped\n")
        #expect(piped.status == 0 && !piped.stderr.contains("type the"), "\(piped.stderr)")
        let again = try VigilBinary.run(["petition", "sign", "tty", "--email", "-", "--country", "KR"], database: database, input: "piped@example.org\n")
        #expect(again.status == 0 && !again.stderr.contains("type the"), "\(again.stderr)")
    }

    @Test("a signer's identity typed at a terminal (--email -, person erase) is not echoed, like a password, also after Ctrl-Z and fg, and the terminal is put back as it was, also after Ctrl-C")
    func identityNotEchoed() throws {
        let database = try openPetition("quiet", in: "identity_tty")
        let typed = "shown.nowhere@example.org"
        let sign = ["petition", "sign", "quiet", "--email", "-", "--country", "KR"]
        let signed = try VigilBinary.atTerminal(sign, database: database, prompt: "then press Enter", typing: typed + "\n")
        #expect(signed.status == 0, "\(signed.screen)")
        #expect(signed.screen.contains("type the signer's e-mail address, then press Enter (not shown as you type)"), "\(signed.screen)")
        #expect(signed.screen.contains("recorded a signature of petition quiet"), "\(signed.screen)")
        #expect(!signed.screen.contains(typed), "the terminal showed it: \(signed.screen)")
        #expect(signed.echoAfter, "the terminal was left without echo")
        let byName = try VigilBinary.atTerminal(["petition", "sign", "quiet", "--name", "-", "--country", "KR"], database: database,
                                                prompt: "then press Enter", typing: "Kim Shown-Nowhere\n")
        #expect(byName.status == 0 && !byName.screen.contains("Shown-Nowhere"), "\(byName.screen)")
        let erased = try VigilBinary.atTerminal(["person", "erase"], database: database, prompt: "then press Enter", typing: typed + "\n")
        #expect(erased.status == 0, "\(erased.screen)")
        #expect(!erased.screen.contains(typed), "the terminal showed it: \(erased.screen)")
        // Ctrl-Z, the shell's own settings put back, then `fg`: what is typed after is still not shown.
        let resumed = try VigilBinary.atTerminal(["petition", "sign", "quiet", "--email", "-"], database: database,
                                                 prompt: "then press Enter", typing: "after.fg@example.org\n", stoppedFirst: true)
        #expect(resumed.status == 0 && !resumed.screen.contains("after.fg@example.org"), "\(resumed.status) \(resumed.screen)")
        #expect(resumed.echoAfter, "the terminal was left without echo")
        // Interrupted while it waits: it dies of the signal, with the terminal's echo back on.
        let interrupted = try VigilBinary.atTerminal(sign, database: database, prompt: "then press Enter", typing: "", interrupt: true)
        #expect(interrupted.status == SIGINT, "\(interrupted.status) \(interrupted.screen)")
        #expect(interrupted.echoAfter, "Ctrl-C left the terminal without echo")
    }

    @Test("--email - and --name - read the signer from standard input, and it never reaches the log")
    func standardInput() throws {
        let database = try openPetition("sig", in: "sign_stdin")
        let sign = ["petition", "sign", "sig", "--email", "-", "--country", "KR"]
        #expect(try VigilBinary.run(sign, database: database, input: "Hidden.Person@example.org\n").status == 0)
        // The same person again, typed on the command line this time: refused as a second signature.
        let again = try VigilBinary.run(["petition", "sign", "sig", "--email", "hidden.person@example.org"], database: database)
        #expect(again.status == 6)
        #expect(again.stderr.contains("already signed"))
        let named = try VigilBinary.run(["petition", "sign", "sig", "--name", "-", "--country", "KR"], database: database, input: "Kim Hidden\n")
        #expect(named.status == 0)
        let empty = try VigilBinary.run(sign, database: database, input: "")
        #expect(empty.status == 3)
        #expect(empty.stderr.contains("is not an e-mail address"))
        let owner = try TestDatabase.connect(database)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events WHERE data::text ILIKE '%hidden%'")[0].int("n") == 0)
        #expect(try owner.query("SELECT count(*) AS n FROM vigil.events WHERE event_type = 'SignatureRecorded'")[0].int("n") == 2)
    }
}
