/// The tunable thresholds of a deployment, as an operator sets them: one value per key, each
/// key named after the environment variable the production sentinel reads
/// (`ThresholdsFile` parses them). A `Profile` holds the same values (plus the defect switches);
/// `Thresholds(profile:)` reads them out and `applied(to:)` writes them back.
///
/// Two of today's defects are threshold choices and nothing else, so they are expressed here as
/// values rather than switches: an online window other than the offline marking's age is
/// `mismatched-online-thresholds`, and a sentinel reclaim (`SENTINEL_RECLAIM_AFTER` not `off`)
/// is `competing-reclaim`. A file with today's values therefore runs today's behaviour.
public struct Thresholds: Sendable, Equatable, Hashable {
    /// How often a node heartbeats.
    public var heartbeatInterval: Interval
    /// The scheduler assigns only to nodes seen within this window.
    public var onlineWindow: Interval
    /// `mark_nodes_offline` marks nodes unseen for this long offline.
    public var offlineAfter: Interval
    /// How often `mark_nodes_offline` runs.
    public var offlineMarkingPeriod: Interval
    /// A running chunk whose claim is older than this is reaped back to pending.
    public var claimTimeout: Interval
    /// How often `reap_stale_chunks` runs.
    public var reaperPeriod: Interval
    /// Today's second reclaimer: the sentinel takes back chunks of nodes silent this long, on
    /// every fallback wake. Nil: off (the fixed system has one reaper).
    public var sentinelReclaimAfter: Interval?
    /// The sentinel's LISTEN timeout: a pass runs at least this often.
    public var fallbackPeriod: Interval
    /// Wait after a notification before the pass.
    public var debounce: Interval
    /// Pending chunks read per pass.
    public var assignmentBatch: Int

    public init(
        heartbeatInterval: Interval, onlineWindow: Interval, offlineAfter: Interval, offlineMarkingPeriod: Interval,
        claimTimeout: Interval, reaperPeriod: Interval, sentinelReclaimAfter: Interval?, fallbackPeriod: Interval,
        debounce: Interval, assignmentBatch: Int
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.onlineWindow = onlineWindow
        self.offlineAfter = offlineAfter
        self.offlineMarkingPeriod = offlineMarkingPeriod
        self.claimTimeout = claimTimeout
        self.reaperPeriod = reaperPeriod
        self.sentinelReclaimAfter = sentinelReclaimAfter
        self.fallbackPeriod = fallbackPeriod
        self.debounce = debounce
        self.assignmentBatch = assignmentBatch
    }

    /// The thresholds a profile runs with (the effective windows, defects included).
    public init(profile p: Profile) {
        self.init(
            heartbeatInterval: p.heartbeatInterval, onlineWindow: p.sentinelOnlineWindow, offlineAfter: p.offlineMarkingAge,
            offlineMarkingPeriod: p.offlineMarkingPeriod, claimTimeout: p.claimTimeout, reaperPeriod: p.reaperPeriod,
            sentinelReclaimAfter: p.has(.competingReclaim) ? p.legacyReclaimSilence : nil, fallbackPeriod: p.fallbackPeriod,
            debounce: p.debounce, assignmentBatch: p.assignmentBatch)
    }

    /// The fixed system's values.
    public static let fixed = Thresholds(profile: .fixed)

    /// Today's production values (the seeds and `today.md`): a 15 s heartbeat, the sentinel's
    /// 30 s online window against the 5-minute offline marking (every minute), the 5-minute
    /// reaper (every minute) beside the sentinel's 60 s reclaim, the 30 s LISTEN fallback, the
    /// 50 ms debounce and batches of 100.
    public static let today = Thresholds(profile: .legacy)

    /// `profile` running with these thresholds: the values set, and the two threshold-made
    /// defects switched on exactly when the values make them.
    public func applied(to profile: Profile) -> Profile {
        var p = profile
        p.heartbeatInterval = heartbeatInterval
        p.onlineWindow = onlineWindow
        p.legacySentinelOnlineWindow = onlineWindow
        p.legacyOfflineMarkingAge = offlineAfter
        if onlineWindow == offlineAfter {
            p.defects.remove(.mismatchedOnlineThresholds)
        } else {
            p.defects.insert(.mismatchedOnlineThresholds)
        }
        p.offlineMarkingPeriod = offlineMarkingPeriod
        p.claimTimeout = claimTimeout
        p.reaperPeriod = reaperPeriod
        if let r = sentinelReclaimAfter {
            p.legacyReclaimSilence = r
            p.defects.insert(.competingReclaim)
        } else {
            p.defects.remove(.competingReclaim)
        }
        p.fallbackPeriod = fallbackPeriod
        p.debounce = debounce
        p.assignmentBatch = assignmentBatch
        return p
    }

    /// The value of one key, as its file text.
    public func text(_ key: ThresholdKey) -> String {
        switch key {
        case .heartbeatInterval: return DurationText.format(heartbeatInterval)
        case .onlineWindow: return DurationText.format(onlineWindow)
        case .offlineAfter: return DurationText.format(offlineAfter)
        case .offlineMarkingPeriod: return DurationText.format(offlineMarkingPeriod)
        case .claimTimeout: return DurationText.format(claimTimeout)
        case .reaperPeriod: return DurationText.format(reaperPeriod)
        case .sentinelReclaimAfter: return sentinelReclaimAfter.map(DurationText.format) ?? "off"
        case .fallbackPeriod: return DurationText.format(fallbackPeriod)
        case .debounce: return DurationText.format(debounce)
        case .assignmentBatch: return String(assignmentBatch)
        }
    }

    /// Sets one key from its file text (the parser's checks apply).
    public mutating func set(_ key: ThresholdKey, text: String) throws(ThresholdValueError) {
        let v = try key.parse(text)
        set(key, v)
    }

    public mutating func set(_ key: ThresholdKey, _ v: ThresholdValue) {
        switch (key, v) {
        case (.heartbeatInterval, .duration(let d)): heartbeatInterval = d
        case (.onlineWindow, .duration(let d)): onlineWindow = d
        case (.offlineAfter, .duration(let d)): offlineAfter = d
        case (.offlineMarkingPeriod, .duration(let d)): offlineMarkingPeriod = d
        case (.claimTimeout, .duration(let d)): claimTimeout = d
        case (.reaperPeriod, .duration(let d)): reaperPeriod = d
        case (.sentinelReclaimAfter, .duration(let d)): sentinelReclaimAfter = d
        case (.sentinelReclaimAfter, .off): sentinelReclaimAfter = nil
        case (.fallbackPeriod, .duration(let d)): fallbackPeriod = d
        case (.debounce, .duration(let d)): debounce = d
        case (.assignmentBatch, .count(let n)): assignmentBatch = n
        default: preconditionFailure("value \(v) does not fit \(key)")  // parse() never produces this
        }
    }

    /// The value of one key.
    public func value(_ key: ThresholdKey) -> ThresholdValue {
        switch key {
        case .heartbeatInterval: return .duration(heartbeatInterval)
        case .onlineWindow: return .duration(onlineWindow)
        case .offlineAfter: return .duration(offlineAfter)
        case .offlineMarkingPeriod: return .duration(offlineMarkingPeriod)
        case .claimTimeout: return .duration(claimTimeout)
        case .reaperPeriod: return .duration(reaperPeriod)
        case .sentinelReclaimAfter: return sentinelReclaimAfter.map(ThresholdValue.duration) ?? .off
        case .fallbackPeriod: return .duration(fallbackPeriod)
        case .debounce: return .duration(debounce)
        case .assignmentBatch: return .count(assignmentBatch)
        }
    }

    /// The file an operator deploys: every key, in table order, with its meaning as a comment.
    public var envText: String {
        var out = ""
        for k in ThresholdKey.allCases {
            out += "# \(k.summary)\n\(k.variable)=\(text(k))\n"
        }
        return out
    }
}

/// One value of a threshold key.
public enum ThresholdValue: Sendable, Equatable, Hashable {
    case duration(Interval)
    case count(Int)
    /// Only `SENTINEL_RECLAIM_AFTER`: no sentinel reclaim.
    case off
}

/// Why a value does not fit its key.
public struct ThresholdValueError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The keys of a thresholds file: the environment variable, the short name the tuning grid and
/// profile specs use, the kind of value and its bounds.
public enum ThresholdKey: String, Sendable, CaseIterable, Comparable {
    case heartbeatInterval = "heartbeat"
    case onlineWindow = "online-window"
    case offlineAfter = "offline-after"
    case offlineMarkingPeriod = "offline-period"
    case claimTimeout = "claim-timeout"
    case reaperPeriod = "reaper-period"
    case sentinelReclaimAfter = "reclaim-after"
    case fallbackPeriod = "fallback"
    case debounce = "debounce"
    case assignmentBatch = "batch"

    public static func < (a: ThresholdKey, b: ThresholdKey) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The short name (`--heartbeat`, `fixed:heartbeat=10s`).
    public var name: String { rawValue }

    /// The environment variable (and file key).
    public var variable: String {
        switch self {
        case .heartbeatInterval: return "NODE_HEARTBEAT_INTERVAL"
        case .onlineWindow: return "SENTINEL_ONLINE_WINDOW"
        case .offlineAfter: return "NODE_OFFLINE_AFTER"
        case .offlineMarkingPeriod: return "NODE_OFFLINE_MARKING_PERIOD"
        case .claimTimeout: return "CHUNK_CLAIM_TIMEOUT"
        case .reaperPeriod: return "CHUNK_REAPER_PERIOD"
        case .sentinelReclaimAfter: return "SENTINEL_RECLAIM_AFTER"
        case .fallbackPeriod: return "SENTINEL_FALLBACK_PERIOD"
        case .debounce: return "SENTINEL_DEBOUNCE"
        case .assignmentBatch: return "SENTINEL_BATCH_SIZE"
        }
    }

    public var summary: String {
        switch self {
        case .heartbeatInterval: return "How often each node heartbeats."
        case .onlineWindow: return "The scheduler assigns only to nodes seen within this window."
        case .offlineAfter: return "mark_nodes_offline marks nodes unseen for this long offline."
        case .offlineMarkingPeriod: return "How often mark_nodes_offline runs."
        case .claimTimeout: return "A running chunk claimed longer ago than this is reaped back to pending."
        case .reaperPeriod: return "How often reap_stale_chunks runs."
        case .sentinelReclaimAfter: return "The sentinel also reclaims chunks of nodes silent this long (off: one reaper only)."
        case .fallbackPeriod: return "The sentinel's LISTEN timeout: a pass runs at least this often."
        case .debounce: return "Wait after a pending_chunk notification before the pass."
        case .assignmentBatch: return "Pending chunks read per pass."
        }
    }

    public static func named(_ name: String) -> ThresholdKey? { ThresholdKey(rawValue: name) }
    public static func variable(_ v: String) -> ThresholdKey? { allCases.first { $0.variable == v } }

    /// Bounds every value must keep: beyond them a value is a typo, not a choice.
    public static let longestDuration = Interval.days(1)
    public static let largestBatch = 100_000

    /// Parses a value for this key: a duration (`30s`, `5m`, `1m30s`, `50ms`), a count for the
    /// batch size, or `off` for the sentinel reclaim.
    public func parse(_ text: String) throws(ThresholdValueError) -> ThresholdValue {
        switch self {
        case .assignmentBatch:
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.utf8.count <= 9, let n = Int(text) else {
                throw ThresholdValueError("'\(text)' is not a whole number")
            }
            guard n >= 1 && n <= Self.largestBatch else {
                throw ThresholdValueError("\(n) is outside 1...\(Self.largestBatch)")
            }
            return .count(n)
        case .sentinelReclaimAfter where text == "off":
            return .off
        default:
            let d = try DurationText.parse(text)
            guard d.micros > 0 || self == .debounce else { throw ThresholdValueError("must be longer than zero") }
            guard d <= Self.longestDuration else { throw ThresholdValueError("\(text) is longer than a day") }
            return .duration(d)
        }
    }
}

/// Durations as operators write them: one or more `<whole number><unit>` parts, units `ms`,
/// `s`, `m`, `h` (`30s`, `5m`, `1m30s`, `50ms`). A bare number is refused: `30` could be
/// seconds or milliseconds, and guessing is how thresholds go wrong.
public enum DurationText {
    public static func parse(_ text: String) throws(ThresholdValueError) -> Interval {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw ThresholdValueError("empty duration (write e.g. 30s, 5m, 50ms)") }
        var total: Int64 = 0
        var i = 0
        var lastUnit = Int64.max
        while i < bytes.count {
            var n: Int64 = 0
            let start = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                guard i - start < 9 else { throw ThresholdValueError("'\(text)' has too many digits") }
                n = n * 10 + Int64(bytes[i] - 48)
                i += 1
            }
            guard i > start else { throw ThresholdValueError("'\(text)' is not a duration (write e.g. 30s, 5m, 1m30s, 50ms)") }
            let unitStart = i
            while i < bytes.count, !(bytes[i] >= 48 && bytes[i] <= 57) { i += 1 }
            let unit = String(decoding: bytes[unitStart..<i], as: UTF8.self)
            let micros: Int64
            switch unit {
            case "ms": micros = 1_000
            case "s": micros = 1_000_000
            case "m": micros = 60_000_000
            case "h": micros = 3_600_000_000
            case "": throw ThresholdValueError("'\(text)' has no unit (write e.g. \(n)s or \(n)ms)")
            default: throw ThresholdValueError("'\(text)': unknown unit '\(unit)' (use ms, s, m, h)")
            }
            guard micros < lastUnit else { throw ThresholdValueError("'\(text)': units must go from larger to smaller, each once") }
            lastUnit = micros
            total += n * micros  // at most 4 parts of < 10^9 × 3.6·10^9: no overflow
        }
        return Interval(micros: total)
    }

    /// The shortest exact text: `5m`, `30s`, `1m30s`, `50ms`, `1s500ms`.
    public static func format(_ d: Interval) -> String {
        var us = d.micros
        guard us > 0 else { return "0s" }
        guard us % 1_000 == 0 else { return "\(us)us" }  // never parsed from a file; shown as is
        var out = ""
        for (unit, size) in [("h", Int64(3_600_000_000)), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000)] where us >= size {
            out += "\(us / size)\(unit)"
            us %= size
        }
        return out
    }
}
