import Crypto
import Foundation
import Testing
import VigilAudit

func sha256(_ parts: [UInt8]...) -> [UInt8] {
    var hasher = SHA256()
    for part in parts { hasher.update(data: part) }
    return Array(hasher.finalize())
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// The leaf and node of RFC 6962 written out again, byte by byte, to check the tree against.
func leaf(_ stream: String, _ version: UInt64, _ hash: [UInt8]) -> [UInt8] {
    let big: [UInt8] = (0..<8).reversed().map { UInt8(truncatingIfNeeded: version >> (8 * UInt64($0))) }
    return sha256([0x00], Array(stream.utf8), [0x00], big, hash)
}

func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { sha256([0x01], left, right) }

/// Five heads with distinct hashes, already in stream-id order.
let heads: [StreamHead] = (0..<5).map { i in
    StreamHead(stream: "stream-\(i)", version: Int64(i + 1), hash: sha256(Array("head \(i)".utf8)))
}
let leaves = heads.map { leaf($0.stream, UInt64($0.version), $0.hash) }

@Suite("Merkle tree of stream heads (RFC 6962)")
struct MerkleTreeTests {
    @Test("a leaf is SHA-256(0 ‖ stream ‖ 0 ‖ version big-endian ‖ head), as computed elsewhere")
    func leafKnownAnswer() {
        // Computed with Python's hashlib: sha256(b'\0' + b'mission-a' + b'\0' + pack('>Q', 3) + bytes(range(32)))
        let head = StreamHead(stream: "mission-a", version: 3, hash: Array(0..<32))
        #expect(hex(MerkleTree.leafHash(head)) == "dc51462a1fc5e9453b458b7e4fa94cdc14b937ec03d8d1130b53c5281235a33c")
        #expect(MerkleTree.leafHash(head) == leaf("mission-a", 3, Array(0..<32)))
    }

    @Test("no leaves: SHA-256 of nothing")
    func empty() {
        #expect(hex(MerkleTree.root(of: [])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("one leaf: the leaf itself")
    func one() {
        #expect(MerkleTree.root(of: Array(heads[0..<1])) == leaves[0])
    }

    @Test("two leaves: node(l0, l1)")
    func two() {
        #expect(MerkleTree.root(of: Array(heads[0..<2])) == node(leaves[0], leaves[1]))
    }

    @Test("three leaves: node(node(l0, l1), l2)")
    func three() {
        #expect(MerkleTree.root(of: Array(heads[0..<3])) == node(node(leaves[0], leaves[1]), leaves[2]))
    }

    @Test("five leaves: node(node(node(l0, l1), node(l2, l3)), l4)")
    func five() {
        let expected = node(node(node(leaves[0], leaves[1]), node(leaves[2], leaves[3])), leaves[4])
        #expect(MerkleTree.root(of: heads) == expected)
        #expect(MerkleTree.root(leaves: leaves) == expected)
    }

    @Test("heads are sorted by the bytes of their stream ids, whatever order they come in")
    func sorted() {
        let mixed = [
            StreamHead(stream: "é", version: 1, hash: sha256([1])),
            StreamHead(stream: "a", version: 1, hash: sha256([2])),
            StreamHead(stream: "B", version: 2, hash: sha256([3])),
        ]
        // "B" (0x42) < "a" (0x61) < "é" (0xc3 0xa9): byte order, not a collation.
        let expected = node(
            node(leaf("B", 2, sha256([3])), leaf("a", 1, sha256([2]))), leaf("é", 1, sha256([1])))
        #expect(MerkleTree.root(of: mixed) == expected)
        #expect(MerkleTree.root(of: mixed.reversed()) == expected)
    }

    @Test("a different version or head hash gives a different root")
    func sensitive() {
        var changed = heads
        changed[2].version += 1
        #expect(MerkleTree.root(of: changed) != MerkleTree.root(of: heads))
        changed = heads
        changed[4].hash[0] ^= 1
        #expect(MerkleTree.root(of: changed) != MerkleTree.root(of: heads))
    }
}
