// The exercise framework without services: pending answers never touch the platform, verdicts
// (ok / catalogued mistake / generic), attempts recorded only for answered checks, hint
// progression, the solution gate, the answer cell in the course run, and text/HTML rendering.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, test } from "node:test";
import { htmlDoResultado, textoDaDica, textoDoResultado } from "../../lib/exercicios/apresentacao";
import {
  AINDA_NAO_RESPONDIDO,
  dica,
  EXERCICIOS,
  exercicio,
  julgar,
  progressoEmMemoria,
  resposta,
  solucao,
  VARIAVEL_SOLUCOES,
  verificarExercicio,
} from "../../lib/exercicios/index";
import { relatorioDeProgresso } from "../../lib/exercicios/relatorio";
import { SOLUCOES } from "../../lib/exercicios/solucoes/index";
import { mesmaTabela, normalizar, primeiraDiferenca, sqlVazio } from "../../lib/exercicios/sql";
import { lerCsv } from "../../lib/exercicios/texto";
import type { Exercicio } from "../../lib/exercicios/tipos";
import { ErroDeUso, ErroServicoFora } from "../../lib/erros";

/** An exercise of the test's own: the answer must equal 42; 41 and 43 are catalogued mistakes. */
function exercicioDeTeste(): Exercicio<number, { n: number }> & { analises: number } {
  const ex = {
    analises: 0,
    id: "99.1",
    aula: "99",
    tipo: "prever" as const,
    titulo: "A resposta",
    objetivo: "o",
    tarefa: "t",
    pronto: "p",
    dicas: ["primeira", "segunda"],
    semResposta: (r: number | undefined) => r === undefined,
    analisar: async (n: number) => {
      ex.analises++;
      return { n };
    },
    correto: (a: { n: number }) => a.n === 42,
    parabens: () => "isso",
    errosTipicos: [
      { codigo: "um-a-menos", reconhece: (a: { n: number }) => a.n === 41, explicar: () => "faltou um" },
      { codigo: "um-a-mais", reconhece: (a: { n: number }) => a.n === 43, explicar: (a: { n: number }) => `${a.n} passou um` },
    ],
    mensagemGenerica: (a: { n: number }) => `você disse ${a.n}`,
  };
  return ex;
}

describe("julgar: the verdict of one answer", () => {
  test("an unanswered exercise is pending and analyses nothing", async () => {
    const ex = exercicioDeTeste();
    const r = await julgar(ex, undefined);
    assert.equal(r.situacao, "pendente");
    assert.ok(r.mensagem.startsWith(AINDA_NAO_RESPONDIDO), r.mensagem);
    assert.equal(ex.analises, 0);
  });

  test("every catalogued exercise is pending with its stub, without any service (none is running here)", async () => {
    const stubs: Record<string, unknown> = { "00.1": "", "01.1": "", "01.2": undefined, "01.3": "", "01.4": "  -- nada ainda\n" };
    assert.deepEqual(Object.keys(stubs).sort(), EXERCICIOS.map((e) => e.id).sort());
    for (const ex of EXERCICIOS) {
      const r = await julgar(ex, stubs[ex.id]);
      assert.equal(r.situacao, "pendente", ex.id);
      assert.match(r.mensagem, /ainda não respondido/, ex.id);
    }
  });

  test("right, catalogued mistake (the first that recognises it), and unrecognised wrong answer", async () => {
    const ex = exercicioDeTeste();
    assert.deepEqual(await julgar(ex, 42), { exercicio: "99.1", titulo: "A resposta", situacao: "ok", mensagem: "isso" });
    assert.deepEqual(await julgar(ex, 43), {
      exercicio: "99.1",
      titulo: "A resposta",
      situacao: "erro-conhecido",
      erro: "um-a-mais",
      mensagem: "43 passou um",
    });
    const r = await julgar(ex, 7);
    assert.equal(r.situacao, "erro");
    assert.equal(r.erro, undefined);
    assert.equal(r.mensagem, "você disse 7");
  });
});

describe("verificar: attempts are recorded only for answered checks", () => {
  test("pending records nothing; each answer adds an attempt to the same row", async () => {
    const ex = exercicioDeTeste();
    const progresso = progressoEmMemoria();
    const pendente = await verificarExercicio(ex, undefined, { progresso, mostrar: false });
    assert.equal(pendente.situacao, "pendente");
    assert.equal(pendente.tentativas, undefined);
    assert.deepEqual(await progresso.registros(), []);

    assert.equal((await verificarExercicio(ex, 41, { progresso, origem: "aluno", mostrar: false })).tentativas, 1);
    const certo = await verificarExercicio(ex, 42, { progresso, origem: "aluno", mostrar: false });
    assert.equal(certo.tentativas, 2);
    await verificarExercicio(ex, 7, { progresso, origem: "aluno", mostrar: false });
    await verificarExercicio(ex, 42, { progresso, origem: "curso", mostrar: false });
    const registros = await progresso.registros();
    assert.equal(registros.length, 2);
    const aluno = registros.find((r) => r.origem === "aluno")!;
    assert.equal(aluno.tentativas, 3);
    assert.equal(aluno.ok, false, "the last attempt was wrong");
    assert.ok(aluno.resolvidoEm instanceof Date, "it was solved once");
    assert.equal(aluno.ultimaSituacao, "erro");
    assert.equal(registros.find((r) => r.origem === "curso")!.tentativas, 1);
  });

  test("outside the notebook the verdict prints as its text", async () => {
    const r = await verificarExercicio(exercicioDeTeste(), 41, { progresso: progressoEmMemoria(), mostrar: false });
    assert.equal(inspect(r), textoDoResultado(r));
    assert.match(inspect(r), /^✘ Exercício 99\.1 · A resposta: ainda não \(tentativa 1\)\nfaltou um$/);
  });

  test("a check that cannot reach the platform is an ErroServicoFora; other errors pass through", async () => {
    const semBanco = {
      ...exercicioDeTeste(),
      analisar: async () => Promise.reject(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })),
    };
    await assert.rejects(
      verificarExercicio(semBanco, 42, { progresso: progressoEmMemoria(), mostrar: false }),
      (e: unknown) => e instanceof ErroServicoFora && e.servico === "postgres-oltp" && /npm run stack -- up/.test(e.message),
    );
    const outro = new Error("outro");
    const comBug = { ...exercicioDeTeste(), analisar: async () => Promise.reject(outro) };
    await assert.rejects(verificarExercicio(comBug, 42, { progresso: progressoEmMemoria(), mostrar: false }), (e: unknown) => e === outro);
  });

  test("an unknown exercise id is a usage error listing the ids", async () => {
    assert.throws(
      () => exercicio("99.9"),
      (e: unknown) => e instanceof ErroDeUso && /00\.1, 01\.1/.test(e.message),
    );
  });
});

describe("dica: progressive hints", () => {
  test("each call shows the next hint, stopping at the last; a number asks for that one", async () => {
    const ex = exercicio("01.4");
    const total = ex.dicas.length;
    assert.ok(total >= 2);
    const vistas: string[] = [];
    for (let i = 0; i < total + 1; i++) vistas.push(await dica("01.4"));
    for (let i = 0; i < total; i++) assert.equal(vistas[i], textoDaDica("01.4", i + 1, total, ex.dicas[i]!));
    assert.equal(vistas[total], vistas[total - 1], "after the last hint, the last one again");
    assert.match(vistas[total]!, /Esta é a última dica\./);
    assert.equal(await dica("01.4", 1), textoDaDica("01.4", 1, total, ex.dicas[0]!));
    assert.match(vistas[0]!, /Rode dica\("01\.4"\) de novo para a próxima\./);
  });
});

describe("solucao: only after an attempt of the student", () => {
  test("locked before any attempt, and the course run's attempts do not unlock it", async () => {
    const progresso = progressoEmMemoria();
    const antes = await solucao("01.1", { progresso });
    assert.equal(antes.liberada, false);
    assert.ok(!antes.texto.includes(SOLUCOES["01.1"]!.codigo), "the locked text must not carry the solution");
    assert.match(antes.texto, /depois da sua primeira tentativa/);
    await progresso.registrar({ exercicio: "01.1", aula: "01", origem: "curso", situacao: "ok" });
    assert.equal((await solucao("01.1", { progresso })).liberada, false);
    await progresso.registrar({ exercicio: "01.1", aula: "01", origem: "aluno", situacao: "erro" });
    const depois = await solucao("01.1", { progresso });
    assert.equal(depois.liberada, true);
    assert.ok(depois.texto.includes(SOLUCOES["01.1"]!.codigo));
    assert.ok(depois.texto.includes(SOLUCOES["01.1"]!.explicacao));
  });
});

describe("resposta: the answer cell", () => {
  test("returns the student's value, or the solution when the course runs with solutions", () => {
    const antes = process.env[VARIAVEL_SOLUCOES];
    try {
      delete process.env[VARIAVEL_SOLUCOES];
      assert.equal(resposta("00.1", "SELECT 1"), "SELECT 1");
      assert.equal(resposta("01.2", undefined), undefined);
      process.env[VARIAVEL_SOLUCOES] = "1";
      assert.equal(resposta("00.1", ""), SOLUCOES["00.1"]!.obter());
      assert.equal(resposta("01.4", ""), SOLUCOES["01.4"]!.obter());
      assert.equal(typeof resposta<number | undefined>("01.2", undefined), "number");
      process.env[VARIAVEL_SOLUCOES] = "";
      assert.equal(resposta("00.1", ""), "");
    } finally {
      if (antes === undefined) delete process.env[VARIAVEL_SOLUCOES];
      else process.env[VARIAVEL_SOLUCOES] = antes;
    }
  });
});

describe("rendering", () => {
  const base = { exercicio: "01.1", titulo: "T <b>" };
  test("text: icon, exercise, state, attempt, message", () => {
    assert.equal(
      textoDoResultado({ ...base, situacao: "ok", mensagem: "certo", tentativas: 2 }),
      "✔ Exercício 01.1 · T <b>: resolvido (tentativa 2)\ncerto",
    );
    assert.equal(
      textoDoResultado({ ...base, situacao: "pendente", mensagem: "ainda não respondido: escreva" }),
      "… Exercício 01.1 · T <b>\nainda não respondido: escreva",
    );
    assert.match(textoDoResultado({ ...base, situacao: "erro-conhecido", erro: "x", mensagem: "m" }), /^✘ .*: ainda não\nm$/);
  });

  test("HTML escapes the student's text and keeps line breaks", () => {
    const html = htmlDoResultado({ ...base, situacao: "erro", mensagem: 'a < b\n"c"' });
    assert.ok(html.includes("T &lt;b&gt;"));
    assert.ok(html.includes("a &lt; b<br>&quot;c&quot;"));
    assert.ok(!html.includes("<b>:"));
  });

  test("the progress report: per lesson, attempts, pending, and the course run", async () => {
    const progresso = progressoEmMemoria();
    await progresso.registrar({ exercicio: "01.1", aula: "01", origem: "aluno", situacao: "erro" });
    await progresso.registrar({ exercicio: "01.1", aula: "01", origem: "aluno", situacao: "ok" });
    await progresso.registrar({ exercicio: "01.2", aula: "01", origem: "aluno", situacao: "erro-conhecido" });
    await progresso.registrar({ exercicio: "00.1", aula: "00", origem: "curso", situacao: "ok" });
    const texto = relatorioDeProgresso(EXERCICIOS, await progresso.registros());
    const linhas = texto.split("\n");
    assert.ok(linhas.includes("Aula 00 · Subindo a plataforma: 0 de 1 resolvidos"), texto);
    assert.ok(linhas.includes("Aula 01 · Modelagem OLTP: 1 de 4 resolvidos"), texto);
    assert.ok(
      linhas.some((l) => /^ {2}00\.1 .*: ainda não respondido {3}\[execução do curso: ✔\]$/.test(l)),
      texto,
    );
    assert.ok(
      linhas.some((l) => /^ {2}01\.1 .*: ✔ resolvido, 2 tentativas {3}\[execução do curso: —\]$/.test(l)),
      texto,
    );
    assert.ok(
      linhas.some((l) => /^ {2}01\.2 .*: ✘ tentando, 1 tentativa {3}/.test(l)),
      texto,
    );
    assert.ok(linhas.includes("Total: 1 de 5 exercícios resolvidos por você."), texto);
  });
});

describe("helpers", () => {
  test("sqlVazio: blanks and comments only", () => {
    assert.equal(sqlVazio(""), true);
    assert.equal(sqlVazio(undefined), true);
    assert.equal(sqlVazio("  -- escreva aqui\n/* nada */ "), true);
    assert.equal(sqlVazio("SELECT 1 -- fim"), false);
  });

  test("lerCsv: quoted commas, doubled quotes, line breaks inside quotes, CRLF", () => {
    assert.deepEqual(lerCsv('id,descricao\r\n1,"Casa, Mesa"\n2,"diz ""oi"""\n3,"a\nb"\n'), [
      ["id", "descricao"],
      ["1", "Casa, Mesa"],
      ["2", 'diz "oi"'],
      ["3", "a\nb"],
    ]);
  });

  test("tables compare by column name, numbers to 2 decimals, rows in order", () => {
    const ref = {
      colunas: ["a", "b"],
      linhas: [
        ["x", "10.00"],
        ["y", 2],
      ],
    };
    assert.equal(normalizar("10.004"), 10);
    assert.equal(
      mesmaTabela(
        {
          colunas: ["b", "a"],
          linhas: [
            [10.001, "x"],
            ["2.00", " y "],
          ],
        },
        ref,
      ),
      true,
    );
    assert.equal(
      mesmaTabela(
        {
          colunas: ["a", "b", "c"],
          linhas: [
            ["x", 10, 1],
            ["y", 2, 1],
          ],
        },
        ref,
      ),
      false,
      "an extra column",
    );
    assert.equal(
      primeiraDiferenca(
        {
          colunas: ["a", "b"],
          linhas: [
            ["y", 2],
            ["x", 10],
          ],
        },
        ref,
      ),
      'linha 1, coluna "a": você tem y, o esperado é x',
    );
    assert.equal(primeiraDiferenca({ colunas: ["a"], linhas: [] }, ref), 'faltam as colunas "b" (você devolveu: a)');
  });
});
