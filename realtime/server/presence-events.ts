import type { Logger } from 'pino';
import type { Publisher } from '../../producers/index.ts';
import { parseChannel } from './channel-request.ts';
import type { PresenceChange } from './presence.ts';

/**
 * Turns presence changes into `presence.joined` / `presence.left` events on the ephemeral
 * presence topic, which every node reads and routes to the channel like any event. A failed
 * write is logged, never thrown (presence is best effort; `GET /v1/presence` stays exact).
 */
export function createPresencePublisher(publisher: Publisher | undefined, logger: Logger) {
  const pending = new Set<Promise<unknown>>();
  return {
    announce(change: PresenceChange): void {
      const parsed = parseChannel(change.channel);
      if (!publisher || !parsed) return;
      const p = publisher
        .publish({
          type: change.kind === 'joined' ? 'presence.joined' : 'presence.left',
          payload: {
            channel: change.channel,
            hotel: parsed.kind === 'hotel' ? parsed.id : null,
            booking: parsed.kind === 'booking' ? parsed.id : null,
            user: parsed.kind === 'user' ? parsed.id : null,
            subject: change.subject,
            connections: change.connections,
          },
          actor: 'system:realtime-gateway',
        })
        .catch((e: unknown) => logger.warn({ err: e, change }, 'presence event not published'))
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    /** Resolves once every announcement under way is written (or failed). */
    async settled(): Promise<void> {
      await Promise.allSettled([...pending]);
    },
  };
}
