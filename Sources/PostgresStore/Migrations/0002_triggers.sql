-- Triggers: the seeds' pending_chunk notification (exactly as the seeds describe it), the
-- FIFO sequence of the pending queue, and the status machines.

-- Microseconds since the Unix epoch: how the adapter reads every timestamp (exact, no floats).
CREATE OR REPLACE FUNCTION epoch_us(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;

CREATE OR REPLACE FUNCTION notify_pending_chunk() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'pending' AND NEW.node_id IS NULL THEN
    PERFORM pg_notify('pending_chunk', NEW.id::text);
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS trg_pending_chunk ON jobs_chunks;
CREATE TRIGGER trg_pending_chunk
AFTER INSERT OR UPDATE ON public.jobs_chunks
FOR EACH ROW EXECUTE FUNCTION notify_pending_chunk();

-- A chunk takes its pending_seq when it is inserted and keeps it: the pending queue is oldest
-- chunk first, the tie-free form of today's ORDER BY created_at, so a reaped chunk (which keeps
-- its created_at) goes back to the front of the queue, as in today's sentinel.
CREATE OR REPLACE FUNCTION chunk_pending_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.pending_seq := nextval('jobs_chunks_pending_seq');
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS trg_chunk_pending_seq ON jobs_chunks;
CREATE TRIGGER trg_chunk_pending_seq
BEFORE INSERT ON jobs_chunks
FOR EACH ROW EXECUTE FUNCTION chunk_pending_seq();

-- The status machines (System/Domain/Statuses.swift). A forbidden change raises SQLSTATE
-- SH001, which the adapter maps to StoreError.illegalTransition; the statement rolls back.
CREATE OR REPLACE FUNCTION check_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ok boolean;
BEGIN
  -- Today's unguarded batch update checks no status (today's schema has no such trigger): it
  -- sets this transaction-local flag to write a completed chunk back to running as it would.
  IF NEW.status = OLD.status OR current_setting('simharness.unchecked_transitions', true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'jobs' THEN
    ok := (OLD.status, NEW.status) IN (('pending', 'running'), ('running', 'completed'), ('pending', 'completed'));
  ELSIF TG_TABLE_NAME = 'jobs_chunks' THEN
    ok := (OLD.status, NEW.status) IN (('pending', 'running'), ('running', 'pending'), ('running', 'completed'), ('pending', 'completed'));
  ELSE
    ok := (OLD.status, NEW.status) IN (('pending', 'online'), ('online', 'offline'), ('offline', 'online'));
  END IF;
  IF NOT ok THEN
    RAISE EXCEPTION '% % % → %',
      CASE TG_TABLE_NAME WHEN 'jobs' THEN 'job' WHEN 'jobs_chunks' THEN 'chunk' ELSE 'node' END,
      OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'SH001';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS trg_jobs_status ON jobs;
CREATE TRIGGER trg_jobs_status BEFORE UPDATE OF status ON jobs
FOR EACH ROW EXECUTE FUNCTION check_status_transition();
DROP TRIGGER IF EXISTS trg_chunks_status ON jobs_chunks;
CREATE TRIGGER trg_chunks_status BEFORE UPDATE OF status ON jobs_chunks
FOR EACH ROW EXECUTE FUNCTION check_status_transition();
DROP TRIGGER IF EXISTS trg_nodes_status ON nodes;
CREATE TRIGGER trg_nodes_status BEFORE UPDATE OF status ON nodes
FOR EACH ROW EXECUTE FUNCTION check_status_transition();
