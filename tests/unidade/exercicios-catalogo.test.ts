// The catalogue of exercises without services: every exercise is complete (text, hints,
// mistakes, a solution kept apart), each catalogued mistake is recognised on the analysis it is
// written for (and a right analysis passes), and the lesson notebooks carry each exercise's
// statement, a stub answer cell and a check cell, and never a solution.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "../../lib/config";
import { exercicio001 } from "../../lib/exercicios/aula00";
import { exercicio011, exercicio012 } from "../../lib/exercicios/aula01";
import { exercicio013 } from "../../lib/exercicios/aula01-psql";
import { exercicio014 } from "../../lib/exercicios/aula01-restricao";
import { EXERCICIOS, veredito } from "../../lib/exercicios/index";
import { SOLUCOES } from "../../lib/exercicios/solucoes/index";
import type { Tabela } from "../../lib/exercicios/sql";
import { lerCsv } from "../../lib/exercicios/texto";
import { TIPOS, type QualquerExercicio } from "../../lib/exercicios/tipos";

/** Runs each case through the verdict; returns the codes seen ("ok" for a right answer). */
function conferir(ex: QualquerExercicio, casos: [esperado: string, analise: unknown][]): Set<string> {
  const vistos = new Set<string>();
  for (const [esperado, analise] of casos) {
    const r = veredito(ex, analise);
    const codigo = r.situacao === "ok" ? "ok" : r.situacao === "erro" ? "erro" : r.erro!;
    assert.equal(codigo, esperado, `${ex.id}: ${r.mensagem}`);
    assert.ok(r.mensagem.length > 40, `${ex.id} ${codigo}: a message that teaches, not "errado": ${r.mensagem}`);
    vistos.add(codigo);
  }
  const proprios = ex.errosTipicos.map((e) => e.codigo).filter((c) => !c.startsWith("sql-"));
  assert.deepEqual(
    proprios.filter((c) => !vistos.has(c)),
    [],
    `${ex.id}: every catalogued mistake of its own has a case`,
  );
  return vistos;
}

const tabela = (colunas: string[], linhas: unknown[][]): Tabela => ({ colunas, linhas });

describe("catalogue", () => {
  test("every exercise is complete, in a known kind, with a solution kept apart", () => {
    assert.ok(EXERCICIOS.filter((e) => e.aula === "00").length >= 1);
    assert.ok(EXERCICIOS.filter((e) => e.aula === "01").length >= 4);
    for (const ex of EXERCICIOS) {
      assert.match(ex.id, new RegExp(`^${ex.aula}\\.\\d+$`));
      assert.ok(TIPOS.includes(ex.tipo), ex.id);
      for (const campo of [ex.titulo, ex.objetivo, ex.tarefa, ex.pronto]) assert.ok(campo.length > 10, ex.id);
      assert.ok(ex.dicas.length >= 2, `${ex.id}: progressive hints`);
      assert.ok(ex.errosTipicos.length >= 3, `${ex.id}: a catalogue of mistakes`);
      assert.ok(SOLUCOES[ex.id], `${ex.id}: a solution`);
    }
    assert.deepEqual(Object.keys(SOLUCOES).sort(), EXERCICIOS.map((e) => e.id).sort());
    assert.equal(new Set(EXERCICIOS.map((e) => e.id)).size, EXERCICIOS.length);
    assert.deepEqual([...new Set(EXERCICIOS.filter((e) => e.aula === "01").map((e) => e.tipo))].sort(), [
      "ferramenta",
      "prever",
      "quebrar-e-consertar",
      "sql",
    ]);
  });
});

describe("mistakes are recognised on the analysis they are written for", () => {
  test("00.1", () => {
    const referencia = tabela(["banco", "wal_level"], [["liga_sudoers", "logical"]]);
    const vistos = conferir(exercicio001, [
      ["ok", { aluno: tabela(["wal_level", "banco"], [["logical", "liga_sudoers"]]), referencia }],
      ["show-em-vez-de-select", { aluno: tabela(["wal_level"], [["logical"]]), referencia }],
      ["colunas-sem-nome", { aluno: tabela(["current_database", "current_setting"], [["liga_sudoers", "logical"]]), referencia }],
      [
        "varias-linhas",
        {
          aluno: tabela(
            ["name", "setting"],
            [
              ["a", "1"],
              ["b", "2"],
            ],
          ),
          referencia,
        },
      ],
      ["sql-42601", { aluno: { colunas: [], linhas: [], falha: { sqlstate: "42601", mensagem: "syntax error at or near" } }, referencia }],
      ["sql-falhou", { aluno: { colunas: [], linhas: [], falha: { sqlstate: "XX000", mensagem: "algo" } }, referencia }],
      ["erro", { aluno: tabela(["banco", "wal_level"], [["outro", "logical"]]), referencia }],
    ]);
    assert.ok(vistos.has("erro"));
  });

  test("01.1", () => {
    // Moda: A 30, B 20, C 10 (avg 20); Pet: D 8, E 2 (avg 5). Store-wide avg 14.
    const colunas = ["categoria", "produto", "valor_unit"];
    const referencia = tabela(colunas, [
      ["Moda", "A", "30.00"],
      ["Pet", "D", "8.00"],
    ]);
    const base = { referencia, acimaDaMediaGeral: ["Moda|A", "Moda|B"], abaixoDaMedia: ["Moda|C", "Pet|E"], totalProdutos: 5 };
    const aluno = (linhas: unknown[][]) => ({ ...base, aluno: tabela(colunas, linhas) });
    const falha = (sqlstate: string) => ({
      ...base,
      aluno: { colunas: [], linhas: [], falha: { sqlstate, mensagem: "mensagem do PostgreSQL" } },
    });
    conferir(exercicio011, [
      [
        "ok",
        aluno([
          ["Moda", "A", 30],
          ["Pet", "D", "8.0"],
        ]),
      ],
      ["agregacao-no-where", falha("42803")],
      ["sql-42601", falha("42601")],
      [
        "media-geral",
        aluno([
          ["Moda", "A", 30],
          ["Moda", "B", 20],
        ]),
      ],
      [
        "sinal-trocado",
        aluno([
          ["Moda", "C", 10],
          ["Pet", "E", 2],
        ]),
      ],
      [
        "sem-filtro",
        aluno([
          ["Moda", "A", 30],
          ["Moda", "B", 20],
          ["Moda", "C", 10],
          ["Pet", "D", 8],
          ["Pet", "E", 2],
        ]),
      ],
      [
        "categoria-pelo-id",
        aluno([
          [1, "A", 30],
          [9, "D", 8],
        ]),
      ],
      [
        "fora-de-ordem",
        aluno([
          ["Pet", "D", 8],
          ["Moda", "A", 30],
        ]),
      ],
      [
        "erro",
        aluno([
          ["Moda", "A", 31],
          ["Pet", "D", 8],
        ]),
      ],
    ]);
  });

  test("01.2", () => {
    const observado = { pedidos: 1, itens_pedidos: 2, auditoria_pedidos: 1 };
    const a = (previsao: number) => ({ previsao, observado, total: 4 });
    conferir(exercicio012, [
      ["ok", a(4)],
      ["achou-que-seria-recusado", a(0)],
      ["esqueceu-a-cascata", a(1)],
      ["esqueceu-a-auditoria", a(3)],
      ["esqueceu-os-itens", a(2)],
      ["erro", a(7)],
    ]);
  });

  test("01.3", () => {
    const referencia: [number, string][] = [
      [1, "Moda Masculina"],
      [2, "Pet"],
    ];
    const arquivo = (texto: string) => ({ caminho: "/tmp/c.csv", absoluto: true, existe: true, texto, linhas: lerCsv(texto), referencia });
    conferir(exercicio013, [
      ["ok", arquivo("id,descricao\n1,Moda Masculina\n2,Pet\n")],
      ["caminho-relativo", { ...arquivo(""), caminho: "c.csv", absoluto: false, existe: false }],
      ["arquivo-nao-encontrado", { ...arquivo(""), existe: false }],
      ["formato-texto", arquivo("1\tModa Masculina\n2\tPet\n")],
      ["sem-cabecalho", arquivo("1,Moda Masculina\n2,Pet\n")],
      ["colunas-a-mais", arquivo("id,descricao,created_at\n1,Moda Masculina,x\n2,Pet,y\n")],
      ["erro", arquivo("id,descricao\n1,Moda Masculina\n")],
    ]);
  });

  test("01.4", () => {
    const certo = {
      script: "…",
      comTransacao: false,
      perdidos: 0,
      ruinsRestantes: 0,
      precoInvalido: 0,
      aceitaZero: false,
      aceitaNegativo: false,
      restricao: "produtos_importados_valor_unit_check",
    };
    conferir(exercicio014, [
      ["ok", certo],
      ["transacao-no-script", { ...certo, comTransacao: true }],
      ["restricao-antes-da-limpeza", { ...certo, falha: { sqlstate: "23514", mensagem: "check constraint is violated by some row" } }],
      ["apagou-demais", { ...certo, perdidos: 40 }],
      ["not-valid-deixou-as-ruins", { ...certo, ruinsRestantes: 3, precoInvalido: 3 }],
      ["inventou-preco", { ...certo, ruinsRestantes: 3, restricao: undefined, aceitaZero: true, aceitaNegativo: true }],
      ["so-limpou", { ...certo, restricao: undefined, aceitaZero: true, aceitaNegativo: true }],
      ["aceita-zero", { ...certo, aceitaZero: true }],
      ["erro", { ...certo, falha: { sqlstate: "42601", mensagem: "syntax error" } }],
    ]);
  });
});

interface Celula {
  cell_type: string;
  source: string[];
  outputs?: unknown[];
}

const notebook = (prefixo: string): Celula[] => {
  const arquivo = prefixo === "00" ? "00_subindo_a_plataforma.ipynb" : "01_modelagem_oltp.ipynb";
  return (JSON.parse(readFileSync(join(repoRoot(), "notebooks", arquivo), "utf8")) as { cells: Celula[] }).cells;
};
const texto = (c: Celula) => c.source.join("");
const espacos = (s: string) => s.replace(/\s+/g, " ").trim();

describe("the lesson notebooks", () => {
  for (const ex of EXERCICIOS) {
    test(`${ex.id}: statement, a stub answer cell before its check cell, no solution in sight`, () => {
      const celulas = notebook(ex.aula);
      const markdown = espacos(
        celulas
          .filter((c) => c.cell_type === "markdown")
          .map(texto)
          .join("\n"),
      );
      for (const parte of [ex.titulo, ex.objetivo, ex.tarefa, ex.pronto])
        assert.ok(markdown.includes(espacos(parte)), `${ex.id}: ${parte}`);
      const codigo = celulas.filter((c) => c.cell_type === "code").map(texto);
      const id = ex.id.replace(".", "\\.");
      const respostas = codigo.flatMap((c, i) => (new RegExp(`resposta(<[^>]+>)?\\("${id}"`).test(c) ? [i] : []));
      const verificacoes = codigo.flatMap((c, i) => (c.includes(`await verificar("${ex.id}"`) ? [i] : []));
      assert.equal(respostas.length, 1, `${ex.id}: one answer cell`);
      assert.equal(verificacoes.length, 1, `${ex.id}: one check cell`);
      assert.ok(respostas[0]! < verificacoes[0]!, `${ex.id}: the answer comes before the check`);
      assert.match(codigo[respostas[0]!]!, new RegExp(`resposta(<[^>]+>)?\\("${id}", (\`\`|""|undefined)\\);`), `${ex.id}: a stub`);
      assert.match(codigo[respostas[0]!]!, /^\/\/ Exercício /, `${ex.id}: the stub says what to fill in`);
    });
  }

  test("no cell asks for a solution or a hint, and no solution's text appears", () => {
    for (const aula of ["00", "01"]) {
      const tudo = notebook(aula).map(texto).join("\n");
      assert.ok(!/\bsolucao\(/.test(tudo.replace(/`await solucao\("[\d.]+"\)`/g, "")), `${aula}: solucao( only in the prose`);
      assert.ok(
        !/^\s*(await )?dica\(/m.test(
          notebook(aula)
            .filter((c) => c.cell_type === "code")
            .map(texto)
            .join("\n"),
        ),
        aula,
      );
      for (const [id, s] of Object.entries(SOLUCOES))
        assert.ok(!espacos(tudo).includes(espacos(s.codigo)), `${aula}: the solution of ${id}`);
    }
  });
});
