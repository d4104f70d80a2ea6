'use strict';

const { EventEmitter } = require('events');

/** Number of jobs run at the same time when no `concurrency` option is given. */
const DEFAULT_CONCURRENCY = 4;

/**
 * In-process FIFO job queue with bounded concurrency.
 *
 * Emits `queued` when a job is pushed, `done` with the job's result and
 * `failed` with the error a job threw or rejected with.
 */
class JobQueue extends EventEmitter {
  /**
   * @param {{ concurrency?: number }} [options]
   */
  constructor({ concurrency = DEFAULT_CONCURRENCY } = {}) {
    super();
    this.concurrency = concurrency;
    this.running = 0;
    this.pending = [];
  }

  /**
   * Enqueue a job and start it if a slot is free.
   * @param {{ run: () => Promise<unknown> | unknown }} job
   */
  push(job) {
    this.pending.push(job);
    this.emit('queued', job);
    this.drain();
  }

  // Starts pending jobs until every slot is busy; called again whenever a job settles.
  drain() {
    while (this.running < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift();
      this.running += 1;
      Promise.resolve()
        .then(() => job.run())
        .then((result) => this.emit('done', job, result))
        .catch((err) => this.emit('failed', job, err))
        .finally(() => {
          this.running -= 1;
          this.drain();
        });
    }
  }

  /** @returns {number} jobs waiting plus jobs running */
  size() {
    return this.pending.length + this.running;
  }
}

module.exports = { JobQueue };
