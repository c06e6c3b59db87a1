CREATE TABLE "consultations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"center_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"lawyer_id" uuid,
	"for_participant_id" uuid,
	"requested_by_participant_id" uuid,
	"requested_by_staff_id" uuid,
	"session_id" uuid,
	"lawyer_participant_id" uuid,
	"party_link_ciphertext" text,
	"party_invitation_id" uuid,
	"question" text DEFAULT '' NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"requested_at" timestamp with time zone,
	"answered_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consultation_requester" CHECK (("consultations"."requested_by_participant_id" is null) <> ("consultations"."requested_by_staff_id" is null))
);
--> statement-breakpoint
CREATE TABLE "duty_shifts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"lawyer_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "duty_shift_order" CHECK ("duty_shifts"."ends_at" > "duty_shifts"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "law_firms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"center_id" uuid NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "law_firms_center_name" UNIQUE("center_id","name")
);
--> statement-breakpoint
CREATE TABLE "lawyer_slots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"lawyer_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"consultation_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lawyer_slot_order" CHECK ("lawyer_slots"."ends_at" > "lawyer_slots"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "lawyers" (
	"staff_user_id" uuid PRIMARY KEY NOT NULL,
	"law_firm_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"licence_number" text NOT NULL,
	"specialities" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_center_id_organisations_id_fk" FOREIGN KEY ("center_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_lawyer_id_lawyers_staff_user_id_fk" FOREIGN KEY ("lawyer_id") REFERENCES "public"."lawyers"("staff_user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_for_participant_id_participants_id_fk" FOREIGN KEY ("for_participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_requested_by_participant_id_participants_id_fk" FOREIGN KEY ("requested_by_participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_requested_by_staff_id_staff_users_id_fk" FOREIGN KEY ("requested_by_staff_id") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_lawyer_participant_id_participants_id_fk" FOREIGN KEY ("lawyer_participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duty_shifts" ADD CONSTRAINT "duty_shifts_lawyer_id_lawyers_staff_user_id_fk" FOREIGN KEY ("lawyer_id") REFERENCES "public"."lawyers"("staff_user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "law_firms" ADD CONSTRAINT "law_firms_center_id_organisations_id_fk" FOREIGN KEY ("center_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lawyer_slots" ADD CONSTRAINT "lawyer_slots_lawyer_id_lawyers_staff_user_id_fk" FOREIGN KEY ("lawyer_id") REFERENCES "public"."lawyers"("staff_user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lawyers" ADD CONSTRAINT "lawyers_staff_user_id_staff_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lawyers" ADD CONSTRAINT "lawyers_law_firm_id_law_firms_id_fk" FOREIGN KEY ("law_firm_id") REFERENCES "public"."law_firms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consultations_center_idx" ON "consultations" USING btree ("center_id","status");--> statement-breakpoint
CREATE INDEX "consultations_case_idx" ON "consultations" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "consultations_lawyer_idx" ON "consultations" USING btree ("lawyer_id","status");--> statement-breakpoint
CREATE INDEX "duty_shifts_time_idx" ON "duty_shifts" USING btree ("starts_at","ends_at");--> statement-breakpoint
CREATE UNIQUE INDEX "lawyer_slots_lawyer_start" ON "lawyer_slots" USING btree ("lawyer_id","starts_at");--> statement-breakpoint
CREATE UNIQUE INDEX "lawyer_slots_consultation" ON "lawyer_slots" USING btree ("consultation_id");--> statement-breakpoint
CREATE INDEX "lawyers_firm_idx" ON "lawyers" USING btree ("law_firm_id");