ALTER TABLE "participants" ADD COLUMN "language_pair" jsonb;--> statement-breakpoint
ALTER TABLE "attendances" ADD COLUMN "language_pair" jsonb;--> statement-breakpoint
ALTER TABLE "attendances" ADD COLUMN "listening" jsonb DEFAULT '{}'::jsonb NOT NULL;