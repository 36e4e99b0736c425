// npm run bench -- NAME [options]: measured figures, ending with one JSON line.
//   generator [--pedidos 1000000] [--pessoas 10000]: the historical generator against the
//   ceiling of plain COPY of the very same rows, pre-rendered, into an identical schema.
//   cdc [--taxa 500] [--segundos 30]: orders at a fixed rate through PostgreSQL → Debezium →
//   Kafka → detector → fraude.alertas; commit → alert latency per alerted order, and the
//   replay throughput of the detector's engine alone on the recorded events.
//   lake [--linhas 1000000]: fact-like rows partitioned by day written to MinIO by lib/lake and
//   by delta-rs from the same Arrow data, then a one-day read of lib/lake's table.
//   dbt [--pedidos 1000000] [--novos 10000]: tops the OLTP up to --pedidos orders, then a full
//   `dbt build --full-refresh` and, after --novos more orders, an incremental `dbt build`.
//   lakehouse [--pedidos 20000]: raw → trusted → refined built incrementally over a streaming
//   burst, then a build with nothing new (see bench-lakehouse.ts).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { config } from "../lib/config";
import { applySqlDir, inTransaction } from "../lib/db";
import { carregarCatalogo, carregarEstados, garantirRotulos, gravarPedidos, type Destino } from "../lib/carga";
import { clienteKafka, lerDesde, posicoesFinais, prepararCaptura, registrarConector, topicoDaTabela } from "../lib/cdc";
import { carregarEstadoInicial, fimDosAlertas, MotorDeDeteccao, TOPICO_ALERTAS, type Alerta, type TabelaDetector } from "../lib/detector";
import { Planejador, type PedidoPlanejado } from "../lib/planejador";
import { conectarOltp, garantirPessoas, gerarHistorico } from "../lib/geradores";
import { dbt, type ExecucaoDbt } from "../lib/dbt";
import { query } from "../lib/db";
import { prepararDw } from "../lib/dw";
import { caminhosDoDbt } from "../stack/python";
import { lakeEnv } from "../stack/lake-env";
import { benchLake } from "./bench-lake";
import { benchLakehouse } from "./bench-lakehouse";
import { cacheDir } from "../stack/proc";
import { ErroDeUso, executar, fmt, lerArgumentos, numero } from "./comum";

const USO = `Uso: npm run bench -- generator [--pedidos 1000000] [--pessoas 10000] [--lote 5000]
       npm run bench -- cdc [--taxa 500] [--segundos 30]
       npm run bench -- dbt [--pedidos 1000000] [--novos 10000]
       npm run bench -- lake [--linhas 1000000]
       npm run bench -- lakehouse [--pedidos 20000]`;

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

async function benchGerador(pedidos: number, pessoas: number, lote: number | undefined): Promise<Record<string, number | string>> {
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

const pausa = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentil(ordenados: number[], p: number): number {
  if (ordenados.length === 0) return NaN;
  return ordenados[Math.min(ordenados.length - 1, Math.max(0, Math.ceil(p * ordenados.length) - 1))];
}

/** The detector as its own process (as in production), in a fresh consumer group. */
function detectorEmProcesso(grupo: string) {
  const filho = spawn(process.execPath, ["--import", "tsx", "cli/detector.ts", "--grupo", grupo], {
    cwd: config().root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let saida = "";
  filho.stdout.on("data", (d) => (saida += d));
  filho.stderr.on("data", (d) => (saida += d));
  const fim = new Promise<number | null>((resolve) => filho.on("exit", (code) => resolve(code)));
  const pronto = (async () => {
    const limite = Date.now() + 60_000;
    while (!/Detector pronto/.test(saida)) {
      if (filho.exitCode !== null || Date.now() > limite) throw new Error(`o detector não ficou pronto:\n${saida}`);
      await pausa(100);
    }
  })();
  return { filho, pronto, fim, saida: () => saida };
}

async function benchCdc(taxa: number, segundos: number): Promise<Record<string, number | string>> {
  if (!Number.isInteger(taxa) || taxa < 1 || taxa > 20_000)
    throw new ErroDeUso(`--taxa inválido: ${taxa}. Esperado um inteiro entre 1 e 20000 pedidos/s.`);
  if (!(segundos > 0 && segundos <= 600)) throw new ErroDeUso(`--segundos inválido: ${segundos}. Esperado um número entre 0 e 600.`);
  await prepararCaptura();
  await registrarConector();
  const grupo = `liga-sudoers-bench-cdc-${randomUUID().slice(0, 8)}`;
  const kafka = clienteKafka("liga-sudoers-bench-cdc");

  // A separate consumer of fraude.alertas: the alert's time is when a downstream reader gets it.
  const desde = await fimDosAlertas();
  const recebidos = new Map<number, { em: number; alerta: Alerta }>();
  const leitor = kafka.consumer({ groupId: `${grupo}-leitor`, maxWaitTimeInMs: 100 });
  await leitor.connect();
  await leitor.subscribe({ topic: TOPICO_ALERTAS, fromBeginning: true });
  await leitor.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const em = Date.now();
      if (BigInt(message.offset) < BigInt(desde[partition] ?? "0") || !message.value) return;
      const alerta = JSON.parse(message.value.toString("utf8")) as Alerta;
      if (!recebidos.has(alerta.id_pedido)) recebidos.set(alerta.id_pedido, { em, alerta });
    },
  });
  for (const [p, o] of Object.entries(desde)) leitor.seek({ topic: TOPICO_ALERTAS, partition: Number(p), offset: o });

  const detector = detectorEmProcesso(grupo);
  const client = await conectarOltp();
  try {
    await detector.pronto;
    const topicosCdc = [topicoDaTabela("pedidos"), topicoDaTabela("auditoria_pedidos")];
    const gravacaoDesde = await posicoesFinais(topicosCdc);
    await garantirRotulos(client);
    const planejador = new Planejador(await carregarCatalogo(client), await carregarEstados(client), 0.05, 4242);
    const porTick = Math.max(1, Math.round(taxa / 10));
    const intervaloMs = (1000 * porTick) / taxa;
    let ultimoId = Number((await client.query("SELECT coalesce(max(id), 0) AS m FROM public.pedidos")).rows[0].m);
    const commits = new Map<number, number>();
    const fraudes = new Set<number>();
    console.log(
      `Streaming ${fmt(taxa)} pedidos/s (${fmt(porTick)} a cada ${fmt(intervaloMs)} ms, uma transação cada) por ${fmt(segundos)} s, com o detector rodando…`,
    );
    const inicio = Date.now();
    let atrasados = 0;
    for (let tick = 0; Date.now() - inicio < segundos * 1000; tick++) {
      const alvo = inicio + tick * intervaloMs;
      const agora = Date.now();
      if (agora < alvo) await pausa(alvo - agora);
      else if (agora - alvo > intervaloMs) atrasados++;
      const pedidos: PedidoPlanejado[] = Array.from({ length: porTick }, () => planejador.pedido(planejador.sortearPessoa(), new Date()));
      const ids = await inTransaction(client, async () => {
        await gravarPedidos(client, pedidos);
        // This transaction's own rows (xmin), in id order = planning order.
        const { rows } = await client.query<{ id: number }>(
          "SELECT id FROM public.pedidos WHERE id > $1 AND xmin = pg_current_xact_id()::xid ORDER BY id",
          [ultimoId],
        );
        return rows.map((r) => Number(r.id));
      });
      const commitEm = Date.now();
      if (ids.length !== pedidos.length) throw new Error(`esperava ${pedidos.length} ids na transação, vieram ${ids.length}`);
      ids.forEach((id, i) => {
        commits.set(id, commitEm);
        if (pedidos[i].fraude) fraudes.add(id);
      });
      ultimoId = ids[ids.length - 1];
    }
    const geracaoSegundos = (Date.now() - inicio) / 1000;
    const pedidosPorSegundo = commits.size / geracaoSegundos;
    console.log(
      `  gerados: ${fmt(commits.size)} pedidos (${fmt(fraudes.size)} fraudes) em ${fmt(geracaoSegundos, 1)} s → ${fmt(pedidosPorSegundo)} pedidos/s${atrasados ? ` (${atrasados} ticks atrasados)` : ""}`,
    );

    const prazo = Date.now() + 60_000;
    while ([...fraudes].some((id) => !recebidos.has(id)) && Date.now() < prazo) await pausa(200);
    const faltando = [...fraudes].filter((id) => !recebidos.has(id)).length;
    const indevidos = [...recebidos.keys()].filter((id) => commits.has(id) && !fraudes.has(id)).length;

    const latencias: number[] = [];
    const ateDetectar: number[] = [];
    const tempos: number[] = [];
    for (const id of fraudes) {
      const r = recebidos.get(id);
      if (!r) continue;
      const c = commits.get(id)!;
      latencias.push(r.em - c);
      ateDetectar.push(Date.parse(r.alerta.detectado_em) - c);
      tempos.push(r.em);
    }
    latencias.sort((a, b) => a - b);
    ateDetectar.sort((a, b) => a - b);
    tempos.sort((a, b) => a - b);
    const janelaAlertas = tempos.length > 1 ? (tempos[tempos.length - 1] - tempos[0]) / 1000 : NaN;
    const alertasPorSegundo = tempos.length / Math.max(janelaAlertas, geracaoSegundos);
    const [p50, p95, p99] = [0.5, 0.95, 0.99].map((p) => percentil(latencias, p));
    console.log(
      `  alertas: ${fmt(latencias.length)} de ${fmt(fraudes.size)} fraudes (${faltando} sem alerta, ${indevidos} pedidos limpos alertados) — ${fmt(alertasPorSegundo, 1)} alertas/s`,
    );
    console.log(
      `  latência commit → alerta recebido: p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms, p99 ${fmt(p99)} ms, máx ${fmt(latencias[latencias.length - 1] ?? NaN)} ms ` +
        `(commit → julgado pelo detector: p50 ${fmt(percentil(ateDetectar, 0.5))} ms, p99 ${fmt(percentil(ateDetectar, 0.99))} ms)`,
    );

    detector.filho.kill("SIGTERM");
    const codigo = await detector.fim;
    if (codigo !== 0) throw new Error(`o detector saiu com código ${codigo}:\n${detector.saida()}`);
    const ultimaLinha = detector.saida().trim().split("\n").pop();
    console.log(`  ${ultimaLinha}`);

    // The engine alone: the events this run recorded, replayed in memory (no Kafka, no I/O).
    const gravados = await lerDesde<unknown>(gravacaoDesde, { timeoutMs: 60_000 });
    // Where the time goes: commit → change event stored in Kafka (Debezium + Kafka Connect).
    const noKafka = gravados
      .filter((m) => m.topico === topicosCdc[0] && m.evento?.op === "c")
      .map((m) => m.timestamp - (commits.get(Number((m.evento!.after as { id: number }).id)) ?? NaN))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    console.log(
      `  dessa latência, commit → evento gravado no Kafka (Debezium + Connect): p50 ${fmt(percentil(noKafka, 0.5))} ms, p99 ${fmt(percentil(noKafka, 0.99))} ms; ` +
        "o resto é o detector (consumo, junção, regras, publicação) e o leitor de alertas",
    );
    const inicial = await carregarEstadoInicial(client);
    const tabelaDe = (t: string): TabelaDetector => (t === topicosCdc[0] ? "pedidos" : "auditoria_pedidos");
    let eventos = 0;
    let julgados = 0;
    const t0 = performance.now();
    do {
      const motor = new MotorDeDeteccao(inicial.estado, inicial.snapshot);
      for (const m of gravados) {
        motor.receber(tabelaDe(m.topico), m.evento, { topico: m.topico, particao: m.particao, offset: Number(m.offset) });
        if (++eventos % 500 === 0) julgados += motor.colher().length;
      }
      julgados += motor.colher().length;
      motor.offsetsParaConfirmar();
    } while (performance.now() - t0 < 2000 && gravados.length > 0);
    const regrasPorSegundo = eventos / ((performance.now() - t0) / 1000);
    console.log(
      `  motor sozinho (junção + estado + regras, eventos já decodificados): ${fmt(gravados.length)} eventos gravados reprocessados até 2 s ` +
        `→ ${fmt(regrasPorSegundo)} eventos/s (${fmt(julgados)} julgamentos)`,
    );
    if (faltando > 0 || indevidos > 0)
      throw new Error(`detecção incorreta: ${faltando} fraudes sem alerta, ${indevidos} pedidos limpos alertados`);
    return {
      bench: "cdc",
      orders_per_s: Math.round(pedidosPorSegundo),
      p50_ms: p50,
      p95_ms: p95,
      p99_ms: p99,
      rules_events_per_s: Math.round(regrasPorSegundo),
    };
  } finally {
    if (detector.filho.exitCode === null) detector.filho.kill("SIGTERM");
    await client.end();
    await leitor.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteGroups([grupo, `${grupo}-leitor`]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

const contar = async (banco: "oltp" | "dw", sql: string) => Number((await query<{ n: string }>(banco, sql))[0].n);

async function dbtMedido(args: string[], caminhos: string[]): Promise<ExecucaoDbt> {
  const r = await dbt(args, { caminhos, aoLinha: () => undefined });
  if (r.codigo !== 0) {
    const falhas = r.resultados.filter((n) => !["success", "pass"].includes(n.status)).map((n) => `${n.nome}: ${n.mensagem}`);
    throw new Error(`dbt ${args.join(" ")} falhou (código ${r.codigo}): ${falhas.join("; ") || "veja dbt_project/logs/dbt.log"}`);
  }
  const ehTeste = (n: { tipo: string }) => n.tipo === "test" || n.tipo === "unit_test";
  const porModelo = r.resultados.filter((n) => !ehTeste(n)).sort((a, b) => b.segundos - a.segundos);
  const testes = r.resultados.filter(ehTeste);
  for (const n of porModelo)
    console.log(`    ${n.nome.padEnd(34)} ${fmt(n.segundos, 2).padStart(7)} s${n.linhas === null ? "" : `  ${fmt(n.linhas)} linhas`}`);
  console.log(
    `    ${fmt(testes.length)} testes: ${fmt(
      testes.reduce((t, n) => t + n.segundos, 0),
      2,
    )} s somados`,
  );
  return r;
}

async function benchDbt(pedidos: number, novos: number): Promise<Record<string, number | string>> {
  const caminhos = await caminhosDoDbt({ cacheDir: cacheDir(), repoRoot: config().root });
  await prepararDw();
  const existentes = await contar("oltp", "SELECT count(*) AS n FROM public.pedidos");
  if (existentes < pedidos) {
    await garantirPessoas(10_000, 7);
    console.log(`O OLTP tem ${fmt(existentes)} pedidos: gerando mais ${fmt(pedidos - existentes)} históricos…`);
    await gerarHistorico({ pedidos: pedidos - existentes, seed: 42 });
  }
  const total = await contar("oltp", "SELECT count(*) AS n FROM public.pedidos");
  console.log(`dbt build --full-refresh com ${fmt(total)} pedidos no OLTP:`);
  const cheio = await dbtMedido(["build", "--full-refresh"], caminhos);
  const itensAntes = await contar("dw", "SELECT count(*) AS n FROM marts.fato_itens_pedido");
  const g = await gerarHistorico({ pedidos: novos, seed: 43 });
  console.log(`+${fmt(g.pedidos)} pedidos (${fmt(g.itens)} itens); dbt build incremental:`);
  const incremental = await dbtMedido(["build"], caminhos);
  const itensDepois = await contar("dw", "SELECT count(*) AS n FROM marts.fato_itens_pedido");
  if (itensDepois - itensAntes !== g.itens)
    throw new Error(`o build incremental acrescentou ${itensDepois - itensAntes} itens ao fato; esperado ${g.itens}`);
  const s = (x: number | null) => Math.round((x ?? NaN) * 10) / 10;
  console.log(
    `  total (relógio, com a partida do dbt): cheio ${fmt(cheio.segundos, 1)} s, incremental ${fmt(incremental.segundos, 1)} s; ` +
      `pelo dbt (sem a partida): ${fmt(s(cheio.segundosDbt), 1)} s e ${fmt(s(incremental.segundosDbt), 1)} s. +${fmt(g.itens)} itens no fato, exatamente os novos.`,
  );
  return {
    bench: "dbt",
    orders: total,
    full_s: s(cheio.segundos),
    incremental_s: s(incremental.segundos),
    full_dbt_s: s(cheio.segundosDbt),
    incremental_dbt_s: s(incremental.segundosDbt),
  };
}

executar(async () => {
  const [nome, ...resto] = process.argv.slice(2);
  process.argv.splice(2, process.argv.length, ...resto);
  if (nome === "generator") {
    const a = lerArgumentos({ pedidos: { type: "string" }, pessoas: { type: "string" }, lote: { type: "string" } }, USO);
    const figuras = await benchGerador(
      numero("pedidos", a.pedidos, 1_000_000),
      numero("pessoas", a.pessoas, 10_000),
      a.lote === undefined ? undefined : numero("lote", a.lote, 0),
    );
    console.log(JSON.stringify(figuras));
  } else if (nome === "cdc") {
    const a = lerArgumentos({ taxa: { type: "string" }, segundos: { type: "string" } }, USO);
    console.log(JSON.stringify(await benchCdc(numero("taxa", a.taxa, 500), numero("segundos", a.segundos, 30))));
  } else if (nome === "dbt") {
    const a = lerArgumentos({ pedidos: { type: "string" }, novos: { type: "string" } }, USO);
    console.log(JSON.stringify(await benchDbt(numero("pedidos", a.pedidos, 1_000_000), numero("novos", a.novos, 10_000))));
  } else if (nome === "lake") {
    const a = lerArgumentos({ linhas: { type: "string" } }, USO);
    const linhas = numero("linhas", a.linhas, 1_000_000);
    console.log(`Gravando ${fmt(linhas)} linhas particionadas por dia no MinIO (melhor de 2 execuções de cada)…`);
    const r = await benchLake({ linhas, python: (await lakeEnv()).python });
    const mb = (b: number) => fmt(b / 1024 / 1024, 1);
    console.log(
      `  lib/lake: ${fmt(r.libLakeSegundos, 2)} s (${fmt(r.arquivos)} arquivos, ${mb(r.bytes)} MiB); delta-rs: ${fmt(r.deltaRsSegundos ?? NaN, 2)} s; razão ${fmt(r.razao ?? NaN, 2)}×`,
    );
    const l = r.leitura;
    console.log(
      `  leitura de um dia: ${fmt(l.linhas)} linhas em ${fmt(l.segundos, 2)} s, ${fmt(l.arquivosLidos)} de ${fmt(l.arquivosTotais)} arquivos, ` +
        `${mb(l.bytesLidos)} de ${mb(l.bytesTotais)} MiB`,
    );
    const r2 = (x: number | undefined) => Math.round((x ?? NaN) * 100) / 100;
    console.log(
      JSON.stringify({
        bench: "lake",
        rows: r.linhas,
        kit_write_s: r2(r.libLakeSegundos),
        deltars_write_s: r2(r.deltaRsSegundos),
        ratio: r2(r.razao),
        files_read: l.arquivosLidos,
        files_total: l.arquivosTotais,
        bytes_read: l.bytesLidos,
        bytes_total: l.bytesTotais,
      }),
    );
  } else if (nome === "lakehouse") {
    const a = lerArgumentos({ pedidos: { type: "string" } }, USO);
    console.log(JSON.stringify(await benchLakehouse(numero("pedidos", a.pedidos, 20_000))));
  } else {
    throw new ErroDeUso(nome ? `Benchmark desconhecido: "${nome}".\n\n${USO}` : USO);
  }
});
