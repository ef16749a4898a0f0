import { ErrorCode, type FieldIssue, OutstreamError } from '../../core/errors.ts';

/**
 * The service refused to change a booking: malformed or impossible input, an unknown
 * booking, or a state that does not allow the change. Nothing was written. `issues` name
 * each reason (`checkIn`, `checkOut`, `status`, `id`).
 */
export class BookingChangeRefusedError extends OutstreamError {
  readonly bookingId: string;
  readonly issues: readonly FieldIssue[];
  constructor(bookingId: string, issues: readonly FieldIssue[]) {
    const lines = issues.map((i) => `${i.path}: expected ${i.expected}, got ${i.received}`);
    super(ErrorCode.invalidArgument, `booking ${bookingId} not changed:\n  - ${lines.join('\n  - ')}`);
    this.bookingId = bookingId;
    this.issues = issues;
  }
}
