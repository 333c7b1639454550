import JobSystem
import Logging

/// The assignment channel, as the agent asks for it: `openChannel` opens a connection with the
/// agent's signed request (replacing any connection still open), `closeChannel` closes it. What
/// comes back is fed to the agent: each message as `.channel`, and the end of the connection as
/// `.channelClosed` (the agent resubscribes with its backoff). Each connection has a generation:
/// a connection that was replaced or closed on purpose reports nothing more.
extension NodeRunner {
    func openChannel(_ request: APIRequest) {
        closeChannel()
        guard let channel else {
            // No channel to open (a runner without one): the open is dropped at once.
            feed(.channelClosed(refusal: nil))
            return
        }
        channelGeneration += 1
        let generation = channelGeneration
        channelTask = Task {
            do {
                try await channel.run(request) { text in
                    await self.channelMessage(text, generation: generation)
                }
                self.channelEnded(generation: generation, reason: "closed by the server")
            } catch {
                self.channelEnded(generation: generation, reason: "\(error)")
            }
        }
    }

    func closeChannel() {
        channelGeneration += 1
        channelTask?.cancel()
        channelTask = nil
    }

    func channelMessage(_ text: String, generation: UInt64) {
        guard generation == channelGeneration else { return }
        do {
            feed(.channel(try AssignmentChannelMessage(bytes: Array(text.utf8))))
        } catch {
            // A message the node cannot read is dropped (and logged), never a crash.
            logger.warning("assignment channel: unreadable message ignored: \(error)")
        }
    }

    /// The connection ended. A refused upgrade reaches here as an error without the server's
    /// answer (the WebSocket client does not expose it), so it counts as a drop: the agent
    /// reopens after its backoff, and an unknown key is found out by the next heartbeat.
    func channelEnded(generation: UInt64, reason: String) {
        guard generation == channelGeneration else { return }
        channelTask = nil
        logger.warning("assignment channel: \(reason); the node resubscribes")
        feed(.channelClosed(refusal: nil))
    }
}
