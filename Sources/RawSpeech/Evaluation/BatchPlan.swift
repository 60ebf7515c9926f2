// Which recordings a recurrent model runs side by side when `score` is given many: groups of
// similar length, so that a folder is never slower to score than its files one at a time.
// SequenceScorer runs a group for as many steps as its longest recording, the others padded;
// a batch of B rows costs far less than B single rows only for B of 4 or more (measured with
// `rawspeech bench score --seconds 20 --recordings B`, OPENBLAS_NUM_THREADS=1, 2-vCPU EPYC:
// per-row cost against B = 1 was 1.00 at B = 2, 0.73 at 4, 0.48 at 8, 0.41 at 16). So a
// group holds recordings at least `minimumShare` of its longest (padding at most 25%: at
// B >= 4 the padded batch still costs at most 1.25 x 0.73 = 0.92 of the rows alone), and a
// group that would have fewer than `minimumBatch` rows runs them one by one (B = 1, no
// padding). 15 files of 0.5 to 20 s in one batch of 15 padded 154 s of audio to 300 s
// (issue 10). Plans only; runs nothing.

/// Groups of recording indices to run together.
enum BatchPlan {
    /// The shortest recording a group takes, as a share of the group's longest.
    static let minimumShare = 0.8
    /// Fewer rows than this gain nothing from batching (see the header); they run alone.
    static let minimumBatch = 4

    /// Indices of `lengths` in groups of at most `batch`, longest first; every index once.
    static func groups(lengths: [Int], batch: Int) -> [[Int]] {
        let order = lengths.indices.sorted { lengths[$0] > lengths[$1] }
        var groups: [[Int]] = []
        var start = 0
        while start < order.count {
            let longest = Double(lengths[order[start]])
            var end = start + 1
            while end < order.count, end - start < batch, Double(lengths[order[end]]) >= minimumShare * longest { end += 1 }
            let group = Array(order[start ..< end])
            if group.count >= minimumBatch || batch < minimumBatch {
                groups.append(group)
            } else {
                groups += group.map { [$0] }
            }
            start = end
        }
        return groups
    }
}
