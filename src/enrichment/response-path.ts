/** The CRM's answer as response paths see it; header names are matched case-insensitively. */
export interface EnrichmentResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A parsed `{response....}` expression: reads one value from an answer, undefined when absent. */
export interface ResponsePath {
  (response: EnrichmentResponse): string | undefined;
  /** Whether the path reads the body, so an answer that is not JSON cannot satisfy it. */
  readonly readsBody: boolean;
}

/** A `response.save` expression that cannot be parsed: a configuration mistake, found at start. */
export class ResponsePathError extends Error {
  override readonly name = 'ResponsePathError';
  readonly code = 'ENRICHMENT.RESPONSE_PATH_INVALID';
}

type Step = string | number;

const EXPRESSION = /^\{response\.(status|headers\.([^}]+)|body((?:[.[][^}]*)?))\}$/;
/** One step of a body path: `.name` (no dots or brackets in it) or `[n]`, negative counting from the end. */
const STEP = /\.([^.[\]]+)|\[(-?\d+)\]/y;

/** Parses an expression once; the returned function reads it from any number of answers. */
export function compileResponsePath(expression: string): ResponsePath {
  const match = EXPRESSION.exec(expression);
  if (!match) throw invalid(expression, 'must look like {response.body.a.b[-1]}, {response.status} or {response.headers.name}');
  if (match[1] === 'status') return Object.assign((response: EnrichmentResponse) => String(response.status), { readsBody: false });
  if (match[2] !== undefined) return headerPath(match[2]);
  const steps = parseSteps(expression, match[3] ?? '');
  return Object.assign((response: EnrichmentResponse) => textOf(walk(response.body, steps)), { readsBody: true });
}

/** One-off read; prefer `compileResponsePath` where the same expression is read again. */
export function readResponsePath(expression: string, response: EnrichmentResponse): string | undefined {
  return compileResponsePath(expression)(response);
}

function headerPath(name: string): ResponsePath {
  const wanted = name.toLowerCase();
  const read = (response: EnrichmentResponse) => {
    const key = Object.keys(response.headers).find((candidate) => candidate.toLowerCase() === wanted);
    return key === undefined ? undefined : response.headers[key];
  };
  return Object.assign(read, { readsBody: false });
}

function parseSteps(expression: string, path: string): Step[] {
  const steps: Step[] = [];
  STEP.lastIndex = 0;
  while (STEP.lastIndex < path.length) {
    const at = STEP.lastIndex;
    const step = STEP.exec(path);
    if (!step) throw invalid(expression, `cannot read the path from "${path.slice(at)}"`);
    steps.push(step[2] !== undefined ? Number(step[2]) : (step[1] as string));
  }
  return steps;
}

/** Own properties of objects and indexes of arrays only: `constructor` or `length` are not data. */
function walk(value: unknown, steps: readonly Step[]): unknown {
  let current = value;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step < 0 ? current.length + step : step];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

/** Saved values are text: scalars as written, lists and objects as their JSON, null as absent. */
function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function invalid(expression: string, problem: string): ResponsePathError {
  return new ResponsePathError(`response path ${JSON.stringify(expression)}: ${problem}`);
}
