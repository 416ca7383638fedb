import { describe, expect, it } from 'vitest';
import { scriptSignature } from '../../src/redis/script-signature.js';
import * as sessionScripts from '../../src/sessions/scripts.js';

describe('Lua script signatures: keys and arguments by name', () => {
  const signature = scriptSignature(['sessionKey', 'historyKey'] as const, ['at', 'sessionId'] as const);

  it('names each key and argument in the Lua prologue at its position', () => {
    expect(signature.numberOfKeys).toBe(2);
    expect(signature.prologue).toBe('local sessionKey = KEYS[1]\nlocal historyKey = KEYS[2]\nlocal at = ARGV[1]\nlocal sessionId = ARGV[2]\n');
  });

  it('encodes a call by name into the positions the script reads, whatever order the caller wrote', () => {
    expect(signature.encode({ historyKey: 'h', sessionKey: 's' }, { sessionId: 'id', at: 7 })).toEqual(['s', 'h', 7, 'id']);
  });

  it('leaves no session script reading KEYS[n] or ARGV[n] outside its prologue', () => {
    const scripts = Object.entries(sessionScripts).filter(([name, value]) => typeof value === 'string' && /^[A-Z_]+$/.test(name) && (value as string).includes('redis.call'));
    const signed = ['CREATE_SESSION', 'CONFIRM_SESSION', 'WITHDRAW_SESSION', 'TRANSITION', 'CLAIM_FOR_SEND'];
    for (const name of signed) {
      const script = sessionScripts[name as keyof typeof sessionScripts] as string;
      const prologue = (sessionScripts[`${name}_SIGNATURE` as keyof typeof sessionScripts] as { prologue: string }).prologue;
      expect(script, name).toContain(prologue);
      expect(script.replace(prologue, ''), `${name} counts positions`).not.toMatch(/\b(KEYS|ARGV)\[\d+\]/);
    }
    expect(scripts.map(([name]) => name)).toEqual(expect.arrayContaining(signed));
  });
});
