// Diagrams and tables the notebooks show: drawn from the live catalog and the configuration.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { config } from "../../lib/config";
import { withClient } from "../../lib/db";
import { architectureDot, erdDot, renderDot } from "../../lib/diagram";
import { htmlTable } from "../../lib/display";
import { TABELAS_OLTP, diagramaER } from "../../lib/oltp";

describe("lib/diagram", () => {
  test("the ERD has a box per OLTP table and an edge per foreign key, read from PostgreSQL", async () => {
    const dot = await withClient("oltp", (client) => erdDot(client, "public", [...TABELAS_OLTP]));
    for (const table of TABELAS_OLTP) assert.match(dot, new RegExp(`^  "${table}" \\[label=`, "m"));
    const edges = dot.split("\n").filter((line) => line.includes(" -> "));
    assert.deepEqual(edges.map((e) => e.trim().split(" [")[0]).sort(), [
      '"auditoria_pedidos" -> "pedidos"',
      '"itens_pedidos" -> "pedidos"',
      '"itens_pedidos" -> "produtos"',
      '"pedidos" -> "pessoas"',
      '"produtos" -> "categorias"',
    ]);
    assert.match(dot, /PK<\/td><td align="left"><b>id<\/b>/);
  });

  test("the ERD renders to SVG with every table name", async () => {
    const svg = await diagramaER();
    assert.match(svg, /<svg /);
    for (const table of TABELAS_OLTP) assert.ok(svg.includes(`>${table}<`), table);
  });

  test("the architecture diagram shows the configured addresses", async () => {
    const cfg = config();
    const svg = await renderDot(architectureDot(cfg));
    assert.ok(svg.includes(`${cfg.oltp.host}:${cfg.oltp.port}`));
    assert.ok(svg.includes(`${cfg.connect.host}:${cfg.connect.port}`));
  });
});

describe("lib/display", () => {
  test("htmlTable escapes markup and renders booleans, dates and objects", () => {
    const html = htmlTable([{ nome: "<b>Ana</b> & cia", ok: true, quando: new Date("2026-01-02T03:04:05Z"), extra: { a: 1 } }]);
    assert.match(html, /&lt;b&gt;Ana&lt;\/b&gt; &amp; cia/);
    assert.match(html, /<td style="text-align:left">sim<\/td>/);
    assert.match(html, /2026-01-02T03:04:05\.000Z/);
    assert.match(html, /\{&quot;a&quot;:1\}/);
  });

  test("htmlTable keeps the requested column order and an empty table renders", () => {
    const html = htmlTable([{ b: 2, a: 1 }], ["a", "b"]);
    assert.ok(html.indexOf(">a<") < html.indexOf(">b<"));
    assert.match(htmlTable([]), /<table>/);
  });
});
