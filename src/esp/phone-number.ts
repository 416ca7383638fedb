/** E.164-like: an optional `+`, then 7 to 15 digits, the first not 0. */
export const PHONE_NUMBER = /^\+?[1-9]\d{6,14}$/;

/**
 * The example in fault 1011's sentence: the gateway's own words, which replay redaction leaves
 * alone although it looks like a phone number (src/replay/redact.ts).
 */
export const PHONE_NUMBER_EXAMPLE_PHRASE = 'such as +15551230001';
