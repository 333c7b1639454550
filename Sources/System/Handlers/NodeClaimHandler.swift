/// `POST /node-claim` (portal): `{claimCode}` → `{id}`.
extension RequestHandlers {
    /// The user claims the unclaimed node showing the code (normalized, see
    /// `ClaimCode.normalize`). Unknown code 404, claimed code 409; several unclaimed nodes
    /// showing it: the earliest registered (see `JobStore.claimNode`).
    ///
    /// Failed attempts are limited per user (`limits.failedClaimsPerUser`, 429 `rate_limited`
    /// with a retry hint), so that guessing 30-bit codes is slow; a successful claim costs
    /// nothing.
    func nodeClaim<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, now: Timestamp
    ) throws(APIError) -> APIResponse {
        let user = try requireUser(request)
        let code = ClaimCode.normalize(try RequestBody(request.body).string("claimCode", length: 1...64))
        guard code.count == 6 else { throw .invalidField(field: "claimCode", expected: "6 characters") }
        let key = "node-claim:" + user.uuidString
        let rate = profile.limits.failedClaimsPerUser
        if let wait = limiter.take(key, rate: rate, now: now) {
            throw .rateLimited(what: "failed node claims", retryAfterSeconds: wait)
        }
        let node: NodeRow
        do { node = try store.claimNode(claimCode: code, by: user) } catch { throw .store(error) }
        limiter.refund(key, rate: rate)
        return .ok(["id": .string(node.id.uuidString)])
    }
}
