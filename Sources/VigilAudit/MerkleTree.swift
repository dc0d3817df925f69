import Crypto

/// One stream's head at some position of the log: its id, its last version, and the hash that ends its
/// chain (recomputed from the events, never read from the database's own column).
public struct StreamHead: Sendable, Equatable {
    /// The stream's id.
    public var stream: String
    /// The stream's last version at that position (1 is the first event).
    public var version: Int64
    /// The 32-byte hash of that version's event.
    public var hash: [UInt8]

    /// A head.
    public init(stream: String, version: Int64, hash: [UInt8]) {
        self.stream = stream
        self.version = version
        self.hash = hash
    }
}

/// The Merkle tree that reduces every stream's head to one root, as RFC 6962 (Certificate
/// Transparency, section 2.1) defines its tree hash:
///
/// - leaf  = SHA-256(0x00 ‖ stream id as UTF-8 ‖ 0x00 ‖ version as 8 bytes big-endian ‖ head hash)
///   (a stream id is PostgreSQL text, which cannot hold a 0x00 byte, so the separator is unambiguous);
/// - node  = SHA-256(0x01 ‖ left ‖ right);
/// - the leaves are sorted by the bytes of the stream id's UTF-8 (not by any collation);
/// - the root of no leaves is SHA-256 of nothing (e3b0c442…b855), of one leaf that leaf's hash, and of
///   n > 1 leaves node(root of the first k, root of the other n − k), k the largest power of two below n.
///   So a tree of 3 leaves is node(node(l0, l1), l2); of 5, node(node(node(l0, l1), node(l2, l3)), l4).
///
/// The 0x00 and 0x01 prefixes keep a leaf from ever passing for a node (the second-preimage attack
/// RFC 6962 guards against).
public enum MerkleTree {
    /// The leaf hash of one stream head.
    public static func leafHash(_ head: StreamHead) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(head.stream.utf8))
        hasher.update(data: [0x00])
        withUnsafeBytes(of: UInt64(bitPattern: head.version).bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(data: head.hash)
        return Array(hasher.finalize())
    }

    /// The hash of an inner node.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// The root over `heads`, in any order: they are sorted by stream id first.
    public static func root(of heads: [StreamHead]) -> [UInt8] {
        let sorted = heads.sorted { $0.stream.utf8.lexicographicallyPrecedes($1.stream.utf8) }
        return root(leaves: sorted.map(leafHash))
    }

    /// The RFC 6962 tree hash of leaf hashes already in order.
    public static func root(leaves: [[UInt8]]) -> [UInt8] {
        guard !leaves.isEmpty else { return Array(SHA256.hash(data: [UInt8]())) }
        return subtree(leaves[...])
    }

    private static func subtree(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.count == 1, let only = leaves.first { return only }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        let split = leaves.startIndex + k
        return nodeHash(subtree(leaves[..<split]), subtree(leaves[split...]))
    }
}
