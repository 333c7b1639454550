import Engine
import JobSystem

/// A digest of the store's decisions, kept only when asked for (`World.decisions`, nil by
/// default: it costs nothing otherwise): every API transaction's outcome (when, which route,
/// the status and the error code) and every committed row change (each chunk, job and node
/// transition, with its node, attempt and time).
///
/// Unlike the trace digest, which folds the bytes that cross the network, it does not see how a
/// message was carried, so the JSON wire and the typed wire (`WorldConfig.wire`) must give the
/// same one: `TypedWireTests` runs a fleet both ways and compares.
extension World {
    mutating func noteDecision(_ request: APIRequest, _ outcome: HandlerOutcome) {
        guard decisions != nil else { return }
        decisions!.fold(sim.now.nanoseconds)
        decisions!.fold(request.method)
        decisions!.fold(request.path)
        decisions!.fold(outcome.status)
        decisions!.fold(outcome.error?.code ?? "")
    }

    mutating func noteDecisions(_ changes: [RowChange]) {
        guard decisions != nil, !changes.isEmpty else { return }
        for change in changes {
            switch change {
            case .chunk(let c):
                decisions!.fold(1)
                Self.fold(c.id.raw, &decisions!)
                decisions!.fold(c.from?.rawValue ?? "")
                decisions!.fold(c.to.rawValue)
                Self.fold(c.fromNode?.raw, &decisions!)
                Self.fold(c.toNode?.raw, &decisions!)
                decisions!.fold(c.attempt)
                decisions!.fold(c.at.micros)
            case .job(let j):
                decisions!.fold(2)
                Self.fold(j.id.raw, &decisions!)
                decisions!.fold(j.from?.rawValue ?? "")
                decisions!.fold(j.to.rawValue)
            case .node(let n):
                decisions!.fold(3)
                Self.fold(n.id.raw, &decisions!)
                decisions!.fold(n.from?.rawValue ?? "")
                decisions!.fold(n.to.rawValue)
            }
        }
    }

    private static func fold(_ id: Identifier?, _ d: inout TraceDigest) {
        guard let id else { d.fold(0); return }
        d.fold(1); d.fold(id.high); d.fold(id.low)
    }
}
