CREATE TABLE "case_mediators" (
	"case_id" uuid NOT NULL,
	"staff_user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL,
	"assigned_by" uuid,
	CONSTRAINT "case_mediators_case_id_staff_user_id_pk" PRIMARY KEY("case_id","staff_user_id")
);
--> statement-breakpoint
CREATE TABLE "mediator_choices" (
	"participant_id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"staff_user_id" uuid NOT NULL,
	"chosen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mediator_profiles" (
	"staff_user_id" uuid PRIMARY KEY NOT NULL,
	"dialects" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"specialities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"introduction" text DEFAULT '' NOT NULL,
	"phone" text,
	"photo_storage_key" text,
	"photo_content_type" text,
	"photo_sha256" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "staff_users" ADD COLUMN "center_head" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "case_mediators" ADD CONSTRAINT "case_mediators_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_mediators" ADD CONSTRAINT "case_mediators_staff_user_id_staff_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_mediators" ADD CONSTRAINT "case_mediators_assigned_by_staff_users_id_fk" FOREIGN KEY ("assigned_by") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mediator_choices" ADD CONSTRAINT "mediator_choices_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mediator_choices" ADD CONSTRAINT "mediator_choices_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mediator_choices" ADD CONSTRAINT "mediator_choices_staff_user_id_staff_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mediator_profiles" ADD CONSTRAINT "mediator_profiles_staff_user_id_staff_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "case_mediators_one_lead" ON "case_mediators" USING btree ("case_id") WHERE "case_mediators"."role" = 'lead';--> statement-breakpoint
CREATE INDEX "case_mediators_staff_idx" ON "case_mediators" USING btree ("staff_user_id");--> statement-breakpoint
CREATE INDEX "mediator_choices_case_idx" ON "mediator_choices" USING btree ("case_id");--> statement-breakpoint
ALTER TABLE "staff_users" ADD CONSTRAINT "staff_users_head_is_mediator" CHECK (not "staff_users"."center_head" or "staff_users"."role" = 'mediator');--> statement-breakpoint
-- Cases registered before assignment existed: their creator (a mediator of the center) leads them, as a new case's creator does.
INSERT INTO "case_mediators" ("case_id", "staff_user_id", "role", "assigned_at")
SELECT c."id", c."created_by", 'lead', c."created_at" FROM "cases" c
JOIN "staff_users" s ON s."id" = c."created_by" AND s."organisation_id" = c."center_id" AND s."role" = 'mediator';
