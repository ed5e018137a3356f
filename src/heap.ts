import v8 from 'node:v8';

/**
 * How far V8 lets the heap grow past what is live before it collects again. V8 picks that factor
 * itself, up to 4x when collections are cheap next to the allocation rate, which is what a first
 * sync does (many short-lived answers, little kept): at 10,000 calendars x 10 events the process
 * peaked at 435-440 MB of RSS although it never holds more than 110 MB of live heap (it finished,
 * same requests, under --max-old-space-size=110: peak RSS 237 MB). With the heap allowed to grow
 * 25% past the live data the same first sync peaks far lower (at 2,000 calendars: 169-174 MB
 * instead of 238-291 MB, `npm run bench:sync -- --calendars 2000 --events 10`), at the price of
 * more frequent collections. Imported first by bin.ts, before anything allocates much.
 *
 * An operator who sets the factor (or the heap's size) for the process, on the command line or in
 * NODE_OPTIONS, keeps theirs.
 */
export const HEAP_GROWING_PERCENT = 25;

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag));
if (!given) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
