import { injectable } from 'tsyringe';

/** How companion runs ended, for `/tokenpak/status`; one instance per container. */
@injectable()
export class CompanionStats {
  /** Runs that produced an answer. */
  completed = 0;
  /** Runs that ended in an error answer (CLI missing, not logged in, non-zero exit, timeout, …). */
  failed = 0;
  /** Runs abandoned because the client went away. */
  aborted = 0;
  /** Requests refused with 429 because the queue was full. */
  rejected = 0;
  /** The last failure's message (redacted), for diagnosis from `tokenpak status`. */
  lastError: string | null = null;
}
