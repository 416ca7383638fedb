import { describe, expect, it } from 'vitest';
import { forEachPaced } from '../../src/replay/run-replay.js';

describe('replaying at a pace', () => {
  it('lets the requests in flight end before it throws when reading the next one fails (a log replaced mid-replay)', async () => {
    async function* items() {
      yield 1;
      yield 2;
      throw new Error('server.log was replaced or removed after it was read: run the replay again');
    }
    const ended: number[] = [];
    const task = async (item: number) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      ended.push(item);
    };
    await expect(forEachPaced(items(), { rate: 1000, concurrency: 4 }, task)).rejects.toThrow('server.log was replaced');
    // The report is written after this returns: no answer may come in after that.
    expect(ended).toEqual([1, 2]);
  });
});
