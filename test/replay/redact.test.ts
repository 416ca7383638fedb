import { describe, expect, it } from 'vitest';
import type { EspRequest } from '../../src/esp/model.js';
import { Redactor } from '../../src/replay/redact.js';
import { maskIdentifier } from '../../src/sessions/masking.js';

const request = (clientId: string): EspRequest =>
  ({ request: { AppName: 'IVR', Service: 'ChatService', Method: 'InviteToChat', Parameters: { _umsChannel: 'whatsapp-main', _umsClientId: clientId } } }) as unknown as EspRequest;

describe('replay redaction of FaultStrings', () => {
  it("keeps the gateway's own example number in fault 1011's sentence", () => {
    const sentence = '_umsClientId is not a phone number: whatsapp needs an E.164 number such as +15551230001 (digits only, 7 to 15)';
    expect(new Redactor(request('12ab')).faultString(sentence)).toBe(sentence);
  });

  it("still masks the customer's data around it: the request's values and any other phone number or e-mail address", () => {
    const redactor = new Redactor(request('+4915112345678'));
    expect(redactor.faultString('refused +4915112345678, such as +15551230001, call +447700900123 or ana@example.com')).toBe(
      `refused ${maskIdentifier('+4915112345678')}, such as +15551230001, call ${maskIdentifier('+447700900123')} or a***@example.com`,
    );
  });
});
