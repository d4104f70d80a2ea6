'use strict';

const { EventEmitter } = require('events');

const DEFAULT_CONCURRENCY = 4;

class JobQueue extends EventEmitter {
  constructor({ concurrency = DEFAULT_CONCURRENCY } = {}) {
    super();
    this.concurrency = concurrency;
    this.running = 0;
    this.pending = [];
  }

  // add a job
  push(job) {
    this.pending.push(job);
    this.emit('queued', job);
    this.drain();
  }

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

  size() {
    return this.pending.length + this.running;
  }
}

module.exports = { JobQueue };
