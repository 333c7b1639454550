/// `POST /node-claim` (portal): `{claimCode}` → `{id}`.
extension RequestHandlers {
    /// The user claims the unclaimed node showing the code (normalized, see
    /// `ClaimCode.normalize`). Unknown code 404, claimed or ambiguous code 409.
    func nodeClaim<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        let user = try requireUser(request)
        let code = ClaimCode.normalize(try RequestBody(request.body).string("claimCode"))
        guard code.count == 6 else { throw .invalidField(field: "claimCode", expected: "6 characters") }
        let node: NodeRow
        do { node = try store.claimNode(claimCode: code, by: user) } catch { throw .store(error) }
        return .ok(["id": .string(node.id.uuidString)])
    }
}
