import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { fault } from '../esp/faults.js';

/**
 * Standard responses (docs/protocol.md#standard-responses): one file per response in `TEMPLATES_DIR`, named
 * `<StandardResponseId>.json`, or `.txt` for plain text. Every file is checked at start; one bad
 * file stops the start with a sentence per problem, naming the file and the JSON path.
 */

/** A WhatsApp template parameter; its fields follow the Cloud API and pass through as given. */
const whatsappParameter = z.looseObject({ type: z.string().min(1) });

const fieldCodeDefaults = z.record(z.string().regex(/^(Contact|Agent|CustomProperties|Interaction)\..+/, 'must name a field code such as Contact.FirstName'), z.string());

const notification = z.strictObject({
  contentType: z.literal('notification'),
  /** `namespace@element_name`: the approved template's name is the part after `@`. */
  id: z.string().regex(/^[^@\s]+@[a-z0-9_]+$/, 'must be namespace@element_name (lower case, digits, underscores)'),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a WhatsApp language code such as en_US'),
  header: z.array(whatsappParameter).optional(),
  body: z.array(whatsappParameter).optional(),
  buttons: z
    .array(
      z.strictObject({
        sub_type: z.enum(['url', 'quick_reply', 'copy_code', 'flow', 'catalog']),
        index: z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]),
        parameters: z.array(whatsappParameter),
      }),
    )
    .optional(),
  defaults: fieldCodeDefaults.optional(),
});

const text = z.strictObject({
  contentType: z.literal('text'),
  text: z.string().min(1),
  attachments: z.array(z.strictObject({ url: z.string().min(1), name: z.string().min(1) })).optional(),
  defaults: fieldCodeDefaults.optional(),
});

/** Apple's bubble sizes for `receivedMessage` / `replyMessage` (developer.apple.com businesschatapi/receivedmessage). */
export const BUBBLE_STYLES = ['icon', 'small', 'large'] as const;

/** A `receivedMessage` / `replyMessage` bubble; `style` defaults to `icon` when rendered. */
const bubble = z.strictObject({
  title: z.string().min(1),
  subtitle: z.string().optional(),
  style: z.enum(BUBBLE_STYLES, { error: `must be one of Apple's bubble styles: ${BUBBLE_STYLES.join(', ')}` }).optional(),
});

/** Apple refuses a rich link image over 200 kB (register.apple.com msp-rest-api type-richlink); kB read as 1000 bytes. */
export const RICH_LINK_IMAGE_MAX_BYTES = 200_000;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes a base64 string decodes to, without decoding it. */
export function base64ByteLength(data: string): number {
  return Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
}

/**
 * A URL the gateway itself fetches: the scheme and host are the template's own words, so no invite's
 * field values can point the gateway at another (an internal) address.
 */
const FETCHABLE_URL = /^https?:\/\/[^/?#<\s@]+(?:[/?#]|$)/;

/**
 * A rich link image: `data` (base64, sent as is) or `url` (the Apple connector fetches and encodes it at
 * send time, as the URL may hold field codes). Apple's image asset only takes `{data, mimeType}`.
 */
const richLinkImage = z
  .strictObject({
    data: z.string().min(1).regex(BASE64, 'must be base64 (no data: prefix, no line breaks)').optional(),
    url: z.string().regex(FETCHABLE_URL, 'must be an http(s) URL whose host is written out: field codes may fill its path or query, never its host, since the gateway fetches it').optional(),
    mimeType: z.string().regex(/^image\/[A-Za-z0-9.+-]+$/, 'must be an image MIME type such as image/png'),
  })
  .superRefine((image, context) => {
    if ((image.data === undefined) === (image.url === undefined)) {
      context.addIssue({ code: 'custom', message: 'give either data (base64) or url, not both and not neither' });
    } else if (image.data !== undefined && base64ByteLength(image.data) > RICH_LINK_IMAGE_MAX_BYTES) {
      context.addIssue({
        code: 'custom',
        path: ['data'],
        message: `the image is ${base64ByteLength(image.data)} bytes; Apple takes at most ${RICH_LINK_IMAGE_MAX_BYTES}`,
      });
    }
  });

const listPicker = z.strictObject({
  contentType: z.literal('listPicker'),
  title: z.string().min(1),
  subtitle: z.string().optional(),
  sections: z
    .array(
      z.strictObject({
        title: z.string().min(1),
        multipleSelection: z.boolean().optional(),
        items: z.array(z.strictObject({ identifier: z.string().min(1), title: z.string().min(1), subtitle: z.string().optional() })).min(1),
      }),
    )
    .min(1),
  receivedMessage: bubble,
  replyMessage: bubble,
  defaults: fieldCodeDefaults.optional(),
});

const timePicker = z.strictObject({
  contentType: z.literal('timePicker'),
  title: z.string().min(1),
  timezoneOffset: z.number().int(),
  timeslots: z.array(z.strictObject({ identifier: z.string().min(1), startTime: z.string().min(1), duration: z.number().int().positive() })).min(1),
  receivedMessage: bubble.optional(),
  replyMessage: bubble.optional(),
  defaults: fieldCodeDefaults.optional(),
});

const richLink = z.strictObject({
  contentType: z.literal('richLink'),
  url: z.string().min(1),
  title: z.string().min(1),
  /** Required: Apple's richLinkData.assets is, and an image rich link carries an image asset. */
  image: richLinkImage,
  defaults: fieldCodeDefaults.optional(),
});

const quickReply = z.strictObject({
  contentType: z.literal('quickReply'),
  summaryText: z.string().min(1),
  items: z.array(z.strictObject({ identifier: z.string().min(1), title: z.string().min(1) })).min(2).max(5),
  defaults: fieldCodeDefaults.optional(),
});

const standardResponseSchema = z.discriminatedUnion('contentType', [notification, text, listPicker, timePicker, richLink, quickReply]);

export type StandardResponseContent = z.output<typeof standardResponseSchema>;
export type ContentType = StandardResponseContent['contentType'];

export interface StandardResponse {
  id: string;
  file: string;
  content: StandardResponseContent;
}

export class TemplateCatalogError extends Error {
  readonly code = 'TEMPLATES.CATALOG_INVALID';

  constructor(
    readonly directory: string,
    readonly problems: string[],
  ) {
    super(`invalid standard responses in ${directory}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TemplateCatalogError';
  }
}

export class StandardResponseCatalog {
  constructor(private readonly byId: ReadonlyMap<string, StandardResponse>) {}

  /** Own ids only: `constructor` or `__proto__` are unknown ids like any other. */
  get(id: string): StandardResponse | undefined {
    return this.byId.get(id);
  }

  /** The standard response, or fault 1020 naming the id: what an invite or a campaign naming it is answered. */
  require(id: string): StandardResponse {
    const standardResponse = this.byId.get(id);
    if (!standardResponse) throw fault('unknownStandardResponse', `StandardResponseId "${id}" is not a known standard response`);
    return standardResponse;
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }
}

/** A standard response id is its file name without the extension. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function loadStandardResponses(directory: string): StandardResponseCatalog {
  const problems: string[] = [];
  const byId = new Map<string, StandardResponse>();
  let files: string[];
  try {
    files = readdirSync(directory).filter((file) => ['.json', '.txt'].includes(extname(file))).sort();
  } catch (error) {
    throw new TemplateCatalogError(directory, [`cannot read the directory: ${(error as Error).message}`]);
  }
  for (const file of files) {
    const id = basename(file, extname(file));
    if (!ID_PATTERN.test(id)) {
      problems.push(`${file}: the file name is not a usable StandardResponseId (letters, digits, dot, dash, underscore)`);
      continue;
    }
    const previous = byId.get(id);
    if (previous) {
      problems.push(`${file}: StandardResponseId "${id}" is also defined by ${previous.file}; keep one file per id`);
      continue;
    }
    const content = readContent(join(directory, file), file, problems);
    if (content) byId.set(id, { id, file, content });
  }
  if (problems.length > 0) throw new TemplateCatalogError(directory, problems);
  return new StandardResponseCatalog(byId);
}

function readContent(path: string, file: string, problems: string[]): StandardResponseContent | undefined {
  const raw = readFileSync(path, 'utf8');
  if (file.endsWith('.txt')) {
    const body = raw.replace(/\r?\n$/, '');
    if (body.trim() === '') problems.push(`${file}: the text is empty`);
    return { contentType: 'text', text: body };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    problems.push(`${file}: not valid JSON (${(error as Error).message})`);
    return undefined;
  }
  const parsed = standardResponseSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      problems.push(`${file}: ${path}: ${issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message}`);
    }
    return undefined;
  }
  return parsed.data;
}
