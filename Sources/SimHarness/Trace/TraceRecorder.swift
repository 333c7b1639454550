import Engine
import JobSystem

/// Collects the canonical lines of a run's trace (JSON Lines): one line per delivered event,
/// each with the running digest after it, so a replay can name the first event that differs.
///
/// A reference type on purpose: it is an output sink handed to the world, outside the
/// simulated state, and only touched when a run is recorded.
public final class TraceRecorder {
    public private(set) var lines: [String] = []
    /// Keep at most this many event lines (the digest still covers every event).
    public let limit: Int
    public private(set) var dropped = 0

    public init(limit: Int = 2_000_000) {
        self.limit = limit
    }

    func record(_ e: WorldDelivery, index: UInt64, digest: TraceDigest) {
        guard lines.count < limit else {
            dropped += 1
            return
        }
        lines.append(TraceLine.event(index: index, event: e, digest: digest))
    }
}

/// The canonical text of trace lines. Stable field order, integers for time, so two runs that
/// are the same give byte-identical files.
public enum TraceLine {
    public static func event(index: UInt64, event e: WorldDelivery, digest: TraceDigest) -> String {
        "{\"i\":\(index),\"t\":\(e.time.nanoseconds),\"a\":\(e.actor.index),\"f\":\(e.from.index),\"k\":\"\(e.payload.kind)\",\"d\":\"\(digest)\",\"e\":\(jsonString(e.payload.summary))}"
    }

    /// A JSON string literal.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

extension WorldEvent {
    /// A short human-readable description for trace lines.
    public var summary: String {
        switch self {
        case .api(let id, let r): return "#\(id) \(r.method) \(r.path)"
        case .apiReply(let id, let r): return "#\(id) \(r.status)\(r.errorCode.map { " \($0)" } ?? "")"
        case .storeCall(let id, let c):
            switch c {
            case .snapshot(let limit, _): return "#\(id) snapshot limit=\(limit)"
            case .apply(let plan, let guarded, _): return "#\(id) apply \(plan.count) guarded=\(guarded)"
            case .reclaimSilent: return "#\(id) reclaim-silent"
            case .gauges: return "#\(id) gauges"
            }
        case .storeReply(let id, let r):
            switch r {
            case .snapshot(let s): return "#\(id) snapshot chunks=\(s.chunks.count) nodes=\(s.onlineNodes) more=\(s.morePending)"
            case .applied(let a): return "#\(id) applied \(a.count)"
            case .reclaimed(let ids): return "#\(id) reclaimed \(ids.count)"
            case .gauges(let g): return "#\(id) gauges pending=\(g.pendingChunks) running=\(g.runningChunks) online=\(g.onlineNodes)"
            case .failed(let e): return "#\(id) failed \(e)"
            }
        case .listen, .listenAck, .listenLost, .wake: return kind
        case .notify(let n): return "\(n.channel) \(n.payload)"
        case .transaction(let txn, let c, let r): return "txn \(txn) conn \(c) \(r.method) \(r.path)"
        case .transactionDone(let txn, let c, let o): return "txn \(txn) conn \(c) \(o.status)\(o.error.map { " \($0.code)" } ?? "")"
        case .channelOpen(let g, _): return "open #\(g)"
        case .channelMessage(let g, .subscribed(let node, let held)): return "#\(g) subscribed \(node) held \(held.count)"
        case .channelMessage(let g, .assigned(let a)): return "#\(g) chunk \(a.chunkID) attempt \(a.attempt) to \(a.nodeID)"
        case .channelClosed(let g, let r): return "#\(g) closed\(r.map { " \($0.status)\($0.errorCode.map { " \($0)" } ?? "")" } ?? "")"
        case .committedAssignments(let list): return "\(list.count) assignments"
        case .cron(let j): return j.rawValue
        case .nodeTimer(let t): return "\(t)"
        case .computed(let c, let attempt, _, let r): return "chunk \(c) attempt \(attempt) iterations \(r.iterations)"
        case .portalTimer(let t): return "\(t)"
        case .statement(let id, _, let r, _): return "#\(id) next statement of \(r.method) \(r.path)"
        case .control(let a): return a.description
        }
    }
}
