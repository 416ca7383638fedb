/** A Redis reply that lists fields and values in turn (HGETALL, HSCAN, stream entries) as pairs. */
export function fieldPairs(flat: string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}
