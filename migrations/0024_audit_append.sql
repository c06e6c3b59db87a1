-- An audit event appended in one round trip (it was three: the chain's lock, the read of the last
-- link, the insert). The caller sends the event with its canonical JSON (RFC 8785, as hashOf in
-- audit-hash.ts makes it) cut around the two members only the chain knows, "prevHash" and "seq"
-- (keys sort: actor, caseId, data, id, occurredAt, prevHash, seq, type); this function takes the
-- lock, reads the last link, hashes head || prevHash || '","seq":' || seq || tail with SHA-256,
-- inserts, and returns seq, prevHash and hash, which the caller checks against hashOf before its
-- transaction commits. Each statement of a volatile PL/pgSQL function takes a fresh snapshot, so
-- the read sees an event committed while this transaction waited for the lock. The key is the one
-- audit.repository.ts used before (0x68710001): a node on the old code during a rolling upgrade
-- still serialises with this one.
CREATE FUNCTION audit_append(p_id uuid, p_type text, p_case_id uuid, p_actor jsonb, p_data jsonb, p_occurred_at timestamptz, p_head text, p_tail text)
RETURNS TABLE (appended_seq bigint, appended_prev_hash text, appended_hash text) AS $$
DECLARE
  last_seq bigint;
  last_hash text;
  new_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(1752236033);
  SELECT e.seq, e.hash INTO last_seq, last_hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  new_hash := encode(sha256(convert_to(p_head || last_hash || '","seq":' || (last_seq + 1)::text || p_tail, 'UTF8')), 'hex');
  INSERT INTO audit_events (seq, id, type, case_id, actor, data, occurred_at, prev_hash, hash)
    VALUES (last_seq + 1, p_id, p_type, p_case_id, p_actor, p_data, p_occurred_at, last_hash, new_hash);
  RETURN QUERY SELECT last_seq + 1, last_hash, new_hash;
END;
$$ LANGUAGE plpgsql VOLATILE;
