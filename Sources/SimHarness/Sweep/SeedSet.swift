/// The seeds of a sweep, written as a spec: comma-separated seeds and inclusive ranges
/// (`1..200`, `7`, `1..10,50..60`). Kept both as the spec (what the shards and the merge
/// compare) and as the sorted, distinct seeds it names.
public struct SeedSet: Sendable, Equatable, CustomStringConvertible {
    public let spec: String
    public let seeds: [UInt64]

    /// Seeds travel through JSON as numbers (doubles): larger ones would not come back exact.
    public static let largestSeed: UInt64 = 1 << 53
    /// A sweep beyond this many seeds is a typo, not a plan.
    public static let maxCount = 10_000_000

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ spec: String) throws(ParseError) {
        var seeds: [UInt64] = []
        let items = spec.split(separator: ",", omittingEmptySubsequences: false)
        for raw in items {
            let item = raw.trimmingSpaces
            if let dots = item.firstRange(of: "..") {
                guard let lo = UInt64(item[..<dots.lowerBound]), let hi = UInt64(item[dots.upperBound...]) else {
                    throw ParseError(description: "bad seed range '\(item)' (expected a..b, inclusive)")
                }
                guard lo <= hi else { throw ParseError(description: "empty seed range '\(item)'") }
                guard hi <= Self.largestSeed else { throw ParseError(description: "seed \(hi) is above 2^53") }
                guard hi - lo < UInt64(Self.maxCount) else { throw ParseError(description: "seed range '\(item)' is too long") }
                seeds.append(contentsOf: lo...hi)
            } else {
                guard let s = UInt64(item) else { throw ParseError(description: "bad seed '\(item)'") }
                guard s <= Self.largestSeed else { throw ParseError(description: "seed \(s) is above 2^53") }
                seeds.append(s)
            }
            guard seeds.count <= Self.maxCount else { throw ParseError(description: "more than \(Self.maxCount) seeds") }
        }
        self.spec = spec
        self.seeds = Array(Set(seeds)).sorted()
    }

    public var description: String { spec }

    /// A short rendering of sorted seeds with runs collapsed: `1..4,7,9..12`.
    public static func compact(_ seeds: [UInt64]) -> String {
        let sorted = Array(Set(seeds)).sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(j == i ? "\(sorted[i])" : j == i + 1 ? "\(sorted[i]),\(sorted[j])" : "\(sorted[i])..\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
