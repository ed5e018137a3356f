import type { ReconcileReport } from '../findings.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderText } from './text.js';

/**
 * A reconciliation report in the format asked for. Every format renders the same
 * ReconcileReport; none adds data of its own, so they cannot disagree. JSON is the report as is
 * (documented in the README, `version: 1`).
 */

import type { ReportFormat } from './formats.js';
export { REPORT_FORMATS, type ReportFormat } from './formats.js';

export function renderReport(report: ReconcileReport, format: ReportFormat): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'csv':
      return renderCsv(report);
    case 'html':
      return renderHtml(report);
  }
}
