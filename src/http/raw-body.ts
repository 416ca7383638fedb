import type { Request } from 'express';

/** The raw body express.raw() read (empty when there was none). */
export function bodyOf(request: Request): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
