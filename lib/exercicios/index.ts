// The exercises of the course, as notebooks use them (import from "./lib/exercicios/index"):
//   resposta(id, valor)   the answer cell: the student's value — or, in the course run
//                         (LIGA_CURSO_SOLUCOES=1, set by `./liga curso`), the official solution
//   verificar(id, valor)  the check cell: judges against the live platform, records the attempt
//                         in curso.progresso, shows the verdict; an unanswered exercise is
//                         "ainda não respondido" and never throws
//   dica(id)              the next progressive hint
//   solucao(id)           the solution, only after at least one recorded attempt of the student
//   prepararExercicio(id) sets up what an exercise needs (e.g. the broken table of 01.4)
//   mostrarProgresso()    the progress table per lesson
// Modules: tipos (shapes), julgar (verdict), sql (running and comparing SQL), aula00/aula01*
// (the exercises), catalogo, progresso (storage), relatorio and apresentacao (text and HTML),
// solucoes/ (kept apart from the notebooks).
import { createRequire } from "node:module";
import { join } from "node:path";
import { inspect } from "node:util";
import { config } from "../config";
import { htmlTable } from "../display";
import { ErroServicoFora } from "../erros";
import { htmlDoResultado, textoDaDica, textoDoEnunciado, textoDoResultado } from "./apresentacao";
import { comoConectar } from "./aula01-psql";
import { prepararExercicio014 } from "./aula01-restricao";
import { EXERCICIOS, exercicio } from "./catalogo";
import { julgar, veredito } from "./julgar";
import { type Origem, type Progresso, progressoNoBanco } from "./progresso";
import { linhasDeProgresso, relatorioDeProgresso } from "./relatorio";
import { SOLUCOES } from "./solucoes/index";
import { escapeHtml } from "./texto";
import { type QualquerExercicio, type Resultado, VARIAVEL_SOLUCOES } from "./tipos";

export type { Origem, Progresso, Registro } from "./progresso";
export { progressoEmMemoria, progressoNoBanco } from "./progresso";
export type { Exercicio, QualquerExercicio, Resultado, Situacao, Solucao, Tipo } from "./tipos";
export { AINDA_NAO_RESPONDIDO, TIPOS, VARIAVEL_SOLUCOES } from "./tipos";
export { EXERCICIOS, exercicio, julgar, relatorioDeProgresso, textoDoResultado, veredito };

export const comSolucoes = (env: NodeJS.ProcessEnv = process.env) => env[VARIAVEL_SOLUCOES] === "1";
const origemAtual = (): Origem => (comSolucoes() ? "curso" : "aluno");

/** True inside the tslab kernel (its process runs `tslab kernel …`). */
const noTslab = () => process.argv.some((a) => /[\\/]tslab([\\/]|$)/.test(a));

/**
 * Shows HTML in the notebook when running inside tslab; returns false elsewhere (tests, CLI),
 * where the caller's value is what gets printed. tslab is loaded from the notebook's folder, so
 * this is the very module instance the kernel writes display messages through.
 */
async function mostrar(html: string): Promise<boolean> {
  if (!noTslab()) return false;
  try {
    const tslab = createRequire(join(process.cwd(), "index.js"))("tslab") as typeof import("tslab");
    tslab.display.html(html);
    return true;
  } catch {
    return false;
  }
}

/** Gives `valor` a printed form: nothing after an HTML display (no repetition), `texto` otherwise. */
function comTexto<T extends object>(valor: T, texto: string, mostrado: boolean): T {
  Object.defineProperty(valor, inspect.custom, { value: () => (mostrado ? "" : texto), enumerable: false });
  return valor;
}

/** The value of an answer cell: the student's, or the official solution in the course run. */
export function resposta<R>(id: string, valor: R): R {
  exercicio(id);
  if (!comSolucoes()) return valor;
  return SOLUCOES[id]!.obter() as R;
}

export interface OpcoesDeVerificacao {
  progresso?: Progresso;
  origem?: Origem;
  /** Display in the notebook (default true; only has an effect inside tslab). */
  mostrar?: boolean;
}

/** Judges an answer against the live platform, records the attempt and shows the verdict. */
export async function verificar(id: string, valor: unknown, opcoes: OpcoesDeVerificacao = {}): Promise<Resultado> {
  return verificarExercicio(exercicio(id), valor, opcoes);
}

/** `verificar` for an exercise given as a value (tests use exercises of their own). */
export async function verificarExercicio(ex: QualquerExercicio, valor: unknown, opcoes: OpcoesDeVerificacao = {}): Promise<Resultado> {
  const resultado = await julgar(ex, valor).catch((err: unknown) => {
    throw traduzirFalhaDeConexao(err);
  });
  if (resultado.situacao !== "pendente") {
    const progresso = opcoes.progresso ?? progressoNoBanco();
    resultado.tentativas = await progresso.registrar({
      exercicio: ex.id,
      aula: ex.aula,
      origem: opcoes.origem ?? origemAtual(),
      situacao: resultado.situacao,
    });
  }
  const mostrado = opcoes.mostrar !== false && (await mostrar(htmlDoResultado(resultado)));
  return comTexto(resultado, textoDoResultado(resultado), mostrado);
}

/** Node's connection error codes (pg passes them through): the OLTP could not be reached. */
const SEM_CONEXAO = new Set(["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"]);

/** A check that cannot reach the platform is an ErroServicoFora saying what to do; anything else as it came. */
export function traduzirFalhaDeConexao(err: unknown): unknown {
  const codigo = (err as { code?: string } | undefined)?.code;
  if (!codigo || !SEM_CONEXAO.has(codigo)) return err;
  const { oltp } = config();
  return new ErroServicoFora(
    "postgres-oltp",
    `postgresql://${oltp.host}:${oltp.port}/${oltp.database}`,
    `Não consegui falar com o PostgreSQL OLTP (${oltp.host}:${oltp.port}) para conferir a sua resposta: a verificação precisa da ` +
      "plataforma no ar. Rode `npm run stack -- up` (ou `docker compose up -d`) e execute a célula de novo.",
    { cause: err },
  );
}

/** Which hint each exercise is at, in this kernel (a new kernel starts again from the first). */
const dicasMostradas = new Map<string, number>();

/** The next hint of `id` (or hint `n`, 1-based), as text; also shown in the notebook. */
export async function dica(id: string, n?: number): Promise<string> {
  const ex = exercicio(id);
  const proxima = n ?? Math.min((dicasMostradas.get(id) ?? 0) + 1, ex.dicas.length);
  const numero = Math.max(1, Math.min(proxima, ex.dicas.length));
  dicasMostradas.set(id, Math.max(dicasMostradas.get(id) ?? 0, numero));
  const texto = textoDaDica(id, numero, ex.dicas.length, ex.dicas[numero - 1]!);
  await mostrar(`<div style="border-left:4px solid #0969da;padding:6px 10px">💡 ${escapeHtml(texto)}</div>`);
  return texto;
}

export interface RespostaDaSolucao {
  liberada: boolean;
  texto: string;
}

/** The solution of `id`, only after at least one recorded attempt of the student; never throws for that. */
export async function solucao(id: string, opcoes: { progresso?: Progresso } = {}): Promise<RespostaDaSolucao> {
  const ex = exercicio(id);
  const tentativas = await (opcoes.progresso ?? progressoNoBanco()).tentativas(id, "aluno");
  const s = SOLUCOES[id]!;
  const resultado: RespostaDaSolucao =
    tentativas === 0
      ? {
          liberada: false,
          texto:
            `A solução do exercício ${id} aparece depois da sua primeira tentativa: escreva uma resposta e rode verificar("${id}", …). ` +
            `Enquanto isso, dica("${id}") ajuda sem entregar tudo.`,
        }
      : { liberada: true, texto: `Solução do exercício ${id} · ${ex.titulo}\n\n${s.codigo}\n\nPor quê: ${s.explicacao}` };
  const html = resultado.liberada
    ? `<div style="border-left:4px solid #8250df;padding:6px 10px"><b>Solução do exercício ${escapeHtml(id)} · ${escapeHtml(ex.titulo)}</b>` +
      `<pre>${escapeHtml(s.codigo)}</pre>${escapeHtml(s.explicacao)}</div>`
    : `<div style="border-left:4px solid #6e7781;padding:6px 10px">${escapeHtml(resultado.texto)}</div>`;
  return comTexto(resultado, resultado.texto, await mostrar(html));
}

/** The statement of `id` (goal, task, what counts as done), as text. */
export function enunciado(id: string): string {
  return textoDoEnunciado(exercicio(id));
}

/** Sets up what exercise `id` needs before the student answers; shows what was prepared. */
export async function prepararExercicio(id: string): Promise<void> {
  exercicio(id);
  if (id === "01.3") {
    const texto = comoConectar();
    if (!(await mostrar(`<pre>${escapeHtml(texto)}</pre>`))) console.log(texto);
  }
  if (id === "01.4") {
    const ruins = await prepararExercicio014();
    await mostrar(htmlTable(ruins, undefined, "Linhas com preço inválido que a carga deixou entrar"));
  }
}

/** The progress table per lesson (origin "aluno" and the course run), shown and returned as text. */
export async function mostrarProgresso(opcoes: { progresso?: Progresso } = {}): Promise<string | undefined> {
  const registros = await (opcoes.progresso ?? progressoNoBanco()).registros();
  const texto = relatorioDeProgresso(EXERCICIOS, registros);
  const linhas = linhasDeProgresso(EXERCICIOS, registros);
  const tabela = linhas.map((l) => ({
    aula: l.aula,
    exercício: l.exercicio,
    tipo: l.tipo,
    título: l.titulo,
    você: l.voce,
    tentativas: l.tentativas,
    "execução do curso": l.execucaoDoCurso,
  }));
  const mostrado = await mostrar(htmlTable(tabela, undefined, "Seu progresso nos exercícios"));
  return mostrado ? undefined : texto;
}
