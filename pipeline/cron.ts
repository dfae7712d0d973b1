/**
 * EventBridge Scheduler schedule expressions: `cron(minutes hours day-of-month month day-of-week year)` and
 * `rate(value unit)`. The grammar is EventBridge's (six fields, `?`, `L`, `W`, `#`, day-of-week 1-7 = SUN-SAT),
 * which standard cron libraries do not accept, so the check is written here; the next run time for the
 * summary is computed with cron-parser after translating to its dialect.
 */
import { CronExpressionParser } from 'cron-parser';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Special tokens allowed in this field. */
  allowQuestion?: boolean;
  allowL?: boolean;
  allowW?: boolean;
  allowHash?: boolean;
}

const FIELDS: FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, allowQuestion: true, allowL: true, allowW: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, allowQuestion: true, allowL: true, allowHash: true },
  { name: 'year', min: 1970, max: 2199 },
];

export type ScheduleCheck = { ok: true; kind: 'cron' | 'rate' } | { ok: false; message: string };

function parseValue(token: string, rule: FieldRule): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= rule.min && n <= rule.max ? n : undefined;
  }
  const index = rule.names?.indexOf(token.toUpperCase()) ?? -1;
  return index >= 0 ? index + rule.min : undefined;
}

function checkItem(item: string, rule: FieldRule): string | undefined {
  const bad = `"${item}" is not valid in the ${rule.name} field (${rule.min}-${rule.max}${rule.names ? ` or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : ''})`;
  if (item === '*') return undefined;
  if (item === '?') return rule.allowQuestion ? undefined : `"?" is only allowed in day-of-month and day-of-week`;
  if (rule.allowL && item === 'L') return undefined;
  if (rule.allowW && item === 'LW') return undefined;
  if (rule.allowW && /^\d+W$/.test(item)) return parseValue(item.slice(0, -1), rule) === undefined ? bad : undefined;
  if (rule.allowL && rule.allowHash && /^\w+L$/.test(item)) return parseValue(item.slice(0, -1), rule) === undefined ? bad : undefined;
  if (rule.allowHash && item.includes('#')) {
    const [day, nth] = item.split('#');
    if (parseValue(day, rule) === undefined || !/^[1-5]$/.test(nth)) return `"${item}" is not valid in ${rule.name} (expected <day>#<1-5>)`;
    return undefined;
  }
  const [range, step] = item.split('/');
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return `"${item}" has an invalid increment in ${rule.name}`;
  if (range === '*') return step === undefined ? undefined : undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return bad;
  const values = bounds.map((b) => parseValue(b, rule));
  if (values.some((v) => v === undefined)) return bad;
  return undefined;
}

/** Check a schedule expression; the message says which field is wrong and why. */
export function checkSchedule(expression: string): ScheduleCheck {
  const rate = /^rate\((.*)\)$/.exec(expression.trim());
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1].trim());
    if (!m || Number(m[1]) < 1) return { ok: false, message: `"${expression}" is not a rate expression (rate(<n> minutes|hours|days))` };
    const singular = Number(m[1]) === 1;
    if (singular !== !m[2].endsWith('s')) {
      return { ok: false, message: `"${expression}": use "${singular ? m[2].replace(/s$/, '') : `${m[2]}s`}" with ${m[1]}` };
    }
    return { ok: true, kind: 'rate' };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) return { ok: false, message: `"${expression}" is not a schedule expression (expected cron(...) or rate(...))` };
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) {
    return { ok: false, message: `"${expression}" has ${fields.length} fields; EventBridge cron needs 6 (minutes hours day-of-month month day-of-week year)` };
  }
  for (let i = 0; i < 6; i++) {
    for (const item of fields[i].split(',')) {
      const problem = checkItem(item, FIELDS[i]);
      if (problem) return { ok: false, message: `${expression}: ${problem}` };
    }
  }
  const dom = fields[2];
  const dow = fields[4];
  if ((dom === '?') === (dow === '?')) {
    return { ok: false, message: `${expression}: exactly one of day-of-month and day-of-week must be "?"` };
  }
  return { ok: true, kind: 'cron' };
}

/** Next run after `from` for a valid cron expression in `timeZone`, if cron-parser can express it. */
export function nextRun(expression: string, timeZone: string, from: Date): Date | undefined {
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) return undefined;
  const [minutes, hours, dom, month, dow, year] = cron[1].trim().split(/\s+/);
  if (year !== '*' || /W/.test(dom)) return undefined;
  const translatedDow = dow.replace(/\d/g, (d) => String(Number(d) - 1));
  const expr = [minutes, hours, dom === '?' ? '*' : dom, month, dow === '?' ? '*' : translatedDow].join(' ');
  try {
    return CronExpressionParser.parse(expr, { tz: timeZone, currentDate: from }).next().toDate();
  } catch {
    return undefined;
  }
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
