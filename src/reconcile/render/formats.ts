/** The formats of a reconciliation report; a module of its own so `--help` loads no renderer. */
export const REPORT_FORMATS = ['text', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
