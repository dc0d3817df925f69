import Foundation
import Testing
import VigilDomain
import VigilSignerFile

/// A folder of scratch files for this run; each file is removed once its test has read it.
let scratch: URL = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-signer-file-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}()

/// Writes `bytes` to a new file, calls `body` with its path, and removes the file.
@discardableResult
func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
    let url = scratch.appendingPathComponent("\(UUID().uuidString).csv")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// `withFile` for `text` in UTF-8.
@discardableResult
func withFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T { try withFile(Array(text.utf8), body) }

/// Every row of the file `text` makes.
func rows(_ text: String) throws -> [SignerRow] { try withFile(text, rows(of:)) }

/// Every row of the file `bytes` make.
func rows(_ bytes: [UInt8]) throws -> [SignerRow] { try withFile(bytes, rows(of:)) }

func rows(of path: String) throws -> [SignerRow] {
    var rows: [SignerRow] = []
    try SignerFile(path: path).forEach { rows.append($0) }
    return rows
}

/// The error reading the file `bytes` makes throws, whether at its header or at a row.
func failure(_ bytes: [UInt8]) throws -> SignerFileError {
    try withFile(bytes) { path in try #require(throws: SignerFileError.self) { try rows(of: path) } }
}

func failure(_ text: String) throws -> SignerFileError { try failure(Array(text.utf8)) }

func email(_ row: Int, _ address: String, _ country: String? = nil) -> SignerRow {
    SignerRow(row: row, identity: .email(address), country: country)
}

func name(_ row: Int, _ name: String, _ country: String) -> SignerRow {
    SignerRow(row: row, identity: .name(name, country: country), country: country)
}

@Suite("Signer file: what it reads")
struct SignerFileReadingTests {
    @Test("an email file: a row per signer, numbered by the file's lines from the header's 1")
    func emailFile() throws {
        #expect(try rows("email,country\na@example.org,KR\nb@example.org,\n") == [
            email(2, "a@example.org", "KR"), email(3, "b@example.org"),
        ])
        #expect(try rows("email\nonly@example.org") == [email(2, "only@example.org")])
    }

    @Test("a name file: name and country; a row with an e-mail address in a mixed file is that address")
    func nameFile() throws {
        #expect(try rows("name,country\nKim Ji-hoon,KR\n") == [name(2, "Kim Ji-hoon", "KR")])
        #expect(try rows("email,name,country\n,Kim,KR\nx@example.org,Kim,KR\n") == [
            name(2, "Kim", "KR"), email(3, "x@example.org", "KR"),
        ])
        // A name row without a country keeps an empty country for the domain to refuse.
        #expect(try rows("name,country\nKim,\n") == [SignerRow(row: 2, identity: .name("Kim", country: ""), country: nil)])
    }

    @Test("a row of an email-only file without an address is an empty address, for the domain to refuse")
    func missingAddress() throws {
        #expect(try rows("email,country\n,KR\n") == [email(2, "", "KR")])
    }

    @Test("header names are trimmed and matched in any case; columns may come in any order; others are skipped")
    func header() throws {
        #expect(try rows(" Country ,NOTES,\tEMAIL \nKR,anything at all,a@example.org\n") == [email(2, "a@example.org", "KR")])
        #expect(try rows("\"Name\",\"Country\"\nKim,KR\n") == [name(2, "Kim", "KR")])
    }

    @Test("a UTF-8 byte-order mark is skipped, and the header is still line 1")
    func byteOrderMark() throws {
        #expect(try rows([0xEF, 0xBB, 0xBF] + Array("email\na@example.org\n".utf8)) == [email(2, "a@example.org")])
    }

    @Test("LF, CRLF and a lone CR each end a line, mixed in one file too")
    func lineEnds() throws {
        let expected = [email(2, "a@example.org", "KR"), email(3, "b@example.org", "US")]
        #expect(try rows("email,country\na@example.org,KR\nb@example.org,US\n") == expected)
        #expect(try rows("email,country\r\na@example.org,KR\r\nb@example.org,US\r\n") == expected)
        #expect(try rows("email,country\ra@example.org,KR\rb@example.org,US\r") == expected)
        #expect(try rows("email,country\r\na@example.org,KR\rb@example.org,US") == expected)
    }

    @Test("empty lines, before the header too, are skipped and still counted")
    func emptyLines() throws {
        #expect(try rows("\n\nemail\n\na@example.org\r\n\r\n\rb@example.org\n\n\n") == [
            email(5, "a@example.org"), email(8, "b@example.org"),
        ])
    }

    @Test("a row of empty fields (a spreadsheet's empty row) is skipped like an empty line")
    func emptyRows() throws {
        #expect(try rows("email,country\n,\n  ,  \n\"\",\na@example.org,KR\n,,,\n") == [email(5, "a@example.org", "KR")])
    }

    @Test("blanks around fields are trimmed; inside quotes they are kept")
    func blanks() throws {
        #expect(try rows("name,country\n  Kim Ji-hoon \t,\t KR  \n") == [name(2, "Kim Ji-hoon", "KR")])
        #expect(try rows("name,country\n  \" Kim \" , KR\n") == [name(2, " Kim ", "KR")])
    }

    @Test("quoted fields hold commas, doubled quotes and line breaks; the next row's number counts those lines")
    func quoted() throws {
        #expect(try rows("name,country\n\"O'Brien, \"\"Pat\"\"\",IE\n") == [name(2, "O'Brien, \"Pat\"", "IE")])
        #expect(try rows("name,country\n\"Line\nBreak\",US\n\"Two\r\nlines\",KR\n\"Old\rMac\",KR\nKim,KR\n") == [
            name(2, "Line\nBreak", "US"), name(4, "Two\r\nlines", "KR"), name(6, "Old\rMac", "KR"), name(8, "Kim", "KR"),
        ])
        #expect(try rows("email\n\"\"\"quoted\"\"@example.org\"\n") == [email(2, "\"quoted\"@example.org")])
    }

    @Test("any script is kept as written")
    func scripts() throws {
        #expect(try rows("name,country\n김지훈,KR\n\"Ляйсан, Ф.\",RU\n") == [name(2, "김지훈", "KR"), name(3, "Ляйсан, Ф.", "RU")])
    }

    @Test("a field of exactly the limit is read; so is a skipped column of any length")
    func limit() throws {
        let longest = String(repeating: "n", count: 1_000)
        #expect(try rows("name,country\n\(longest),KR\n\"\(longest)\",KR\n") == [name(2, longest, "KR"), name(3, longest, "KR")])
        let huge = String(repeating: "x", count: 1_000_000)
        #expect(try rows("email,notes\na@example.org,\(huge)\nb@example.org,\"\(huge)\"\n") == [
            email(2, "a@example.org"), email(3, "b@example.org"),
        ])
    }

    @Test("a reader gives the same rows one at a time, then nil")
    func reader() throws {
        try withFile("email\na@example.org\nb@example.org\n") { path throws in
            var reader = try SignerFile(path: path).makeReader()
            #expect(try reader.next() == email(2, "a@example.org"))
            #expect(try reader.next() == email(3, "b@example.org"))
            #expect(try reader.next() == nil)
            #expect(try reader.next() == nil)
        }
    }

    @Test("an error the body throws ends the reading and comes out as it is")
    func bodyError() throws {
        struct Stop: Error, Equatable {}
        var seen = 0
        try withFile("email\na@example.org\nb@example.org\n") { path throws in
            #expect(throws: Stop()) {
                try SignerFile(path: path).forEach { _ in
                    seen += 1
                    throw Stop()
                }
            }
        }
        #expect(seen == 1)
    }

    @Test("the path is kept as given")
    func path() throws {
        try withFile("email\n") { path throws in
            #expect(try SignerFile(path: path).path == path)
            #expect(try rows(of: path).isEmpty)
        }
    }
}

@Suite("Signer file: what it refuses, naming the line")
struct SignerFileErrorTests {
    @Test("a file that is not there, or a folder, cannot be read")
    func unreadable() throws {
        let missing = try #require(throws: SignerFileError.self) { try SignerFile(path: "/nonexistent/signers.csv") }
        #expect(missing == SignerFileError(
            line: nil, problem: "cannot be read (there is no such file); check its path and that you may read it"))
        #expect("\(missing)" == "the file cannot be read (there is no such file); check its path and that you may read it")
        let folder = try #require(throws: SignerFileError.self) { try SignerFile(path: scratch.path) }
        #expect(folder.line == nil)
        #expect(folder.problem.hasPrefix("cannot be read (it is a folder)"))
    }

    @Test("a file that cannot be opened for reading says so", .enabled(if: getuid() != 0, "root reads any file"))
    func permission() throws {
        try withFile("email\na@example.org\n") { path throws in
            try FileManager.default.setAttributes([.posixPermissions: 0o200], ofItemAtPath: path)
            let error = try #require(throws: SignerFileError.self) { try SignerFile(path: path) }
            #expect(error.problem.hasPrefix("cannot be read (permission denied)"))
        }
    }

    @Test("an empty file, or one of only a byte-order mark and empty lines, asks for a header")
    func empty() throws {
        let expected = SignerFileError(
            line: nil, problem: "is empty; start it with a header row naming an email column, or name and country columns")
        #expect(try failure("") == expected)
        #expect(try failure([0xEF, 0xBB, 0xBF, 0x0D, 0x0A, 0x0A]) == expected)
        #expect(try failure(" , \n,\n") == expected)
        #expect("\(expected)".hasPrefix("the file is empty; "))
    }

    @Test("a header without email, or without both name and country, is refused on its line, never repeating it")
    func missingColumns() throws {
        let mail = try failure("mail\nx@example.org\n")
        #expect(mail == SignerFileError(
            line: 1,
            problem: "is the header row, and it must name an email column, or name and country columns; "
                + "if the file has no header row, add one as its first line: email, or name,country"))
        #expect("\(mail)".hasPrefix("line 1 is the header row, and it must name an email column"))
        #expect(try failure("name\nKim\n").line == 1)
        #expect(try failure("country,name2\nKR,Kim\n").line == 1)
        // A file without a header: its first signer is taken for the header, and is not printed back.
        let headless = try failure("\n\nsecret.person@example.org,KR\n")
        #expect(headless.line == 3)
        #expect(!"\(headless)".contains("secret"))
    }

    @Test("bytes that are not UTF-8 are refused on their line, in a header or a row, quoted or not")
    func notUTF8() throws {
        let problem = "is not valid UTF-8; save the file as UTF-8 (a spreadsheet's \"CSV UTF-8\")"
        #expect(try failure(Array("email\nok@example.org\n".utf8) + [0xFF, 0xFE] + Array("@example.org\n".utf8))
            == SignerFileError(line: 3, problem: problem))
        #expect(try failure(Array("name,country\n\"Kim\n".utf8) + [0xE9] + Array("\",KR\n".utf8)) == SignerFileError(line: 2, problem: problem))
        #expect(try failure([0x65, 0x6D, 0x61, 0x69, 0x6C, 0xC3]) == SignerFileError(line: 1, problem: problem))
        // Latin-1, as an old spreadsheet saves it: "Müller".
        #expect(try failure(Array("name,country\nKim,KR\n\nM".utf8) + [0xFC] + Array("ller,DE\n".utf8)).line == 4)
    }

    @Test("a column that is skipped is not decoded, so its bytes do not matter")
    func skippedColumnBytes() throws {
        #expect(try rows(Array("email,notes\na@example.org,".utf8) + [0xFF] + [0x0A]) == [email(2, "a@example.org")])
    }

    @Test("a quoted field that is never closed is refused on the line it opens")
    func unclosedQuote() throws {
        let expected = SignerFileError(
            line: 2,
            problem: "has a quoted field that is never closed; end it with a double quote, and write a quote inside a field as two (\"\")")
        #expect(try failure("name,country\n\"Kim,KR\n") == expected)
        #expect("\(expected)".hasPrefix("line 2 has a quoted field that is never closed"))
        #expect(try failure("name,country\nKim,KR\n\nLee,\"KR\nPark,KR\n").line == 4)
        // In a skipped column too: the rest of the file would be one field.
        #expect(try failure("email,notes\na@example.org,ok\nb@example.org,\"runaway\nc@example.org,x\n").line == 3)
        #expect(try failure("email\n\"").line == 2)
    }

    @Test("text after a closing quote is refused on its line")
    func textAfterQuote() throws {
        let expected = SignerFileError(
            line: 3,
            problem: "has text after a closing quote; quote the whole field, and write a quote inside it as two (\"\")")
        #expect(try failure("name,country\nKim,KR\n\"Kim\" Ji-hoon,KR\n") == expected)
        #expect(try failure("name,country\nKim,KR\n\"Kim\"\"\"x,KR\n") == expected)
        // After a quoted field over two lines, the line the text is on.
        #expect(try failure("name,country\n\"Kim\nJi-hoon\"x,KR\n").line == 3)
    }

    @Test("a field longer than 1,000 bytes is refused on its line at once, even a million characters long")
    func fieldTooLong() throws {
        let problem = "has a field longer than 1000 bytes, far more than an e-mail address or a name; "
            + "check that the file is a list of signers and that its quotes are closed"
        let huge = String(repeating: "x", count: 1_000_000)
        #expect(try failure("email\nok@example.org\n\(huge)@example.org\n") == SignerFileError(line: 3, problem: problem))
        #expect(try failure("email\nok@example.org\n\n\"\(huge)\"\n") == SignerFileError(line: 4, problem: problem))
        #expect(try failure("name,country\n\(String(repeating: "n", count: 1_001)),KR\n").line == 2)
        #expect(try failure("name,country\n\"\(String(repeating: "n", count: 1_001))\",KR\n").line == 2)
        // Four-byte characters count as their bytes: 251 of them are 1,004 bytes.
        #expect(try failure("name,country\n\(String(repeating: "𝄞", count: 251)),KR\n").line == 2)
        // A quote that runs away through the rest of a large file stops at the limit, on the line it opened.
        let runaway = "email\n\"a@example.org\n" + String(repeating: "b@example.org\n", count: 100_000)
        #expect(try failure(runaway) == SignerFileError(line: 2, problem: problem))
        // In the header too.
        #expect(try failure("email,\(huge)\n").line == 1)
    }

    @Test("rows before a bad record are read; the error then names its line, never a quiet end of the file")
    func errorAfterRows() throws {
        try withFile("email\na@example.org\nb@example.org\n\"c@example.org\" x\nd@example.org\n") { path throws in
            var seen: [SignerRow] = []
            let error = try #require(throws: SignerFileError.self) { try SignerFile(path: path).forEach { seen.append($0) } }
            #expect(error.line == 4)
            #expect(seen == [email(2, "a@example.org"), email(3, "b@example.org")])

            var reader = try SignerFile(path: path).makeReader()
            #expect(try reader.next() == email(2, "a@example.org"))
            #expect(try reader.next() == email(3, "b@example.org"))
            #expect(throws: SignerFileError.self) { try reader.next() }
            // And again: a reader that failed does not carry on as if the file had ended.
            let again = try #require(throws: SignerFileError.self) { try reader.next() }
            #expect(again.line == 4)
        }
    }
}
