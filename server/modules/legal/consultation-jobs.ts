import { answerWindowMinutes, startWindowMinutes } from '../../../shared/domain/consultations.ts';
import type { ServiceContext } from '../../context.ts';
import type { JobQueue } from '../../jobs/job-queue.ts';
import { type ConsultationEffects, sweepConsultations } from './consultations.service.ts';

const sweepJob = 'consultations-sweep';

export interface ConsultationSweep {
  /** Runs the sweep now (the every-minute job's work; callable in tests). */
  sweep(): Promise<void>;
}

/** Bookings become requests at their time, unanswered requests expire: every minute, once for the whole cluster. */
export async function scheduleConsultationSweep(ctx: ServiceContext, jobs: JobQueue, effects: ConsultationEffects): Promise<ConsultationSweep> {
  const sweep = () => sweepConsultations(ctx, effects, { answerMinutes: answerWindowMinutes, startMinutes: startWindowMinutes });
  await jobs.define<object>({ name: sweepJob, run: sweep, retryLimit: 0, retryDelaySeconds: 60, retryDelayMaxSeconds: 60, expireInSeconds: 120 });
  await jobs.every(sweepJob, '* * * * *');
  return { sweep };
}
