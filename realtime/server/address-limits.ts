/**
 * Open streams per client address, bounded (pure). A slot is taken before a request is
 * authenticated, so concurrent requests from one address cannot all pass the check before any
 * of them is counted, and given back when the request is refused or its stream ends.
 */
export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Takes a slot for `address`; false (nothing taken) when it already holds `max`. */
  acquire(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  /** Gives a slot back. */
  release(address: string): void {
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }

  /** Slots held by `address`. */
  count(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Addresses holding a slot (the map never keeps an address with none). */
  get addresses(): number {
    return this.open.size;
  }
}
