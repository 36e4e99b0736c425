// The real-time fraud detector without any service: the two rules (and the device rule as the
// lakehouse applies it to a person's whole history), the device state, snapshot visibility, the
// stream join of MotorDeDeteccao with its readiness and offsets, and how the alerts topic is
// ensured. The same engine against PostgreSQL, Debezium and Kafka: tests/integracao/detector.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Admin } from "kafkajs";
import ngeohash from "ngeohash";
import type { EventoCdc } from "../../lib/cdc";
import {
  avaliarRegras,
  EstadoDispositivos,
  garantirTopicoDeAlertas,
  instanteUs,
  MotorDeDeteccao,
  pedidosComDispositivoNovo,
  Snapshot,
  TOPICO_ALERTAS,
  type FatosDoPedido,
  type HistoricoDePessoa,
  type Julgamento,
  type TabelaDetector,
} from "../../lib/detector/index";
import { ufDoGeohash } from "../../lib/geo";
import { criarRng, escolher, inteiro } from "../../lib/random";
import { CASOS_DISPOSITIVO, pedidosPorPessoa } from "../apoio/regra-dispositivo";

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
    assert.deepEqual(
      avaliarRegras(fatos("2026-01-01T10:00:00Z", "Samsung", SP), historico("2026-01-01T10:00:00Z", { Samsung: "2026-01-01T10:00:00Z" })),
      [],
    );
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
function evento(
  tabela: TabelaDetector,
  after: Record<string, unknown>,
  tx?: { txId: number; ordem: number },
  op: "c" | "r" = "c",
): EventoCdc<unknown> {
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
    assert.deepEqual(
      m.pessoasAJulgar().sort((a, b) => a - b),
      [9, 12],
      "a device unseen before, and a first order, may both change with history",
    );
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
    m.completarDoBanco(
      [4],
      [
        {
          id: 4,
          id_pessoa: 9,
          dt_us: us("2026-01-02T10:00:00Z"),
          dt_iso: "2026-01-02T10:00:00.000000Z",
          dispositivo: "Samsung",
          geohash: SP,
        },
      ],
      100,
    );
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

describe("the device rule over a person's whole history (the lakehouse's view)", () => {
  test("each case gets the course's verdict, from the batch function and from the stream's state", () => {
    const esperado = CASOS_DISPOSITIVO.filter((c) => c.esperado).map((c) => c.id_pedido);
    const lote = [...pedidosPorPessoa(CASOS_DISPOSITIVO).values()].flatMap((pedidos) => [...pedidosComDispositivoNovo(pedidos)]);
    assert.deepEqual(
      lote.sort((a, b) => a - b),
      esperado,
    );
    const estado = new EstadoDispositivos();
    for (const c of CASOS_DISPOSITIVO) estado.registrarDispositivo(c.id_pessoa, c.dispositivo, us(c.dt_venda));
    for (const c of CASOS_DISPOSITIVO) {
      const regras = avaliarRegras(
        { id_pedido: c.id_pedido, id_pessoa: c.id_pessoa, dt_venda: us(c.dt_venda), dispositivo: c.dispositivo, geohash: SP },
        estado.historico(c.id_pessoa),
      );
      assert.deepEqual(regras, c.esperado ? ["dispositivo"] : [], `order ${c.id_pedido}: ${c.porque}`);
    }
  });

  test("an order without a device breaks no device rule but is still an order of the person", () => {
    const novos = pedidosComDispositivoNovo([
      { id: "a", instante: 100, dispositivo: null },
      { id: "b", instante: 200, dispositivo: "Iphone" },
    ]);
    assert.deepEqual([...novos], ["b"]);
  });

  test("random histories: the batch function and the stream's judgement agree order by order", () => {
    const rng = criarRng(20_26);
    const dispositivos = ["Iphone", "Samsung", "Motorola", "Nokia"];
    let quebras = 0;
    for (let pessoa = 1; pessoa <= 300; pessoa++) {
      // Few distinct instants, so ties (same instant, same device) happen often.
      const pedidos = Array.from({ length: inteiro(rng, 1, 6) }, (_, i) => ({
        id: pessoa * 10 + i,
        instante: inteiro(rng, 1, 5),
        dispositivo: escolher(rng, dispositivos),
      }));
      const estado = new EstadoDispositivos();
      for (const p of pedidos) estado.registrarDispositivo(pessoa, p.dispositivo, p.instante);
      const lote = pedidosComDispositivoNovo(pedidos);
      for (const p of pedidos) {
        const stream = avaliarRegras(
          { id_pedido: p.id, id_pessoa: pessoa, dt_venda: p.instante, dispositivo: p.dispositivo, geohash: SP },
          estado.historico(pessoa),
        ).includes("dispositivo");
        assert.equal(lote.has(p.id), stream, `person ${pessoa}, order ${p.id}`);
      }
      quebras += lote.size;
    }
    assert.ok(quebras > 0, "the random histories must include orders that break the rule");
  });
});

// An Admin that answers what the broker would: only what garantirTopicoDeAlertas calls.
interface AdminFalso {
  admin: Admin;
  criacoes: number;
  /** The policies set with alterConfigs, per topic. */
  alteracoes: { topico: string; politica: string | undefined }[];
}

function adminFalso(o: { topicos: string[]; criar: () => Promise<boolean>; politica: string }): AdminFalso {
  const r: AdminFalso = { admin: undefined as unknown as Admin, criacoes: 0, alteracoes: [] };
  r.admin = {
    listTopics: async () => o.topicos,
    createTopics: async () => {
      r.criacoes++;
      return o.criar();
    },
    describeConfigs: async () => ({ resources: [{ configEntries: [{ configName: "cleanup.policy", configValue: o.politica }] }] }),
    alterConfigs: async (p: { resources: { name: string; configEntries: { name: string; value: string }[] }[] }) => {
      for (const x of p.resources)
        r.alteracoes.push({ topico: x.name, politica: x.configEntries.find((c) => c.name === "cleanup.policy")?.value });
    },
  } as unknown as Admin;
  return r;
}

describe("the alerts topic", () => {
  test("missing: created compacted, nothing else to check", async () => {
    const a = adminFalso({ topicos: [], criar: async () => true, politica: "delete" });
    await garantirTopicoDeAlertas(a.admin);
    assert.equal(a.criacoes, 1);
    assert.deepEqual(a.alteracoes, []);
  });

  test("created by another detector meanwhile (kafkajs: false on TOPIC_ALREADY_EXISTS): its policy is checked and fixed", async () => {
    const a = adminFalso({ topicos: [], criar: async () => false, politica: "delete" });
    await garantirTopicoDeAlertas(a.admin);
    assert.equal(a.criacoes, 1);
    assert.deepEqual(a.alteracoes, [{ topico: TOPICO_ALERTAS, politica: "compact" }]);
  });

  test("existing and compacted: nothing is created or altered", async () => {
    const a = adminFalso({ topicos: [TOPICO_ALERTAS], criar: async () => true, politica: "compact" });
    await garantirTopicoDeAlertas(a.admin);
    assert.equal(a.criacoes, 0);
    assert.deepEqual(a.alteracoes, []);
  });

  test("any other failure to create it propagates", async () => {
    const falha = Object.assign(new Error("Broker: not authorized"), { type: "TOPIC_AUTHORIZATION_FAILED", code: 29 });
    const a = adminFalso({ topicos: [], criar: async () => Promise.reject(falha), politica: "compact" });
    await assert.rejects(garantirTopicoDeAlertas(a.admin), (e) => e === falha);
    assert.deepEqual(a.alteracoes, []);
  });
});
