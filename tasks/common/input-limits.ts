/**
 * Limits on execution input, checked before its schema: a person, a schedule or a script may start a run
 * with anything, and nothing malformed may reach a handler's logic, a log line or the registry. Walked
 * iteratively, so input nested thousands of levels deep is refused by name instead of overflowing the stack.
 *
 * Documented limits (README, "Execution input"):
 *   - at most 16 KiB of JSON in all (the fields are an image reference and two short texts);
 *   - nesting at most 4 levels of objects/arrays;
 *   - every string at most 1,024 characters (the fields' own limits are stricter);
 *   - no `__proto__`, `constructor` or `prototype` keys (they would reach object prototypes).
 */
export const EXECUTION_INPUT_LIMITS = {
  maxBytes: 16 * 1024,
  maxDepth: 4,
  maxStringLength: 1024,
} as const;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `value` breaks the limits, naming the field (`baseImage.amiId`), or undefined when it does not. */
export function inputLimitViolation(value: unknown, limits = EXECUTION_INPUT_LIMITS): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  let bytes = 0;
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    const where = path === '' ? 'the input' : path;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        return `${where}: a text of ${current.length} characters; at most ${limits.maxStringLength} are accepted`;
      }
      bytes += Buffer.byteLength(current) + 2;
    } else if (current !== null && typeof current === 'object') {
      if (depth >= limits.maxDepth) return `${where}: nested deeper than ${limits.maxDepth} levels`;
      const proto: unknown = Object.getPrototypeOf(current);
      if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
        return `${where}: carries an object prototype (a "__proto__" key); not accepted`;
      }
      const entries = Array.isArray(current) ? current.map((item, i) => [String(i), item] as const) : Object.entries(current);
      for (const [key, item] of entries) {
        if (!Array.isArray(current) && FORBIDDEN_KEYS.has(key)) return `${path === '' ? key : `${path}.${key}`}: the key "${key}" is not accepted`;
        bytes += Buffer.byteLength(key) + 4;
        stack.push({ value: item, path: Array.isArray(current) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`, depth: depth + 1 });
      }
    } else {
      bytes += 8;
    }
    if (bytes > limits.maxBytes) return `the input is larger than ${limits.maxBytes} bytes of JSON`;
  }
  return undefined;
}
