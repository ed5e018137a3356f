/**
 * Event bodies as Exchange keeps them. event-get.md: "Currently, this operation returns event
 * bodies in only HTML format" unless `Prefer: outlook.body-content-type="text"` asks for text.
 * A body written as text, or as an HTML fragment, comes back as a whole HTML document: Microsoft's
 * samples return `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" …>\r\n</head>\r\n<body>\r\n…`
 * for a body that was posted as a fragment (event-recurring-seriesmaster.json,
 * event-online-meeting-created.json). So a client never reads back the exact bytes it wrote.
 */

const HEAD = '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n';
const TAIL = '\r\n</body>\r\n</html>\r\n';

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** What Exchange stores for a written body: always an HTML document. */
export function storedHtml(contentType: 'html' | 'text', content: string): string {
  if (content === '') return '';
  if (contentType === 'text') {
    const lines = content.split(/\r?\n/).map((line) => `<div>${line === '' ? '<br>' : escapeHtml(line)}</div>`);
    return `${HEAD}${lines.join('\r\n')}${TAIL}`;
  }
  return /<html[\s>]/i.test(content) ? content : `${HEAD}${content}${TAIL}`;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** The text rendering of a stored body (for bodyPreview and the text preference). */
export function htmlToText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(div|p|li|tr|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
      const lower = name.toLowerCase();
      if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
      if (lower.startsWith('#') && lower !== '#39') return String.fromCodePoint(Number(lower.slice(1)));
      return ENTITIES[lower] ?? whole;
    })
    .replace(/\r/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .replace(/\n/g, '\r\n');
}

/** bodyPreview: "The preview of the message associated with the event. It is in text format." (255 chars) */
export function bodyPreview(html: string): string {
  return htmlToText(html).slice(0, 255);
}
