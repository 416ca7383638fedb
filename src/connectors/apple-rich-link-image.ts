import { LRUCache } from 'lru-cache';
import { DeliveryFailure } from './delivery-failure.js';
import { RICH_LINK_IMAGE_MAX_BYTES } from '../templates/catalog.js';
import { getCapped } from './http-post.js';

/** Apple's rich link image asset: the image itself, base64-encoded (only video assets take a URL). */
export interface ImageAsset {
  data: string;
  mimeType: string;
}

/** At most this much base64 text is kept in memory (about 75 images at Apple's 200 kB limit). */
const CACHE_MAX_CHARS = 20_000_000;
/** A changed image at the same URL is picked up after this long. */
const CACHE_TTL_MS = 15 * 60_000;

/**
 * Fetches the images of rich links whose template gives `image.url` (docs/templates.md): Apple takes
 * only `{data, mimeType}`. Fetched at send time, because the URL may hold field codes; cached by URL, so a
 * campaign with one image fetches it once. An image that is too large or not an image fails the send for
 * good (`template_rejected`); a network error or a 5xx/408/429 answer is retried.
 */
export class RichLinkImages {
  private readonly cache = new LRUCache<string, ImageAsset>({ maxSize: CACHE_MAX_CHARS, sizeCalculation: (asset) => asset.data.length || 1, ttl: CACHE_TTL_MS });
  /** Fetches under way, so concurrent sends of one image share one download. */
  private readonly pending = new Map<string, Promise<ImageAsset>>();

  constructor(private readonly maxBytes = RICH_LINK_IMAGE_MAX_BYTES) {}

  /** The MSP body with an image given by URL replaced by Apple's `{data, mimeType}`; any other body as it is. */
  async resolve(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const richLinkData = body.richLinkData as { assets?: { image?: { url?: unknown } } } | undefined;
    const url = richLinkData?.assets?.image?.url;
    if (body.type !== 'richLink' || typeof url !== 'string') return body;
    const image = await this.image(url);
    return { ...body, richLinkData: { ...richLinkData, assets: { ...richLinkData!.assets, image } } };
  }

  private async image(url: string): Promise<ImageAsset> {
    const cached = this.cache.get(url);
    if (cached) return cached;
    let download = this.pending.get(url);
    if (!download) {
      download = this.download(url).finally(() => this.pending.delete(url));
      this.pending.set(url, download);
    }
    const image = await download;
    this.cache.set(url, image);
    return image;
  }

  private async download(url: string): Promise<ImageAsset> {
    // The host only: the rest of the URL may hold customer data from field codes.
    const host = httpHost(url);
    const what = `rich link image at ${host}`;
    const answer = await getCapped(url, this.maxBytes, what);
    if (answer.status < 200 || answer.status >= 300) {
      const retryable = answer.status === 408 || answer.status === 429 || answer.status >= 500;
      throw new DeliveryFailure(retryable ? 'transient' : 'template_rejected', retryable, `${what} answered HTTP ${answer.status}`);
    }
    if (!answer.bytes) throw refused(`${what} is larger than ${this.maxBytes} bytes, Apple's limit for a rich link image`);
    const mimeType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!/^image\/[a-z0-9.+-]+$/.test(mimeType)) throw refused(`${what} is not an image (content type "${mimeType || 'none'}")`);
    if (answer.bytes.length === 0) throw refused(`${what} is empty`);
    return { data: answer.bytes.toString('base64'), mimeType };
  }
}

function httpHost(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused('the rich link image URL is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw refused('the rich link image URL is not http(s)');
  return parsed.host;
}

/** The template's image cannot be sent: trying again would fetch the same thing. */
function refused(message: string): DeliveryFailure {
  return new DeliveryFailure('template_rejected', false, message);
}
