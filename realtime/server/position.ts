import { InvalidPositionError } from '../../core/errors.ts';

/**
 * A client's position in the event log: for each topic, the next offset of every partition
 * (everything before it has been delivered or was not for the client). It is the SSE `id:`
 * of each event, so `Last-Event-ID` brings it back on reconnect, to whichever gateway node.
 */
export interface Position {
  /** When the position was issued (ms since epoch; encoded with second precision). */
  issuedAt: number;
  /** Topic → next offset per partition (index = partition number). */
  offsets: ReadonlyMap<string, readonly number[]>;
}

const version = 1;
const prefix = 'events.';

/**
 * Encodes a position as a compact opaque token (base64url): a version byte, the issue time,
 * then per topic its name, partition count, the lowest offset and each partition's distance
 * from it, all as unsigned LEB128 varints. Twelve busy partitions take ~25 bytes per topic.
 */
export function encodePosition(position: Position): string {
  const bytes: number[] = [version];
  varint(bytes, Math.floor(position.issuedAt / 1000));
  varint(bytes, position.offsets.size);
  for (const [topic, offsets] of [...position.offsets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // Most topics are `events.<aggregate>`: a flag bit instead of the 7 prefix bytes.
    const short = topic.startsWith(prefix);
    const name = Buffer.from(short ? topic.slice(prefix.length) : topic, 'utf8');
    varint(bytes, name.length * 2 + (short ? 1 : 0));
    for (const b of name) bytes.push(b);
    varint(bytes, offsets.length);
    const base = offsets.length === 0 ? 0 : Math.min(...offsets);
    varint(bytes, base);
    for (const o of offsets) varint(bytes, o - base);
  }
  return Buffer.from(bytes).toString('base64url');
}

/**
 * Decodes a token made by {@link encodePosition}.
 *
 * @throws InvalidPositionError when the token is not one (garbage, truncated, other version).
 */
export function decodePosition(token: string): Position {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw new InvalidPositionError('not a base64url token');
  const bytes = Buffer.from(token, 'base64url');
  let at = 0;
  const read = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new InvalidPositionError('truncated');
      const b = bytes[at++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 128;
      if (scale > 2 ** 56) throw new InvalidPositionError('number too large');
    }
  };
  if (bytes[at++] !== version) throw new InvalidPositionError('unknown version');
  const issuedAt = read() * 1000;
  const topicCount = read();
  if (topicCount > 1000) throw new InvalidPositionError('too many topics');
  const offsets = new Map<string, number[]>();
  for (let t = 0; t < topicCount; t++) {
    const nameHeader = read();
    const length = Math.floor(nameHeader / 2);
    if (at + length > bytes.length) throw new InvalidPositionError('truncated');
    const name = bytes.subarray(at, at + length).toString('utf8');
    at += length;
    const partitions = read();
    if (partitions > 100_000) throw new InvalidPositionError('too many partitions');
    const base = read();
    const list: number[] = [];
    for (let p = 0; p < partitions; p++) list.push(base + read());
    offsets.set(nameHeader % 2 === 1 ? `${prefix}${name}` : name, list);
  }
  if (at !== bytes.length) throw new InvalidPositionError('trailing bytes');
  return { issuedAt, offsets };
}

function varint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value}`);
  let n = value;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}
