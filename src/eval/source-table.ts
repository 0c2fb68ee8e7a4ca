import type { SourceScore } from './source-scores.js';

const COLUMNS = [
  'source',
  'system',
  'identity photos without a face',
  'pair accuracy at its threshold (ROC AUC)',
  'group faces missed (of those counted)',
  'extra faces in group photos',
  'different people of one photo called the same',
  'faces on no-face photos',
  'ms a photo',
];

/** The evaluation's table, in Markdown: a row per source and system, the baseline's row beside facegraph's. */
export function sourcesTable(rows: readonly SourceScore[]): string {
  const lines = [`| ${COLUMNS.join(' | ')} |`, `| ${COLUMNS.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const id = r.identity;
    const g = r.groups;
    const cells = [
      r.source,
      r.system,
      id ? `${id.withoutFace} of ${id.photos}` : '',
      id && id.pairs > 0 ? `${percent(id.accuracy)} (${fixed(id.auc, 3)}) of ${id.pairs}` : '',
      g ? `${g.missed} of ${g.expected}` : '',
      g ? `${g.extra}` : '',
      g
        ? `${g.calledSame} of ${g.samePhotoPairs}${g.poorFaces > 0 ? ` (${g.calledSameGood} without a poor face; ${g.poorFaces} poor faces)` : ''}`
        : '',
      r.noface ? `${r.noface.faces} (${r.noface.photos} photos)` : '',
      r.photos > 0 ? `${Math.round((1000 * r.seconds) / r.photos)}` : '',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function percent(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '-';
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}
