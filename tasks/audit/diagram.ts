/**
 * The path a run took through its state machine, drawn as SVG from the definition (every top-level state and
 * transition: Next, Default, Choices, Catch) and the run (states entered, transitions taken).
 *
 * Layout: one row per state, in the order a reader follows the definition — depth first along Next, Choices
 * and Default from StartAt, so the happy path reads top to bottom; Catch targets (the failure path) come
 * after. A transition to the next row is a short vertical line; any other is an arc on the right whose
 * width grows with the distance it spans. Taken states and transitions are drawn strong; the rest faint.
 *
 * Hand-written rather than a graph library: the layout needs no crossing minimisation (one column, arcs on
 * one side), and the report must stay one file with no script, which rules out browser-side renderers
 * (Mermaid, Graphviz-wasm); the markup is built with Hono's escaping `html` template like the approval pages.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

interface AslState {
  Type?: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next?: string }[];
  Catch?: { Next?: string }[];
}

export interface Edge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'catch';
}

/** States in reading order, and every transition of a definition's top level. */
export function graphOf(definition: string): { order: string[]; edges: Edge[]; types: Record<string, string> } {
  const parsed = JSON.parse(definition) as { StartAt?: string; States?: Record<string, AslState> };
  const states = parsed.States ?? {};
  const edges: Edge[] = [];
  for (const [name, state] of Object.entries(states)) {
    if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next' });
    for (const choice of state.Choices ?? []) if (choice.Next) edges.push({ from: name, to: choice.Next, kind: 'choice' });
    if (state.Default) edges.push({ from: name, to: state.Default, kind: 'choice' });
    for (const c of state.Catch ?? []) if (c.Next) edges.push({ from: name, to: c.Next, kind: 'catch' });
  }
  // States from which a Succeed state can be reached: the happy path. The rest (the failure path and the
  // branches into it) are laid out after it, so the successful route reads straight down.
  const succeeds = new Set(Object.entries(states).filter(([, s]) => s.Type === 'Succeed').map(([n]) => n));
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of edges) {
      if (succeeds.has(e.to) && !succeeds.has(e.from)) {
        succeeds.add(e.from);
        grew = true;
      }
    }
  }
  const order: string[] = [];
  const placed = new Set<string>();
  const visit = (start: string | undefined, onlyHappy: boolean) => {
    // An explicit stack keeps deep definitions off the call stack.
    const stack = start ? [start] : [];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (placed.has(current) || !(current in states) || (onlyHappy && !succeeds.has(current))) continue;
      placed.add(current);
      order.push(current);
      const forward = edges.filter((e) => e.from === current && e.kind !== 'catch').map((e) => e.to);
      // Next first (pushed last): the line continues directly below.
      for (const to of forward.reverse()) stack.push(to);
    }
  };
  visit(parsed.StartAt, true);
  // Then each branch off the happy path, in the order the happy path leaves it, then anything unreachable.
  for (const name of [...order]) for (const e of edges.filter((x) => x.from === name)) visit(e.to, false);
  for (const name of Object.keys(states)) visit(name, false);
  const types = Object.fromEntries(Object.entries(states).map(([n, s]) => [n, s.Type ?? '']));
  return { order, edges, types };
}

const ROW = 30;
const NODE_W = 250;
const NODE_H = 22;
const LEFT = 10;
const TOP = 10;

export interface RunPath {
  visited: ReadonlySet<string>;
  taken: ReadonlySet<string>;
  /** States whose task failed in this run (retried or caught); drawn red when the run left them by a Catch. */
  failed: ReadonlySet<string>;
  /** The state the run ended in. */
  last?: string;
}

export const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;

export function stateMachineSvg(definition: string, run: RunPath): HtmlEscapedString {
  const { order, edges, types } = graphOf(definition);
  const row = new Map(order.map((name, i) => [name, i]));
  const y = (name: string) => TOP + row.get(name)! * ROW;
  const maxSpan = Math.max(1, ...edges.map((e) => Math.abs((row.get(e.to) ?? 0) - (row.get(e.from) ?? 0))));
  const arcRoom = 40 + Math.min(maxSpan * 6, 260);
  const width = LEFT + NODE_W + arcRoom + 20;
  const height = TOP + order.length * ROW + 10;

  const paths = edges
    .filter((e) => row.has(e.from) && row.has(e.to))
    .sort((a, b) => Number(run.taken.has(edgeKey(a.from, a.to))) - Number(run.taken.has(edgeKey(b.from, b.to))))
    .map((e) => {
      const taken = run.taken.has(edgeKey(e.from, e.to));
      const cls = `edge ${e.kind}${taken ? ' taken' : ''}`;
      const fromY = y(e.from) + NODE_H;
      const toY = y(e.to);
      if (row.get(e.to)! === row.get(e.from)! + 1) {
        const x = LEFT + NODE_W / 2;
        return html`<path class="${cls}" d="M${x} ${fromY} L${x} ${toY}" marker-end="url(#arrow${taken ? '-taken' : ''})"/>`;
      }
      const span = Math.abs(row.get(e.to)! - row.get(e.from)!);
      const x = LEFT + NODE_W;
      const bulge = x + 16 + Math.min(span * 6, 260);
      const y1 = y(e.from) + NODE_H / 2;
      const y2 = y(e.to) + NODE_H / 2;
      return html`<path class="${cls}" d="M${x} ${y1} C${bulge} ${y1} ${bulge} ${y2} ${x + 4} ${y2}" marker-end="url(#arrow${taken ? '-taken' : ''})"/>`;
    });

  const caughtIn = new Set(edges.filter((e) => e.kind === 'catch' && run.taken.has(edgeKey(e.from, e.to))).map((e) => e.from));
  const nodes = order.map((name) => {
    const state = run.failed.has(name) && (caughtIn.has(name) || run.last === name) ? 'failed' : run.visited.has(name) ? 'visited' : 'skipped';
    const label = name.length > 34 ? `${name.slice(0, 33)}…` : name;
    return html`<g class="node ${state}${run.last === name ? ' last' : ''}"><title>${name} (${types[name]})${state === 'skipped' ? ' — not entered in this run' : ''}</title><rect x="${LEFT}" y="${y(name)}" width="${NODE_W}" height="${NODE_H}" rx="${types[name] === 'Choice' ? 11 : 4}"/><text x="${LEFT + 8}" y="${y(name) + 15}">${label}</text><text class="type" x="${LEFT + NODE_W - 6}" y="${y(name) + 15}" text-anchor="end">${types[name]}</text></g>`;
  });

  return html`<svg xmlns="http://www.w3.org/2000/svg" class="state-machine" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Path of the run through the state machine">
<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0 L8 4 L0 8 z" fill="#bbb"/></marker><marker id="arrow-taken" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0 L8 4 L0 8 z" fill="#1565c0"/></marker></defs>
${paths}
${nodes}
</svg>` as HtmlEscapedString;
}

/** CSS for the diagram (inlined by the HTML report). */
export const DIAGRAM_STYLE = `
.state-machine .edge{fill:none;stroke:#ccc;stroke-width:1}
.state-machine .edge.catch{stroke-dasharray:4 3}
.state-machine .edge.taken{stroke:#1565c0;stroke-width:2.2}
.state-machine .node rect{fill:#f6f6f6;stroke:#bbb}
.state-machine .node text{font:12px system-ui,sans-serif;fill:#999}
.state-machine .node .type{font-size:10px}
.state-machine .node.visited rect{fill:#e3f2e5;stroke:#2e7d32}
.state-machine .node.visited text{fill:#1b1b1b}
.state-machine .node.failed rect{fill:#fde7e7;stroke:#c62828}
.state-machine .node.failed text{fill:#8e0000}
.state-machine .node.last rect{stroke-width:3}
`;
