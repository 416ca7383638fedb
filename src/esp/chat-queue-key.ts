/**
 * `ChatQueueKey`, the ESP parameter naming the chat queue a session opens in: `<tenant-id>:<chat endpoint name>`,
 * e.g. `1:session-WA-inbound`. It lives with the ESP vocabulary, the lowest folder, because the configuration
 * (a channel's `inboundRouteByCall`), the invite's validation and the delivery worker all read it.
 */
export const CHAT_QUEUE_KEY = /^(\d+):([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

/** `ChatQueueKey` split into its parts: `1:session-WA-sendSR` is tenant 1, endpoint `session-WA-sendSR`. */
export interface ChatQueueRef {
  tenant: number;
  endpoint: string;
}

export function isChatQueueKey(value: string): boolean {
  return CHAT_QUEUE_KEY.test(value);
}

/** Parses a key already validated with `isChatQueueKey`. */
export function parseChatQueueKey(value: string): ChatQueueRef {
  const match = CHAT_QUEUE_KEY.exec(value);
  if (!match) throw new Error(`not a chat queue key: ${value}`);
  return { tenant: Number(match[1]), endpoint: match[2] as string };
}
