-- The audit chain's last link, read after taking the chain's lock, in one round trip (the append
-- was three: the lock, the read, the insert). Each statement of a volatile PL/pgSQL function takes
-- a fresh snapshot, so the read sees an event committed while this transaction waited for the
-- lock. The key is the one audit.repository.ts used before (0x68710001): a node on the old code
-- during a rolling upgrade still serialises with this one.
CREATE FUNCTION audit_chain_tail() RETURNS TABLE (tail_seq bigint, tail_hash text) AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1752236033);
  RETURN QUERY SELECT e.seq, e.hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
END;
$$ LANGUAGE plpgsql VOLATILE;
