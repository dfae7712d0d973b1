/** Lists kept in firing order, shared by the clock's timers and the simulated world's transitions. */

/** Something due at a time, with a sequence number that orders items due at the same time (creation order). */
export interface Ordered {
  seq: number;
}

/**
 * Insert `item` into `list`, kept sorted by (`dueOf`, `seq`), by binary search: items are always taken from the
 * front, so a sorted array beats a heap at the sizes seen here.
 */
export function insertOrdered<T extends Ordered>(list: T[], item: T, dueOf: (entry: T) => number): void {
  const due = dueOf(item);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const entry = list[mid];
    const entryDue = dueOf(entry);
    if (entryDue < due || (entryDue === due && entry.seq < item.seq)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}
