import { Liquid, UndefinedVariableError, type Context, type FS, type Template } from 'liquidjs';
import { formatDateLocal, formatMoney, formatPoints, isChineseLocale, normaliseLocale, unsubscribeLabel } from './locale-format.ts';
import { measureSms, type SmsEncoding } from './sms-segments.ts';

/**
 * Message rendering for touches: Liquid templates → SMS text (with encoding and segment count) and email parts.
 *
 * Template scope: the touch's `vars` (customer, points, tier, store, campaign, deadline, ...) plus
 * `locale`, `currency`, `brand_name` and `unsubscribe_url` from the render context (these win over vars of the
 * same name). Filters: `money` (minor units → localized amount), `points` (thousands separators) and
 * `date_local` (YYYY-MM-DD → "2026年3月31日" / "31 March 2026").
 *
 * Rendering is synchronous (liquidjs sync API) and parsed templates are cached by source.
 * At send time variables are lenient (a missing value renders empty, as Liquid does), while an unknown filter
 * is always an error; `validateTemplate` is the strict check run at configuration time.
 */

export interface EmailTemplate {
  subject: string;
  html: string;
  text: string;
}

/** Liquid sources of one touch's message in one locale. */
export interface MessageTemplate {
  sms?: string;
  email?: EmailTemplate;
}

export interface RenderContext {
  /** BCP 47 tag: 'zh-CN', 'en', ... */
  locale: string;
  /** IANA zone for instants shown by `date_local`. */
  timeZone: string;
  /** ISO 4217 default currency of the `money` filter. */
  currency: string;
  brandName: string;
  unsubscribeUrl: string;
  vars: Record<string, unknown>;
}

export interface RenderedSms {
  text: string;
  encoding: SmsEncoding;
  /** Billing units: GSM-7 septets (extension characters count 2) or UCS-2 code units (emoji count 2). */
  characters: number;
  segments: number;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export type TemplatePart = 'sms' | 'email.subject' | 'email.html' | 'email.text';

/** A template that does not parse or render; the message reads `<part>: <what went wrong>`. */
export class TemplateError extends Error {
  constructor(
    readonly part: TemplatePart,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${part}: ${detail}`, options);
    this.name = 'TemplateError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Engines, filters and the parse cache

/** Per-render settings the filters need; a symbol key keeps them out of the templates' reach. */
const SETTINGS = Symbol('moments.render.settings');

interface FilterSettings {
  locale: string;
  currency: string;
  timeZone: string;
}

function settingsOf(context: Context): FilterSettings {
  const s = (context.globals as Record<symbol, FilterSettings | undefined>)[SETTINGS];
  if (!s) throw new Error('render settings missing');
  return s;
}

type FilterThis = { context: Context };

const isBlank = (v: unknown): boolean => v === undefined || v === null || v === '';

function money(this: FilterThis, value: unknown, currency?: unknown): string {
  if (isBlank(value)) return '';
  const s = settingsOf(this.context);
  return formatMoney(value, typeof currency === 'string' && currency ? currency : s.currency, s.locale);
}

function points(this: FilterThis, value: unknown): string {
  if (isBlank(value)) return '';
  return formatPoints(value, settingsOf(this.context).locale);
}

function dateLocal(this: FilterThis, value: unknown): string {
  if (isBlank(value)) return '';
  const s = settingsOf(this.context);
  return formatDateLocal(value, s.locale, s.timeZone);
}

/** Tags that read other templates from storage; a message template is self-contained, so they do not exist here. */
export const FILE_TAGS = ['include', 'render', 'layout'] as const;

/** Most characters one rendered part may have (an email beyond ~100 KB is clipped by mail clients anyway). */
export const MAX_RENDERED_CHARS = 100_000;

/** A file system with no files: should a file lookup ever be attempted, it finds nothing and reads nothing. */
const NO_FILES: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file: string) => Promise.reject(new Error(`templates cannot read files (${file})`)),
  readFileSync: (file: string): string => {
    throw new Error(`templates cannot read files (${file})`);
  },
  resolve: (_root: string, file: string) => file,
  contains: async () => false,
  containsSync: () => false,
};

/**
 * Templates come from configuration written by marketers, and render data about customers: they may read their
 * variables and nothing else. No file access (the file tags are removed, so `{% include %}` fails validation, and
 * the engine's file system has no files), own properties only (no `constructor`, `__proto__` or prototype
 * methods), no unknown filters, and bounds on what one parse or render may cost (size, time, memory).
 */
function createEngine(html: boolean): Liquid {
  const engine = new Liquid({
    strictFilters: true,
    ownPropertyOnly: true,
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
    parseLimit: 200_000,
    renderLimit: 2_000,
    memoryLimit: 10_000_000,
    ...(html ? { outputEscape: 'escape' as const } : {}),
  });
  for (const tag of FILE_TAGS) delete engine.tags[tag];
  engine.registerFilter('money', money);
  engine.registerFilter('points', points);
  engine.registerFilter('date_local', dateLocal);
  return engine;
}

/** SMS, subject and text parts: no escaping. */
const textEngine = createEngine(false);
/** HTML part: every `{{ }}` output is HTML-escaped (use `| raw` to opt out deliberately). */
const htmlEngine = createEngine(true);

const CACHE_LIMIT = 1_000;
const parsed = new Map<Liquid, Map<string, Template[]>>([
  [textEngine, new Map()],
  [htmlEngine, new Map()],
]);

function parse(engine: Liquid, source: string): Template[] {
  const cache = parsed.get(engine)!;
  let tpl = cache.get(source);
  if (tpl === undefined) {
    tpl = engine.parse(source);
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(source, tpl);
  }
  return tpl;
}

function engineFor(part: TemplatePart): Liquid {
  return part === 'email.html' ? htmlEngine : textEngine;
}

/** liquidjs messages ("undefined variable: x, line:1, col:4") made readable for a marketer. */
function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = /,\s*line:(\d+),\s*col:(\d+)\s*$/.exec(message);
  const where = at ? ` (line ${at[1]}, col ${at[2]})` : '';
  const body = at ? message.slice(0, at.index) : message;
  let m = /^undefined variable: (.+)$/.exec(body);
  if (m) return `undefined variable "${m[1]}"${where}`;
  m = /^undefined filter: (.+)$/.exec(body);
  if (m) return `unknown filter "${m[1]}"${where}`;
  m = /^tag "(include|render|layout)" not found$/.exec(body);
  if (m) return `{% ${m[1]} %} is not allowed: a template cannot read other templates or files${where}`;
  return `${body}${where}`;
}

function scopeOf(ctx: RenderContext): Record<string, unknown> {
  return {
    ...ctx.vars,
    locale: ctx.locale,
    currency: ctx.currency,
    brand_name: ctx.brandName,
    unsubscribe_url: ctx.unsubscribeUrl,
  };
}

function renderPart(part: TemplatePart, source: string, ctx: RenderContext, strictVariables = false): string {
  const engine = engineFor(part);
  let tpl: Template[];
  try {
    tpl = parse(engine, source);
  } catch (err) {
    throw new TemplateError(part, describeError(err), { cause: err });
  }
  const settings: FilterSettings = { locale: ctx.locale, currency: ctx.currency, timeZone: ctx.timeZone };
  let out: string;
  try {
    out = engine.renderSync(tpl, scopeOf(ctx), { strictVariables, globals: { [SETTINGS]: settings } }) as string;
  } catch (err) {
    throw new TemplateError(part, describeError(err), { cause: err });
  }
  if (out.length > MAX_RENDERED_CHARS) throw new TemplateError(part, `renders ${out.length} characters, more than ${MAX_RENDERED_CHARS}`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// SMS

/**
 * Renders an SMS. Leading and trailing whitespace (left by Liquid tags) is trimmed; nothing is appended.
 * Chinese SMS must start with the sender signature (签名) 【品牌】: for a `zh*` locale the prefix
 * `【${brandName}】` is added unless the text already starts with "【" (the author placed a signature).
 * The prefix counts toward the length and segments.
 */
export function renderSms(source: string, ctx: RenderContext, options: { strictVariables?: boolean } = {}): RenderedSms {
  const text = withSignature(renderPart('sms', source, ctx, options.strictVariables).trim(), ctx);
  return { text, ...measureSms(text) };
}

function withSignature(text: string, ctx: RenderContext): string {
  const brand = ctx.brandName.trim();
  if (text === '' || brand === '' || !isChineseLocale(ctx.locale) || text.startsWith('【')) return text;
  return `【${brand}】${text}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Email

/** Escaping as liquidjs's `escape` does, so a URL placed by `{{ unsubscribe_url }}` is recognised in the HTML. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

function appendHtmlFooter(html: string, ctx: RenderContext): string {
  const url = escapeHtml(ctx.unsubscribeUrl);
  const footer =
    `<p class="unsubscribe" style="margin-top:24px;font-size:12px;color:#888888">` +
    `<a href="${url}">${unsubscribeLabel(ctx.locale)}</a></p>`;
  const close = html.toLowerCase().lastIndexOf('</body');
  return close >= 0 ? `${html.slice(0, close)}${footer}\n${html.slice(close)}` : `${html.trimEnd()}\n${footer}\n`;
}

function appendTextFooter(text: string, ctx: RenderContext): string {
  const sep = isChineseLocale(ctx.locale) ? '：' : ': ';
  return `${text.trimEnd()}\n\n${unsubscribeLabel(ctx.locale)}${sep}${ctx.unsubscribeUrl}\n`;
}

/**
 * Renders an email. Variables are HTML-escaped in the html part only. Both the html and the text part always
 * carry an unsubscribe link (退订 / 退訂 / Unsubscribe → ctx.unsubscribeUrl): a localised footer is appended
 * (in HTML before `</body>` when there is one) unless that part already renders the URL, i.e. the author placed
 * `{{ unsubscribe_url }}` and it is actually output. The subject is put on one line (no header injection).
 * Throws when ctx.unsubscribeUrl is blank: no email goes out without a way to opt out.
 */
export function renderEmail(tpl: EmailTemplate, ctx: RenderContext, options: { strictVariables?: boolean } = {}): RenderedEmail {
  if (ctx.unsubscribeUrl.trim() === '') throw new Error('renderEmail: unsubscribeUrl is required for every email');
  const strict = options.strictVariables;
  const subject = renderPart('email.subject', tpl.subject, ctx, strict).replace(/\s+/g, ' ').trim();
  let html = renderPart('email.html', tpl.html, ctx, strict);
  let text = renderPart('email.text', tpl.text, ctx, strict);
  const url = ctx.unsubscribeUrl;
  if (!html.includes(url) && !html.includes(escapeHtml(url))) html = appendHtmlFooter(html, ctx);
  if (!text.includes(url)) text = appendTextFooter(text, ctx);
  return { subject, html, text };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

export interface ValidateOptions {
  /** Most segments an SMS may take with the sample data (default 3). */
  maxSmsSegments?: number;
  /** Brand name for the 【品牌】 signature; pass the configured one so the SMS length is measured truly. */
  brandName?: string;
  currency?: string;
  timeZone?: string;
  /** Extra or replacement top-level sample variables (e.g. a touch-specific `gift`). */
  vars?: Record<string, unknown>;
}

/** Representative variables for validation and previews, in the language of `locale`. */
export function sampleVars(locale: string): Record<string, unknown> {
  const zh = isChineseLocale(locale);
  const expiring = [
    { points: 1200, expiresOn: '2026-03-31' },
    { points: 300, expiresOn: '2026-06-30' },
  ];
  return {
    customer: {
      id: 'C0001234',
      name: zh ? '王小明' : 'Alexandra Chen',
      tier: zh ? '金卡' : 'Gold',
      homeStoreName: zh ? '上海静安嘉里中心店' : 'Shanghai Jing An Kerry Centre',
    },
    points: { balance: 12680, earnedThisPeriod: 860, expiring, nextExpiry: expiring[0] },
    tier: { name: zh ? '金卡' : 'Gold', reviewOn: '2026-06-30' },
    store: { name: zh ? '上海静安嘉里中心店' : 'Shanghai Jing An Kerry Centre' },
    campaign: { id: 'points-expiry-2026q1' },
    deadline: '2026-03-24',
  };
}

/** A complete render context with sample data (validation, previews). */
export function sampleRenderContext(locale: string, options: ValidateOptions = {}): RenderContext {
  return {
    locale,
    timeZone: options.timeZone ?? 'Asia/Shanghai',
    currency: options.currency ?? 'CNY',
    brandName: options.brandName ?? (isChineseLocale(locale) ? '美妆品牌' : 'Beauty Brand'),
    unsubscribeUrl: 'https://example.com/u/SAMPLE-TOKEN',
    vars: { ...sampleVars(locale), ...options.vars },
  };
}

/** Edit distance counting a swap of neighbours ("nmae") as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

function suggestion(name: string, candidates: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? `; did you mean "${best}"?` : '';
}

function pathText(segments: Array<string | number>): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * Checks a variable path (as found by static analysis, so also in branches the sample does not take) against
 * the sample scope. Returns the first undefined prefix and a "did you mean" hint, or undefined when the path resolves or
 * cannot be checked (dynamic index, sample array too short).
 */
function undefinedPrefix(segments: ReadonlyArray<unknown>, scope: Record<string, unknown>): { path: string; hint: string } | undefined {
  let cur: unknown = scope;
  const seen: Array<string | number> = [];
  for (const seg of segments) {
    if (typeof seg !== 'string' && typeof seg !== 'number') return undefined;
    seen.push(seg);
    if (cur === null || cur === undefined) return undefined;
    const key = String(seg);
    // Mirrors liquidjs's readProperty: `size` of arrays, strings and objects; `first`/`last` of arrays only.
    if (Array.isArray(cur) || typeof cur === 'string') {
      if (key === 'size') cur = cur.length;
      else if (/^-?\d+$/.test(key)) cur = cur.at(Number(key));
      else if (Array.isArray(cur) && key === 'first') cur = cur[0];
      else if (Array.isArray(cur) && key === 'last') cur = cur[cur.length - 1];
      else return { path: pathText(seen), hint: '' };
      // Beyond the sample's data: the strict render decides.
      if (cur === undefined) return undefined;
    } else if (typeof cur === 'object') {
      const obj = cur as Record<string, unknown>;
      if (Object.hasOwn(obj, key)) cur = obj[key];
      else if (key === 'size') cur = Object.keys(obj).length;
      else return { path: pathText(seen), hint: suggestion(key, Object.keys(obj)) };
    } else {
      return { path: pathText(seen), hint: '' };
    }
  }
  return undefined;
}

/**
 * Checks one locale's template before anything is sent: Liquid syntax, unknown filters, variables that the
 * sample context does not define (typos such as `custmer`, also in branches the sample does not take) and a
 * render with `strictVariables`; then SMS length with the sample data against `maxSmsSegments` (default 3) and
 * empty parts. Returns readable errors such as `sms: undefined variable "custmer" (line 1, col 4); did you mean
 * "customer"?`, or [] when the template is fine.
 */
export function validateTemplate(tpl: MessageTemplate, locale: string, options: ValidateOptions = {}): string[] {
  try {
    normaliseLocale(locale);
  } catch {
    return [`locale: not a BCP 47 language tag: "${locale}"`];
  }
  const errors = new Set<string>();
  if (tpl.sms === undefined && tpl.email === undefined) errors.add('template has neither sms nor email');
  const ctx = sampleRenderContext(locale, options);
  const scope = scopeOf(ctx);

  const check = (part: TemplatePart, source: string): string | undefined => {
    const engine = engineFor(part);
    let tpls: Template[];
    try {
      tpls = parse(engine, source);
    } catch (err) {
      errors.add(`${part}: ${describeError(err)}`);
      return undefined;
    }
    const reported = new Set<string>();
    for (const variables of Object.values(engine.analyzeSync(tpls, { partials: false }).globals)) {
      for (const v of variables) {
        const missing = undefinedPrefix(v.segments, scope);
        if (missing === undefined) continue;
        reported.add(`${v.location.row}:${v.location.col}`);
        const where = `line ${v.location.row}, col ${v.location.col}`;
        errors.add(`${part}: undefined variable "${missing.path}" (${where})${missing.hint}`);
      }
    }
    try {
      return renderPart(part, source, ctx, true);
    } catch (err) {
      const cause = err instanceof TemplateError ? err.cause : err;
      const at = /line:(\d+), col:(\d+)/.exec(cause instanceof Error ? cause.message : '');
      const already = cause instanceof UndefinedVariableError && at && reported.has(`${at[1]}:${at[2]}`);
      if (!already) errors.add(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };

  if (tpl.sms !== undefined) {
    const rendered = check('sms', tpl.sms);
    if (rendered !== undefined) {
      const text = withSignature(rendered.trim(), ctx);
      const m = measureSms(text);
      const max = options.maxSmsSegments ?? 3;
      if (m.segments === 0) errors.add('sms: renders empty text');
      else if (m.segments > max) {
        errors.add(
          `sms: ${m.segments} segments (${m.characters} ${m.encoding} characters with the sample data), at most ${max} allowed`,
        );
      }
    }
  }
  if (tpl.email !== undefined) {
    const parts: Array<[TemplatePart, string]> = [
      ['email.subject', tpl.email.subject],
      ['email.html', tpl.email.html],
      ['email.text', tpl.email.text],
    ];
    for (const [part, source] of parts) {
      const rendered = check(part, source);
      if (rendered !== undefined && rendered.trim() === '') errors.add(`${part}: renders empty`);
    }
  }
  return [...errors];
}
