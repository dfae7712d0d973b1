/**
 * EventBridge event patterns, the subset the stacks use (EventBridge user guide, "Event patterns" and
 * "Content filtering"): a pattern is an object whose leaves are arrays of allowed values; an event matches
 * when every field the pattern names matches. A leaf array matches when the event's value (or, for an array
 * value, any of its elements) equals one of its literal values or satisfies one of its filter objects:
 * `{prefix}`, `{suffix}`, `{exists}`, `{"anything-but": value | [values]}`, `{equals-ignore-case}`.
 * Written here because no maintained package implements EventBridge matching for Node; an unsupported filter
 * throws instead of silently matching.
 */
import type { Json } from '../engine/asl';

type Value = Json | undefined;

function matchesFilter(filter: Record<string, Json>, value: Value, present: boolean): boolean {
  const [[kind, operand]] = Object.entries(filter);
  switch (kind) {
    case 'exists':
      return operand === present;
    case 'prefix':
      return typeof value === 'string' && typeof operand === 'string' && value.startsWith(operand);
    case 'suffix':
      return typeof value === 'string' && typeof operand === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return present && !excluded.some((e) => e === value);
    }
    default:
      throw new Error(`EventBridge content filter "${kind}" is not supported by the local event router`);
  }
}

function leafMatches(allowed: Json[], value: Value, present: boolean): boolean {
  const candidates: Value[] = Array.isArray(value) ? value : [value];
  return allowed.some((entry) => {
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) return matchesFilter(entry, value, present);
    return present && candidates.some((c) => c === entry);
  });
}

/** True when `event` matches `pattern`. */
export function matchesEventPattern(pattern: Json, event: Json): boolean {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) throw new Error('an event pattern must be an object');
  const source = event !== null && typeof event === 'object' && !Array.isArray(event) ? event : {};
  return Object.entries(pattern).every(([key, expected]) => {
    const present = Object.prototype.hasOwnProperty.call(source, key);
    const value = present ? source[key] : undefined;
    if (Array.isArray(expected)) return leafMatches(expected, value, present);
    return matchesEventPattern(expected, value ?? null);
  });
}
