/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples. */
export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const SUFFIXES: Record<MetricFamily['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`line ${line}: malformed labels {${text}}`);
    const [, name, raw] = match;
    if (name! in labels) throw new Error(`line ${line}: label ${name} repeated`);
    labels[name!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`line ${line}: bad value ${text}`);
  return value;
}

/**
 * Parses the Prometheus text format (0.0.4) strictly: every line must be a
 * comment, a `# HELP`/`# TYPE` line or a well-formed sample of a family whose
 * TYPE came first; a family is declared once; histogram buckets count up to
 * `+Inf`, which equals `_count`. Throws naming the first bad line.
 */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const bySampleName = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const [, keyword, name, ...rest] = raw.split(' ');
      if (keyword === 'HELP') {
        if (!name || !NAME.test(name)) throw new Error(`line ${line}: bad HELP`);
        helps.set(name, rest.join(' '));
      } else if (keyword === 'TYPE') {
        const type = rest[0] as MetricFamily['type'];
        if (!name || !NAME.test(name) || !(type in SUFFIXES) || rest.length !== 1) {
          throw new Error(`line ${line}: bad TYPE ${raw}`);
        }
        if (families.has(name)) throw new Error(`line ${line}: ${name} declared twice`);
        const family: MetricFamily = { name, type, help: helps.get(name) ?? '', samples: [] };
        families.set(name, family);
        for (const suffix of SUFFIXES[type]) bySampleName.set(name + suffix, family);
      }
      return;
    }
    const match = SAMPLE.exec(raw);
    if (!match) throw new Error(`line ${line}: not a sample: ${raw}`);
    const [, name, , labelText, valueText] = match;
    const family = bySampleName.get(name!);
    if (!family) throw new Error(`line ${line}: sample ${name} before its TYPE`);
    family.samples.push({
      name: name!,
      labels: parseLabels(labelText ?? '', line),
      value: parseValue(valueText!, line),
    });
  });
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le, 0), sample.value]);
    } else if (sample.name.endsWith('_count')) {
      entry.count = sample.value;
    }
    series.set(key, entry);
  }
  for (const [key, { buckets, count }] of series) {
    buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family.name}${key}: bucket counts decrease`);
    }
    const inf = buckets.at(-1);
    if (!inf || inf[0] !== Infinity || inf[1] !== count) {
      throw new Error(`${family.name}${key}: +Inf bucket does not equal _count`);
    }
  }
}

/**
 * The sum of the samples named `name` whose labels include `labels` (0 when
 * none match): e.g. a histogram's `_count` for one operation across outcomes.
 */
export function sampleSum(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
    }
  }
  return sum;
}

/** Fetches and parses a service's `/metrics`. */
export async function scrape(baseUrl: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(new URL('/metrics', baseUrl));
  if (!res.ok) throw new Error(`GET ${baseUrl}/metrics answered ${res.status}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`GET ${baseUrl}/metrics is ${type}, not the text format`);
  return parsePrometheusText(await res.text());
}
