import Crypto
import Foundation
import PostgresClient
import VigilDomain

extension VigilSession {
    /// The keyed reference of a signer: HMAC-SHA-256 of the normalised identity under the database's
    /// signer key, in hex. The same person gives the same reference, so a second signature is refused;
    /// without the key the reference names nobody. The key lives in `vigil.signer_key`, which only the
    /// writer role can read, never in the log.
    public func signerReference(_ identity: SignerIdentity) throws -> String {
        let rows = try connection.query("SELECT key FROM vigil.signer_key WHERE id = 1")
        guard let row = rows.first else {
            throw PostgresError(kind: .client, message: "the signer key is missing; run vigil db migrate")
        }
        let key = SymmetricKey(data: try row.bytes("key"))
        let code = HMAC<SHA256>.authenticationCode(for: Data(try identity.normalised().utf8), using: key)
        return Data(code).map { String(format: "%02x", $0) }.joined()
    }
}
