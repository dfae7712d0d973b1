/**
 * Timestamps as Step Functions reads them (Wait `Timestamp`, constant or JSONata).
 *
 * Parse an ISO-8601 extended offset date-time (`2016-03-14T01:59:00Z`, `…+02:00`, optional fraction) the way
 * Step Functions does (java.time's ISO_OFFSET_DATE_TIME): the offset is required and every field must be in
 * range. Returns epoch milliseconds, or undefined.
 */
export function parseOffsetDateTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/i.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = match[8].toUpperCase();
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 18 || Number(offset.slice(4, 6)) > 59)) return undefined;
  const when = Date.parse(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6] ?? '00'}${match[7] ? `.${match[7].slice(0, 3).padEnd(3, '0')}` : ''}${offset.length > 6 ? offset.slice(0, 6) : offset}`);
  return Number.isNaN(when) ? undefined : when;
}
