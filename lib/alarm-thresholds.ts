/** Alarm thresholds (infrastructure only; the local stack has no alarms). docs/RUNBOOK.md explains each. */
export const ALARM_THRESHOLDS = {
  /** Half the source page's 10-minute p95 delivery latency: the decider falling behind. */
  decideIteratorAgeMs: 5 * 60 * 1000,
  /** The source page: 95% of exports delivered within 10 minutes. */
  exportLatencyP95Ms: 10 * 60 * 1000,
  /**
   * The oldest export waiting in the export queue, from the same 10 minutes: an export older than
   * that is already late. It is more than an export's whole retry budget (3 attempts × the 180 s
   * visibility timeout = 9 minutes), so its own retries alone do not raise it — a stalled exporter, or
   * a destination failing long enough to hold a profile's later exports back behind its retries, does.
   */
  exportQueueOldestMessageSeconds: 10 * 60,
  /**
   * How long before a sink queue's retention ends its oldest message raises an alarm: with the
   * 14-day retention, at 10 days — 4 days to act before SQS deletes it.
   */
  sinkExpiryWarningSeconds: 4 * 24 * 60 * 60,
  /** Share of PutRecords entries throttled by Kinesis, in percent, over five minutes. */
  throttledRecordPercent: 5,
} as const;
