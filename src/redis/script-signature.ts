/**
 * A Lua script's KEYS and ARGV declared by name, in the order the script receives them: the one
 * place that order is written. The script reads them through `prologue` (`local sessionKey =
 * KEYS[1]` …) and callers pass them by name through `encode`, so no caller counts positions.
 */
export function scriptSignature<K extends string, A extends string>(keyNames: readonly K[], argNames: readonly A[]) {
  const locals = [...keyNames.map((name, index) => `local ${name} = KEYS[${index + 1}]`), ...argNames.map((name, index) => `local ${name} = ARGV[${index + 1}]`)];
  return {
    numberOfKeys: keyNames.length,
    prologue: `${locals.join('\n')}\n`,
    encode(keys: Readonly<Record<K, string>>, args: Readonly<Record<A, string | number>>): Array<string | number> {
      return [...keyNames.map((name) => keys[name]), ...argNames.map((name) => args[name])];
    },
  };
}
