import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_RENDERED_CHARS, renderEmail, renderSms, sampleRenderContext, validateTemplate } from '../../lib/touches/render.ts';

const ctx = sampleRenderContext('en');
const passwd = (() => {
  try {
    return readFileSync('/etc/passwd', 'utf8').split('\n')[0] ?? 'root:';
  } catch {
    return 'root:';
  }
})();
const pkg = readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8');
const tryRender = (sms: string): string => {
  try {
    return renderSms(sms, ctx).text;
  } catch (e) {
    return `ERROR ${(e as Error).message}`;
  }
};

describe('templates read their variables and nothing else', () => {
  it.each([
    `{% include '/etc/passwd' %}`,
    `{% include '../../../../../etc/passwd' %}`,
    `{% include 'package.json' %}`,
    `{% render 'package.json' %}`,
    `{% layout 'package.json' %}x`,
    `{% liquid\n include 'package.json'\n %}`,
    `{% capture x %}{% include 'package.json' %}{% endcapture %}{{ x }}`,
  ])('%s fails validation and never reads a file', (source) => {
    const errors = validateTemplate({ sms: source }, 'en');
    expect(errors.join('\n')).toMatch(/\{% (include|render|layout) %\} is not allowed: a template cannot read other templates or files/);
    const out = tryRender(source);
    expect(out).toMatch(/^ERROR /);
    expect(out).not.toContain('"name": "moments"');
    expect(out).not.toContain(passwd);
    expect(pkg).toContain('"name": "moments"'); // the marker exists: the check above could have failed
  });

  it('the email parts are held to the same rule', () => {
    const errors = validateTemplate({ email: { subject: 'Hi', html: `<p>{% include 'package.json' %}</p>`, text: 'x' } }, 'en');
    expect(errors.join('\n')).toContain('email.html: {% include %} is not allowed');
    expect(() => renderEmail({ subject: 'Hi', html: '<p>x</p>', text: `{% render 'package.json' %}` }, ctx)).toThrow(/not allowed/);
  });

  it.each([
    ['{{ customer.__proto__ }}', 'customer.__proto__'],
    ['{{ customer.constructor }}', 'customer.constructor'],
    ['{{ customer.constructor.name }}', 'customer.constructor'],
    ['{{ customer.hasOwnProperty }}', 'customer.hasOwnProperty'],
    ['{{ customer.toString }}', 'customer.toString'],
    ['{{ customer.name.constructor.name }}', 'customer.name.constructor'],
    ['{{ points.expiring.constructor }}', 'points.expiring.constructor'],
    ['{{ process.env.HOME }}', 'process'],
    ['{{ globalThis }}', 'globalThis'],
    ['{{ global.process }}', 'global'],
    ['{{ require }}', 'require'],
  ])('%s renders nothing (own properties only) and is an undefined variable at validation', (source, path) => {
    expect(tryRender(`[${source}]`)).toBe('[]');
    expect(validateTemplate({ sms: `x ${source}` }, 'en')).toContain(`sms: undefined variable "${path}" (line 1, col ${3 + source.indexOf(path)})`);
  });

  it('filters cannot reach prototypes either; unknown filters are errors', () => {
    expect(tryRender('[{{ customer | map: "constructor" | first }}]')).toBe('[]');
    expect(tryRender('[{{ points.expiring | map: "constructor" | map: "name" | join: "" }}]')).toBe('[]');
    expect(tryRender('[{{ points.expiring | where: "constructor" | size }}]')).toBe('[0]');
    expect(validateTemplate({ sms: '{{ "" | constructor }}' }, 'en')).toEqual(['sms: unknown filter "constructor" (line 1, col 1)']);
    expect(tryRender('{{ "x" | eval }}')).toMatch(/^ERROR sms: unknown filter "eval"/);
  });

  it('a render is bounded in memory, output size and time', () => {
    expect(tryRender('{% for i in (1..100000000) %}{% endfor %}done')).toMatch(/^ERROR sms: memory alloc limit exceeded/);
    expect(tryRender('{% for i in (1..400) %}{% for j in (1..400) %}x{% endfor %}{% endfor %}')).toBe(
      `ERROR sms: renders 160000 characters, more than ${MAX_RENDERED_CHARS}`,
    );
    // 9 million iterations would take minutes; the render limit stops it (no timing asserted: it would flake).
    expect(tryRender('{% for i in (1..3000) %}{% for j in (1..3000) %}{% assign a = j | plus: 1 %}{% endfor %}{% endfor %}')).toMatch(/^ERROR sms: template render limit exceeded/);
  });

  it('parsing is bounded in size', () => {
    expect(tryRender('x'.repeat(250_000))).toMatch(/^ERROR sms: .*parse length limit exceeded/);
  });
});
