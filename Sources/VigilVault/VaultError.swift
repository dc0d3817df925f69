/// Why the vault could not do what was asked, in words that say what to do. Never a key, never a
/// person's data.
public enum VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No master key was given, and the command seals or opens a subject.
    case masterKeyMissing(doing: String)
    /// The key file could not be read or written (the file layer's words).
    case keyFile(String)
    /// Others than the key file's owner may read or write it.
    case keyFileTooOpen(path: String, mode: String)
    /// The key file does not hold a key.
    case keyFileMalformed(path: String, reason: String)
    /// `VIGIL_MASTER_KEY` is set but is not 32 bytes in base64.
    case environmentKeyMalformed
    /// The vault's rows were wrapped by other master keys than the one given.
    case wrongMasterKey(given: String, expected: [String])
    /// A row did not open under its key: it was changed, or swapped with another row.
    case damaged(what: String)

    public var description: String {
        switch self {
        case .masterKeyMissing(let doing):
            return "the master key is missing, and \(doing) needs it; set VIGIL_MASTER_KEY_FILE to the key file "
                + "(made once with vigil keys init) or VIGIL_MASTER_KEY to the key in base64"
        case .keyFile(let words):
            return words
        case .keyFileTooOpen(let path, let mode):
            return "the master key file \(path) has mode \(mode): others may read it; make it private (chmod 600 \(path))"
        case .keyFileMalformed(let path, let reason):
            return "the master key file \(path) is not valid: \(reason)"
        case .environmentKeyMalformed:
            return "VIGIL_MASTER_KEY is not a master key: it must be 32 bytes in base64, as vigil keys init writes on the key file's last line"
        case .wrongMasterKey(let given, let expected):
            return "the master key given (id \(given)) is not the one the vault was sealed with (id \(expected.joined(separator: ", "))); "
                + "point VIGIL_MASTER_KEY_FILE at that key, or finish a rotation with vigil keys rotate"
        case .damaged(let what):
            return "\(what) in the vault does not open under its key: it was altered or moved; restore the vault from a backup"
        }
    }
}
