-- What the production HTTP API needs beyond the store contract (issue 10):
-- 1. portal users' API tokens (the users' identity on the HTTP API);
-- 2. the assignment feed: a NOTIFY on `chunk_assigned` for every claim written, which the API
--    server forwards to the node's WebSocket (the production form of the simulation's realtime
--    push of an assignment to its node).

-- A user's display name, unique when set, so `sentinel user add NAME` can find them again.
ALTER TABLE users ADD COLUMN IF NOT EXISTS name text;
CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users (name) WHERE name IS NOT NULL;

-- API tokens: only the SHA-256 of a token is stored (tokens are 256 random bits, so a fast hash
-- is enough: there is nothing to brute-force), shown once when issued. A revoked token stays
-- (who had it, when it was revoked) but no longer authenticates.
CREATE TABLE IF NOT EXISTS api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_sha256  text NOT NULL UNIQUE,          -- lowercase hex
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX IF NOT EXISTS api_tokens_by_user ON api_tokens (user_id);

-- The assignment feed: a chunk newly claimed (running with a node, and a new node, status or
-- attempt) notifies `chunk_assigned` with the claim as JSON, after commit, in commit order.
-- Timestamps in microseconds since the epoch, as the adapter reads every timestamp.
CREATE OR REPLACE FUNCTION notify_chunk_assigned() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'running' AND NEW.node_id IS NOT NULL AND (
       TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status
       OR OLD.node_id IS DISTINCT FROM NEW.node_id OR OLD.attempt IS DISTINCT FROM NEW.attempt) THEN
    PERFORM pg_notify('chunk_assigned', json_build_object(
      'chunkId', NEW.id, 'jobId', NEW.job_id, 'nodeId', NEW.node_id, 'attempt', NEW.attempt,
      'configHash', NEW.config_hash, 'iterations', NEW.iterations, 'seedOffset', NEW.seed_offset,
      'claimedAtMicros', epoch_us(coalesce(NEW.claimed_at, now())))::text);
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS trg_chunk_assigned ON jobs_chunks;
CREATE TRIGGER trg_chunk_assigned
AFTER INSERT OR UPDATE ON jobs_chunks
FOR EACH ROW EXECUTE FUNCTION notify_chunk_assigned();
