import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const checkPendingRequestsIntervalMs = 10;
const patched = Symbol.for('outstream.kafkajs.requestQueueFix');

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer of `throttledUntil - now` ms after every
 * check of a connection's request queue, even with nothing pending: the delay is negative,
 * Node turns it into 1 ms, and every idle connection spins a 1 ms timer loop (kafkajs
 * #1556, #1604: CPU burnt while idle). Pending requests are also checked whenever a request
 * is queued or answered, so the timer is only needed while something waits: this schedules
 * it then only. Applied once, when `core/kafka.ts` is loaded.
 */
export function fixRequestQueueTimerLoop(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueue & { [patched]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[patched]) return;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const wait = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      wait > 0 ? wait : checkPendingRequestsIntervalMs,
    );
  };
  proto[patched] = true;
}
