import Logging
import System

/// The assignment channel, kept open while the node has a node id: opened with a signed
/// upgrade request, reopened after every close with jittered exponential backoff (1 s doubling
/// to 60 s, reset once a channel has stayed open), each pushed assignment fed to the agent.
extension NodeRunner {
    /// Where the channel is opened.
    public static let assignmentChannelPath = "/node-assignments"

    func maintainSubscription() {
        guard let channel, subscription == nil, !stopped, agent.isRegistered else { return }
        let task = Task { await self.subscribeLoop(channel) }
        subscription = AssignmentSubscription(task: task)
    }

    func subscribeLoop(_ channel: any AssignmentChannel) async {
        var failures = 0
        var random = SystemRandomNumberGenerator()
        let backoff = Backoff(base: .seconds(1), max: .seconds(60))
        while !Task.isCancelled, !stopped {
            let request = subscribeRequest()
            let opened = OpenFlag()
            do {
                try await channel.run(request, onOpen: { await opened.set() }) { text in
                    await self.pushed(text)
                }
                logger.warning("assignment channel closed by the server; reopening")
            } catch {
                logger.warning("assignment channel: \(error)")
            }
            failures = await opened.value ? 1 : failures + 1
            let wait = backoff.delay(failures: failures, using: &random)
            try? await Task.sleep(nanoseconds: UInt64(Swift.max(wait.micros, 0)) * 1_000)
        }
    }

    /// The upgrade request, signed like every node request (GET, the channel's path, no body).
    func subscribeRequest() -> APIRequest {
        let signer = RequestSigner(signer: Ed25519().makeSigner(seed: agent.durable.keySeed), hasher: SodiumSHA256())
        let signed = signer.sign(method: "GET", path: Self.assignmentChannelPath, body: [], unixSeconds: clock.now().unixSeconds)
        var headers: [String: String] = [:]
        for (name, value) in signed.headers { headers[name] = value }
        return APIRequest(method: "GET", path: Self.assignmentChannelPath, headers: headers)
    }

    /// A message on the channel: an assignment for this node, or nothing the node acts on.
    func pushed(_ text: String) {
        switch AssignmentMessage.decode(text) {
        case .assignment(let assignment):
            guard assignment.nodeID == agent.durable.nodeID else {
                logger.warning("assignment channel: chunk \(assignment.chunkID) is for node \(assignment.nodeID), not this one: ignored")
                return
            }
            feed(.assignment(assignment))
        case .invalid(let reason):
            logger.warning("assignment channel: unreadable message ignored: \(reason)")
        }
    }
}

/// The running subscription task.
struct AssignmentSubscription: Sendable {
    let task: Task<Void, Never>
    func cancel() { task.cancel() }
}

/// Set once the channel opened (resets the reconnect backoff).
actor OpenFlag {
    var value = false
    func set() { value = true }
}
