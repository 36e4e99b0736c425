// `npm run bench -- generator`: the historical generator against the ceiling of plain COPY of
// the very same rows, pre-rendered, into an identical schema (both with every constraint live).
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { garantirRotulos, type Destino } from "../lib/carga";
import { config } from "../lib/config";
import { applySqlDir } from "../lib/db";
import { conectarOltp, garantirPessoas, gerarHistorico } from "../lib/geradores";
import { fmt } from "./comum";

const TABELAS: [schema: "oltp" | "rotulos", tabela: string][] = [
  ["oltp", "pedidos"],
  ["oltp", "itens_pedidos"],
  ["oltp", "auditoria_pedidos"],
  ["rotulos", "rotulos_fraude"],
];

/** A fresh schema with the OLTP model (same constraints as public) and the label table. */
async function schemaNovo(client: pg.Client, schema: string): Promise<Destino> {
  const s = client.escapeIdentifier(schema);
  await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s}`);
  await client.query(`SET search_path TO ${s}`);
  await applySqlDir(client, join(config().root, "postgresql-init"));
  await client.query("RESET search_path");
  const destino = { oltp: schema, rotulos: schema };
  await garantirRotulos(client, destino);
  return destino;
}

export async function benchGerador(pedidos: number, pessoas: number, lote: number | undefined): Promise<Record<string, number | string>> {
  const client = await conectarOltp();
  const dir = mkdtempSync(join(tmpdir(), "liga-bench-"));
  try {
    const gerador = await schemaNovo(client, "bench_gerador");
    const copia = await schemaNovo(client, "bench_copy");
    await garantirPessoas(pessoas, 7, gerador);
    await client.query(`INSERT INTO ${copia.oltp}.pessoas SELECT * FROM ${gerador.oltp}.pessoas`);
    console.log(`Gerando ${fmt(pedidos)} pedidos históricos para ${fmt(pessoas)} pessoas (schema bench_gerador)…`);
    const r = await gerarHistorico({ pedidos, seed: 42, destino: gerador, lote });
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(
      `  gerador: ${fmt(r.pedidos)} pedidos, ${fmt(r.itens)} itens em ${fmt(r.segundos, 1)} s → ${fmt(r.pedidosPorSegundo)} pedidos/s`,
    );

    // The very same rows, rendered by PostgreSQL itself, then loaded with plain COPY.
    for (const [, tabela] of TABELAS) {
      const colunas = tabela === "rotulos_fraude" ? "id_pedido, tipo, injetado_em" : "*";
      await pipeline(
        client.query(copyTo(`COPY (SELECT ${colunas} FROM ${gerador.oltp}.${tabela}) TO STDOUT`)),
        createWriteStream(join(dir, tabela)),
      );
    }
    const inicio = Date.now();
    await client.query("BEGIN");
    for (const [, tabela] of TABELAS) {
      const colunas = tabela === "rotulos_fraude" ? "(id_pedido, tipo, injetado_em)" : "";
      const stream = client.query(copyFrom(`COPY ${copia.oltp}.${tabela} ${colunas} FROM STDIN`));
      createReadStream(join(dir, tabela)).pipe(stream);
      await once(stream, "finish");
    }
    await client.query("COMMIT");
    const copySegundos = (Date.now() - inicio) / 1000;
    const copyPorSegundo = r.pedidos / copySegundos;
    console.log(`  COPY puro das mesmas linhas: ${fmt(copySegundos, 1)} s → ${fmt(copyPorSegundo)} pedidos/s`);
    const [contagem] = (
      await client.query(
        `SELECT (SELECT count(*) FROM ${copia.oltp}.pedidos) AS copia, (SELECT count(*) FROM ${gerador.oltp}.pedidos) AS gerador`,
      )
    ).rows;
    if (Number(contagem.copia) !== Number(contagem.gerador)) throw new Error(`contagens diferentes: ${JSON.stringify(contagem)}`);
    console.log(`  razão gerador/COPY: ${fmt(r.pedidosPorSegundo / copyPorSegundo, 2)}; pico de memória: ${fmt(rss)} MB`);
    return {
      bench: "generator",
      orders: r.pedidos,
      orders_per_s: Math.round(r.pedidosPorSegundo),
      copy_orders_per_s: Math.round(copyPorSegundo),
      ratio_to_copy: Number((r.pedidosPorSegundo / copyPorSegundo).toFixed(3)),
      peak_rss_mb: Math.round(rss),
    };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS bench_gerador CASCADE; DROP SCHEMA IF EXISTS bench_copy CASCADE`).catch(() => undefined);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
