// `npm run bench -- cdc`: orders at a fixed rate through PostgreSQL → Debezium → Kafka →
// detector (its own process, as in production) → fraude.alertas. Measures commit → alert latency
// per alerted order at a separate consumer, checks every fraud and only frauds were alerted, and
// replays the recorded events through the rule engine alone.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import type pg from "pg";
import { carregarCatalogo, carregarEstados, garantirRotulos, gravarPedidos } from "../lib/carga";
import { clienteKafka, lerDesde, posicoesFinais, prepararCaptura, registrarConector, topicoDaTabela, type Posicoes } from "../lib/cdc";
import { config } from "../lib/config";
import { inTransaction } from "../lib/db";
import { carregarEstadoInicial, fimDosAlertas, MotorDeDeteccao, TOPICO_ALERTAS, type Alerta, type TabelaDetector } from "../lib/detector";
import { conectarOltp } from "../lib/geradores";
import { Planejador, type PedidoPlanejado } from "../lib/planejador";
import { ErroDeUso, fmt } from "./comum";

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

type Recebidos = Map<number, { em: number; alerta: Alerta }>;

/** A separate consumer of fraude.alertas: an alert's time is when a downstream reader gets it. */
async function leitorDeAlertas(kafka: Kafka, grupo: string) {
  const desde = await fimDosAlertas();
  const recebidos: Recebidos = new Map();
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
  return { leitor, recebidos };
}

interface Geracao {
  /** Commit instant per order id. */
  commits: Map<number, number>;
  fraudes: Set<number>;
  segundos: number;
  pedidosPorSegundo: number;
}

/** Orders at `taxa` per second for `segundos`, ten transactions a second, each commit timed. */
async function gerarNaTaxa(client: pg.Client, taxa: number, segundos: number): Promise<Geracao> {
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
    for (const [i, id] of ids.entries()) {
      commits.set(id, commitEm);
      if (pedidos[i].fraude) fraudes.add(id);
    }
    ultimoId = ids[ids.length - 1];
  }
  const decorridos = (Date.now() - inicio) / 1000;
  const pedidosPorSegundo = commits.size / decorridos;
  console.log(
    `  gerados: ${fmt(commits.size)} pedidos (${fmt(fraudes.size)} fraudes) em ${fmt(decorridos, 1)} s → ${fmt(pedidosPorSegundo)} pedidos/s${atrasados ? ` (${atrasados} ticks atrasados)` : ""}`,
  );
  return { commits, fraudes, segundos: decorridos, pedidosPorSegundo };
}

/** Waits (up to a minute) for every fraud's alert, then the latency percentiles and any mistake. */
async function medirAlertas(g: Geracao, recebidos: Recebidos) {
  const prazo = Date.now() + 60_000;
  while ([...g.fraudes].some((id) => !recebidos.has(id)) && Date.now() < prazo) await pausa(200);
  const faltando = [...g.fraudes].filter((id) => !recebidos.has(id)).length;
  const indevidos = [...recebidos.keys()].filter((id) => g.commits.has(id) && !g.fraudes.has(id)).length;
  const latencias: number[] = [];
  const ateDetectar: number[] = [];
  const tempos: number[] = [];
  for (const id of g.fraudes) {
    const r = recebidos.get(id);
    if (!r) continue;
    const c = g.commits.get(id)!;
    latencias.push(r.em - c);
    ateDetectar.push(Date.parse(r.alerta.detectado_em) - c);
    tempos.push(r.em);
  }
  for (const lista of [latencias, ateDetectar, tempos]) lista.sort((a, b) => a - b);
  const janelaAlertas = tempos.length > 1 ? (tempos[tempos.length - 1] - tempos[0]) / 1000 : NaN;
  const alertasPorSegundo = tempos.length / Math.max(janelaAlertas, g.segundos);
  const [p50, p95, p99] = [0.5, 0.95, 0.99].map((p) => percentil(latencias, p));
  console.log(
    `  alertas: ${fmt(latencias.length)} de ${fmt(g.fraudes.size)} fraudes (${faltando} sem alerta, ${indevidos} pedidos limpos alertados) — ${fmt(alertasPorSegundo, 1)} alertas/s`,
  );
  console.log(
    `  latência commit → alerta recebido: p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms, p99 ${fmt(p99)} ms, máx ${fmt(latencias[latencias.length - 1] ?? NaN)} ms ` +
      `(commit → julgado pelo detector: p50 ${fmt(percentil(ateDetectar, 0.5))} ms, p99 ${fmt(percentil(ateDetectar, 0.99))} ms)`,
  );
  return { p50, p95, p99, faltando, indevidos };
}

/**
 * The events this run recorded: where the time goes (commit → change event stored in Kafka),
 * then the rule engine alone replaying them in memory for two seconds (no Kafka, no I/O).
 */
async function motorSozinho(client: pg.Client, desde: Posicoes, commits: Map<number, number>): Promise<number> {
  const topicoPedidos = topicoDaTabela("pedidos");
  const gravados = await lerDesde<unknown>(desde, { timeoutMs: 60_000 });
  const noKafka = gravados
    .filter((m) => m.topico === topicoPedidos && m.evento?.op === "c")
    .map((m) => m.timestamp - (commits.get(Number((m.evento!.after as { id: number }).id)) ?? NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  console.log(
    `  dessa latência, commit → evento gravado no Kafka (Debezium + Connect): p50 ${fmt(percentil(noKafka, 0.5))} ms, p99 ${fmt(percentil(noKafka, 0.99))} ms; ` +
      "o resto é o detector (consumo, junção, regras, publicação) e o leitor de alertas",
  );
  const inicial = await carregarEstadoInicial(client);
  const tabelaDe = (t: string): TabelaDetector => (t === topicoPedidos ? "pedidos" : "auditoria_pedidos");
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
  const porSegundo = eventos / ((performance.now() - t0) / 1000);
  console.log(
    `  motor sozinho (junção + estado + regras, eventos já decodificados): ${fmt(gravados.length)} eventos gravados reprocessados até 2 s ` +
      `→ ${fmt(porSegundo)} eventos/s (${fmt(julgados)} julgamentos)`,
  );
  return porSegundo;
}

export async function benchCdc(taxa: number, segundos: number): Promise<Record<string, number | string>> {
  if (!Number.isInteger(taxa) || taxa < 1 || taxa > 20_000)
    throw new ErroDeUso(`--taxa inválido: ${taxa}. Esperado um inteiro entre 1 e 20000 pedidos/s.`);
  if (!(segundos > 0 && segundos <= 600)) throw new ErroDeUso(`--segundos inválido: ${segundos}. Esperado um número entre 0 e 600.`);
  await prepararCaptura();
  await registrarConector();
  const grupo = `liga-sudoers-bench-cdc-${randomUUID().slice(0, 8)}`;
  const kafka = clienteKafka("liga-sudoers-bench-cdc");
  const { leitor, recebidos } = await leitorDeAlertas(kafka, grupo);
  const detector = detectorEmProcesso(grupo);
  const client = await conectarOltp();
  try {
    await detector.pronto;
    const gravacaoDesde = await posicoesFinais([topicoDaTabela("pedidos"), topicoDaTabela("auditoria_pedidos")]);
    const geracao = await gerarNaTaxa(client, taxa, segundos);
    const { p50, p95, p99, faltando, indevidos } = await medirAlertas(geracao, recebidos);
    detector.filho.kill("SIGTERM");
    const codigo = await detector.fim;
    if (codigo !== 0) throw new Error(`o detector saiu com código ${codigo}:\n${detector.saida()}`);
    console.log(`  ${detector.saida().trim().split("\n").pop()}`);
    const regrasPorSegundo = await motorSozinho(client, gravacaoDesde, geracao.commits);
    if (faltando > 0 || indevidos > 0)
      throw new Error(`detecção incorreta: ${faltando} fraudes sem alerta, ${indevidos} pedidos limpos alertados`);
    return {
      bench: "cdc",
      orders_per_s: Math.round(geracao.pedidosPorSegundo),
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
