// SHA-256 through OpenSSL's libcrypto (EVP), for manifests, shards and checkpoints:
// a well-kept implementation rather than hand-written rounds.
import CCrypto
import Foundation

/// Incremental SHA-256, so files can be hashed block by block in constant memory.
public final class SHA256Digest {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    /// The 32-byte digest; the object is spent afterwards.
    public func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest
    }

    /// The digest of `data` in one call.
    public static func of(_ data: Data) -> [UInt8] {
        let digest = SHA256Digest()
        digest.update(data)
        return digest.finish()
    }

    /// Lower-case hexadecimal, as sha256sum prints it.
    public static func hex(_ digest: [UInt8]) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
