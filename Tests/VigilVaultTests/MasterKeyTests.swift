import Crypto
import Foundation
import PostgresClient
import Testing
@testable import VigilVault

/// The vault's keys without a database: sealing binds a value to its row, key files are private, and no
/// key is ever printed.
@Suite("Master keys and sealing")
struct MasterKeyTests {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-keys-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a value sealed for one subject opens for it alone, under its own data key only")
    func sealingBindsTheOwner() throws {
        let master = MasterKey()
        let sealer = SubjectSealer(master: master)
        let subject = sealer.sealed(Array("{\"email\":\"a@example.org\"}".utf8), binding: "organiser")
        let owner = subject.id.uuidString.lowercased()
        let dataKey = try master.unwrap(subject.wrappedKey, .dataKey, owner: owner)
        #expect(try Sealing.open(subject.sealed, key: dataKey, .fields, owner: owner + "\u{0}organiser", what: "x") == Array("{\"email\":\"a@example.org\"}".utf8))
        // Read as another kind (a restricted name re-filed as an organiser's note), it does not open.
        #expect(throws: VaultError.self) { try Sealing.open(subject.sealed, key: dataKey, .fields, owner: owner + "\u{0}restricted", what: "x") }
        // Moved to another row, read as another purpose, under another master key, or altered: it does not open.
        #expect(throws: VaultError.self) { try master.unwrap(subject.wrappedKey, .dataKey, owner: UUID().uuidString.lowercased()) }
        #expect(throws: VaultError.self) { try master.unwrap(subject.wrappedKey, .petitionKey, owner: owner) }
        #expect(throws: VaultError.self) { try MasterKey().unwrap(subject.wrappedKey, .dataKey, owner: owner) }
        var altered = subject.sealed
        altered[altered.count / 2] ^= 1
        #expect(throws: VaultError.self) { try Sealing.open(altered, key: dataKey, .fields, owner: owner + "\u{0}organiser", what: "x") }
        // Two subjects never share a data key or a nonce: the same fields seal differently.
        let twin = sealer.sealed(Array("{\"email\":\"a@example.org\"}".utf8), binding: "organiser")
        #expect(twin.sealed != subject.sealed && twin.wrappedKey != subject.wrappedKey)
        #expect(!String(decoding: subject.sealed, as: UTF8.self).contains("example.org"))
    }

    @Test("blind indexes: the same identity the same under one petition's key, unrelated under another's")
    func blindIndexes() {
        let one = BlindIndexer(key: SymmetricKey(size: .bits256)).makeHasher()
        let two = BlindIndexer(key: SymmetricKey(size: .bits256)).makeHasher()
        #expect(one.index("email:a@example.org") == one.index("email:a@example.org"))
        #expect(one.index("email:a@example.org") != one.index("email:b@example.org"))
        #expect(one.index("email:a@example.org") != two.index("email:a@example.org"))
        #expect(one.index("email:a@example.org").count == 32)
    }

    @Test("a key file is made 0600, never overwritten, loads back, and is refused when others may read it")
    func keyFiles() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("master.key").path
        let made = try MasterKey.generate(to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try MasterKey.load(from: path).id == made.id)
        #expect(throws: VaultError.self) { try MasterKey.generate(to: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let open = try #require(throws: VaultError.self) { try MasterKey.load(from: path) }
        #expect("\(open)".contains("chmod 600"))
        let missing = try #require(throws: VaultError.self) { try MasterKey.load(from: dir.appendingPathComponent("none").path) }
        #expect("\(missing)".contains("does not exist"))
        let junk = dir.appendingPathComponent("junk.key").path
        FileManager.default.createFile(atPath: junk, contents: Data("not a key\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: VaultError.self) { try MasterKey.load(from: junk) }
    }

    @Test("the environment: a key in base64, or a file; a malformed one is an error that does not quote it; none is nil")
    func environment() throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        #expect(try MasterKey.fromEnvironment(["VIGIL_MASTER_KEY": key])?.id == MasterKey.decode(key)?.id)
        #expect(try MasterKey.fromEnvironment([:]) == nil)
        let bad = try #require(throws: VaultError.self) { try MasterKey.fromEnvironment(["VIGIL_MASTER_KEY": "c2VjcmV0"]) }
        #expect(!"\(bad)".contains("c2VjcmV0"))
        let missing = VaultError.masterKeyMissing(doing: "signing a petition")
        #expect("\(missing)".contains("VIGIL_MASTER_KEY_FILE") && "\(missing)".contains("vigil keys init"))
    }

    @Test("printing a key shows its id only")
    func neverPrinted() throws {
        let key = try #require(MasterKey.decode(Data(repeating: 0xAB, count: 32).base64EncodedString()))
        let secret = Data(repeating: 0xAB, count: 32).base64EncodedString()
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped] {
            #expect(!text.contains(secret) && !text.contains("abababab") && text.contains(key.id))
        }
    }

    @Test("a record seals as the JSON the encoder writes, byte for byte, plain ASCII or not")
    func recordJSON() throws {
        let records = [
            SignerRecord(email: "a@example.org", country: "KR"), SignerRecord(email: "a/b@example.org"), SignerRecord(name: "Kim Ji-hoon", country: "kr"),
            SignerRecord(name: "O'Brien, \"Pat\"", country: "IE"), SignerRecord(name: "Back\\slash"), SignerRecord(name: "김지훈", country: "KR"),
            SignerRecord(name: "tab\there"), SignerRecord(name: " padded "), SignerRecord(email: "x@example.org", name: "Both", country: "US"),
            SignerRecord(email: "del\u{7F}@example.org"), SignerRecord(),
        ]
        for record in records {
            #expect(record.sealedJSON() == Array(try JSONEncoder.sorted.encode(record)), "\(record)")
            #expect(try JSONDecoder().decode(SignerRecord.self, from: Data(record.sealedJSON())) == record)
        }
    }

    @Test("subjects sealed from random bytes drawn in bulk: distinct time-ordered (version 7) ids, keys and nonces; each opens for its owner")
    func bulkRandom() throws {
        let master = MasterKey()
        let sealer = SubjectSealer(master: master)
        var random = RandomBytes(chunk: 100)  // runs out and draws again within a few subjects
        var seen = Set<[UInt8]>()
        var last = ""
        for _ in 0..<20 {
            let subject = sealer.sealed(Array("{}".utf8), binding: "organiser", random: &random)
            #expect(subject.id.uuidString.lowercased().dropFirst(14).first == "7")
            #expect("89ab".contains(subject.id.uuidString.lowercased().dropFirst(19).first ?? "x"))
            // One generator's ids only grow: an index on them takes each at its right-hand end.
            #expect(subject.id.uuidString.lowercased() > last)
            last = subject.id.uuidString.lowercased()
            let owner = subject.id.uuidString.lowercased()
            let dataKey = try master.unwrap(subject.wrappedKey, .dataKey, owner: owner)
            #expect(try Sealing.open(subject.sealed, key: dataKey, .fields, owner: owner + "\u{0}organiser", what: "x") == Array("{}".utf8))
            for bytes in [Array(subject.wrappedKey.prefix(12)), Array(subject.sealed.prefix(12)), dataKey.withUnsafeBytes { Array($0) }] {
                #expect(seen.insert(bytes).inserted)
            }
        }
    }

    @Test("an import's signers, sealed in bulk with reused buffers, open exactly as one signer sealed alone does")
    func batchSealing() throws {
        let master = MasterKey()
        let indexer = BlindIndexer(key: SymmetricKey(size: .bits256))
        var batch = SealedSigners()
        var sealer = SignerBatchSealer(sealer: SubjectSealer(master: master), petitionId: "pet-1", indexer: indexer, batch: SignerBatchSealer.ids())
        let records = [
            (SignerRecord(email: "a@example.org", country: "KR"), true), (SignerRecord(name: "O'Brien, \"Pat\"", country: "IE"), false),
            (SignerRecord(name: "김지훈"), true),
        ]
        var texts: [String] = []
        for (position, (record, consent)) in records.enumerated() {
            let normalised = record.email ?? record.name!
            let index = sealer.index(normalised)
            #expect(index.bytes == indexer.makeHasher().index(normalised))
            texts.append("\\x" + index.bytes.map { String(format: "%02x", $0) }.joined())
            sealer.append(to: &batch, position: position, blindIndex: index, record: record, consent: consent, country: record.country)
        }
        #expect(batch.count == 3 && batch.byCountry == ["KR": 1, "IE": 1, "ZZ": 1])
        // Every blind index, as bytea text, for the look before the COPY.
        #expect(batch.blindIndexes == texts)
        // The rows as COPY's binary format has them: a field count, then each field's length and bytes.
        func rows(_ copy: BinaryCopyRows) -> [[[UInt8]]] {
            var bytes = copy.bytes[...]
            func take(_ n: Int) -> [UInt8] { defer { bytes = bytes.dropFirst(n) }; return Array(bytes.prefix(n)) }
            func int(_ n: Int) -> Int { take(n).reduce(0) { $0 << 8 | Int($1) } }
            var out: [[[UInt8]]] = []
            while !bytes.isEmpty { out.append((0..<int(2)).map { _ in take(int(4)) }) }
            return out
        }
        let signatures = rows(batch.signatures)
        let subjects = rows(batch.subjects)
        #expect(signatures.count == 3 && subjects.count == 3)
        for (i, (record, consent)) in records.enumerated() {
            let id = batch.ids[i]
            let owner = id.uuidString.lowercased()
            #expect(owner.dropFirst(14).first == "7")
            #expect(signatures[i][0] == Array("pet-1".utf8) && signatures[i][2] == withUnsafeBytes(of: id.uuid) { Array($0) })
            #expect(signatures[i][3] == [consent ? 1 : 0] && subjects[i][0] == signatures[i][2])
            #expect(subjects[i][1] == Array("signer".utf8) && subjects[i][2] == Array(master.id.utf8))
            let dataKey = try master.unwrap(subjects[i][3], .dataKey, owner: owner)
            let binding = SubjectSealer.signerBinding("pet-1", signatures[i][1], consent)
            let opened = try Sealing.open(subjects[i][4], key: dataKey, .fields, owner: owner + "\u{0}" + binding, what: "x")
            #expect(try JSONDecoder().decode(SignerRecord.self, from: Data(opened)) == record)
            // Bound to its consent: read as the other answer, it does not open.
            let other = SubjectSealer.signerBinding("pet-1", signatures[i][1], !consent)
            #expect(throws: VaultError.self) { try Sealing.open(subjects[i][4], key: dataKey, .fields, owner: owner + "\u{0}" + other, what: "x") }
        }
        // Ids in the order of the positions: the index on subject ids takes a batch at its right-hand end.
        #expect(batch.ids.map { $0.uuidString.lowercased() } == batch.ids.map { $0.uuidString.lowercased() }.sorted())
        // Blind indexes order as their bytes do (as PostgreSQL orders a bytea).
        let indexes = (0..<200).map { sealer.index("person\($0)@example.org") }
        #expect(indexes.sorted().map(\.bytes) == indexes.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test("random bytes as a generator: draws that differ, every bit set and clear somewhere, and a shuffle that is a permutation")
    func randomGenerator() {
        var random = RandomBytes(chunk: 64)
        let draws = (0..<4_096).map { _ in random.next() }
        #expect(Set(draws).count == draws.count)
        #expect(draws.reduce(0, |) == UInt64.max && draws.reduce(UInt64.max, &) == 0)
        let order = Array(0..<1_000)
        let shuffled = order.shuffled(using: &random)
        #expect(shuffled != order && shuffled.sorted() == order)
    }
}
