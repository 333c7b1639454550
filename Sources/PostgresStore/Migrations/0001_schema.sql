-- The seeds' tables and columns, plus what the fixed system needs (each addition says why).
-- Status columns are text with CHECKs, as in the seeds; a trigger enforces the status machines.

CREATE TABLE IF NOT EXISTS users (
    -- Stands in for auth.users joined with its Discord identity.
    id          uuid PRIMARY KEY,
    discord_id  text
);

CREATE TABLE IF NOT EXISTS rotations (
    id          text PRIMARY KEY,
    config      text NOT NULL,              -- canonical JSON, byte for byte (what nodes verify)
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS jobs_configs (
    hash          text PRIMARY KEY,           -- SHA-256 hex of the canonical JSON
    config        jsonb NOT NULL,
    config_text   text NOT NULL,              -- the exact canonical bytes the hash is of (jsonb reformats)
    rotation_id   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS jobs (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq                   bigint GENERATED ALWAYS AS IDENTITY UNIQUE,  -- creation order (ties of created_at)
    user_id               uuid NOT NULL,
    config_hash           text NOT NULL REFERENCES jobs_configs(hash),
    status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed')),
    total_iterations      int NOT NULL CHECK (total_iterations > 0),
    completed_iterations  int NOT NULL DEFAULT 0,
    result                jsonb,
    access_type           text NOT NULL CHECK (access_type IN ('private', 'public', 'user', 'discord')),
    discord_server_id     text,
    chunk_count           int NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz
);

CREATE TABLE IF NOT EXISTS nodes (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    public_key    text NOT NULL UNIQUE,       -- standard base64 of the Ed25519 key
    user_id       uuid,
    name          text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'online', 'offline')),
    total_cores   int NOT NULL,
    max_parallel  int NOT NULL,
    platform      text NOT NULL,
    version       text NOT NULL,
    claim_code    text NOT NULL,              -- not unique: 30 bits of a key hash collide in big fleets
    last_seen_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS nodes_permissions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,  -- grant order
    node_id      uuid NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    access_type  text NOT NULL CHECK (access_type IN ('public', 'user', 'guild', 'owner')),
    target_id    text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE IF NOT EXISTS jobs_chunks_pending_seq;

CREATE TABLE IF NOT EXISTS jobs_chunks (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id             uuid NOT NULL REFERENCES jobs(id),
    chunk_index        int NOT NULL,
    -- No foreign key on node_id / last_node_id: chunks are never deleted and keep naming a node
    -- the clean-up deleted (a running chunk's node is never deleted).
    node_id            uuid,
    config_hash        text NOT NULL,
    iterations         int NOT NULL CHECK (iterations > 0),
    seed_offset        bigint NOT NULL,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed')),
    result             jsonb,
    claimed_at         timestamptz,
    completed_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    attempt            int NOT NULL DEFAULT 0,      -- the claim a node must present to complete
    claim_renewed_at   timestamptz,                 -- the holder's heartbeat last named it (fixed reaper keeps it)
    claim_renewed_attempt int,                      -- the claim (attempt) that renewal was for
    last_node_id       uuid,                        -- the latest claimant, kept when reaped
    pending_seq        bigint,                      -- FIFO position, taken whenever it becomes pending
    completed_by       uuid,                        -- who completed it: tells a re-send from another claim
    completed_attempt  int,
    UNIQUE (job_id, chunk_index)
);

CREATE TABLE IF NOT EXISTS request_signatures (
    -- The replay cache of signed node requests.
    signature   text PRIMARY KEY,            -- standard base64
    expires_at  timestamptz NOT NULL
);

-- Indexes for every query the system runs.
-- The scheduler's pending queue, oldest first.
CREATE INDEX IF NOT EXISTS jobs_chunks_pending_queue ON jobs_chunks (pending_seq) WHERE status = 'pending' AND node_id IS NULL;
-- Backlogs, the reaper (claims by age) and today's reclaim (chunks by node).
CREATE INDEX IF NOT EXISTS jobs_chunks_running_by_node ON jobs_chunks (node_id) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS jobs_chunks_running_by_claim ON jobs_chunks (claimed_at, id) WHERE status = 'running';
-- Online nodes and the offline marking: nodes by last seen.
CREATE INDEX IF NOT EXISTS nodes_last_seen ON nodes (last_seen_at);
CREATE INDEX IF NOT EXISTS nodes_claim_code ON nodes (claim_code);
CREATE INDEX IF NOT EXISTS nodes_permissions_node ON nodes_permissions (node_id, seq);
-- A user's jobs, newest first; a config's jobs (the clean-up's NOT EXISTS).
CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (user_id, created_at DESC, seq DESC);
CREATE INDEX IF NOT EXISTS jobs_by_config ON jobs (config_hash);
CREATE INDEX IF NOT EXISTS request_signatures_expiry ON request_signatures (expires_at);
