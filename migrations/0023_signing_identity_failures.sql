CREATE TABLE "signing_identity_failures" (
	"agreement_id" uuid NOT NULL,
	"participant_id" uuid NOT NULL,
	"id_digit_failures" integer DEFAULT 0 NOT NULL,
	"code_failures" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "signing_identity_failures_agreement_id_participant_id_pk" PRIMARY KEY("agreement_id","participant_id")
);
--> statement-breakpoint
ALTER TABLE "signing_identity_failures" ADD CONSTRAINT "signing_identity_failures_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_identity_failures" ADD CONSTRAINT "signing_identity_failures_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_organisation_idx" ON "notifications" USING btree ("organisation_id","created_at");