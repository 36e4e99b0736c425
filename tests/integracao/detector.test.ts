// The real-time fraud detector: the rule engine and the stream join in memory, then against the
// real PostgreSQL + Debezium + Kafka — one alert key per labelled order and none for a clean one,
// also when the detector is killed mid-stream and restarted.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import ngeohash from "ngeohash";
import { clienteKafka, prepararCaptura, registrarConector, type EventoCdc } from "../../lib/cdc";
import { config } from "../../lib/config";
import { query } from "../../lib/db";
import {
  avaliarRegras,
  EstadoDispositivos,
  executarDetector,
  fimDosAlertas,
  instanteUs,
  lerAlertas,
  medirDeteccao,
  MotorDeDeteccao,
  Snapshot,
  type FatosDoPedido,
  type HistoricoDePessoa,
  type Julgamento,
  type TabelaDetector,
} from "../../lib/detector";
import { ufDoGeohash } from "../../lib/geo";
import { gerarStreaming } from "../../lib/geradores";

const cfg = config();
const SP = ngeohash.encode(-23.5505, -46.6333, 7); // São Paulo (SP)
const BH = ngeohash.encode(-19.9167, -43.9345, 7); // Belo Horizonte (MG)
const SALVADOR = ngeohash.encode(-12.9714, -38.5014, 7); // BA: outside SP/MG/RJ
const us = (iso: string) => instanteUs(iso);

function historico(primeira: string, dispositivos: Record<string, string>): HistoricoDePessoa {
  return { primeira: us(primeira), dispositivos: new Map(Object.entries(dispositivos).map(([d, t]) => [d, us(t)])) };
}

function fatos(dt: string, dispositivo: string, geohash: string): FatosDoPedido {
  return { id_pedido: 1, id_pessoa: 10_000_000_001, dt_venda: us(dt), dispositivo, geohash };
}

describe("rule engine (pure)", () => {
  test("the geohashes used here are where they should be", () => {
    assert.equal(ufDoGeohash(SP), "SP");
    assert.equal(ufDoGeohash(BH), "MG");
    assert.equal(ufDoGeohash(SALVADOR), "BA");
  });

  test("first order: no device rule, whatever the device", () => {
    assert.deepEqual(avaliarRegras(fatos("2026-01-01T10:00:00Z", "Samsung", SP), undefined), []);
    // Only this very order is known (the state may already hold it): still the first.
    assert.deepEqual(avaliarRegras(fatos("2026-01-01T10:00:00Z", "Samsung", SP), historico("2026-01-01T10:00:00Z", { Samsung: "2026-01-01T10:00:00Z" })), []);
  });

  test("new device after an earlier order: dispositivo", () => {
    const h = historico("2026-01-01T10:00:00Z", { Iphone: "2026-01-01T10:00:00Z" });
    assert.deepEqual(avaliarRegras(fatos("2026-01-02T10:00:00Z", "Samsung", SP), h), ["dispositivo"]);
    // The state may already include this order (Samsung first seen now): same answer.
    h.dispositivos.set("Samsung", us("2026-01-02T10:00:00Z"));
    assert.deepEqual(avaliarRegras(fatos("2026-01-02T10:00:00Z", "Samsung", SP), h), ["dispositivo"]);
  });

  test("known device: nothing; an order at the same instant is not earlier", () => {
    const h = historico("2026-01-01T10:00:00Z", { Iphone: "2026-01-01T10:00:00Z", Samsung: "2026-01-03T10:00:00Z" });
    assert.deepEqual(avaliarRegras(fatos("2026-01-02T10:00:00Z", "Iphone", BH), h), []);
    // Samsung was used later (a later order does not make this one innocent) …
    assert.deepEqual(avaliarRegras(fatos("2026-01-05T10:00:00Z", "Samsung", SP), h), []);
    // … and an order at exactly the person's first instant is a first order too (SQL: dt > min).
    assert.deepEqual(avaliarRegras(fatos("2026-01-01T10:00:00Z", "Motorola", SP), h), []);
    // Microseconds count, like in PostgreSQL.
    assert.deepEqual(avaliarRegras(fatos("2026-01-01T10:00:00.000001Z", "Motorola", SP), h), ["dispositivo"]);
  });

  test("outside SP/MG/RJ: local; both rules at once", () => {
    const h = historico("2026-01-01T10:00:00Z", { Iphone: "2026-01-01T10:00:00Z" });
    assert.deepEqual(avaliarRegras(fatos("2026-01-02T10:00:00Z", "Iphone", SALVADOR), h), ["local"]);
    assert.deepEqual(avaliarRegras(fatos("2026-01-01T09:00:00Z", "Xiaomi", SALVADOR), undefined), ["local"]);
    assert.deepEqual(avaliarRegras(fatos("2026-01-02T10:00:00Z", "Samsung", SALVADOR), h), ["dispositivo", "local"]);
  });

  test("instants: Debezium ISO strings to microseconds", () => {
    assert.equal(us("1970-01-01T00:00:01.000002Z"), 1_000_002);
    assert.equal(us("2026-11-25T23:12:14.191000Z"), Date.parse("2026-11-25T23:12:14.191Z") * 1000);
    assert.equal(us("2026-11-25T20:12:14-03:00"), Date.parse("2026-11-25T23:12:14Z") * 1000);
    assert.throws(() => us("ontem"), /Instante inválido/);
  });

  test("device state keeps minimums: applying an order twice or out of order changes nothing", () => {
    const e = new EstadoDispositivos();
    e.registrarDispositivo(1, "Iphone", 300);
    e.registrarDispositivo(1, "Iphone", 100);
    e.registrarDispositivo(1, "Iphone", 300);
    e.registrarPedido(1, 50);
    assert.equal(e.historico(1)?.primeira, 50);
    assert.equal(e.historico(1)?.dispositivos.get("Iphone"), 100);
  });

  test("snapshot visibility of transaction ids", () => {
    const s = Snapshot.ler("100:105:101,103");
    assert.ok(s.ve(99) && s.ve(102) && s.ve(104));
    assert.ok(!s.ve(101) && !s.ve(103) && !s.ve(105) && !s.ve(2000));
  });
});

// Change events as lib/cdc decodes them.
function evento(tabela: TabelaDetector, after: Record<string, unknown>, tx?: { txId: number; ordem: number }, op: "c" | "r" = "c"): EventoCdc<unknown> {
  return {
    op,
    before: null,
    after,
    source: { connector: "postgresql", db: "liga_sudoers", schema: "public", table: tabela, txId: tx?.txId, ts_ms: 1_000 },
    ts_ms: 1_100,
    transaction: tx ? { id: `${tx.txId}:${tx.ordem}`, total_order: tx.ordem, data_collection_order: tx.ordem } : null,
  };
}
const pedido = (id: number, pessoa: number, dt: string, tx?: { txId: number; ordem: number }) =>
  evento("pedidos", { id, id_pessoa: pessoa, dt_venda: dt, valor_total: "10.00" }, tx);
const auditoria = (id: number, dispositivo: string, geohash: string, tx?: { txId: number; ordem: number }) =>
  evento("auditoria_pedidos", { id_pedido: id, dispositivo, geohash, telefone: "5511999999999" }, tx);
const resumo = (js: Julgamento[]) => Object.fromEntries(js.map((j) => [j.id_pedido, j.regras]));

describe("stream join (in memory)", () => {
  test("the two halves meet in any order; a half alone is never judged", () => {
    const m = new MotorDeDeteccao();
    m.receber("auditoria_pedidos", auditoria(1, "Iphone", SP));
    assert.deepEqual(m.colher(), []);
    m.receber("pedidos", pedido(1, 7, "2026-01-01T10:00:00Z"));
    m.receber("pedidos", pedido(2, 7, "2026-01-02T10:00:00Z"));
    assert.deepEqual(resumo(m.colher()), { 1: [] });
    m.receber("auditoria_pedidos", auditoria(2, "Samsung", SALVADOR));
    const [j] = m.colher();
    assert.deepEqual(j.regras, ["dispositivo", "local"]);
    assert.equal(j.uf, "BA");
    assert.equal(m.pendentesNoBuffer, 0);
  });

  test("a new person's first order and a new-device order in one transaction, split over partitions", () => {
    const m = new MotorDeDeteccao();
    // Order 2 (second row of transaction 50) arrives whole before anything of order 1.
    m.receber("pedidos", pedido(2, 9, "2026-01-01T10:00:01Z", { txId: 50, ordem: 2 }));
    m.receber("auditoria_pedidos", auditoria(2, "Samsung", SP, { txId: 50, ordem: 2 }));
    assert.deepEqual(m.colher(), [], "must wait for row 1 of its transaction");
    m.receber("pedidos", pedido(1, 9, "2026-01-01T10:00:00Z", { txId: 50, ordem: 1 }));
    assert.deepEqual(m.colher(), [], "must wait for the device of the person's earlier order");
    m.receber("auditoria_pedidos", auditoria(1, "Iphone", SP, { txId: 50, ordem: 1 }));
    assert.deepEqual(resumo(m.colher()), { 1: [], 2: ["dispositivo"] });
  });

  test("orders of transactions visible in the bootstrap snapshot are judged at once", () => {
    const estado = new EstadoDispositivos();
    estado.registrarDispositivo(9, "Iphone", us("2026-01-01T10:00:00Z"));
    const m = new MotorDeDeteccao(estado, Snapshot.ler("60:60:"));
    m.receber("pedidos", pedido(3, 9, "2026-01-02T10:00:00Z", { txId: 55, ordem: 4 }));
    m.receber("auditoria_pedidos", auditoria(3, "Iphone", SP, { txId: 55, ordem: 4 }));
    assert.deepEqual(resumo(m.colher()), { 3: [] });
  });

  test("an earlier transaction still unread in another partition: the database history is merged before judging", () => {
    const m = new MotorDeDeteccao();
    // Transaction 81 (order 6, new device) arrives whole; transaction 80 (order 5, the person's
    // first order) is still in a partition the consumer has not fetched.
    m.receber("pedidos", pedido(6, 9, "2026-01-01T10:00:01Z", { txId: 81, ordem: 1 }));
    m.receber("auditoria_pedidos", auditoria(6, "Samsung", SP, { txId: 81, ordem: 1 }));
    assert.deepEqual(m.pessoasAJulgar(), [9]);
    m.reforcarEstado([{ id_pessoa: 9, dispositivo: "Iphone", desde: us("2026-01-01T10:00:00Z") }]);
    assert.deepEqual(resumo(m.colher()), { 6: ["dispositivo"] });
    assert.deepEqual(m.pessoasAJulgar(), [], "nothing left to judge");
  });

  test("only orders whose verdict unread history could change ask the database", () => {
    const estado = new EstadoDispositivos();
    estado.registrarDispositivo(9, "Iphone", us("2026-01-01T10:00:00Z"));
    const m = new MotorDeDeteccao(estado);
    m.receber("pedidos", pedido(7, 9, "2026-01-02T10:00:00Z", { txId: 90, ordem: 1 }));
    m.receber("auditoria_pedidos", auditoria(7, "Iphone", SP, { txId: 90, ordem: 1 }));
    assert.deepEqual(m.pessoasAJulgar(), [], "a device in use before the order: no device rule, whatever else arrives");
    assert.deepEqual(resumo(m.colher()), { 7: [] });
    m.receber("pedidos", pedido(8, 9, "2026-01-03T10:00:00Z", { txId: 91, ordem: 1 }));
    m.receber("auditoria_pedidos", auditoria(8, "Nokia", SP, { txId: 91, ordem: 1 }));
    m.receber("pedidos", pedido(10, 12, "2026-01-03T10:00:00Z", { txId: 92, ordem: 1 }));
    m.receber("auditoria_pedidos", auditoria(10, "Iphone", SP, { txId: 92, ordem: 1 }));
    assert.deepEqual(m.pessoasAJulgar().sort((a, b) => a - b), [9, 12], "a device unseen before, and a first order, may both change with history");
    m.reforcarEstado([{ id_pessoa: 9, dispositivo: "Nokia", desde: us("2026-01-01T12:00:00Z") }]);
    assert.deepEqual(resumo(m.colher()), { 8: [], 10: [] });
  });

  test("the safety net judges a complete order whose predecessor never comes", () => {
    const m = new MotorDeDeteccao(new EstadoDispositivos(), undefined, 1000, 3000);
    m.receber("pedidos", pedido(5, 9, "2026-01-01T10:00:00Z", { txId: 70, ordem: 2 }), undefined, 0);
    m.receber("auditoria_pedidos", auditoria(5, "Iphone", SP, { txId: 70, ordem: 2 }), undefined, 0);
    assert.deepEqual(m.colher(2999), []);
    const [j] = m.colher(3000);
    assert.equal(j.porTempo, true);
  });

  test("a half whose other half lies before the resumed offsets is completed from the database", () => {
    const estado = new EstadoDispositivos();
    estado.registrarDispositivo(9, "Iphone", us("2026-01-01T10:00:00Z"));
    const m = new MotorDeDeteccao(estado, Snapshot.ler("60:60:"), 1000, 3000);
    // Transaction 55 committed before the bootstrap: only its audit half is re-read.
    m.receber("auditoria_pedidos", auditoria(4, "Samsung", SP, { txId: 55, ordem: 1 }), { topico: "a", particao: 0, offset: 7 }, 0);
    // Transaction 70 committed after: its other half will come, no lookup yet.
    m.receber("pedidos", pedido(5, 9, "2026-01-03T10:00:00Z", { txId: 70, ordem: 1 }), undefined, 0);
    assert.deepEqual(m.incompletosParaBuscar(100), [4]);
    m.completarDoBanco([4], [{ id: 4, id_pessoa: 9, dt_us: us("2026-01-02T10:00:00Z"), dt_iso: "2026-01-02T10:00:00.000000Z", dispositivo: "Samsung", geohash: SP }], 100);
    assert.deepEqual(resumo(m.colher(100)), { 4: ["dispositivo"] });
    assert.deepEqual(m.offsetsParaConfirmar(), [{ topic: "a", partition: 0, offset: "8" }]);
    // Its pedidos half shows up after all: the order was judged already, nothing new.
    m.receber("pedidos", pedido(4, 9, "2026-01-02T10:00:00Z", { txId: 55, ordem: 1 }), { topico: "p", particao: 0, offset: 3 }, 200);
    assert.deepEqual(m.colher(200), []);
    assert.equal(m.menorPendente(), 5);
    // After the safety-net delay, any lone half is looked up too; one missing in the database is dropped.
    assert.deepEqual(m.incompletosParaBuscar(3000), [5]);
    m.completarDoBanco([5], [], 3000);
    assert.equal(m.pendentesNoBuffer, 0);
  });

  test("offsets: committed only up to the first message whose order is still buffered", () => {
    const m = new MotorDeDeteccao();
    const pos = (topico: string, offset: number) => ({ topico, particao: 0, offset });
    m.receber("pedidos", pedido(1, 7, "2026-01-01T10:00:00Z"), pos("p", 10));
    m.receber("pedidos", pedido(2, 7, "2026-01-01T11:00:00Z"), pos("p", 11));
    m.receber("pedidos", null, pos("p", 12)); // a tombstone: nothing to wait for
    m.receber("auditoria_pedidos", auditoria(2, "Iphone", SP), pos("a", 40));
    m.colher();
    // Order 2 waits for order 1 (same person, earlier, device unknown): nothing is committable.
    assert.deepEqual(m.offsetsParaConfirmar(), []);
    m.receber("auditoria_pedidos", auditoria(1, "Iphone", SP), pos("a", 41));
    assert.equal(m.colher().length, 2);
    assert.deepEqual(m.offsetsParaConfirmar(), [
      { topic: "p", partition: 0, offset: "13" },
      { topic: "a", partition: 0, offset: "42" },
    ]);
    // A re-delivered message (same offset) is ignored.
    m.receber("pedidos", pedido(1, 7, "2026-01-01T10:00:00Z"), pos("p", 10));
    assert.equal(m.contadores.repetidos, 1);
    assert.equal(m.pendentesNoBuffer, 0);
  });

  test("snapshot rows only feed the state; updates are ignored; the buffer is bounded", () => {
    const m = new MotorDeDeteccao(new EstadoDispositivos(), undefined, 2);
    m.receber("pedidos", evento("pedidos", { id: 1, id_pessoa: 7, dt_venda: "2026-01-01T10:00:00Z" }, undefined, "r"));
    m.receber("auditoria_pedidos", evento("auditoria_pedidos", { id_pedido: 1, dispositivo: "Iphone", geohash: SALVADOR }, undefined, "r"));
    assert.deepEqual(m.colher(), []);
    assert.equal(m.estado.historico(7)?.primeira, us("2026-01-01T10:00:00Z"));
    m.receber("pedidos", { ...pedido(3, 7, "2026-01-01T10:00:00Z"), op: "u" });
    for (const id of [10, 11, 12]) m.receber("pedidos", pedido(id, 8, "2026-01-01T10:00:00Z"));
    assert.equal(m.pendentesNoBuffer, 2);
    assert.equal(m.contadores.descartados, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real services

const maxPedido = async () => (await query<{ m: number }>("oltp", "SELECT coalesce(max(id), 0)::bigint AS m FROM public.pedidos"))[0].m;
const rotulados = async (de: number, ate: number) =>
  new Map(
    (await query<{ id: number; tipo: string }>("oltp", "SELECT id_pedido AS id, tipo FROM gabarito.rotulos_fraude WHERE id_pedido > $1 AND id_pedido <= $2", [de, ate])).map(
      (r) => [Number(r.id), r.tipo],
    ),
  );
const pausa = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Distinct alert keys in (de, ate] since `desde`, checking each message's key is its id_pedido. */
async function chavesDeAlerta(desde: Record<number, string>, de: number, ate: number): Promise<{ chaves: Map<number, string[]>; mensagens: number }> {
  const chaves = new Map<number, string[]>();
  let mensagens = 0;
  for (const m of await lerAlertas(desde, { timeoutMs: 20_000 })) {
    assert.equal(m.chave, String(m.alerta.id_pedido), "the key of an alert is its id_pedido");
    const id = m.alerta.id_pedido;
    if (id <= de || id > ate) continue;
    mensagens++;
    chaves.set(id, m.alerta.regras);
  }
  return { chaves, mensagens };
}

function conferir(chaves: Map<number, string[]>, gabarito: Map<number, string>): void {
  const semAlerta = [...gabarito.keys()].filter((id) => !chaves.has(id));
  const semRotulo = [...chaves.keys()].filter((id) => !gabarito.has(id));
  assert.deepEqual(semAlerta, [], "labelled orders without an alert");
  assert.deepEqual(semRotulo, [], "clean orders alerted");
  for (const [id, tipo] of gabarito) assert.deepEqual(chaves.get(id), [tipo], `rules of order ${id}`);
}

function detectorFilho(grupo: string, ...extra: string[]): { filho: ChildProcess; saida: () => string; pronto: Promise<void>; fim: Promise<number | null> } {
  const filho = spawn(process.execPath, ["--import", "tsx", "cli/detector.ts", "--grupo", grupo, ...extra], { cwd: cfg.root, stdio: ["ignore", "pipe", "pipe"] });
  let texto = "";
  filho.stdout!.on("data", (d) => (texto += d));
  filho.stderr!.on("data", (d) => (texto += d));
  const fim = new Promise<number | null>((resolve) => filho.on("exit", (code) => resolve(code)));
  const pronto = new Promise<void>((resolve, reject) => {
    const limite = setTimeout(() => reject(new Error(`detector did not get ready in 60 s:\n${texto}`)), 60_000);
    const ver = () => {
      if (/Detector pronto/.test(texto)) {
        clearTimeout(limite);
        resolve();
      }
    };
    filho.stdout!.on("data", ver);
    void fim.then((code) => {
      clearTimeout(limite);
      reject(new Error(`detector exited (${code}) before getting ready:\n${texto}`));
    });
  });
  pronto.catch(() => undefined);
  return { filho, saida: () => texto, pronto, fim };
}

describe("detector against PostgreSQL, Debezium and Kafka", { timeout: 420_000 }, () => {
  const grupos: string[] = [];
  const grupo = () => {
    const g = `liga-sudoers-detector-teste-${randomUUID().slice(0, 8)}`;
    grupos.push(g);
    return g;
  };

  before(async () => {
    await prepararCaptura();
    await registrarConector();
  });

  after(async () => {
    const admin = clienteKafka("liga-sudoers-teste-detector").admin();
    await admin.connect();
    await admin.deleteGroups(grupos).catch(() => undefined);
    await admin.disconnect();
  });

  test("bad flags: a message in Portuguese and exit code 2", () => {
    for (const args of [["--duracao", "trinta"], ["--nada"], ["--grupo", "com espaço"], ["--max-pendentes=0"]]) {
      const r = spawnSync(process.execPath, ["--import", "tsx", "cli/detector.ts", ...args], { cwd: cfg.root, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /inválido|desconhecida/);
    }
  });

  test("streaming generator + detector: one alert key per labelled order, none for a clean one", { timeout: 180_000 }, async () => {
    const desde = await fimDosAlertas();
    let pronto: () => void = () => undefined;
    const iniciou = new Promise<void>((r) => (pronto = r));
    let ultimo = 0;
    let menorPendente: number | null = null;
    let alvo = Infinity;
    const detector = executarDetector({
      grupo: grupo(),
      duracaoMs: 150_000,
      aoIniciar: () => pronto(),
      aoProgredir: (p) => {
        ultimo = p.ultimoPedido ?? 0;
        menorPendente = p.menorPendente;
      },
      // Everything up to the last generated order judged (other writers may keep the buffer busy).
      ate: () => ultimo >= alvo && (menorPendente === null || menorPendente > alvo),
    });
    await Promise.race([iniciou, detector]);
    const antes = await maxPedido();
    const g = await gerarStreaming({ duracaoMs: 10_000, intervaloMs: 100, pedidosPorTick: 30, pessoasPorTick: 3, seed: 11 });
    alvo = await maxPedido();
    const r = await detector;
    assert.ok(g.fraudes > 0, "the generator injected fraud");
    assert.ok(ultimo >= alvo, `the detector judged up to ${ultimo}, the generator wrote up to ${alvo}`);
    assert.equal(r.descartados, 0);
    assert.equal(r.julgadosPorTempo, 0, "every order was judged with everything before it in");
    const gabarito = await rotulados(antes, alvo);
    const { chaves } = await chavesDeAlerta(desde, antes, alvo);
    conferir(chaves, gabarito);
    const medida = await medirDeteccao({ de: antes + 1, ate: alvo });
    for (const m of medida.regras) {
      if (m.rotulados === 0) continue;
      assert.equal(m.precisao, 1, `precision of ${m.regra}`);
      assert.equal(m.recall, 1, `recall of ${m.regra}`);
    }
  });

  test("one detector per group: a second one is refused with exit code 2", { timeout: 90_000 }, async () => {
    const g = grupo();
    let pronto: () => void = () => undefined;
    const iniciou = new Promise<void>((r) => (pronto = r));
    let parar = false;
    const primeiro = executarDetector({ grupo: g, gravarTabela: false, aoIniciar: () => pronto(), ate: () => parar, duracaoMs: 80_000 });
    await Promise.race([iniciou, primeiro]);
    await pausa(3000); // joined the group
    // Asynchronously: a spawnSync would block this process, and the first detector's heartbeats with it.
    const segundo = detectorFilho(g);
    const codigo = await Promise.race([segundo.fim, pausa(60_000).then(() => "timeout")]);
    if (segundo.filho.exitCode === null) segundo.filho.kill("SIGKILL");
    parar = true;
    await primeiro;
    assert.equal(codigo, 2, segundo.saida());
    assert.match(segundo.saida(), /Já há um detector ativo no grupo/);
  });

  test("SIGKILL mid-stream and restart: every labelled order still has exactly one alert key", { timeout: 240_000 }, async (t) => {
    const desde = await fimDosAlertas();
    const g = grupo();
    // A wide window between publishing alerts and committing: the kill lands in it, so alerts are replayed.
    const primeiro = detectorFilho(g, "--atraso-commit", "1500ms");
    let segundo: ReturnType<typeof detectorFilho> | undefined;
    try {
      await primeiro.pronto;
      const antes = await maxPedido();
      const geracao = gerarStreaming({ duracaoMs: 14_000, intervaloMs: 100, pedidosPorTick: 30, pessoasPorTick: 3, seed: 12 });
      // Kill it inside a window between publishing alerts and committing, without any chance to commit or disconnect.
      const limite = Date.now() + 30_000;
      const naJanela = () => (primeiro.saida().split("Detector pronto")[1] ?? "").match(/alertas publicados; os offsets só serão confirmados/g)?.length ?? 0;
      while (naJanela() < 2 && Date.now() < limite) await pausa(20);
      primeiro.filho.kill("SIGKILL");
      await primeiro.fim;
      await pausa(1000);
      segundo = detectorFilho(g);
      await segundo.pronto;
      assert.match(segundo.saida(), /continua do último commit/);
      const gerado = await geracao;
      assert.ok(gerado.fraudes > 0);
      const alvo = await maxPedido();
      const gabarito = await rotulados(antes, alvo);
      // The restarted detector catches up: poll the topic until every label has its alert (bounded).
      let chaves = new Map<number, string[]>();
      let mensagens = 0;
      const prazo = Date.now() + 90_000;
      do {
        await pausa(2000);
        ({ chaves, mensagens } = await chavesDeAlerta(desde, antes, alvo));
      } while ([...gabarito.keys()].some((id) => !chaves.has(id)) && Date.now() < prazo);
      segundo.filho.kill("SIGTERM");
      assert.equal(await segundo.fim, 0, segundo.saida());
      assert.match(segundo.saida(), /SIGTERM recebido/);
      assert.match(segundo.saida(), /Detector encerrado/);
      // Read again after the clean stop: nothing new, nothing missing, replays only repeat keys.
      ({ chaves, mensagens } = await chavesDeAlerta(desde, antes, alvo));
      conferir(chaves, gabarito);
      assert.ok(mensagens > chaves.size, "the kill should have left published but uncommitted alerts, replayed after the restart");
      t.diagnostic(`${alvo - antes} orders, ${gabarito.size} labelled, ${chaves.size} alert keys in ${mensagens} messages (replays repeat keys)`);
    } finally {
      if (primeiro.filho.exitCode === null) primeiro.filho.kill("SIGKILL");
      if (segundo && segundo.filho.exitCode === null) segundo.filho.kill("SIGKILL");
    }
  });
});
