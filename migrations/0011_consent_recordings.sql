CREATE TABLE "consent_recordings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"agreement_id" uuid NOT NULL,
	"version_id" uuid NOT NULL,
	"participant_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	"byte_size" bigint NOT NULL,
	"duration_ms" integer NOT NULL,
	"content_type" text NOT NULL,
	"storage_key" text NOT NULL,
	"signature_id" uuid,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consent_recordings_storage_key_unique" UNIQUE("storage_key"),
	CONSTRAINT "consent_recordings_signature_id_unique" UNIQUE("signature_id"),
	CONSTRAINT "consent_recordings_one_per_hash" UNIQUE("version_id","participant_id","sha256")
);
--> statement-breakpoint
ALTER TABLE "signatures" ADD COLUMN "consent_recording_sha256" text;--> statement-breakpoint
ALTER TABLE "consent_recordings" ADD CONSTRAINT "consent_recordings_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_recordings" ADD CONSTRAINT "consent_recordings_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_recordings" ADD CONSTRAINT "consent_recordings_version_id_agreement_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."agreement_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_recordings" ADD CONSTRAINT "consent_recordings_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_recordings" ADD CONSTRAINT "consent_recordings_signature_id_signatures_id_fk" FOREIGN KEY ("signature_id") REFERENCES "public"."signatures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consent_recordings_agreement_idx" ON "consent_recordings" USING btree ("agreement_id");