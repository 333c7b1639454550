-- The pg_cron functions. Each takes its threshold as an interval with the seeds' value as the
-- default, and measures it back from the database's now(): the database owns the clock.

-- Running chunks claimed longer ago than claim_timeout back to pending, oldest claim first
-- (ties by chunk id); returns them in that order. SKIP LOCKED: a chunk whose completion is in
-- flight is left to it (if that completion commits, the chunk is done; if it rolls back, the
-- next run reaps it), so the reaper never waits behind nor deadlocks with a completion.
-- With renewal_window (the fixed system), a claim its holder renewed within the window (its
-- heartbeat named the chunk) is kept, unless it was claimed more than live_claim_limit ago;
-- NULL is today's rule, every claim older than the timeout goes.
CREATE OR REPLACE FUNCTION reap_stale_chunks(
  claim_timeout interval DEFAULT interval '5 minutes',
  renewal_window interval DEFAULT NULL,
  live_claim_limit interval DEFAULT interval '30 minutes'
)
RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
DECLARE
  victim uuid;
BEGIN
  FOR victim IN
    SELECT id FROM jobs_chunks
    WHERE status = 'running' AND claimed_at < now() - claim_timeout
      AND (renewal_window IS NULL OR claimed_at < now() - live_claim_limit OR claim_renewed_at IS NULL
           OR claim_renewed_attempt IS DISTINCT FROM attempt OR claim_renewed_at <= now() - renewal_window)
    ORDER BY claimed_at, id
    FOR UPDATE SKIP LOCKED
  LOOP
    UPDATE jobs_chunks SET node_id = NULL, status = 'pending', claimed_at = NULL WHERE id = victim;
    RETURN NEXT victim;
  END LOOP;
END;
$$;

-- Online nodes last seen longer ago than silence become offline; returns how many.
CREATE OR REPLACE FUNCTION mark_nodes_offline(silence interval DEFAULT interval '5 minutes')
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  marked integer;
BEGIN
  UPDATE nodes SET status = 'offline'
  WHERE status = 'online' AND last_seen_at IS NOT NULL AND last_seen_at < now() - silence;
  GET DIAGNOSTICS marked = ROW_COUNT;
  RETURN marked;
END;
$$;

-- Deletes unclaimed pending nodes older than unclaimed_age, offline nodes unseen for
-- offline_age (never a node with a chunk running on it), and configs no job references, unused
-- for unused_config_age. A node's permissions go with it (ON DELETE CASCADE).
CREATE OR REPLACE FUNCTION cleanup_stale_data(
  unclaimed_age interval DEFAULT interval '1 hour',
  offline_age interval DEFAULT interval '30 days',
  unused_config_age interval DEFAULT interval '7 days')
RETURNS TABLE (unclaimed_nodes integer, offline_nodes integer, unused_configs integer)
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM nodes n
  WHERE n.status = 'pending' AND n.user_id IS NULL AND n.created_at < now() - unclaimed_age
    AND NOT EXISTS (SELECT 1 FROM jobs_chunks c WHERE c.node_id = n.id AND c.status = 'running');
  GET DIAGNOSTICS unclaimed_nodes = ROW_COUNT;
  DELETE FROM nodes n
  WHERE n.status = 'offline' AND n.last_seen_at < now() - offline_age
    AND NOT EXISTS (SELECT 1 FROM jobs_chunks c WHERE c.node_id = n.id AND c.status = 'running');
  GET DIAGNOSTICS offline_nodes = ROW_COUNT;
  DELETE FROM jobs_configs g
  WHERE g.last_used_at < now() - unused_config_age
    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.config_hash = g.hash);
  GET DIAGNOSTICS unused_configs = ROW_COUNT;
  RETURN NEXT;
END;
$$;
