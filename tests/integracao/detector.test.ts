// The real-time fraud detector against the real PostgreSQL + Debezium + Kafka: one alert key per
// labelled order and none for a clean one, also when the detector is killed mid-stream and
// restarted; and the device rule of dbt's fato_pedidos run in PostgreSQL agreeing with the
// TypeScript rule case by case. The engine alone, without services: tests/unidade/detector.test.ts.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { clienteKafka } from "../../lib/cdc/index";
import { config } from "../../lib/config";
import { query } from "../../lib/db";
import { executarDetector, fimDosAlertas, lerAlertas, medirDeteccao, pedidosComDispositivoNovo } from "../../lib/detector/index";
import { gerarStreaming } from "../../lib/geradores";
import { capturaPronta } from "../apoio/captura";
import { esperarAte, pausa } from "../apoio/esperar";
import { CASOS_DISPOSITIVO, pedidosPorPessoa } from "../apoio/regra-dispositivo";

const cfg = config();

// ---------------------------------------------------------------------------------------------
// The device rule: TypeScript and dbt agree

/** The CTE `<nome> as ( … )` of a model, whole. */
function cteDoModelo(sql: string, nome: string): string {
  const inicio = sql.indexOf(`${nome} as (`);
  assert.ok(inicio >= 0, `fato_pedidos.sql no longer has the CTE ${nome}: update this test with the model`);
  let nivel = 0;
  for (let i = sql.indexOf("(", inicio); i < sql.length; i++) {
    if (sql[i] === "(") nivel++;
    else if (sql[i] === ")" && --nivel === 0) return sql.slice(inicio, i + 1);
  }
  assert.fail(`unbalanced parentheses in the CTE ${nome} of fato_pedidos.sql`);
}

/** The expression `f( … )` a model selects `as <coluna>`, whole (a function call, e.g. coalesce). */
function expressaoDaColuna(sql: string, coluna: string): string {
  const m = new RegExp(`\\)\\s+as ${coluna}\\b`).exec(sql);
  assert.ok(m, `fato_pedidos.sql no longer selects a function call as ${coluna}: update this test with the model`);
  let nivel = 0;
  for (let i = m.index; i >= 0; i--) {
    if (sql[i] === ")") nivel++;
    else if (sql[i] === "(" && --nivel === 0) {
      const funcao = /[a-z_]+$/.exec(sql.slice(0, i));
      assert.ok(funcao, `no function name before the expression of ${coluna}`);
      return sql.slice(funcao.index, m.index + 1);
    }
  }
  assert.fail(`unbalanced parentheses in the expression of ${coluna} in fato_pedidos.sql`);
}

describe("the device rule: TypeScript and dbt agree", () => {
  test("fato_pedidos' SQL, run in the DW over the cases, flags exactly the orders the TypeScript rule flags", async () => {
    // The model's own text: the window CTE and the dispositivo_novo expression, over the cases
    // in place of the model's `conjunto` (the CTE it reads).
    const sql = readFileSync(join(cfg.root, "dbt_project", "models", "marts", "fato_pedidos.sql"), "utf8");
    const janela = cteDoModelo(sql, "regra_dispositivo");
    const expressao = expressaoDaColuna(sql, "dispositivo_novo");
    assert.doesNotMatch(janela + expressao, /\{\{|\{%/, "no Jinja in the parts this test runs");
    const linhas = await query<{ id_pedido: string; dispositivo_novo: boolean }>(
      "dw",
      `with conjunto as (
         select * from unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[]) as c(id_pedido, id_pessoa, dt_venda, dispositivo)
       ),
       ${janela}
       select r.id_pedido::text, ${expressao} as dispositivo_novo from regra_dispositivo as r order by r.id_pedido`,
      [
        CASOS_DISPOSITIVO.map((c) => c.id_pedido),
        CASOS_DISPOSITIVO.map((c) => c.id_pessoa),
        CASOS_DISPOSITIVO.map((c) => c.dt_venda),
        CASOS_DISPOSITIVO.map((c) => c.dispositivo),
      ],
    );
    assert.equal(linhas.length, CASOS_DISPOSITIVO.length);
    const ts = new Set([...pedidosPorPessoa(CASOS_DISPOSITIVO).values()].flatMap((pedidos) => [...pedidosComDispositivoNovo(pedidos)]));
    for (const l of linhas) {
      const caso = CASOS_DISPOSITIVO.find((c) => c.id_pedido === Number(l.id_pedido))!;
      assert.equal(
        l.dispositivo_novo,
        ts.has(caso.id_pedido),
        `order ${caso.id_pedido} (${caso.porque}): dbt ${l.dispositivo_novo}, TypeScript ${ts.has(caso.id_pedido)}`,
      );
      assert.equal(l.dispositivo_novo, caso.esperado, `order ${caso.id_pedido}: ${caso.porque}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real services

const maxPedido = async () => (await query<{ m: number }>("oltp", "SELECT coalesce(max(id), 0)::bigint AS m FROM public.pedidos"))[0].m;
const rotulados = async (de: number, ate: number) =>
  new Map(
    (
      await query<{ id: number; tipo: string }>(
        "oltp",
        "SELECT id_pedido AS id, tipo FROM gabarito.rotulos_fraude WHERE id_pedido > $1 AND id_pedido <= $2",
        [de, ate],
      )
    ).map((r) => [Number(r.id), r.tipo]),
  );

/** Distinct alert keys in (de, ate] since `desde`, checking each message's key is its id_pedido. */
async function chavesDeAlerta(
  desde: Record<number, string>,
  de: number,
  ate: number,
): Promise<{ chaves: Map<number, string[]>; mensagens: number }> {
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

function detectorFilho(
  grupo: string,
  ...extra: string[]
): { filho: ChildProcess; saida: () => string; pronto: Promise<void>; fim: Promise<number | null> } {
  const filho = spawn(process.execPath, ["--import", "tsx", "cli/detector.ts", "--grupo", grupo, ...extra], {
    cwd: cfg.root,
    stdio: ["ignore", "pipe", "pipe"],
  });
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

  capturaPronta();

  after(async () => {
    const admin = clienteKafka("liga-sudoers-teste-detector").admin();
    await admin.connect();
    await admin.deleteGroups(grupos).catch(() => undefined);
    await admin.disconnect();
  });

  test("bad flags: a message in Portuguese and exit code 2", () => {
    for (const args of [["--duracao", "trinta"], ["--nada"], ["--grupo", "com espaço"], ["--max-pendentes=0"]]) {
      const r = spawnSync(process.execPath, ["--import", "tsx", "cli/detector.ts", ...args], {
        cwd: cfg.root,
        encoding: "utf8",
        timeout: 60_000,
      });
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
      const naJanela = () =>
        (primeiro.saida().split("Detector pronto")[1] ?? "").match(/alertas publicados; os offsets só serão confirmados/g)?.length ?? 0;
      await esperarAte(naJanela, (n) => n >= 2, {
        descricao: "two steps of alerts published and not committed yet",
        timeoutMs: 30_000,
        intervaloMs: 20,
      });
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
      // The restarted detector catches up: every label gets its alert.
      await esperarAte(
        () => chavesDeAlerta(desde, antes, alvo),
        ({ chaves }) => [...gabarito.keys()].every((id) => chaves.has(id)),
        {
          descricao: "an alert for every labelled order",
          timeoutMs: 90_000,
          intervaloMs: 2000,
          descrever: ({ chaves }) => `${chaves.size} of ${gabarito.size} labelled orders alerted`,
        },
      );
      segundo.filho.kill("SIGTERM");
      assert.equal(await segundo.fim, 0, segundo.saida());
      assert.match(segundo.saida(), /SIGTERM recebido/);
      assert.match(segundo.saida(), /Detector encerrado/);
      // Read again after the clean stop: nothing new, nothing missing, replays only repeat keys.
      const { chaves, mensagens } = await chavesDeAlerta(desde, antes, alvo);
      conferir(chaves, gabarito);
      assert.ok(mensagens > chaves.size, "the kill should have left published but uncommitted alerts, replayed after the restart");
      t.diagnostic(
        `${alvo - antes} orders, ${gabarito.size} labelled, ${chaves.size} alert keys in ${mensagens} messages (replays repeat keys)`,
      );
    } finally {
      if (primeiro.filho.exitCode === null) primeiro.filho.kill("SIGKILL");
      if (segundo && segundo.filho.exitCode === null) segundo.filho.kill("SIGKILL");
    }
  });
});
