// The exercises against the live platform: for every exercise, its solution passes, catalogued
// wrong answers are rejected with their own explanation, and the stub is pending; checks never
// change data they should not (read-only SQL, rolled-back experiments, a break-and-fix that only
// keeps a fix that works); progress lands in curso.progresso and `./liga progresso` reports it;
// and notebooks 00 and 01 run twice with the solutions in place (the course run), every check ok.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { config } from "../../lib/config";
import { query } from "../../lib/db";
import { TABELA_014 } from "../../lib/exercicios/aula01-restricao";
import {
  EXERCICIOS,
  type Origem,
  type Progresso,
  prepararExercicio,
  progressoEmMemoria,
  progressoNoBanco,
  type Resultado,
  solucao,
  verificar,
} from "../../lib/exercicios/index";
import { SOLUCOES } from "../../lib/exercicios/solucoes/index";
import { courseNotebooks, runNotebooks } from "../../stack/notebooks";
import { cacheDir } from "../../stack/proc";
import { installPython, installTslabKernel } from "../../stack/python";
import { guardarProgresso, limparProgresso, psql } from "../apoio/exercicios";

const cfg = config();

/** Checks with progress in memory: these tests never touch the student's curso.progresso. */
const emMemoria = (): { progresso: Progresso; mostrar: false; origem: Origem } => ({
  progresso: progressoEmMemoria(),
  mostrar: false,
  origem: "aluno",
});

async function rejeitada(id: string, valor: unknown, erro: string, mensagem: RegExp): Promise<Resultado> {
  const r = await verificar(id, valor, emMemoria());
  assert.equal(r.situacao, "erro-conhecido", `${id}: ${r.mensagem}`);
  assert.equal(r.erro, erro, `${id}: ${r.mensagem}`);
  assert.match(r.mensagem, mensagem);
  return r;
}

async function resolvida(id: string): Promise<Resultado> {
  const r = await verificar(id, SOLUCOES[id]!.obter(), emMemoria());
  assert.equal(r.situacao, "ok", `${id}: ${r.mensagem}`);
  return r;
}

describe("every exercise: pending stub, solution passes", () => {
  const stubs: Record<string, unknown> = { "00.1": "", "01.1": "", "01.2": undefined, "01.3": "", "01.4": "" };
  for (const ex of EXERCICIOS) {
    test(`${ex.id}: the stub is pending, the solution passes`, async () => {
      assert.ok(ex.id in stubs, `a stub for ${ex.id}`);
      const pendente = await verificar(ex.id, stubs[ex.id], emMemoria());
      assert.equal(pendente.situacao, "pendente");
      assert.match(pendente.mensagem, /^ainda não respondido/);
      if (ex.id === "01.4") await prepararExercicio("01.4");
      await resolvida(ex.id);
    });
  }
});

describe("00.1 · a first query", () => {
  test("catalogued mistakes", async () => {
    await rejeitada("00.1", "SHOW wal_level", "show-em-vez-de-select", /current_setting\('wal_level'\)/);
    await rejeitada("00.1", "SELECT current_database(), current_setting('wal_level')", "colunas-sem-nome", /AS banco/);
    await rejeitada("00.1", "SELECT name, setting FROM pg_settings", "varias-linhas", /linhas; a pedida tem uma só/);
    await rejeitada("00.1", "SELEC current_database()", "sql-42601", /erro de sintaxe/);
  });

  test("the student's SQL runs read-only: a DELETE is refused and deletes nothing", async () => {
    const [antes] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM categorias");
    await rejeitada("00.1", "DELETE FROM categorias WHERE id = 9", "sql-25006", /somente leitura/);
    const [depois] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM categorias");
    assert.equal(depois!.n, antes!.n);
  });
});

describe("01.1 · products above their category's average", () => {
  const cte = "WITH medias AS (SELECT id_categoria, avg(valor_unit) AS media FROM produtos GROUP BY id_categoria)";
  const corpo = "FROM produtos p JOIN categorias c ON c.id = p.id_categoria JOIN medias m ON m.id_categoria = p.id_categoria";
  test("catalogued mistakes", async () => {
    await rejeitada(
      "01.1",
      `SELECT c.descricao AS categoria, p.descricao AS produto, p.valor_unit FROM produtos p JOIN categorias c ON c.id = p.id_categoria
        WHERE p.valor_unit > (SELECT avg(valor_unit) FROM produtos) ORDER BY c.id, p.valor_unit DESC, p.descricao`,
      "media-geral",
      /média geral da loja/,
    );
    await rejeitada(
      "01.1",
      `${cte} SELECT c.descricao AS categoria, p.descricao AS produto, p.valor_unit ${corpo} WHERE p.valor_unit < m.media ORDER BY c.id`,
      "sinal-trocado",
      /ABAIXO da média/,
    );
    await rejeitada(
      "01.1",
      "SELECT c.descricao AS categoria, p.descricao AS produto, p.valor_unit FROM produtos p JOIN categorias c ON c.id = p.id_categoria WHERE p.valor_unit > avg(p.valor_unit)",
      "agregacao-no-where",
      /avg\(\) não pode ir direto no WHERE/,
    );
    await rejeitada(
      "01.1",
      `${cte} SELECT c.descricao AS categoria, p.descricao AS produto, p.valor_unit ${corpo} WHERE p.valor_unit > m.media ORDER BY p.descricao DESC`,
      "fora-de-ordem",
      /ORDER BY c\.id, p\.valor_unit DESC/,
    );
    await rejeitada(
      "01.1",
      `SELECT c.descricao AS categoria, p.descricao AS produto, p.valor_unit ${corpo.replace(" JOIN medias m ON m.id_categoria = p.id_categoria", "")}`,
      "sem-filtro",
      /falta o filtro/,
    );
  });
});

describe("01.2 · predict what a DELETE takes along", () => {
  test("catalogued mistakes, and the experiment leaves nothing behind", async () => {
    const [antes] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM pedidos");
    await rejeitada("01.2", 1, "esqueceu-a-cascata", /ON DELETE CASCADE/);
    await rejeitada("01.2", 3, "esqueceu-a-auditoria", /faltou a auditoria/);
    await rejeitada("01.2", 0, "achou-que-seria-recusado", /RESTRICT/);
    const errada = await verificar("01.2", 9, emMemoria());
    assert.equal(errada.situacao, "erro");
    assert.match(errada.mensagem, /o PostgreSQL apagou 4 linhas \(pedidos 1, itens_pedidos 2, auditoria_pedidos 1\)/);
    const [depois] = await query<{ n: number }>("oltp", "SELECT count(*)::int AS n FROM pedidos");
    assert.equal(depois!.n, antes!.n);
    const [pessoa] = await query<{ n: number }>(
      "oltp",
      "SELECT count(*)::int AS n FROM pessoas WHERE nome = 'Maria da Silva' AND id = 12345678909",
    );
    assert.equal(pessoa!.n, 0, "the example person only ever exists inside the rolled-back transaction");
  });
});

describe("01.3 · export with psql", () => {
  const pasta = mkdtempSync(join(tmpdir(), "liga-ex013-"));
  after(() => rmSync(pasta, { recursive: true, force: true }));

  test("files made with psql the wrong ways are recognised", async () => {
    const texto = join(pasta, "texto.tsv");
    psql(`\\copy (SELECT id, descricao FROM categorias ORDER BY id) TO '${texto}'`);
    await rejeitada("01.3", texto, "formato-texto", /FORMAT csv/);
    const semCabecalho = join(pasta, "sem-cabecalho.csv");
    psql(`\\copy (SELECT id, descricao FROM categorias ORDER BY id) TO '${semCabecalho}' WITH (FORMAT csv)`);
    await rejeitada("01.3", semCabecalho, "sem-cabecalho", /HEADER/);
    const inteira = join(pasta, "inteira.csv");
    psql(`\\copy categorias TO '${inteira}' WITH (FORMAT csv, HEADER)`);
    await rejeitada("01.3", inteira, "colunas-a-mais", /só id e descricao/);
    await rejeitada("01.3", "categorias.csv", "caminho-relativo", /caminho absoluto/);
    await rejeitada("01.3", join(pasta, "nao-existe.csv"), "arquivo-nao-encontrado", /Não encontrei o arquivo/);
    const certo = join(pasta, "certo.csv");
    psql(`\\copy (SELECT id, descricao FROM categorias ORDER BY id) TO '${certo}' WITH (FORMAT csv, HEADER)`);
    assert.equal((await verificar("01.3", certo, emMemoria())).situacao, "ok");
  });
});

describe("01.4 · break and fix", () => {
  const estado = async () =>
    (
      await query<{ linhas: number; ruins: number; restricoes: number; catalogo: number }>(
        "oltp",
        `SELECT (SELECT count(*) FROM ${TABELA_014})::int AS linhas,
                (SELECT count(*) FROM ${TABELA_014} WHERE valor_unit <= 0)::int AS ruins,
                (SELECT count(*) FROM pg_constraint WHERE conrelid = '${TABELA_014}'::regclass AND contype = 'c')::int AS restricoes,
                (SELECT count(*) FROM produtos)::int AS catalogo`,
      )
    )[0]!;

  test("catalogued mistakes are rejected and leave the broken table as it was", async () => {
    await prepararExercicio("01.4");
    const quebrada = await estado();
    assert.equal(quebrada.ruins, 3);
    assert.equal(quebrada.linhas, quebrada.catalogo + 3);
    assert.equal(quebrada.restricoes, 0);
    const alter = (check: string, extra = "") => `ALTER TABLE ${TABELA_014} ADD CONSTRAINT preco_check CHECK (${check})${extra};`;
    const limpar = `DELETE FROM ${TABELA_014} WHERE valor_unit <= 0;`;
    await rejeitada("01.4", limpar, "so-limpou", /falta a regra/);
    await rejeitada("01.4", alter("valor_unit > 0") + limpar, "restricao-antes-da-limpeza", /Limpe primeiro/);
    await rejeitada(
      "01.4",
      `DELETE FROM ${TABELA_014}; ${alter("valor_unit > 0")}`,
      "apagou-demais",
      /Sumiram \(ou mudaram\) \d+ produtos/,
    );
    await rejeitada("01.4", limpar + alter("valor_unit >= 0"), "aceita-zero", /preço zero ainda passa/);
    await rejeitada("01.4", `BEGIN; ${limpar} ${alter("valor_unit > 0")} COMMIT;`, "transacao-no-script", /BEGIN\/COMMIT/);
    await rejeitada("01.4", alter("valor_unit > 0", " NOT VALID"), "not-valid-deixou-as-ruins", /NOT VALID/);
    await rejeitada(
      "01.4",
      `UPDATE ${TABELA_014} SET valor_unit = abs(valor_unit) + 1 WHERE valor_unit <= 0;`,
      "inventou-preco",
      /apague-as/,
    );
    assert.deepEqual(await estado(), quebrada, "a wrong fix is rolled back");
  });

  test("the solution's fix stays: nothing lost, bad rows gone, the CHECK in place", async () => {
    await prepararExercicio("01.4");
    await resolvida("01.4");
    const consertada = await estado();
    assert.equal(consertada.linhas, consertada.catalogo);
    assert.equal(consertada.ruins, 0);
    assert.equal(consertada.restricoes, 1);
  });
});

describe("progress in curso.progresso and ./liga progresso", () => {
  let restaurar: () => Promise<void>;
  before(async () => {
    restaurar = await guardarProgresso();
    await limparProgresso();
  });
  after(async () => restaurar());

  test("answered checks are recorded per exercise and origin; the CLI reports them per lesson", async () => {
    const aluno = { mostrar: false, origem: "aluno" } as const;
    assert.equal((await verificar("00.1", SOLUCOES["00.1"]!.obter(), aluno)).tentativas, 1);
    assert.equal((await verificar("01.1", "SELECT 1 AS x", aluno)).situacao, "erro");
    assert.equal((await verificar("01.1", SOLUCOES["01.1"]!.obter(), aluno)).tentativas, 2);
    assert.equal((await verificar("01.2", 1, aluno)).situacao, "erro-conhecido");
    assert.equal((await verificar("01.3", "", aluno)).situacao, "pendente");
    await prepararExercicio("01.4");
    assert.equal((await verificar("01.4", SOLUCOES["01.4"]!.obter(), { mostrar: false, origem: "curso" })).situacao, "ok");

    const registros = await progressoNoBanco().registros();
    assert.deepEqual(
      registros.map((r) => [r.exercicio, r.origem, r.ok, r.tentativas, r.ultimaSituacao]),
      [
        ["00.1", "aluno", true, 1, "ok"],
        ["01.1", "aluno", true, 2, "ok"],
        ["01.2", "aluno", false, 1, "erro-conhecido"],
        ["01.4", "curso", true, 1, "ok"],
      ],
    );

    assert.equal((await solucao("01.3")).liberada, false, "no attempt of the student yet");
    assert.equal((await solucao("01.4")).liberada, false, "the course run's attempt does not unlock it");
    assert.equal((await solucao("01.2")).liberada, true);

    const r = spawnSync(join(cfg.root, "liga"), ["progresso"], { cwd: cfg.root, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const linhas = r.stdout.split("\n");
    const linha = (id: string) => linhas.find((l) => l.startsWith(`  ${id} `)) ?? `(sem linha para ${id})`;
    assert.ok(linhas.includes("Aula 00 · Subindo a plataforma: 1 de 1 resolvidos"), r.stdout);
    assert.ok(linhas.includes("Aula 01 · Modelagem OLTP: 1 de 4 resolvidos"), r.stdout);
    assert.match(linha("00.1"), /: ✔ resolvido, 1 tentativa {3}\[execução do curso: —\]$/);
    assert.match(linha("01.1"), /: ✔ resolvido, 2 tentativas {3}\[execução do curso: —\]$/);
    assert.match(linha("01.2"), /: ✘ tentando, 1 tentativa {3}\[execução do curso: —\]$/);
    assert.match(linha("01.3"), /: ainda não respondido {3}\[execução do curso: —\]$/);
    assert.match(linha("01.4"), /: ainda não respondido {3}\[execução do curso: ✔\]$/);
    assert.ok(linhas.includes("Total: 2 de 5 exercícios resolvidos por você."), r.stdout);
  });
});

describe("notebooks 00 and 01 with the solutions in place (what ./liga curso runs)", () => {
  let restaurar: () => Promise<void>;
  before(async () => {
    restaurar = await guardarProgresso();
    await limparProgresso();
  });
  after(async () => restaurar());

  test("run twice: every check cell shows ✔ and records a course attempt each round", { timeout: 15 * 60_000 }, async () => {
    const cache = cacheDir();
    const python = await installPython({ cacheDir: cache, repoRoot: cfg.root });
    const { jupyterPath } = await installTslabKernel({ cacheDir: cache, repoRoot: cfg.root, python: python.python });
    const notebooks = courseNotebooks(cfg.root).filter((n) => /[\\/]0[01]_[^\\/]*$/.test(n));
    assert.equal(notebooks.length, 2);
    const saida = await runNotebooks(cfg, { venv: python.venv, jupyterPath, notebooks, repeat: 2, solucoes: true });
    assert.match(saida, /Todos os notebooks passaram: 4 execuções/);

    const registros = await progressoNoBanco().registros();
    assert.deepEqual(
      registros.map((r) => [r.exercicio, r.origem, r.ok, r.tentativas]),
      EXERCICIOS.map((e) => [e.id, "curso", true, 2]),
    );
    for (const nb of notebooks) {
      const stem = nb.replace(/^.*[\\/]/, "").replace(/\.ipynb$/, "");
      const executado = JSON.parse(readFileSync(join(cfg.root, ".course-output", `${stem}.ipynb`), "utf8")) as {
        cells: { cell_type: string; source: string[]; outputs?: { data?: Record<string, string | string[]> }[] }[];
      };
      const verificacoes = executado.cells.filter((c) => c.cell_type === "code" && c.source.join("").startsWith("await verificar("));
      assert.equal(verificacoes.length, EXERCICIOS.filter((e) => stem.startsWith(e.aula)).length, stem);
      for (const c of verificacoes) {
        const html = (c.outputs ?? []).map((o) => [o.data?.["text/html"] ?? ""].flat().join("")).join("");
        assert.match(html, /✔ Exercício [\d.]+ · .*: resolvido/, `${stem}: ${c.source.join("")}`);
      }
    }
  });
});
