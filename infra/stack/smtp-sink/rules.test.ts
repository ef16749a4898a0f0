import { describe, expect, it } from 'vitest';
import { createRecipientJudge, defaultRecipientRules, parseRecipientRule } from './rules.ts';

describe('SMTP sink recipient rules', () => {
  it('rejects, defers and flakes by glob, first match wins, case-insensitive', () => {
    const judge = createRecipientJudge(defaultRecipientRules);
    expect(judge('ada@example.test')).toEqual({ action: 'accept' });
    expect(judge('Nobody@REJECT.test')).toMatchObject({ action: 'reject', code: 550 });
    expect(judge('x@busy.test')).toMatchObject({ action: 'defer', code: 451 });
    expect(judge('x@busy.test')).toMatchObject({ action: 'defer' }); // always
    expect(judge('a@flaky.test')).toMatchObject({ action: 'defer' });
    expect(judge('A@flaky.test')).toMatchObject({ action: 'defer' }); // same address, 2nd try
    expect(judge('a@flaky.test')).toEqual({ action: 'accept' });
    expect(judge('b@flaky.test')).toMatchObject({ action: 'defer' }); // counted per address
  });

  it('parses --rule values and names a bad one', () => {
    expect(parseRecipientRule('flaky:*@x.test:5')).toEqual({
      pattern: '*@x.test',
      action: 'flaky',
      failures: 5,
    });
    expect(parseRecipientRule('reject:bad.*@x.test')).toEqual({ pattern: 'bad.*@x.test', action: 'reject' });
    expect(() => parseRecipientRule('bounce:*@x')).toThrow(/bad recipient rule "bounce:\*@x"/);
    expect(() => parseRecipientRule('reject:*@x:2')).toThrow(/only flaky rules take a failure count/);
  });

  it('treats regex characters in a pattern literally', () => {
    const judge = createRecipientJudge([{ pattern: 'a+b@x.test', action: 'reject' }]);
    expect(judge('a+b@x.test').action).toBe('reject');
    expect(judge('aab@x.test').action).toBe('accept');
  });
});
