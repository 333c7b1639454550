/// Polling a created job (`useJob`): one request out at a time, every `pollInterval` until the
/// job is seen completed, and every reading checked against the previous ones.
extension PortalUser {
    mutating func poll(_ index: Int, now: Timestamp, _ effects: inout [Effect]) {
        guard let id = jobs[index].jobID, jobs[index].completedAt == nil else { return }
        // react-query never overlaps fetches of one query.
        guard !outstanding.values.contains(.poll(index)) else { return }
        jobs[index].polls += 1
        send(.poll(index), portalRequest("GET", "/jobs/\(id.uuidString)"), &effects)
    }

    mutating func polled(_ index: Int, _ response: APIResponse, now: Timestamp, _ effects: inout [Effect]) {
        if case .success(let body) = ResponseClass(response) {
            observe(index, body, now: now)
        } else {
            jobs[index].pollFailures += 1
        }
        if jobs[index].completedAt == nil {
            effects.append(.setTimer(.poll(index), after: settings.pollInterval))
        }
    }

    /// Records a reading and flags what a correct system never shows.
    mutating func observe(_ index: Int, _ body: JSONValue?, now: Timestamp) {
        guard let body, let statusText = body["status"]?.stringValue, let status = JobStatus(rawValue: statusText),
            let completed = body["completedIterations"]?.intValue, let total = body["totalIterations"]?.intValue
        else {
            flag(.unreadableJob(index: index, reason: "missing status or iteration counts", at: now))
            return
        }
        // Spelled out: in `x.isNull ? nil : x` the literal nil would become `JSONValue.null`.
        var result: JSONValue? = body["result"]
        if result?.isNull == true { result = nil }
        let reading = JobObservation(
            at: now, status: status, completedIterations: completed, totalIterations: total, hasResult: result != nil)
        if let previous = jobs[index].observations.last {
            if completed < previous.completedIterations {
                flag(
                    .progressWentBackwards(index: index, from: previous.completedIterations, to: completed, at: now))
            }
            if Self.rank(status) < Self.rank(previous.status) {
                flag(.statusWentBackwards(index: index, from: previous.status, to: status, at: now))
            }
        }
        if jobs[index].observations.last.map({ ($0.status, $0.completedIterations, $0.hasResult) != (status, completed, result != nil) }) ?? true {
            jobs[index].observations.append(reading)
        }
        jobs[index].result = result
        guard status == .completed else { return }
        jobs[index].completedAt = now
        if result == nil { flag(.completedWithoutResult(index: index, at: now)) }
        if completed != total {
            flag(
                .completedWithIncompleteProgress(index: index, completed: completed, total: total, at: now))
        }
    }

    mutating func flag(_ anomaly: PortalAnomaly) {
        jobs[anomaly.index].anomalies.append(anomaly)
        anomalies.append(anomaly)
    }

    static func rank(_ status: JobStatus) -> Int {
        switch status {
        case .pending: return 0
        case .running: return 1
        case .completed: return 2
        }
    }
}
