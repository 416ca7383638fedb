import { describe, expect, it } from 'vitest';
import { base62, SESSION_ID_PATTERN, SessionIdGenerator } from '../../src/sessions/session-id.js';

describe('session ids', () => {
  it('look like Genesys interaction ids: 16 characters of [0-9A-Za-z]', () => {
    const id = new SessionIdGenerator(7).next();
    expect(id).toMatch(SESSION_ID_PATTERN);
  });

  it('sort as strings in creation order, also within one millisecond', () => {
    let now = 1_795_000_000_000;
    const generator = new SessionIdGenerator(1, () => now);
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) {
      if (i % 100 === 0) now += 1;
      ids.push(generator.next());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when the clock steps back, then ids still never repeat nor go backwards', () => {
    const times = [2_000, 2_000, 1_000, 1_500, 2_001];
    const generator = new SessionIdGenerator(3, () => times.shift() ?? 3_000);
    const ids = Array.from({ length: 6 }, () => generator.next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('differ between two processes in the same millisecond (node numbers differ)', () => {
    const now = () => 5_000;
    const a = new SessionIdGenerator(1, now).next();
    const b = new SessionIdGenerator(2, now).next();
    expect(a).not.toBe(b);
    expect(a.slice(0, 8)).toBe(b.slice(0, 8));
  });

  it('encode fixed-width base 62 in ASCII order', () => {
    expect(base62(0, 3)).toBe('000');
    expect(base62(61, 2)).toBe('0z');
    expect(base62(62, 2)).toBe('10');
  });
});
