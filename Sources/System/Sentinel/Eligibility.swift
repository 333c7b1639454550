/// Which nodes may run a job's chunks (the seeds' `is_eligible()`):
/// - the job's owner's own nodes, always;
/// - `public` jobs: any node;
/// - `user` jobs: nodes with a `user` permission naming the job's owner;
/// - `discord` jobs: nodes whose owner's Discord id is in the job's guild filter (a Bloom
///   filter, so one non-member in a thousand may pass: the seeds accept that rate);
/// - `private` jobs: the owner's nodes only.
public enum Eligibility {
    public static func isEligible(
        _ job: AssignmentSnapshot.Job, _ node: AssignmentSnapshot.Node, guilds: GuildDirectory
    ) -> Bool {
        if let owner = node.userID, owner == job.userID { return true }
        switch job.accessType {
        case .private:
            return false
        case .public:
            return true
        case .user:
            return node.permittedUsers.sortedContains(job.userID)
        case .discord:
            guard let guild = job.discordServerID, let member = node.ownerDiscordID else { return false }
            return guilds.mightContain(guild: guild, member: member)
        }
    }
}

extension Array where Element: Comparable {
    /// Binary search in a sorted array.
    func sortedContains(_ x: Element) -> Bool {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && self[lo] == x
    }
}
