import Foundation
import Testing
import VigilTestSupport

/// iCalendar exports of a campaign and of a weekly gathering, through the built binary, read back line
/// by line and by Debian's python3-icalendar where it is installed.
@Suite("Calendars")
struct CalendarTests: OnWeeklyFixture {
    let database: String

    init() throws { database = try WeeklyFixture.database.get() }

    // MARK: calendars

    /// The content lines of an .ics, after checking its line ends and line lengths.
    func lines(_ ics: String) -> [String] {
        let bytes = Array(ics.utf8)
        for (i, byte) in bytes.enumerated() where byte == 0x0A { #expect(i > 0 && bytes[i - 1] == 0x0D, "a bare LF at byte \(i)") }
        for line in ics.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75, "longer than 75 octets: \(line)") }
        #expect(ics.hasSuffix("\r\n"))
        let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(unfolded.first == "BEGIN:VCALENDAR" && unfolded.last == "END:VCALENDAR")
        return unfolded
    }

    /// The VEVENTs, each as its lines.
    func events(_ lines: [String]) -> [[String]] {
        var out: [[String]] = []
        var current: [String]?
        for line in lines {
            if line == "BEGIN:VEVENT" { current = [] } else if line == "END:VEVENT", let event = current { out.append(event); current = nil } else { current?.append(line) }
        }
        return out
    }

    /// The UTC offset (seconds) the file's VTIMEZONE for `zone` gives the local time `local` (YYYYMMDDTHHMMSS):
    /// the observance with the latest onset at or before it. (Observances with a yearly rule start after
    /// every date here, so their first onset stands for them.)
    func offset(_ lines: [String], zone: String, local: String) -> Int? {
        guard let begin = lines.firstIndex(of: "TZID:" + zone) else { return nil }
        var best: (String, Int)?
        var start: String?
        for line in lines[begin...] {
            if line == "END:VTIMEZONE" { break }
            if line.hasPrefix("DTSTART:") { start = String(line.dropFirst(8)) }
            if line.hasPrefix("TZOFFSETTO:"), let start, start <= local {
                let text = line.dropFirst(11)
                let sign = text.hasPrefix("-") ? -1 : 1
                let digits = text.dropFirst()
                let seconds = (Int(digits.prefix(2)) ?? 0) * 3600 + (Int(digits.dropFirst(2).prefix(2)) ?? 0) * 60
                if best.map({ start >= $0.0 }) ?? true { best = (start, sign * seconds) }
            }
        }
        return best?.1
    }

    @Test("a campaign's calendar: CRLF, folded, TZID with a VTIMEZONE each, local times as scheduled, cancelled marked, nothing sealed")
    func campaignCalendar() throws {
        let ics = try vigil(["campaign", "calendar", "cal-2026"])
        let all = lines(ics)
        for secret in WeeklyFixture.secrets { #expect(!ics.contains(secret), "\(secret) in the calendar") }
        #expect(all.contains("X-WR-CALNAME:Vigils\\; London\\, Seoul"))
        // Every TZID named has its VTIMEZONE.
        let named = Set(all.compactMap { line -> String? in
            guard let range = line.range(of: "TZID=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != ":" && $0 != ";" })
        })
        #expect(named == ["Europe/London", "Asia/Seoul"])
        for zone in named { #expect(all.contains("TZID:" + zone), "no VTIMEZONE for \(zone)") }
        #expect(all.filter { $0 == "BEGIN:VTIMEZONE" }.count == 2)

        // Each gathering's DTSTART is its local wall time there, and the VTIMEZONE's offset gives its UTC instant.
        let day = try #require(try json(["report", "day", "cal-2026"])["rows"] as? [[String: Any]])
        let vevents = events(all)
        for gathering in day {
            let id = try #require(gathering["gatheringId"] as? String)
            let event = try #require(vevents.first { $0.contains("UID:gathering-\(id)@vigil") }, "no event for \(id)")
            let zone = try #require(gathering["timeZone"] as? String)
            let local = try #require(gathering["localStart"] as? String)  // 2026-07-01 18:30
            let expected = local.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
                .replacingOccurrences(of: " ", with: "T") + "00"
            #expect(event.contains("DTSTART;TZID=\(zone):\(expected)"), "\(id): \(event)")
            let seconds = try #require(self.offset(all, zone: zone, local: expected), "\(zone) has no observance for \(expected)")
            let instant = try #require(gathering["startsAtUTC"] as? String)
            let utc = try #require(ISO8601DateFormatter().date(from: instant))
            let wall = try #require(naive(expected))
            #expect(wall.timeIntervalSince(utc) == Double(seconds), "\(id): VTIMEZONE offset \(seconds) s")
            #expect(event.contains(where: { $0.hasPrefix("DTSTAMP:") && $0.hasSuffix("Z") }))
            #expect(event.contains(where: { $0.hasPrefix("DTEND;TZID=\(zone):") }))
        }
        let summer = try #require(vevents.first { $0.contains("UID:gathering-cal-summer@vigil") })
        #expect(summer.contains("DTSTART;TZID=Europe/London:20260701T183000"))
        #expect(summer.contains("LOCATION:Opposite the embassy\\, Portland Place"))
        #expect(summer.contains("STATUS:CONFIRMED"))
        let winter = try #require(vevents.first { $0.contains("UID:gathering-cal-winter@vigil") })
        #expect(winter.contains("STATUS:CANCELLED"))
        #expect(winter.contains("LOCATION:Embassy of the People's Republic of China\\, 49 Portland Place\\, London\\, GB"))

        // The campaign's weekly gatherings, each one event with its rule.
        let weds = try #require(vevents.first { $0.contains("UID:weekly-london-weds@vigil") })
        #expect(weds.contains("DTSTART;TZID=Europe/London:20260304T120000"))
        #expect(weds.contains("RRULE:FREQ=WEEKLY;BYDAY=WE"))
        #expect(weds.contains("EXDATE;TZID=Europe/London:20260325T120000"))
        let mondays = try #require(vevents.first { $0.contains("UID:weekly-seoul-mondays@vigil") })
        // Until the end of 23 February in Seoul, in UTC as RFC 5545 asks.
        #expect(mondays.contains("RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260223T145959Z"), "\(mondays)")
        #expect(mondays.contains("DTSTART;TZID=Asia/Seoul:20260105T093000"))
    }

    @Test("an unknown campaign or weekly gathering: exit 4, a message, and no calendar")
    func unknown() throws {
        for arguments in [["weekly", "calendar", "no-such-weekly"], ["campaign", "calendar", "no-such-campaign"]] {
            let run = try VigilBinary.run(arguments, database: database)
            #expect(run.status == 4, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("is on record"), "\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let unwritable = try VigilBinary.run(["campaign", "calendar", "cal-2026", "--out", "/nonexistent-folder/cal.ics"], database: database)
        #expect(unwritable.status == 3)
        #expect(unwritable.stderr.contains("cannot write /nonexistent-folder/cal.ics"), "\(unwritable.stderr)")
    }

    @Test("a weekly gathering's calendar written with --out; the same text as printed, and the UID stays the same")
    func weeklyCalendarFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-weekly-\(UInt32.random(in: 0..<UInt32.max)).ics")
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try vigil(["weekly", "calendar", "london-weds", "--out", file.path])
        #expect(out.contains("wrote the calendar of london-weds (1 events) to \(file.path)"), "\(out)")
        let written = try String(contentsOf: file, encoding: .utf8)
        let all = lines(written)
        #expect(all.filter { $0 == "BEGIN:VEVENT" }.count == 1)
        #expect(all.contains("UID:weekly-london-weds@vigil"))
        #expect(all.contains("TZID:Europe/London"))
        for secret in WeeklyFixture.secrets { #expect(!written.contains(secret)) }
        // London's summer time from the last Sunday in March, as a yearly rule that goes on past the data.
        #expect(all.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"), "\(all)")
        #expect(all.contains("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"))
        let printed = try vigil(["weekly", "calendar", "london-weds"])
        let withoutStamp = { (text: String) in lines(text).filter { !$0.hasPrefix("DTSTAMP:") } }
        #expect(withoutStamp(printed) == withoutStamp(written))
    }

    static let icalendarAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import icalendar"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    @Test("Debian's python3-icalendar reads the campaign's calendar: every event, at its instant in UTC", .enabled(if: icalendarAvailable))
    func pythonICalendar() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-campaign-\(UInt32.random(in: 0..<UInt32.max)).ics")
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try vigil(["campaign", "calendar", "cal-2026", "--out", file.path])
        let script = """
            import sys, datetime, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            for ev in cal.walk('VEVENT'):
                start = ev.decoded('DTSTART').astimezone(datetime.timezone.utc)
                print(str(ev['UID']), start.strftime('%Y-%m-%dT%H:%M:%SZ'), str(ev.get('STATUS')), str(ev.get('LOCATION', '')))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let byUID = Dictionary(uniqueKeysWithValues: output.split(separator: "\n").map { line in
            (String(line.split(separator: " ")[0]), String(line))
        })
        #expect(byUID.count == 5, "\(output)")
        #expect(byUID["gathering-cal-summer@vigil"]?.contains("2026-07-01T17:30:00Z CONFIRMED Opposite the embassy, Portland Place") == true, "\(output)")
        #expect(byUID["gathering-cal-winter@vigil"]?.contains("2026-01-15T18:30:00Z CANCELLED") == true, "\(output)")
        #expect(byUID["weekly-seoul-mondays@vigil"]?.contains("2026-01-05T00:30:00Z") == true, "\(output)")
    }
}

/// `20260701T183000` read as if it were UTC: a wall time's naive instant.
func naive(_ text: String) -> Date? {
    let digits = text.replacingOccurrences(of: "T", with: "")
    guard digits.count == 14, let number = Int(digits) else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
    let parts = [number / 10_000_000_000, number / 100_000_000 % 100, number / 1_000_000 % 100, number / 10_000 % 100, number / 100 % 100, number % 100]
    return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5]))
}
