// SHA-256 through OpenSSL's EVP digest API: manifests carry one per audio file and shards
// one per payload. Incremental, so files are hashed in blocks in constant memory.
import CCrypto
import Foundation

/// An incremental SHA-256 (OpenSSL libcrypto).
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
    }

    public func update<T>(_ values: UnsafeBufferPointer<T>) {
        update(UnsafeRawBufferPointer(values))
    }

    /// The 32-byte digest; the hasher is spent afterwards.
    public func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest
    }

    public static func hex(_ digest: [UInt8]) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    public static func digest(_ data: Data) -> [UInt8] {
        let hasher = SHA256()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.finish()
    }

    public static func digest(_ data: [UInt8]) -> [UInt8] {
        let hasher = SHA256()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.finish()
    }

    /// Hex SHA-256 of a file's bytes, read in 1 MiB blocks.
    public static func hexDigest(ofFile url: URL) throws -> String {
        guard let handle = fopen(url.path, "rb") else {
            throw FileError.missing(path: url.path)
        }
        defer { fclose(handle) }
        let hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
        }
        if ferror(handle) != 0 { throw FileError.readFailed(path: url.path, reason: String(cString: strerror(errno))) }
        return hex(hasher.finish())
    }
}
