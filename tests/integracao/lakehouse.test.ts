// The lakehouse build (lib/lakehouse) against the real services, under a unique _testes/<uuid>
// prefix of the three buckets (removed at the end), so the student's layers are never touched:
// raw CDC from the current end of the topics, a person inserted/updated/deleted in the OLTP
// showing up right in trusted, a broken item quarantined with its reason (and its order held
// back from refined), a streaming burst + dbt + build putting exactly the burst's items in
// refined once with their labels, no personal data in clear text anywhere in trusted or refined
// (rows and _delta_log), a DW extract that matches the marts, a second build in a row that
// writes nothing (no version, no object), and the trusted → refined gate stopping a broken row.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { TABELAS_CAPTURADAS, topicoDaTabela } from "../../lib/cdc/index";
import { config } from "../../lib/config";
import { query, withClient } from "../../lib/db";
import { prepararDw } from "../../lib/dw";
import { gerarStreaming } from "../../lib/geradores";
import { clienteMinio, type TabelaDelta } from "../../lib/lake/index";
import {
  bucketDaCamada,
  construirLakehouse,
  construirRefined,
  ErroPortao,
  extrairDw,
  jsonSeguro as json,
  pseudonimizar,
  segredoPseudonimo,
  tabelaQuarentena,
  tabelaRawCdc,
  tabelaRawDw,
  tabelaRefined,
  tabelaTrusted,
  type ResultadoBuild,
} from "../../lib/lakehouse/index";
import { estadoDasTabelas, lakehouseDeTeste, objetosSob, type EstadoTabela } from "../apoio/camadas";
import { marcarTopicos } from "../apoio/captura";
import { carregarDw, garantirMarts } from "../apoio/dbt";

const { raiz: RAIZ, dados } = lakehouseDeTeste("lakehouse");
const SEGREDO = segredoPseudonimo();

function todasAsTabelas(): TabelaDelta[] {
  return [
    ...TABELAS_CAPTURADAS.map((n) => tabelaRawCdc(n, RAIZ)),
    ...TABELAS_CAPTURADAS.map((n) => tabelaTrusted(n, RAIZ)),
    tabelaQuarentena(RAIZ),
    tabelaRawDw("fato_pedidos", RAIZ),
    tabelaRefined("itens_por_pessoa", RAIZ),
    tabelaRefined("vendas_diarias", RAIZ),
  ];
}

describe("lakehouse: raw → trusted → refined", { timeout: 900_000 }, () => {
  const nomeA = `Ada Lakehouse ${randomUUID().slice(0, 8)}`;
  const nomeA2 = `Ada Renomeada ${randomUUID().slice(0, 8)}`;
  const nomeB = `Bruno Lakehouse ${randomUUID().slice(0, 8)}`;
  const telefone = `+55119${randomInt(10_000_000, 99_999_999)}`;
  let idA = 0;
  let idB = 0;
  let idPedido = 0;
  let produtoBom = 0;
  let produtoRuim = 0;
  let primeiro: ResultadoBuild;
  let segundo: ResultadoBuild;
  let terceiro: ResultadoBuild;
  let primeiroDoBurst = 0;
  let ultimoDoBurst = 0;
  /** Every table before and after the third build (the second in a row). */
  let antesDoTerceiro: Record<string, EstadoTabela>;
  let depoisDoTerceiro: Record<string, EstadoTabela>;
  const tempos: Record<string, number> = {};

  before(async () => {
    // Build 0 creates every table, raw CDC starting at the current end of the topics.
    let t = Date.now();
    // The catalog (the item rule checks totals against prices) and the people (refined needs the
    // person of every order) from the start of their topics; orders only from now on.
    // The label comes from the DW extract of fato_pedidos, from the rows dbt loads from now on.
    await prepararDw();
    const base = { raiz: RAIZ, modelos: ["fato_pedidos"] };
    primeiro = await construirLakehouse({
      ...base,
      inicioCdc: "fim",
      inicioCdcPorTabela: { categorias: "inicio", produtos: "inicio", pessoas: "inicio" },
      inicioDw: "agora",
    });
    tempos.build0 = (Date.now() - t) / 1000;
    const esperarPublicacao = await marcarTopicos();

    // A streaming burst (new people and orders, ≈5% fraud), then dbt loads it into the DW. First,
    // so that the orders this file deletes at the end never reach the DW (its reconciliation
    // tests would then miss them).
    const [{ max }] = await query<{ max: string | null }>("oltp", "SELECT max(id)::text AS max FROM pedidos");
    primeiroDoBurst = Number(max ?? 0) + 1;
    const burst = await gerarStreaming({ ticks: 3, intervaloMs: 0, pessoasPorTick: 5, pedidosPorTick: 15, seed: randomInt(1, 1_000_000) });
    const [{ n: doBurst, ultimo }] = await query<{ n: number; ultimo: string }>(
      "oltp",
      "SELECT count(*)::int AS n, max(id)::text AS ultimo FROM pedidos WHERE id >= $1",
      [primeiroDoBurst],
    );
    assert.equal(doBurst, burst.pedidos);
    ultimoDoBurst = Number(ultimo);
    const [{ n: itensDoBurst }] = await query<{ n: number }>(
      "oltp",
      "SELECT count(*)::int AS n FROM itens_pedidos WHERE id_pedido BETWEEN $1 AND $2",
      [primeiroDoBurst, ultimoDoBurst],
    );
    await carregarDw();
    idA = await dados.pessoaNova();
    idB = await dados.pessoaNova();
    await withClient("oltp", async (c) => {
      await c.query("INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, $2, 'F', '1985-04-12'), ($3, $4, 'M', '1979-11-30')", [
        idA,
        nomeA,
        idB,
        nomeB,
      ]);
      await c.query("UPDATE pessoas SET nome = $2, sexo = 'M' WHERE id = $1", [idA, nomeA2]);
      await c.query("DELETE FROM pessoas WHERE id = $1", [idB]);
      const { rows: prods } = await c.query<{ id: number; valor_unit: string }>(
        "SELECT id, valor_unit::text FROM produtos ORDER BY id LIMIT 2",
      );
      assert.equal(prods.length, 2, "o catálogo precisa de produtos (04_catalogo.sql)");
      produtoBom = prods[0]!.id;
      produtoRuim = prods[1]!.id;
      await c.query("BEGIN");
      const { rows } = await c.query<{ id: number }>(
        "INSERT INTO pedidos (id_pessoa, dt_venda, valor_total) VALUES ($1, now(), $2::numeric * 2 + $3::numeric * 3 + 1) RETURNING id",
        [idA, prods[0]!.valor_unit, prods[1]!.valor_unit],
      );
      idPedido = rows[0]!.id;
      dados.pedidos.push(idPedido);
      // The second item's total is off by R$ 1,00: the quality rule must catch it.
      await c.query(
        `INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total) VALUES
           ($1, $2, 2, $3::numeric * 2), ($1, $4, 3, $5::numeric * 3 + 1)`,
        [idPedido, produtoBom, prods[0]!.valor_unit, produtoRuim, prods[1]!.valor_unit],
      );
      await c.query("INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, 'Samsung', '6gycfqp', $2)", [
        idPedido,
        telefone,
      ]);
      await c.query("COMMIT");
    });
    // Wait until the connector has published every change (pessoas: 2 c + u + d + tombstone).
    const esperado: Record<string, number> = {
      pessoas: 5 + burst.pessoasNovas,
      pedidos: 1 + burst.pedidos,
      itens_pedidos: 2 + itensDoBurst,
      auditoria_pedidos: 1 + burst.pedidos,
    };
    await esperarPublicacao(esperado);
    t = Date.now();
    segundo = await construirLakehouse(base);
    tempos.build1 = (Date.now() - t) / 1000;
    antesDoTerceiro = await estadoDasTabelas(todasAsTabelas());
    t = Date.now();
    terceiro = await construirLakehouse(base);
    tempos.build2 = (Date.now() - t) / 1000;
    depoisDoTerceiro = await estadoDasTabelas(todasAsTabelas());
    console.log(`tempos (s): ${json(tempos)}`);
  });

  test("the first build takes the catalog and the people and starts the other topics at their end", async () => {
    const catalogo = ["categorias", "produtos", "pessoas"];
    // One result per captured table, each as expected: the catalog and the people read, the rest empty.
    const esperado = Object.fromEntries(TABELAS_CAPTURADAS.map((n) => [n, catalogo.includes(n) ? "lido" : "vazio"]));
    const raw = Object.fromEntries(
      primeiro.rawCdc.map((r) => [r.tabela, r.linhas > 0 ? "lido" : r.linhas === 0 && r.versao === 0 ? "vazio" : json(r)]),
    );
    assert.deepEqual(raw, esperado);
    assert.equal(primeiro.rawCdc.length, TABELAS_CAPTURADAS.length, json(primeiro.rawCdc));
    const trusted = Object.fromEntries(
      primeiro.trusted.map((r) => [r.tabela, r.eventos > 0 ? "lido" : r.eventos === 0 ? "vazio" : json(r)]),
    );
    assert.deepEqual(trusted, esperado);
    assert.equal(primeiro.trusted.length, TABELAS_CAPTURADAS.length, json(primeiro.trusted));
    const [{ n }] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM produtos");
    assert.equal(await tabelaTrusted("produtos", RAIZ).contar(), n, "trusted/produtos = OLTP");
  });

  test("raw keeps every event verbatim with its Kafka position", async () => {
    const linhas = await tabelaRawCdc("pessoas", RAIZ).linhas();
    const nossas = linhas.filter(
      (l) => typeof l.payload === "string" && ((l.payload as string).includes(nomeA) || (l.payload as string).includes(nomeB)),
    );
    assert.deepEqual(nossas.map((l) => l.op).sort(), ["c", "c", "d", "u"]);
    for (const l of nossas) {
      assert.equal(l.kafka_topico, topicoDaTabela("pessoas"));
      assert.equal(typeof l.kafka_offset, "bigint");
      assert.ok(JSON.parse(l.payload as string).payload, "o valor é o JSON do conector, com schema e payload");
    }
    // The tombstone of B's delete: same key (B's id, which only this test uses), same partition,
    // after the delete — not any tombstone the topic already held from other tests.
    const exclusao = nossas.find((l) => l.op === "d")!;
    assert.ok(typeof exclusao.kafka_chave === "string" && exclusao.kafka_chave.includes(String(idB)), json(exclusao));
    const daChave = linhas
      .filter((l) => l.kafka_chave === exclusao.kafka_chave)
      .sort((a, b) => Number(a.kafka_offset) - Number(b.kafka_offset));
    assert.deepEqual(
      daChave.map((l) => [l.op, l.payload === null]),
      [
        ["c", false],
        ["d", false],
        [null, true],
      ],
      "B: criação, exclusão e o tombstone depois da exclusão, todos no raw",
    );
    const tombstone = daChave[2]!;
    assert.equal(tombstone.kafka_particao, exclusao.kafka_particao);
    assert.ok((tombstone.kafka_offset as bigint) > (exclusao.kafka_offset as bigint));
  });

  test("a CDC update and a delete of a person show up in trusted", async () => {
    const pessoas = await tabelaTrusted("pessoas", RAIZ).linhas();
    const a = pessoas.filter((p) => p.id === pseudonimizar(SEGREDO, "pessoa", idA));
    assert.equal(a.length, 1);
    assert.equal(a[0]!.nome, pseudonimizar(SEGREDO, "nome", nomeA2), "o nome é o da atualização (pseudonimizado)");
    assert.equal(a[0]!.sexo, "M");
    assert.equal((a[0]!.dt_nasc as Date).toISOString().slice(0, 10), "1985-04-12");
    assert.equal(a[0]!._op, "u");
    assert.ok(!pessoas.some((p) => p.id === pseudonimizar(SEGREDO, "pessoa", idB)), "a pessoa excluída não está no trusted");
    // Joins still work: the order points at the same token.
    const pedidos = await tabelaTrusted("pedidos", RAIZ).linhas({ onde: [["id", "=", idPedido]] });
    assert.equal(pedidos.length, 1);
    assert.equal(pedidos[0]!.id_pessoa, a[0]!.id);
    const aud = await tabelaTrusted("auditoria_pedidos", RAIZ).linhas({ onde: [["id_pedido", "=", idPedido]] });
    assert.equal(aud[0]!.uf, "SP");
    assert.equal(aud[0]!.telefone, pseudonimizar(SEGREDO, "telefone", telefone));
  });

  test("a broken item lands in quarantine with its reason, and not in trusted", async () => {
    const q = await tabelaQuarentena(RAIZ).linhas({ onde: [["tabela", "=", "itens_pedidos"]] });
    const nossa = q.filter((l) => JSON.parse(l.chave as string).id_pedido === idPedido);
    assert.equal(nossa.length, 1, json(q));
    assert.equal(nossa[0]!.regra, "total não confere");
    assert.match(nossa[0]!.motivo as string, /valor_total=.* ≠ qtde × valor_unit = 3 × /);
    assert.equal(JSON.parse(nossa[0]!.chave as string).id_produto, produtoRuim);
    const itens = await tabelaTrusted("itens_pedidos", RAIZ).linhas({ onde: [["id_pedido", "=", idPedido]] });
    assert.deepEqual(
      itens.map((i) => i.id_produto),
      [produtoBom],
    );
    assert.equal(
      terceiro.trusted.reduce((s, r) => s + r.quarentena, 0),
      0,
      "a reexecução não duplica a quarentena",
    );
  });

  test("no personal data in clear text in trusted or refined (rows and _delta_log)", async () => {
    const [{ nomes, cpfs }] = await query<{ nomes: string[]; cpfs: string[] }>(
      "oltp",
      "SELECT array_agg(DISTINCT pe.nome) AS nomes, array_agg(DISTINCT pe.id::text) AS cpfs FROM pedidos p JOIN pessoas pe ON pe.id = p.id_pessoa WHERE p.id BETWEEN $1 AND $2",
      [primeiroDoBurst, ultimoDoBurst],
    );
    const proibidos = [nomeA, nomeA2, nomeB, telefone, telefone.slice(1), String(idA), String(idB), ...nomes, ...cpfs];
    const tabelas = [
      ...TABELAS_CAPTURADAS.map((n) => tabelaTrusted(n, RAIZ)),
      tabelaQuarentena(RAIZ),
      tabelaRefined("itens_por_pessoa", RAIZ),
      tabelaRefined("vendas_diarias", RAIZ),
    ];
    for (const t of tabelas) {
      const texto = json(await t.linhas());
      for (const p of proibidos) assert.ok(!texto.includes(p), `${t.url} contém ${p}`);
    }
    const cliente = clienteMinio();
    let logs = 0;
    for (const camada of ["trusted", "refined"] as const) {
      const bucket = bucketDaCamada(camada);
      for await (const o of cliente.listObjectsV2(bucket, `${RAIZ}/`, true) as AsyncIterable<{ name?: string }>) {
        if (!o.name?.endsWith(".json")) continue;
        const partes: Buffer[] = [];
        for await (const b of await cliente.getObject(bucket, o.name)) partes.push(b as Buffer);
        const texto = Buffer.concat(partes).toString("utf8");
        for (const p of proibidos) assert.ok(!texto.includes(p), `${o.name} contém ${p}`);
        logs++;
      }
    }
    assert.ok(logs > 0);
  });

  test("a streaming burst + dbt + build puts exactly the burst's items in refined, once, with labels", async () => {
    const oltp = await query<{ id_pedido: string; id_produto: number; fraude: boolean }>(
      "oltp",
      `SELECT i.id_pedido::text, i.id_produto, (r.id_pedido IS NOT NULL) AS fraude
         FROM itens_pedidos i LEFT JOIN gabarito.rotulos_fraude r ON r.id_pedido = i.id_pedido
        WHERE i.id_pedido BETWEEN $1 AND $2 ORDER BY 1, 2`,
      [primeiroDoBurst, ultimoDoBurst],
    );
    assert.ok(oltp.length > 0);
    const refined = (
      await tabelaRefined("itens_por_pessoa", RAIZ).linhas({
        onde: [
          ["id_pedido", ">=", primeiroDoBurst],
          ["id_pedido", "<=", ultimoDoBurst],
        ],
      })
    )
      .map((l) => ({ id_pedido: String(l.id_pedido), id_produto: l.id_produto, fraude: l.fraude_rotulada }))
      .sort((a, b) => Number(a.id_pedido) - Number(b.id_pedido) || (a.id_produto as number) - (b.id_produto as number));
    assert.deepEqual(
      refined,
      oltp.map((l) => ({ id_pedido: l.id_pedido, id_produto: l.id_produto, fraude: l.fraude })),
    );
    const r = segundo.refined!;
    assert.equal(r.itens.inseridas, oltp.length, "o build inseriu exatamente os itens novos");
    assert.equal(r.portao.ok, true);
    // The daily aggregates agree with the items.
    const itens = await tabelaRefined("itens_por_pessoa", RAIZ).linhas();
    const diarias = await tabelaRefined("vendas_diarias", RAIZ).linhas();
    const soma = (xs: Record<string, unknown>[], c: string) => xs.reduce((s, x) => s + Math.round(Number(x[c]) * 100), 0);
    assert.equal(soma(diarias, "receita"), soma(itens, "valor_total"));
    assert.equal(
      diarias.reduce((s, d) => s + Number(d.itens), 0),
      itens.length,
    );
    assert.equal(
      diarias.reduce((s, d) => s + Number(d.pedidos), 0),
      new Set(itens.map((i) => String(i.id_pedido))).size,
    );
    const fraudes = new Set(itens.filter((i) => i.fraude_rotulada).map((i) => String(i.id_pedido))).size;
    assert.equal(
      diarias.reduce((s, d) => s + Number(d.pedidos_fraude_rotulada), 0),
      fraudes,
    );
  });

  test("an order whose item is in quarantine is held back from refined", async () => {
    const nosso = await tabelaRefined("itens_por_pessoa", RAIZ).linhas({ onde: [["id_pedido", "=", idPedido]] });
    assert.deepEqual(nosso, []);
    assert.ok(segundo.refined!.pedidosRetidos >= 1);
  });

  test("a second build in a row writes nothing", () => {
    // Every table reported, each with zero commits …
    const commits = (rs: { tabela: string; commits: number }[]) => Object.fromEntries(rs.map((r) => [r.tabela, r.commits]));
    const zeros = Object.fromEntries(TABELAS_CAPTURADAS.map((n) => [n, 0]));
    assert.deepEqual(commits(terceiro.rawCdc), zeros, json(terceiro.rawCdc));
    assert.deepEqual(commits(terceiro.rawDw), { fato_pedidos: 0 }, json(terceiro.rawDw));
    assert.deepEqual(commits(terceiro.trusted), zeros, json(terceiro.trusted));
    assert.deepEqual(
      commits([terceiro.refined!.itens, terceiro.refined!.diarias]),
      { itens_por_pessoa: 0, vendas_diarias: 0 },
      json(terceiro.refined),
    );
    // … and, as stored, the same version and the same objects in every table: no commit, no orphan file.
    assert.equal(Object.keys(depoisDoTerceiro).length, todasAsTabelas().length);
    assert.deepEqual(depoisDoTerceiro, antesDoTerceiro, "o segundo build seguido não pode gravar nada");
  });

  test("the trusted → refined gate stops a broken row with a readable report, and refined stays as it was", async () => {
    const itens = tabelaTrusted("itens_pedidos", RAIZ);
    const refined = tabelaRefined("itens_por_pessoa", RAIZ);
    const tabelasRefined = [refined, tabelaRefined("vendas_diarias", RAIZ)];
    const antes = await estadoDasTabelas(tabelasRefined);
    const [alvo] = await itens.linhas({
      onde: [
        ["id_pedido", ">=", primeiroDoBurst],
        ["id_pedido", "<=", ultimoDoBurst],
      ],
    });
    assert.ok(alvo);
    const boa = (await itens.instantaneo()).versao;
    // Someone writes an item straight into trusted whose total is off by one cent (and, for the
    // order to add up, moves the cent into the order too): only the gate can catch it.
    const centavo = (v: unknown) => (Math.round(Number(v) * 100) + 1) / 100;
    await itens.atualizar({
      onde: [
        ["id_pedido", "=", alvo.id_pedido],
        ["id_produto", "=", alvo.id_produto],
      ],
      definir: { valor_total: centavo(alvo.valor_total).toFixed(2), _promovido_em: new Date() },
    });
    const pedidos = tabelaTrusted("pedidos", RAIZ);
    const [pedido] = await pedidos.linhas({ onde: [["id", "=", alvo.id_pedido]] });
    const pedidosBoa = (await pedidos.instantaneo()).versao;
    await pedidos.atualizar({
      onde: [["id", "=", alvo.id_pedido]],
      definir: { valor_total: centavo(pedido!.valor_total).toFixed(2), _promovido_em: new Date() },
    });
    await assert.rejects(construirRefined({ raiz: RAIZ }), (e: unknown) => {
      assert.ok(e instanceof ErroPortao, String(e));
      assert.match(e.message, /item = qtde × valor_unit: 1 item\(ns\) divergente/);
      assert.match(e.message, /nada foi gravado em refined/);
      assert.equal(e.relatorio.verificacoes.filter((v) => !v.ok).length, 1);
      return true;
    });
    assert.deepEqual(await estadoDasTabelas(tabelasRefined), antes, "o portão reprovado não gravou nada: nem versão, nem arquivo");
    // Time travel undoes the damage; the next build finds nothing new.
    await itens.restaurar({ versao: boa });
    await pedidos.restaurar({ versao: pedidosBoa });
    const r = await construirRefined({ raiz: RAIZ });
    assert.equal(r.portao.ok, true);
    assert.equal(r.itens.commits + r.diarias.commits, 0, json(r));
  });
});

describe("lakehouse: DW extracts", { timeout: 300_000 }, () => {
  const MODELOS = ["dim_produtos", "dim_dispositivo", "dim_data"];

  before(() => garantirMarts(MODELOS));

  test("small models extracted in pages match the marts; a rerun writes nothing", async () => {
    const r1 = await extrairDw({ raiz: RAIZ, modelos: MODELOS, loteDw: 97 });
    for (const m of MODELOS) {
      const [{ n }] = await query<{ n: number }>("dw", `SELECT count(*)::int AS n FROM marts.${m}`);
      const tab = tabelaRawDw(m, RAIZ);
      assert.equal(await tab.contar(), n, `${m}: raw = marts`);
      assert.equal(r1.find((x) => x.tabela === m)!.linhas, n);
    }
    const antes = await estadoDasTabelas(MODELOS.map((m) => tabelaRawDw(m, RAIZ)));
    const r2 = await extrairDw({ raiz: RAIZ, modelos: MODELOS, loteDw: 97 });
    assert.deepEqual(Object.fromEntries(r2.map((x) => [x.tabela, x.commits])), Object.fromEntries(MODELOS.map((m) => [m, 0])), json(r2));
    assert.deepEqual(
      await estadoDasTabelas(MODELOS.map((m) => tabelaRawDw(m, RAIZ))),
      antes,
      "a reexecução não grava nada: nem versão, nem arquivo",
    );
  });
});

describe("npm run lake: bad input", () => {
  const lake = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "cli/lake.ts", ...args], { cwd: config().root, encoding: "utf8" });
  // Under a prefix of its own, so that anything the command wrote would be found there.
  const prefixo = `${RAIZ}/cli-${randomUUID().slice(0, 8)}`;
  const comPrefixo = ["--prefixo", prefixo];

  for (const [args, esperado] of [
    [["limpar", ...comPrefixo], /comando desconhecido: limpar/],
    [["build", ...comPrefixo, "--camadas", "raw,ouro"], /--camadas inválido: "ouro"\. Esperado raw, trusted e\/ou refined\./],
    [["build", ...comPrefixo, "--inicio-cdc", "ontem"], /--inicio-cdc inválido: "ontem"\. Esperado inicio ou fim\./],
    [["build", "--prefixo", "../fora"], /Prefixo inválido/],
    [["spark", ...comPrefixo, "--memoria", "muita"], /--memoria inválida: "muita"/],
  ] as const) {
    test(`${args.filter((a) => a !== prefixo && a !== "--prefixo").join(" ")} exits 2 with a clear message and writes nothing`, async () => {
      const r = lake(...args);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, esperado);
      for (const camada of ["raw", "trusted", "refined"] as const)
        assert.deepEqual(await objetosSob(bucketDaCamada(camada), `${prefixo}/`), [], `${camada}: nada gravado`);
    });
  }
});
