/**
 * Recipient rules of the local SMTP sink: which addresses it refuses, and how. They let
 * tests and demos provoke the two SMTP failures a sender must handle: a permanent
 * rejection (5xx: give up, dead-letter) and a transient one (4xx: try again later).
 */

/** What the sink answers to `RCPT TO` for an address. */
export type RecipientVerdict =
  | { action: 'accept' }
  | { action: 'reject'; code: 550; message: string }
  | { action: 'defer'; code: 451; message: string };

/** One rule: a glob over the address (`*` matches any run of characters), case-insensitive. */
export interface RecipientRule {
  pattern: string;
  /** `reject`: 550 always. `defer`: 451 always. `flaky`: 451 for the first `failures` tries of each address. */
  action: 'reject' | 'defer' | 'flaky';
  /** For `flaky`: how many times each address is deferred before it is accepted (default 2). */
  failures?: number;
}

/** The rules the local stack starts the sink with. */
export const defaultRecipientRules: readonly RecipientRule[] = [
  { pattern: '*@reject.test', action: 'reject' },
  { pattern: '*@busy.test', action: 'defer' },
  { pattern: '*@flaky.test', action: 'flaky', failures: 2 },
];

/**
 * Parses `--rule` values: `reject:*@reject.test`, `defer:*@busy.test`, `flaky:*@flaky.test:2`.
 *
 * @throws Error naming the bad value.
 */
export function parseRecipientRule(text: string): RecipientRule {
  const m = /^(reject|defer|flaky):([^:\s]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) {
    throw new Error(
      `bad recipient rule "${text}": expected reject:<glob>, defer:<glob> or flaky:<glob>[:<failures>]`,
    );
  }
  const [, action, pattern, failures] = m as unknown as [string, RecipientRule['action'], string, string?];
  if (failures !== undefined && action !== 'flaky') {
    throw new Error(`bad recipient rule "${text}": only flaky rules take a failure count`);
  }
  return failures === undefined ? { pattern, action } : { pattern, action, failures: Number(failures) };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/**
 * Compiles rules into a judge of recipients. The first matching rule wins. `flaky` keeps
 * a per-address count of tries in memory (a sink restart starts over).
 *
 * @example
 * const judge = createRecipientJudge(defaultRecipientRules);
 * judge('x@reject.test'); // { action: 'reject', code: 550, … }
 */
export function createRecipientJudge(rules: readonly RecipientRule[]): (address: string) => RecipientVerdict {
  const compiled = rules.map((r) => ({ ...r, re: globToRegExp(r.pattern) }));
  const tries = new Map<string, number>();
  return (address) => {
    const rule = compiled.find((r) => r.re.test(address));
    if (!rule) return { action: 'accept' };
    const why = `(sink rule ${rule.action}:${rule.pattern})`;
    if (rule.action === 'reject') {
      return { action: 'reject', code: 550, message: `5.1.1 <${address}>: mailbox unavailable ${why}` };
    }
    if (rule.action === 'flaky') {
      const key = address.toLowerCase();
      const n = (tries.get(key) ?? 0) + 1;
      tries.set(key, n);
      if (n > (rule.failures ?? 2)) return { action: 'accept' };
    }
    return { action: 'defer', code: 451, message: `4.3.0 <${address}>: try again later ${why}` };
  };
}
