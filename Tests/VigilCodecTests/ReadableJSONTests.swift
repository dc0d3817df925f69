import Foundation
import Testing
import VigilCodec
@testable import VigilDomain

/// Stored payloads keep the shape the log was written in; the JSON of a replayed state is ISO 8601.
@Suite("Readable JSON of states")
struct ReadableJSONTests {
    let wall = WallTime(year: 2004, month: 12, day: 22, hour: 12, minute: 0)
    let date = LocalDate(year: 2023, month: 11, day: 14)

    @Test("a wall time and a date: objects in payloads, as ever; ISO 8601 text for readers")
    func wallTimesAndDates() throws {
        #expect(String(decoding: try EventCodec.json(wall), as: UTF8.self) == #"{"day":22,"hour":12,"minute":0,"month":12,"year":2004}"#)
        #expect(String(decoding: try EventCodec.json(date), as: UTF8.self) == #"{"day":14,"month":11,"year":2023}"#)
        #expect(String(decoding: try EventCodec.readableJSON(wall), as: UTF8.self) == #""2004-12-22T12:00""#)
        #expect(String(decoding: try EventCodec.readableJSON(date), as: UTF8.self) == #""2023-11-14""#)
        // What a payload holds still decodes.
        #expect(try JSONDecoder().decode(WallTime.self, from: try EventCodec.json(wall)) == wall)
    }

    @Test("a weekly gathering's state: dates held as records in order, skipped dates in order, no [key, value] pairs")
    func recurrenceState() throws {
        var state = RecurrenceState()
        state.rule = RecurrenceScheduled(
            recurrenceId: "tuesdays", missionId: "m-1", campaignId: nil, kind: .picket, weekday: 2, hour: 12, minute: 0,
            timeZone: "America/New_York", from: date, until: nil, venue: nil, organiser: nil, scheduledAt: Date(timeIntervalSince1970: 0))
        state.skipped = [LocalDate(year: 2023, month: 12, day: 26), LocalDate(year: 2023, month: 11, day: 21)]
        for day in [28, 14] {
            let held = LocalDate(year: 2023, month: 11, day: day)
            state.held[held] = OccurrenceHeld(
                recurrenceId: "tuesdays", date: held, startsAt: Date(timeIntervalSince1970: 0), reportedAttendance: nil, notes: nil,
                recordedAt: Date(timeIntervalSince1970: 0))
        }
        let object = try #require(try JSONSerialization.jsonObject(with: try EventCodec.readableJSON(state)) as? [String: Any])
        #expect(object["skipped"] as? [String] == ["2023-11-21", "2023-12-26"])
        let held = try #require(object["held"] as? [[String: Any]])
        #expect(held.map { $0["date"] as? String } == ["2023-11-14", "2023-11-28"])
        #expect(held.first?["startsAt"] as? String == "1970-01-01T00:00:00Z")
        #expect((object["rule"] as? [String: Any])?["from"] as? String == "2023-11-14")
    }
}
