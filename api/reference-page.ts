/**
 * The readable API reference at /api/docs: one static HTML page rendered on the server
 * from the OpenAPI document — operations grouped by tag, who may call each, parameters,
 * bodies and responses with their schemas, and the shared schemas at the end. No script,
 * no font, no image, nothing fetched from anywhere (the page's Content-Security-Policy
 * forbids it), so it works offline and inside a closed network.
 */

type Json = Record<string, unknown>;

const CSS = `
body{font:15px/1.5 "Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;margin:0;color:#1d2330;background:#fafafa}
header{background:#8b1a1a;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.9}main{display:flex;gap:24px;padding:0 32px 48px}
nav{position:sticky;top:0;align-self:flex-start;max-height:100vh;overflow:auto;min-width:230px;padding-top:16px;font-size:14px}
nav a{color:#1d2330;text-decoration:none;display:block;padding:1px 0}nav h3{margin:14px 0 4px;text-transform:uppercase;font-size:12px;color:#8b1a1a}
article{flex:1;min-width:0}section.op{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:16px 0;padding:12px 18px}
.m{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font-weight:600;font-size:12px;padding:2px 6px;margin-right:8px}
.get{background:#2f6fb3}.post{background:#2e8b57}.put{background:#b5762a}.patch{background:#7a5ab5}.delete{background:#b53a3a}
code,.path{font-family:"JetBrains Mono",Consolas,monospace;font-size:13px}.path{font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border-top:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;color:#666}.req{color:#b53a3a;font-size:12px}.type{color:#2f6fb3}
.schema{margin-left:14px;border-left:2px solid #eee;padding-left:10px}h2.tag{margin:28px 0 0;border-bottom:2px solid #8b1a1a}
.desc p{margin:6px 0}details summary{cursor:pointer;color:#555}`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The little markdown the descriptions use: `code` and **bold** … */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/** … in paragraphs. */
function prose(text: string | undefined): string {
  if (!text) return '';
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${inline(paragraph)}</p>`)
    .join('');
}

function refName(ref: string): string {
  return ref.split('/').pop() ?? ref;
}

function anchor(kind: string, name: string): string {
  return `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function typeOf(schema: Json): string {
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`;
  }
  if (Array.isArray(schema.enum))
    return `one of ${schema.enum.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(', ')}`;
  if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return options.map((o) => typeOf(o as Json)).join(' or ');
  }
  if (schema.type === 'array' && schema.items) return `array of ${typeOf(schema.items as Json)}`;
  const type = Array.isArray(schema.type)
    ? schema.type.join(' | ')
    : typeof schema.type === 'string'
      ? schema.type
      : 'any';
  const format = typeof schema.format === 'string' ? ` (${escapeHtml(schema.format)})` : '';
  return `${escapeHtml(type)}${format}`;
}

function constraints(schema: Json): string {
  const parts: string[] = [];
  const named: Array<[string, string]> = [
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
    ['minimum', '≥'],
    ['maximum', '≤'],
    ['exclusiveMinimum', '>'],
    ['exclusiveMaximum', '<'],
  ];
  for (const [key, label] of named) {
    const value = schema[key];
    if (typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER)
      parts.push(`${label} ${value}`);
  }
  if (schema.default !== undefined)
    parts.push(`default <code>${escapeHtml(JSON.stringify(schema.default))}</code>`);
  return parts.length ? ` <small>${parts.join(', ')}</small>` : '';
}

let shared: Record<string, Json> = {};

/** A reference at the top of a body or response shows the named schema's fields too. */
function resolved(schema: Json): { schema: Json; name: string | null } {
  if (typeof schema.$ref !== 'string') return { schema, name: null };
  const name = refName(schema.$ref);
  return { schema: shared[name] ?? schema, name };
}

/** An object's fields as a table, nested objects indented; references link to the schema list. */
function renderSchema(schema: Json, depth = 0): string {
  if (depth === 0 && typeof schema.$ref === 'string') {
    const { schema: target, name } = resolved(schema);
    const link = `<div>schema <a href="#${anchor('schema', name!)}">${escapeHtml(name!)}</a></div>`;
    return target === schema ? link : `${link}${renderSchema(target, 1)}`;
  }
  const target = schema.type === 'array' && schema.items ? (schema.items as Json) : schema;
  const properties = target.properties as Record<string, Json> | undefined;
  if (!properties || depth > 4)
    return `<div>${typeOf(schema)}${constraints(schema)}${prose(schema.description as string)}</div>`;
  const required = new Set((target.required ?? []) as string[]);
  const rows = Object.entries(properties)
    .map(([name, property]) => {
      const nested =
        (property.properties ||
          (property.type === 'array' && (property.items as Json | undefined)?.properties)) &&
        !property.$ref
          ? `<div class="schema">${renderSchema(property, depth + 1)}</div>`
          : '';
      return `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td class="type">${typeOf(property)}${constraints(property)}</td><td>${prose(property.description as string)}${nested}</td></tr>`;
    })
    .join('');
  const prefix = target === schema ? '' : '<div>array of:</div>';
  return `${prefix}<table><tr><th>field</th><th>type</th><th>meaning</th></tr>${rows}</table>`;
}

function renderOperation(path: string, method: string, op: Json): string {
  const parameters = (op.parameters ?? []) as Json[];
  const params = parameters.length
    ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>meaning</th></tr>${parameters
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(String(p.name))}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${escapeHtml(String(p.in))}</td><td class="type">${typeOf((p.schema ?? {}) as Json)}${constraints((p.schema ?? {}) as Json)}</td><td>${prose(p.description as string)}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const bodyHtml = body
    ? `<h4>Body <small>application/json</small></h4>${renderSchema((body['application/json']?.schema ?? {}) as Json)}`
    : '';
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
    .map(([status, response]) => {
      const content = response.content as Record<string, Json> | undefined;
      const [type, media] = content ? Object.entries(content)[0]! : [undefined, undefined];
      const schema = media?.schema as Json | undefined;
      const shown =
        schema && !(typeof schema.$ref === 'string' && refName(schema.$ref) === 'Problem')
          ? `<details><summary>${escapeHtml(type ?? '')}</summary>${renderSchema(schema)}</details>`
          : type
            ? ` <small>(${escapeHtml(type)})</small>`
            : '';
      return `<tr><td><code>${escapeHtml(status)}</code></td><td>${inline(String(response.description ?? ''))}${shown}</td></tr>`;
    })
    .join('');
  const id = String(op.operationId);
  return `<section class="op" id="${anchor('op', id)}">
<div><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span><span class="path">${escapeHtml(path)}</span></div>
<h3>${escapeHtml(String(op.summary ?? id))} <small><code>${escapeHtml(id)}</code></small></h3>
<div class="desc">${prose(op.description as string)}</div>${params}${bodyHtml}
<h4>Responses</h4><table>${responses}</table></section>`;
}

/** The whole page. */
export function referencePage(document: Json): string {
  const info = (document.info ?? {}) as Json;
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  const byTag = new Map<string, Array<[string, string, Json]>>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0]!;
      byTag.set(tag, [...(byTag.get(tag) ?? []), [path, method, op]]);
    }
  }
  const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  shared = schemas;
  const nav = [...byTag]
    .map(
      ([tag, ops]) =>
        `<h3>${escapeHtml(tag)}</h3>${ops
          .map(
            ([path, method, op]) =>
              `<a href="#${anchor('op', String(op.operationId))}"><code>${escapeHtml(method.toUpperCase())}</code> ${escapeHtml(path.replace('/api/v1', ''))}</a>`,
          )
          .join('')}`,
    )
    .join('');
  const body = [...byTag]
    .map(
      ([tag, ops]) =>
        `<h2 class="tag">${escapeHtml(tag)}</h2>${ops.map(([path, method, op]) => renderOperation(path, method, op)).join('')}`,
    )
    .join('');
  const schemaList = Object.entries(schemas)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, schema]) =>
        `<section class="op" id="${anchor('schema', name)}"><h3><code>${escapeHtml(name)}</code></h3>${prose(schema.description as string)}${renderSchema(schema, 1)}</section>`,
    )
    .join('');
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(String(info.title ?? 'API'))} — tài liệu API</title><style>${CSS}</style></head>
<body><header><h1>${escapeHtml(String(info.title ?? 'API'))} <small>v${escapeHtml(String(info.version ?? ''))} · OpenAPI ${escapeHtml(String(document.openapi ?? ''))}</small></h1>
<p>${escapeHtml(String(info.summary ?? ''))} — <a style="color:#fff" href="/openapi.json">openapi.json</a></p></header>
<main><nav>${nav}<h3>schemas</h3>${Object.keys(schemas)
    .sort()
    .map((name) => `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`)
    .join('')}</nav>
<article><div class="desc">${prose(info.description as string)}</div>${body}<h2 class="tag">schemas</h2>${schemaList}</article></main></body></html>`;
}

/** Nothing may be loaded from anywhere; inline styles only. */
export const REFERENCE_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
