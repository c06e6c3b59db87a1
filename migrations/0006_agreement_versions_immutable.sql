-- Agreement versions are immutable once written: a signature binds to a version's hash.
CREATE FUNCTION agreement_versions_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'agreement_versions are immutable';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER agreement_versions_no_change
  BEFORE UPDATE OR DELETE ON agreement_versions
  FOR EACH ROW EXECUTE FUNCTION agreement_versions_immutable();
