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
  offsets: ReadonlyMap<string, readonly bigint[]>;
}

const version = 1;
const prefix = 'events.';
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The largest offset a position may hold: Kafka's own bound (a signed 64-bit offset), and the
 * largest value a 9-byte varint round-trips. A decoded token never holds more.
 */
export const maxOffset = 2n ** 63n - 1n;
/** Issue times are seconds since the epoch; beyond this (year ~36812) a token is garbage. */
const maxIssuedSeconds = 2 ** 40;

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
    let base = offsets[0] ?? 0n;
    for (const o of offsets) if (o < base) base = o;
    varint(bytes, base);
    for (const o of offsets) varint(bytes, o - base);
  }
  return Buffer.from(bytes).toString('base64url');
}

/**
 * Decodes a token made by {@link encodePosition}. Only the shape is checked here (every offset
 * at most {@link maxOffset}, a plausible issue time); whether the position fits a stream and
 * the log is `position-check.ts`'s and the resume's business.
 *
 * @throws InvalidPositionError when the token is not one (garbage, truncated, other version,
 *   an offset or issue time out of bounds).
 */
export function decodePosition(token: string): Position {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw new InvalidPositionError('not a base64url token');
  const bytes = Buffer.from(token, 'base64url');
  let at = 0;
  // Offsets are read as bigint, counts and lengths as numbers; a varint has at most 9 bytes.
  const readBig = (): bigint => {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new InvalidPositionError('truncated');
      const b = bytes[at++]!;
      n += BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
      shift += 7n;
      if (shift > 56n) throw new InvalidPositionError('number too large');
    }
  };
  const read = (): number => Number(readBig());
  if (bytes[at++] !== version) throw new InvalidPositionError('unknown version');
  const issuedSeconds = read();
  if (issuedSeconds > maxIssuedSeconds) throw new InvalidPositionError('issue time out of range');
  const issuedAt = issuedSeconds * 1000;
  const topicCount = read();
  if (topicCount > 1000) throw new InvalidPositionError('too many topics');
  const offsets = new Map<string, bigint[]>();
  for (let t = 0; t < topicCount; t++) {
    const nameHeader = read();
    const length = Math.floor(nameHeader / 2);
    if (at + length > bytes.length) throw new InvalidPositionError('truncated');
    const name = bytes.subarray(at, at + length).toString('utf8');
    at += length;
    const partitions = read();
    if (partitions > 100_000) throw new InvalidPositionError('too many partitions');
    const base = readBig();
    const list: bigint[] = [];
    for (let p = 0; p < partitions; p++) {
      const offset = base + readBig();
      if (offset > maxOffset) throw new InvalidPositionError('offset out of range');
      list.push(offset);
    }
    offsets.set(nameHeader % 2 === 1 ? `${prefix}${name}` : name, list);
  }
  if (at !== bytes.length) throw new InvalidPositionError('trailing bytes');
  return { issuedAt, offsets };
}

function varint(out: number[], value: number | bigint): void {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError(`cannot encode ${value}`);
    // Offsets are far below 2^53 in practice: the number path is the fast one.
    if (value > maxSafe) {
      let n = value;
      while (n >= 0x80n) {
        out.push(Number(n & 0x7fn) | 0x80);
        n >>= 7n;
      }
      out.push(Number(n));
      return;
    }
    value = Number(value);
  }
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value}`);
  let n = value;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}
