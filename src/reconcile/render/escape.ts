/**
 * Text into HTML, for element content and quoted attribute values alike. Every string of the
 * HTML report goes through here: topics and feed warnings are written by other people (an
 * invitation's sender, the platform), and a `<script>` in a topic must show as text.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  // Controls other than TAB and LF have no place in a page (a NUL, an ESC, C1): they are dropped.
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
