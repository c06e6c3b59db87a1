ALTER TABLE "evidence" ADD COLUMN "captured_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "capture_latitude" double precision;--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "capture_longitude" double precision;