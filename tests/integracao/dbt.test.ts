// dbt against the real DW (PostgreSQL + PostGIS, the OLTP through postgres_fdw): `dbt build`
// passes every model test and the reconciliation tests on generated data; an incremental build
// after a streaming burst adds exactly the new items; the SCD2 dimension gets a version per
// name change; the quality gate passes, and fails (exit 1, nothing stored lost) on a DW that no
// longer reconciles; docs generate; run_results and the lineage as lib/dbt reads them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { config } from "../../lib/config";
import { dbt, linhagem, linhagemSvg, pastaAlvo, resultadosDbt, type ExecucaoDbt } from "../../lib/dbt";
import { query } from "../../lib/db";
import { prepararDw } from "../../lib/dw";
import { garantirPessoas, gerarHistorico, gerarStreaming } from "../../lib/geradores";
import { taxaCompativel, verificarQualidade } from "../../lib/qualidade";
import { caminhosDoDbt } from "../../stack/python";
import { cacheDir } from "../../stack/proc";

const cfg = config();
let caminhos: string[] = [];

async function rodar(args: string[]): Promise<ExecucaoDbt> {
  const log: string[] = [];
  const r = await dbt(args, { caminhos, aoLinha: (l) => log.push(l) });
  const falhas = r.resultados.filter((n) => !["success", "pass"].includes(n.status));
  assert.equal(r.codigo, 0, `dbt ${args.join(" ")} failed: ${JSON.stringify(falhas)}\n${log.slice(-40).join("\n")}`);
  assert.deepEqual(falhas, [], "every node succeeded and every test passed");
  return r;
}

const contar = async (banco: "oltp" | "dw", sql: string, params: unknown[] = []) =>
  Number((await query<{ n: string }>(banco, sql, params))[0].n);

const lerJson = <T>(arquivo: string): T => JSON.parse(readFileSync(join(pastaAlvo(), arquivo), "utf8")) as T;

/**
 * Rows and an order-independent checksum (sum of a 64-bit hash of each whole row) of every table
 * of the schemas the build writes, keyed by schema.table.
 */
async function conteudoDoDw(): Promise<Record<string, { linhas: string; soma: string }>> {
  const tabelas = await query<{ tabela: string }>(
    "dw",
    `SELECT format('%I.%I', table_schema, table_name) AS tabela FROM information_schema.tables
      WHERE table_schema IN ('marts', 'snapshots') AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const conteudo: Record<string, { linhas: string; soma: string }> = {};
  for (const { tabela } of tabelas) {
    const [r] = await query<{ linhas: string; soma: string }>(
      "dw",
      `SELECT count(*)::text AS linhas, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text AS soma FROM ${tabela} AS t`,
    );
    conteudo[tabela] = r;
  }
  return conteudo;
}

function cli(script: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", `cli/${script}.ts`, ...args], {
    cwd: cfg.root,
    encoding: "utf8",
    timeout: 600_000,
  });
}

describe("quality gate: fraud rate judged with its sample size", () => {
  test("few orders prove little; many orders must be inside 0.5%–10%", () => {
    assert.equal(taxaCompativel(0, 30), true, "0 of 30 is compatible with 5%");
    assert.equal(taxaCompativel(3, 30), true);
    assert.equal(taxaCompativel(15, 30), false, "half of 30 is not");
    assert.equal(taxaCompativel(0, 100_000), false, "no fraud in 100k orders");
    assert.equal(taxaCompativel(1_500, 100_000), true);
    assert.equal(taxaCompativel(30_000, 100_000), false, "30%");
    assert.equal(taxaCompativel(0, 0), false, "no orders, nothing to approve");
  });
});

describe("dbt on the DW", { timeout: 900_000 }, () => {
  let primeiro: ExecucaoDbt;

  before(async () => {
    caminhos = await caminhosDoDbt({ cacheDir: cacheDir(), repoRoot: cfg.root });
    // History (≈1% fraud) and streaming (≈5%) orders, whatever ran before this file.
    await garantirPessoas(300, 5);
    const historicos = await contar("oltp", "SELECT count(*) AS n FROM public.pedidos WHERE dt_venda < now() - interval '1 day'");
    if (historicos < 3000) await gerarHistorico({ pedidos: 3000, seed: 5 });
    await gerarStreaming({ ticks: 2, intervaloMs: 0, pessoasPorTick: 5, pedidosPorTick: 50, seed: 6 });
    await prepararDw();
    primeiro = await rodar(["build"]);
  });

  test("dbt build runs the snapshot, every model and their tests", () => {
    const tipos = new Set(primeiro.resultados.map((n) => n.tipo));
    for (const t of ["snapshot", "model", "test"]) assert.ok(tipos.has(t), `a ${t} ran`);
    const modelos = primeiro.resultados.filter((n) => n.tipo === "model").map((n) => n.nome);
    for (const m of [
      "dim_pessoas",
      "dim_produtos",
      "dim_data",
      "dim_local",
      "fato_itens_pedido",
      "fraude_por_uf",
      "receita_por_categoria_mes",
    ]) {
      assert.ok(modelos.includes(m), `model ${m} built`);
    }
    const testes = primeiro.resultados.filter((n) => n.tipo === "test").map((n) => n.nome);
    assert.ok(
      testes.some((t) => /unique/.test(t)) && testes.some((t) => /relationships/.test(t)) && testes.some((t) => /accepted_values/.test(t)),
    );
    assert.ok(testes.length >= 20, `${testes.length} tests`);
    assert.deepEqual(resultadosDbt(), primeiro.resultados, "lib/dbt reads the same run_results.json again");
    // …and what it reads is what dbt wrote: run_results.json read here on its own, each node's
    // type and name taken from manifest.json (dbt's artifacts, not lib/dbt's parsing).
    const rr = lerJson<{
      results: {
        unique_id: string;
        status: string;
        execution_time: number;
        message: string | null;
        adapter_response?: { rows_affected?: number };
      }[];
    }>("run_results.json");
    const manifesto = lerJson<{
      nodes: Record<string, { resource_type: string; name: string }>;
      unit_tests?: Record<string, { resource_type: string; name: string }>;
    }>("manifest.json");
    const nos = { ...manifesto.nodes, ...manifesto.unit_tests };
    assert.equal(primeiro.resultados.length, rr.results.length, "one row per node of run_results.json");
    rr.results.forEach((r, i) => {
      const lido = primeiro.resultados[i];
      const no = nos[r.unique_id];
      assert.ok(no, `${r.unique_id} is in the manifest`);
      assert.equal(lido.tipo, no.resource_type, r.unique_id);
      assert.ok(lido.nome.split(".").includes(no.name), `${lido.nome} names ${no.name}`);
      assert.equal(lido.status, r.status, r.unique_id);
      assert.equal(lido.mensagem, r.message, r.unique_id);
      assert.ok(
        Math.abs(lido.segundos - r.execution_time) <= 0.005,
        `${r.unique_id}: ${lido.segundos} s read, ${r.execution_time} s in the file`,
      );
      const linhas = r.adapter_response?.rows_affected;
      const esperado =
        ["model", "snapshot", "seed"].includes(no.resource_type) && typeof linhas === "number" && linhas >= 0 ? linhas : null;
      assert.equal(lido.linhas, esperado, `${r.unique_id}: rows`);
    });
    // The unit tests of the device rule ran and passed in the build.
    const unitarios = primeiro.resultados.filter((n) => n.tipo === "unit_test");
    assert.ok(unitarios.length >= 3, `${unitarios.length} unit tests`);
    assert.ok(unitarios.every((n) => n.status === "pass"));
  });

  test("the fact reconciles with the OLTP: the quality gate passes", async () => {
    const portao = await verificarQualidade();
    assert.deepEqual(
      portao.filter((v) => !v.ok),
      [],
    );
    const r = cli("qualidade");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Portão de qualidade aprovado/);
  });

  test("a build with nothing new changes nothing", async () => {
    // Every row of every table the build writes (marts and the snapshot), not just the counts:
    // a merge that rewrote rows in place (new carregado_em, a flipped flag) would keep them.
    const antes = await conteudoDoDw();
    assert.ok(antes["marts.fato_itens_pedido"] && antes["snapshots.pessoas_snapshot"], Object.keys(antes).join(", "));
    await rodar(["build"]);
    const depois = await conteudoDoDw();
    const mudaram = Object.keys({ ...antes, ...depois }).filter((t) => JSON.stringify(antes[t]) !== JSON.stringify(depois[t]));
    assert.deepEqual(
      mudaram,
      [],
      `tables whose rows changed: ${mudaram.map((t) => `${t} ${JSON.stringify(antes[t])} → ${JSON.stringify(depois[t])}`).join("; ")}`,
    );
  });

  test("after a streaming burst, the incremental build adds exactly the new items", async () => {
    const ultimo = await contar("oltp", "SELECT coalesce(max(id), 0) AS n FROM public.pedidos");
    const antes = await contar("dw", "SELECT count(*) AS n FROM marts.fato_itens_pedido");
    const g = await gerarStreaming({ ticks: 3, intervaloMs: 0, pessoasPorTick: 5, pedidosPorTick: 40, seed: 8 });
    const novos = await contar("oltp", "SELECT count(*) AS n FROM public.itens_pedidos WHERE id_pedido > $1", [ultimo]);
    assert.equal(novos, g.itens);
    const r = await rodar(["build"]);
    assert.equal(await contar("dw", "SELECT count(*) AS n FROM marts.fato_itens_pedido"), antes + novos);
    // Each new order's items and flags, exactly once.
    const [fato] = await query<{ itens: string; pedidos: string; duplicados: string }>(
      "dw",
      `SELECT count(*) AS itens, count(DISTINCT id_pedido) AS pedidos,
              count(*) - count(DISTINCT (id_pedido, id_produto)) AS duplicados
         FROM marts.fato_itens_pedido WHERE id_pedido > $1`,
      [ultimo],
    );
    assert.equal(Number(fato.itens), novos);
    assert.equal(Number(fato.pedidos), g.pedidos);
    assert.equal(Number(fato.duplicados), 0);
    const incremental = r.resultados.find((n) => n.nome === "fato_itens_pedido");
    assert.ok(incremental && incremental.linhas !== null && incremental.linhas >= novos, `merge touched ${incremental?.linhas} rows`);
    assert.ok(incremental.linhas! < antes, "the incremental build did not rewrite the whole fact");
  });

  test("SCD2: a name change in the OLTP becomes a new version; old sales keep the old one", async () => {
    const [p] = await query<{ id_pessoa: string; nome: string }>(
      "dw",
      `SELECT d.id_pessoa, d.nome FROM marts.dim_pessoas d
        WHERE d.atual AND EXISTS (SELECT 1 FROM marts.fato_pedidos f WHERE f.id_pessoa = d.id_pessoa)
        ORDER BY d.id_pessoa DESC LIMIT 1`,
    );
    const id = Number(p.id_pessoa);
    const versoesAntes = await contar("dw", "SELECT count(*) AS n FROM marts.dim_pessoas WHERE id_pessoa = $1", [id]);
    const novoNome = `${p.nome.replace(/ \(v\d+\)$/, "")} (v${versoesAntes + 1})`;
    await query("oltp", "UPDATE public.pessoas SET nome = $2 WHERE id = $1", [id, novoNome]);
    await rodar(["build", "--select", "pessoas_snapshot+"]);
    const versoes = await query<{ versao: string; nome: string; atual: boolean; valido_ate: Date }>(
      "dw",
      "SELECT versao, nome, atual, valido_ate FROM marts.dim_pessoas WHERE id_pessoa = $1 ORDER BY versao",
      [id],
    );
    assert.equal(versoes.length, versoesAntes + 1);
    assert.deepEqual(
      versoes.filter((v) => v.atual).map((v) => v.nome),
      [novoNome],
      "only the new version is current",
    );
    assert.equal(versoes[versoes.length - 2].nome, p.nome);
    assert.ok(versoes[versoes.length - 2].valido_ate < versoes[versoes.length - 1].valido_ate);
    // Sales before the change point at the version that was valid then.
    const erradas = await contar(
      "dw",
      `SELECT count(*) AS n FROM marts.fato_pedidos f JOIN marts.dim_pessoas d ON d.sk_pessoa = f.sk_pessoa
        WHERE f.id_pessoa = $1 AND NOT (f.dt_venda >= d.valido_de AND f.dt_venda < d.valido_ate)`,
      [id],
    );
    assert.equal(erradas, 0);
  });

  test("the quality gate fails with exit 1 on a DW that no longer reconciles, and the row comes back intact", async () => {
    const [removida] = await query<{ linha: Record<string, unknown> }>(
      "dw",
      `WITH d AS (DELETE FROM marts.fato_itens_pedido
                   WHERE (id_pedido, id_produto) = (SELECT id_pedido, id_produto FROM marts.fato_itens_pedido ORDER BY id_pedido LIMIT 1)
                  RETURNING *)
       SELECT to_jsonb(d) AS linha FROM d`,
    );
    try {
      const r = cli("qualidade");
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /FALHA\s+itens: DW = OLTP/);
      assert.match(r.stdout, /FALHA\s+receita: DW = OLTP/);
      assert.match(r.stderr, /reprovou 2 de 6 verificações/);
    } finally {
      await query("dw", "INSERT INTO marts.fato_itens_pedido SELECT * FROM jsonb_populate_record(NULL::marts.fato_itens_pedido, $1)", [
        removida.linha,
      ]);
    }
    assert.deepEqual(
      (await verificarQualidade()).filter((v) => !v.ok),
      [],
    );
  });

  test("the lineage: sources → staging → marts, drawn as SVG", async () => {
    const { nos, arestas } = linhagem();
    const id = (nome: string) => nos.find((n) => n.nome === nome)?.id;
    const tem = (de: string, para: string) => arestas.some(([a, b]) => a === id(de) && b === id(para));
    assert.ok(tem("oltp.pedidos", "stg_pedidos"));
    assert.ok(tem("pessoas_snapshot", "dim_pessoas"));
    assert.ok(nos.filter((n) => n.tipo === "source").length >= 7);
    assert.ok(
      nos.every((n) => n.tipo === "source" || ["staging", "marts", "snapshots"].includes(n.schema)),
      "every node in its layer's schema",
    );
    const svg = await linhagemSvg();
    assert.match(svg, /^<\?xml|^<svg/);
    for (const n of ["stg_pedidos", "fato_itens_pedido", "dim_pessoas"]) assert.ok(svg.includes(`>${n}</text>`), n);
  });

  test("dbt docs generate writes the catalog", async () => {
    const r = await dbt(["docs", "generate"], { caminhos, aoLinha: () => undefined });
    assert.equal(r.codigo, 0);
    const catalogo = JSON.parse((await import("node:fs")).readFileSync(`${cfg.root}/dbt_project/target/catalog.json`, "utf8")) as {
      nodes: Record<string, unknown>;
    };
    assert.ok(Object.keys(catalogo.nodes).some((k) => k.endsWith(".fato_itens_pedido")));
  });

  test("npm run dbt without a command: a message in Portuguese and exit code 2", () => {
    const r = cli("dbt");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Diga qual comando do dbt rodar/);
  });
});
