-- Today's behaviours that live in SQL, kept reachable so the defects show on the real
-- database too. (The missing trigger is `DROP TRIGGER trg_pending_chunk`, see
-- PostgresAdmin.setPendingTrigger; the racy check-then-insert upsert is a lookup by the handler,
-- then the plain INSERT of PostgresStore.upsertConfig(checkThenInsert: true).)

-- Today's scheduler write: one batch that sets node_id, status = 'running' and claimed_at =
-- now() for each (chunk, node) pair, with no condition on the chunk's current status, node or
-- the node's capacity. Rows apply in plan order; a chunk listed twice ends on the last node.
-- A completed chunk in the batch goes back to running, as today's schema allows (it keeps its
-- result); an unknown chunk or node fails the statement (SH002 / SH003), as the foreign keys
-- would. Returns the assignments in plan order.
CREATE OR REPLACE FUNCTION assign_chunks_unguarded(chunk_ids uuid[], node_ids uuid[])
RETURNS TABLE (chunk_id uuid, attempt integer, claimed_us bigint)
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
BEGIN
  FOR i IN 1 .. coalesce(array_length(chunk_ids, 1), 0) LOOP
    IF NOT EXISTS (SELECT 1 FROM jobs_chunks c WHERE c.id = chunk_ids[i]) THEN
      RAISE EXCEPTION '%', chunk_ids[i] USING ERRCODE = 'SH002';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = node_ids[i]) THEN
      RAISE EXCEPTION '%', node_ids[i] USING ERRCODE = 'SH003';
    END IF;
  END LOOP;
  -- Today's schema checks no transition: a completed chunk goes back to running, keeping its
  -- result (our status-machine trigger is told to stand aside for this statement).
  PERFORM set_config('simharness.unchecked_transitions', 'on', true);
  FOR i IN 1 .. coalesce(array_length(chunk_ids, 1), 0) LOOP
    RETURN QUERY
    UPDATE jobs_chunks c
    SET node_id = node_ids[i], status = 'running', claimed_at = now(), attempt = c.attempt + 1,
        last_node_id = node_ids[i]
    WHERE c.id = chunk_ids[i]
    RETURNING c.id, c.attempt, epoch_us(c.claimed_at);
  END LOOP;
END;
$$;

-- Today's reclaim.rs (the version with edge functions): running chunks whose node was last
-- seen longer ago than silence go back to pending, in chunk id order; returns them.
CREATE OR REPLACE FUNCTION reclaim_chunks_of_silent_nodes(silence interval DEFAULT interval '60 seconds')
RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
DECLARE
  victim uuid;
BEGIN
  FOR victim IN
    SELECT c.id FROM jobs_chunks c JOIN nodes n ON n.id = c.node_id
    WHERE c.status = 'running' AND n.last_seen_at < now() - silence
    ORDER BY c.id
    FOR UPDATE OF c
  LOOP
    UPDATE jobs_chunks SET node_id = NULL, status = 'pending', claimed_at = NULL WHERE id = victim;
    RETURN NEXT victim;
  END LOOP;
END;
$$;
