import type { ReconcileReport } from '../findings.js';

/** Words every report format shares, so that the text, CSV and HTML reports say the same things. */

/** `2030-01-07 09:00 UTC` */
export function utcText(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** `report only`, `repair`, ... for the heading of every format. */
export function modeText(report: ReconcileReport): string {
  if (report.mode === 'report') return 'report only, nothing changed';
  const orphans = report.deleteOrphans ? ', orphans and duplicates deleted' : '';
  return report.mode === 'dry-run' ? `repair dry run: nothing changed${report.deleteOrphans ? ' (with --delete-orphans)' : ''}` : `repair${orphans}`;
}
