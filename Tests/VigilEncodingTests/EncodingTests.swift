import Foundation
import Testing
import VigilEncoding

@Suite("Hex: bytes to text and back")
struct HexTests {
    @Test("lower-case out; either case in; anything else refused")
    func hex() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xAB, 0xFF]
        #expect(Hex.encode(bytes) == "00017f80abff")
        #expect(Hex.decode("00017f80abff") == bytes)
        #expect(Hex.decode("00017F80ABFF") == bytes)
        #expect(Hex.decode("") == [])
        for bad in ["0", "0g", "é0", " 00", "00 "] { #expect(Hex.decode(bad) == nil, "\(bad)") }
        #expect(Hex.digit(UInt8(ascii: "f")) == 15)
        #expect(Hex.digit(UInt8(ascii: "G")) == nil)
        let all = (0...255).map(UInt8.init)
        #expect(Hex.decode(Hex.encode(all)) == all)
    }
}

@Suite("Timestamps: ISO 8601 in UTC, and PostgreSQL's form")
struct TimestampTests {
    /// A small deterministic generator, so a failure can be reproduced from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("20,000 random instants from 1583 to 9999: written as ISO8601DateFormatter writes them, and read back")
    func agreesWithFoundation() {
        var random = SplitMix(state: 1_583)
        let foundation = ISO8601DateFormatter()
        let first = -12_212_553_600.0  // 1583-01-01
        let last = 253_402_300_799.0  // 9999-12-31 23:59:59
        for _ in 0..<20_000 {
            let seconds = first + Double(random.next() % UInt64(last - first)) + Double(random.next() % 1_000) / 1_000
            let date = Date(timeIntervalSince1970: seconds)
            let text = Timestamp.format(date)
            #expect(text == foundation.string(from: date))
            #expect(Timestamp.parse(text) == Date(timeIntervalSince1970: seconds.rounded(.down)))
            // To the microsecond, give or take what a Double holds of it (a 64th of a millisecond by 9999).
            let precise = Timestamp.format(date, .microseconds)
            #expect(abs((Timestamp.parse(precise)?.timeIntervalSince1970 ?? 0) - seconds) <= 0.000_001 + 4 * seconds.ulp, "\(precise)")
        }
    }

    @Test("the forms PostgreSQL and ISO 8601 write, and what is refused")
    func forms() {
        let instant = Date(timeIntervalSince1970: 1_103_734_800)  // 2004-12-22 17:00:00 UTC
        #expect(Timestamp.format(instant) == "2004-12-22T17:00:00Z")
        #expect(Timestamp.format(instant.addingTimeInterval(0.123_456_2), .microseconds) == "2004-12-22T17:00:00.123456Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.5), .microseconds) == "1969-12-31T23:59:59.500000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(Timestamp.parse("2004-12-22 17:00:00+00") == instant)
        #expect(Timestamp.parse("2004-12-22 17:00:00.5+00") == instant.addingTimeInterval(0.5))
        #expect(Timestamp.parse("2004-12-22 22:30:00+05:30") == instant)
        #expect(Timestamp.parse("2004-12-22T09:00:00-0800") == instant)
        #expect(Timestamp.parse("2004-12-22T09:00:00-08") == instant)
        for bad in [
            "", "2004-12-22", "2004-12-22T17:00:00", "2004-12-22T17:00:00z", "2004-12-22t17:00:00Z", "2004-12-22T17:00:00Z ",
            "2004-02-30T17:00:00Z", "2004-12-22T24:00:00Z", "2004-12-22T17:60:00Z", "2004-12-22T17:00:60Z", "2004-13-01T17:00:00Z",
            "2004-12-22T17:00:00.Z", "2004-12-22T17:00:00+1", "2004-12-22T17:00:00+24:00", "1582-12-31T00:00:00Z",
            "+2004-12-22T17:00:00Z", "2004-12-22T17:00:00ZZ", "２００４-12-22T17:00:00Z",
        ] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
        #expect(Timestamp.parse("2004-02-29T00:00:00Z") != nil)
        #expect(Timestamp.parse("2100-02-29T00:00:00Z") == nil)
    }

    @Test("days and dates: one the inverse of the other, across four centuries either side of 1970")
    func calendar() {
        for days in stride(from: -146_097 * 4, through: 146_097 * 4, by: 97) {
            let (year, month, day) = Timestamp.civil(days: days)
            #expect((1...Timestamp.daysIn(year: year, month: month)).contains(day))
            #expect(Timestamp.days(year: year, month: month, day: day) == days)
        }
        #expect(Timestamp.days(year: 1970, month: 1, day: 1) == 0)
        #expect(Timestamp.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(Timestamp.daysIn(year: 2000, month: 2) == 29)
        #expect(Timestamp.daysIn(year: 1900, month: 2) == 28)
    }
}
