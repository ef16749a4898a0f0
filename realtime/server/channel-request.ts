import { InvalidChannelsError } from '../../core/errors.ts';
import { type ChannelKind, channelKinds } from '../channels.ts';

const channelPattern = new RegExp(`^(${channelKinds.join('|')}):([A-Za-z0-9._~@-]{1,128})$`);

/** A parsed channel name. */
export interface ParsedChannel {
  channel: string;
  kind: ChannelKind;
  id: string;
}

/**
 * Parses a channel name such as `hotel:12`: a known kind, a colon, then 1–128 characters of
 * `A-Z a-z 0-9 . _ ~ @ -`. Returns undefined when it is not one.
 */
export function parseChannel(name: string): ParsedChannel | undefined {
  const m = channelPattern.exec(name);
  return m ? { channel: name, kind: m[1] as ChannelKind, id: m[2]! } : undefined;
}

/**
 * Parses the `channels` query parameter (`hotel:1,booking:42`): trimmed, de-duplicated,
 * order kept.
 *
 * @throws InvalidChannelsError naming the first malformed entry, or when the list is missing,
 *   empty or longer than `max`.
 */
export function parseChannelList(raw: string | undefined, max: number): ParsedChannel[] {
  if (raw === undefined || raw.trim() === '') {
    throw new InvalidChannelsError('missing channels: pass ?channels=<kind>:<id>[,…]');
  }
  const names = [...new Set(raw.split(',').map((s) => s.trim()))];
  if (names.length > max)
    throw new InvalidChannelsError(`too many channels: ${names.length} (at most ${max})`);
  return names.map((name) => {
    const parsed = parseChannel(name);
    if (!parsed) {
      throw new InvalidChannelsError(
        `malformed channel "${name.slice(0, 140)}": expected <kind>:<id> with kind one of ` +
          `${channelKinds.join(', ')} and an id of letters, digits and . _ ~ @ -`,
      );
    }
    return parsed;
  });
}

/**
 * True if a token's channel patterns grant `channel`: an exact name, `<kind>:*` for every
 * channel of a kind, or `*` for all (Mercure's `subscribe` claim, without URI templates).
 *
 * @example
 * grants(['hotel:*', 'user:u1'], 'hotel:7'); // true
 */
export function grants(patterns: readonly string[], channel: ParsedChannel): boolean {
  return patterns.some((p) => p === '*' || p === channel.channel || p === `${channel.kind}:*`);
}
