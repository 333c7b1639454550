/// A profile with threshold overrides, written as one word so it travels wherever a profile
/// name does (`run --profile`, sweep workers, trace headers): the base profile, then
/// `:key=value` for each threshold that differs, keys being `ThresholdKey` names
/// (`fixed:online-window=30s:offline-after=5m:reclaim-after=60s` is today's thresholds on the
/// fixed system). The profile's name is the spec itself, so a run reproduces from it.
extension Profile {
    public struct SpecError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(spec: String) throws(SpecError) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        let baseName = String(parts[0])
        guard let base = Profile.named(baseName) else {
            throw SpecError(description: "no profile named \(baseName) (known: fixed, legacy, fixed+<defect>, fixed-<improvement>)")
        }
        var t = Thresholds(profile: base)
        var seen: Set<ThresholdKey> = []
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "="), let key = ThresholdKey.named(String(part[..<eq])) else {
                throw SpecError(
                    description: "bad override '\(part)' in profile \(spec) (expected key=value, keys: \(ThresholdKey.allCases.map(\.name).joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw SpecError(description: "\(key.name) is given twice in profile \(spec)") }
            do {
                try t.set(key, text: String(part[part.index(after: eq)...]))
            } catch {
                throw SpecError(description: "profile \(spec): \(key.name): \(error.description)")
            }
        }
        self = t.applied(to: base)
        self.name = spec
    }
}

extension Thresholds {
    /// The profile spec that runs these thresholds on `base`: only the keys whose value differs
    /// from the base's, in key order (`fixed` itself when none does).
    public func spec(base: Profile = .fixed) -> String {
        let b = Thresholds(profile: base)
        var s = base.name
        for k in ThresholdKey.allCases where value(k) != b.value(k) { s += ":\(k.name)=\(text(k))" }
        return s
    }
}
