import Mustache from 'mustache';
import { EspFault } from '../esp/faults.js';
import { getEntry, isKvList, type KvList, type KvValue } from '../esp/kvlist.js';
import type { RenderContext } from './types.js';

/**
 * Field codes `<$Object.Property$>` (docs/protocol.md#field-codes), rendered with mustache using `<$ $>` as tags
 * and no HTML escaping. Names are resolved here, not by mustache's own lookup, which walks
 * prototypes (`constructor`) and splits `AttachedData('a.b')` at its dots: only the request's own
 * keys resolve. A value is inserted as text and never parsed again.
 */
const TAGS: [string, string] = ['<$', '$>'];
const writer = new Mustache.Writer();
const NO_ESCAPING = { escape: (text: string) => text };
const ATTACHED_DATA = /^AttachedData\((["'])(.*)\1\)$/s;

/** Renders the field codes of one string; throws 1021 naming the first field code with no value. */
export function renderFieldCodes(template: string, context: RenderContext, defaults: Readonly<Record<string, string>> = {}): string {
  if (!template.includes('<$')) return template;
  const lookups = new FieldCodeContext(context, defaults);
  const tokens = writer.parse(template, TAGS);
  const rendered = writer.renderTokens(tokens as string[][], lookups, undefined, template, NO_ESCAPING);
  if (lookups.missing) throw new MissingFieldCode(lookups.missing);
  return rendered;
}

/** Fault 1021 for a field code with no value; `fieldCode` names it (`CustomProperties.OrderId`). */
export class MissingFieldCode extends EspFault {
  constructor(readonly fieldCode: string) {
    super('renderingFailed', `field code <$${fieldCode}$> has no value`);
  }
}

class FieldCodeContext extends Mustache.Context {
  /** The first field code that had no value, if any. */
  missing: string | undefined;

  constructor(
    private readonly render: RenderContext,
    private readonly defaults: Readonly<Record<string, string>>,
  ) {
    super({});
  }

  override lookup(name: string): string | undefined {
    const value = resolveFieldCode(name.trim(), this.render) ?? ownDefault(this.defaults, name.trim());
    if (value === undefined) this.missing ??= name.trim();
    return value;
  }
}

function ownDefault(defaults: Readonly<Record<string, string>>, name: string): string | undefined {
  const value = Object.hasOwn(defaults, name) ? defaults[name] : undefined;
  return value === '' ? undefined : value;
}

/** The value of one field code, or undefined when it has none (missing, empty or a list). */
export function resolveFieldCode(name: string, context: RenderContext): string | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const object = name.slice(0, dot);
  const property = name.slice(dot + 1);
  switch (object) {
    case 'Contact':
      return contactField(property, context);
    case 'Agent':
      return personField(context.agent, property);
    case 'CustomProperties':
      return textOf(getEntry(context.customProperties, property));
    case 'Interaction':
      return interactionField(property, context);
    default:
      return undefined;
  }
}

function contactField(property: string, context: RenderContext): string | undefined {
  const given = personField(context.contact, property);
  if (given !== undefined) return given;
  // On phone channels the customer's number is the client id itself.
  if (property === 'PrimaryPhoneNumber' && context.channelType !== 'apple') return context.clientId;
  return undefined;
}

/** Contact and Agent: `FullName` is first and last name when not given. */
function personField(person: KvList, property: string): string | undefined {
  const given = textOf(getEntry(person, property));
  if (given !== undefined || property !== 'FullName') return given;
  const parts = [textOf(getEntry(person, 'FirstName')), textOf(getEntry(person, 'LastName'))].filter((part) => part !== undefined);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function interactionField(property: string, context: RenderContext): string | undefined {
  const attached = ATTACHED_DATA.exec(property);
  if (attached) return textOf(getEntry(context.attachedData, attached[2]!));
  switch (property) {
    case 'Id':
      return context.sessionId;
    case 'DateCreated':
      return context.createdAt;
    case 'ToAddress':
      return context.clientId;
    case 'FromAddress':
      return context.businessId;
    case 'Subject':
    case 'TimeZone':
      return textOf(getEntry(context.attachedData, property));
    default:
      return undefined;
  }
}

function textOf(value: KvValue | undefined): string | undefined {
  if (value === undefined || isKvList(value)) return undefined;
  const text = String(value);
  return text === '' ? undefined : text;
}
