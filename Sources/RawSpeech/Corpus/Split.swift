// The names of the three splits a manifest assigns and a data folder keeps apart.

/// The three splits every tool agrees on.
public enum Split: String, Codable, CaseIterable, Sendable, Comparable {
    case train, valid, test

    public static func < (a: Split, b: Split) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
