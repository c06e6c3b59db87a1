CREATE TABLE "recording_deletions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recording_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"stopped_at" timestamp with time zone,
	"rule" text NOT NULL,
	"retention_days" integer,
	"reason" text,
	"deleted_by" uuid,
	"segments" jsonb NOT NULL,
	"deleted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recording_deletions_recording_id_unique" UNIQUE("recording_id")
);
--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "recording_retention_days" integer;--> statement-breakpoint
ALTER TABLE "recording_segments" ADD COLUMN "speech" jsonb;--> statement-breakpoint
ALTER TABLE "recording_deletions" ADD CONSTRAINT "recording_deletions_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "recording_deletions_case_idx" ON "recording_deletions" USING btree ("case_id");--> statement-breakpoint
ALTER TABLE "organisations" ADD CONSTRAINT "organisation_recording_retention" CHECK ("organisations"."recording_retention_days" is null or "organisations"."recording_retention_days" between 1 and 36500);