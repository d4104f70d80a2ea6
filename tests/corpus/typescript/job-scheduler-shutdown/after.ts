import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { JobQueue } from './job-queue';
import { JobRecord } from './job.types';

const STALE_AFTER_MS = 15 * 60 * 1000;

@Injectable()
export class JobScheduler implements OnModuleDestroy {
  private readonly logger = new Logger(JobScheduler.name);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly queue: JobQueue) {}

  @Interval(30_000)
  async dispatchDue(): Promise<void> {
    const due = await this.queue.claimDue(new Date());
    for (const job of due) {
      this.scheduleRun(job);
    }
  }

  @Interval(5 * 60_000)
  async reapStale(): Promise<number> {
    const cutoff = new Date(Date.now() - STALE_AFTER_MS);
    const reaped = await this.queue.releaseStale(cutoff);
    if (reaped > 0) {
      this.logger.warn(`released ${reaped} stale jobs`);
    }
    return reaped;
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
  }

  private scheduleRun(job: JobRecord): void {
    const delay = Math.max(0, job.runAt.getTime() - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.queue.run(job);
    }, delay);
    this.timers.add(timer);
  }
}
