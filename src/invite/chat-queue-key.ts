import { CHAT_QUEUE_KEY } from '../config/schema.js';

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
