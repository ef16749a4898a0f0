import type { ReceivedMail } from './mailbox.ts';
import type { Refusal } from './server.ts';

export type { ReceivedMail, Refusal };

/**
 * Reads what the local SMTP sink received, over its HTTP API (`config.smtp.sinkUrl`).
 * For tests, demos and people; a production SMTP server has no such API.
 *
 * @example
 * const sink = createSmtpSinkClient(config.smtp.sinkUrl);
 * const [mail] = await sink.messages({ to: 'ada@example.com' });
 */
export function createSmtpSinkClient(sinkUrl: string) {
  const base = sinkUrl.replace(/\/+$/, '');
  async function get<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${base}${pathAndQuery}`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok)
      throw new Error(`smtp sink: GET ${pathAndQuery} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }
  return {
    /** Messages in arrival order, filtered by recipient address, Message-ID or subject text. */
    async messages(
      filter: { to?: string; messageId?: string; subject?: string } = {},
    ): Promise<ReceivedMail[]> {
      const q = new URLSearchParams(
        Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
      return (await get<{ messages: ReceivedMail[] }>(`/messages?${q}`)).messages;
    },
    /** The recipients the sink refused (most recent 1000), with code and reason. */
    async refusals(): Promise<Refusal[]> {
      return (await get<{ refusals: Refusal[] }>('/refusals')).refusals;
    },
  };
}

/** The client {@link createSmtpSinkClient} returns. */
export type SmtpSinkClient = ReturnType<typeof createSmtpSinkClient>;
