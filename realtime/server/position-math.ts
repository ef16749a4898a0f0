/** A position as the hub and resumes handle it: topic → next offset per partition. */
export type Offsets = Map<string, bigint[]>;

/** A deep copy (the lists are mutable). */
export function copyOffsets(offsets: ReadonlyMap<string, readonly bigint[]>): Offsets {
  return new Map([...offsets].map(([t, list]) => [t, [...list]]));
}

/**
 * `offsets` raised to `floor` partition by partition (a floor is sparse: only the partitions
 * where a client is ahead of the node). Returns a new map; lists without a floor are shared.
 */
export function raisedTo(
  offsets: ReadonlyMap<string, readonly bigint[]>,
  floor: ReadonlyMap<string, readonly bigint[]> | undefined,
): Offsets {
  const out: Offsets = new Map();
  for (const [t, list] of offsets) {
    const f = floor?.get(t);
    out.set(t, f ? list.map((o, i) => (f[i] !== undefined && f[i]! > o ? f[i]! : o)) : (list as bigint[]));
  }
  return out;
}
