import { describe, expect, it } from 'vitest';
import { scriptSignature } from '../../src/redis/script-signature.js';
import * as campaignScripts from '../../src/campaigns/scripts.js';
import * as conversationScripts from '../../src/conversations/scripts.js';
import * as messageScripts from '../../src/sessions/message-scripts.js';
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

  it('leaves no script reading KEYS[n] or ARGV[n] outside its prologue, but the two too small or variadic for names', () => {
    const modules = { ...sessionScripts, ...messageScripts, ...conversationScripts, ...campaignScripts } as Record<string, unknown>;
    const scripts = Object.entries(modules).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].includes('redis.call'));
    // CHANGE_STATE takes a variable list of states to move from; UNLOCK one key and one argument.
    const unsigned = ['CHANGE_STATE', 'UNLOCK'];
    // Snippets (NOW_MS, WITHDRAW, …) are Lua functions other scripts include: they take parameters.
    const entryPoints = scripts.filter(([name, script]) => `${name}_SIGNATURE` in modules || /\b(KEYS|ARGV)\[/.test(script));
    expect(entryPoints.map(([name]) => name).filter((name) => !(`${name}_SIGNATURE` in modules)).sort()).toEqual(unsigned);
    for (const [name, script] of entryPoints) {
      const signature = modules[`${name}_SIGNATURE`] as { prologue: string } | undefined;
      if (unsigned.includes(name)) continue;
      expect(signature, `${name} has a signature`).toBeDefined();
      expect(script, name).toContain(signature!.prologue);
      expect(script.replace(signature!.prologue, ''), `${name} counts positions`).not.toMatch(/\b(KEYS|ARGV)\[\d+\]/);
    }
    expect(entryPoints).toHaveLength(15);
  });
});
