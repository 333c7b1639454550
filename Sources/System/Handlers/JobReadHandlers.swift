/// `GET /jobs/{id}` and `GET /jobs` (portal): the portal's `useJob` and `useUserJobs`.
extension RequestHandlers {
    /// A job the caller may see: their own, or any `public` job (also to anonymous callers).
    /// Anything else, including a malformed id, is 404 `jobNotFound`, never 403, so that the
    /// existence of other users' jobs does not leak.
    func readJob<S: JobStore>(_ id: String, _ request: APIRequest, store: S) throws(APIError) -> APIResponse {
        guard let jobID = JobID(uuidString: id), let job = try Self.read({ () throws(StoreError) in try store.job(jobID) }),
            job.accessType == .public || job.userID == request.user
        else { throw .jobNotFound(id) }
        return .ok(Self.json(job))
    }

    /// The caller's own jobs, newest first: `{jobs: [...]}`.
    func listJobs<S: JobStore>(_ request: APIRequest, store: S) throws(APIError) -> APIResponse {
        let user = try requireUser(request)
        let jobs = try Self.read { () throws(StoreError) in try store.jobs(ofUser: user) }
        return .ok(["jobs": .array(jobs.map(Self.json))])
    }

    /// A `jobs` row as the portal reads it (camelCase; timestamps ISO 8601 with microseconds).
    static func json(_ job: JobRow) -> JSONValue {
        [
            "id": .string(job.id.uuidString),
            "userId": .string(job.userID.uuidString),
            "configHash": .string(job.configHash.hex),
            "status": .string(job.status.rawValue),
            "totalIterations": .number(Double(job.totalIterations)),
            "completedIterations": .number(Double(job.completedIterations)),
            "result": job.result?.json ?? .null,
            "accessType": .string(job.accessType.rawValue),
            "discordServerId": job.discordServerID.map(JSONValue.string) ?? .null,
            "chunks": .number(Double(job.chunkCount)),
            "createdAt": .string(job.createdAt.description),
            "completedAt": job.completedAt.map { .string($0.description) } ?? .null,
        ]
    }
}
