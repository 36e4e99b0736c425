// The generators against the real PostgreSQL: what they add, the consistency of every order,
// the ground truth against the two fraud rules, the promised rates, bad input, and SIGTERM.
// Their pure parts (people, money, instants, the planner) are in tests/unidade/geradores.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import type pg from "pg";
import { config } from "../../lib/config";
import { applySqlDir, withClient } from "../../lib/db";
import { DESTINO_PADRAO, garantirRotulos, type Destino } from "../../lib/carga";
import { auditarRotulos, verificarConsistencia } from "../../lib/fraude";
import { conectarOltp, garantirPessoas, gerarHistorico, gerarStreaming } from "../../lib/geradores";
import { join } from "node:path";

const cfg = config();
const SCHEMA = "teste_gerador";
const destino: Destino = { oltp: SCHEMA, rotulos: SCHEMA };
const SCHEMA_CONCORRENTE = "teste_geradores_juntos";
const concorrente: Destino = { oltp: SCHEMA_CONCORRENTE, rotulos: SCHEMA_CONCORRENTE };

async function contar(client: pg.ClientBase, schema: string): Promise<Record<string, number>> {
  const n: Record<string, number> = {};
  for (const t of ["pessoas", "produtos", "pedidos", "itens_pedidos", "auditoria_pedidos"]) {
    n[t] = Number((await client.query(`SELECT count(*) AS n FROM ${schema}.${t}`)).rows[0].n);
  }
  return n;
}

/** The suite's own copy of the OLTP model (and labels) in schema `d.oltp`, dropped afterwards. */
function schemaProprio(d: Destino): void {
  before(async () => {
    await withClient("oltp", async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS ${d.oltp} CASCADE; CREATE SCHEMA ${d.oltp}; SET search_path TO ${d.oltp}`);
      await applySqlDir(client, join(cfg.root, "postgresql-init"));
      await client.query("RESET search_path");
      await garantirRotulos(client, d);
    });
  });
  after(async () => {
    await withClient("oltp", (client) => client.query(`DROP SCHEMA IF EXISTS ${d.oltp} CASCADE`));
  });
}

/** Binomial bounds: k within 4 standard deviations of n·p. */
function dentroDoBinomial(k: number, n: number, p: number): boolean {
  return Math.abs(k - n * p) <= 4 * Math.sqrt(n * p * (1 - p));
}

describe("generators against PostgreSQL", () => {
  schemaProprio(destino);

  test("people top-up is idempotent", async () => {
    assert.equal(await garantirPessoas(300, 5, destino), 300);
    assert.equal(await garantirPessoas(300, 5, destino), 0);
  });

  test("history adds orders but no people and no products; every order is whole and adds up", async () => {
    const antes = await withClient("oltp", (c) => contar(c, SCHEMA));
    const r = await gerarHistorico({ pedidos: 20_000, dias: 180, seed: 42, destino, lote: 3000 });
    const depois = await withClient("oltp", (c) => contar(c, SCHEMA));
    assert.equal(r.pedidos, 20_000);
    assert.equal(depois.pessoas, antes.pessoas);
    assert.equal(depois.produtos, antes.produtos);
    assert.equal(depois.pedidos - antes.pedidos, 20_000);
    assert.equal(depois.auditoria_pedidos - antes.auditoria_pedidos, 20_000);
    assert.equal(depois.itens_pedidos - antes.itens_pedidos, r.itens);
    const consistencia = await withClient("oltp", (c) => verificarConsistencia(c, destino));
    assert.deepEqual(consistencia, { pedidos: depois.pedidos, semItens: 0, semAuditoria: 0, totalDivergente: 0, itemDivergente: 0 });
    const [faixa] = (
      await withClient("oltp", (c) =>
        c.query(
          `SELECT min(n)::int AS min, max(n)::int AS max FROM (SELECT count(*) AS n FROM ${SCHEMA}.itens_pedidos GROUP BY id_pedido) x`,
        ),
      )
    ).rows;
    assert.deepEqual(faixa, { min: 1, max: 5 });
  });

  test("history fraud ≈ 1% within binomial bounds, both kinds present", async () => {
    const auditoria = await withClient("oltp", (c) => auditarRotulos(c, destino));
    const fraudes = auditoria.rotulados.dispositivo + auditoria.rotulados.local;
    assert.ok(dentroDoBinomial(fraudes, auditoria.pedidos, 0.01), `${fraudes} of ${auditoria.pedidos}`);
    assert.ok(auditoria.rotulados.dispositivo > 0 && auditoria.rotulados.local > 0, JSON.stringify(auditoria.rotulados));
  });

  test("streaming adds people every tick and fraud ≈ 5%", async () => {
    const antes = await withClient("oltp", (c) => contar(c, SCHEMA));
    const auditoriaAntes = await withClient("oltp", (c) => auditarRotulos(c, destino));
    const r = await gerarStreaming({ ticks: 40, intervaloMs: 0, pessoasPorTick: 10, pedidosPorTick: 100, seed: 7, destino });
    const depois = await withClient("oltp", (c) => contar(c, SCHEMA));
    assert.equal(r.pessoasNovas, 400);
    assert.equal(depois.pessoas - antes.pessoas, 400);
    assert.equal(depois.pedidos - antes.pedidos, 4000);
    const auditoria = await withClient("oltp", (c) => auditarRotulos(c, destino));
    const novas =
      auditoria.rotulados.dispositivo + auditoria.rotulados.local - (auditoriaAntes.rotulados.dispositivo + auditoriaAntes.rotulados.local);
    assert.ok(dentroDoBinomial(novas, 4000, 0.05), `${novas} frauds in 4000 streaming orders`);
  });

  test("every label's order breaks its rule, and no unlabelled order breaks any", async () => {
    const auditoria = await withClient("oltp", (c) => auditarRotulos(c, destino));
    assert.equal(auditoria.rotuloSemQuebra, 0);
    assert.equal(auditoria.quebraSemRotulo, 0);
    const consistencia = await withClient("oltp", (c) => verificarConsistencia(c, destino));
    assert.equal(consistencia.semItens + consistencia.semAuditoria + consistencia.totalDivergente + consistencia.itemDivergente, 0);
  });

  test("a history run after streaming keeps the ground truth exact", async () => {
    await gerarHistorico({ pedidos: 5000, dias: 30, seed: 99, destino });
    const auditoria = await withClient("oltp", (c) => auditarRotulos(c, destino));
    assert.equal(auditoria.rotuloSemQuebra, 0);
    assert.equal(auditoria.quebraSemRotulo, 0);
  });
});

describe("generators writing at the same time", () => {
  // Each generator plans from the state it loaded; at a high fraud rate two of them would pick
  // the same "never used" device for the same person many times over. The write transactions
  // take a lock and check their device frauds against what others committed meanwhile.
  schemaProprio(concorrente);
  before(async () => {
    await garantirPessoas(200, 11, concorrente);
    await gerarHistorico({ pedidos: 400, dias: 30, seed: 12, destino: concorrente });
  });

  test("two streaming runs and a history run at once: every label still exact", async () => {
    const rajada = { intervaloMs: 0, pessoasPorTick: 0, pedidosPorTick: 100, taxaFraude: 0.6, destino: concorrente };
    const gerados = await Promise.all([
      gerarStreaming({ ...rajada, ticks: 15, seed: 101 }),
      gerarStreaming({ ...rajada, ticks: 15, seed: 102 }),
      gerarHistorico({ pedidos: 1500, dias: 20, lote: 100, taxaFraude: 0.6, seed: 103, destino: concorrente }),
    ]);
    assert.deepEqual(
      gerados.map((g) => g.pedidos),
      [1500, 1500, 1500],
    );
    const auditoria = await withClient("oltp", (c) => auditarRotulos(c, concorrente));
    assert.ok(auditoria.rotulados.dispositivo > 600, JSON.stringify(auditoria.rotulados));
    assert.equal(auditoria.rotuloSemQuebra, 0);
    assert.equal(auditoria.quebraSemRotulo, 0);
    const consistencia = await withClient("oltp", (c) => verificarConsistencia(c, concorrente));
    assert.equal(consistencia.pedidos, 4900);
    assert.equal(consistencia.semItens + consistencia.semAuditoria + consistencia.totalDivergente + consistencia.itemDivergente, 0);
  });
});

describe("CLIs", () => {
  const cli = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, ["--import", "tsx", `cli/${script}.ts`, ...args], {
      cwd: cfg.root,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
  const contarPublico = () => withClient("oltp", (c) => contar(c, DESTINO_PADRAO.oltp));

  test("bad arguments and an unreachable database: a clear pt-BR message, exit 2, zero rows written", async () => {
    const antes = await contarPublico();
    const casos: [string, string[], RegExp, NodeJS.ProcessEnv?][] = [
      ["historico", ["--pedidos=-5"], /Número de pedidos inválido: -5\. Esperado um inteiro entre 1/],
      ["historico", ["--pedidos", "-5"], /valor ausente ou ambíguo para --pedidos/],
      ["historico", ["--pedidos"], /valor ausente ou ambíguo para --pedidos/],
      ["historico", ["--pedidos", "muitos"], /--pedidos inválido: "muitos"\. Esperado um número/],
      ["historico", ["--taxa-fraude", "5"], /Taxa de fraude inválida: 5\. Esperado um número entre 0 e 1/],
      ["historico", ["--cor", "azul"], /opção desconhecida: --cor/],
      ["streaming", ["--duracao", "meia hora"], /--duracao inválido: "meia hora"\. Esperado um número com unidade/],
      ["streaming", ["--ticks", "2.5"], /Número de ticks inválido: 2\.5/],
      ["pessoas", ["--total=-1"], /Total de pessoas inválido: -1/],
      ["historico", ["--pedidos", "10"], /Não consegui conectar ao PostgreSQL OLTP em localhost:1/, { OLTP_PORT: "1" }],
    ];
    for (const [script, args, mensagem, env] of casos) {
      const r = cli(script, args, env);
      assert.equal(r.status, 2, `${script} ${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, mensagem);
    }
    assert.deepEqual(await contarPublico(), antes);
  });

  test("SIGTERM mid-stream: the tick in progress at the signal is committed, then the generator stops", { timeout: 120_000 }, async () => {
    await garantirPessoas(50);
    const antes = await contarPublico();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "cli/streaming.ts", "--intervalo", "0ms", "--pedidos-por-tick", "300", "--pessoas-por-tick", "5"],
      {
        cwd: cfg.root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let saida = "";
    child.stdout.on("data", (d) => (saida += d));
    child.stderr.on("data", (d) => (saida += d));
    const fim = new Promise<number | null>((resolve) => child.on("close", resolve));
    const deadline = Date.now() + 60_000;
    while ((await contarPublico()).pedidos - antes.pedidos < 900 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Hold the generators' write lock: the next tick blocks INSIDE its transaction (its people
    // already inserted), so the signal provably arrives with a transaction in flight.
    const trava = await conectarOltp();
    try {
      await trava.query("BEGIN");
      const chave = `liga_sudoers.geradores.${DESTINO_PADRAO.oltp}`;
      await trava.query("SELECT pg_advisory_xact_lock(hashtext($1))", [chave]);
      const esperando = async () =>
        Number(
          (
            await trava.query(
              `SELECT count(*) AS n FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted AND objid = (hashtext($1)::bigint & 4294967295)::oid`,
              [chave],
            )
          ).rows[0].n,
        );
      while ((await esperando()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await esperando(), 1, "the generator is waiting for the lock inside its transaction");
      const noSinal = await contarPublico();
      child.kill("SIGTERM");
      while (!saida.includes("SIGTERM recebido") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await trava.query("COMMIT");
      const codigo = await fim;
      assert.equal(codigo, 0, saida);
      assert.match(saida, /SIGTERM recebido: parando depois da transação em andamento/);
      const depois = await contarPublico();
      // Exactly the in-flight tick more: committed, not rolled back, and nothing after it.
      assert.equal(depois.pedidos - noSinal.pedidos, 300, "the tick in flight at the signal was committed");
      assert.equal(depois.pessoas - noSinal.pessoas, 5, "with its new people");
      assert.equal((depois.pedidos - antes.pedidos) % 300, 0, "whole ticks only");
    } finally {
      await trava.end();
      child.kill("SIGKILL");
    }
    const consistencia = await withClient("oltp", (c) => verificarConsistencia(c));
    assert.equal(consistencia.semItens, 0);
    assert.equal(consistencia.semAuditoria, 0);
    assert.equal(consistencia.totalDivergente, 0);
  });
});
