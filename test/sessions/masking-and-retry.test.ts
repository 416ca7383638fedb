import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/delivery/delivery-queue.js';
import { classifyWhatsAppError } from '../../src/connectors/whatsapp-error-codes.js';
import { cloneKvList } from '../../src/esp/kvlist.js';
import { maskIdentifier, maskUserData } from '../../src/sessions/masking.js';

describe('masking', () => {
  it('keeps the last four digits of a phone number and its plus sign', () => {
    expect(maskIdentifier('+15551230001')).toBe('+*******0001');
    expect(maskIdentifier('15551230001')).toBe('*******0001');
  });

  it('hides all of a very short identifier', () => {
    expect(maskIdentifier('123')).toBe('***');
  });

  it('masks contact-identification keys in user data, nested lists too, and nothing else', () => {
    const userData = cloneKvList({ PhoneNumber: '+15551230001', Note: 'call back', Inner: { ANI: '5551239999' } });
    expect(maskUserData(userData, ['PhoneNumber', 'ANI'])).toEqual({ PhoneNumber: '+*******0001', Note: 'call back', Inner: { ANI: '******9999' } });
  });
});

describe('retry policy', () => {
  const retry = { attempts: 8, baseDelayMs: 1_000, maxDelayMs: 300_000 };

  it('backs off exponentially with jitter between half and all of the step', () => {
    expect(retryDelayMs(1, retry, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, retry, undefined, () => 1)).toBe(1_000);
    expect(retryDelayMs(4, retry, undefined, () => 1)).toBe(8_000);
  });

  it('never waits longer than maxDelayMs', () => {
    expect(retryDelayMs(30, retry, undefined, () => 1)).toBe(300_000);
  });

  it("honours the provider's Retry-After when it asks for longer", () => {
    expect(retryDelayMs(1, retry, 20_000, () => 1)).toBe(20_000);
    expect(retryDelayMs(1, retry, 900_000, () => 1)).toBe(300_000);
  });

  it('classifies WhatsApp error codes as the outcome table says', () => {
    expect(classifyWhatsAppError(131026)).toEqual({ outcome: 'undeliverable', retryable: false });
    expect(classifyWhatsAppError(130429)).toEqual({ outcome: 'rate_limited', retryable: true });
    expect(classifyWhatsAppError(132001)).toEqual({ outcome: 'template_rejected', retryable: false });
    expect(classifyWhatsAppError(424242)).toEqual({ outcome: 'provider_error', retryable: true });
  });
});
