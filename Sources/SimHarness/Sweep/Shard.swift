/// One of `count` slices of a sweep, so a CI matrix can spread the seeds over machines.
///
/// Seeds are dealt round-robin by their position in the sorted seed list (`position % count ==
/// index`), so every shard gets a similar mix of seeds and every seed falls in exactly one
/// shard. Indices are 0-based, like Kubernetes' `JOB_COMPLETION_INDEX`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init(index: Int, count: Int) throws(ParseError) {
        guard count >= 1 else { throw ParseError(description: "shard count must be at least 1, not \(count)") }
        guard index >= 0 && index < count else {
            throw ParseError(description: "shard index \(index) is not in 0..<\(count) (indices are 0-based)")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    /// Parses `i/n`.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ParseError(description: "bad shard '\(text)' (expected i/n, 0-based, e.g. 0/4)")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public func contains(position: Int) -> Bool { position % count == index }

    /// The seeds of this shard, in order.
    public func select(_ seeds: [UInt64]) -> [UInt64] {
        seeds.enumerated().filter { contains(position: $0.offset) }.map(\.element)
    }

    /// The environment variables a Kubernetes Indexed Job (or any CI) can set instead of `--shard`.
    public static let indexVariable = "JOB_COMPLETION_INDEX"
    public static let countVariable = "SHARD_COUNT"

    /// The shard to run: `--shard` if given; otherwise `JOB_COMPLETION_INDEX` with the count from
    /// `--shard-count` or `SHARD_COUNT`; otherwise the whole sweep. An index without a count is
    /// an error rather than a silent full sweep on every pod.
    public static func resolve(flag: String?, countFlag: Int?, environment: [String: String]) throws(ParseError) -> Shard {
        if let flag {
            return try Shard(parsing: flag)
        }
        guard let rawIndex = environment[indexVariable], !rawIndex.isEmpty else { return .whole }
        guard let index = Int(rawIndex) else { throw ParseError(description: "\(indexVariable)=\(rawIndex) is not a number") }
        let count: Int
        if let countFlag {
            count = countFlag
        } else if let raw = environment[countVariable], let n = Int(raw) {
            count = n
        } else {
            throw ParseError(description: "\(indexVariable) is set but neither --shard-count nor \(countVariable) is")
        }
        return try Shard(index: index, count: count)
    }
}
