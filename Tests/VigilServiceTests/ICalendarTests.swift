import Foundation
import Testing
import VigilDomain
import VigilService

/// The iCalendar renderer on its own, no database: folding, escaping, and time zones worked out from
/// the system's zone data.
@Suite("iCalendar text")
struct ICalendarTests {
    @Test("folding: no physical line over 75 octets, never inside a character, and unfolding gives the line back")
    func folding() {
        let line = "SUMMARY:" + String(repeating: "탈북자 강제북송을 중단하라 停止遣返脱北者 ", count: 6) + "é" + String(repeating: "a", count: 80)
        let folded = ICalendar.fold(line)
        let physical = folded.components(separatedBy: "\r\n")
        #expect(physical.count > 3)
        for (i, part) in physical.enumerated() {
            #expect(part.utf8.count <= 75, "\(part.utf8.count) octets: \(part)")
            if i > 0 { #expect(part.hasPrefix(" ")) }
            // Each physical line is valid UTF-8 on its own: no character was cut.
            #expect(!part.contains("\u{FFFD}"))
        }
        #expect(ICalendar.unfold(folded + "\r\n") == [line])
        #expect(ICalendar.fold("SHORT:line") == "SHORT:line")
        // Exactly 75 octets stays on one line; 76 folds.
        #expect(!ICalendar.fold(String(repeating: "x", count: 75)).contains("\r\n"))
        #expect(ICalendar.fold(String(repeating: "x", count: 76)).components(separatedBy: "\r\n").map(\.utf8.count) == [75, 2])
    }

    @Test("TEXT escaping: backslash, semicolon, comma and line ends")
    func escaping() {
        #expect(ICalendar.escape(#"a\b; c, d"#) == #"a\\b\; c\, d"#)
        #expect(ICalendar.escape("one\ntwo\r\nthree") == #"one\ntwo\nthree"#)
        #expect(ICalendar.escape("서울, 中国") == #"서울\, 中国"#)
    }

    func render(_ zone: String, _ wall: WallTime, weekly: CalendarEvent.Weekly? = nil) -> [String] {
        let event = CalendarEvent(uid: "g@vigil", summary: "s", location: nil, description: nil, timeZone: zone, start: wall, weekly: weekly)
        return ICalendar.unfold(ICalendar.render(name: "n", events: [event], stamp: Date(timeIntervalSince1970: 0), openEndedThrough: 2027))
    }

    /// The offsets of the VTIMEZONE's observances with their onsets (DTSTART), in order.
    func observances(_ lines: [String]) -> [(start: String, from: String, to: String)] {
        var out: [(String, String, String)] = []
        var start = "", from = ""
        for line in lines {
            if line.hasPrefix("DTSTART:") { start = String(line.dropFirst(8)) }
            if line.hasPrefix("TZOFFSETFROM:") { from = String(line.dropFirst(13)) }
            if line.hasPrefix("TZOFFSETTO:") { out.append((start, from, String(line.dropFirst(11)))) }
        }
        return out
    }

    @Test("a zone that changes its clocks: Sydney in 2004, from summer time to standard time and back")
    func sydney() {
        let lines = render("Australia/Sydney", WallTime(year: 2004, month: 12, day: 22, hour: 12, minute: 0))
        #expect(lines.contains("DTSTART;TZID=Australia/Sydney:20041222T120000"))
        #expect(lines.contains("DTEND;TZID=Australia/Sydney:20041222T130000"))
        #expect(lines.contains("TZID:Australia/Sydney"))
        let found = observances(lines)
        #expect(found.map(\.start) == ["20040101T000000", "20040328T030000", "20041031T020000"], "\(found)")
        #expect(found.map(\.to) == ["+1100", "+1000", "+1100"])
        #expect(found.map(\.from) == ["+1100", "+1100", "+1000"])
        #expect(lines.contains("BEGIN:DAYLIGHT") && lines.contains("BEGIN:STANDARD"))
    }

    @Test("a zone that does not: Seoul has one standard observance at +0900")
    func seoul() {
        let lines = render("Asia/Seoul", WallTime(year: 2024, month: 6, day: 3, hour: 11, minute: 0))
        let found = observances(lines)
        #expect(found.count == 1)
        #expect(found.first?.to == "+0900" && found.first?.from == "+0900")
        #expect(!lines.contains("BEGIN:DAYLIGHT"))
        #expect(lines.contains("TZNAME:KST") || !lines.contains(where: { $0.hasPrefix("TZNAME:GMT") }))
    }

    @Test("New York's rules since 2007 go on as yearly rules; 2004's are checked against 2005's and kept")
    func yearlyRules() {
        let now = render("America/New_York", WallTime(year: 2024, month: 1, day: 2, hour: 12, minute: 0), weekly: .init(weekday: 2, until: nil, exceptions: []))
        #expect(now.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"), "\(now)")
        #expect(now.contains("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"))
        #expect(now.contains("RRULE:FREQ=WEEKLY;BYDAY=TU"))
        let then = render("America/New_York", WallTime(year: 2004, month: 12, day: 22, hour: 12, minute: 0))
        #expect(then.contains("RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"), "\(then)")
        #expect(then.contains("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"))
        // 2006's rule did not hold in 2007: no yearly rule then.
        let changed = render("America/New_York", WallTime(year: 2006, month: 6, day: 1, hour: 12, minute: 0))
        #expect(!changed.contains(where: { $0.hasPrefix("RRULE:FREQ=YEARLY") }), "\(changed)")
    }

    @Test("a cancelled event says so; a weekly series carries UNTIL in UTC and its exceptions at the wall time")
    func statusAndRule() {
        let cancelled = CalendarEvent(
            uid: "x@vigil", summary: "s", location: "here", description: "d", timeZone: "Europe/London",
            start: WallTime(year: 2026, month: 7, day: 1, hour: 18, minute: 30), cancelled: true)
        let lines = ICalendar.unfold(ICalendar.render(name: "n", events: [cancelled], stamp: Date(timeIntervalSince1970: 86_400), openEndedThrough: 2027))
        #expect(lines.contains("STATUS:CANCELLED"))
        #expect(lines.contains("DTSTAMP:19700102T000000Z"))
        let weekly = render(
            "Europe/London", WallTime(year: 2026, month: 3, day: 4, hour: 12, minute: 0),
            weekly: .init(weekday: 3, until: Date(timeIntervalSince1970: 1_777_593_599), exceptions: [WallTime(year: 2026, month: 3, day: 25, hour: 12, minute: 0)]))
        #expect(weekly.contains("RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20260430T235959Z"), "\(weekly)")
        #expect(weekly.contains("EXDATE;TZID=Europe/London:20260325T120000"))
    }
}
