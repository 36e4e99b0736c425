// CDC against the real services: debezium-init applied twice (least-privilege user, replica
// identity, publication), the connector registered idempotently, the snapshot, c/u/d events of
// a person with before/after, exact decimals and readable dates, the streaming reader, clear
// errors for a wrong config, the topic list, and no committed order lost when Kafka Connect
// stops mid-stream. What needs no service (the decoder, hints, typed errors) is in
// tests/unidade/cdc.test.ts.
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { config } from "../../lib/config";
import { query, withClient } from "../../lib/db";
import {
  CONECTOR,
  TABELAS_CAPTURADAS,
  acompanhar,
  clienteKafka,
  consumirEmGrupo,
  definicaoConector,
  esperarRodando,
  estadoCaptura,
  lerDesde,
  lerEmLotes,
  listarTopicos,
  posicoesFinais,
  posicoesIniciais,
  prepararCaptura,
  registrarConector,
  removerConector,
  statusConector,
  topicoDaTabela,
  ultimasMensagens,
  type MensagemCdc,
} from "../../lib/cdc";
import { garantirRotulos } from "../../lib/carga";
import { ErroConectorAusente } from "../../lib/erros";
import { garantirPessoas, gerarStreaming } from "../../lib/geradores";
import { stackDirs, stopByPid } from "../../stack/proc";
import { stackUp } from "../../stack/services";

const cfg = config();
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Microseconds since the epoch of an ISO UTC instant as Debezium sends it (Date.parse stops at ms). */
function micros(iso: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(iso);
  assert.ok(m, `instante fora do formato: ${iso}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] ?? "").padEnd(6, "0").slice(0, 6));
}

interface Pessoa {
  id: number;
  nome: string;
  sexo: string;
  dt_nasc: string;
  created_at: string;
  updated_at: string;
}

// Connectors and people this file creates, removed in after() whatever happens.
const conectoresDeTeste: string[] = [];
const pessoasDeTeste: number[] = [];

async function pessoaNova(): Promise<number> {
  for (;;) {
    const id = randomInt(10_000_000_000, 99_999_999_999);
    const [{ n }] = await query<{ n: number }>("oltp", "SELECT count(*) AS n FROM pessoas WHERE id = $1", [id]);
    if (n === 0) return id;
  }
}

before(async () => {
  // On a fresh machine this file may run first: make sure there are orders (and the answer-key
  // schema the privilege test looks at) before the snapshot.
  await withClient("oltp", (c) => garantirRotulos(c));
  await garantirPessoas(50);
  await gerarStreaming({ ticks: 2, intervaloMs: 0, pessoasPorTick: 0, pedidosPorTick: 20 });
  await prepararCaptura();
  await registrarConector({ timeoutMs: 120_000 });
});

after(async () => {
  for (const nome of conectoresDeTeste) await removerConector(nome, { descartarSlot: true }).catch(() => undefined);
  // A test person the streaming generator picked as a customer meanwhile keeps their orders (and stays).
  if (pessoasDeTeste.length) {
    await query("oltp", "DELETE FROM pessoas p WHERE id = ANY($1) AND NOT EXISTS (SELECT 1 FROM pedidos WHERE id_pessoa = p.id)", [
      pessoasDeTeste,
    ]);
  }
});

describe("debezium-init", () => {
  test("applies twice; six published tables, FULL only on pessoas; least-privilege replication user", async () => {
    await prepararCaptura();
    await prepararCaptura();
    const estado = await estadoCaptura();
    assert.deepEqual(
      estado.tabelas.map((t) => [t.tabela, t.replicaIdentity, t.publicada]),
      TABELAS_CAPTURADAS.map((t) => [t, t === "pessoas" ? "FULL" : "DEFAULT", true]),
    );
    const [pub] = await query<{ n: number; todas: boolean; ins: boolean; upd: boolean; del: boolean }>(
      "oltp",
      `SELECT (SELECT count(*) FROM pg_publication_tables WHERE pubname = p.pubname) AS n, puballtables AS todas,
              pubinsert AS ins, pubupdate AS upd, pubdelete AS del
         FROM pg_publication p WHERE pubname = $1`,
      [estado.publicacao],
    );
    assert.deepEqual(pub, { n: 6, todas: false, ins: true, upd: true, del: true });

    const { user: usuario } = config().cdc;
    const [papel] = await query<Record<string, boolean>>(
      "oltp",
      `SELECT rolcanlogin, rolreplication, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolinherit
         FROM pg_roles WHERE rolname = $1`,
      [usuario],
    );
    assert.deepEqual(papel, {
      rolcanlogin: true,
      rolreplication: true,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolbypassrls: false,
      rolinherit: false,
    });
    // Every privilege on every table of every schema: SELECT on the six, nothing else anywhere.
    const privilegios = await query<{ tabela: string; priv: string }>(
      "oltp",
      `SELECT n.nspname || '.' || c.relname AS tabela, p.priv
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) AS p(priv)
        WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND has_table_privilege($1, c.oid, p.priv)
        ORDER BY 1, 2`,
      [usuario],
    );
    assert.deepEqual(
      privilegios,
      [...TABELAS_CAPTURADAS].sort().map((t) => ({ tabela: `public.${t}`, priv: "SELECT" })),
    );
    const [esquema] = await query<{ uso: boolean; criar: boolean; gabarito: boolean; membro: number }>(
      "oltp",
      `SELECT has_schema_privilege($1, 'public', 'USAGE') AS uso, has_schema_privilege($1, 'public', 'CREATE') AS criar,
              has_schema_privilege($1, 'gabarito', 'USAGE') AS gabarito,
              (SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1) AS membro`,
      [usuario],
    );
    assert.deepEqual(esquema, { uso: true, criar: false, gabarito: false, membro: 0 });
  });

  test("no credential written in debezium-init; the connector takes them from the worker's environment", () => {
    const { user: usuario, password: senha } = config().cdc;
    const dir = join(cfg.root, "debezium-init");
    for (const arquivo of readdirSync(dir)) {
      const texto = readFileSync(join(dir, arquivo), "utf8");
      assert.ok(!texto.includes(senha), `${arquivo} contém a senha`);
      assert.ok(!new RegExp(`\\b${usuario}\\b`).test(texto), `${arquivo} contém o usuário`);
    }
    const def = definicaoConector();
    assert.equal(def.name, CONECTOR);
    // Connect's config provider placeholder, resolved by the worker from its environment.
    const doAmbiente = (variavel: string) => `\${env:${variavel}}`;
    assert.equal(def.config["database.user"], doAmbiente("CDC_USER"));
    assert.equal(def.config["database.password"], doAmbiente("CDC_PASSWORD"));
    assert.equal(def.config["topic.prefix"], doAmbiente("CDC_TOPIC_PREFIX"));
    assert.equal(def.config["plugin.name"], "pgoutput");
    assert.equal(def.config["publication.autocreate.mode"], "disabled");
    assert.equal(def.config["decimal.handling.mode"], "string");
    assert.deepEqual(
      def.config["table.include.list"].split(","),
      TABELAS_CAPTURADAS.map((t) => `public.${t}`),
    );
  });
});

describe("connector", () => {
  test("registering again is a no-op ('inalterado'), RUNNING, and the REST config shows no password", async () => {
    const t0 = Date.now();
    const segunda = await registrarConector();
    assert.equal(segunda.acao, "inalterado");
    assert.equal(segunda.status.estado, "RUNNING");
    assert.ok(segunda.status.tarefas.length >= 1 && segunda.status.tarefas.every((t) => t.estado === "RUNNING"));
    assert.ok(Date.now() - t0 < 10_000);
    const res = await fetch(`${cfg.connect.url}/connectors/${CONECTOR}/config`);
    const texto = await res.text();
    assert.ok(!texto.includes(config().cdc.password), "a senha apareceu na API REST");
    assert.match(texto, /\$\{env:CDC_PASSWORD\}/);
    assert.equal((await statusConector()).estado, "RUNNING");
  });

  test("snapshot: every category arrives as op 'r'; product prices are the exact database strings", async () => {
    const todas = async (tabela: string) => {
      const fim = await posicoesFinais([topicoDaTabela(tabela)]);
      const inicio = { [topicoDaTabela(tabela)]: Object.fromEntries(Object.keys(fim[topicoDaTabela(tabela)]).map((p) => [p, "0"])) };
      return lerDesde(inicio, { timeoutMs: 30_000 });
    };
    const categorias = await todas("categorias");
    const lidas = new Map<number, MensagemCdc<Record<string, unknown>>>();
    for (const m of categorias) if (m.evento?.op === "r") lidas.set(Number((m.evento.after as { id: number }).id), m);
    const banco = await query<{ id: number; descricao: string }>("oltp", "SELECT id, descricao FROM categorias ORDER BY id");
    for (const c of banco) {
      const m = lidas.get(c.id);
      assert.ok(m, `categoria ${c.id} sem evento de snapshot`);
      assert.equal(m.evento?.before, null);
      assert.equal((m.evento?.after as { descricao: string } | undefined)?.descricao, c.descricao);
      assert.deepEqual(m.chave, { id: c.id });
      assert.ok(
        ["true", "first", "last", "first_in_data_collection", "last_in_data_collection"].includes(String(m.evento?.source.snapshot)),
      );
    }
    const produtos = await todas("produtos");
    const precos = new Map<number, unknown>();
    for (const m of produtos) if (m.evento?.after) precos.set(Number(m.evento.after.id), m.evento.after.valor_unit);
    const noBanco = await query<{ id: number; valor: string }>("oltp", "SELECT id, valor_unit::text AS valor FROM produtos");
    assert.ok(noBanco.length >= 200);
    for (const p of noBanco) assert.equal(precos.get(p.id), p.valor, `produto ${p.id}`);
    assert.ok([...precos.values()].every((v) => typeof v === "string" && /^\d+\.\d{2}$/.test(v)));
  });

  test("a person inserted, updated and deleted: c, u, d (+ tombstone) in order, with full before/after", async (t) => {
    const topico = topicoDaTabela("pessoas");
    const desde = await posicoesFinais([topico]);
    const id = await pessoaNova();
    pessoasDeTeste.push(id);
    await query("oltp", "INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, 'Ada Teste CDC', 'F', '1950-03-07')", [id]);
    await query("oltp", "UPDATE pessoas SET nome = 'Ada Lovelace CDC' WHERE id = $1", [id]);
    await query("oltp", "DELETE FROM pessoas WHERE id = $1", [id]); // no orders: no FK blocks it
    const daPessoa = (ms: MensagemCdc<Pessoa>[]) => ms.filter((m) => (m.chave as { id?: number } | null)?.id === id);
    const msgs = daPessoa(
      await lerDesde<Pessoa>(desde, { timeoutMs: 30_000, parar: (lidas) => daPessoa(lidas).some((m) => m.evento === null) }),
    );
    assert.deepEqual(
      msgs.map((m) => m.evento?.op ?? "tombstone"),
      ["c", "u", "d", "tombstone"],
    );
    assert.equal(new Set(msgs.map((m) => m.particao)).size, 1, "a key always lands in one partition");
    const [c, u, d] = msgs.map((m) => m.evento!);
    assert.equal(c.before, null);
    assert.equal(c.after?.dt_nasc, "1950-03-07");
    assert.equal(c.after?.nome, "Ada Teste CDC");
    assert.match(c.after!.created_at, ISO_UTC);
    assert.equal(u.before?.nome, "Ada Teste CDC"); // REPLICA IDENTITY FULL: the whole old row
    assert.equal(u.before?.dt_nasc, "1950-03-07");
    assert.equal(u.after?.nome, "Ada Lovelace CDC");
    // The trigger of lesson 01 stamps now() on every UPDATE: the new value is strictly later
    // (equal would mean the trigger did not run), compared to the microsecond.
    assert.ok(
      micros(u.after!.updated_at) > micros(u.before!.updated_at),
      `updated_at não andou: ${u.before!.updated_at} → ${u.after!.updated_at}`,
    );
    assert.equal(u.before!.updated_at, c.after!.updated_at);
    assert.equal(d.after, null);
    assert.deepEqual({ ...d.before, updated_at: undefined }, { ...u.after, updated_at: undefined });
    assert.equal(c.source.table, "pessoas");
    assert.equal(c.source.schema, "public");
    assert.ok(typeof c.source.txId === "number" && typeof c.source.lsn === "number");
    assert.ok(c.source.txId !== u.source.txId, "three autocommit statements, three transactions");
    const latencias = msgs.slice(0, 3).map((m) => m.timestamp - m.evento!.source.ts_ms);
    t.diagnostic(`latência commit → Kafka: ${latencias.join(", ")} ms`);
    assert.ok(
      latencias.every((l) => l >= -1000 && l < 15_000),
      `${latencias}`,
    );
  });

  test("orders: valor_total is the exact numeric text, dt_venda an ISO instant equal to the database's", async () => {
    const msgs = await ultimasMensagens<{ id: number; valor_total: string; dt_venda: string }>(topicoDaTabela("pedidos"), 30);
    const depois = msgs.filter((m) => m.evento?.after);
    assert.ok(depois.length > 0);
    const banco = await query<{ id: number; valor: string; ms: string }>(
      "oltp",
      "SELECT id, valor_total::text AS valor, (extract(epoch FROM dt_venda) * 1000)::numeric(20,3)::text AS ms FROM pedidos WHERE id = ANY($1)",
      [depois.map((m) => m.evento!.after!.id)],
    );
    assert.ok(banco.length > 0);
    const porId = new Map(banco.map((r) => [r.id, r]));
    for (const m of depois) {
      const a = m.evento!.after!;
      const r = porId.get(a.id);
      if (!r) continue; // an order deleted since (never by this file)
      assert.equal(a.valor_total, r.valor);
      assert.match(a.valor_total, /^\d+\.\d{2}$/);
      assert.match(a.dt_venda, ISO_UTC);
      assert.equal(Date.parse(a.dt_venda), Math.floor(Number(r.ms)));
    }
  });

  test("acompanhar: a bounded tail sees a change made right after it starts, and stops on ate()", async () => {
    const id = await pessoaNova();
    pessoasDeTeste.push(id);
    const ops: string[] = [];
    const t0 = Date.now();
    await acompanhar<Pessoa>(
      [topicoDaTabela("pessoas")],
      (m) => {
        if ((m.chave as { id?: number } | null)?.id === id) ops.push(m.evento?.op ?? "tombstone");
      },
      {
        duracaoMs: 30_000,
        ate: () => ops.includes("c"),
        aoIniciar: () =>
          void query("oltp", "INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, 'Tail Teste', 'M', '2000-01-01')", [id]),
      },
    );
    assert.deepEqual(ops, ["c"]);
    assert.ok(Date.now() - t0 < 25_000, `${Date.now() - t0} ms`);
    // Bounded even when nothing matches.
    const t1 = Date.now();
    await acompanhar([topicoDaTabela("categorias")], () => undefined, { duracaoMs: 1500 });
    assert.ok(Date.now() - t1 < 10_000);
  });

  test("consumirEmGrupo: committed offsets survive a restart of the group's consumer", async () => {
    const topico = topicoDaTabela("pessoas");
    const grupo = `liga-sudoers-teste-grupo-${randomUUID().slice(0, 8)}`;
    const id = await pessoaNova();
    pessoasDeTeste.push(id);
    const desta = (m: MensagemCdc<Pessoa>) => (m.chave as { id?: number } | null)?.id === id;
    const esperar = async (cond: () => boolean, what: string) => {
      const limite = Date.now() + 30_000;
      while (!cond()) {
        if (Date.now() > limite) throw new Error(`timeout: ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      const primeiro: string[] = [];
      const c1 = await consumirEmGrupo<Pessoa>([topico], (m) => void (desta(m) && primeiro.push(m.evento?.op ?? "tombstone")), {
        grupo,
        desde: await posicoesFinais([topico]),
      });
      await query("oltp", "INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, 'Grupo Teste', 'F', '1999-09-09')", [id]);
      await esperar(() => primeiro.includes("c"), "insert seen by the first consumer");
      await c1.parar(); // commits
      await query("oltp", "UPDATE pessoas SET nome = 'Grupo Teste 2' WHERE id = $1", [id]); // nobody reading
      const segundo: string[] = [];
      const c2 = await consumirEmGrupo<Pessoa>([topico], (m) => void (desta(m) && segundo.push(m.evento?.op ?? "tombstone")), { grupo });
      try {
        await esperar(() => segundo.includes("u"), "update seen by the restarted group");
      } finally {
        await c2.parar();
      }
      assert.deepEqual(primeiro, ["c"]);
      assert.deepEqual(segundo, ["u"], "resumed after the committed insert, not from the end nor the start");
    } finally {
      const admin = clienteKafka("liga-test-admin").admin();
      await admin.connect();
      await admin.deleteGroups([grupo]).catch(() => undefined);
      await admin.disconnect();
    }
  });

  test("listarTopicos: the six table topics, with partitions and message counts", async () => {
    const topicos = await listarTopicos();
    const porNome = new Map(topicos.map((t) => [t.topico, t]));
    for (const tabela of TABELAS_CAPTURADAS) {
      const t = porNome.get(`${cfg.connect.topicPrefix}.public.${tabela}`);
      assert.ok(t, `falta o tópico de ${tabela}`);
      assert.ok(t.particoes >= 1);
      assert.ok(t.mensagens > 0, `${tabela} sem mensagens`);
    }
    const [{ n }] = await query<{ n: number }>("oltp", "SELECT count(*) AS n FROM categorias");
    assert.ok(porNome.get(topicoDaTabela("categorias"))!.mensagens >= n);
    assert.ok(topicos.every((t) => t.topico.startsWith(`${cfg.connect.topicPrefix}.`)));
  });
});

describe("lerEmLotes, the reader raw and lerFaixa share", () => {
  /** The last `n` offsets of each partition of pedidos, and the end of each. */
  const faixa = async (n: bigint) => {
    const topico = topicoDaTabela("pedidos");
    const [ini, fim] = [await posicoesIniciais([topico]), await posicoesFinais([topico])];
    const desde = Object.fromEntries(
      Object.entries(fim[topico]).map(([p, f]) => [
        p,
        String(BigInt(f) - n > BigInt(ini[topico][Number(p)]) ? BigInt(f) - n : BigInt(ini[topico][Number(p)])),
      ]),
    );
    return { topico, desde: { [topico]: desde }, ate: fim };
  };

  test("stopped after one batch and resumed from proximas: every message of [desde, ate) once, in order", async () => {
    const { topico, desde, ate } = await faixa(3000n);
    const vistos = new Map<number, bigint[]>();
    const guardar = ({ particao, mensagens }: { particao: number; mensagens: { offset: string }[] }) => {
      vistos.set(particao, [...(vistos.get(particao) ?? []), ...mensagens.map((m) => BigInt(m.offset))]);
    };
    let lotes = 0;
    const primeira = await lerEmLotes(
      desde,
      (l) => {
        guardar(l);
        lotes++;
        return true;
      },
      { ate, timeoutMs: 60_000 },
    );
    assert.equal(lotes, 1, "returning true stops the read");
    assert.equal(primeira.esgotou, false);
    const segunda = await lerEmLotes(
      primeira.proximas,
      (l) => {
        guardar(l);
        lotes++;
      },
      { ate, timeoutMs: 60_000 },
    );
    assert.equal(segunda.esgotou, false);
    assert.ok(lotes > 2, `${lotes} lotes: the range should span several fetches`);
    assert.deepEqual(segunda.proximas, ate, "resumes exactly at the end");
    for (const [p, fim] of Object.entries(ate[topico])) {
      const offsets = vistos.get(Number(p)) ?? [];
      const de = BigInt(desde[topico][Number(p)]);
      assert.deepEqual(
        offsets,
        Array.from({ length: Number(BigInt(fim) - de) }, (_, i) => de + BigInt(i)),
        `partição ${p}`,
      );
    }
  });

  test("a callback that throws ends the read with its error, at once (no kafkajs retries)", async () => {
    const { desde, ate } = await faixa(100n);
    const t0 = Date.now();
    await assert.rejects(
      lerEmLotes(
        desde,
        () => {
          throw new Error("falha do consumidor");
        },
        { ate, timeoutMs: 60_000 },
      ),
      /falha do consumidor/,
    );
    assert.ok(Date.now() - t0 < 15_000, `${Date.now() - t0} ms`);
  });
});

describe("wrong configurations fail fast and clearly", () => {
  const experimento = (sufixo: string, sobrescrever: Record<string, string>) => {
    const tag = `${sufixo}_${randomUUID().slice(0, 8)}`;
    const nome = `liga-sudoers-teste-${tag.replace(/_/g, "-")}`;
    conectoresDeTeste.push(nome);
    return {
      nome,
      registrar: () =>
        registrarConector({
          nome,
          timeoutMs: 45_000,
          sobrescrever: { "slot.name": `teste_${tag}`, "topic.prefix": `liga_sudoers_teste_${tag}`, ...sobrescrever },
        }),
    };
  };

  test("a wrong password: a pt-BR error naming the cause, within the time bound", async (t) => {
    const { nome, registrar } = experimento("senha", { "database.password": "senha-errada" });
    const t0 = Date.now();
    await assert.rejects(registrar(), (err: Error) => {
      assert.match(err.message, /password authentication failed/);
      assert.match(err.message, /recusou a senha|confira CDC_USER\/CDC_PASSWORD/);
      return true;
    });
    t.diagnostic(`erro em ${Date.now() - t0} ms`);
    assert.ok(Date.now() - t0 < 50_000);
    await removerConector(nome, { descartarSlot: true });
    assert.equal((await fetch(`${cfg.connect.url}/connectors/${nome}`)).status, 404);
  });

  test("a missing publication: the task fails and the Error says to run prepararCaptura()", async (t) => {
    const { nome, registrar } = experimento("pub", { "publication.name": `nao_existe_${randomUUID().slice(0, 8)}` });
    const t0 = Date.now();
    await assert.rejects(registrar(), (err: Error) => {
      assert.match(err.message, /falhou|recusou/);
      assert.match(err.message, /publicação não existe/);
      assert.match(err.message, /prepararCaptura\(\)/);
      assert.doesNotMatch(err.message, /\tat /, "no Java stack frames");
      return true;
    });
    t.diagnostic(`erro em ${Date.now() - t0} ms`);
    assert.ok(Date.now() - t0 < 50_000);
    await removerConector(nome, { descartarSlot: true });
    const [{ n }] = await query<{ n: number }>(
      "oltp",
      "SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name LIKE 'teste\\_pub\\_%'",
    );
    assert.equal(n, 0, "slot of the failed connector left behind");
  });

  test("an unknown connector: statusConector and esperarRodando say it is not registered, bounded", async () => {
    await assert.rejects(
      statusConector("liga-sudoers-nao-existe"),
      (e) => e instanceof ErroConectorAusente && e.conector === "liga-sudoers-nao-existe",
    );
    const t0 = Date.now();
    await assert.rejects(esperarRodando("liga-sudoers-nao-existe", 2000), /não ficou RUNNING em 2 s/);
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe("reliability", () => {
  // Stopped: SIGTERM, Connect flushes its offsets. Killed: SIGKILL right away, a crash.
  for (const [modo, graceMs] of [
    ["stopped (SIGTERM)", 20_000],
    ["killed (SIGKILL)", 0],
  ] as const) {
    test(`Kafka Connect ${modo} and started again while orders stream in: every committed order reaches the topic`, async (t) => {
      const topico = topicoDaTabela("pedidos");
      const desde = await posicoesFinais([topico]);
      const [{ max }] = await query<{ max: number | null }>("oltp", "SELECT max(id) AS max FROM pedidos");
      const dirs = stackDirs(cfg.root);
      const gerador = gerarStreaming({ duracaoMs: 20_000, intervaloMs: 400, pessoasPorTick: 1, pedidosPorTick: 5, seed: 4242 });
      await new Promise((r) => setTimeout(r, 3000));
      const t0 = Date.now();
      assert.ok(await stopByPid(dirs, "connect", graceMs), "Kafka Connect was not running under the stack");
      t.diagnostic(`Connect parado em ${Date.now() - t0} ms`);
      await new Promise((r) => setTimeout(r, 5000)); // orders keep committing with nobody capturing
      const t1 = Date.now();
      await stackUp(cfg, dirs);
      await esperarRodando(CONECTOR, 120_000);
      t.diagnostic(`Connect de volta e conector RUNNING em ${Date.now() - t1} ms`);
      const totais = await gerador;
      assert.ok(totais.pedidos > 50, `só ${totais.pedidos} pedidos gerados`);
      const ids = (await query<{ id: number }>("oltp", "SELECT id FROM pedidos WHERE id > $1", [max ?? 0])).map((r) => r.id);
      assert.ok(ids.length >= totais.pedidos);
      const faltam = new Set(ids);
      let conferidas = 0;
      const vistos = new Map<number, number>();
      const t2 = Date.now();
      const lidas = await lerDesde<{ id: number }>(desde, {
        timeoutMs: 90_000,
        parar: (ms) => {
          for (; conferidas < ms.length; conferidas++) {
            const id = ms[conferidas].evento?.after?.id;
            if (id !== undefined) faltam.delete(id);
          }
          return faltam.size === 0;
        },
      });
      for (const m of lidas) {
        const id = m.evento?.after?.id;
        if (id !== undefined) vistos.set(id, (vistos.get(id) ?? 0) + 1);
      }
      const ausentes = ids.filter((id) => !vistos.has(id));
      const duplicados = [...vistos.values()].filter((n) => n > 1).length;
      t.diagnostic(
        `${ids.length} pedidos confirmados, ${ausentes.length} ausentes, ${duplicados} repetidos (at-least-once); leitura em ${Date.now() - t2} ms`,
      );
      assert.deepEqual(ausentes, [], "pedidos confirmados no PostgreSQL que não chegaram ao Kafka");
    });
  }
});
