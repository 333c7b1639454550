/// Submitting jobs: the fixed single call, today's two racy calls, and the one re-send after a
/// loss or a transient refusal (5xx, 429: read from the status and code, as over HTTP).
extension PortalUser {
    /// Arms the submit timer for the next due submission, if any.
    mutating func armSubmit(now: Timestamp, _ effects: inout [Effect]) {
        guard nextDue < dueOrder.count else { return }
        let at = jobs[dueOrder[nextDue]].submission.at
        effects.append(.setTimer(.submit, after: at < now ? Interval(micros: 0) : at - now))
    }

    mutating func submitDue(now: Timestamp, _ effects: inout [Effect]) {
        while nextDue < dueOrder.count, jobs[dueOrder[nextDue]].submission.at <= now {
            let index = dueOrder[nextDue]
            nextDue += 1
            jobs[index].outcome = .inProgress
            jobs[index].submittedAt = now
            if settings.racyConfigUpsert {
                sendUpsert(index, &effects)
            } else {
                sendCreate(index, &effects)
            }
        }
        armSubmit(now: now, &effects)
    }

    mutating func sendUpsert(_ index: Int, _ effects: inout [Effect]) {
        let body: JSONValue = ["config": jobs[index].submission.config]
        send(.upsert(index), portalRequest("POST", "/config-upsert", body: body), &effects)
    }

    /// Fixed: the config itself. Racy: the hash the upsert answered.
    mutating func sendCreate(_ index: Int, _ effects: inout [Effect]) {
        let submission = jobs[index].submission
        var fields: [String: JSONValue] = [
            "iterations": .number(Double(submission.iterations)), "accessType": .string(submission.accessType.rawValue),
        ]
        if let hash = jobs[index].configHash {
            fields["configHash"] = .string(hash.hex)
        } else {
            fields["config"] = submission.config
        }
        if let server = submission.discordServerID { fields["discordServerId"] = .string(server) }
        send(.create(index), portalRequest("POST", "/job-create", body: .object(fields)), &effects)
    }

    func portalRequest(_ method: String, _ path: String, body: JSONValue? = nil) -> APIRequest {
        APIRequest(method: method, path: path, body: body?.canonicalBytes ?? [], user: settings.userID)
    }

    mutating func upserted(_ index: Int, _ response: APIResponse, now: Timestamp, _ effects: inout [Effect]) {
        guard case .success(let body) = ResponseClass(response) else {
            fail(index, step: "/config-upsert", response)
            return
        }
        guard let text = body?["hash"]?.stringValue, let hash = ConfigHash(hex: text) else {
            fail(index, step: "/config-upsert", status: response.status, reason: "answer has no config hash")
            return
        }
        jobs[index].configHash = hash
        sendCreate(index, &effects)
    }

    mutating func created(_ index: Int, _ response: APIResponse, now: Timestamp, _ effects: inout [Effect]) {
        guard case .success(let body) = ResponseClass(response) else {
            fail(index, step: "/job-create", response)
            return
        }
        guard let text = body?["jobId"]?.stringValue, let id = JobID(uuidString: text) else {
            fail(index, step: "/job-create", status: response.status, reason: "answer has no job id")
            return
        }
        jobs[index].outcome = .created(id, chunks: body?["chunks"]?.intValue ?? 0)
        jobs[index].createdAt = now
        // `useJob` mounts with the results step and fetches at once.
        poll(index, now: now, &effects)
    }

    /// A step got no answer: re-send it once with the same content, then give up.
    mutating func stepLost(_ index: Int, step: String, now: Timestamp, _ effects: inout [Effect]) {
        guard resentSteps[index, default: []].insert(step).inserted else {
            fail(index, step: step, status: nil, reason: "no answer to the request or its re-send")
            return
        }
        jobs[index].resentAfterLoss = true
        if step == "/config-upsert" {
            sendUpsert(index, &effects)
        } else {
            sendCreate(index, &effects)
        }
    }

    mutating func fail(_ index: Int, step: String, _ response: APIResponse) {
        fail(index, step: step, status: response.status, reason: ResponseClass.reason(response), code: response.errorCode)
    }

    mutating func fail(_ index: Int, step: String, status: Int?, reason: String, code: String? = nil) {
        let failure = SubmissionFailure(index: index, step: step, status: status, reason: reason, code: code)
        jobs[index].outcome = .failed(failure)
        submissionFailures.append(failure)
    }
}
