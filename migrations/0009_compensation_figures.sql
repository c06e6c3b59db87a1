CREATE TABLE "compensation_figures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"province" text NOT NULL,
	"year" integer NOT NULL,
	"version" integer NOT NULL,
	"urban_disposable_income_fen" bigint NOT NULL,
	"urban_disposable_income_source" text NOT NULL,
	"urban_consumption_fen" bigint NOT NULL,
	"urban_consumption_source" text NOT NULL,
	"average_wage_fen" bigint NOT NULL,
	"average_wage_source" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compensation_figures_version" UNIQUE("province","year","version"),
	CONSTRAINT "compensation_figures_positive" CHECK ("compensation_figures"."urban_disposable_income_fen" > 0 and "compensation_figures"."urban_consumption_fen" > 0 and "compensation_figures"."average_wage_fen" > 0),
	CONSTRAINT "compensation_figures_province" CHECK ("compensation_figures"."province" in ('zhejiang', 'fujian'))
);
--> statement-breakpoint
ALTER TABLE "compensation_figures" ADD CONSTRAINT "compensation_figures_created_by_staff_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff_users"("id") ON DELETE no action ON UPDATE no action;