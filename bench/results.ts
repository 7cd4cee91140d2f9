import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { dirname } from 'node:path'

/** One figure. `ratio` is always oriented so that higher is better for the gateway. */
export interface ResultRow {
  name: string
  value: number
  unit: string
  baseline: number | null
  ratio: number | null
  note?: string
}

export interface ResultsFile {
  date: string
  node: string
  platform: string
  cpus: { count: number; model: string }
  settings: Record<string, number>
  ratio: string
  rows: ResultRow[]
}

export const RATIO_DEFINITION =
  'higher is better: gateway ÷ baseline for throughputs, baseline ÷ gateway for latencies'

const LOWER_IS_BETTER = 'lower is better; ratio = baseline ÷ gateway'

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** A figure with nothing to compare against. */
export function plainRow(name: string, value: number, unit: string): ResultRow {
  return { name, value: round(value, 3), unit, baseline: null, ratio: null }
}

/** A figure where more is better (throughput): ratio = gateway ÷ baseline. */
export function higherIsBetter(
  name: string,
  value: number,
  baseline: number,
  unit: string,
): ResultRow {
  return {
    name,
    value: round(value, 3),
    unit,
    baseline: round(baseline, 3),
    ratio: round(value / baseline, 3),
  }
}

/** A figure where less is better (latency): ratio = baseline ÷ gateway, so higher still wins. */
export function lowerIsBetter(
  name: string,
  value: number,
  baseline: number,
  unit: string,
): ResultRow {
  return {
    name,
    value: round(value, 3),
    unit,
    baseline: round(baseline, 3),
    ratio: round(baseline / value, 3),
    note: LOWER_IS_BETTER,
  }
}

const show = (value: number | null) => (value === null ? '—' : String(value))

export function formatTable(rows: ResultRow[]): string {
  const head = ['name', 'value', 'unit', 'baseline', 'ratio']
  const cells = rows.map((r) => [r.name, show(r.value), r.unit, show(r.baseline), show(r.ratio)])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)))
  // Text columns left, numbers right, as a reader scans them.
  const line = (c: string[]) =>
    c
      .map((cell, i) =>
        i === 0 || i === 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(head), rule, ...cells.map(line)].join('\n')
}

export function describeMachine(): Pick<ResultsFile, 'node' | 'platform' | 'cpus'> {
  const list = cpus()
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: { count: list.length, model: list[0]?.model.trim() ?? 'unknown' },
  }
}

export async function writeResults(file: string, results: ResultsFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
}
